//! `/_simulator/callbacks`: `GET` lists the callbacks posted, `DELETE` forgets them; `POST
//! {"mode", "count"}` sends the next `count` (default 1) in a forged mode; `POST
//! /_simulator/callbacks/replay` posts the last one again and answers `{"status"}`, the
//! receiver's status (`null` when it did not answer).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::CallbackMode;
use crate::Simulator;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModeChange {
    mode: CallbackMode,
    #[serde(default = "one")]
    count: u32,
}

fn one() -> u32 {
    1
}

pub(crate) async fn list(State(sim): State<Simulator>) -> Response {
    Json(sim.callbacks()).into_response()
}

pub(crate) async fn clear(State(sim): State<Simulator>) -> StatusCode {
    sim.clear_callbacks();
    StatusCode::NO_CONTENT
}

pub(crate) async fn set_mode(State(sim): State<Simulator>, body: Bytes) -> Response {
    let change = match serde_json::from_slice::<ModeChange>(&body) {
        Ok(change) if change.count > 0 => change,
        _ => {
            let error = "expected {\"mode\", \"count\"}: mode one of signed, unsigned, other_secret, alg_none, stale, \
                         future, changed_body, unknown_verification, malformed; count at least 1";
            return (StatusCode::BAD_REQUEST, Json(json!({"error": error}))).into_response();
        }
    };
    sim.set_callback_mode(change.mode, change.count);
    Json(json!({"mode": change.mode, "count": change.count})).into_response()
}

pub(crate) async fn replay(State(sim): State<Simulator>) -> Response {
    match sim.inner.callbacks.courier.replay().await {
        Some(status) => Json(json!({"status": status})).into_response(),
        None => (StatusCode::NOT_FOUND, Json(json!({"error": "no callback has been posted yet"}))).into_response(),
    }
}
