//! Vonage's status callbacks for Verify v2, as its docs describe them: JSON POSTed to the
//! application's status URL, signed with a JWT in `Authorization: Bearer` (HS256 with the
//! account's signature secret; claims `iat`, `jti`, `iss`, `payload_hash` (SHA-256 of the body,
//! hex), `api_key`, `application_id`). Vonage sends them only for requests made with the
//! application's JWT ([`super::jwt`]), and re-attempts any not answered 2xx.
//!
//! A callback is believed only once [`authenticate`] passes: the signature by our secret (HS256
//! and nothing else: `alg: none` or RS256 with the secret as a key are refused), a `payload_hash`
//! of the very bytes received, and an `iat` within [`MAX_AGE_SECONDS`] of now (a captured
//! callback replayed later is stale; one replayed sooner is the same event, applied once by the
//! store). Vonage documents that in the rare case of an internal error it may send a callback
//! unsigned: it is refused like any other, and Vonage's retry brings it signed.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::domain::channel::Channel;
use crate::domain::request_id::RequestId;
use crate::domain::status_report::{Ending, Report, StatusReport, StepOutcome};
use crate::domain::verification::ProviderRequestId;

/// How old a callback's token may be: Vonage signs each delivery as it sends it, so an honest
/// one is seconds old; five minutes leave room for a clock that drifts.
pub const MAX_AGE_SECONDS: i64 = 300;
/// How far ahead of our clock a token's `iat` may be.
pub const MAX_AHEAD_SECONDS: i64 = 60;

/// Why a callback is not believed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackRefusal {
    #[error("no bearer token")]
    Unsigned,
    #[error("the token is not a JWT")]
    NotAJwt,
    #[error("the token is not signed with HS256")]
    NotHs256,
    #[error("the signature is not by our signature secret")]
    BadSignature,
    #[error("the token was issued too long ago, or in the future")]
    Stale,
    #[error("the body is not the one the token was signed for")]
    BodyChanged,
    #[error("the token names another application of the account")]
    OtherApplication,
}

/// Whether the callback whose `Authorization` header is `authorization` and whose body is `body`
/// was signed by Vonage with `secret` for this body, lately, and, where the token names an
/// application (`application_id`), for this deployment's `application` (the signature secret is
/// the account's, shared by its applications).
pub fn authenticate(
    authorization: Option<&str>,
    body: &[u8],
    secret: &SecretString,
    application: Option<&str>,
    now: OffsetDateTime,
) -> Result<(), CallbackRefusal> {
    let token =
        authorization.and_then(|h| h.strip_prefix("Bearer ")).map(str::trim).ok_or(CallbackRefusal::Unsigned)?;
    let parts: Vec<&str> = token.split('.').collect();
    let [header, claims, signature] = parts.as_slice() else { return Err(CallbackRefusal::NotAJwt) };
    let json = |part: &str| -> Result<Value, CallbackRefusal> {
        let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| CallbackRefusal::NotAJwt)?;
        serde_json::from_slice(&bytes).map_err(|_| CallbackRefusal::NotAJwt)
    };
    if json(header)?.get("alg").and_then(Value::as_str) != Some("HS256") {
        return Err(CallbackRefusal::NotHs256);
    }
    let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| CallbackRefusal::BadSignature)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes()).expect("HMAC takes any key");
    mac.update(format!("{header}.{claims}").as_bytes());
    mac.verify_slice(&signature).map_err(|_| CallbackRefusal::BadSignature)?;
    // Signed by us: the claims can be read.
    let claims = json(claims)?;
    let iat = claims.get("iat").and_then(Value::as_i64).ok_or(CallbackRefusal::Stale)?;
    let now = now.unix_timestamp();
    if iat < now - MAX_AGE_SECONDS || iat > now + MAX_AHEAD_SECONDS {
        return Err(CallbackRefusal::Stale);
    }
    if let (Some(ours), Some(named)) = (application, claims.get("application_id").and_then(Value::as_str))
        && ours != named
    {
        return Err(CallbackRefusal::OtherApplication);
    }
    let hash = hex::encode(Sha256::digest(body));
    match claims.get("payload_hash").and_then(Value::as_str) {
        Some(signed) if signed.eq_ignore_ascii_case(&hash) => Ok(()),
        _ => Err(CallbackRefusal::BodyChanged),
    }
}

