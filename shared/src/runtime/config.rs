//! Typed settings read once per cold start. Any missing or invalid value stops the start with one
//! line naming the variable and what it needs.

use std::time::Duration;

use secrecy::SecretString;

use crate::adapters::dynamo;
use crate::adapters::token_signer::TokenSigner;
use crate::adapters::turnstile::{DEFAULT_SITEVERIFY_URL, TurnstileSettings};
use crate::adapters::vonage::{VonageApi, VonageSettings};
use crate::domain::channel::VoiceCalls;
use crate::domain::limits::{NumberRules, UnverifiedBudget};
use crate::domain::otp_code::{MAX_CODE_LENGTH, MIN_CODE_LENGTH};
use crate::domain::phone::CountryAllowList;
use crate::domain::price::PriceTable;
use crate::domain::price::{MicroUsd, SpendLimit};
use crate::domain::relying_party::RelyingParties;
use crate::http::{Cors, Edge};
use crate::service::Policy;

pub const DEFAULT_VONAGE_BASE_URL: &str = "https://api.nexmo.com";
/// US dollars a day: a few hundred codes at the dearer prices, a few thousand at the usual ones.
const DEFAULT_DAILY_SPEND_LIMIT: &str = "50";

/// Characters Vonage refuses in a brand (its API answers 422 for them).
const BRAND_FORBIDDEN: &[char] = &['/', '{', '}', ':', '$'];
const BRAND_MAX_CHARS: usize = 18;
const PHONE_HASH_KEY_MIN_BYTES: usize = 32;
const ORIGIN_VERIFY_SECRET_MIN_BYTES: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration error: {variable} {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl ConfigError {
    fn new(variable: &'static str, problem: impl Into<String>) -> Self {
        Self { variable, problem: problem.into() }
    }
}

/// Everything the functions read from the environment, except where records are kept (see
/// [`StoreConfig`]), so that a local run can pick its store separately.
#[derive(Debug, Clone)]
pub struct Config {
    pub policy: Policy,
    pub allowed_countries: CountryAllowList,
    pub edge: Edge,
    pub vonage: VonageSettings,
    pub phone_hash_key: SecretString,
    /// The bot check before any SMS, when `TURNSTILE_SECRET_KEY` is set.
    pub bot_check: Option<TurnstileSettings>,
    /// Where the metrics go (`METRICS_NAMESPACE`; the template names one per stack).
    pub metrics_namespace: String,
}

/// The DynamoDB table that holds verifications, cooldowns and counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    pub table_name: String,
    /// The endpoint the SDK is given (`AWS_ENDPOINT_URL_DYNAMODB`) is a server on this machine:
    /// the tests', the local loop's or the benchmark's moto, never a deployment's (a FIPS or VPC
    /// endpoint is not on loopback).
    pub on_this_machine: bool,
}

/// Verification tokens, verify-otp's alone (request-otp never holds the signing key): on when
/// `TOKEN_ISSUER` is set.
#[derive(Debug)]
pub struct TokenConfig {
    pub signer: TokenSigner,
    pub relying_parties: RelyingParties,
}

/// The longest a token may live: long enough to carry it to a backend, short enough that a
/// leaked one is soon worthless.
const MAX_TOKEN_LIFETIME_SECONDS: u64 = 3600;

/// Reads settings from any source of `NAME -> value`; [`Config::from_env`] uses the process
/// environment, tests and the local server pass their own.
pub struct Settings<F>(F);

impl<F: Fn(&str) -> Option<String>> Settings<F> {
    pub fn new(lookup: F) -> Self {
        Self(lookup)
    }

