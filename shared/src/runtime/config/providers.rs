//! The second provider (AWS End User Messaging SMS and voice, off until an origination identity
//! is set), the order providers are tried in, and the host the texts name.

use super::*;

/// AWS End User Messaging's settings where `AWS_SMS_ORIGINATION_IDENTITY` is set; none else.
pub(super) fn aws_sms<F: Fn(&str) -> Option<String>>(
    s: &Settings<F>,
    policy: &Policy,
) -> Result<Option<AwsSmsSettings>, ConfigError> {
    let Some(identity) = s.get("AWS_SMS_ORIGINATION_IDENTITY") else {
        for name in ["AWS_SMS_PROTECT_CONFIGURATION_ID"] {
            if s.get(name).is_some() {
                return Err(ConfigError::new(
                    name,
                    "is set, but AWS_SMS_ORIGINATION_IDENTITY is not: the provider is off",
                ));
            }
        }
        return Ok(None);
    };
    // An ARN, a phone number's or pool's id, a sender ID or an E.164 number: AWS's pattern for
    // the member is `[A-Za-z0-9_:/+-]+`.
    let well_formed = (1..=256).contains(&identity.len())
        && identity.bytes().all(|b| b.is_ascii_alphanumeric() || b"_:/+-".contains(&b));
    if !well_formed {
        return Err(ConfigError::new(
            "AWS_SMS_ORIGINATION_IDENTITY",
            format!("must be the ARN or id of a phone number, sender ID or pool (got `{identity}`)"),
        ));
    }
    Ok(Some(AwsSmsSettings {
        origination_identity: identity,
        protect_configuration_id: s.get("AWS_SMS_PROTECT_CONFIGURATION_ID"),
        max_sms_price: policy.spend.aws_sms.clone(),
        max_call_price: policy.spend.aws_voice.clone(),
        timeout: Duration::from_millis(s.number("AWS_SMS_TIMEOUT_MS", 3000u64, 100..=30_000)?),
    }))
}

/// The order providers are tried in: `PROVIDER_ORDER` (Vonage, then AWS where it is on), and
/// `PROVIDER_ORDER_BY_COUNTRY` for countries of their own.
pub(super) fn provider_order<F: Fn(&str) -> Option<String>>(
    s: &Settings<F>,
    aws_on: bool,
) -> Result<ProviderOrder, ConfigError> {
    let configured: &[ProviderName] =
        if aws_on { &[ProviderName::Vonage, ProviderName::Aws] } else { &[ProviderName::Vonage] };
    let default = match s.get("PROVIDER_ORDER") {
        Some(text) => {
            ProviderOrder::parse_list(&text, configured).map_err(|p| ConfigError::new("PROVIDER_ORDER", p))?
        }
        None => configured.to_vec(),
    };
    ProviderOrder::new(default)
        .with_countries(&s.get("PROVIDER_ORDER_BY_COUNTRY").unwrap_or_default(), configured)
        .map_err(|p| ConfigError::new("PROVIDER_ORDER_BY_COUNTRY", p))
}

/// The page's host, which a text's last line names (`@host #code`): `CODE_MESSAGE_HOST`, or the
/// host of the first origin CORS allows.
pub(super) fn code_message_host<F: Fn(&str) -> Option<String>>(s: &Settings<F>) -> Result<Option<String>, ConfigError> {
    if let Some(host) = s.get("CODE_MESSAGE_HOST") {
        let valid = host.len() <= 253
            && host
                .split('.')
                .all(|l| (1..=63).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
        return if valid {
            Ok(Some(host.to_ascii_lowercase()))
        } else {
            Err(ConfigError::new(
                "CODE_MESSAGE_HOST",
                format!("must be a host name such as verify.example.com (got `{host}`)"),
            ))
        };
    }
    let first_origin = s.get("CORS_ALLOWED_ORIGINS").unwrap_or_default();
    let first_origin = first_origin.split(',').map(str::trim).find(|o| !o.is_empty());
    Ok(first_origin.and_then(|o| reqwest::Url::parse(o).ok()).and_then(|u| u.host_str().map(str::to_owned)))
}
