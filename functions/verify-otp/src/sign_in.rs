//! OpenID Connect's code flow (docs/decisions/openid-connect-provider.md): the provider's
//! discovery document, the page's call that opens a flow, the code that ends it, and the token
//! and userinfo endpoints.

use lambda_http::http::StatusCode;
use lambda_http::http::header::AUTHORIZATION;
use lambda_http::{Body, Request, Response};
use serde_json::{Value, json};
use shared::adapters::token_signer::IdToken;
use shared::clock::Clock;
use shared::domain::authorization::{AuthorizationError, FlowId, NoRedirect, SignInFlow};
use shared::domain::relying_party::ClientRefusal;
use shared::domain::token_request::TokenRequest;
use shared::http::{ApiError, Failure, JsonRequest, OAuthError, form, json_response};
use shared::ports::{SignInStore, VerificationProvider, VerificationStore};
use shared::runtime::bootstrap::HandlerDeps;
use shared::runtime::config::TokenConfig;
use shared::service::{RedeemError, SignInError};

/// The provider's metadata (OpenID Connect Discovery 1.0).
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
/// The page's call that opens a flow from an authorization request.
pub const AUTHORIZE_API_PATH: &str = "/api/authorize";
pub const TOKEN_PATH: &str = "/oauth/token";
pub use shared::adapters::token_signer::USERINFO_PATH;
/// The authorization endpoint: the page itself, at this path of the issuer.
pub const AUTHORIZATION_PAGE_PATH: &str = "/authorize";

/// `GET /.well-known/openid-configuration`; 404 when tokens are off.
pub fn discovery(tokens: Option<&TokenConfig>) -> Response<Body> {
    let Some(tokens) = tokens else { return ApiError::NotFound.into_response() };
    let issuer = tokens.signer.issuer();
    let document = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}{AUTHORIZATION_PAGE_PATH}"),
        "token_endpoint": format!("{issuer}{TOKEN_PATH}"),
        "userinfo_endpoint": format!("{issuer}{USERINFO_PATH}"),
        "jwks_uri": format!("{issuer}{}", crate::JWKS_PATH),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": tokens.signer.algorithms(),
        "scopes_supported": ["openid", "phone"],
        "claims_supported": [
            "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "amr", "phone_number", "phone_number_verified",
        ],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "claims_parameter_supported": false,
    });
    crate::published(&document)
}

/// `POST /api/authorize {"query"}`: the page hands over the authorization request it was opened
/// with. A flow for a registered client and address answers its id and the client's name; any
/// other error goes back to the client (`redirectTo`); an unknown client or address is refused
/// here, and the page says so without a redirect.
pub async fn authorize<P, S, C>(deps: &HandlerDeps<P, S, C>, input: &JsonRequest) -> Result<Response<Body>, Failure>
where
    P: VerificationProvider,
    S: VerificationStore + SignInStore,
    C: Clock,
{
    let tokens = deps.tokens.as_ref().ok_or(ApiError::NotFound)?;
    let query = input.string("query")?;
    let params: Vec<(String, String)> =
        form_urlencoded::parse(query.trim_start_matches('?').as_bytes()).into_owned().collect();
    let opened = deps.service.authorize(&params, &tokens.relying_parties, &input.client_ip, tokens.max_flows_per_ip);
    match opened.await {
        Ok(flow) => {
            let name = tokens.relying_parties.find(&flow.request.client_id);
            Ok(json_response(
                StatusCode::OK,
                &json!({
                    "flowId": flow.id.as_str(),
                    "clientName": name.map(|c| c.name.as_str()),
                    "phoneScope": flow.request.phone_scope,
                }),
            ))
        }
        Err(SignInError::Refused(AuthorizationError::Redirect(redirect))) => {
            Ok(json_response(StatusCode::OK, &json!({"redirectTo": redirect.location(tokens.signer.issuer())})))
        }
        Err(SignInError::Refused(AuthorizationError::NoRedirect(why))) => Err(match why {
            NoRedirect::NoClient | NoRedirect::Client(ClientRefusal::UnknownClient) => ApiError::InvalidClient,
            NoRedirect::NoRedirectUri | NoRedirect::Client(ClientRefusal::RedirectUriNotRegistered) => {
                ApiError::InvalidRedirectUri
            }
        }
        .into()),
        Err(SignInError::TooMany { retry_after_seconds }) => {
            Err(ApiError::TooManySignIns { retry_after_seconds }.into())
        }
        Err(SignInError::Store(e)) => Err(e.into()),
    }
}

