//! The development endpoints, beside the simulator only: its messages, faults, the clock, the
//! sending switch, the metrics, and the bot check's stand-in widget.

use super::*;

/// Only beside the simulator: with Vonage's credentials (and perhaps a shared table) the switch
/// would stop real sending, and nothing local should.
pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/dev/metrics", get(dev_metrics_snapshot))
        .route("/api/dev/sending", post(dev_sending))
        .route("/api/dev/messages", get(dev_messages))
        .route("/api/dev/faults", post(dev_fault))
        .route("/api/dev/clock", post(dev_clock))
        .route("/api/dev/callbacks", get(dev_callbacks).post(dev_callback_mode))
        .route("/api/dev/callbacks/replay", post(dev_callback_replay))
        .route("/api/dev/turnstile.js", get(dev_turnstile_widget))
}

/// What the simulator "sent", newest last (only in simulator mode).
#[derive(serde::Deserialize)]
pub(crate) struct MessagesQuery {
    /// Only the messages to this number (digits, as Vonage writes them, with or without `+`).
    to: Option<String>,
}

pub(crate) async fn dev_messages(State(app): State<Arc<App>>, Query(query): Query<MessagesQuery>) -> Response {
    let mut messages = app.simulator.as_ref().map(Simulator::messages).unwrap_or_default();
    let carried = app.sms_simulator.as_ref().map(sms_sim::Simulator::messages).unwrap_or_default();
    messages.extend(carried.iter().map(|m| {
        let at = app.sms_sent_at.of(&m.message_id).unwrap_or_else(|| m.sent_at.clone());
        vonage_sim::Message { sent_at: at, ..as_verify_message(m) }
    }));
    // In the order they were delivered: both simulators date that on this machine's clock, to the
    // millisecond, in one format (`sentAt` is the service's clock, which `/api/dev/clock` moves).
    messages.sort_by(|a, b| a.delivered_at.cmp(&b.delivered_at));
    if let Some(to) = query.to {
        let digits = to.trim_start_matches('+');
        messages.retain(|m| m.to.trim_start_matches('+') == digits);
    }
    axum::Json(messages).into_response()
}

/// A text or call of the second provider in the shape Vonage's simulator lists its messages:
/// the code is the text's last digits (after `#` on its last line), or a call's digits after
/// its last `:`.
pub(crate) fn as_verify_message(m: &sms_sim::Message) -> vonage_sim::Message {
    let (channel, code) = match m.channel {
        sms_sim::Channel::Sms => {
            let digits: String = m
                .message_body
                .chars()
                .rev()
                .skip_while(|c| !c.is_ascii_digit())
                .take_while(char::is_ascii_digit)
                .collect();
            ("sms", digits.chars().rev().collect())
        }
        sms_sim::Channel::Voice => {
            let repeated = m.message_body.rsplit(':').next().unwrap_or_default();
            ("voice", repeated.chars().filter(char::is_ascii_digit).collect::<String>())
        }
    };
    vonage_sim::Message {
        to: m.destination_phone_number.clone(),
        code,
        request_id: m.message_id.clone(),
        channel: channel.to_owned(),
        sent_at: m.sent_at.clone(),
        delivered_at: m.sent_at.clone(),
        text: m.message_body.clone(),
        locale: m.context.get(shared::adapters::aws_sms::LOCALE_CONTEXT).cloned(),
    }
}

/// Makes the simulator's next calls fail (the body is the simulator's fault, see vonage-sim).
pub(crate) async fn dev_fault(
    State(app): State<Arc<App>>,
    fault: Result<axum::Json<vonage_sim::Fault>, JsonRejection>,
) -> Response {
    let fault = match fault {
        Ok(axum::Json(fault)) => fault,
        Err(rejection) => return bad_dev_request(&rejection.body_text()),
    };
    if let Some(simulator) = &app.simulator {
        simulator.add_fault(fault);
    }
    StatusCode::CREATED.into_response()
}

