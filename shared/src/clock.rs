//! Time as a port: expiry, cooldowns and hourly windows read an injected clock, so tests move
//! time instead of sleeping.

use time::OffsetDateTime;

pub trait Clock: Send + Sync {
    /// Now, to the whole second (every time the product stores or shows is in seconds).
    fn now(&self) -> OffsetDateTime;
}

#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        whole_second(OffsetDateTime::now_utc())
    }
}

fn whole_second(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(0).expect("zero nanoseconds is always valid")
}

/// A clock that only moves when told to.
#[cfg(any(test, feature = "testing"))]
#[derive(Debug, Clone)]
pub struct ManualClock(std::sync::Arc<std::sync::Mutex<OffsetDateTime>>);

#[cfg(any(test, feature = "testing"))]
impl ManualClock {
    /// Starts at a fixed, readable instant: 2026-01-01T12:00:00Z.
    pub fn new() -> Self {
        Self::at(time::macros::datetime!(2026-01-01 12:00 UTC))
    }

    pub fn at(start: OffsetDateTime) -> Self {
        Self(std::sync::Arc::new(std::sync::Mutex::new(whole_second(start))))
    }

    pub fn advance(&self, by: time::Duration) {
        let mut now = self.0.lock().unwrap();
        *now += by;
    }
}

#[cfg(any(test, feature = "testing"))]
impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(any(test, feature = "testing"))]
impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}
