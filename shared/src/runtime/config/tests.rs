//! Every setting: its default, its bounds, and the one line a bad one stops the start with.

use std::collections::HashMap;

use secrecy::ExposeSecret;

use super::*;

const BASE: &[(&str, &str)] = &[
    ("VONAGE_API_KEY", "key"),
    ("VONAGE_API_SECRET", "secret"),
    ("VONAGE_BRAND", "ACME"),
    ("PHONE_HASH_KEY", "0123456789abcdef0123456789abcdef"),
];

fn load(extra: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let vars: HashMap<String, String> = BASE.iter().chain(extra).map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Config::from_settings(&Settings::new(move |k| vars.get(k).cloned()))
}

#[test]
fn defaults_match_the_documented_ones() {
    let config = load(&[]).unwrap();
    assert_eq!(
        config.policy,
        Policy {
            code_length: 6,
            ttl_seconds: 300,
            voice: VoiceCalls::OnRequest,
            channels: Channels::default(),
            landlines_by_voice: false,
            max_attempts: 3,
            number: NumberRules { first_gap_seconds: 60, max_gap_seconds: 3600, max_per_hour: 5, max_per_day: 10 },
            max_sends_per_ip_per_hour: 20,
            range_budget: UnverifiedBudget { floor: 10, percent_of_verified: 100 },
            country_budget: UnverifiedBudget { floor: 25, percent_of_verified: 100 },
            counter_shards: 4,
            spend: SpendLimit {
                daily: MicroUsd(50_000_000),
                sms: PriceTable::sms(),
                voice: PriceTable::voice(),
                whatsapp: PriceTable::whatsapp(),
                aws_sms: PriceTable::aws_sms(),
                aws_voice: PriceTable::aws_voice(),
            },
            test_numbers: TestNumbers::default(),
        }
    );
    assert_eq!(config.vonage.api, VonageApi::V2);
    assert_eq!(config.vonage.base_url, "https://api.nexmo.com");
    assert_eq!(config.vonage.timeout, Duration::from_millis(5000));
    assert_eq!(config.vonage.api_secret.expose_secret(), "secret");
    assert!(config.allowed_countries.is_unrestricted());
    assert!(config.bot_check.is_none(), "no bot check unless its secret is set");
    let on = load(&[("TURNSTILE_SECRET_KEY", "s3cret"), ("TURNSTILE_HOSTNAMES", "Verify.Example.com, b.example")])
        .unwrap()
        .bot_check
        .unwrap();
    assert_eq!(on.siteverify_url, "https://challenges.cloudflare.com/turnstile/v0/siteverify");
    assert_eq!(on.hostnames, ["verify.example.com", "b.example"]);
    assert_eq!(on.timeout, Duration::from_millis(3000));
    // A public test secret, with a siteverify stand-in on this machine (tests, the local server).
    for stand_in in ["http://127.0.0.1:4010/siteverify", "http://localhost:9/x", "http://[::1]:8/x"] {
        let test_secret = [("TURNSTILE_SECRET_KEY", "1x0000000000000000000000000000000AA")];
        load(&[test_secret[0], ("TURNSTILE_SITEVERIFY_URL", stand_in)]).expect(stand_in);
    }
}

/// Patient bounds for moto on loopback only: a FIPS or VPC endpoint of DynamoDB is not one.
#[test]
fn only_a_dynamodb_endpoint_on_this_machine_is_waited_on_patiently() {
    for (endpoint, local) in [
        (None, false),
        (Some("https://dynamodb-fips.us-east-1.amazonaws.com"), false),
        (Some("https://vpce-1a2b.dynamodb.us-east-1.vpce.amazonaws.com"), false),
        (Some("http://127.0.0.1.nip.io:8000"), false),
        (Some("http://127.0.0.1:8000"), true),
        (Some("http://localhost:8000"), true),
    ] {
        let lookup = |name: &str| match name {
            "TABLE_NAME" => Some("verifications".to_owned()),
            "AWS_ENDPOINT_URL_DYNAMODB" => endpoint.map(str::to_owned),
            _ => None,
        };
        let store = StoreConfig::from_settings(&Settings::new(lookup)).unwrap();
        assert_eq!(store.on_this_machine, local, "{endpoint:?}");
        let expected = if local { dynamo::patient_timeouts() } else { dynamo::timeouts() };
        assert_eq!(store.timeouts().operation_timeout(), expected.operation_timeout(), "{endpoint:?}");
    }
}