    fn get(&self, name: &str) -> Option<String> {
        (self.0)(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    fn required(&self, name: &'static str) -> Result<String, ConfigError> {
        self.get(name).ok_or_else(|| ConfigError::new(name, "is required but not set"))
    }

    fn number<T>(&self, name: &'static str, default: T, range: std::ops::RangeInclusive<T>) -> Result<T, ConfigError>
    where
        T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
    {
        let Some(raw) = self.get(name) else { return Ok(default) };
        raw.parse::<T>().ok().filter(|v| range.contains(v)).ok_or_else(|| {
            ConfigError::new(
                name,
                format!("must be a whole number from {} to {} (got `{raw}`)", range.start(), range.end()),
            )
        })
    }
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_settings(&Settings::new(|name| std::env::var(name).ok()))
    }

    pub fn from_settings<F: Fn(&str) -> Option<String>>(s: &Settings<F>) -> Result<Self, ConfigError> {
        let api = vonage_api(s)?;
        let policy = policy(s, api)?;
        let vonage = vonage(s, api, &policy)?;
        let phone_hash_key = s.required("PHONE_HASH_KEY")?;
        if phone_hash_key.len() < PHONE_HASH_KEY_MIN_BYTES {
            return Err(ConfigError::new(
                "PHONE_HASH_KEY",
                format!("must be at least {PHONE_HASH_KEY_MIN_BYTES} characters (e.g. `openssl rand -hex 32`)"),
            ));
        }
        let allowed_countries = CountryAllowList::parse(&s.get("ALLOWED_COUNTRIES").unwrap_or_default())
            .map_err(|problem| ConfigError::new("ALLOWED_COUNTRIES", problem))?;
        Ok(Self {
            policy,
            allowed_countries,
            edge: edge(s)?,
            vonage,
            phone_hash_key: SecretString::from(phone_hash_key),
            bot_check: bot_check(s)?,
            metrics_namespace: metrics_namespace(s)?,
        })
    }
}

/// CloudWatch's rule for a namespace: 1 to 255 of letters, digits and `.-_/#:`, not `AWS/…`.
fn metrics_namespace<F: Fn(&str) -> Option<String>>(s: &Settings<F>) -> Result<String, ConfigError> {
    let namespace = s.get("METRICS_NAMESPACE").unwrap_or_else(|| crate::telemetry::metrics::DEFAULT_NAMESPACE.into());
    let valid = (1..=255).contains(&namespace.len())
        && namespace.bytes().all(|b| b.is_ascii_alphanumeric() || b".-_/#: ".contains(&b))
        && !namespace.starts_with("AWS/");
    if !valid {
        return Err(ConfigError::new(
            "METRICS_NAMESPACE",
            "must be 1 to 255 of letters, digits, spaces and `.-_/#:`, not starting with `AWS/`",
        ));
    }
    Ok(namespace)
}

fn vonage_api<F: Fn(&str) -> Option<String>>(s: &Settings<F>) -> Result<VonageApi, ConfigError> {
    match s.get("VONAGE_API").as_deref() {
        None | Some("v2") => Ok(VonageApi::V2),
        Some("legacy") => Ok(VonageApi::Legacy),
        Some(other) => Err(ConfigError::new("VONAGE_API", format!("must be `v2` or `legacy` (got `{other}`)"))),
    }
}

/// The limits: code length and lifetime (within what the Vonage API accepts), attempts, cooldown
/// and hourly caps.
fn policy<F: Fn(&str) -> Option<String>>(s: &Settings<F>, api: VonageApi) -> Result<Policy, ConfigError> {
    let code_length = s.number("OTP_CODE_LENGTH", 6u8, MIN_CODE_LENGTH..=MAX_CODE_LENGTH)?;
    if api == VonageApi::Legacy && ![4, 6].contains(&code_length) {
        return Err(ConfigError::new(
            "OTP_CODE_LENGTH",
            format!("must be 4 or 6 with VONAGE_API=legacy (got `{code_length}`)"),
        ));
    }
    // Vonage v2 keeps a code alive 15–900 s per step and v1 60–3600 s: both accept 60–900.
    let ttl_seconds = s.number("OTP_TTL_SECONDS", 300u32, 60..=900)?;
    let (voice, landlines_by_voice) = voice_calls(s, api, ttl_seconds)?;
    Ok(Policy {
        code_length,
        ttl_seconds,
        voice,
        landlines_by_voice,
        // Vonage ends a verification after three wrong codes, so a higher limit could never apply.
        max_attempts: s.number("OTP_MAX_ATTEMPTS", 3u32, 1..=3)?,
        number: number_rules(s)?,
        max_sends_per_ip_per_hour: s.number("OTP_MAX_SENDS_PER_IP_PER_HOUR", 20u32, 1..=1_000_000)?,
        range_budget: UnverifiedBudget {
            floor: s.number("OTP_RANGE_UNVERIFIED_FLOOR", 10u32, 1..=1_000_000)?,
            percent_of_verified: unverified_percent(s)?,
        },
        country_budget: UnverifiedBudget {
            floor: s.number("OTP_COUNTRY_UNVERIFIED_FLOOR", 25u32, 1..=10_000_000)?,
            percent_of_verified: unverified_percent(s)?,
        },
        counter_shards: s.number("OTP_COUNTER_SHARDS", 4u32, 1..=256)?,
        spend: spend_limit(s)?,
    })
}

/// When codes go by a call (`VOICE_CALLS`), and whether landlines may get them so
/// (`VOICE_FOR_LANDLINES`). Automatic calls come half-way through the code's life; v1 waits at
/// least 60 s between steps.
fn voice_calls<F: Fn(&str) -> Option<String>>(
    s: &Settings<F>,
    api: VonageApi,
    ttl_seconds: u32,
) -> Result<(VoiceCalls, bool), ConfigError> {
    let raw = s.get("VOICE_CALLS").unwrap_or_else(|| "on_request".into());
    let calls = VoiceCalls::parse(&raw).ok_or_else(|| {
        ConfigError::new("VOICE_CALLS", format!("must be `off`, `on_request` or `automatic` (got `{raw}`)"))
    })?;
    // The call comes at half the code's life, and the two halves make it whole: Vonage's v1 wants
    // `pin_expiry` an exact multiple of `next_event_wait`, and waits at least 60 s between steps.
    if calls == VoiceCalls::Automatic && ttl_seconds % 2 == 1 {
        return Err(ConfigError::new(
            "OTP_TTL_SECONDS",
            format!("must be an even number of seconds with VOICE_CALLS=automatic (got `{ttl_seconds}`)"),
        ));
    }
    if calls == VoiceCalls::Automatic && api == VonageApi::Legacy && ttl_seconds < 120 {
        return Err(ConfigError::new(
            "OTP_TTL_SECONDS",
            format!("must be at least 120 with VOICE_CALLS=automatic and VONAGE_API=legacy (got `{ttl_seconds}`)"),
        ));
    }
    let landlines = match s.get("VOICE_FOR_LANDLINES").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ConfigError::new("VOICE_FOR_LANDLINES", format!("must be `true` or `false` (got `{other}`)")));
        }
    };
    if landlines && !calls.allowed() {
        return Err(ConfigError::new("VOICE_FOR_LANDLINES", "must be `false` with VOICE_CALLS=off"));
    }
    Ok((calls, landlines))
}