/// The report an authenticated callback's JSON carries: an `event` (one step's status) or a
/// `summary` (how the verification ended); `None` when its `client_ref` is no request id of
/// ours (a verification this deployment never started). `Err` names what is missing or
/// malformed. A callback of a channel this service never sends by (silent authentication,
/// email) is malformed here.
pub fn parse(body: &serde_json::Map<String, Value>) -> Result<Option<StatusReport>, String> {
    let text = |name: &str| body.get(name).and_then(Value::as_str).ok_or_else(|| format!("{name} is missing"));
    let time = |name: &str| {
        OffsetDateTime::parse(text(name)?, &Rfc3339).map_err(|_| format!("{name} is not an RFC 3339 time"))
    };
    let provider_id = ProviderRequestId::parse(text("request_id")?).ok_or("request_id is malformed")?;
    let Ok(request_id) = RequestId::parse(text("client_ref")?) else { return Ok(None) };
    let status = text("status")?;
    let (report, at) = match text("type")? {
        "event" => {
            let channel = Channel::from_name(text("channel")?).ok_or("channel is not one this service sends by")?;
            let outcome = StepOutcome::from_name(status).ok_or("status is not an event's")?;
            (Report::Step { channel, outcome }, time("triggered_at")?)
        }
        "summary" => {
            let ending = Ending::from_name(status).ok_or("status is not a summary's")?;
            let at = time("finalized_at").or_else(|_| time("submitted_at"))?;
            (Report::Ending(ending), at)
        }
        _ => return Err("type must be event or summary".into()),
    };
    Ok(Some(StatusReport { provider_id, request_id, report, at }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const SECRET: &str = "the-signature-secret";

    fn sign(header: &Value, claims: &Value, secret: &str) -> String {
        let input =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(input.as_bytes());
        format!("Bearer {input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }

    fn claims(body: &[u8], iat: i64) -> Value {
        json!({"iat": iat, "jti": "j", "iss": "Vonage", "payload_hash": hex::encode(Sha256::digest(body)), "api_key": "k"})
    }

    fn check(header: Option<&str>, body: &[u8], now: i64) -> Result<(), CallbackRefusal> {
        let now = OffsetDateTime::from_unix_timestamp(now).unwrap();
        authenticate(header, body, &SecretString::from(SECRET), Some("app-1"), now)
    }

    #[test]
    fn each_kind_of_forgery_is_refused_for_its_own_reason() {
        let body = br#"{"request_id":"r","type":"event"}"#;
        let hs256 = json!({"alg": "HS256", "typ": "JWT"});
        let good = sign(&hs256, &claims(body, 1000), SECRET);
        assert_eq!(check(Some(&good), body, 1000), Ok(()));
        assert_eq!(check(None, body, 1000), Err(CallbackRefusal::Unsigned));
        assert_eq!(check(Some("Basic abc"), body, 1000), Err(CallbackRefusal::Unsigned));
        assert_eq!(check(Some("Bearer x.y"), body, 1000), Err(CallbackRefusal::NotAJwt));
        let other = sign(&hs256, &claims(body, 1000), "another-secret");
        assert_eq!(check(Some(&other), body, 1000), Err(CallbackRefusal::BadSignature));
        let none = format!(
            "Bearer {}.{}.",
            URL_SAFE_NO_PAD.encode(json!({"alg": "none"}).to_string()),
            URL_SAFE_NO_PAD.encode(claims(body, 1000).to_string())
        );
        assert_eq!(check(Some(&none), body, 1000), Err(CallbackRefusal::NotHs256));
        let rs256 = sign(&json!({"alg": "RS256"}), &claims(body, 1000), SECRET);
        assert_eq!(check(Some(&rs256), body, 1000), Err(CallbackRefusal::NotHs256));
        assert_eq!(check(Some(&good), body, 1000 + MAX_AGE_SECONDS + 1), Err(CallbackRefusal::Stale));
        assert_eq!(check(Some(&good), body, 1000 - MAX_AHEAD_SECONDS - 1), Err(CallbackRefusal::Stale));
        assert_eq!(check(Some(&good), body, 1000 + MAX_AGE_SECONDS), Ok(()));
        let changed = br#"{"request_id":"r","type":"summary"}"#;
        assert_eq!(check(Some(&good), changed, 1000), Err(CallbackRefusal::BodyChanged));
        let no_hash = sign(&hs256, &json!({"iat": 1000}), SECRET);
        assert_eq!(check(Some(&no_hash), body, 1000), Err(CallbackRefusal::BodyChanged));
        let no_iat = sign(&hs256, &json!({"payload_hash": hex::encode(Sha256::digest(body))}), SECRET);
        assert_eq!(check(Some(&no_iat), body, 1000), Err(CallbackRefusal::Stale));
        let mut ours = claims(body, 1000);
        ours["application_id"] = "app-1".into();
        assert_eq!(check(Some(&sign(&hs256, &ours, SECRET)), body, 1000), Ok(()));
        ours["application_id"] = "app-2".into();
        let other_app = sign(&hs256, &ours, SECRET);
        assert_eq!(check(Some(&other_app), body, 1000), Err(CallbackRefusal::OtherApplication));
    }

    fn object(v: Value) -> serde_json::Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn events_and_summaries_parse_and_anything_else_is_named() {
        let client_ref = RequestId::generate();
        let event = object(json!({
            "request_id": "c11236f4-00bf-4b89-84ba-88b25df97315", "triggered_at": "2026-01-01T14:00:00.032Z",
            "type": "event", "channel": "whatsapp", "status": "completed",
            "finalized_at": "2026-01-01T14:00:01.001Z", "client_ref": client_ref.as_str()
        }));
        let report = parse(&event).unwrap().unwrap();
        assert_eq!(report.report, Report::Step { channel: Channel::WhatsApp, outcome: StepOutcome::Completed });
        assert_eq!((report.request_id, report.at.unix_timestamp()), (client_ref.clone(), 1_767_276_000));
        let summary = object(json!({
            "request_id": "c11236f4-00bf-4b89-84ba-88b25df97315", "submitted_at": "2026-01-01T14:00:00Z",
            "status": "expired", "type": "summary", "channel_timeout": 150, "client_ref": client_ref.as_str(),
            "workflow": [{"channel": "whatsapp", "initiated_at": "2026-01-01T14:00:00Z", "status": "failed"}]
        }));
        assert_eq!(parse(&summary).unwrap().unwrap().report, Report::Ending(Ending::Expired));
        let mut not_ours = event.clone();
        not_ours.insert("client_ref".into(), json!("81508ba9c98d4fd7"));
        assert_eq!(parse(&not_ours), Ok(None), "a reference this service never gave");
        for (field, value) in [
            ("client_ref", json!(7)),
            ("status", json!("delivered")),
            ("channel", json!("email")),
            ("type", json!("other")),
            ("triggered_at", json!("yesterday")),
            ("request_id", json!(7)),
        ] {
            let mut bad = event.clone();
            bad.insert(field.into(), value);
            assert!(parse(&bad).is_err(), "{field}");
        }
    }
}
