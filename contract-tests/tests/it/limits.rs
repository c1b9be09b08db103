//! The stack against AWS's published limits, in the largest configuration the docs allow:
//! - Lambda: all of a function's environment variables together at most 4 KB. Lambda measures
//!   the variables as one JSON object (its refusal names the "String measured"), so that is what
//!   is measured here, every character counted at its UTF-8 size.
//! - CloudFormation: a parameter's value at most 4,096 bytes.
//! - AWS WAF: a web ACL's rules at most 1,500 capacity units (WCUs) before AWS charges more
//!   (5,000 is the hard limit).
//!
//! Each parameter's largest value comes from the template's own constraints (`AllowedValues`,
//! `MaxValue`, `MaxLength`, and `AllowedPattern` for whether a character can take more than one
//! byte); each value resolved from the secret, from the bound docs/operate/settings.md gives it
//! ("Largest values"). A parameter or secret value with no bound fails the test.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::deployment::{environment_with, functions, read, starts, template, template_at};

const LAMBDA_ENVIRONMENT_BYTES: usize = 4 * 1024;
const PARAMETER_VALUE_BYTES: usize = 4096;
const WEB_ACL_CAPACITY: u64 = 1500;
/// CloudFormation's limit on a stack's name, and so on `${AWS::StackName}`.
const STACK_NAME_CHARACTERS: usize = 128;

/// A character that takes four bytes in UTF-8, for parameters whose pattern lets one through.
const WIDEST: char = '\u{1D11E}';

/// A 2048-bit RSA key in PKCS#8 PEM (RFC 9500's published test key).
const RSA_2048_PEM: &str = include_str!("../../../shared/tests/rfc9500-test-rsa2048.pem");

/// The largest value a parameter can be given.
fn largest_parameter(t: &Value, name: &str) -> String {
    let p = &t["Parameters"][name];
    assert!(p.is_object(), "no parameter {name}");
    if let Some(values) = p["AllowedValues"].as_array() {
        return values
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .max_by_key(String::len)
            .unwrap();
    }
    if p["Type"] == "Number" {
        return p["MaxValue"].as_u64().map_or_else(|| "9".repeat(20), |m| m.to_string());
    }
    let pattern = p["AllowedPattern"].as_str().unwrap_or_default();
    // The pattern's own bound (`{1,18}`), else MaxLength.
    let from_pattern =
        pattern.rsplit_once(",").and_then(|(_, tail)| tail.split_once('}')).and_then(|(n, _)| n.parse::<usize>().ok());
    let length = p["MaxLength"].as_u64().map(|n| usize::try_from(n).unwrap()).or(from_pattern);
    let length = length.unwrap_or_else(|| panic!("parameter {name} can grow without bound: give it a MaxLength"));
    // ASCII-only where the pattern says so: no negated class, no `.` outside a class, and every
    // class of ASCII characters (or printable ASCII, `[ -~]`).
    let mut ascii = !pattern.is_empty() && !pattern.contains("[^");
    let mut in_class = false;
    for c in pattern.chars() {
        match c {
            '[' => in_class = true,
            ']' => in_class = false,
            '.' if !in_class => ascii = false,
            c if !c.is_ascii() => ascii = false,
            _ => {}
        }
    }
    if ascii { "x".repeat(length) } else { WIDEST.to_string().repeat(length) }
}

/// Each value of the secret that reaches an environment, at the largest the docs allow: the table
/// under "Largest values" in docs/operate/settings.md (`| `NAME` | N bytes | … |`).
fn documented_secret_bounds() -> BTreeMap<String, usize> {
    let page = read("docs/operate/settings.md");
    let table = page.split("## Largest values").nth(1).expect("settings.md: a section \"Largest values\"");
    table
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let name = cells[1].trim_matches('`').to_owned();
            let bytes = cells[2].split_whitespace().next().unwrap().replace(',', "");
            (name, bytes.parse().unwrap_or_else(|_| panic!("settings.md: {l}")))
        })
        .collect()
}

