//! An in-process store with the same rules as the DynamoDB one: the test fake for the service and
//! the store of a local run without AWS. One mutex makes every operation atomic. A part above
//! (sign-in) keeps its own state here too, as a [`Part`] of its own type: the store holds it
//! without knowing it.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use time::OffsetDateTime;

use std::any::{Any, TypeId};

use crate::domain::flow_id::FlowId;
use crate::domain::limits::{DayCount, NumberState, end_of_day};
use crate::domain::provider::ProviderName;

use crate::domain::price::MicroUsd;
use crate::domain::request_id::RequestId;
use crate::domain::rule::{Refusal, Rule};
use crate::domain::status_report::{StatusLog, StatusReport};
use crate::domain::subject_key::SubjectKey;
use crate::domain::verification::Tally;
use crate::domain::verification::{AttemptDenied, Finish, Verification, VerificationStatus};
use crate::domain::write_id::WriteId;
use crate::ports::{
    AttemptError, Recorded, Release, ReserveError, SendReservation, SendSubjects, Standing, StoreError, TestGuess,
    VerificationStore,
};

#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

/// State a part above the store keeps in it ([`MemoryStore::part`]).
pub trait Part: Any + Send + Default {}

#[derive(Default)]
struct State {
    verifications: HashMap<RequestId, Record>,
    /// Each number's recent sends.
    numbers: HashMap<SubjectKey, NumberState>,
    /// (client, window start) -> sends counted in that hour.
    clients: HashMap<(SubjectKey, OffsetDateTime), u32>,
    /// A range's or a country shard's counts on a day, keyed as [`day_key`] names them.
    days: HashMap<String, DayCount>,
    /// (day, shard) -> the estimated spend.
    spend: HashMap<(i64, u32), MicroUsd>,
    /// The operator's switch.
    sending_stopped: bool,
    stopped_providers: Vec<ProviderName>,
    /// The reservations moved to another provider (a retry of one changes nothing).
    repriced: HashSet<WriteId>,
    /// The parts' own state, one of each type.
    parts: HashMap<TypeId, Box<dyn Any + Send>>,
    /// (test number, day) -> guesses taken.
    test_guesses: HashMap<(SubjectKey, i64), i64>,
    /// The guesses taken and given back, by whom (a retry counts once, as a DynamoDB
    /// transaction's token makes it).
    guesses_by: HashSet<(WriteId, TestGuess)>,
}

/// The key of a range's (`range#<key>#<day>`) or a country shard's
/// (`country#<country>#<shard>#<day>`) counts on `day`.
fn day_key(tally: &Tally, range: bool, day: i64) -> String {
    if range {
        format!("range#{}#{day}", tally.range.as_str())
    } else {
        format!("country#{}#{}#{day}", tally.country, tally.shard)
    }
}

/// A verification with the names of the attempts counted against it and of the one that
/// settled it, as the DynamoDB item keeps them.
#[derive(Debug)]
struct Record {
    verification: Verification,
    attempts: HashSet<WriteId>,
    settled_by: Option<WriteId>,
    /// The status reports applied, by key, and what they said.
    reports: HashSet<String>,
    log: StatusLog,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// The operator's switch, as the `switch#sending` item sets it in DynamoDB.
    pub fn set_sending_stopped(&self, stopped: bool) {
        self.lock().sending_stopped = stopped;
    }

    /// The number's state as the rules read it (the benchmark's and the replay's view of what a
    /// number was counted).
    pub fn number(&self, number: &SubjectKey) -> NumberState {
        self.lock().numbers.get(number).cloned().unwrap_or_default()
    }

    /// The spend counted on `day`, every shard's.
    pub fn spent_on(&self, day: i64) -> MicroUsd {
        MicroUsd(self.lock().spend.iter().filter(|((d, _), _)| *d == day).map(|(_, spent)| spent.0).sum())
    }

    /// The switch for some providers only: the others still send.
    pub fn set_stopped_providers(&self, providers: &[ProviderName]) {
        self.lock().stopped_providers = providers.to_vec();
    }