#[test]
fn each_bad_setting_is_named() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("OTP_CODE_LENGTH", "3")], "OTP_CODE_LENGTH"),
        (&[("OTP_CODE_LENGTH", "six")], "OTP_CODE_LENGTH"),
        (&[("OTP_CODE_LENGTH", "8"), ("VONAGE_API", "legacy")], "OTP_CODE_LENGTH"),
        (&[("OTP_TTL_SECONDS", "30")], "OTP_TTL_SECONDS"),
        (&[("OTP_MAX_ATTEMPTS", "0")], "OTP_MAX_ATTEMPTS"),
        (&[("OTP_MAX_ATTEMPTS", "5")], "OTP_MAX_ATTEMPTS"),
        (&[("OTP_RESEND_COOLDOWN_SECONDS", "-1")], "OTP_RESEND_COOLDOWN_SECONDS"),
        (&[("OTP_MAX_SENDS_PER_NUMBER_PER_HOUR", "0")], "OTP_MAX_SENDS_PER_NUMBER_PER_HOUR"),
        (&[("OTP_MAX_SENDS_PER_IP_PER_HOUR", "x")], "OTP_MAX_SENDS_PER_IP_PER_HOUR"),
        (&[("OTP_MAX_SENDS_PER_NUMBER_PER_DAY", "101")], "OTP_MAX_SENDS_PER_NUMBER_PER_DAY"),
        (
            &[("OTP_RESEND_COOLDOWN_SECONDS", "600"), ("OTP_MAX_RESEND_COOLDOWN_SECONDS", "300")],
            "OTP_MAX_RESEND_COOLDOWN_SECONDS",
        ),
        (&[("OTP_RANGE_UNVERIFIED_FLOOR", "0")], "OTP_RANGE_UNVERIFIED_FLOOR"),
        (&[("OTP_COUNTRY_UNVERIFIED_FLOOR", "many")], "OTP_COUNTRY_UNVERIFIED_FLOOR"),
        (&[("OTP_UNVERIFIED_PERCENT_OF_VERIFIED", "-5")], "OTP_UNVERIFIED_PERCENT_OF_VERIFIED"),
        (&[("OTP_COUNTER_SHARDS", "0")], "OTP_COUNTER_SHARDS"),
        (&[("OTP_DAILY_SPEND_LIMIT", "0")], "OTP_DAILY_SPEND_LIMIT"),
        (&[("OTP_DAILY_SPEND_LIMIT", "$50")], "OTP_DAILY_SPEND_LIMIT"),
        (&[("OTP_SMS_PRICES", "GB:0.05")], "OTP_SMS_PRICES"),
        (&[("OTP_VOICE_PRICES", "*=free")], "OTP_VOICE_PRICES"),
        // Past the bound: it would overflow the spend's arithmetic.
        (&[("OTP_VOICE_PRICES", "*=9223372036854.775808")], "OTP_VOICE_PRICES"),
        (&[("OTP_SMS_PRICES", "GB=10.01")], "OTP_SMS_PRICES"),
        (&[("OTP_DAILY_SPEND_LIMIT", "18446744073709.551615")], "OTP_DAILY_SPEND_LIMIT"),
        (&[("VOICE_CALLS", "sometimes")], "VOICE_CALLS"),
        (&[("VOICE_FOR_LANDLINES", "yes")], "VOICE_FOR_LANDLINES"),
        (&[("VOICE_FOR_LANDLINES", "true"), ("VOICE_CALLS", "off")], "VOICE_FOR_LANDLINES"),
        (&[("VOICE_CALLS", "automatic"), ("VONAGE_API", "legacy"), ("OTP_TTL_SECONDS", "100")], "OTP_TTL_SECONDS"),
        (&[("VOICE_CALLS", "automatic"), ("OTP_TTL_SECONDS", "301")], "OTP_TTL_SECONDS"),
        (&[("TURNSTILE_SECRET_KEY", "x"), ("TURNSTILE_SITEVERIFY_URL", "challenges")], "TURNSTILE_SITEVERIFY_URL"),
        (&[("TURNSTILE_SECRET_KEY", "x"), ("TURNSTILE_HOSTNAMES", "https://a.example")], "TURNSTILE_HOSTNAMES"),
        (&[("TURNSTILE_SECRET_KEY", "x"), ("TURNSTILE_TIMEOUT_MS", "0")], "TURNSTILE_TIMEOUT_MS"),
        // Cloudflare's public test secrets, against the real siteverify: no bot check at all.
        (&[("TURNSTILE_SECRET_KEY", "1x0000000000000000000000000000000AA")], "TURNSTILE_SECRET_KEY"),
        (
            &[
                ("TURNSTILE_SECRET_KEY", "3x0000000000000000000000000000000AA"),
                ("TURNSTILE_SITEVERIFY_URL", "https://127.0.0.1.nip.io/siteverify"),
            ],
            "TURNSTILE_SECRET_KEY",
        ),
        (&[("VONAGE_BRAND", "A/B")], "VONAGE_BRAND"),
        (&[("VONAGE_BRAND", "ABCDEFGHIJKLMNOPQRS")], "VONAGE_BRAND"),
        (&[("VONAGE_BRAND", "  ")], "VONAGE_BRAND"),
        (&[("VONAGE_API", "v3")], "VONAGE_API"),
        (&[("VONAGE_API_BASE_URL", "ftp://x")], "VONAGE_API_BASE_URL"),
        (&[("VONAGE_TIMEOUT_MS", "0")], "VONAGE_TIMEOUT_MS"),
        (&[("PHONE_HASH_KEY", "short")], "PHONE_HASH_KEY"),
        (&[("ORIGIN_VERIFY_SECRET", "short")], "ORIGIN_VERIFY_SECRET"),
        (&[("ALLOWED_COUNTRIES", "US,Narnia")], "ALLOWED_COUNTRIES"),
        (&[("CORS_ALLOWED_ORIGINS", "https://a.example/path")], "CORS_ALLOWED_ORIGINS"),
        (&[("OTP_CHANNELS", "sms,telegram")], "OTP_CHANNELS"),
        (&[("OTP_CHANNELS", "sms,sms")], "OTP_CHANNELS"),
        (&[("OTP_CHANNELS", "whatsapp,sms")], "OTP_CHANNELS"),
        (
            &[("OTP_CHANNELS", "whatsapp"), ("VONAGE_WHATSAPP_FROM", "14155550100"), ("VONAGE_API", "legacy")],
            "OTP_CHANNELS",
        ),
        (&[("OTP_CHANNELS", "voice,sms"), ("VONAGE_API", "legacy")], "OTP_CHANNELS"),
        (&[("OTP_CHANNELS", "voice"), ("VOICE_CALLS", "off")], "OTP_CHANNELS"),
        (&[("OTP_WHATSAPP_PRICES", "GB=cheap")], "OTP_WHATSAPP_PRICES"),
        (&[("VONAGE_WHATSAPP_FROM", "+14155550100")], "VONAGE_WHATSAPP_FROM"),
        (&[("VONAGE_APPLICATION_ID", "app id")], "VONAGE_APPLICATION_ID"),
        (&[("VONAGE_APPLICATION_ID", "a1b2")], "VONAGE_PRIVATE_KEY"),
        (&[("VONAGE_APPLICATION_ID", "a1b2"), ("VONAGE_PRIVATE_KEY", "not a key")], "VONAGE_PRIVATE_KEY"),
    ];
    for (vars, variable) in cases {
        let err = load(vars).unwrap_err();
        assert_eq!(err.variable, *variable, "{vars:?}");
        assert!(err.to_string().starts_with(&format!("configuration error: {variable} ")), "{err}");
    }
}