/// The flow a verify-otp request names, while it can still end: read before the code, so that
/// a finished or expired sign-in spends no attempt.
pub async fn open_flow<P, S, C>(deps: &HandlerDeps<P, S, C>, input: &JsonRequest) -> Result<Option<SignInFlow>, Failure>
where
    P: VerificationProvider,
    S: VerificationStore + SignInStore,
    C: Clock,
{
    let Some(id) = input.optional_string("flowId")? else { return Ok(None) };
    let id = FlowId::parse(id).ok_or_else(|| ApiError::invalid_request("flowId is not a sign-in of this service."))?;
    if deps.tokens.is_none() {
        return Err(ApiError::SignInExpired.into());
    }
    deps.service.flow(&id).await?.map(Some).ok_or_else(|| ApiError::SignInExpired.into())
}

/// `POST /oauth/token`: a code redeemed by its client for an ID token and an access token; a
/// refusal is counted by its error.
pub async fn token<P, S, C>(deps: &HandlerDeps<P, S, C>, req: Request) -> Result<Response<Body>, OAuthError>
where
    P: VerificationProvider,
    S: VerificationStore + SignInStore,
    C: Clock,
{
    redeem(deps, req).await.map_err(OAuthError::at_token_endpoint)
}

async fn redeem<P, S, C>(deps: &HandlerDeps<P, S, C>, req: Request) -> Result<Response<Body>, OAuthError>
where
    P: VerificationProvider,
    S: VerificationStore + SignInStore,
    C: Clock,
{
    let tokens = deps.tokens.as_ref().ok_or_else(sign_in_off)?;
    let form = form(&req)?;
    let authorization = req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok());
    let request = TokenRequest::parse(&form, authorization, &tokens.relying_parties).map_err(|e| {
        let refused = OAuthError::from(e);
        if e.error.status() == 401 {
            refused.with_challenge(format!("Basic realm=\"{}\"", tokens.signer.issuer()))
        } else {
            refused
        }
    })?;
    let signed_in = match deps.service.redeem(&request).await {
        Ok(signed_in) => signed_in,
        Err(RedeemError::Refused(e)) => return Err(e.into()),
        Err(RedeemError::Store(e)) => return Err(e.into()),
    };
    let grant = &signed_in.grant;
    let claims = IdToken {
        subject: signed_in.subject.as_str(),
        client_id: &grant.client_id,
        nonce: &grant.nonce,
        auth_time: grant.verified_at,
        channel: grant.channel,
        test: grant.test,
        phone_e164: grant.phone_scope.then_some(grant.phone_e164.as_str()),
    };
    let now = deps.service.clock().now();
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "access_token": tokens.signer.access_token(&claims, now),
            "token_type": "Bearer",
            "expires_in": tokens.signer.lifetime_seconds(),
            "id_token": tokens.signer.id_token(&claims, now),
            "scope": if grant.phone_scope { "openid phone" } else { "openid" },
        }),
    ))
}

/// `GET` or `POST /oauth/userinfo` with `Authorization: Bearer <access token>` (RFC 6750 §2.1):
/// the subject, when and how the number was verified (`auth_time`, `amr`: `test` for a test
/// number, which a broker that reads userinfo alone must be able to see), and the number where
/// the `phone` scope was granted.
pub async fn userinfo<P, S, C>(deps: &HandlerDeps<P, S, C>, req: Request) -> Result<Response<Body>, OAuthError>
where
    P: VerificationProvider,
    S: VerificationStore,
    C: Clock,
{
    let tokens = deps.tokens.as_ref().ok_or_else(sign_in_off)?;
    let realm = tokens.signer.issuer();
    let presented = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let Some(presented) = presented else {
        // RFC 6750 §3.1: no credentials, no error code.
        return Err(OAuthError::unauthenticated(format!("Bearer realm=\"{realm}\"")));
    };
    let Some(grant) = tokens.signer.read_access_token(presented, deps.service.clock().now()) else {
        let challenge = format!("Bearer realm=\"{realm}\", error=\"invalid_token\"");
        return Err(OAuthError::new(401, "invalid_token", "the access token is not valid").with_challenge(challenge));
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
    Ok(json_response(StatusCode::OK, &claims))
}

/// The token and userinfo endpoints' answer where no signing key is configured.
fn sign_in_off() -> OAuthError {
    OAuthError::new(400, "invalid_request", "sign-in is off on this service")
}
