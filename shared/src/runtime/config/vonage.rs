//! Vonage: which API, its credentials and the brand the SMS carries.

use super::*;

pub(super) fn vonage_api<F: Fn(&str) -> Option<String>>(s: &Settings<F>) -> Result<VonageApi, ConfigError> {
    match s.get("VONAGE_API").as_deref() {
        None | Some("v2") => Ok(VonageApi::V2),
        Some("legacy") => Ok(VonageApi::Legacy),
        Some(other) => Err(ConfigError::new("VONAGE_API", format!("must be `v2` or `legacy` (got `{other}`)"))),
    }
}

/// Where Vonage is, the credentials, the brand in the SMS, and the code's shape and lifetime.
pub(super) fn vonage<F: Fn(&str) -> Option<String>>(
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
