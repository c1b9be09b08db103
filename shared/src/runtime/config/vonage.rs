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
    let application = match (s.get("VONAGE_APPLICATION_ID"), api) {
        (Some(id), VonageApi::V2) => {
            if !(1..=64).contains(&id.len()) || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                return Err(ConfigError::new(
                    "VONAGE_APPLICATION_ID",
                    format!("must be an application id (got `{id}`)"),
                ));
            }
            let key = s.required("VONAGE_PRIVATE_KEY")?;
            let jwt =
                ApplicationJwt::new(&id, &key).map_err(|problem| ConfigError::new("VONAGE_PRIVATE_KEY", problem))?;
            Some(std::sync::Arc::new(jwt))
        }
        _ => None,
    };
    // Key and secret: the legacy API's credentials, and v2's where there is no application.
    let (api_key, api_secret) = if application.is_some() {
        (s.get("VONAGE_API_KEY").unwrap_or_default(), s.get("VONAGE_API_SECRET").unwrap_or_default())
    } else {
        (s.required("VONAGE_API_KEY")?, s.required("VONAGE_API_SECRET")?)
    };
    let whatsapp_from = s.get("VONAGE_WHATSAPP_FROM");
    if let Some(from) = &whatsapp_from
        && !((1..=50).contains(&from.len()) && from.bytes().all(|b| b.is_ascii_digit()) && !from.starts_with('0'))
    {
        return Err(ConfigError::new(
            "VONAGE_WHATSAPP_FROM",
            format!("must be the WhatsApp Business number in E.164 digits without + or 00 (got `{from}`)"),
        ));
    }
    Ok(VonageSettings {
        api,
        base_url,
        api_key,
        api_secret: SecretString::from(api_secret),
        application,
        whatsapp_from,
        signature_secret: s.get("VONAGE_SIGNATURE_SECRET").map(SecretString::from),
        brand,
        code_length: policy.code_length,
        ttl_seconds: policy.ttl_seconds,
        voice_calls: policy.voice,
        timeout: Duration::from_millis(s.number("VONAGE_TIMEOUT_MS", 5000u64, 100..=30_000)?),
    })
}
