//! An item's size as DynamoDB bills it, from the item in its JSON wire form
//! (`{"name": {"S": "…"}, …}`), by the rules of the developer guide's "Item sizes and formats":
//! an attribute's name in UTF-8 bytes plus its value's size — a string its UTF-8 bytes; a number
//! one byte per two significant digits plus one; binary its bytes; a Boolean or null one byte; a
//! set the sum of its elements; a list or map three bytes, plus one a element, plus the
//! elements (a map's names included).

use base64::Engine;
use serde_json::Value;

/// The size in bytes of `item`, a JSON object of attributes.
pub fn item_bytes(item: &Value) -> u64 {
    item.as_object().map_or(0, |attributes| attributes.iter().map(|(name, value)| named(name, value)).sum())
}

fn named(name: &str, value: &Value) -> u64 {
    name.len() as u64 + value_bytes(value)
}

/// One attribute value, `{"S": "…"}` and the like.
fn value_bytes(value: &Value) -> u64 {
    let Some((kind, inner)) = value.as_object().and_then(|o| o.iter().next()) else { return 0 };
    match (kind.as_str(), inner) {
        ("S", Value::String(s)) => s.len() as u64,
        ("N", Value::String(n)) => number_bytes(n),
        ("B", Value::String(b)) => binary_bytes(b),
        ("BOOL" | "NULL", _) => 1,
        ("SS", Value::Array(items)) => items.iter().filter_map(Value::as_str).map(|s| s.len() as u64).sum(),
        ("NS", Value::Array(items)) => items.iter().filter_map(Value::as_str).map(number_bytes).sum(),
        ("BS", Value::Array(items)) => items.iter().filter_map(Value::as_str).map(binary_bytes).sum(),
        ("L", Value::Array(items)) => 3 + items.iter().map(|v| 1 + value_bytes(v)).sum::<u64>(),
        ("M", Value::Object(entries)) => 3 + entries.iter().map(|(k, v)| 1 + named(k, v)).sum::<u64>(),
        _ => 0,
    }
}

/// A number: its significant digits (leading and trailing zeros, sign, point and exponent
/// aside), one byte per two, plus one.
fn number_bytes(n: &str) -> u64 {
    let mantissa = n.split(['e', 'E']).next().unwrap_or("");
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let significant = digits.trim_start_matches('0').trim_end_matches('0').len().max(1) as u64;
    significant.div_ceil(2) + 1
}

fn binary_bytes(b: &str) -> u64 {
    base64::engine::general_purpose::STANDARD.decode(b).map_or(b.len() as u64, |bytes| bytes.len() as u64)
}

/// Write units for an item written whose size was `before` and is `after`: the larger, in 1 KB
/// units rounded up, at least one; a transaction's write costs two.
pub fn write_units(before: u64, after: u64, transactional: bool) -> f64 {
    let units = before.max(after).div_ceil(1024).max(1) as f64;
    if transactional { 2.0 * units } else { units }
}

/// Read units for `bytes` read: 4 KB units rounded up, at least one; half that for an
/// eventually consistent read.
pub fn read_units(bytes: u64, consistent: bool) -> f64 {
    let units = bytes.div_ceil(4096).max(1) as f64;
    if consistent { units } else { units / 2.0 }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn each_kind_of_value_is_sized_by_the_guides_rules() {
        // "pk" (2) + "abc" (3); "n" (1) + 12345 (3 digits pairs + 1 = 4); "b" (1) + 3 bytes.
        assert_eq!(item_bytes(&json!({"pk": {"S": "abc"}})), 5);
        assert_eq!(item_bytes(&json!({"n": {"N": "12345"}})), 1 + 4);
        assert_eq!(item_bytes(&json!({"n": {"N": "-0.00120"}})), 1 + 2);
        assert_eq!(item_bytes(&json!({"b": {"B": "AAEC"}})), 1 + 3);
        assert_eq!(item_bytes(&json!({"t": {"BOOL": true}, "z": {"NULL": true}})), 4);
        assert_eq!(item_bytes(&json!({"s": {"SS": ["ab", "cde"]}})), 1 + 5);
        // A map: 3, then per entry 1 + its name + its value.
        assert_eq!(item_bytes(&json!({"m": {"M": {"k": {"S": "vv"}}}})), 1 + 3 + 1 + 1 + 2);
        assert_eq!(item_bytes(&json!({"l": {"L": [{"N": "7"}, {"S": "x"}]}})), 1 + 3 + (1 + 2) + (1 + 1));
    }

    #[test]
    fn units_round_up_and_transactions_cost_double() {
        assert_eq!(write_units(0, 10, false), 1.0);
        assert_eq!(write_units(1500, 900, false), 2.0);
        assert_eq!(write_units(100, 1025, true), 4.0);
        assert_eq!(read_units(0, true), 1.0);
        assert_eq!(read_units(4097, true), 2.0);
        assert_eq!(read_units(100, false), 0.5);
    }
}
