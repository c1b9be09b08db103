//! A callback dressed for its mode: signed as Vonage signs it, or forged in one of the ways a
//! receiver must refuse (see [`CallbackMode`]).

use super::CallbackMode;
use super::body::Body;
use super::signing::{self, Sender};

/// How far from now the `stale` and `future` modes date their tokens.
const SKEW: i64 = 60 * 60;

/// The bytes and `Authorization` header a callback goes out with.
#[derive(Debug, Clone)]
pub struct Dressed {
    pub authorization: Option<String>,
    pub body: Vec<u8>,
}

/// Dresses `body` for `mode`, dated `now` (seconds since the epoch, by the wall clock a
/// receiver judges freshness by).
pub fn dress(body: &Body, mode: CallbackMode, secret: &str, sender: &Sender<'_>, now: i64) -> Dressed {
    let signed = |bytes: Vec<u8>, iat: i64, secret: &str| Dressed {
        authorization: Some(bearer(&signing::hs256(&signing::claims(&bytes, iat, sender), secret))),
        body: bytes,
    };
    match mode {
        CallbackMode::Signed => signed(body.bytes(), now, secret),
        CallbackMode::Unsigned => Dressed { authorization: None, body: body.bytes() },
        CallbackMode::OtherSecret => signed(body.bytes(), now, &format!("other-{secret}")),
        CallbackMode::AlgNone => {
            let bytes = body.bytes();
            let token = signing::unsigned(&signing::claims(&bytes, now, sender));
            Dressed { authorization: Some(bearer(&token)), body: bytes }
        }
        CallbackMode::Stale => signed(body.bytes(), now - SKEW, secret),
        CallbackMode::Future => signed(body.bytes(), now + SKEW, secret),
        CallbackMode::ChangedBody => {
            let original = signed(body.bytes(), now, secret);
            Dressed { authorization: original.authorization, body: body.with_status_changed().bytes() }
        }
        CallbackMode::UnknownVerification => signed(body.about_an_unknown_verification().bytes(), now, secret),
        CallbackMode::Malformed => {
            let mut bytes = body.bytes();
            // Every body starts with its `request_id`: cut it off just before the value.
            bytes.truncate(br#"{"request_id":"#.len());
            signed(bytes, now, secret)
        }
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Event, Report, StepStatus};

    fn body() -> Body {
        Body::of(&Report::Event(Event {
            request_id: "id".into(),
            client_ref: None,
            channel: "sms".into(),
            status: StepStatus::Completed,
            at: time::OffsetDateTime::UNIX_EPOCH,
        }))
    }

    #[test]
    fn malformed_is_the_start_of_a_body() {
        let sender = Sender { api_key: "k", application_id: "a" };
        let dressed = dress(&body(), CallbackMode::Malformed, "s", &sender, 0);
        assert_eq!(dressed.body, br#"{"request_id":"#);
        assert!(dressed.authorization.is_some());
        assert!(dress(&body(), CallbackMode::Unsigned, "s", &sender, 0).authorization.is_none());
    }
}
