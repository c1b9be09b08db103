//! Sign-in's use case, one call per endpoint: an authorization request answered from the
//! browser's session or held as a flow while the person verifies their number ([`SignIn::authorize`]),
//! the page's read of that flow, a code asked for and checked in it (through the verification
//! service), the code redeemed for tokens, userinfo, and the session ended.

use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::clock::Clock;
use crate::domain::otp_code::OtpCode;
use crate::domain::phone::PhoneNumber;
use crate::domain::request_id::RequestId;
use crate::domain::rule::{Refusal, Rule};
use crate::domain::write_id::WriteId;
use crate::ports::{Providers, StoreError, VerificationStore};
use crate::service::{Ask, CheckCodeError, CodeSent, RequestCodeError, VerificationService, Verified, seconds_until};
use crate::sign_in::domain::authorization::{
    AuthorizationCode, AuthorizationRequest, CodeGrant, FlowId, SessionAsk, SignInFlow,
};
use crate::sign_in::domain::client::{RelyingParties, RelyingParty};
use crate::sign_in::domain::error::{ErrorCode, OAuthError};
use crate::sign_in::domain::params::Params;
use crate::sign_in::domain::session::{Session, SessionId};
use crate::sign_in::domain::token_request::TokenRequest;
use crate::sign_in::domain::tokens::{IdToken, TokenSigner};
use crate::sign_in::events;
use crate::sign_in::store::{FlowWindow, Redemption, SignInStore};
use crate::telemetry::Event;

/// How long a person has, from an application's request, to verify their number.
pub const FLOW_LIFETIME: Duration = Duration::minutes(10);
/// How long a client's count of the sign-in flows it opens runs (see [`SignIn::authorize`]).
pub const FLOW_WINDOW: Duration = Duration::minutes(10);
/// How long a code may wait to be redeemed: a client redeems it the moment the browser lands.
pub const CODE_LIFETIME: Duration = Duration::seconds(60);

/// The provider's configuration: its keys, its clients, and its bounds (verify-otp's alone:
/// request-otp never holds the signing key). On when `TOKEN_ISSUER` is set.
#[derive(Debug)]
pub struct TokenConfig {
    pub signer: TokenSigner,
    pub relying_parties: RelyingParties,
    /// How many sign-in flows one client (an IPv4 address, an IPv6 /64) may open in ten minutes
    /// (`SIGN_IN_MAX_FLOWS_PER_IP`).
    pub max_flows_per_ip: u32,
    /// How long a browser stays signed in after a proof (`SIGN_IN_SESSION_SECONDS`).
    pub session_lifetime: Duration,
}

/// What an authorization request comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorized {
    /// The person must prove their number in this flow, on the page.
    Flow(Box<SignInFlow>),
    /// The browser's session answered: the client's address with a code.
    Redirect(String),
}

/// A code verified in a sign-in: where the person goes, and the session their browser now holds
/// (none for a test number).
#[derive(Debug)]
pub struct FlowVerified {
    pub verified: Verified,
    pub redirect_to: String,
    pub session: Option<SessionId>,
}

/// Why a code could not end a sign-in.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Check(#[from] CheckCodeError),
    /// The flow is gone, over, or ended already.
    #[error("the sign-in is over")]
    Over,
    /// The code was asked for outside this flow (in another, or in none): a code from elsewhere
    /// never ends a sign-in.
    #[error("the code was not asked for in this sign-in")]
    NotThisFlow,
    /// A test number's code, in a flow whose client does not accept test numbers.
    #[error("the client does not accept test numbers")]
    TestNumberRefused,
    /// The number proven (verified, as said) is not the one the client's `id_token_hint` named:
    /// the person goes back to the client (the address), which hears `login_required`.
    #[error("not the person the id_token_hint names")]
    NotTheHintedPerson(Box<(Verified, String)>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Sign-in over the verification service, for one request.
pub struct SignIn<'a, P, S, C> {
    verification: &'a VerificationService<P, S, C>,
    /// The verification service's store, which keeps the sign-in's items too.
    store: &'a S,
    config: &'a TokenConfig,
}

