//! Outages on demand: the provider down (its port refuses connections), slow (starts answer late,
//! and only some of them are carried out), or throttled (every start refused), until told
//! otherwise. Set in-process ([`crate::Running::set_outage`], [`Outages::set`]) or with
//! `POST /_simulator/outage`; `GET` shows the current one.
//!
//! Only the calls that send something (a Vonage start, an AWS send) are slowed or throttled;
//! checks and the other calls answer as usual. Down takes the whole port away.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::Sim;

/// How the simulated provider fails, if it does. As JSON: `{"mode": "up"}`, `{"mode": "down"}`,
/// `{"mode": "slow", "delayMs": 6000, "deliverRatio": 0.25}`, `{"mode": "throttled"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "lowercase", rename_all_fields = "camelCase")]
pub enum Outage {
    #[default]
    Up,
    /// The port is closed: new connections are refused, and open ones are closed (an idle one at
    /// once, one in the middle of an answer right after it). Leaving `Down` binds the same port.
    Down,
    /// Every start answers `delay_ms` late. The share `deliver_ratio` of them, spread evenly
    /// (every 4th for 0.25, counted from when the outage was set), is carried out then, its
    /// message sent and answered as usual, whether or not the client still waits; the others send
    /// nothing and answer the provider's server error.
    Slow { delay_ms: u64, deliver_ratio: Ratio },
    /// Every start answers the provider's throttling error and sends nothing.
    Throttled,
}

const MILLION: u64 = 1_000_000;

/// A share from 0 to 1, kept in millionths so that which calls are in it is exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Ratio(u64);

impl Ratio {
    pub const ALL: Self = Self(MILLION);
    pub const NONE: Self = Self(0);

    /// `share` if it is from 0 to 1.
    pub fn new(share: f64) -> Option<Self> {
        (0.0..=1.0).contains(&share).then(|| Self((share * MILLION as f64).round() as u64))
    }

    /// Whether the `n`-th call of a run (from 1) is in the share: exactly ⌊n × share⌋ of the
    /// first n are, evenly spread.
    fn includes(self, n: u64) -> bool {
        n * self.0 / MILLION > (n - 1) * self.0 / MILLION
    }
}

impl TryFrom<f64> for Ratio {
    type Error = String;

    fn try_from(share: f64) -> Result<Self, String> {
        Self::new(share).ok_or_else(|| format!("a ratio is from 0 to 1 (got {share})"))
    }
}

impl From<Ratio> for f64 {
    fn from(ratio: Ratio) -> f64 {
        ratio.0 as f64 / MILLION as f64
    }
}

/// A simulator's outage, shared by its handlers and the loop that serves its port.
#[derive(Clone, Default)]
pub struct Outages(Arc<Shared>);

#[derive(Default)]
struct Shared {
    /// What is asked; the serving loop watches it.
    wanted: watch::Sender<Wanted>,
    /// What the serving loops have done.
    served: watch::Sender<Served>,
}

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Wanted {
    pub outage: Outage,
    /// Counts the outages set, so that a change is told from another.
    pub generation: u64,
    /// Slow starts since this outage was set.
    slow_starts: u64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Served {
    loops: usize,
    /// The latest outage a serving loop has acted on.
    generation: u64,
}

/// What an outage does to one start call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Now,
    Throttled,
    Late { delay: Duration, deliver: bool },
}

impl Outages {
    pub fn current(&self) -> Outage {
        self.0.wanted.borrow().outage
    }

    /// Sets `outage`, and returns once the server has acted on it: after `Down` the port refuses
    /// connections and the open ones are closed; after leaving it the port is bound again.
    pub async fn set(&self, outage: Outage) {
        let generation = self.replace(outage, None);
        self.acted_on(generation).await;
    }

