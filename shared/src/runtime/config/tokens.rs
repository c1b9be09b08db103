//! The OpenID Connect provider's settings ([`TokenConfig`], the sign-in part's): the issuer, the
//! tokens' lifetime, the keys, the relying parties and the session's lifetime.

use super::*;

/// The default of `SIGN_IN_MAX_FLOWS_PER_IP`: 30 in ten minutes. A person opens one or two (a
/// reload, a second try); a school or an office behind one address, 30 people starting to sign
/// in within the same ten minutes, each with a reload to spare at 15. An address past it is
/// writing flows, not signing people in.
pub(super) const DEFAULT_MAX_FLOWS_PER_IP: u32 = 30;

/// The default of `SIGN_IN_SESSION_SECONDS`: 8 hours, a working day. A session saves a person an
/// SMS (and the operator its price) on every sign-in after the first, to any of the operator's
/// applications; on a shared computer it lets the next person in as the first until it ends or
/// they sign out. Eight hours covers a day's use of one's own device and ends overnight.
pub(super) const DEFAULT_SESSION_SECONDS: u32 = 8 * 3600;
/// At most 30 days: "remember this device" as the providers offer it.
pub(super) const MAX_SESSION_SECONDS: u32 = 30 * 24 * 3600;

/// The longest an ID or access token may live: long enough for a relying party's back end to
/// check it and call userinfo, short enough that a leaked one is soon worthless.
pub(super) const MAX_TOKEN_LIFETIME_SECONDS: u64 = 3600;

impl TokenConfig {
    /// The Secrets Manager secret that holds the sign-in material ([`SECRET_HELD`]) when
    /// deployed: `SIGN_IN_SECRET_ID`, its name or ARN, read only with sign-in on. None: those
    /// settings come from the environment alone (`otp-local`, the tests).
    ///
    /// [`SECRET_HELD`]: crate::adapters::sign_in_secret::SECRET_HELD
    pub fn secret_id<F: Fn(&str) -> Option<String>>(s: &Settings<F>) -> Result<Option<String>, ConfigError> {
        if s.get("TOKEN_ISSUER").is_none() {
            return Ok(None);
        }
        secret_id_in(s, "SIGN_IN_SECRET_ID")
    }

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
            .map_err(|problem| ConfigError::new("RELYING_PARTIES", problem))?
            .with_secrets(&s.get("RELYING_PARTY_SECRETS").unwrap_or_default())
            .map_err(|problem| ConfigError::new("RELYING_PARTY_SECRETS", problem))?;
        // At most 1,000: the window's item holds each flow's id (about 33 bytes), and each flow
        // rewrites it, at a write unit per KB (33 units a flow at 1,000, 1 at the default).
        let max_flows_per_ip = s.number("SIGN_IN_MAX_FLOWS_PER_IP", DEFAULT_MAX_FLOWS_PER_IP, 1..=1_000)?;
        let session = s.number("SIGN_IN_SESSION_SECONDS", DEFAULT_SESSION_SECONDS, 300..=MAX_SESSION_SECONDS)?;
        if !signer.signs("RS256") {
            return Err(ConfigError::new(
                "TOKEN_SIGNING_KEYS",
                "holds no RSA key: ID tokens are RS256 unless a client registers ES256, and OpenID Connect \
                 Discovery requires RS256 (make one with `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`)",
            ));
        }
        if let Some(client) = relying_parties.iter().find(|c| !signer.signs(&c.id_token_signed_response_alg)) {
            return Err(ConfigError::new(
                "TOKEN_SIGNING_KEYS",
                format!(
                    "holds no key for {}, which client `{}` registers as its idTokenSignedResponseAlg",
                    client.id_token_signed_response_alg, client.client_id
                ),
            ));
        }
        let session_lifetime = time::Duration::seconds(i64::from(session));
        Ok(Some(Self { signer, relying_parties, max_flows_per_ip, session_lifetime }))
    }
}

/// The Vonage secret (`VONAGE_SECRET_ID`, its name or ARN), whose settings ([`VONAGE_HELD`])
/// both functions read once per cold start; none where the environment holds them all
/// (`otp-local`, the tests).
///
/// [`VONAGE_HELD`]: crate::adapters::sign_in_secret::VONAGE_HELD
pub fn vonage_secret_id<F: Fn(&str) -> Option<String>>(s: &Settings<F>) -> Result<Option<String>, ConfigError> {
    secret_id_in(s, "VONAGE_SECRET_ID")
}

fn secret_id_in<F: Fn(&str) -> Option<String>>(
    s: &Settings<F>,
    variable: &'static str,
) -> Result<Option<String>, ConfigError> {
    let Some(id) = s.get(variable) else { return Ok(None) };
    let valid = id.len() <= 2048 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"/_+=.@-:".contains(&b));
    if !valid {
        return Err(ConfigError::new(
            variable,
            "must be a Secrets Manager secret's name or ARN (letters, digits and /_+=.@-:)",
        ));
    }
    Ok(Some(id))
}