fn unverified_percent<F: Fn(&str) -> Option<String>>(s: &Settings<F>) -> Result<u32, ConfigError> {
    s.number("OTP_UNVERIFIED_PERCENT_OF_VERIFIED", 100u32, 0..=10_000)
}

/// A number's gaps (the first, doubling after each code nobody entered, up to the longest) and
/// its caps per hour and per 24 hours. The daily cap is the most sends a number's item remembers.
fn number_rules<F: Fn(&str) -> Option<String>>(s: &Settings<F>) -> Result<NumberRules, ConfigError> {
    let first_gap_seconds = s.number("OTP_RESEND_COOLDOWN_SECONDS", 60u32, 0..=3600)?;
    let max_gap_seconds = s.number("OTP_MAX_RESEND_COOLDOWN_SECONDS", 3600u32, 0..=86_400)?;
    if max_gap_seconds < first_gap_seconds {
        return Err(ConfigError::new(
            "OTP_MAX_RESEND_COOLDOWN_SECONDS",
            format!("must be at least OTP_RESEND_COOLDOWN_SECONDS ({first_gap_seconds})"),
        ));
    }
    Ok(NumberRules {
        first_gap_seconds,
        max_gap_seconds,
        max_per_hour: s.number("OTP_MAX_SENDS_PER_NUMBER_PER_HOUR", 5u32, 1..=100)?,
        max_per_day: s.number("OTP_MAX_SENDS_PER_NUMBER_PER_DAY", 10u32, 1..=100)?,
    })
}