    /// Sets `outage` as [`Outages::set`] does, and `Up` after `duration` unless another was set
    /// meanwhile.
    pub async fn set_for(&self, outage: Outage, duration: Duration) {
        let generation = self.replace(outage, None);
        let outages = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(duration).await;
            let up = outages.replace(Outage::Up, generation);
            outages.acted_on(up).await;
        });
        self.acted_on(generation).await;
    }

    /// Sets `outage`, unless `instead_of` names a generation that is no longer the one set; the
    /// generation it got.
    fn replace(&self, outage: Outage, instead_of: Option<u64>) -> Option<u64> {
        let mut generation = None;
        self.0.wanted.send_if_modified(|wanted| {
            if instead_of.is_some_and(|g| g != wanted.generation) {
                return false;
            }
            *wanted = Wanted { outage, generation: wanted.generation + 1, slow_starts: 0 };
            generation = Some(wanted.generation);
            true
        });
        generation
    }

    async fn acted_on(&self, generation: Option<u64>) {
        let Some(generation) = generation else { return };
        let mut served = self.0.served.subscribe();
        let _ = served.wait_for(|s| s.loops == 0 || s.generation >= generation).await;
    }

    /// What the outage does to a start call arriving now.
    pub fn admit(&self) -> Admission {
        let mut admission = Admission::Now;
        // A start counted changes nothing the serving loop watches: no one is told.
        self.0.wanted.send_if_modified(|wanted| {
            admission = match wanted.outage {
                Outage::Up | Outage::Down => Admission::Now,
                Outage::Throttled => Admission::Throttled,
                Outage::Slow { delay_ms, deliver_ratio } => {
                    wanted.slow_starts += 1;
                    Admission::Late {
                        delay: Duration::from_millis(delay_ms),
                        deliver: deliver_ratio.includes(wanted.slow_starts),
                    }
                }
            };
            false
        });
        admission
    }

    pub(crate) fn watch(&self) -> watch::Receiver<Wanted> {
        self.0.wanted.subscribe()
    }

    /// Counts a serving loop in until the guard is dropped: while there is none, setting an
    /// outage does not wait for one to act on it.
    pub(crate) fn attach(&self) -> Attached {
        self.0.served.send_modify(|s| s.loops += 1);
        Attached(self.clone())
    }
}

/// A serving loop counted in.
pub(crate) struct Attached(Outages);

impl Attached {
    pub fn outages(&self) -> &Outages {
        &self.0
    }

    /// The loop has acted on the outage of `generation`.
    pub fn acted_on(&self, generation: u64) {
        self.0.0.served.send_modify(|s| s.generation = s.generation.max(generation));
    }
}

impl Drop for Attached {
    fn drop(&mut self) {
        self.0.0.served.send_modify(|s| s.loops -= 1);
    }
}

impl Admission {
    /// Answers a start call as the outage allows: `start` now; or after the delay, in a task of
    /// its own so that it is carried out even when the client has stopped waiting (hyper drops a
    /// handler when its client hangs up); or not at all, answering `throttled` at once or
    /// `dropped` after the delay.
    pub async fn answer(
        self,
        start: impl Future<Output = Response> + Send + 'static,
        throttled: impl FnOnce() -> Response,
        dropped: impl FnOnce() -> Response,
    ) -> Response {
        match self {
            Self::Now => start.await,
            Self::Throttled => throttled(),
            Self::Late { delay, deliver: false } => {
                tokio::time::sleep(delay).await;
                dropped()
            }
            Self::Late { delay, deliver: true } => tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                start.await
            })
            .await
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response()),
        }
    }
}

/// `POST /_simulator/outage` body: an [`Outage`] and, if `forMs` is given, `up` again after that
/// long (unless another outage was set meanwhile).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Setting {
    #[serde(flatten)]
    outage: Outage,
    for_ms: Option<u64>,
}

/// `GET` shows the outage; `POST` sets one and answers it once in force (400 with `{"error"}` if
/// it cannot be set). `down` needs `forMs` here: once down, nothing on this port can bring the
/// simulator back, so it comes back by itself; the answer goes out before the connection closes.
pub(crate) fn routes<S: Sim>() -> Router<S> {
    Router::new().route("/_simulator/outage", get(show::<S>).post(set::<S>))
}

async fn show<S: Sim>(State(sim): State<S>) -> Response {
    Json(sim.outages().current()).into_response()
}

