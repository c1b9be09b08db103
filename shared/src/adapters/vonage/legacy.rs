//! Verify v1 (legacy): `verify/json` starts, `verify/check/json` checks, `verify/control/json`
//! cancels or moves on; every answer is HTTP 200 with a `status` code that says how it went.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::in_flight::{Begun, CancelOutcome, NextStepOutcome};
use super::{Answer, Transport};
use crate::domain::channel::{Channel, Delivery};
use crate::domain::otp_code::OtpCode;
use crate::domain::phone::PhoneNumber;
use crate::domain::verification::ProviderRequestId;
use crate::ports::{CheckOutcome, ProviderError};

/// v1's preset workflow for the steps (Vonage "Workflows and events"): 5 is an SMS then a call,
/// 6 an SMS alone, 7 a call alone. v1 keeps one code for `pin_expiry` from the start across
/// every step, and waits `next_event_wait` between steps.
fn workflow_id(steps: &[Channel]) -> u8 {
    match steps {
        [Channel::Sms, Channel::Voice] => 5,
        [Channel::Voice] => 7,
        _ => 6,
    }
}

pub(super) async fn start(t: &Transport, to: &PhoneNumber, how: Delivery) -> Result<Begun, ProviderError> {
    let s = &t.settings;
    let (steps, step_seconds) = (how.steps(), t.step_seconds(&how));
    let mut body = json!({
        "number": to.digits(),
        "brand": s.brand,
        "code_length": s.code_length,
        "pin_expiry": s.ttl_seconds,
        "next_event_wait": step_seconds,
        "workflow_id": workflow_id(steps),
    });
    if let Some(locale) = how.locale {
        body["lg"] = locale.as_str().into();
    }
    let answer = t.call(Method::POST, &["verify", "json"], Some(body)).await?;
    match (answer.status, status(&answer).as_deref()) {
        (StatusCode::OK, Some("0")) => answer
            .request_id()
            .map(Begun::Started)
            .ok_or_else(|| ProviderError::Unknown("start answered without a request_id".into())),
        (StatusCode::OK, Some("10")) => Ok(Begun::Concurrent(answer.request_id())),
        (StatusCode::OK, Some("3")) => Err(ProviderError::InvalidNumber),
        (StatusCode::OK, Some("7" | "15")) => Err(ProviderError::UnsupportedNumber),
        _ => Err(unexpected(&answer, "start")),
    }
}

pub(super) async fn check(
    t: &Transport,
    id: &ProviderRequestId,
    code: &OtpCode,
) -> Result<CheckOutcome, ProviderError> {
    let body = json!({"request_id": id.as_str(), "code": code.expose()});
    let answer = t.call(Method::POST, &["verify", "check", "json"], Some(body)).await?;
    match (answer.status, status(&answer).as_deref()) {
        (StatusCode::OK, Some("0")) => Ok(CheckOutcome::Verified),
        (StatusCode::OK, Some("16")) => Ok(CheckOutcome::WrongCode),
        (StatusCode::OK, Some("17")) => Ok(CheckOutcome::Terminated),
        (StatusCode::OK, Some("6")) => Ok(CheckOutcome::Gone),
        _ => Err(unexpected(&answer, "check")),
    }
}

pub(super) async fn cancel(t: &Transport, id: &ProviderRequestId) -> Result<CancelOutcome, ProviderError> {
    Ok(match control(t, id, "cancel").await? {
        Control::Done => CancelOutcome::Cancelled,
        Control::Gone => CancelOutcome::Gone,
        Control::NotPossible => CancelOutcome::NotNow,
    })
}

pub(super) async fn next_step(t: &Transport, id: &ProviderRequestId) -> Result<NextStepOutcome, ProviderError> {
    Ok(match control(t, id, "trigger_next_event").await? {
        Control::Done => NextStepOutcome::Triggered,
        Control::Gone => NextStepOutcome::Gone,
        Control::NotPossible => NextStepOutcome::NoMoreSteps,
    })
}

enum Control {
    Done,
    Gone,
    NotPossible,
}

async fn control(t: &Transport, id: &ProviderRequestId, cmd: &str) -> Result<Control, ProviderError> {
    let body = json!({"request_id": id.as_str(), "cmd": cmd});
    let answer = t.call(Method::POST, &["verify", "control", "json"], Some(body)).await?;
    match (answer.status, status(&answer).as_deref()) {
        (StatusCode::OK, Some("0")) => Ok(Control::Done),
        (StatusCode::OK, Some("6" | "101")) => Ok(Control::Gone),
        (StatusCode::OK, Some("19")) => Ok(Control::NotPossible),
        _ => Err(unexpected(&answer, cmd)),
    }
}

/// The `status` code: a string on the wire, tolerated as a number.
fn status(answer: &Answer) -> Option<String> {
    match answer.body.get("status")? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An answer this adapter has no meaning for: throttled (status 1), or a failure for the logs.
fn unexpected(answer: &Answer, call: &str) -> ProviderError {
    if answer.status != StatusCode::OK {
        return answer.unexpected(call);
    }
    match status(answer).as_deref() {
        Some("1") => answer.throttled(),
        Some(status) => ProviderError::Failed(format!("{call} answered status {status}")),
        None => ProviderError::Failed(format!("{call} answered without a status")),
    }
}
