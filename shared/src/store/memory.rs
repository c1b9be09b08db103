//! An in-process store with the same rules as the DynamoDB one: the test fake for the service and
//! the store of a local run without AWS. One mutex makes every operation atomic.

use std::collections::HashMap;
use std::sync::Mutex;

use time::OffsetDateTime;

use crate::ports::{
    AttemptDenied, AttemptError, Finish, ReserveError, SendDenied, SendReservation, StoreError, SubjectKey,
    Verification, VerificationStatus, VerificationStore,
};
use crate::request_id::RequestId;

#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    verifications: HashMap<RequestId, Verification>,
    cooldowns: HashMap<SubjectKey, OffsetDateTime>,
    /// (subject, window start) -> sends counted in that hour.
    counters: HashMap<(SubjectKey, OffsetDateTime), u32>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves every map consistent (each operation
        // checks before it writes), so the data stays usable.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl VerificationStore for MemoryStore {
    async fn reserve_send(&self, r: &SendReservation) -> Result<(), ReserveError> {
        let mut state = self.lock();
        let window_end = r.window_end();
        let count = |key: &SubjectKey| state.counters.get(&(key.clone(), r.window_start)).copied().unwrap_or(0);
        let capped = count(&r.phone) >= r.max_per_number || count(&r.ip) >= r.max_per_ip;
        let cooling = state.cooldowns.get(&r.phone).copied().filter(|until| *until > r.now);
        match (capped, cooling) {
            (true, cooldown) => {
                let until = cooldown.map_or(window_end, |c| c.max(window_end));
                return Err(ReserveError::Denied(SendDenied::RateLimited { until }));
            }
            (false, Some(until)) => return Err(ReserveError::Denied(SendDenied::Cooldown { until })),
            (false, None) => {}
        }
        state.cooldowns.insert(r.phone.clone(), r.cooldown_until);
        for key in [&r.phone, &r.ip] {
            *state.counters.entry((key.clone(), r.window_start)).or_default() += 1;
        }
        // Forget what no rule can read any more, as TTL does in DynamoDB.
        state.counters.retain(|(_, start), _| *start + time::Duration::HOUR > r.now);
        state.cooldowns.retain(|_, until| *until > r.now);
        Ok(())
    }

    async fn release_send(&self, r: &SendReservation) -> Result<(), StoreError> {
        let mut state = self.lock();
        if state.cooldowns.get(&r.phone) == Some(&r.cooldown_until) {
            state.cooldowns.remove(&r.phone);
        }
        Ok(())
    }

    async fn create(&self, v: &Verification) -> Result<(), StoreError> {
        let mut state = self.lock();
        let now = v.created_at;
        state.verifications.retain(|_, old| old.delete_after() > now);
        if state.verifications.contains_key(&v.id) {
            return Err(StoreError::Failed(format!("verification {} already exists", v.id)));
        }
        state.verifications.insert(v.id.clone(), v.clone());
        Ok(())
    }

    async fn begin_attempt(&self, id: &RequestId, now: OffsetDateTime) -> Result<Verification, AttemptError> {
        let mut state = self.lock();
        let v = state.verifications.get_mut(id).ok_or(AttemptError::Denied(AttemptDenied::NotFound))?;
        if let Some(denied) = v.check_refusal(now) {
            return Err(AttemptError::Denied(denied));
        }
        v.attempts += 1;
        Ok(v.clone())
    }

    async fn refund_attempt(&self, id: &RequestId) -> Result<(), StoreError> {
        let mut state = self.lock();
        if let Some(v) = state.verifications.get_mut(id) {
            v.attempts = v.attempts.saturating_sub(1);
        }
        Ok(())
    }

    async fn finish(&self, id: &RequestId, how: Finish) -> Result<bool, StoreError> {
        let mut state = self.lock();
        let Some(v) = state.verifications.get_mut(id).filter(|v| v.status == VerificationStatus::Pending) else {
            return Ok(false);
        };
        v.status = match how {
            Finish::Verified { at } => VerificationStatus::Verified { at },
            Finish::Locked => VerificationStatus::Locked,
            Finish::Expired => VerificationStatus::Expired,
        };
        Ok(true)
    }

    async fn get(&self, id: &RequestId, now: OffsetDateTime) -> Result<Option<Verification>, StoreError> {
        let state = self.lock();
        Ok(state.verifications.get(id).filter(|v| v.delete_after() > now).cloned())
    }
}
