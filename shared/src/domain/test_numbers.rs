//! Test numbers: numbers no person can hold, each with a fixed code, for app-store review,
//! staging and end-to-end tests. A code asked for one goes nowhere (no SMS, no call, no provider
//! call) and costs nothing against the number's, the range's, the country's or the day's
//! budgets; it still counts against the client's hourly cap, and wrong codes against a daily
//! bound ([`GUESSES_PER_DAY`]), so the fixed code cannot be found by trying.
//!
//! Only numbers in the ranges set aside for fiction are taken ([`FICTIONAL_RANGES`]): a test code
//! that leaks can never open a real person's number.

use std::collections::BTreeMap;

use subtle::ConstantTimeEq;

use crate::domain::otp_code::OtpCode;
use crate::domain::phone::{CountryAllowList, PhoneNumber};

/// Wrong codes a test number takes in a UTC day, over all its verifications. With a 6-digit
/// code, a guesser finds it within a year with a chance of 10 × 365 / 10⁶ ≈ 0.4%.
pub const GUESSES_PER_DAY: i64 = 10;

/// The shortest fixed code taken: with 4 digits the same bound would give a guesser about a
/// third of a chance within a year, with 5 about 4%.
pub const MIN_TEST_CODE_LENGTH: u8 = 6;

/// The ranges no carrier assigns, set aside for films, books and examples, that the number
/// parser also takes as numbers able to receive a text: North America's 555-0100 to 555-0199 in
/// any area code (NANPA). The United Kingdom's drama numbers (Ofcom's 07700 900xxx, 01632
/// 960xxx) are set aside too, but libphonenumber knows them as invalid or as landlines, so no
/// request for them would pass; a range added here must be both.
pub const FICTIONAL_RANGES: &[FictionalRange] =
    &[FictionalRange { name: "NANP 555-0100 to 555-0199", prefix: "+1", area_digits: 3, local: "55501", rest: 2 }];

/// E.164 `prefix`, then `area_digits` digits of any value, then `local`, then `rest` digits.
#[derive(Debug, Clone, Copy)]
pub struct FictionalRange {
    pub name: &'static str,
    prefix: &'static str,
    area_digits: usize,
    local: &'static str,
    rest: usize,
}

impl FictionalRange {
    fn holds(&self, e164: &str) -> bool {
        let Some(after) = e164.strip_prefix(self.prefix) else { return false };
        let digits = after.bytes().all(|b| b.is_ascii_digit());
        let length = self.area_digits + self.local.len() + self.rest;
        digits && after.len() == length && after[self.area_digits..].starts_with(self.local)
    }
}

/// Whether no person can hold `e164`: it lies in one of [`FICTIONAL_RANGES`].
pub fn is_fictional(e164: &str) -> bool {
    FICTIONAL_RANGES.iter().any(|range| range.holds(e164))
}

/// The operator's test numbers, by E.164, each with its code. `Debug` shows how many, never a
/// number or a code.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TestNumbers(BTreeMap<String, OtpCode>);

impl TestNumbers {
    /// Reads `{"<number>": "<code>", ...}` (`TEST_NUMBERS`); blank is none. Each number must be a
    /// valid one in a fictional range, each code `code_length` digits (at least
    /// [`MIN_TEST_CODE_LENGTH`]), not trivial (one digit repeated, or a run up or down) and the code
    /// of no other number (each number's guesses are bounded apart, so a shared code would
    /// take as many guesses a day as it has numbers).
    pub fn parse(json: &str, code_length: u8) -> Result<Self, String> {
        if json.trim().is_empty() {
            return Ok(Self::default());
        }
        if code_length < MIN_TEST_CODE_LENGTH {
            return Err(format!(
                "needs codes of {MIN_TEST_CODE_LENGTH} digits or more (OTP_CODE_LENGTH is {code_length}): a shorter fixed \
                 code is guessed too soon"
            ));
        }
        let Pairs(pairs) = serde_json::from_str(json)
            .map_err(|_| "must be a JSON object of number to code: {\"+12015550100\": \"<code>\"}".to_owned())?;
        let mut numbers = BTreeMap::new();
        for (i, (number, code)) in pairs.iter().enumerate() {
            // Named by its place, never its digits: this message reaches the start-up log.
            let which = format!("test number {}", i + 1);
            let phone = PhoneNumber::parse(number, &CountryAllowList::default())
                .map_err(|_| format!("{which} is not a valid phone number in international format"))?;
            if !is_fictional(phone.e164()) {
                let ranges: Vec<&str> = FICTIONAL_RANGES.iter().map(|r| r.name).collect();
                return Err(format!(
                    "{which} is a number a person could hold: test numbers must be in a range set aside for \
                     fiction ({})",
                    ranges.join("; ")
                ));
            }
            let code = OtpCode::parse(code, code_length)
                .map_err(|_| format!("the code of {which} must be {code_length} digits (OTP_CODE_LENGTH)"))?;
            if trivial(code.expose()) {
                return Err(format!("the code of {which} is one digit repeated or a run: choose one nobody guesses"));
            }
            if numbers.values().any(|other: &OtpCode| other.expose() == code.expose()) {
                return Err(format!("the code of {which} is another test number's: give each its own"));
            }
            if numbers.insert(phone.e164().to_owned(), code).is_some() {
                return Err(format!("{which} is listed twice"));
            }
        }
        Ok(Self(numbers))
    }

