//! Faults on demand: the next calls to an endpoint answer an error, or answer late. What a fault
//! says is each simulator's own ([`Fault`]); keeping faults, using them up and the control
//! endpoint (`GET|POST|DELETE /_simulator/faults`) are here.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Sim;

/// A simulator's fault, as `POST /_simulator/faults` takes it.
pub trait Fault: Clone + Serialize + DeserializeOwned + Send + Sync + 'static {
    /// How many more calls it applies to.
    fn count_mut(&mut self) -> &mut u32;

    /// Why it cannot be set (an unknown endpoint, a status out of range, no calls), if it cannot.
    fn problem(&self) -> Option<String>;
}

/// The faults set and not used up yet, in the order they were set.
#[derive(Clone)]
pub struct Faults<F>(Arc<Mutex<Vec<F>>>);

impl<F> Default for Faults<F> {
    fn default() -> Self {
        Self(Arc::default())
    }
}

impl<F: Fault> Faults<F> {
    fn lock(&self) -> MutexGuard<'_, Vec<F>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn add(&self, fault: F) {
        self.lock().push(fault);
    }

    /// The first fault set that `applies` to a call, used once by it.
    pub fn take(&self, applies: impl Fn(&F) -> bool) -> Option<F> {
        let mut faults = self.lock();
        let fault = faults.iter_mut().find(|f| applies(f)).map(|f| {
            *f.count_mut() -= 1;
            f.clone()
        });
        faults.retain_mut(|f| *f.count_mut() > 0);
        fault
    }

    pub fn list(&self) -> Vec<F> {
        self.lock().clone()
    }

    pub fn clear(&self) {
        self.lock().clear();
    }
}

/// `GET` lists the faults, `POST` adds one (400 with `{"error"}` if it cannot be set, else 201
/// with the list), `DELETE` clears them.
pub(crate) fn routes<S: Sim>() -> Router<S> {
    Router::new().route("/_simulator/faults", get(list::<S>).post(add::<S>).delete(clear::<S>))
}

async fn list<S: Sim>(State(sim): State<S>) -> Response {
    Json(sim.faults().list()).into_response()
}

async fn add<S: Sim>(State(sim): State<S>, body: Bytes) -> Response {
    let problem = match serde_json::from_slice::<S::Fault>(&body) {
        Ok(fault) => match fault.problem() {
            None => {
                sim.faults().add(fault);
                return (StatusCode::CREATED, Json(sim.faults().list())).into_response();
            }
            Some(problem) => problem,
        },
        Err(e) => e.to_string(),
    };
    crate::bad_request(problem)
}

async fn clear<S: Sim>(State(sim): State<S>) -> StatusCode {
    sim.faults().clear();
    StatusCode::NO_CONTENT
}