/// The day's spend budget in dollars, and the price tables with the operator's prices.
fn spend_limit<F: Fn(&str) -> Option<String>>(s: &Settings<F>) -> Result<SpendLimit, ConfigError> {
    let raw = s.get("OTP_DAILY_SPEND_LIMIT").unwrap_or_else(|| DEFAULT_DAILY_SPEND_LIMIT.to_owned());
    // A bound far above any real budget, and far below what would overflow a day's sums.
    let max = MicroUsd(1_000_000 * 1_000_000);
    let daily = MicroUsd::parse(&raw).filter(|d| d.0 > 0 && *d <= max).ok_or_else(|| {
        ConfigError::new(
            "OTP_DAILY_SPEND_LIMIT",
            format!("must be an amount in US dollars above 0 and at most {max}, e.g. 50 or 12.50 (got `{raw}`)"),
        )
    })?;
    let table = |name: &'static str, table: PriceTable| {
        table.with_overrides(&s.get(name).unwrap_or_default()).map_err(|problem| ConfigError::new(name, problem))
    };
    Ok(SpendLimit {
        daily,
        sms: table("OTP_SMS_PRICES", PriceTable::sms())?,
        voice: table("OTP_VOICE_PRICES", PriceTable::voice())?,
    })
}

/// Where Vonage is, the credentials, the brand in the SMS, and the code's shape and lifetime.
fn vonage<F: Fn(&str) -> Option<String>>(
    s: &Settings<F>,
    api: VonageApi,
    policy: &Policy,
) -> Result<VonageSettings, ConfigError> {
    let brand = s.required("VONAGE_BRAND")?;
    if brand.chars().count() > BRAND_MAX_CHARS || brand.contains(BRAND_FORBIDDEN) {
        return Err(ConfigError::new(
            "VONAGE_BRAND",
            format!("must be 1 to {BRAND_MAX_CHARS} characters without / {{ }} : $ (got `{brand}`)"),
        ));
    }
    let base_url = s.get("VONAGE_API_BASE_URL").unwrap_or_else(|| DEFAULT_VONAGE_BASE_URL.to_owned());
    let base_url = match reqwest::Url::parse(&base_url) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => {
            base_url.trim_end_matches('/').to_owned()
        }
        _ => {
            return Err(ConfigError::new("VONAGE_API_BASE_URL", format!("must be an http(s) URL (got `{base_url}`)")));
        }
    };
    Ok(VonageSettings {
        api,
        base_url,
        api_key: s.required("VONAGE_API_KEY")?,
        api_secret: SecretString::from(s.required("VONAGE_API_SECRET")?),
        brand,
        code_length: policy.code_length,
        ttl_seconds: policy.ttl_seconds,
        voice_calls: policy.voice,
        timeout: Duration::from_millis(s.number("VONAGE_TIMEOUT_MS", 5000u64, 100..=30_000)?),
    })
}

