//! The sign-in's store in memory ([`MemoryStore`]): the same rules as on DynamoDB, its tables a
//! [`Part`] of the store, under the store's one lock.

use std::collections::HashMap;

use time::OffsetDateTime;

use crate::adapters::memory::{MemoryStore, Part};
use crate::domain::subject_key::SubjectKey;
use crate::domain::write_id::WriteId;
use crate::ports::StoreError;
use crate::sign_in::domain::authorization::{AuthorizationCode, CodeGrant, FlowId, SignInFlow};
use crate::sign_in::domain::pkce::CodeChallenge;
use crate::sign_in::domain::session::{Session, SessionId};
use crate::sign_in::store::{FlowWindow, Redemption, SignInStore};

#[derive(Default)]
struct SignInTables {
    /// Sign-in flows, with the digest of the code each ended with.
    flows: HashMap<FlowId, (SignInFlow, Option<String>)>,
    /// (client, window start) -> sign-in flows opened, and the flows counted (a retry counts once,
    /// as the flow ids kept in DynamoDB's item make it).
    flow_counts: HashMap<(SubjectKey, OffsetDateTime), u32>,
    flows_counted: HashMap<FlowId, OffsetDateTime>,
    /// Codes by digest, with the redemption that redeemed each.
    codes: HashMap<String, (CodeGrant, Option<WriteId>)>,
    /// Sessions by the digest of their id.
    sessions: HashMap<String, Session>,
}

impl Part for SignInTables {}

impl SignInStore for MemoryStore {
    async fn count_flow(&self, window: &FlowWindow, max: u32, id: &FlowId) -> Result<bool, StoreError> {
        Ok(self.part(|state: &mut SignInTables| {
            if state.flows_counted.contains_key(id) {
                return true;
            }
            // Forget the windows no rule reads any more, as TTL does in DynamoDB.
            state.flow_counts.retain(|(_, start), _| *start >= window.start);
            state.flows_counted.retain(|_, start| *start >= window.start);
            let count = state.flow_counts.entry((window.client.clone(), window.start)).or_default();
            if *count >= max {
                return false;
            }
            *count += 1;
            state.flows_counted.insert(id.clone(), window.start);
            true
        }))
    }

    async fn open_flow(&self, flow: &SignInFlow) -> Result<(), StoreError> {
        self.part(|state: &mut SignInTables| {
            state.flows.entry(flow.id.clone()).or_insert_with(|| (flow.clone(), None));
        });
        Ok(())
    }

    async fn flow(&self, id: &FlowId, now: OffsetDateTime) -> Result<Option<SignInFlow>, StoreError> {
        Ok(self.part(|state: &mut SignInTables| {
            let open = state.flows.get(id).filter(|(flow, code)| flow.expires_at > now && code.is_none());
            open.map(|(flow, _)| flow.clone())
        }))
    }

    async fn issue_code(
        &self,
        id: &FlowId,
        code: &AuthorizationCode,
        grant: &CodeGrant,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        Ok(self.part(|state: &mut SignInTables| {
            let digest = code.digest();
            let Some((flow, issued)) = state.flows.get_mut(id) else { return false };
            match issued {
                Some(earlier) => return *earlier == digest,
                None if flow.expires_at <= now => return false,
                None => *issued = Some(digest.clone()),
            }
            state.codes.insert(digest, (grant.clone(), None));
            true
        }))
    }

    async fn redeem_code(
        &self,
        code: &AuthorizationCode,
        by: Redemption<'_>,
        now: OffsetDateTime,
    ) -> Result<Option<CodeGrant>, StoreError> {
        Ok(self.part(|state: &mut SignInTables| {
            let (grant, redeemed_by) = state.codes.get_mut(&code.digest())?;
            let holds = grant.expires_at > now
                && grant.client_id == by.client_id
                && grant.redirect_uri == by.redirect_uri
                && grant.challenge == by.verifier.map(CodeChallenge::of)
                && redeemed_by.as_ref().is_none_or(|earlier| earlier == by.by);
            if !holds {
                return None;
            }
            *redeemed_by = Some(by.by.clone());
            Some(grant.clone())
        }))
    }

    async fn open_session(&self, id: &SessionId, session: &Session) -> Result<(), StoreError> {
        self.part(|state: &mut SignInTables| {
            // Forget the sessions over by this one's start, as TTL does in DynamoDB.
            state.sessions.retain(|_, kept| kept.expires_at > session.verified_at);
            state.sessions.insert(id.digest(), session.clone())
        });
        Ok(())
    }

    async fn session(&self, id: &SessionId, now: OffsetDateTime) -> Result<Option<Session>, StoreError> {
        Ok(self
            .part(|state: &mut SignInTables| state.sessions.get(&id.digest()).filter(|s| s.expires_at > now).cloned()))
    }

    async fn end_session(&self, id: &SessionId) -> Result<(), StoreError> {
        self.part(|state: &mut SignInTables| state.sessions.remove(&id.digest()));
        Ok(())
    }
}
