//! Verify v2: JSON in, `application/problem+json` errors out, HTTP status carries the outcome.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::jwt::Refusal;
use crate::model::{self, NewVerification, Status, Step};
use crate::{Simulator, auth, msisdn};

const CHANNELS: &[&str] = &["sms", "voice", "whatsapp", "whatsapp_interactive", "email", "rcs", "silent_auth"];
const BRAND_FORBIDDEN: &[char] = &['/', '{', '}', ':', '$'];
const ERRORS: &str = "https://developer.vonage.com/en/api-errors";

/// An RFC 7807 problem document, as Vonage v2 answers every error.
pub fn problem(status: StatusCode, title: &str, kind: &str, detail: &str) -> Response {
    problem_with(status, title, kind, detail, serde_json::Map::new())
}

fn problem_with(
    status: StatusCode,
    title: &str,
    kind: &str,
    detail: &str,
    extra: serde_json::Map<String, Value>,
) -> Response {
    let mut body = json!({
        "title": title,
        "type": kind,
        "detail": detail,
        "instance": uuid::Uuid::new_v4().to_string(),
    });
    body.as_object_mut().expect("built as an object").extend(extra);
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    response
}

fn unauthorized() -> Response {
    problem(
        StatusCode::UNAUTHORIZED,
        "Unauthorized",
        "https://developer.vonage.com/api-errors#unauthorized",
        "You did not provide correct credentials.",
    )
}

fn jwt_expired() -> Response {
    problem(
        StatusCode::UNAUTHORIZED,
        "You did not provide correct credentials.",
        "https://developer.vonage.com/api-errors#jwt-expired",
        "The JWT provided has expired.",
    )
}

/// The 401 for refused credentials: an expired JWT has Vonage's own problem document.
fn refused(refusal: Refusal) -> Response {
    match refusal {
        Refusal::Expired => jwt_expired(),
        Refusal::Invalid => unauthorized(),
    }
}

fn not_found(id: &str) -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "Not Found",
        "https://developer.vonage.com/api-errors#not-found",
        &format!("Request {id} was not found or it has been verified already."),
    )
}

fn invalid_params(params: Vec<(String, String)>) -> Response {
    let list: Vec<Value> = params.into_iter().map(|(name, reason)| json!({"name": name, "reason": reason})).collect();
    let mut extra = serde_json::Map::new();
    extra.insert("invalid_parameters".into(), Value::Array(list));
    problem_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        "Invalid params",
        &format!("{ERRORS}#invalid-params"),
        "The value of one or more parameters is invalid.",
        extra,
    )
}

fn bad_json() -> Response {
    problem(
        StatusCode::BAD_REQUEST,
        "Bad Request",
        &format!("{ERRORS}#bad-request"),
        "The request body is not valid JSON.",
    )
}

/// The start request, checked as Vonage checks it.
struct StartRequest {
    brand: String,
    to: String,
    steps: Vec<Step>,
    code_length: usize,
    custom_code: Option<String>,
    channel_timeout: i64,
    locale: Option<String>,
    client_ref: Option<String>,
}

/// The invalid parameters of a request, as Vonage lists them: name and reason.
#[derive(Default)]
struct Problems(Vec<(String, String)>);

impl Problems {
    fn add(&mut self, name: &str, reason: &str) {
        self.0.push((name.to_owned(), reason.to_owned()));
    }

    /// An optional whole number in `range`, `default` when absent (or invalid, after noting it).
    fn number_in(&mut self, body: &Value, name: &str, range: std::ops::RangeInclusive<i64>, default: i64) -> i64 {
        match body.get(name) {
            None => default,
            Some(v) => v.as_i64().filter(|n| range.contains(n)).unwrap_or_else(|| {
                self.add(name, &format!("{name} must be between {} and {}", range.start(), range.end()));
                default
            }),
        }
    }
}

fn parse_start(body: &Value) -> Result<StartRequest, Vec<(String, String)>> {
    let mut problems = Problems::default();
    let brand = parse_brand(body, &mut problems);
    let (to, steps) = parse_workflow(body, &mut problems);
    let code_length = usize::try_from(problems.number_in(body, "code_length", 4..=10, 4)).unwrap_or(4);
    let custom_code = parse_custom_code(body, &mut problems);
    let channel_timeout = problems.number_in(body, "channel_timeout", 15..=900, 300);
    let client_ref = parse_client_ref(body, &mut problems);
    let locale = parse_locale(body, &mut problems);
    if problems.0.is_empty() {
        Ok(StartRequest { brand, to, steps, code_length, custom_code, channel_timeout, locale, client_ref })
    } else {
        Err(problems.0)
    }
}

