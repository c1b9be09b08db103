//! The sign-in's store port: the flows a person goes through, the codes they end with, the
//! sessions a proven number leaves in a browser, all expiring by TTL. Implemented on DynamoDB
//! ([`super::dynamo`]) and in memory ([`super::memory`]).

use std::future::Future;

use time::OffsetDateTime;

use crate::domain::subject_key::SubjectKey;
use crate::domain::write_id::WriteId;
use crate::ports::StoreError;
use crate::sign_in::domain::authorization::{AuthorizationCode, CodeGrant, FlowId, SignInFlow};
use crate::sign_in::domain::pkce::CodeVerifier;
use crate::sign_in::domain::session::{Session, SessionId};

/// Who redeems a code, and with what: the condition the redemption is written under.
#[derive(Debug, Clone, Copy)]
pub struct Redemption<'a> {
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub verifier: Option<&'a CodeVerifier>,
    /// This redemption's name: a retry of it (after a lost answer) redeems again.
    pub by: &'a WriteId,
}

/// Where the sign-in flows a client (an IPv4 address, an IPv6 /64) opens are counted: its
/// window, from `start` to `end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowWindow {
    pub client: SubjectKey,
    pub start: OffsetDateTime,
    pub end: OffsetDateTime,
}

/// Persistence for sign-in flows, their codes and sessions; every rule a condition of the write
/// itself.
pub trait SignInStore: Send + Sync {
    /// Counts the flow `id` against its client's `window`, if the window's count is below `max`:
    /// false, and nothing counted, when it is not. Counted once per `id` (a retry after a lost
    /// answer counts nothing more).
    fn count_flow(
        &self,
        window: &FlowWindow,
        max: u32,
        id: &FlowId,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Stores a flow, once: storing it again (a retry) succeeds.
    fn open_flow(&self, flow: &SignInFlow) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The flow `id`, while it is unexpired and has not ended with a code.
    fn flow(
        &self,
        id: &FlowId,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Option<SignInFlow>, StoreError>> + Send;

    /// Ends the flow `id` with `code` for `grant`, once: false if the flow is gone, expired or
    /// ended with another code; true again for the same code (a retry). Only the code's digest
    /// is kept.
    fn issue_code(
        &self,
        id: &FlowId,
        code: &AuthorizationCode,
        grant: &CodeGrant,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Redeems `code`, once: its grant if the code is known, unexpired, not redeemed by another,
    /// and `by` names its client and address and a verifier that meets its challenge; else
    /// nothing, and the code is left as it was (a wrong verifier or client does not use it up).
    fn redeem_code(
        &self,
        code: &AuthorizationCode,
        by: Redemption<'_>,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Option<CodeGrant>, StoreError>> + Send;

    /// Keeps `session` under `id`'s digest until it expires (TTL). Writing it again (a retry)
    /// succeeds.
    fn open_session(&self, id: &SessionId, session: &Session) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The session `id`, while it is unexpired and not ended.
    fn session(
        &self,
        id: &SessionId,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Option<Session>, StoreError>> + Send;

    /// Ends the session `id` (none: nothing to do).
    fn end_session(&self, id: &SessionId) -> impl Future<Output = Result<(), StoreError>> + Send;
}
