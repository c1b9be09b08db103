//! The session cookie on the wire: read from a request's `Cookie` header, set with a proof,
//! cleared at logout. `__Host-` prefixed, HttpOnly (no script reads it), Secure, `SameSite=Lax`
//! (sent on a top-level navigation to `/authorize`, never on another site's subrequests or
//! cross-site POSTs), for the whole site.

use lambda_http::http::header::{COOKIE, HeaderValue, SET_COOKIE};
use lambda_http::{Body, Request, Response};
use time::Duration;

use crate::sign_in::domain::session::{SESSION_COOKIE, SessionId};

/// The session a request's cookies carry, if one is well formed.
pub fn presented(req: &Request) -> Option<SessionId> {
    req.headers()
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .and_then(|(_, value)| SessionId::parse(value))
}

/// Adds the cookie that holds `id` for `lifetime`.
pub fn set(response: &mut Response<Body>, id: &SessionId, lifetime: Duration) {
    let cookie = format!(
        "{SESSION_COOKIE}={}; Max-Age={}; Path=/; Secure; HttpOnly; SameSite=Lax",
        id.expose(),
        lifetime.whole_seconds()
    );
    response.headers_mut().append(SET_COOKIE, HeaderValue::from_str(&cookie).expect("base64url and digits"));
}

/// Adds the cookie that clears the session's.
pub fn clear(response: &mut Response<Body>) {
    let cookie = format!("{SESSION_COOKIE}=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax");
    response.headers_mut().append(SET_COOKIE, HeaderValue::from_str(&cookie).expect("ASCII"));
}
