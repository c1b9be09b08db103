//! Typed settings read once per cold start. Any missing or invalid value stops the start with one
//! line naming the variable and what it needs. This file reads them all into [`Config`]; each
//! section has a file: [`policy`] (the rules on sending), [`vonage`], [`edge`] (CORS, CloudFront,
//! the bot check), [`store`] (the table) and [`tokens`].

use std::time::Duration;

use secrecy::SecretString;

use crate::adapters::aws_sms::AwsSmsSettings;
use crate::adapters::dynamo;
use crate::adapters::turnstile::{DEFAULT_SITEVERIFY_URL, TurnstileSettings};
use crate::adapters::vonage::{ApplicationJwt, VonageApi, VonageSettings};
use crate::domain::channel::{Channel, Channels, VoiceCalls};
use crate::domain::limits::{NumberRules, UnverifiedBudget};
use crate::domain::otp_code::{MAX_CODE_LENGTH, MIN_CODE_LENGTH};
use crate::domain::phone::CountryAllowList;
use crate::domain::price::PriceTable;
use crate::domain::price::{MicroUsd, SpendLimit};
use crate::domain::provider::{ProviderName, ProviderOrder};
use crate::domain::test_numbers::TestNumbers;
use crate::http::{Cors, Edge};
use crate::service::Policy;
use crate::sign_in::domain::client::RelyingParties;
use crate::sign_in::domain::tokens::TokenSigner;

mod edge;
mod policy;
mod providers;
mod store;
#[cfg(test)]
mod tests;
mod tokens;
mod vonage;

use self::edge::*;
use self::policy::*;
use self::providers::*;
pub use self::store::{StoreConfig, dynamodb_on_this_machine};
pub use self::tokens::vonage_secret_id;
use self::vonage::*;
pub use crate::sign_in::service::TokenConfig;

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
    /// The second provider, where `AWS_SMS_ORIGINATION_IDENTITY` turns it on.
    pub aws_sms: Option<AwsSmsSettings>,
    /// The order providers are tried in, by country.
    pub provider_order: ProviderOrder,
    /// The page's host, named on a text's last line (`@host #code`), where known.
    pub code_message_host: Option<String>,
    pub phone_hash_key: SecretString,
    /// The bot check before any SMS, when `TURNSTILE_SECRET_KEY` is set.
    pub bot_check: Option<TurnstileSettings>,
    /// Where the metrics go (`METRICS_NAMESPACE`; the template names one per stack).
    pub metrics_namespace: String,
}

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
        let aws_sms = aws_sms(s, &policy)?;
        let provider_order = provider_order(s, aws_sms.is_some())?;
        let allowed_countries = CountryAllowList::parse(&s.get("ALLOWED_COUNTRIES").unwrap_or_default())
            .map_err(|problem| ConfigError::new("ALLOWED_COUNTRIES", problem))?;
        Ok(Self {
            policy,
            allowed_countries,
            edge: edge(s)?,
            vonage,
            aws_sms,
            provider_order,
            code_message_host: code_message_host(s)?,
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