#[test]
fn tokens_are_on_with_an_issuer_and_then_need_a_key() {
    let tokens = |vars: &[(&str, &str)]| {
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        TokenConfig::from_settings(&Settings::new(move |k| vars.get(k).cloned()))
    };
    assert!(tokens(&[]).unwrap().is_none());
    let ec = TokenSigner::generate_pem();
    let key = format!("{}{ec}", include_str!("../../../tests/rfc9500-test-rsa2048.pem"));
    let on = tokens(&[("TOKEN_ISSUER", "https://verify.example.com/"), ("TOKEN_SIGNING_KEYS", &key)]).unwrap().unwrap();
    assert_eq!(on.signer.issuer(), "https://verify.example.com");
    assert_eq!(on.session_lifetime, time::Duration::hours(8));
    // OpenID Connect Discovery §3: RS256 must be offered, so an RSA key must be held.
    let no_rsa = tokens(&[("TOKEN_ISSUER", "https://v.example"), ("TOKEN_SIGNING_KEYS", &ec)]).unwrap_err();
    assert_eq!(no_rsa.variable, "TOKEN_SIGNING_KEYS");
    assert!(no_rsa.to_string().contains("no RSA key"), "{no_rsa}");
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("TOKEN_ISSUER", "https://v.example")], "TOKEN_SIGNING_KEYS"),
        (&[("TOKEN_ISSUER", "v.example"), ("TOKEN_SIGNING_KEYS", &key)], "TOKEN_ISSUER"),
        (&[("TOKEN_ISSUER", "https://v.example"), ("TOKEN_SIGNING_KEYS", "nope")], "TOKEN_SIGNING_KEYS"),
        (
            &[("TOKEN_ISSUER", "https://v.example"), ("TOKEN_SIGNING_KEYS", &key), ("TOKEN_LIFETIME_SECONDS", "86400")],
            "TOKEN_LIFETIME_SECONDS",
        ),
        (
            &[("TOKEN_ISSUER", "https://v.example"), ("TOKEN_SIGNING_KEYS", &key), ("RELYING_PARTIES", "[1]")],
            "RELYING_PARTIES",
        ),
    ];
    for (vars, variable) in cases {
        assert_eq!(tokens(vars).unwrap_err().variable, *variable, "{vars:?}");
    }
    let err = tokens(&[
        ("TOKEN_ISSUER", "https://v.example"),
        ("TOKEN_SIGNING_KEYS", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"),
    ])
    .unwrap_err();
    assert!(!err.to_string().contains("AAAA"), "no key material in the error: {err}");
}

