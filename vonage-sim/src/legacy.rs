//! Verify v1 ("legacy"): always HTTP 200 with a string `status`, `"0"` for success. Parameters
//! arrive in the query, a form body or a JSON body; credentials in a Basic header or as
//! `api_key`/`api_secret` parameters.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::model::{self, NewVerification, Status, Step};
use crate::{Simulator, auth, msisdn};

type Params = HashMap<String, String>;

fn params(query: Option<String>, headers: &HeaderMap, body: &Bytes) -> Params {
    let mut params: Params = query.as_deref().and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default();
    let is_json = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    if is_json {
        if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) {
            for (name, value) in map {
                let text = match value {
                    Value::String(s) => s,
                    Value::Null => continue,
                    other => other.to_string(),
                };
                params.insert(name, text);
            }
        }
    } else if let Ok(form) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body) {
        params.extend(form);
    }
    params
}

/// A v1 error answer: HTTP 200, a non-zero `status` and its `error_text`.
pub struct V1Error {
    status: &'static str,
    text: String,
}

impl IntoResponse for V1Error {
    fn into_response(self) -> Response {
        Json(json!({"status": self.status, "error_text": self.text})).into_response()
    }
}

fn error(status: &'static str, text: &str) -> V1Error {
    V1Error { status, text: text.to_owned() }
}

fn with_id(id: &str, status: &str, text: &str) -> Response {
    Json(json!({"request_id": id, "status": status, "error_text": text})).into_response()
}

/// A v1 call's parameters (query, form or JSON), extracted only for an authenticated caller;
/// anyone else gets the v1 "bad credentials" answer.
pub struct Authorized(Params);

impl FromRequest<Simulator> for Authorized {
    type Rejection = Response;

    async fn from_request(req: Request, sim: &Simulator) -> Result<Self, Self::Rejection> {
        let query = req.uri().query().map(str::to_owned);
        let headers = req.headers().clone();
        let body = Bytes::from_request(req, sim).await.map_err(IntoResponse::into_response)?;
        let params = params(query, &headers, &body);
        let by_params = auth::params_ok(
            params.get("api_key").map(String::as_str),
            params.get("api_secret").map(String::as_str),
            sim.config(),
        );
        if by_params || auth::header_ok(&headers, sim.config()) {
            Ok(Self(params))
        } else {
            Err(error("4", "Bad Credentials").into_response())
        }
    }
}

/// Channels of the v1 workflows (1–7), as Vonage documents them.
fn workflow(id: u32) -> Option<Vec<&'static str>> {
    Some(match id {
        1 => vec!["sms", "voice", "voice"],
        2 => vec!["sms", "sms", "voice"],
        3 => vec!["voice", "voice"],
        4 => vec!["sms", "sms"],
        5 => vec!["sms", "voice"],
        6 => vec!["sms"],
        7 => vec!["voice"],
        _ => return None,
    })
}

fn number_in(params: &Params, name: &str, default: u32, range: std::ops::RangeInclusive<u32>) -> Result<u32, V1Error> {
    match params.get(name) {
        None => Ok(default),
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| error("3", &format!("Invalid value for param: {name}"))),
    }
}

pub async fn start(State(sim): State<Simulator>, Authorized(params): Authorized) -> Result<Response, V1Error> {
    let Some(number) = params.get("number").cloned() else {
        return Err(error("2", "Your request is incomplete and missing the mandatory parameter `number`"));
    };
    let Some(brand) = params.get("brand").cloned() else {
        return Err(error("2", "Your request is incomplete and missing the mandatory parameter `brand`"));
    };
    if !msisdn::is_msisdn(&number) {
        return Err(error("3", "Invalid value for param: number"));
    }
    if brand.is_empty() || brand.chars().count() > 18 {
        return Err(error("3", "Invalid value for param: brand"));
    }
    let code_length = number_in(&params, "code_length", 4, 4..=6)?;
    if code_length == 5 {
        return Err(error("3", "Invalid value for param: code_length"));
    }
    let pin_expiry = number_in(&params, "pin_expiry", 300, 60..=3600)?;
    let next_event_wait = number_in(&params, "next_event_wait", 300, 60..=900)?;
    let workflow_id = number_in(&params, "workflow_id", 1, 1..=7)?;
    let steps = workflow(workflow_id).expect("checked range").into_iter().map(|c| Step::new(c, &number)).collect();
    let locale = params.get("lg").cloned();
    if locale.as_deref().is_some_and(|l| !model::is_locale(l)) {
        return Err(error("3", "Invalid value for param: lg"));
    }
    let started = sim.start_verification(NewVerification {
        id: uuid::Uuid::new_v4().simple().to_string(),
        to: number,
        brand,
        code: model::random_code(code_length as usize),
        steps,
        step_timeout: time::Duration::seconds(i64::from(next_event_wait)),
        lifetime: time::Duration::seconds(i64::from(pin_expiry)),
        locale,
        client_ref: None,
        // Status callbacks are Verify v2's.
        reports: false,
    });
    match started {
        Ok(id) => Ok(Json(json!({"request_id": id, "status": "0"})).into_response()),
        Err(existing) => Ok(with_id(&existing, "10", "Concurrent verifications to the same number are not allowed")),
    }
}

