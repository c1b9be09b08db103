//! Faults on demand: the next calls answer one of the operations' errors, or answer late.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::Simulator;
use crate::wire::{AwsError, ERROR_NAMES};

/// `POST /_simulator/faults` body. With `error` (an error name as `__type` spells it, e.g.
/// `ThrottlingException`) the call answers that error, with `reason` where its shape has one and
/// `status` instead of the usual one if set; with only `delayMs` it answers normally, late.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fault {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default)]
    pub delay_ms: u64,
    /// How many calls it applies to (default 1).
    #[serde(default = "one")]
    pub count: u32,
    /// `SendTextMessage`, `SendVoiceMessage`, or `any` (the default).
    #[serde(default = "any")]
    pub operation: String,
}

/// One call, any operation, no effect until an error or delay is set.
impl Default for Fault {
    fn default() -> Self {
        Self { error: None, reason: None, status: None, delay_ms: 0, count: one(), operation: any() }
    }
}

impl Fault {
    /// The next `count` calls answer `error` (a name from the model, e.g. `ThrottlingException`).
    pub fn error(error: &str, count: u32) -> Self {
        Self { error: Some(error.into()), count, ..Self::default() }
    }

    /// The next `count` calls answer normally, `delay` late.
    pub fn delay(delay: std::time::Duration, count: u32) -> Self {
        Self { delay_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX), count, ..Self::default() }
    }

    pub fn with_reason(self, reason: &str) -> Self {
        Self { reason: Some(reason.into()), ..self }
    }
}

impl sim_kit::fault::Fault for Fault {
    fn count_mut(&mut self) -> &mut u32 {
        &mut self.count
    }

    fn problem(&self) -> Option<String> {
        let operations = ["SendTextMessage", "SendVoiceMessage", "any"];
        if !operations.contains(&self.operation.as_str()) {
            return Some(format!("operation must be one of {operations:?}"));
        }
        if self.error.as_deref().is_some_and(|e| !ERROR_NAMES.contains(&e)) {
            return Some(format!("error must be one of {ERROR_NAMES:?}"));
        }
        if self.count == 0 || self.status.is_some_and(|s| !(100..=599).contains(&s)) {
            return Some("count must be at least 1 and status 100-599".into());
        }
        None
    }
}

fn one() -> u32 {
    1
}

fn any() -> String {
    "any".into()
}

/// What a fault does to a call: wait, then answer this instead (or carry on).
pub struct Injected {
    pub delay: std::time::Duration,
    pub answer: Option<Response>,
}

impl Simulator {
    /// The first fault set for `operation` (or for any), used once.
    pub(crate) fn take_fault(&self, operation: &str) -> Option<Injected> {
        let fault = self.inner.faults.take(|f| f.operation == "any" || f.operation == operation)?;
        let answer = fault.error.as_deref().and_then(|e| AwsError::named(e, fault.reason.as_deref())).map(|error| {
            let mut response = error.into_response();
            if let Some(status) = fault.status.and_then(|s| StatusCode::from_u16(s).ok()) {
                *response.status_mut() = status;
            }
            response
        });
        Some(Injected { delay: std::time::Duration::from_millis(fault.delay_ms), answer })
    }
}