/// The largest string an expression of the template can become, or None for `AWS::NoValue`.
fn largest(t: &Value, v: &Value, secrets: &BTreeMap<String, usize>) -> Option<String> {
    if let Some(s) = v.as_str() {
        return Some(s.to_owned());
    }
    if let Some([_, then, otherwise]) = v["Fn::If"].as_array().map(Vec::as_slice) {
        let options = [largest(t, then, secrets), largest(t, otherwise, secrets)];
        return options.into_iter().flatten().max_by_key(String::len);
    }
    if let Some(name) = v["Ref"].as_str() {
        return match name {
            "AWS::NoValue" => None,
            _ if t["Parameters"][name].is_object() => Some(largest_parameter(t, name)),
            // A table's generated name: the stack's, "-Table-" and 12 characters.
            "Table" => Some("x".repeat(STACK_NAME_CHARACTERS + 7 + 12)),
            other => panic!("no largest value for Ref {other}"),
        };
    }
    if let Some(sub) = v["Fn::Sub"].as_str() {
        if let Some(reference) = sub.strip_prefix("{{resolve:secretsmanager:").and_then(|r| r.strip_suffix("}}")) {
            let key = reference.rsplit(':').next().unwrap();
            let bytes = secrets.get(key).unwrap_or_else(|| {
                panic!("{key} reaches an environment from the secret with no bound in settings.md's \"Largest values\"")
            });
            // JSON values (TEST_NUMBERS) are escaped in the measured object: a quote in four.
            return Some("\"".repeat(bytes / 4) + &"x".repeat(bytes - bytes / 4));
        }
        let mut out = String::new();
        let mut rest = sub;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find('}').unwrap() + start;
            let name = &rest[start + 2..end];
            out.push_str(&match name {
                "AWS::StackName" => "x".repeat(STACK_NAME_CHARACTERS),
                "AWS::Region" => "ap-southeast-7".to_owned(),
                _ => largest(t, &serde_json::json!({"Ref": name}), secrets).unwrap(),
            });
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        return Some(out);
    }
    panic!("no largest value for {v}")
}

/// The JSON object Lambda measures, for a function at its largest.
fn largest_environment(
    t: &Value,
    function: &Value,
    secrets: &BTreeMap<String, usize>,
) -> serde_json::Map<String, Value> {
    let global = t["Globals"]["Function"]["Environment"]["Variables"].as_object();
    let own = function["Properties"]["Environment"]["Variables"].as_object();
    global
        .into_iter()
        .chain(own)
        .flatten()
        .filter_map(|(k, v)| largest(t, v, secrets).map(|v| (k.clone(), Value::String(v))))
        .collect()
}

#[test]
fn each_functions_environment_fits_lambdas_4_kb_at_its_largest() {
    let t = template();
    let secrets = documented_secret_bounds();
    for (binary, (name, f)) in functions(&t) {
        let environment = largest_environment(&t, f, &secrets);
        let measured = serde_json::to_string(&environment).unwrap().len();
        println!("{binary}: {measured} of {LAMBDA_ENVIRONMENT_BYTES} bytes of environment at its largest");
        assert!(
            measured <= LAMBDA_ENVIRONMENT_BYTES,
            "{name}: {measured} bytes of environment at its largest: {:?}",
            environment.iter().map(|(k, v)| (k, v.as_str().unwrap().len())).collect::<Vec<_>>()
        );
    }
}

#[test]
fn the_largest_environment_is_measured_as_lambda_measures_it() {
    // The measure fails where Lambda would: two 2048-bit RSA keys in the environment (a signing
    // key rotation, where the keys lived before) are over the limit by themselves.
    let t = template();
    let mut secrets = documented_secret_bounds();
    let two_rsa_keys = 2 * RSA_2048_PEM.len();
    assert!(two_rsa_keys > 3000, "{two_rsa_keys}");
    secrets.insert("PHONE_HASH_KEY".to_owned(), two_rsa_keys);
    let (_, verify) = functions(&t)["verify-otp"];
    let measured = serde_json::to_string(&largest_environment(&t, verify, &secrets)).unwrap().len();
    assert!(measured > LAMBDA_ENVIRONMENT_BYTES, "{measured}");
    // A character of a free-text parameter counts at its widest.
    assert_eq!(largest_parameter(&t, "Brand").len(), 18 * 4);
}