#[test]
fn an_application_replaces_key_and_secret_on_v2_and_a_ladder_needs_its_senders() {
    let key = include_str!("../../../tests/rfc9500-test-rsa2048.pem");
    let vars: HashMap<&str, &str> = [
        ("VONAGE_BRAND", "ACME"),
        ("PHONE_HASH_KEY", "0123456789abcdef0123456789abcdef"),
        ("VONAGE_APPLICATION_ID", "aaaaaaaa-bbbb-cccc-dddd-0123456789ab"),
        ("VONAGE_PRIVATE_KEY", key),
        ("VONAGE_SIGNATURE_SECRET", "signed-by-vonage"),
        ("VONAGE_WHATSAPP_FROM", "14155550100"),
        ("OTP_CHANNELS", "whatsapp, sms, voice"),
    ]
    .into();
    let config = Config::from_settings(&Settings::new(|k| vars.get(k).map(|v| (*v).to_owned()))).unwrap();
    let application = config.vonage.application.as_ref().map(|jwt| jwt.application_id());
    assert_eq!(application, Some("aaaaaaaa-bbbb-cccc-dddd-0123456789ab"), "no key or secret needed");
    assert_eq!(config.vonage.whatsapp_from.as_deref(), Some("14155550100"));
    assert_eq!(
        config.vonage.signature_secret.as_ref().map(|s| s.expose_secret().to_owned()),
        Some("signed-by-vonage".into())
    );
    assert_eq!(config.policy.channels, Channels::parse("whatsapp,sms,voice").unwrap());
    assert!(!format!("{:?}", config.vonage).contains("signed-by-vonage"), "the secret is never printed");
    // The legacy API has no application: key and secret, as before.
    let legacy = Config::from_settings(&Settings::new(|k| match k {
        "VONAGE_API" => Some("legacy".to_owned()),
        "OTP_CHANNELS" => None,
        _ => vars.get(k).map(|v| (*v).to_owned()),
    }));
    assert_eq!(legacy.unwrap_err().variable, "VONAGE_API_KEY");
}

#[test]
fn missing_required_settings_are_named() {
    let err = Config::from_settings(&Settings::new(|_| None)).unwrap_err();
    assert_eq!(err.to_string(), "configuration error: VONAGE_BRAND is required but not set");
    let err = StoreConfig::from_settings(&Settings::new(|_| None)).unwrap_err();
    assert_eq!(err.variable, "TABLE_NAME");
}

#[test]
fn secrets_never_appear_in_errors_or_debug() {
    let origin_secret = "origin-secret-".repeat(3);
    let config = load(&[
        ("VONAGE_API_SECRET", "topsecretvalue"),
        ("ORIGIN_VERIFY_SECRET", &origin_secret),
        ("TURNSTILE_SECRET_KEY", "turnstile-secret-value"),
    ])
    .unwrap();
    assert!(!format!("{config:?}").contains("turnstile-secret-value"));
    assert!(!format!("{config:?}").contains("topsecretvalue"));
    assert!(!format!("{config:?}").contains("origin-secret"));
    assert!(!format!("{config:?}").contains("0123456789abcdef0123456789abcdef"));
    let err = load(&[("PHONE_HASH_KEY", "tooshortsecret")]).unwrap_err();
    assert!(!err.to_string().contains("tooshortsecret"));
}

#[test]
fn test_numbers_are_off_by_default_and_a_real_number_stops_the_start_unnamed() {
    assert!(load(&[]).unwrap().policy.test_numbers.is_empty());
    let on = load(&[("TEST_NUMBERS", r#"{"+12015550123": "482916"}"#)]).unwrap();
    assert_eq!(on.policy.test_numbers.len(), 1);
    assert!(!format!("{on:?}").contains("482916") && !format!("{on:?}").contains("2015550123"));
    let err = load(&[("TEST_NUMBERS", r#"{"+14155552671": "482916"}"#)]).unwrap_err();
    assert_eq!(err.variable, "TEST_NUMBERS");
    assert!(!err.to_string().contains("4155552671") && !err.to_string().contains("482916"), "{err}");
    let err = load(&[("OTP_CODE_LENGTH", "8"), ("TEST_NUMBERS", r#"{"+12015550123": "482916"}"#)]).unwrap_err();
    assert!(err.to_string().contains("8 digits"), "the code length is the configured one: {err}");
}
