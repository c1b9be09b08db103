//! Vonage Verify v2's status callbacks, for the verifications an application (JWT) started: an
//! `event` as each step ends and a `summary` as the verification ends, POSTed as JSON to the
//! application's status URL ([`CallbackTarget`]) and signed with the account's signature secret
//! ([`signing`]).
//!
//! To test a receiver's checks, the next callbacks can go out forged ([`CallbackMode`]); the
//! last one can be posted again byte for byte (a replay); and every callback is listed with its
//! receiver's answer ([`CallbackRecord`]). [`control`] serves those at `/_simulator/callbacks`.

mod body;
pub(crate) mod control;
mod delivery;
mod forge;
mod signing;

use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use crate::Simulator;
use crate::model::Report;

/// Where the application's callbacks go, and the secret that signs them.
#[derive(Clone, PartialEq, Eq)]
pub struct CallbackTarget {
    pub url: String,
    /// The account's signature secret (Vonage's dashboard: API settings).
    pub signature_secret: String,
}

impl std::fmt::Debug for CallbackTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackTarget").field("url", &self.url).field("signature_secret", &"***").finish()
    }
}

/// How a callback goes out: as Vonage sends it, or forged as a receiver must refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackMode {
    /// As Vonage signs it.
    #[default]
    Signed,
    /// No `Authorization` header.
    Unsigned,
    /// Signed with a secret other than the account's.
    OtherSecret,
    /// A token with the header `{"alg":"none"}` and an empty signature.
    AlgNone,
    /// Signed, its `iat` an hour ago.
    Stale,
    /// Signed, its `iat` an hour ahead.
    Future,
    /// The token of the real body (its `payload_hash` and signature) on a body whose `status`
    /// was changed.
    ChangedBody,
    /// Correctly signed, about a verification nobody started (random `request_id` and
    /// `client_ref`).
    UnknownVerification,
    /// The body cut short after `{"request_id":`, correctly signed over those bytes.
    Malformed,
}

/// A callback the simulator posted, as `GET /_simulator/callbacks` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallbackRecord {
    pub mode: CallbackMode,
    /// The body as sent (as text; a forged one may not be JSON).
    pub body: String,
    /// The receiver's HTTP status; `None` when it did not answer.
    pub status: Option<u16>,
    /// The verification the callback was made for (a forged body may name another).
    pub request_id: String,
}

#[derive(Default)]
pub(crate) struct Callbacks {
    /// The mode of the next callbacks, and how many are left to go out in it.
    forged: Mutex<Option<(CallbackMode, u32)>>,
    courier: delivery::Courier,
}

impl Callbacks {
    /// The mode for the callback about to go out: a forged one while any are left, else signed.
    fn next_mode(&self) -> CallbackMode {
        let mut forged = lock(&self.forged);
        let Some((mode, left)) = forged.as_mut() else { return CallbackMode::Signed };
        let mode = *mode;
        *left -= 1;
        if *left == 0 {
            *forged = None;
        }
        mode
    }
}

impl Simulator {
    /// The next `count` callbacks go out in `mode`, then they are signed again; `Signed` (or a
    /// count of 0) goes back to signed at once.
    pub fn set_callback_mode(&self, mode: CallbackMode, count: u32) {
        let forged = (mode != CallbackMode::Signed && count > 0).then_some((mode, count));
        *lock(&self.inner.callbacks.forged) = forged;
    }

    /// Every callback posted so far (since the last [`clear_callbacks`](Self::clear_callbacks)),
    /// once its receiver answered or failed to.
    pub fn callbacks(&self) -> Vec<CallbackRecord> {
        self.inner.callbacks.courier.records()
    }

    pub fn clear_callbacks(&self) {
        self.inner.callbacks.courier.clear();
    }

    /// Posts the last callback again, the same headers and bytes; the receiver's status, or
    /// `None` if none was posted yet or the receiver did not answer.
    pub async fn replay_last_callback(&self) -> Option<u16> {
        self.inner.callbacks.courier.replay().await.flatten()
    }

    /// Posts the callbacks for `reports` (made only for application-started verifications), when
    /// the simulator has somewhere to send them.
    pub(crate) fn call_back(&self, reports: Vec<Report>) {
        let config = self.config();
        let Some(target) = &config.callbacks else { return };
        let sender = signing::Sender { api_key: &config.api_key, application_id: &config.application_id };
        // The wall clock: a receiver judges a token's freshness by its own.
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        for report in &reports {
            let body = body::Body::of(report);
            let mode = self.inner.callbacks.next_mode();
            let dressed = forge::dress(&body, mode, &target.signature_secret, &sender, now);
            let request_id = body.request_id().to_owned();
            self.inner.callbacks.courier.send(delivery::Parcel { url: target.url.clone(), dressed, mode, request_id });
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