async fn set<S: Sim>(State(sim): State<S>, body: Bytes) -> Response {
    let setting = match serde_json::from_slice::<Setting>(&body) {
        Ok(setting) => setting,
        Err(e) => return crate::bad_request(e.to_string()),
    };
    match (setting.outage, setting.for_ms) {
        (Outage::Down, None) => {
            return crate::bad_request("down needs forMs: nothing on this port could bring the simulator back up");
        }
        (outage, None) => sim.outages().set(outage).await,
        (outage, Some(ms)) => sim.outages().set_for(outage, Duration::from_millis(ms)).await,
    }
    Json(setting.outage).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ratio_takes_exactly_its_share_evenly_spread() {
        let quarter = Ratio::new(0.25).unwrap();
        let picked: Vec<u64> = (1..=12).filter(|&n| quarter.includes(n)).collect();
        assert_eq!(picked, [4, 8, 12]);
        for share in [0.0, 0.1, 0.29, 1.0 / 3.0, 0.7, 1.0] {
            let ratio = Ratio::new(share).unwrap();
            let picked = (1..=1000).filter(|&n| ratio.includes(n)).count();
            assert_eq!(picked as f64, (1000.0 * share).floor(), "{share}");
        }
        assert_eq!(Ratio::new(1.5), None);
        assert_eq!(Ratio::new(-0.1), None);
        assert_eq!(Ratio::new(f64::NAN), None);
    }

    #[test]
    fn an_outage_reads_and_writes_the_documented_json() {
        let slow = Outage::Slow { delay_ms: 6000, deliver_ratio: Ratio::new(0.25).unwrap() };
        let json = serde_json::json!({"mode": "slow", "delayMs": 6000, "deliverRatio": 0.25});
        assert_eq!(serde_json::to_value(slow).unwrap(), json);
        assert_eq!(serde_json::from_value::<Outage>(json).unwrap(), slow);
        for (outage, mode) in [(Outage::Up, "up"), (Outage::Down, "down"), (Outage::Throttled, "throttled")] {
            assert_eq!(serde_json::to_value(outage).unwrap(), serde_json::json!({"mode": mode}));
        }
        let timed: Setting = serde_json::from_str(r#"{"mode": "down", "forMs": 2000}"#).unwrap();
        assert_eq!((timed.outage, timed.for_ms), (Outage::Down, Some(2000)));
        let whole: Setting = serde_json::from_str(r#"{"mode": "slow", "delayMs": 1, "deliverRatio": 1}"#).unwrap();
        assert_eq!(whole.outage, Outage::Slow { delay_ms: 1, deliver_ratio: Ratio::ALL });
        assert!(serde_json::from_str::<Outage>(r#"{"mode": "slow", "delayMs": 1, "deliverRatio": 2}"#).is_err());
        assert!(serde_json::from_str::<Outage>(r#"{"mode": "sideways"}"#).is_err());
    }

    #[tokio::test]
    async fn slow_starts_are_counted_from_when_the_outage_was_set() {
        let outages = Outages::default();
        assert_eq!(outages.admit(), Admission::Now);
        let slow = Outage::Slow { delay_ms: 10, deliver_ratio: Ratio::new(0.5).unwrap() };
        outages.set(slow).await;
        let delivered = |outages: &Outages| {
            (0..4).map(|_| matches!(outages.admit(), Admission::Late { deliver: true, .. })).collect::<Vec<_>>()
        };
        assert_eq!(delivered(&outages), [false, true, false, true]);
        outages.set(slow).await;
        assert_eq!(delivered(&outages), [false, true, false, true], "counted afresh");
        outages.set(Outage::Throttled).await;
        assert_eq!(outages.admit(), Admission::Throttled);
    }

    #[tokio::test]
    async fn a_timed_outage_ends_by_itself_unless_replaced() {
        let outages = Outages::default();
        outages.set_for(Outage::Throttled, Duration::from_millis(20)).await;
        assert_eq!(outages.current(), Outage::Throttled);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(outages.current(), Outage::Up);
        outages.set_for(Outage::Throttled, Duration::from_millis(20)).await;
        outages.set(Outage::Down).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(outages.current(), Outage::Down, "the later outage stays");
    }
}