impl<'a, P, S, C> SignIn<'a, P, S, C> {
    pub fn new(verification: &'a VerificationService<P, S, C>, config: &'a TokenConfig) -> Self {
        Self { verification, store: verification.store(), config }
    }
}

impl<P, S, C> SignIn<'_, P, S, C>
where
    P: Providers,
    S: VerificationStore + SignInStore,
    C: Clock,
{
    pub fn config(&self) -> &TokenConfig {
        self.config
    }

    pub fn issuer(&self) -> &str {
        self.config.signer.issuer()
    }

    fn now(&self) -> OffsetDateTime {
        self.verification.clock().now()
    }

    /// The authorization endpoint: reads the request against the clients; answers it from the
    /// browser's `session` when the request lets it (no `prompt=login`, a proof within `max_age`,
    /// the person `id_token_hint` names), else holds it as a flow for the page, counted against
    /// `client_ip`'s window (an IPv4 address, an IPv6 /64), of which `max_flows_per_ip` may be
    /// opened. `prompt=none` without a usable session is `login_required`. A refused request
    /// writes nothing and counts nothing.
    pub async fn authorize(
        &self,
        params: &[(String, String)],
        client_ip: &str,
        session: Option<&SessionId>,
    ) -> Result<Authorized, OAuthError> {
        let (request, ask) = AuthorizationRequest::parse(params, &self.config.relying_parties)?;
        let silent = ask.none;
        let answered = self.answer(request.clone(), ask, client_ip, session).await;
        match answered {
            // prompt=none: no page, ever (Core §3.1.2.1); what the page would have said goes back
            // to the client, whose request this is.
            Err(refused) if silent && refused.location(self.issuer()).is_none() => {
                let code = match refused.code {
                    ErrorCode::ServerError => ErrorCode::ServerError,
                    _ => ErrorCode::TemporarilyUnavailable,
                };
                Err(request.refuse(code, "the request could not be answered now; try again later"))
            }
            answered => answered,
        }
    }

    /// [`Self::authorize`] for a request read and registered.
    async fn answer(
        &self,
        mut request: AuthorizationRequest,
        ask: SessionAsk,
        client_ip: &str,
        session: Option<&SessionId>,
    ) -> Result<Authorized, OAuthError> {
        let now = self.now();
        // The client's `sub` for the person its hint names (a hint this provider signed for it).
        request.expected_subject = ask
            .id_token_hint
            .as_deref()
            .and_then(|hint| self.config.signer.read_id_token_hint(hint))
            .filter(|(_, aud)| *aud == request.client_id)
            .map(|(sub, _)| sub);
        let session = match session {
            Some(id) if !ask.login => self.store.session(id, now).await?,
            _ => None,
        };
        let session = session.filter(|s| self.session_meets(s, &request, &ask, now));
        if session.is_none() && ask.none {
            return Err(request.refuse(ErrorCode::LoginRequired, "no session answers prompt=none"));
        }
        let flow = SignInFlow { id: FlowId::generate(), request, expires_at: now + FLOW_LIFETIME };
        let window = self.flow_window(client_ip, now);
        if !self.store.count_flow(&window, self.config.max_flows_per_ip, &flow.id).await? {
            events::SignInsCapped.emit();
            let mut refused = OAuthError::on_page(ErrorCode::TooManySignIns, "too many sign-ins from this address");
            refused.retry_after_seconds = Some(u32::try_from(seconds_until(now, window.end)).unwrap_or(u32::MAX));
            return Err(refused);
        }
        self.store.open_flow(&flow).await?;
        let Some(session) = session else { return Ok(Authorized::Flow(Box::new(flow))) };
        let grant = self.grant(&flow.request, &session.phone_e164, session.verified_at, session.channel, false, now);
        let code = AuthorizationCode::generate();
        if !self.store.issue_code(&flow.id, &code, &grant, now).await? {
            return Err(StoreError::Failed("a flow just opened could not end".into()).into());
        }
        events::SessionUsed { client_id: &flow.request.client_id }.emit();
        Ok(Authorized::Redirect(flow.return_address(&code, self.issuer())))
    }

    /// Whether `session` may answer `ask` for `request` at `now`: a proof within `max_age`, and
    /// the person an `id_token_hint` names (a hint that names no one of this client's, or that
    /// this provider did not sign, is met by no session).
    fn session_meets(
        &self,
        session: &Session,
        request: &AuthorizationRequest,
        ask: &SessionAsk,
        now: OffsetDateTime,
    ) -> bool {
        if ask.max_age.is_some_and(|age| !session.proven_within(age, now)) {
            return false;
        }
        if ask.id_token_hint.is_none() {
            return true;
        }
        let subject = self.verification.hasher().pairwise(&session.phone_e164, &request.client_id);
        request.expected_subject.as_deref() == Some(subject.as_str())
    }

    /// The window of `client_ip`'s flows that `now` falls in ([`FLOW_WINDOW`]s from the epoch).
    fn flow_window(&self, client_ip: &str, now: OffsetDateTime) -> FlowWindow {
        let length = FLOW_WINDOW.whole_seconds();
        let start = OffsetDateTime::from_unix_timestamp(now.unix_timestamp().div_euclid(length) * length)
            .expect("a window's start near now is in range");
        FlowWindow { client: self.verification.hasher().ip(client_ip), start, end: start + FLOW_WINDOW }
    }

    fn grant(
        &self,
        request: &AuthorizationRequest,
        phone_e164: &str,
        verified_at: OffsetDateTime,
        channel: crate::domain::channel::Channel,
        test: bool,
        now: OffsetDateTime,
    ) -> CodeGrant {
        CodeGrant {
            client_id: request.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            challenge: request.challenge.clone(),
            nonce: request.nonce.clone(),
            phone_scope: request.phone_scope,
            phone_e164: phone_e164.to_owned(),
            verified_at,
            channel,
            test,
            expires_at: now + CODE_LIFETIME,
        }
    }

    /// The flow `id`, while the person can still finish it (the page's read, and request-otp's).
    pub async fn flow(&self, id: &FlowId) -> Result<Option<SignInFlow>, StoreError> {
        self.store.flow(id, self.now()).await
    }

    /// The client a flow is for.
    pub fn client(&self, flow: &SignInFlow) -> Option<&RelyingParty> {
        self.config.relying_parties.find(&flow.request.client_id)
    }

    /// The verify call in a sign-in: the flow `flow_id` read first (a finished or expired sign-in
    /// spends no attempt), the code checked in it (one asked for in another is refused before it
    /// spends an attempt), the flow ended with a code, and the browser's session (`presented`,
    /// if any) replaced by a new one: a new proof never leaves an older session alive.
    pub async fn verify(
        &self,
        request_id: &RequestId,
        code: &OtpCode,
        flow_id: &FlowId,
        presented: Option<&SessionId>,
    ) -> Result<FlowVerified, VerifyError> {
        let flow = self.flow(flow_id).await?.ok_or(VerifyError::Over)?;
        let verified = self.verification.check_code_in(request_id, code, Some(&flow.id)).await?;
        if verified.flow.as_ref() != Some(&flow.id) {
            return Err(VerifyError::NotThisFlow);
        }
        // request-otp refuses these before sending; the flow says again at the end.
        if verified.test && !flow.request.test_numbers {
            return Err(VerifyError::TestNumberRefused);
        }
        if let Some(old) = presented {
            self.store.end_session(old).await?;
        }
        // A hint named someone else: the client hears that no one it expects is signed in
        // (Core §3.1.2.1), and gets no code for the number proven instead.
        let hinted_someone_else = flow.request.expected_subject.as_deref().is_some_and(|expected| {
            expected != self.verification.hasher().pairwise(&verified.phone_e164, &flow.request.client_id).as_str()
        });
        if hinted_someone_else {
            let refused = flow.request.refuse(ErrorCode::LoginRequired, "the number proven is not the id_token_hint's");
            let to = refused.location(self.issuer()).expect("a refusal back to the client");
            return Err(VerifyError::NotTheHintedPerson(Box::new((verified, to))));
        }
        let now = self.now();
        let grant =
            self.grant(&flow.request, &verified.phone_e164, verified.verified_at, verified.channel, verified.test, now);
        let code = AuthorizationCode::generate();
        // The code's write requires the flow to be still open, so it is not read again.
        if !self.store.issue_code(&flow.id, &code, &grant, now).await? {
            return Err(VerifyError::Over);
        }
        // A test number proves nothing about the browser: it gets no session.
        let session = if verified.test {
            None
        } else {
            let id = SessionId::generate();
            let session = Session {
                phone_e164: verified.phone_e164.clone(),
                verified_at: verified.verified_at,
                channel: verified.channel,
                expires_at: now + self.config.session_lifetime,
            };
            self.store.open_session(&id, &session).await?;
            Some(id)
        };
        Ok(FlowVerified { redirect_to: flow.return_address(&code, self.issuer()), verified, session })
    }

    /// The token endpoint: the code of `form` redeemed by its client (authenticated by
    /// `authorization` or the form), once, for its address, with a verifier that meets its
    /// challenge; the ID token signed with the client's registered algorithm.
    pub async fn token(&self, form: &[(String, String)], authorization: Option<&str>) -> Result<Value, OAuthError> {
        let request = TokenRequest::parse(form, authorization, &self.config.relying_parties).map_err(|refused| {
            if refused.code.status() == 401 {
                refused.with_challenge(format!("Basic realm=\"{}\"", self.issuer()))
            } else {
                refused
            }
        })?;
        let by = WriteId::generate();
        let redemption = Redemption {
            client_id: &request.client_id,
            redirect_uri: &request.redirect_uri,
            verifier: request.verifier.as_ref(),
            by: &by,
        };
        let now = self.now();
        let Some(grant) = self.store.redeem_code(&request.code, redemption, now).await? else {
            return Err(OAuthError::new(
                ErrorCode::InvalidGrant,
                "the code is unknown, used, expired, or not this client's, address's or verifier's",
            ));
        };
        let subject = self.verification.hasher().pairwise(&grant.phone_e164, &grant.client_id);
        events::SignedIn { client_id: &grant.client_id }.emit();
        let alg = self
            .config
            .relying_parties
            .find(&grant.client_id)
            .map_or(crate::sign_in::domain::client::DEFAULT_ID_TOKEN_ALG, |c| c.id_token_signed_response_alg.as_str());
        let claims = IdToken {
            subject: subject.as_str(),
            client_id: &grant.client_id,
            nonce: grant.nonce.as_deref(),
            alg,
            auth_time: grant.verified_at,
            channel: grant.channel,
            test: grant.test,
            phone_e164: grant.phone_scope.then_some(grant.phone_e164.as_str()),
        };
        let signer = &self.config.signer;
        Ok(json!({
            "access_token": signer.access_token(&claims, now),
            "token_type": "Bearer",
            "expires_in": signer.lifetime_seconds(),
            "id_token": signer.id_token(&claims, now),
            "scope": if grant.phone_scope { "openid phone" } else { "openid" },
        }))
    }

    /// The userinfo endpoint: what the access token `presented` lets it say — the subject, when
    /// and how the number was verified (`auth_time`, `amr`: `test` for a test number, which a
    /// broker that reads userinfo alone must be able to see), and the number where the `phone`
    /// scope was granted.
    pub fn userinfo(&self, presented: Option<&str>) -> Result<Value, OAuthError> {
        let realm = self.issuer();
        let Some(presented) = presented else {
            // RFC 6750 §3.1: no credentials, no error code.
            return Err(OAuthError::unauthenticated(format!("Bearer realm=\"{realm}\"")));
        };
        let Some(grant) = self.config.signer.read_access_token(presented, self.now()) else {
            let challenge = format!("Bearer realm=\"{realm}\", error=\"invalid_token\"");
            return Err(
                OAuthError::new(ErrorCode::InvalidToken, "the access token is not valid").with_challenge(challenge)
            );
        };
        let mut claims = json!({"sub": grant.subject});
        if let Some(auth_time) = grant.auth_time {
            claims["auth_time"] = auth_time.into();
        }
        if let Some(amr) = grant.amr {
            claims["amr"] = amr.into();
        }
        if let Some(phone) = grant.phone_e164 {
            claims["phone_number"] = Value::from(phone);
            claims["phone_number_verified"] = true.into();
        }
        Ok(claims)
    }

    /// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2–3). The request is read
    /// first: an `id_token_hint` this provider did not sign, a `client_id` that is not its
    /// audience, or a `post_logout_redirect_uri` the client (named by either) did not register,
    /// letter for letter, is refused on the page, and nothing ends. Then the browser's `session`
    /// ends, unless the person must be asked first (§2: the OP MUST ask when no hint was given,
    /// or the hint is not the session's person): a logout link from another site cannot end a
    /// session on its own. `confirmed` is the person's answer, from the page.
    pub async fn end_session(
        &self,
        params: &[(String, String)],
        session: Option<&SessionId>,
        confirmed: bool,
    ) -> Result<Logout, OAuthError> {
        let params = Params(params);
        let refuse = |description| OAuthError::on_page(ErrorCode::InvalidRequest, description);
        let hinted = match params.given("id_token_hint") {
            None => None,
            Some(hint) => Some(
                self.config
                    .signer
                    .read_id_token_hint(hint)
                    .ok_or_else(|| refuse("id_token_hint is not an ID token of this provider"))?,
            ),
        };
        let client_id = match (params.given("client_id"), hinted.as_ref().map(|(_, aud)| aud.as_str())) {
            (Some(named), Some(hinted)) if named != hinted => {
                return Err(refuse("client_id is not the id_token_hint's audience"));
            }
            (named, hinted) => named.or(hinted),
        };
        let back = match params.given("post_logout_redirect_uri") {
            None => None,
            Some(address) => {
                let client = client_id.and_then(|id| self.config.relying_parties.find(id));
                if !client.is_some_and(|c| c.may_return_after_logout(address)) {
                    return Err(refuse("post_logout_redirect_uri is not registered for the client"));
                }
                let mut url = reqwest::Url::parse(address).expect("a registered address is absolute");
                if let Some(state) = params.given("state") {
                    url.query_pairs_mut().append_pair("state", state);
                }
                Some(String::from(url))
            }
        };
        let Some(id) = session else { return Ok(Logout::Ended { back, ended: false }) };
        let Some(current) = self.store.session(id, self.now()).await? else {
            return Ok(Logout::Ended { back, ended: true });
        };
        let the_sessions_person = hinted
            .is_some_and(|(sub, aud)| self.verification.hasher().pairwise(&current.phone_e164, &aud).as_str() == sub);
        if !(confirmed || the_sessions_person) {
            return Ok(Logout::Confirm);
        }
        self.store.end_session(id).await?;
        Ok(Logout::Ended { back, ended: true })
    }
}

