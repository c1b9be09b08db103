//! A circuit breaker for one provider (or one provider in one country): it opens when enough of
//! the calls of the last window failed in a way that says the provider, not the number, is the
//! trouble (a timeout, a 5xx, a 429, no connection), keeps traffic away for a pause, then lets one
//! call through as a probe: its success closes it, its failure opens it again.
//!
//! Arithmetic on the instants it is given: the caller holds it (per process) and says when.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerSettings {
    /// How far back calls count...
    pub window: Duration,
    /// ...and at most how many of the latest: a long healthy run before a fault does not hold
    /// the breaker shut while the fault's failures outnumber it.
    pub window_calls: usize,
    /// At least this many failures in the window open it...
    pub min_failures: u32,
    /// ...when they are at least this share of the window's calls.
    pub failure_percent: u32,
    /// How long it stays open before a probe.
    pub pause: Duration,
}

impl Default for BreakerSettings {
    /// Five failures in 30 s, half the calls or more; a probe 15 s later. A provider answering
    /// errors fast is left after five; one that has recovered gets traffic back within the pause
    /// and one call (docs/operate/providers.md).
    fn default() -> Self {
        Self {
            window: Duration::from_secs(30),
            window_calls: 20,
            min_failures: 5,
            failure_percent: 50,
            pause: Duration::from_secs(15),
        }
    }
}

/// Where a breaker stands at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Traffic goes to it.
    Closed,
    /// Its pause is over and no probe is out: the next call to it is one.
    ProbeDue,
    /// Open (its pause runs), or half-open with its probe out.
    Open,
}

/// What a recorded outcome changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Opened,
    Closed,
}

#[derive(Debug, Clone)]
pub struct Breaker {
    settings: BreakerSettings,
    /// The window's calls, oldest first: when, and whether it failed.
    calls: VecDeque<(Instant, bool)>,
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed,
    Open {
        until: Instant,
    },
    /// The pause is over; `probe` is when the probe went, if one is out.
    HalfOpen {
        probe: Option<Instant>,
    },
}

impl Breaker {
    pub fn new(settings: BreakerSettings) -> Self {
        Self { settings, calls: VecDeque::new(), state: State::Closed }
    }

    pub fn standing(&self, now: Instant) -> Standing {
        match self.state {
            State::Closed => Standing::Closed,
            State::Open { until } if now < until => Standing::Open,
            State::Open { .. } | State::HalfOpen { probe: None } => Standing::ProbeDue,
            // A probe that never reported (its call was lost) is given up after a window.
            State::HalfOpen { probe: Some(sent) } if now.duration_since(sent) >= self.settings.window => {
                Standing::ProbeDue
            }
            State::HalfOpen { .. } => Standing::Open,
        }
    }

    /// A call goes to it while a probe is due: that call is the probe.
    pub fn probe(&mut self, now: Instant) {
        if self.standing(now) == Standing::ProbeDue {
            self.state = State::HalfOpen { probe: Some(now) };
        }
    }

    /// Records a call's outcome: `failed` where it failed as a provider does (not for a number).
    pub fn record(&mut self, now: Instant, failed: bool) -> Option<Transition> {
        self.calls.push_back((now, failed));
        while self.calls.front().is_some_and(|(at, _)| now.duration_since(*at) > self.settings.window)
            || self.calls.len() > self.settings.window_calls
        {
            self.calls.pop_front();
        }
        match (self.state, failed) {
            (State::Closed, true) if self.should_open() => self.open(now),
            (State::Closed, _) => None,
            (State::Open { .. } | State::HalfOpen { .. }, true) => {
                // A failure while open (a call that was under way) or of the probe: open again.
                let was_open = matches!(self.state, State::Open { .. });
                self.state = State::Open { until: now + self.settings.pause };
                (!was_open).then_some(Transition::Opened)
            }
            (State::Open { .. } | State::HalfOpen { .. }, false) => {
                self.calls.clear();
                self.state = State::Closed;
                Some(Transition::Closed)
            }
        }
    }

    fn should_open(&self) -> bool {
        let failures = self.calls.iter().filter(|(_, failed)| *failed).count();
        let total = self.calls.len();
        failures >= self.settings.min_failures as usize
            && failures * 100 >= total * self.settings.failure_percent as usize
    }

    fn open(&mut self, now: Instant) -> Option<Transition> {
        self.state = State::Open { until: now + self.settings.pause };
        Some(Transition::Opened)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(start: Instant, ms: u64) -> Instant {
        start + Duration::from_millis(ms)
    }

    #[test]
    fn it_opens_on_enough_failures_in_the_window_and_not_on_fewer() {
        let t0 = Instant::now();
        let mut b = Breaker::new(BreakerSettings::default());
        for i in 0..4 {
            assert_eq!(b.record(at(t0, i * 100), true), None);
        }
        assert_eq!(b.standing(at(t0, 400)), Standing::Closed);
        assert_eq!(b.record(at(t0, 500), true), Some(Transition::Opened));
        assert_eq!(b.standing(at(t0, 600)), Standing::Open);

        // Five failures among twenty calls are a quarter: under half, it stays closed.
        let mut b = Breaker::new(BreakerSettings::default());
        for i in 0..20 {
            assert_eq!(b.record(at(t0, i * 10), i % 4 == 0), None, "{i}");
        }
        // After a long healthy run, the latest calls decide: ten failures open it.
        let mut b = Breaker::new(BreakerSettings::default());
        for i in 0..200 {
            assert_eq!(b.record(at(t0, i), false), None);
        }
        let opened = (0..10).map(|i| b.record(at(t0, 200 + i), true)).position(|t| t == Some(Transition::Opened));
        assert_eq!(opened, Some(9), "the tenth of the last twenty calls");
        // Failures spread wider than the window never add up.
        let mut b = Breaker::new(BreakerSettings::default());
        for i in 0..10 {
            assert_eq!(b.record(at(t0, i * 10_000), true), None, "{i}");
        }
    }

    #[test]
    fn after_its_pause_one_probe_goes_and_its_outcome_decides() {
        let t0 = Instant::now();
        let mut b = Breaker::new(BreakerSettings::default());
        for i in 0..5 {
            b.record(at(t0, i), true);
        }
        assert_eq!(b.standing(at(t0, 14_000)), Standing::Open);
        assert_eq!(b.standing(at(t0, 15_010)), Standing::ProbeDue);
        b.probe(at(t0, 15_010));
        assert_eq!(b.standing(at(t0, 15_020)), Standing::Open, "one probe at a time");
        assert_eq!(b.record(at(t0, 15_100), true), Some(Transition::Opened), "a failed probe opens it again");
        assert_eq!(b.standing(at(t0, 30_000)), Standing::Open);
        assert_eq!(b.standing(at(t0, 30_100)), Standing::ProbeDue);
        b.probe(at(t0, 30_100));
        assert_eq!(b.record(at(t0, 30_200), false), Some(Transition::Closed));
        assert_eq!(b.standing(at(t0, 30_300)), Standing::Closed);
        // Its failures before are forgotten: one more does not open it again.
        assert_eq!(b.record(at(t0, 30_400), true), None);
    }

    #[test]
    fn a_probe_that_never_reports_is_given_up_after_a_window() {
        let t0 = Instant::now();
        let mut b = Breaker::new(BreakerSettings::default());
        for i in 0..5 {
            b.record(at(t0, i), true);
        }
        b.probe(at(t0, 16_000));
        assert_eq!(b.standing(at(t0, 45_000)), Standing::Open);
        assert_eq!(b.standing(at(t0, 46_000)), Standing::ProbeDue);
    }
}