    /// Runs `f` on the state of type `T` a part keeps here (its default the first time), under
    /// the store's one lock, so a part's operation is as atomic as the store's own.
    pub fn part<T: Part, R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let mut state = self.lock();
        let part = state.parts.entry(TypeId::of::<T>()).or_insert_with(|| Box::new(T::default()));
        f(part.downcast_mut::<T>().expect("each part is kept under its own type"))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves every map consistent (each operation
        // checks before it writes), so the data stays usable.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl VerificationStore for MemoryStore {
    async fn standing(&self, subjects: &SendSubjects) -> Result<Standing, StoreError> {
        let state = self.lock();
        let tally = &subjects.tally;
        let counts = |range: bool| {
            [tally.day - 1, tally.day]
                .map(|day| state.days.get(&day_key(tally, range, day)).copied().unwrap_or_default())
        };
        Ok(Standing {
            number: state.numbers.get(&tally.number).cloned().unwrap_or_default(),
            client_sends: [subjects.window_start - time::Duration::HOUR, subjects.window_start]
                .map(|hour| state.clients.get(&(subjects.client.clone(), hour)).copied().unwrap_or(0)),
            range: counts(true),
            country: counts(false),
            country_verified_apart: 0,
            spent: state.spend.get(&(tally.day, subjects.spend_shard)).copied().unwrap_or_default(),
            sending_stopped: state.sending_stopped,
            stopped_providers: state.stopped_providers.clone(),
        })
    }

    async fn reserve_send(&self, r: &SendReservation) -> Result<(), ReserveError> {
        let mut state = self.lock();
        let (subjects, tally) = (&r.subjects, &r.subjects.tally);
        let number = state.numbers.get(&tally.number).cloned().unwrap_or_default();
        if number.reserved_by.as_ref() == Some(&r.id) {
            return Ok(()); // this very reservation, applied already
        }
        if number.version != r.number_before.version {
            return Err(ReserveError::Changed);
        }
        let client = (subjects.client.clone(), subjects.window_start);
        if i64::from(state.clients.get(&client).copied().unwrap_or(0)) >= r.client_room {
            return Err(ReserveError::Refused(Refusal::until(Rule::ClientCap, subjects.window_end())));
        }
        let (range, country) = (day_key(tally, true, tally.day), day_key(tally, false, tally.day));
        let unverified = |key: &String| state.days.get(key).map_or(0, |c| c.unverified);
        if unverified(&range) >= r.range_room || unverified(&country) >= r.country_room {
            let until = end_of_day(tally.day);
            return Err(ReserveError::Refused(Refusal::until(Rule::DestinationBudget, until)));
        }
        let spend = (tally.day, subjects.spend_shard);
        let spent = state.spend.get(&spend).copied().unwrap_or_default();
        if spent.0.saturating_add(r.price.0) > r.spend_share.0 {
            return Err(ReserveError::Refused(Refusal::until(Rule::SpendBudget, end_of_day(tally.day))));
        }
        state.numbers.insert(tally.number.clone(), r.number_after.clone());
        *state.clients.entry(client).or_default() += 1;
        for key in [range, country] {
            state.days.entry(key).or_default().unverified += 1;
        }
        state.spend.insert(spend, MicroUsd(spent.0.saturating_add(r.price.0)));
        // Forget what no rule can read any more, as TTL does in DynamoDB.
        state.clients.retain(|(_, start), _| *start + 2 * time::Duration::HOUR > r.now);
        let today = tally.day;
        state.spend.retain(|(day, _), _| *day >= today);
        state.days.retain(|key, _| {
            key.rsplit('#').next().and_then(|d| d.parse::<i64>().ok()).is_some_and(|d| d >= today - 1)
        });
        state.numbers.retain(|_, n| n.recent_sends.last().is_some_and(|at| *at + time::Duration::DAY > r.now));
        Ok(())
    }

    async fn reprice_send(&self, r: &SendReservation, price: MicroUsd) -> Result<(), ReserveError> {
        let mut state = self.lock();
        if state.repriced.contains(&r.id) {
            return Ok(()); // a retry
        }
        if state.numbers.get(&r.subjects.tally.number).is_none_or(|n| n.reserved_by.as_ref() != Some(&r.id)) {
            return Err(ReserveError::Changed); // the number moved on, as DynamoDB's condition says
        }
        let spent = state.spend.entry((r.subjects.tally.day, r.subjects.spend_shard)).or_default();
        let after = spent.0.saturating_sub(r.price.0).saturating_add(price.0);
        if price > r.price && after > r.spend_share.0 {
            return Err(ReserveError::Refused(Refusal::until(Rule::SpendBudget, end_of_day(r.subjects.tally.day))));
        }
        spent.0 = after;
        state.repriced.insert(r.id.clone());
        Ok(())
    }

    async fn release_send(&self, r: &SendReservation, release: Release) -> Result<(), StoreError> {
        let mut state = self.lock();
        let tally = &r.subjects.tally;
        if state.numbers.get(&tally.number).is_none_or(|n| n.reserved_by.as_ref() != Some(&r.id)) {
            return Ok(()); // given back already, or the number has moved on
        }
        let kept = if release.restore_number { &r.number_before } else { &r.number_after };
        let restored = NumberState { version: r.number_after.version + 1, reserved_by: None, ..kept.clone() };
        state.numbers.insert(tally.number.clone(), restored);
        for range in [true, false] {
            if let Some(count) = state.days.get_mut(&day_key(tally, range, tally.day)) {
                count.unverified -= 1;
            }
        }
        if release.refund_spend
            && let Some(spent) = state.spend.get_mut(&(tally.day, r.subjects.spend_shard))
        {
            spent.0 = spent.0.saturating_sub(r.price.0);
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
        let record = Record {
            verification: v.clone(),
            attempts: HashSet::new(),
            settled_by: None,
            reports: HashSet::new(),
            log: StatusLog::default(),
        };
        state.verifications.insert(v.id.clone(), record);
        Ok(())
    }

    async fn begin_attempt(
        &self,
        id: &RequestId,
        attempt: &WriteId,
        flow: Option<&FlowId>,
        now: OffsetDateTime,
    ) -> Result<Verification, AttemptError> {
        let mut state = self.lock();
        let record = state.verifications.get_mut(id).ok_or(AttemptError::Denied(AttemptDenied::NotFound))?;
        if record.attempts.contains(attempt) {
            return Ok(record.verification.clone()); // this very attempt, counted already
        }
        if let Some(denied) = record.verification.check_refusal_in(flow, now) {
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

    async fn finish(
        &self,
        id: &RequestId,
        how: Finish,
        attempt: &WriteId,
        tally: Option<&Tally>,
    ) -> Result<bool, StoreError> {
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
        if let (Finish::Verified { .. }, Some(tally)) = (how, tally) {
            if let Some(number) = state.numbers.get_mut(&tally.number) {
                number.unverified_streak = 0;
                number.version += 1;
            }
            for range in [true, false] {
                let count = state.days.entry(day_key(tally, range, tally.day)).or_default();
                count.unverified -= 1;
                count.verified += 1;
            }
        }
        Ok(true)
    }

    async fn get(&self, id: &RequestId, now: OffsetDateTime) -> Result<Option<Verification>, StoreError> {
        let state = self.lock();
        Ok(state.verifications.get(id).map(|r| &r.verification).filter(|v| v.delete_after() > now).cloned())
    }

    async fn record_status(&self, report: &StatusReport, now: OffsetDateTime) -> Result<Recorded, StoreError> {
        let mut state = self.lock();
        let Some(record) = state.verifications.get_mut(&report.request_id) else { return Ok(Recorded::Unknown) };
        if record.verification.provider_id != report.provider_id || record.verification.delete_after() <= now {
            return Ok(Recorded::Unknown);
        }
        if !record.reports.insert(report.key()) {
            return Ok(Recorded::Repeated);
        }
        record.log.apply(report.report);
        record.log.reports = record.reports.len();
        Ok(Recorded::Applied(Box::new(record.verification.clone())))
    }

    async fn status_log(&self, id: &RequestId) -> Result<Option<StatusLog>, StoreError> {
        Ok(self.lock().verifications.get(id).map(|r| r.log.clone()))
    }

    async fn count_client_send(&self, subjects: &SendSubjects, room: i64, _id: &WriteId) -> Result<(), ReserveError> {
        let mut state = self.lock();
        let count = state.clients.entry((subjects.client.clone(), subjects.window_start)).or_default();
        if i64::from(*count) >= room {
            return Err(ReserveError::Refused(Refusal::until(Rule::ClientCap, subjects.window_end())));
        }
        *count += 1;
        Ok(())
    }

    async fn count_test_guess(
        &self,
        number: &SubjectKey,
        day: i64,
        what: TestGuess,
        max: i64,
        by: &WriteId,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock();
        if what != TestGuess::Ask && state.guesses_by.contains(&(by.clone(), what)) {
            return Ok(true);
        }
        let taken = state.test_guesses.entry((number.clone(), day)).or_default();
        match what {
            TestGuess::Ask | TestGuess::Take if *taken >= max => return Ok(false),
            TestGuess::Ask => return Ok(true),
            TestGuess::Take => *taken += 1,
            TestGuess::GiveBack => *taken -= 1,
        }
        state.guesses_by.insert((by.clone(), what));
        Ok(true)
    }
}