fn parse_brand(body: &Value, problems: &mut Problems) -> String {
    let brand = body.get("brand").and_then(Value::as_str).unwrap_or_default().to_owned();
    if brand.is_empty() {
        problems.add("brand", "Brand is required");
    } else if brand.chars().count() > 18 || brand.contains(BRAND_FORBIDDEN) {
        problems.add("brand", "Brand must be 1-18 characters and must not contain / { } : $");
    }
    brand
}

/// The first step's number, and each step.
fn parse_workflow(body: &Value, problems: &mut Problems) -> (String, Vec<Step>) {
    let workflow = body.get("workflow").and_then(Value::as_array).cloned().unwrap_or_default();
    if !(1..=3).contains(&workflow.len()) {
        problems.add("workflow", "Workflow must have 1 to 3 steps");
    }
    let mut steps = Vec::new();
    let mut to = String::new();
    for (i, step) in workflow.iter().enumerate() {
        let channel = step.get("channel").and_then(Value::as_str).unwrap_or_default();
        if !CHANNELS.contains(&channel) {
            problems.add(&format!("workflow[{i}].channel"), "Invalid channel");
        } else if channel == "silent_auth" && i > 0 {
            problems.add(&format!("workflow[{i}].channel"), "silent_auth must be the first step");
        }
        let step_to = step.get("to").and_then(Value::as_str).unwrap_or_default();
        if channel != "email" && !msisdn::is_msisdn(step_to) {
            problems.add(&format!("workflow[{i}].to"), "Invalid phone number: E.164 digits without a leading +");
        }
        if channel == "whatsapp" {
            check_whatsapp_step(step, i, problems);
        }
        if to.is_empty() {
            to = step_to.to_owned();
        }
        steps.push(Step::new(channel, step_to));
    }
    (to, steps)
}

/// A WhatsApp step names the WhatsApp Business Account's number it is sent from (`from`, E.164
/// digits without `+` or `00`, up to 50) and may ask for a `mode`.
fn check_whatsapp_step(step: &Value, i: usize, problems: &mut Problems) {
    let from = step.get("from").and_then(Value::as_str).unwrap_or_default();
    let from_ok = (1..=50).contains(&from.len()) && from.bytes().all(|b| b.is_ascii_digit()) && !from.starts_with('0');
    if !from_ok {
        problems.add(
            &format!("workflow[{i}].from"),
            "from must be the WhatsApp Business Account's number: E.164 digits without + or 00",
        );
    }
    if step.get("mode").is_some_and(|m| !matches!(m.as_str(), Some("otp_code" | "zero_tap"))) {
        problems.add(&format!("workflow[{i}].mode"), "mode must be otp_code or zero_tap");
    }
}

fn parse_custom_code(body: &Value, problems: &mut Problems) -> Option<String> {
    let code = body.get("code")?;
    let valid = code.as_str().filter(|c| (4..=10).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_alphanumeric()));
    if valid.is_none() {
        problems.add("code", "code must be 4 to 10 alphanumeric characters");
    }
    valid.map(str::to_owned)
}

/// `locale`, e.g. `es-es`: a language and a region, lower case, as Vonage lists them.
fn parse_locale(body: &Value, problems: &mut Problems) -> Option<String> {
    let locale = body.get("locale")?;
    let valid = locale.as_str().filter(|l| model::is_locale(l));
    if valid.is_none() {
        problems.add("locale", "locale must be a language and a region, like es-es");
    }
    valid.map(str::to_owned)
}

/// `client_ref`, which the callbacks carry back.
fn parse_client_ref(body: &Value, problems: &mut Problems) -> Option<String> {
    let client_ref = body.get("client_ref")?;
    let valid =
        client_ref.as_str().filter(|r| (1..=40).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_alphanumeric()));
    if valid.is_none() {
        problems.add("client_ref", "client_ref must be 1 to 40 alphanumeric characters");
    }
    valid.map(str::to_owned)
}

