//! Sign-in with OpenID Connect's code flow: an application's authorization request held as a
//! flow while the person verifies their number, the code that ends it, and the redemption of
//! that code at the token endpoint (docs/decisions/openid-connect-provider.md).

use time::{Duration, OffsetDateTime};

use crate::clock::Clock;
use crate::domain::authorization::{
    AuthorizationCode, AuthorizationError, AuthorizationRequest, CodeGrant, FlowId, SignInFlow,
};
use crate::domain::channel::Delivery;
use crate::domain::phone::PhoneNumber;
use crate::domain::relying_party::RelyingParties;
use crate::domain::rule::{Refusal, Rule};
use crate::domain::subject_key::SubjectKey;
use crate::domain::token_request::{TokenError, TokenErrorCode, TokenRequest};
use crate::domain::write_id::WriteId;
use crate::ports::{FlowWindow, Redemption, SignInStore, StoreError, VerificationProvider, VerificationStore};

use super::{CodeSent, RequestCodeError, VerificationService, Verified, events, seconds_until};
use crate::telemetry::Event;

/// How long a person has, from an application's request, to verify their number.
pub const FLOW_LIFETIME: Duration = Duration::minutes(10);
/// How long a client's count of the sign-in flows it opens runs (see [`VerificationService::authorize`]).
pub const FLOW_WINDOW: Duration = Duration::minutes(10);
/// How long a code may wait to be redeemed: a client redeems it the moment the browser lands.
pub const CODE_LIFETIME: Duration = Duration::seconds(60);

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("authorization request refused: {0:?}")]
    Refused(AuthorizationError),
    /// The client opened as many flows as its window allows; the next window opens in
    /// `retry_after_seconds`.
    #[error("too many sign-ins from one client")]
    TooMany { retry_after_seconds: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum RedeemError {
    #[error("token request refused: {}", .0.description)]
    Refused(TokenError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How a verified code ends a sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInEnd {
    /// With this code, for this flow.
    Ended(AuthorizationCode, SignInFlow),
    /// The flow is gone, over, or ended already.
    Over,
    /// The code was asked for outside this flow (in another, or in none): a code from elsewhere
    /// never ends a sign-in.
    NotThisFlow,
    /// A test number's code, in a flow whose client does not accept test numbers (a code asked
    /// for before the client turned them off, or before they were checked when it was asked for).
    TestNumberRefused,
}

/// A redeemed code: what it stood for, and the `sub` its client knows the number by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub grant: CodeGrant,
    pub subject: SubjectKey,
}

impl<P, S, C> VerificationService<P, S, C>
where
    P: VerificationProvider,
    S: VerificationStore + SignInStore,
    C: Clock,
{
    /// Reads an authorization request against `clients` and holds it as a flow, counted against
    /// `client_ip`'s window (an IPv4 address, an IPv6 /64, as the caps on sending count them), of
    /// which `max_flows` may be opened: each flow is an item in the store, and a page load opens
    /// one. A refused request writes nothing and counts nothing.
    pub async fn authorize(
        &self,
        params: &[(String, String)],
        clients: &RelyingParties,
        client_ip: &str,
        max_flows: u32,
    ) -> Result<SignInFlow, SignInError> {
        let request = AuthorizationRequest::parse(params, clients).map_err(SignInError::Refused)?;
        let now = self.clock.now();
        let flow = SignInFlow { id: FlowId::generate(), request, expires_at: now + FLOW_LIFETIME };
        let window = self.flow_window(client_ip, now);
        if !self.store.count_flow(&window, max_flows, &flow.id).await? {
            events::SignInsCapped.emit();
            return Err(SignInError::TooMany { retry_after_seconds: seconds_until(now, window.end) });
        }
        self.store.open_flow(&flow).await?;
        Ok(flow)
    }

    /// The window of `client_ip`'s flows that `now` falls in ([`FLOW_WINDOW`]s from the epoch).
    fn flow_window(&self, client_ip: &str, now: OffsetDateTime) -> FlowWindow {
        let length = FLOW_WINDOW.whole_seconds();
        let start = OffsetDateTime::from_unix_timestamp(now.unix_timestamp().div_euclid(length) * length)
            .expect("a window's start near now is in range");
        FlowWindow { client: self.hasher.ip(client_ip), start, end: start + FLOW_WINDOW }
    }

    /// A code asked for in the sign-in `flow` ([`Self::request_code_within`]). A test number is
    /// refused ([`Rule::TestNumberRefused`], nothing sent, nothing counted) unless the flow's
    /// client accepts them: its flow is read for that, the one point where the service knows both
    /// the number and the client. A real number's request reads nothing more.
    pub async fn request_code_in_flow(
        &self,
        phone: PhoneNumber,
        client_ip: &str,
        how: Delivery,
        flow: FlowId,
    ) -> Result<CodeSent, RequestCodeError> {
        if self.policy.test_numbers.holds(phone.e164()) {
            let now = self.clock.now();
            let accepts = self.store.flow(&flow, now).await?.is_some_and(|f| f.request.test_numbers);
            if !accepts {
                return Err(self.refused(Refusal::by(Rule::TestNumberRefused), &phone, now));
            }
        }
        self.request_code_within(phone, client_ip, how, Some(flow)).await
    }

    /// The flow `id`, while the person can still finish it.
    pub async fn flow(&self, id: &FlowId) -> Result<Option<SignInFlow>, StoreError> {
        self.store.flow(id, self.clock.now()).await
    }

    /// Ends `flow` (as [`Self::flow`] read it) with a code for the number `verified` (what
    /// [`Self::check_code`] answered), if the code was asked for in that flow. The code's write
    /// itself requires the flow to be still open, so it is not read again.
    pub async fn finish_sign_in(&self, flow: SignInFlow, verified: &Verified) -> Result<SignInEnd, StoreError> {
        if verified.flow.as_ref() != Some(&flow.id) {
            return Ok(SignInEnd::NotThisFlow);
        }
        // request-otp refuses these before sending; the flow says again at the end.
        if verified.test && !flow.request.test_numbers {
            return Ok(SignInEnd::TestNumberRefused);
        }
        let now = self.clock.now();
        let request = &flow.request;
        let grant = CodeGrant {
            client_id: request.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            challenge: request.challenge.clone(),
            nonce: request.nonce.clone(),
            phone_scope: request.phone_scope,
            phone_e164: verified.phone_e164.clone(),
            verified_at: verified.verified_at,
            channel: verified.channel,
            test: verified.test,
            expires_at: now + CODE_LIFETIME,
        };
        let code = AuthorizationCode::generate();
        if self.store.issue_code(&flow.id, &code, &grant, now).await? {
            Ok(SignInEnd::Ended(code, flow))
        } else {
            Ok(SignInEnd::Over)
        }
    }

    /// Redeems the code of `request` (its client authenticated already): once, by its client,
    /// for its address, with a verifier that meets its challenge.
    pub async fn redeem(&self, request: &TokenRequest) -> Result<SignedIn, RedeemError> {
        let by = WriteId::generate();
        let redemption = Redemption {
            client_id: &request.client_id,
            redirect_uri: &request.redirect_uri,
            verifier: request.verifier.as_ref(),
            by: &by,
        };
        let grant = self.store.redeem_code(&request.code, redemption, self.clock.now()).await?;
        let Some(grant) = grant else {
            let refused = TokenError {
                error: TokenErrorCode::InvalidGrant,
                description: "the code is unknown, used, expired, or not this client's, address's or verifier's",
            };
            return Err(RedeemError::Refused(refused));
        };
        let subject = self.hasher.pairwise(&grant.phone_e164, &grant.client_id);
        events::SignedIn { client_id: &grant.client_id }.emit();
        Ok(SignedIn { grant, subject })
    }
}
