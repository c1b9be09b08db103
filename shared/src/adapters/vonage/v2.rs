//! Verify v2: `POST /v2/verify` starts, `POST /v2/verify/{id}` checks, `DELETE` cancels and
//! `POST .../next_workflow` moves on; the HTTP status says how it went.

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::in_flight::{Begun, CancelOutcome, NextStepOutcome};
use super::{Answer, Transport};
use crate::domain::channel::{Channel, Delivery};
use crate::domain::otp_code::OtpCode;
use crate::domain::phone::PhoneNumber;
use crate::domain::request_id::RequestId;
use crate::domain::verification::ProviderRequestId;
use crate::ports::{CheckOutcome, ProviderError};

#[derive(Deserialize)]
struct InvalidParameter {
    name: String,
}

pub(super) async fn start(
    t: &Transport,
    to: &PhoneNumber,
    client_ref: &RequestId,
    how: Delivery,
) -> Result<Begun, ProviderError> {
    let s = &t.settings;
    let step_seconds = t.step_seconds(&how);
    let workflow: Vec<_> = how
        .steps()
        .iter()
        .map(|c| match (c, &s.whatsapp_from) {
            (Channel::WhatsApp, Some(from)) => json!({"channel": c.as_str(), "to": to.digits(), "from": from}),
            _ => json!({"channel": c.as_str(), "to": to.digits()}),
        })
        .collect();
    let mut body = json!({
        "brand": s.brand,
        "code_length": s.code_length,
        "channel_timeout": step_seconds,
        "client_ref": client_ref.as_str(),
        "workflow": workflow,
    });
    if let Some(locale) = how.locale {
        body["locale"] = locale.as_str().into();
    }
    let answer = t.call(Method::POST, &["v2", "verify"], Some(body)).await?;
    match answer.status.as_u16() {
        200 | 202 => answer
            .request_id()
            .map(Begun::Started)
            .ok_or_else(|| ProviderError::Unknown("start answered without a request_id".into())),
        409 => Ok(Begun::Concurrent(answer.request_id())),
        422 if invalid_parameter(&answer).iter().any(|p| p.name == "to" || p.name.ends_with(".to")) => {
            Err(ProviderError::InvalidNumber)
        }
        _ => Err(answer.unexpected("start")),
    }
}

fn invalid_parameter(answer: &Answer) -> Vec<InvalidParameter> {
    answer.body.get("invalid_parameters").cloned().and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default()
}

pub(super) async fn check(
    t: &Transport,
    id: &ProviderRequestId,
    code: &OtpCode,
) -> Result<CheckOutcome, ProviderError> {
    let body = json!({"code": code.expose()});
    let answer = t.call(Method::POST, &["v2", "verify", id.as_str()], Some(body)).await?;
    match answer.status.as_u16() {
        200 => Ok(CheckOutcome::Verified),
        400 => Ok(CheckOutcome::WrongCode),
        404 => Ok(CheckOutcome::Gone),
        410 => Ok(CheckOutcome::Terminated),
        _ => Err(answer.unexpected("check")),
    }
}

pub(super) async fn cancel(t: &Transport, id: &ProviderRequestId) -> Result<CancelOutcome, ProviderError> {
    let answer = t.call(Method::DELETE, &["v2", "verify", id.as_str()], None).await?;
    match answer.status.as_u16() {
        200..=299 => Ok(CancelOutcome::Cancelled),
        404 => Ok(CancelOutcome::Gone),
        // Vonage documents when a cancel is refused but not how; any other client-class answer
        // that is not about credentials, balance or throttling means "not now".
        400..=499 if ![401, 402, 403, 429].contains(&answer.status.as_u16()) => Ok(CancelOutcome::NotNow),
        _ => Err(answer.unexpected("cancel")),
    }
}

pub(super) async fn next_step(t: &Transport, id: &ProviderRequestId) -> Result<NextStepOutcome, ProviderError> {
    let answer = t.call(Method::POST, &["v2", "verify", id.as_str(), "next_workflow"], None).await?;
    match answer.status.as_u16() {
        200..=299 => Ok(NextStepOutcome::Triggered),
        404 => Ok(NextStepOutcome::Gone),
        409 => Ok(NextStepOutcome::NoMoreSteps),
        _ => Err(answer.unexpected("next_workflow")),
    }
}
