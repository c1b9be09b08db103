//! In front of the service: CORS, the CloudFront secret, and the bot check.

use super::*;

/// Cloudflare Turnstile, on when its secret key is set: where siteverify is, the site's
/// hostnames, and how long the check may take.
pub(super) fn bot_check<F: Fn(&str) -> Option<String>>(
    s: &Settings<F>,
) -> Result<Option<TurnstileSettings>, ConfigError> {
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
pub(super) fn is_turnstile_test_secret(secret: &str) -> bool {
    let b = secret.as_bytes();
    b.len() == 35 && b[0].is_ascii_digit() && b[1] == b'x' && b[2..33].iter().all(|c| *c == b'0') && &b[33..] == b"AA"
}

/// A URL whose host is this machine (a stand-in a test or the local server runs).
pub(super) fn is_loopback_url(url: &str) -> bool {
    let Some(host) = reqwest::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_owned)) else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Browser origins, and the secret CloudFront sends when deployed behind it.
pub(super) fn edge<F: Fn(&str) -> Option<String>>(s: &Settings<F>) -> Result<Edge, ConfigError> {
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
