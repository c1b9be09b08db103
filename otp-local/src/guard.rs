//! What every answer goes through: requests only to a loopback name (against DNS rebinding), the
//! security headers and Content-Security-Policy CloudFront sends, and a panic answered with JSON.

use super::*;
use crate::api::from_lambda;

/// The page's Content-Security-Policy, as CloudFront sends it in the deployment
/// (`SecurityHeadersPolicy` in template.yaml, kept equal by a test), sent here too so that the page
/// is developed and tested under the policy it is served with.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// The same with the bot check on: the Turnstile widget's script and frame, from Cloudflare (what
/// Cloudflare documents the widget to need, and nothing more).
pub const CONTENT_SECURITY_POLICY_WITH_TURNSTILE: &str = "default-src 'none'; \
     script-src 'self' https://challenges.cloudflare.com; frame-src https://challenges.cloudflare.com; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; manifest-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// The other response headers CloudFront adds. HSTS is left to the deployment: this server speaks
/// plain HTTP.
pub const SECURITY_HEADERS: &[(&str, &str)] =
    &[("x-content-type-options", "nosniff"), ("x-frame-options", "DENY"), ("referrer-policy", "no-referrer")];

/// What every answer of the local server goes through: only requests addressed to a loopback name
/// are served, a panic anywhere inside is answered with the API's 500 JSON (the connection is not
/// dropped), and the deployment's security headers are added, with `policy` as the
/// Content-Security-Policy.
pub fn guard(router: Router, policy: &'static str) -> Router {
    router
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panic_answer))
        .layer(axum::middleware::from_fn(loopback_hosts_only))
        .layer(axum::middleware::map_response_with_state(policy, with_security_headers))
}

/// A page on any site can point a name of its own at 127.0.0.1 (DNS rebinding) and then call
/// this server as its own origin, reading the simulated codes or sending SMS through the
/// developer's Vonage account. Such a request carries that site's name in `Host`: only loopback
/// names are answered (`localhost` and `*.localhost`, which browsers never resolve elsewhere,
/// and loopback addresses).
pub(crate) async fn loopback_hosts_only(req: Request, next: axum::middleware::Next) -> Response {
    let host = req.headers().get(axum::http::header::HOST).and_then(|h| h.to_str().ok());
    if host.is_some_and(is_loopback_host) {
        return next.run(req).await;
    }
    let body = serde_json::json!({
        "error": "This development server answers only to localhost: open it as http://localhost:<port>.",
        "code": "forbidden",
    });
    (StatusCode::FORBIDDEN, axum::Json(body)).into_response()
}

/// Whether a `Host` header names this machine: `localhost`, a name under `.localhost`, or a
/// loopback address, with or without a port.
pub fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((inside, rest)) if rest.is_empty() || rest.starts_with(':') => inside,
            _ => return false,
        },
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A handler's panic is a bug: logged where it happened (see `shared::telemetry`), answered here
/// as any unexpected error is.
pub(crate) fn panic_answer(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    from_lambda(shared::http::ApiError::Internal.into_response())
}

pub(crate) async fn with_security_headers(State(policy): State<&'static str>, mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert("content-security-policy", axum::http::HeaderValue::from_static(policy));
    for (name, value) in SECURITY_HEADERS {
        headers.insert(*name, axum::http::HeaderValue::from_static(value));
    }
    response
}
