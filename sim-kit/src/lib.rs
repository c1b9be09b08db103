//! What the provider simulators (`vonage-sim`, `sms-sim`) share: serving a simulator's router on
//! loopback, in the background for tests or as a command ([`spawn`], [`main`]); faults on demand
//! for the next calls ([`fault`]); outages until told otherwise, down, slow or throttled
//! ([`outage`]); and numbers masked for the terminal.

mod command;
pub mod fault;
pub mod outage;
mod serve;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

pub use command::main;
pub use outage::{Outage, Outages, Ratio};
pub use serve::{Running, serve, spawn};

use fault::{Fault, Faults};

/// A simulator as this crate serves it: cheap to clone, shared by every connection.
pub trait Sim: Clone + Send + Sync + 'static {
    /// What `GET /_simulator/messages` lists.
    type Message: Serialize;
    type Fault: Fault;

    /// The provider's API, and any controls of the simulator's own beyond those of [`router`].
    fn routes(&self) -> Router<Self>;

    /// Every message sent so far.
    fn messages(&self) -> Vec<Self::Message>;

    fn clear_messages(&self);

    fn faults(&self) -> &Faults<Self::Fault>;

    /// Its outage: the serving loop follows it, and so must the calls that send (see
    /// [`outage::Admission`]).
    fn outages(&self) -> &Outages;
}

/// Every route of `sim`: its own, and the controls every simulator has: `GET|DELETE
/// /_simulator/messages` (what was "sent"), `GET|POST|DELETE /_simulator/faults` and `GET|POST
/// /_simulator/outage`.
pub fn router<S: Sim>(sim: &S) -> Router {
    sim.routes()
        .route("/_simulator/messages", get(list_messages::<S>).delete(clear_messages::<S>))
        .merge(fault::routes())
        .merge(outage::routes())
        .layer(middleware::from_fn(log_request))
        .with_state(sim.clone())
}

async fn list_messages<S: Sim>(State(sim): State<S>) -> Response {
    axum::Json(sim.messages()).into_response()
}

async fn clear_messages<S: Sim>(State(sim): State<S>) -> StatusCode {
    sim.clear_messages();
    StatusCode::NO_CONTENT
}

/// A control call that cannot be carried out: 400 with `{"error"}`.
fn bad_request(problem: impl Into<String>) -> Response {
    (StatusCode::BAD_REQUEST, axum::Json(serde_json::json!({"error": problem.into()}))).into_response()
}

async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    tracing::debug!(%method, %path, status = response.status().as_u16(), "simulator answered");
    response
}

/// Now by the wall clock, as a message record carries its delivery: RFC 3339 in UTC to the
/// millisecond, so that a benchmark can tell how long after its request a message arrived.
pub fn delivery_time() -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    time::OffsetDateTime::now_utc().format(&format).unwrap_or_default()
}

/// Keeps the last two digits only, as the service's own log lines do (a simulator cannot tell a
/// country code from the number): enough to tell messages apart on a screen.
pub fn mask(e164: &str) -> String {
    let digits = e164.trim_start_matches('+');
    let tail = digits.len().saturating_sub(2);
    let masked: String = digits.char_indices().map(|(i, c)| if i >= tail { c } else { '*' }).collect();
    format!("+{masked}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_time_is_rfc_3339_to_the_millisecond() {
        let now = delivery_time();
        let parsed = time::OffsetDateTime::parse(&now, &time::format_description::well_known::Rfc3339);
        assert!(parsed.is_ok(), "{now}");
        assert_eq!(now.len(), "2026-01-01T12:00:00.000Z".len(), "{now}");
    }

    #[test]
    fn keeps_only_the_last_two_digits() {
        assert_eq!(mask("+14155552671"), "+*********71");
        assert_eq!(mask("+447700900123"), "+**********23");
        assert_eq!(mask("+12345"), "+***45");
    }
}
