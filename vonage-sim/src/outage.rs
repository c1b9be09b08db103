//! Outages as Vonage would show them, on the two start calls: throttled, v2 answers 429 and v1
//! status `1`; a slow start that is not carried out answers late with v2's 500 or v1's status `5`.

use axum::Json;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sim_kit::Sim;

use crate::Simulator;

/// More than any start request's body.
const BODY_LIMIT: usize = 64 * 1024;

pub async fn gate(State(sim): State<Simulator>, request: Request, next: Next) -> Response {
    let legacy = !request.uri().path().starts_with("/v2/");
    // Read now, while its client surely waits: a late start may run after the client has hung
    // up, and must not need the connection then.
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let start = next.run(Request::from_parts(parts, Body::from(body)));
    sim.outages().admit().answer(start, || throttled(legacy), || dropped(legacy)).await
}

/// The 429 of the wire notes, and v1's status 1 ("Throttled").
fn throttled(legacy: bool) -> Response {
    if legacy {
        return Json(serde_json::json!({"status": "1", "error_text": "Throttled"})).into_response();
    }
    crate::v2::problem(
        StatusCode::TOO_MANY_REQUESTS,
        "Rate Limit Hit",
        "https://developer.vonage.com/en/api-errors#throttled",
        "Please wait, then retry your request",
    )
}

fn dropped(legacy: bool) -> Response {
    if legacy {
        return Json(serde_json::json!({"status": "5", "error_text": "Internal Error"})).into_response();
    }
    crate::v2::problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Internal Server Error",
        "https://developer.vonage.com/api-errors#simulated",
        "Simulated outage: the request was not carried out.",
    )
}