/// What a logout request comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Logout {
    /// The person is asked, on the page, whether to sign out.
    Confirm,
    /// Signed out (`ended`: the browser's session, if it held one, is over and its cookie is
    /// cleared); the person goes `back` to the client's registered address, or to the page's
    /// signed-out screen.
    Ended { back: Option<String>, ended: bool },
}

/// request-otp in a sign-in (it holds no signing key, so no [`SignIn`]): a code asked for in the
/// sign-in `flow` ([`VerificationService::request_code_within`]). A test number is refused
/// ([`Rule::TestNumberRefused`], nothing sent, nothing counted) unless the flow's client accepts
/// them. The code goes by the client's ladder of channels (its registration's `channels`) where
/// it has one. The flow is read for both, the one point where the service knows both the number
/// and the client (one read; a flow that is over has neither).
pub async fn request_code<P, S, C>(
    verification: &VerificationService<P, S, C>,
    phone: PhoneNumber,
    client_ip: &str,
    ask: Ask,
    flow: FlowId,
) -> Result<CodeSent, RequestCodeError>
where
    P: Providers,
    S: VerificationStore + SignInStore,
    C: Clock,
{
    let now = verification.clock().now();
    let store = verification.store();
    let opened = store.flow(&flow, now).await?;
    let accepts = opened.as_ref().is_some_and(|f| f.request.test_numbers);
    if verification.policy().test_numbers.holds(phone.e164()) && !accepts {
        return Err(verification.refused(Refusal::by(Rule::TestNumberRefused), &phone, now));
    }
    let ask = Ask { ladder: opened.and_then(|f| f.request.channels), ..ask };
    verification.request_code_within(phone, client_ip, ask, Some(flow)).await
}

#[cfg(test)]
mod tests;