#[test]
fn every_parameter_value_fits_cloudformations_4096_bytes() {
    for path in ["template.yaml", "deploy/edge-firewall.yaml"] {
        let t = template_at(path);
        for name in t["Parameters"].as_object().unwrap().keys() {
            let bytes = largest_parameter(&t, name).len();
            assert!(bytes <= PARAMETER_VALUE_BYTES, "{path}: {name} may be {bytes} bytes");
        }
    }
}

/// Capacity units of a rule statement, as AWS WAF's developer guide gives them: a string match
/// that starts with, ends with or equals a string 2 (contains 10), plus 10 for each text
/// transformation other than NONE; a rate-based statement 2 plus its scope-down statement; a
/// logical statement the sum of what it holds; a managed rule group its fixed capacity (AWS's
/// list of its managed rule groups) plus its scope-down statement.
fn capacity(statement: &Value) -> u64 {
    if let Some(byte) = statement.get("ByteMatchStatement") {
        let base = match byte["PositionalConstraint"].as_str().unwrap() {
            "EXACTLY" | "STARTS_WITH" | "ENDS_WITH" => 2,
            _ => 10,
        };
        let transformations = byte["TextTransformations"].as_array().unwrap();
        return base + 10 * transformations.iter().filter(|x| x["Type"] != "NONE").count() as u64;
    }
    if let Some(rate) = statement.get("RateBasedStatement") {
        assert!(rate.get("CustomKeys").is_none(), "custom keys cost 30 each: count them");
        return 2 + rate.get("ScopeDownStatement").map_or(0, capacity);
    }
    for logical in ["OrStatement", "AndStatement"] {
        if let Some(inner) = statement.get(logical) {
            return inner["Statements"].as_array().unwrap().iter().map(capacity).sum();
        }
    }
    if let Some(not) = statement.get("NotStatement") {
        return capacity(&not["Statement"]);
    }
    if let Some(group) = statement.get("ManagedRuleGroupStatement") {
        let fixed = match group["Name"].as_str().unwrap() {
            "AWSManagedRulesAmazonIpReputationList" => 25,
            "AWSManagedRulesAnonymousIpList" => 50,
            other => panic!("the capacity of {other}: add it from AWS's list of managed rule groups"),
        };
        return fixed + group.get("ScopeDownStatement").map_or(0, capacity);
    }
    panic!("no capacity known for {statement}")
}

#[test]
fn the_web_acl_stays_within_1500_capacity_units() {
    let t = template_at("deploy/edge-firewall.yaml");
    let rules = t["Resources"]["WebAcl"]["Properties"]["Rules"].as_array().unwrap();
    let total: u64 = rules.iter().map(|r| capacity(&r["Statement"])).sum();
    println!("web ACL: {total} of {WEB_ACL_CAPACITY} capacity units");
    assert!(total <= WEB_ACL_CAPACITY, "{total} WCUs");
    // The arithmetic itself, on a rule of each kind.
    let rate = serde_json::json!({"RateBasedStatement": {"ScopeDownStatement": {"ByteMatchStatement": {
        "PositionalConstraint": "STARTS_WITH", "TextTransformations": [{"Type": "LOWERCASE"}]}}}});
    assert_eq!(capacity(&rate), 14);
}

