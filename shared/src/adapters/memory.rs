//! An in-process store with the same rules as the DynamoDB one: the test fake for the service and
//! the store of a local run without AWS. One mutex makes every operation atomic.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use time::OffsetDateTime;

use crate::domain::request_id::RequestId;
use crate::domain::verification::{AttemptDenied, Finish, Verification, VerificationStatus};
use crate::ports::{
    AttemptError, ReserveError, SendDenied, SendReservation, StoreError, SubjectKey, VerificationStore, WriteId,
};

#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    verifications: HashMap<RequestId, Record>,
    /// Each number's cooldown: until when, and the reservation that started it.
    cooldowns: HashMap<SubjectKey, (OffsetDateTime, WriteId)>,
    /// (subject, window start) -> sends counted in that hour.
    counters: HashMap<(SubjectKey, OffsetDateTime), u32>,
}

/// A verification with the names of the attempts counted against it and of the one that
/// settled it, as the DynamoDB item keeps them.
#[derive(Debug)]
struct Record {
    verification: Verification,
    attempts: HashSet<WriteId>,
    settled_by: Option<WriteId>,
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
        if state.cooldowns.get(&r.phone).is_some_and(|(_, by)| *by == r.id) {
            return Ok(()); // this very reservation, applied already
        }
        let window_end = r.window_end();
        let count = |key: &SubjectKey| state.counters.get(&(key.clone(), r.window_start)).copied().unwrap_or(0);
        let capped = count(&r.phone) >= r.max_per_number || count(&r.ip) >= r.max_per_ip;
        let cooling = state.cooldowns.get(&r.phone).map(|(until, _)| *until).filter(|until| *until > r.now);
        match (capped, cooling) {
            (true, cooldown) => {
                let until = cooldown.map_or(window_end, |c| c.max(window_end));
                return Err(ReserveError::Denied(SendDenied::RateLimited { until }));
            }
            (false, Some(until)) => return Err(ReserveError::Denied(SendDenied::Cooldown { until })),
            (false, None) => {}
        }
        state.cooldowns.insert(r.phone.clone(), (r.cooldown_until, r.id.clone()));
        for key in [&r.phone, &r.ip] {
            *state.counters.entry((key.clone(), r.window_start)).or_default() += 1;
        }
        // Forget what no rule can read any more, as TTL does in DynamoDB.
        state.counters.retain(|(_, start), _| *start + time::Duration::HOUR > r.now);
        state.cooldowns.retain(|_, (until, by)| *until > r.now || *by == r.id);
        Ok(())
    }

    async fn release_send(&self, r: &SendReservation) -> Result<(), StoreError> {
        let mut state = self.lock();
        if state.cooldowns.get(&r.phone).is_some_and(|(_, by)| *by == r.id) {
            state.cooldowns.remove(&r.phone);
        }
        Ok(())
    }

    async fn create(&self, v: &Verification) -> Result<(), StoreError> {
        let mut state = self.lock();
        let now = v.created_at;
        state.verifications.retain(|_, old| old.verification.delete_after() > now);
        if let Some(existing) = state.verifications.get(&v.id) {
            return if existing.verification.is_same_creation(v) {
                Ok(())
            } else {
                Err(StoreError::Failed(format!("verification {} already exists", v.id).into()))
            };
        }
        let record = Record { verification: v.clone(), attempts: HashSet::new(), settled_by: None };
        state.verifications.insert(v.id.clone(), record);
        Ok(())
    }

    async fn begin_attempt(
        &self,
        id: &RequestId,
        attempt: &WriteId,
        now: OffsetDateTime,
    ) -> Result<Verification, AttemptError> {
        let mut state = self.lock();
        let record = state.verifications.get_mut(id).ok_or(AttemptError::Denied(AttemptDenied::NotFound))?;
        if record.attempts.contains(attempt) {
            return Ok(record.verification.clone()); // this very attempt, counted already
        }
        if let Some(denied) = record.verification.check_refusal(now) {
            return Err(AttemptError::Denied(denied));
        }
        record.attempts.insert(attempt.clone());
        record.verification.attempts += 1;
        Ok(record.verification.clone())
    }

    async fn refund_attempt(&self, id: &RequestId, attempt: &WriteId) -> Result<(), StoreError> {
        let mut state = self.lock();
        if let Some(record) = state.verifications.get_mut(id)
            && record.verification.status == VerificationStatus::Pending
            && record.attempts.remove(attempt)
        {
            record.verification.attempts = record.verification.attempts.saturating_sub(1);
        }
        Ok(())
    }

    async fn finish(&self, id: &RequestId, how: Finish, attempt: &WriteId) -> Result<bool, StoreError> {
        let mut state = self.lock();
        let Some(record) = state.verifications.get_mut(id) else { return Ok(false) };
        if record.verification.status != VerificationStatus::Pending {
            return Ok(record.settled_by.as_ref() == Some(attempt));
        }
        record.verification.status = match how {
            Finish::Verified { at } => VerificationStatus::Verified { at },
            Finish::Locked => VerificationStatus::Locked,
            Finish::Expired => VerificationStatus::Expired,
        };
        record.settled_by = Some(attempt.clone());
        Ok(true)
    }

    async fn get(&self, id: &RequestId, now: OffsetDateTime) -> Result<Option<Verification>, StoreError> {
        let state = self.lock();
        Ok(state.verifications.get(id).map(|r| &r.verification).filter(|v| v.delete_after() > now).cloned())
    }
}