pub async fn start(State(sim): State<Simulator>, headers: HeaderMap, body: Bytes) -> Response {
    let caller = match auth::caller(&headers, sim.config()) {
        Ok(caller) => caller,
        Err(refusal) => return refused(refusal),
    };
    let Ok(body) = serde_json::from_slice::<Value>(&body) else { return bad_json() };
    let request = match parse_start(&body) {
        Ok(r) => r,
        Err(problems) => return invalid_params(problems),
    };
    let step_timeout = time::Duration::seconds(request.channel_timeout);
    let started = sim.start_verification(NewVerification {
        id: uuid::Uuid::new_v4().to_string(),
        to: request.to,
        brand: request.brand,
        code: request.custom_code.unwrap_or_else(|| model::random_code(request.code_length)),
        lifetime: step_timeout * request.steps.len() as u32,
        steps: request.steps,
        step_timeout,
        locale: request.locale,
        client_ref: request.client_ref,
        // Vonage calls back only about the verifications its applications start.
        reports: caller == Caller::Application,
    });
    match started {
        Ok(id) => (StatusCode::ACCEPTED, axum::Json(json!({"request_id": id}))).into_response(),
        Err(existing) => {
            let mut extra = serde_json::Map::new();
            extra.insert("request_id".into(), existing.into());
            problem_with(
                StatusCode::CONFLICT,
                "Conflict",
                &format!("{ERRORS}/verify-v2#concurrent"),
                "Concurrent verifications to the same number are not allowed.",
                extra,
            )
        }
    }
}

pub async fn check(State(sim): State<Simulator>, Path(id): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(refusal) = auth::caller(&headers, sim.config()) {
        return refused(refusal);
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else { return bad_json() };
    let Some(code) = body.get("code").and_then(Value::as_str).map(str::to_owned) else {
        return invalid_params(vec![("code".into(), "code is required".into())]);
    };
    let config = sim.config().clone();
    sim.with_verification(&id, |found, moment| match found {
        None => not_found(&id),
        Some(v) => match v.status {
            Status::Expired => problem(
                StatusCode::GONE,
                "Gone",
                "https://developer.nexmo.com/api-errors#gone",
                "The verification has expired.",
            ),
            Status::Completed | Status::Failed | Status::Cancelled => not_found(&id),
            Status::InProgress if v.channel() == "silent_auth" => problem(
                StatusCode::CONFLICT,
                "Conflict",
                &format!("{ERRORS}/verify-v2#conflict"),
                "The current step of the workflow does not accept a code.",
            ),
            Status::InProgress if v.code == code => {
                v.complete(moment);
                (StatusCode::OK, axum::Json(json!({"request_id": id, "status": "completed"}))).into_response()
            }
            Status::InProgress => {
                if v.wrong_code(config.max_wrong_codes, moment) {
                    let status = StatusCode::from_u16(config.final_wrong_code_status).unwrap_or(StatusCode::GONE);
                    problem(
                        status,
                        "Invalid Code",
                        "https://developer.nexmo.com/api-errors#gone",
                        "An incorrect code has been provided too many times. Workflow terminated.",
                    )
                } else {
                    problem(
                        StatusCode::BAD_REQUEST,
                        "Invalid Code",
                        &format!("{ERRORS}/verify-v2#invalid-code"),
                        "The code you provided does not match the expected value.",
                    )
                }
            }
        },
    })
}

pub async fn cancel(State(sim): State<Simulator>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Err(refusal) = auth::caller(&headers, sim.config()) {
        return refused(refusal);
    }
    let min_age = sim.config().cancel_min_age;
    sim.with_verification(&id, |found, moment| match found {
        Some(v) if v.status == Status::InProgress => {
            if moment.now - v.created_at < min_age || v.step > 0 {
                problem(
                    StatusCode::CONFLICT,
                    "Conflict",
                    &format!("{ERRORS}/verify-v2#conflict"),
                    "Verification cannot be cancelled within the first 30 seconds or after the second event.",
                )
            } else {
                v.cancel();
                StatusCode::NO_CONTENT.into_response()
            }
        }
        _ => not_found(&id),
    })
}

pub async fn next_workflow(State(sim): State<Simulator>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Err(refusal) = auth::caller(&headers, sim.config()) {
        return refused(refusal);
    }
    sim.with_verification(&id, |found, moment| match found {
        Some(v) if v.status == Status::InProgress => {
            if v.advance(moment) {
                StatusCode::OK.into_response()
            } else {
                problem(
                    StatusCode::CONFLICT,
                    "Conflict",
                    &format!("{ERRORS}/verify-v2#conflict"),
                    "There are no more events left to trigger.",
                )
            }
        }
        _ => not_found(&id),
    })
}