pub async fn check(State(sim): State<Simulator>, Authorized(params): Authorized) -> Result<Response, V1Error> {
    let (Some(id), Some(code)) = (params.get("request_id").cloned(), params.get("code").cloned()) else {
        return Err(error(
            "2",
            "Your request is incomplete and missing the mandatory parameter `request_id` or `code`",
        ));
    };
    let max_wrong = sim.config().max_wrong_codes;
    Ok(sim.with_verification(&id, |found, moment| match found {
        Some(v) if v.status == Status::InProgress => {
            if v.code == code {
                v.complete(moment);
                Json(json!({
                    "request_id": id,
                    "event_id": uuid::Uuid::new_v4().simple().to_string(),
                    "status": "0",
                    "price": "0.10000000",
                    "currency": "EUR",
                }))
                .into_response()
            } else if v.wrong_code(max_wrong, moment) {
                with_id(&id, "17", "The wrong code was provided too many times. Request terminated")
            } else {
                with_id(&id, "16", "The code inserted does not match the expected value")
            }
        }
        _ => with_id(&id, "6", &format!("The Verify request ('{id}') was not found or it has been verified already.")),
    }))
}

pub async fn control(State(sim): State<Simulator>, Authorized(params): Authorized) -> Result<Response, V1Error> {
    let (Some(id), Some(cmd)) = (params.get("request_id").cloned(), params.get("cmd").cloned()) else {
        return Err(error("2", "Your request is incomplete and missing the mandatory parameter `request_id` or `cmd`"));
    };
    if cmd != "cancel" && cmd != "trigger_next_event" {
        return Err(error("3", "Invalid value for param: cmd"));
    }
    let min_age = sim.config().cancel_min_age;
    Ok(sim.with_verification(&id, |found, moment| match found {
        Some(v) if v.status == Status::InProgress => match cmd.as_str() {
            "cancel" if moment.now - v.created_at < min_age || v.step > 0 => {
                error("19", &format!("Verification request ['{id}'] can't be cancelled within the first 30 seconds."))
                    .into_response()
            }
            "cancel" => {
                v.cancel();
                Json(json!({"status": "0", "command": "cancel"})).into_response()
            }
            _ if v.advance(moment) => Json(json!({"status": "0", "command": "trigger_next_event"})).into_response(),
            _ => error("19", &format!("Verification request ['{id}'] No more events are left to execute."))
                .into_response(),
        },
        _ => error("6", &format!("The requestId '{id}' does not exist or its no longer active.")).into_response(),
    }))
}

pub async fn search(State(sim): State<Simulator>, Authorized(params): Authorized) -> Result<Response, V1Error> {
    let Some(id) = params.get("request_id").cloned() else {
        return Err(error("2", "Your request is incomplete and missing the mandatory parameter `request_id`"));
    };
    Ok(sim.with_verification(&id, |found, _| match found {
        Some(v) => {
            let status = match v.status {
                Status::InProgress => "IN PROGRESS",
                Status::Completed => "SUCCESS",
                Status::Failed => "FAILED",
                Status::Expired => "EXPIRED",
                Status::Cancelled => "CANCELLED",
            };
            Json(json!({
                "request_id": v.id,
                "number": v.to,
                "sender_id": "VERIFY",
                "date_submitted": model::rfc3339(v.created_at),
                "status": status,
                "price": "0.10000000",
                "currency": "EUR",
                "checks": [],
                "events": v.steps[..=v.step].iter().map(|s| json!({"type": s.channel, "id": v.id})).collect::<Vec<_>>(),
            }))
            .into_response()
        }
        None => error("101", "No response found").into_response(),
    }))
}