/// The dashboard's figures, summed since this process started (see `dev_metrics`).
pub(crate) async fn dev_metrics_snapshot(State(app): State<Arc<App>>) -> Response {
    let series = app.metrics.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    axum::Json(dev_metrics::snapshot(&series)).into_response()
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SendingSwitch {
    stopped: bool,
}

/// The operator's switch, as docs/operate/operations.md sets it in the table: `{"stopped": true}` stops
/// every send (503 `sending_stopped`), `{"stopped": false}` starts them again.
pub(crate) async fn dev_sending(
    State(app): State<Arc<App>>,
    switch: Result<axum::Json<SendingSwitch>, JsonRejection>,
) -> Response {
    let switch = match switch {
        Ok(axum::Json(switch)) => switch,
        Err(rejection) => return bad_dev_request(&rejection.body_text()),
    };
    match app.deps.service.store().set_sending_stopped(switch.stopped).await {
        Ok(()) => axum::Json(serde_json::json!({ "stopped": switch.stopped })).into_response(),
        Err(e) => {
            let body = serde_json::json!({"error": format!("the switch could not be set: {e}"), "code": "service_unavailable"});
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
        }
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ClockChange {
    advance_seconds: u32,
}

/// How far the local clock may be moved ahead of real time in all: far beyond any code's
/// lifetime, cooldown or hourly window, and far from the end of the time library's range.
pub const MAX_CLOCK_ADVANCE_SECONDS: i64 = 366 * 24 * 3600;

/// Moves the service's and the simulator's time forward, for trying expiry without waiting.
pub(crate) async fn dev_clock(
    State(app): State<Arc<App>>,
    change: Result<axum::Json<ClockChange>, JsonRejection>,
) -> Response {
    let change = match change {
        Ok(axum::Json(change)) => change,
        Err(rejection) => return bad_dev_request(&rejection.body_text()),
    };
    let step = i64::from(change.advance_seconds);
    let moved = app.clock.0.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |offset| {
        Some(offset + step).filter(|total| *total <= MAX_CLOCK_ADVANCE_SECONDS)
    });
    if moved.is_err() {
        return bad_dev_request(&format!(
            "the local clock moves at most {MAX_CLOCK_ADVANCE_SECONDS} seconds ahead in all"
        ));
    }
    if let Some(simulator) = &app.simulator {
        simulator.advance(std::time::Duration::from_secs(u64::from(change.advance_seconds)));
    }
    let now = shared::http::rfc3339(app.clock.now());
    axum::Json(serde_json::json!({ "now": now })).into_response()
}

/// The status callbacks the simulator sent to this server's `/webhooks/vonage`, and the answer
/// each got: `[{"mode", "body", "status", "requestId"}]`.
pub(crate) async fn dev_callbacks(State(app): State<Arc<App>>) -> Response {
    axum::Json(app.simulator.as_ref().map(Simulator::callbacks).unwrap_or_default()).into_response()
}

#[derive(serde::Deserialize)]
pub(crate) struct CallbackModeChange {
    mode: vonage_sim::CallbackMode,
    #[serde(default = "one")]
    count: u32,
}

fn one() -> u32 {
    1
}

/// `{"mode": "unsigned" | "other_secret" | "alg_none" | "stale" | "future" | "changed_body" |
/// "unknown_verification" | "malformed" | "signed", "count": n}`: the next `n` callbacks go out so.
pub(crate) async fn dev_callback_mode(
    State(app): State<Arc<App>>,
    change: Result<axum::Json<CallbackModeChange>, JsonRejection>,
) -> Response {
    let change = match change {
        Ok(axum::Json(change)) => change,
        Err(rejection) => return bad_dev_request(&rejection.body_text()),
    };
    if let Some(simulator) = &app.simulator {
        simulator.set_callback_mode(change.mode, change.count.max(1));
    }
    axum::Json(serde_json::json!({ "mode": change.mode, "count": change.count.max(1) })).into_response()
}

/// Sends the last callback again, byte for byte (a replay): `{"status": <this server's answer>}`.
pub(crate) async fn dev_callback_replay(State(app): State<Arc<App>>) -> Response {
    let status = match &app.simulator {
        Some(simulator) => simulator.replay_last_callback().await,
        None => None,
    };
    axum::Json(serde_json::json!({ "status": status })).into_response()
}

/// The simulator's stand-in for the Turnstile widget script (Cloudflare's test sitekeys), for a
/// browser test to serve in place of Cloudflare's.
pub(crate) async fn dev_turnstile_widget() -> Response {
    ([(axum::http::header::CONTENT_TYPE, "text/javascript; charset=utf-8")], vonage_sim::turnstile::WIDGET_SCRIPT)
        .into_response()
}

/// A development endpoint's refusal, in the API's error shape.
pub(crate) fn bad_dev_request(problem: &str) -> Response {
    let body = serde_json::json!({"error": format!("Bad request: {problem}."), "code": "invalid_request"});
    (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
}
