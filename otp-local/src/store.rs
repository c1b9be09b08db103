//! The store a local run picked: in memory, or DynamoDB when `TABLE_NAME` is set.

use time::OffsetDateTime;

use shared::adapters::{DynamoStore, MemoryStore};
use shared::domain::price::MicroUsd;
use shared::domain::request_id::RequestId;
use shared::domain::status_report::{StatusLog, StatusReport};
use shared::domain::subject_key::SubjectKey;
use shared::domain::verification::Tally;
use shared::domain::verification::{Finish, Verification};
use shared::domain::write_id::WriteId;
use shared::ports::{
    AttemptError, Recorded, Release, ReserveError, SendReservation, SendSubjects, Standing, StoreError, TestGuess,
    VerificationStore,
};
use shared::sign_in::domain::authorization::{AuthorizationCode, CodeGrant, FlowId, SignInFlow};
use shared::sign_in::domain::session::{Session, SessionId};
use shared::sign_in::store::{FlowWindow, Redemption, SignInStore};

pub enum LocalStore {
    Memory(Box<MemoryStore>),
    Dynamo(DynamoStore),
}

/// Calls the same method on whichever store this is.
macro_rules! delegate {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            LocalStore::Memory($store) => $call.await,
            LocalStore::Dynamo($store) => $call.await,
        }
    };
}

impl LocalStore {
    /// The operator's switch: in memory, a flag; in DynamoDB, the item an operator puts with the
    /// AWS CLI (docs/operate/operations.md).
    pub async fn set_sending_stopped(&self, stopped: bool) -> Result<(), StoreError> {
        match self {
            LocalStore::Memory(store) => {
                store.set_sending_stopped(stopped);
                Ok(())
            }
            LocalStore::Dynamo(store) => store.set_sending_stopped(stopped).await,
        }
    }
}

impl VerificationStore for LocalStore {
    async fn standing(&self, subjects: &SendSubjects) -> Result<Standing, StoreError> {
        delegate!(self, s => s.standing(subjects))
    }

    async fn reserve_send(&self, r: &SendReservation) -> Result<(), ReserveError> {
        delegate!(self, s => s.reserve_send(r))
    }

    async fn reprice_send(&self, r: &SendReservation, price: MicroUsd) -> Result<(), ReserveError> {
        delegate!(self, s => s.reprice_send(r, price))
    }

    async fn release_send(&self, r: &SendReservation, release: Release) -> Result<(), StoreError> {
        delegate!(self, s => s.release_send(r, release))
    }

    async fn create(&self, v: &Verification) -> Result<(), StoreError> {
        delegate!(self, s => s.create(v))
    }

    async fn begin_attempt(
        &self,
        id: &RequestId,
        attempt: &WriteId,
        flow: Option<&FlowId>,
        now: OffsetDateTime,
    ) -> Result<Verification, AttemptError> {
        delegate!(self, s => s.begin_attempt(id, attempt, flow, now))
    }

    async fn refund_attempt(&self, id: &RequestId, attempt: &WriteId) -> Result<(), StoreError> {
        delegate!(self, s => s.refund_attempt(id, attempt))
    }

    async fn finish(
        &self,
        id: &RequestId,
        how: Finish,
        attempt: &WriteId,
        tally: Option<&Tally>,
    ) -> Result<bool, StoreError> {
        delegate!(self, s => s.finish(id, how, attempt, tally))
    }

    async fn get(&self, id: &RequestId, now: OffsetDateTime) -> Result<Option<Verification>, StoreError> {
        delegate!(self, s => s.get(id, now))
    }

    async fn count_client_send(&self, subjects: &SendSubjects, room: i64, id: &WriteId) -> Result<(), ReserveError> {
        delegate!(self, s => s.count_client_send(subjects, room, id))
    }

    async fn record_status(&self, report: &StatusReport, now: OffsetDateTime) -> Result<Recorded, StoreError> {
        delegate!(self, s => s.record_status(report, now))
    }

    async fn status_log(&self, id: &RequestId) -> Result<Option<StatusLog>, StoreError> {
        delegate!(self, s => s.status_log(id))
    }

    async fn count_test_guess(
        &self,
        number: &SubjectKey,
        day: i64,
        what: TestGuess,
        max: i64,
        by: &WriteId,
    ) -> Result<bool, StoreError> {
        delegate!(self, s => s.count_test_guess(number, day, what, max, by))
    }
}

impl SignInStore for LocalStore {
    async fn count_flow(&self, window: &FlowWindow, max: u32, id: &FlowId) -> Result<bool, StoreError> {
        delegate!(self, s => s.count_flow(window, max, id))
    }

    async fn open_flow(&self, flow: &SignInFlow) -> Result<(), StoreError> {
        delegate!(self, s => s.open_flow(flow))
    }

    async fn flow(&self, id: &FlowId, now: OffsetDateTime) -> Result<Option<SignInFlow>, StoreError> {
        delegate!(self, s => s.flow(id, now))
    }

    async fn issue_code(
        &self,
        id: &FlowId,
        code: &AuthorizationCode,
        grant: &CodeGrant,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        delegate!(self, s => s.issue_code(id, code, grant, now))
    }

    async fn redeem_code(
        &self,
        code: &AuthorizationCode,
        by: Redemption<'_>,
        now: OffsetDateTime,
    ) -> Result<Option<CodeGrant>, StoreError> {
        delegate!(self, s => s.redeem_code(code, by, now))
    }

    async fn open_session(&self, id: &SessionId, session: &Session) -> Result<(), StoreError> {
        delegate!(self, s => s.open_session(id, session))
    }

    async fn session(&self, id: &SessionId, now: OffsetDateTime) -> Result<Option<Session>, StoreError> {
        delegate!(self, s => s.session(id, now))
    }

    async fn end_session(&self, id: &SessionId) -> Result<(), StoreError> {
        delegate!(self, s => s.end_session(id))
    }
}
