//! Faults on demand: the next calls to an endpoint answer an error status, or answer late.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::Simulator;

/// `POST /_simulator/faults` body. With `status` the call answers that HTTP status (a problem
/// document); with `v1Status` a legacy call answers HTTP 200 with that `status` code; with only
/// `delayMs` it answers normally, late.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fault {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v1_status: Option<String>,
    #[serde(default)]
    pub delay_ms: u64,
    /// How many calls it applies to (default 1).
    #[serde(default = "one")]
    pub count: u32,
    /// `start`, `check`, `cancel`, `next`, `search`, or `any` (default: any of those); or
    /// `siteverify` (the Turnstile stand-in, never meant by `any`).
    #[serde(default = "any")]
    pub endpoint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
}

/// One call, any endpoint, no effect until a status or delay is set.
impl Default for Fault {
    fn default() -> Self {
        Self { status: None, v1_status: None, delay_ms: 0, count: one(), endpoint: any(), retry_after_seconds: None }
    }
}

fn one() -> u32 {
    1
}

fn any() -> String {
    "any".into()
}

const ENDPOINTS: &[&str] = &["start", "check", "cancel", "next", "search", "any", "siteverify"];

/// Which endpoints a call may be: v1 `control` is a cancel or a next step, told apart only by
/// its body, so it matches faults for either.
fn endpoints_of(method: &Method, path: &str) -> &'static [&'static str] {
    let v2_id_path = path.strip_prefix("/v2/verify/");
    match (method, path) {
        (_, "/v2/verify" | "/verify/json") => &["start"],
        (_, "/verify/check/json") => &["check"],
        (_, "/verify/control/json") => &["cancel", "next"],
        (_, "/verify/search/json") => &["search"],
        _ if v2_id_path.is_some_and(|rest| rest.ends_with("/next_workflow")) => &["next"],
        (&Method::DELETE, _) if v2_id_path.is_some() => &["cancel"],
        _ => &["check"],
    }
}

impl sim_kit::fault::Fault for Fault {
    fn count_mut(&mut self) -> &mut u32 {
        &mut self.count
    }

    fn problem(&self) -> Option<String> {
        let status_ok = self.status.is_none_or(|s| (100..=599).contains(&s));
        if ENDPOINTS.contains(&self.endpoint.as_str()) && self.count > 0 && status_ok {
            return None;
        }
        Some(format!("endpoint must be one of {ENDPOINTS:?}, count at least 1, status 100-599"))
    }
}

impl Simulator {
    /// The first fault set for one of `endpoints` (or for `any`, where `any_applies`), used once.
    fn take_fault_for(&self, endpoints: &[&str], any_applies: bool) -> Option<Fault> {
        self.inner.faults.take(|f| (any_applies && f.endpoint == "any") || endpoints.contains(&f.endpoint.as_str()))
    }

    /// A fault set for `endpoint` by name (`any` stands for Vonage's endpoints only).
    pub(crate) fn take_fault(&self, endpoint: &str) -> Option<Fault> {
        self.take_fault_for(&[endpoint], false)
    }
}

pub async fn inject(State(sim): State<Simulator>, request: Request, next: Next) -> Response {
    let endpoints = endpoints_of(request.method(), request.uri().path());
    let legacy = !request.uri().path().starts_with("/v2/");
    sim.state().api_calls += 1;
    let Some(fault) = sim.take_fault_for(endpoints, true) else { return next.run(request).await };
    if fault.delay_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(fault.delay_ms)).await;
    }
    if let (true, Some(v1_status)) = (legacy, &fault.v1_status) {
        return Json(serde_json::json!({"status": v1_status, "error_text": "Simulated failure"})).into_response();
    }
    let Some(status) = fault.status.and_then(|s| StatusCode::from_u16(s).ok()) else {
        return next.run(request).await;
    };
    let kind = match status.as_u16() {
        429 => "https://developer.vonage.com/en/api-errors#throttled",
        _ => "https://developer.vonage.com/api-errors#simulated",
    };
    let mut response =
        crate::v2::problem(status, status.canonical_reason().unwrap_or("Error"), kind, "Simulated failure.");
    if let Some(seconds) = fault.retry_after_seconds {
        response.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds.into());
    }
    response
}