    /// Whether `e164` is a test number.
    pub fn holds(&self, e164: &str) -> bool {
        self.0.contains_key(e164)
    }

    /// Whether `code` is the code of the test number `e164` (compared in constant time); false
    /// for a number that is not one.
    pub fn accepts(&self, e164: &str, code: &OtpCode) -> bool {
        self.0.get(e164).is_some_and(|ours| bool::from(ours.expose().as_bytes().ct_eq(code.expose().as_bytes())))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for TestNumbers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TestNumbers({} numbers)", self.0.len())
    }
}

/// A JSON object's members as written: in their order (an error names an entry by its place),
/// and each one (a key written twice is not silently the last).
struct Pairs(Vec<(String, String)>);

impl<'de> serde::Deserialize<'de> for Pairs {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> serde::de::Visitor<'de> for Members {
            type Value = Pairs;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of number to code")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Pairs, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry()? {
                    pairs.push(pair);
                }
                Ok(Pairs(pairs))
            }
        }
        deserializer.deserialize_map(Members)
    }
}

/// One digit repeated (`000000`), or a run up or down (`123456`, `987654`, `890123` wrapping).
fn trivial(code: &str) -> bool {
    let digits: Vec<i16> = code.bytes().map(|b| i16::from(b - b'0')).collect();
    [0, 1, 9].into_iter().any(|step| digits.windows(2).all(|w| (w[1] - w[0]).rem_euclid(10) == step))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_numbers_set_aside_for_fiction_are_taken() {
        for fictional in ["+12015550100", "+14155550199", "+12125550150"] {
            assert!(is_fictional(fictional), "{fictional}");
        }
        for real in [
            "+12015550200", // 555-0200: outside the fictional hundred
            "+12015551234", // 555-1234
            "+14155550",
            "+1415555010012",
            "+447700900123", // Ofcom's drama mobile range: libphonenumber calls it invalid
            "+33612345678",
            "+12015550099",
        ] {
            assert!(!is_fictional(real), "{real}");
        }
    }

    #[test]
    fn a_list_of_fictional_numbers_with_good_codes_is_read() {
        let numbers = TestNumbers::parse(r#"{"+1 201 555 0123": "482916", "+12125550150": "305718"}"#, 6).unwrap();
        assert_eq!(numbers.len(), 2);
        assert!(numbers.holds("+12015550123") && numbers.holds("+12125550150"));
        assert!(numbers.accepts("+12015550123", &OtpCode::parse("482916", 6).unwrap()));
        assert!(!numbers.accepts("+12015550123", &OtpCode::parse("305718", 6).unwrap()), "another number's code");
        assert!(!numbers.accepts("+12015550124", &OtpCode::parse("482916", 6).unwrap()), "not a test number");
        assert_eq!(format!("{numbers:?}"), "TestNumbers(2 numbers)", "never a number or a code");
        assert!(TestNumbers::parse(" ", 6).unwrap().is_empty());
    }

    #[test]
    fn an_entry_is_named_by_its_place_as_written_and_codes_are_six_digits_or_more() {
        let err = TestNumbers::parse(r#"{"+19995550123": "482916", "+14155552671": "305718"}"#, 6).unwrap_err();
        assert!(err.starts_with("test number 1 is not a valid"), "the first as written: {err}");
        let err = TestNumbers::parse(r#"{"+12015550199": "305718", "+14155552671": "482916"}"#, 6).unwrap_err();
        assert!(err.starts_with("test number 2 is a number a person could hold"), "{err}");
        for short in [4, 5] {
            let code = "4829"[..].to_owned() + &"16"[..usize::from(short) - 4];
            let err = TestNumbers::parse(&format!(r#"{{"+12015550123": "{code}"}}"#), short).unwrap_err();
            assert!(err.contains("6 digits or more"), "{short}: {err}");
        }
        assert!(TestNumbers::parse(" ", 4).unwrap().is_empty(), "no test numbers: any code length");
    }

    #[test]
    fn a_real_number_a_trivial_code_or_a_malformed_list_stops_the_start_without_showing_them() {
        for (json, says) in [
            (r#"{"+14155552671": "482916"}"#, "a person could hold"),
            (r#"{"+33612345678": "482916"}"#, "a person could hold"),
            (r#"{"+447700900123": "482916"}"#, "not a valid phone number"),
            (r#"{"not a number": "482916"}"#, "not a valid phone number"),
            (r#"{"+12015550123": "48291"}"#, "must be 6 digits"),
            (r#"{"+12015550123": "000000"}"#, "one digit repeated or a run"),
            (r#"{"+12015550123": "123456"}"#, "one digit repeated or a run"),
            (r#"{"+12015550123": "654321"}"#, "one digit repeated or a run"),
            (r#"{"+12015550123": "890123"}"#, "one digit repeated or a run"),
            (r#"{"+12015550123": "482916", "+1 201 555 0123": "305718"}"#, "listed twice"),
            (r#"{"+12015550123": "482916", "+12015550124": "482916"}"#, "another test number's"),
            (r#"{"+12015550123": "482916", "+12015550123": "305718"}"#, "listed twice"),
            (r#"["+12015550199"]"#, "JSON object"),
        ] {
            let err = TestNumbers::parse(json, 6).unwrap_err();
            assert!(err.contains(says), "{json}: {err}");
            for secret in ["4155552671", "612345678", "2015550123", "7700900123", "482916", "305718"] {
                assert!(!err.contains(secret), "{json}: the error shows `{secret}`: {err}");
            }
        }
    }
}