/// Cloudflare Turnstile, on when its secret key is set: where siteverify is, the site's
/// hostnames, and how long the check may take.
fn bot_check<F: Fn(&str) -> Option<String>>(s: &Settings<F>) -> Result<Option<TurnstileSettings>, ConfigError> {
    let Some(secret) = s.get("TURNSTILE_SECRET_KEY") else { return Ok(None) };
    let siteverify_url = s.get("TURNSTILE_SITEVERIFY_URL").unwrap_or_else(|| DEFAULT_SITEVERIFY_URL.to_owned());
    if !reqwest::Url::parse(&siteverify_url).is_ok_and(|url| matches!(url.scheme(), "http" | "https") && url.has_host())
    {
        return Err(ConfigError::new(
            "TURNSTILE_SITEVERIFY_URL",
            format!("must be an http(s) URL (got `{siteverify_url}`)"),
        ));
    }
    if is_turnstile_test_secret(&secret) && !is_loopback_url(&siteverify_url) {
        return Err(ConfigError::new(
            "TURNSTILE_SECRET_KEY",
            "is one of Cloudflare's public test secrets, which pass any token: use the widget's own \
             secret (a test secret is taken only with a siteverify stand-in on this machine)",
        ));
    }
    let hostnames = s.get("TURNSTILE_HOSTNAMES").unwrap_or_default();
    let hostnames: Vec<String> =
        hostnames.split(',').map(|h| h.trim().to_ascii_lowercase()).filter(|h| !h.is_empty()).collect();
    if let Some(bad) = hostnames.iter().find(|h| h.contains(['/', ':', ' '])) {
        return Err(ConfigError::new(
            "TURNSTILE_HOSTNAMES",
            format!("must be host names, e.g. verify.example.com (got `{bad}`)"),
        ));
    }
    Ok(Some(TurnstileSettings {
        secret: SecretString::from(secret),
        siteverify_url,
        hostnames,
        timeout: Duration::from_millis(s.number("TURNSTILE_TIMEOUT_MS", 3000u64, 100..=10_000)?),
    }))
}

/// Cloudflare's documented test secrets (`1x0000000000000000000000000000000AA` passes every
/// token, `2x…` fails it, `3x…` says it was spent): published, so they check nothing.
fn is_turnstile_test_secret(secret: &str) -> bool {
    let b = secret.as_bytes();
    b.len() == 35 && b[0].is_ascii_digit() && b[1] == b'x' && b[2..33].iter().all(|c| *c == b'0') && &b[33..] == b"AA"
}

/// A URL whose host is this machine (a stand-in a test or the local server runs).
fn is_loopback_url(url: &str) -> bool {
    let Some(host) = reqwest::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_owned)) else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Browser origins, and the secret CloudFront sends when deployed behind it.
fn edge<F: Fn(&str) -> Option<String>>(s: &Settings<F>) -> Result<Edge, ConfigError> {
    let cors = Cors::parse(&s.get("CORS_ALLOWED_ORIGINS").unwrap_or_default())
        .map_err(|problem| ConfigError::new("CORS_ALLOWED_ORIGINS", problem))?;
    let origin_secret = s.get("ORIGIN_VERIFY_SECRET");
    if origin_secret.as_ref().is_some_and(|secret| secret.len() < ORIGIN_VERIFY_SECRET_MIN_BYTES) {
        return Err(ConfigError::new(
            "ORIGIN_VERIFY_SECRET",
            format!("must be at least {ORIGIN_VERIFY_SECRET_MIN_BYTES} characters (e.g. `openssl rand -hex 32`)"),
        ));
    }
    Ok(Edge::new(cors, origin_secret.map(SecretString::from)))
}

impl StoreConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_settings(&Settings::new(|name| std::env::var(name).ok()))
    }

    pub fn from_settings<F: Fn(&str) -> Option<String>>(s: &Settings<F>) -> Result<Self, ConfigError> {
        let table_name = s.required("TABLE_NAME")?;
        let valid = (3..=255).contains(&table_name.len())
            && table_name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
        if !valid {
            return Err(ConfigError::new("TABLE_NAME", "must be 3 to 255 of a-z, A-Z, 0-9, `_`, `-`, `.`"));
        }
        Ok(Self { table_name, on_this_machine: dynamodb_on_this_machine(s) })
    }

    /// How long a DynamoDB call may take: the deployed bounds, or bounds against a hang only for a
    /// server on this machine (one Python process shared with every other test).
    pub fn timeouts(&self) -> aws_sdk_dynamodb::config::timeout::TimeoutConfig {
        if self.on_this_machine { dynamo::patient_timeouts() } else { dynamo::timeouts() }
    }
}