/// Where the keys live now: the secret, read by verify-otp at cold start, holds at most 65,536
/// bytes (Secrets Manager's limit for a secret's value). At its largest the docs allow (two RSA
/// keys of a rotation beside an RSA key for RS256 and a P-256 key, a Vonage application key, the
/// most client registrations with their secrets, test numbers) it fits; and none of it is in an
/// environment.
#[test]
fn the_secret_holds_the_keys_at_their_largest() {
    use shared::adapters::sign_in_secret::{SECRET_LIMIT_BYTES, largest_documented_secret};
    let secret = largest_documented_secret();
    println!("the secret at its largest: {} of {SECRET_LIMIT_BYTES} bytes", secret.len());
    // The pages quote the figure: they are kept to it.
    let digits = secret.len().to_string();
    let figure = format!("{},{}", &digits[..digits.len() - 3], &digits[digits.len() - 3..]);
    for page in ["docs/operate/settings.md", "docs/operate/deploy.md"] {
        assert!(read(page).contains(&figure), "{page} does not quote the largest secret, {figure} bytes");
    }
    assert!(secret.len() <= SECRET_LIMIT_BYTES, "{} bytes", secret.len());
    let values: serde_json::Map<String, Value> = serde_json::from_str(&secret).unwrap();
    let keys = values["TOKEN_SIGNING_KEYS"].as_str().unwrap();
    assert!(keys.matches("BEGIN PRIVATE KEY").count() >= 3, "two keys of a rotation and the next");
    // At least as long as a real 2048-bit RSA key in PKCS#8 PEM (the file's PEM block).
    let real = &RSA_2048_PEM[RSA_2048_PEM.find("-----BEGIN").unwrap()..];
    assert!(values["VONAGE_APPLICATION_PRIVATE_KEY"].as_str().unwrap().len() >= real.len());
    let t = template();
    for (binary, (_, f)) in functions(&t) {
        let environment = largest_environment(&t, f, &documented_secret_bounds());
        for name in ["TOKEN_SIGNING_KEYS", "RELYING_PARTIES", "RELYING_PARTY_SECRETS", "VONAGE_APPLICATION_PRIVATE_KEY"]
        {
            assert!(!environment.contains_key(name), "{binary}: {name} in the environment");
        }
    }
}

/// A number parameter a function reads is bounded as the code bounds its setting: the template's
/// `MinValue` and `MaxValue` start the function, one past either stops it. A stack the template
/// accepts then never fails at its first cold start, nor refuses a value the code takes.
#[test]
fn each_number_parameter_a_function_reads_has_the_codes_bounds() {
    let t = template();
    let mut checked = Vec::new();
    for (binary, (name, f)) in functions(&t) {
        let own = f["Properties"]["Environment"]["Variables"].as_object().unwrap();
        let global = t["Globals"]["Function"]["Environment"]["Variables"].as_object().unwrap();
        for (var, value) in global.iter().chain(own) {
            // `!Ref P`, or `!If [C, !Ref P, !Ref AWS::NoValue]`.
            let (on, reference): (Vec<&str>, &Value) = match value["Fn::If"].as_array().map(Vec::as_slice) {
                Some([condition, then, _]) => (vec![condition.as_str().unwrap()], then),
                _ => (vec![], value),
            };
            let Some(parameter) = reference["Ref"].as_str() else { continue };
            let p = &t["Parameters"][parameter];
            if p["Type"] != "Number" {
                continue;
            }
            let (min, max) = (p["MinValue"].as_i64(), p["MaxValue"].as_i64());
            let (Some(min), Some(max)) = (min, max) else {
                panic!("{parameter} ({var}) needs a MinValue and a MaxValue: the code bounds it")
            };
            let mut env = environment_with(&t, f, &on);
            if let Some(issuer) = env.get_mut("TOKEN_ISSUER") {
                *issuer = "https://verify.example.com".into();
            }
            for (value, starts_with) in [(min, true), (max, true), (min - 1, false), (max + 1, false)] {
                env.insert(var.clone(), value.to_string());
                let started = starts(&t, &binary, &env);
                assert_eq!(started.is_ok(), starts_with, "{name}: {var}={value} ({parameter}): {started:?}");
                if let Err(e) = started {
                    assert!(e.contains(var.as_str()), "{name}: {var}={value} stops it with {e}");
                }
            }
            checked.push(format!("{binary} {var}"));
        }
    }
    println!("bounded as the code bounds them: {checked:?}");
    assert!(checked.iter().any(|c| c.ends_with("SIGN_IN_SESSION_SECONDS")), "{checked:?}");
}