/// Whether `AWS_ENDPOINT_URL_DYNAMODB`, the endpoint the SDK reads, is on this machine.
pub fn dynamodb_on_this_machine<F: Fn(&str) -> Option<String>>(s: &Settings<F>) -> bool {
    s.get("AWS_ENDPOINT_URL_DYNAMODB").is_some_and(|url| is_loopback_url(&url))
}

impl TokenConfig {
    pub fn from_env() -> Result<Option<Self>, ConfigError> {
        Self::from_settings(&Settings::new(|name| std::env::var(name).ok()))
    }

    pub fn from_settings<F: Fn(&str) -> Option<String>>(s: &Settings<F>) -> Result<Option<Self>, ConfigError> {
        let Some(issuer) = s.get("TOKEN_ISSUER") else { return Ok(None) };
        if !reqwest::Url::parse(&issuer).is_ok_and(|url| matches!(url.scheme(), "https" | "http") && url.has_host()) {
            return Err(ConfigError::new(
                "TOKEN_ISSUER",
                format!("must be the service's URL, e.g. https://verify.example.com (got `{issuer}`)"),
            ));
        }
        let lifetime = s.number("TOKEN_LIFETIME_SECONDS", 300u64, 30..=MAX_TOKEN_LIFETIME_SECONDS)?;
        let keys = s.required("TOKEN_SIGNING_KEYS")?;
        let signer = TokenSigner::new(&keys, issuer.trim_end_matches('/'), Duration::from_secs(lifetime))
            .map_err(|problem| ConfigError::new("TOKEN_SIGNING_KEYS", problem))?;
        let relying_parties = RelyingParties::parse(&s.get("RELYING_PARTIES").unwrap_or_default())
            .map_err(|problem| ConfigError::new("RELYING_PARTIES", problem))?;
        Ok(Some(Self { signer, relying_parties }))
    }
}

#[cfg(test)]
mod tests {
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
        let vars: HashMap<String, String> =
            BASE.iter().chain(extra).map(|(k, v)| (k.to_string(), v.to_string())).collect();
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
                landlines_by_voice: false,
                max_attempts: 3,
                number: NumberRules { first_gap_seconds: 60, max_gap_seconds: 3600, max_per_hour: 5, max_per_day: 10 },
                max_sends_per_ip_per_hour: 20,
                range_budget: UnverifiedBudget { floor: 10, percent_of_verified: 100 },
                country_budget: UnverifiedBudget { floor: 25, percent_of_verified: 100 },
                counter_shards: 4,
                spend: SpendLimit { daily: MicroUsd(50_000_000), sms: PriceTable::sms(), voice: PriceTable::voice() },
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
        let key = TokenSigner::generate_pem();
        let on =
            tokens(&[("TOKEN_ISSUER", "https://verify.example.com/"), ("TOKEN_SIGNING_KEYS", &key)]).unwrap().unwrap();
        assert_eq!(on.signer.issuer(), "https://verify.example.com");
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("TOKEN_ISSUER", "https://v.example")], "TOKEN_SIGNING_KEYS"),
            (&[("TOKEN_ISSUER", "v.example"), ("TOKEN_SIGNING_KEYS", &key)], "TOKEN_ISSUER"),
            (&[("TOKEN_ISSUER", "https://v.example"), ("TOKEN_SIGNING_KEYS", "nope")], "TOKEN_SIGNING_KEYS"),
            (
                &[
                    ("TOKEN_ISSUER", "https://v.example"),
                    ("TOKEN_SIGNING_KEYS", &key),
                    ("TOKEN_LIFETIME_SECONDS", "86400"),
                ],
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
}
