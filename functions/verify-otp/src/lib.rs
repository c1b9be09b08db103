//! `POST /api/verify-otp {"requestId", "code", "flowId"?}`: checks a code and says whether the
//! number is verified, and, in a sign-in (`flowId`), where the person goes back with the
//! authorization code, with the browser's sign-in session in a cookie; and the OpenID Connect
//! provider's endpoints (`shared::sign_in::endpoints`), each at its route
//! (`shared::runtime::routes`).
//!
//! The answer itself carries no token: an application learns a number through a sign-in, whose
//! ID token it redeems from its own back end with its code (docs/decisions/openid-connect-provider.md).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{Value, json};
use shared::clock::Clock;
use shared::domain::otp_code::OtpCode;
use shared::domain::request_id::RequestId;
use shared::http::{ApiError, Failure, JsonRequest, NOT_THIS_FLOW, json_response, rfc3339, serve_json};
use shared::ports::{VerificationProvider, VerificationStore};
use shared::runtime::bootstrap::HandlerDeps;
use shared::runtime::routes::{self, Endpoint};
use shared::sign_in::domain::authorization::FlowId;
use shared::sign_in::endpoints::{self as sign_in, session};
use shared::sign_in::service::VerifyError;
use shared::sign_in::store::SignInStore;

pub async fn handle<P, S, C>(deps: &HandlerDeps<P, S, C>, req: Request) -> Response<Body>
where
    P: VerificationProvider,
    S: VerificationStore + SignInStore,
    C: Clock,
{
    let endpoint = routes::at(req.uri().path()).map_or(Endpoint::VerifyOtp, |r| r.endpoint);
    let provider = deps.sign_in();
    let provider = provider.as_ref();
    match endpoint {
        Endpoint::Discovery => sign_in::discovery::serve(deps.tokens.as_ref(), &req),
        Endpoint::Keys => sign_in::keys::serve(deps.tokens.as_ref(), &req),
        Endpoint::Authorize => sign_in::authorize::serve(provider, &deps.edge, req).await,
        Endpoint::Flow => sign_in::flow::serve(provider, &deps.edge, req).await,
        Endpoint::Token => sign_in::token::serve(provider, &deps.edge, req).await,
        Endpoint::Userinfo => sign_in::userinfo::serve(provider, &deps.edge, req).await,
        Endpoint::Logout => sign_in::logout::serve(provider, &deps.edge, req).await,
        // Clients of the classic tutorial read `verified` on every answer.
        Endpoint::VerifyOtp | Endpoint::RequestOtp => {
            serve_json(req, &deps.edge, &[("verified", Value::Bool(false))], |input| async move {
                verify_otp(deps, &input).await
            })
            .await
        }
    }
}

async fn verify_otp<P, S, C>(deps: &HandlerDeps<P, S, C>, input: &JsonRequest) -> Result<Response<Body>, Failure>
where
    P: VerificationProvider,
    S: VerificationStore + SignInStore,
    C: Clock,
{
    let request_id = RequestId::parse(input.string("requestId")?)
        .map_err(|_| ApiError::invalid_request("requestId is not a request id issued by this service."))?;
    let code = OtpCode::parse(input.string("code")?, deps.service.policy().code_length)
        .map_err(|e| ApiError::invalid_request(format!("code must be {} digits.", e.expected_length)))?;
    refuse_retired_fields(input)?;
    let flow = match input.optional_string("flowId")? {
        None => None,
        Some(id) => Some(
            FlowId::parse(id).ok_or_else(|| ApiError::invalid_request("flowId is not a sign-in of this service."))?,
        ),
    };
    let Some(flow) = flow else {
        let verified = deps.service.check_code(&request_id, &code).await?;
        return Ok(json_response(StatusCode::OK, &answer(&verified)));
    };
    let Some(sign_in) = deps.sign_in() else { return Err(ApiError::SignInExpired.into()) };
    let ended = match sign_in.verify(&request_id, &code, &flow).await {
        Ok(ended) => ended,
        Err(VerifyError::Check(e)) => return Err(e.into()),
        Err(VerifyError::Over) => return Err(ApiError::SignInExpired.into()),
        Err(VerifyError::NotThisFlow) => return Err(ApiError::invalid_request(NOT_THIS_FLOW).into()),
        Err(VerifyError::TestNumberRefused) => return Err(ApiError::TestNumberRefused.into()),
        Err(VerifyError::Store(e)) => return Err(e.into()),
    };
    let mut body = answer(&ended.verified);
    body["redirectTo"] = ended.redirect_to.into();
    let mut response = json_response(StatusCode::OK, &body);
    if let Some(id) = &ended.session {
        session::set(&mut response, id, sign_in.config().session_lifetime);
    }
    Ok(response)
}

/// What a verified code answers.
fn answer(verified: &shared::service::Verified) -> Value {
    let mut answer = json!({
        "verified": true,
        "message": "Phone number verified.",
        "phoneNumber": verified.phone_e164,
        "verifiedAt": rfc3339(verified.verified_at),
        "channel": verified.channel.as_str(),
    });
    if verified.test {
        // For the caller (the page, an end-to-end test); a relying party learns it from the ID
        // token's `amr: ["test"]`.
        answer["testNumber"] = true.into();
    }
    answer
}

/// The fields of the retired token-in-the-address flow: a caller that still sends them expected a
/// token this answer no longer carries, so it is told why (before the code: no attempt spent)
/// rather than handed a bare `verified`.
fn refuse_retired_fields(input: &JsonRequest) -> Result<(), ApiError> {
    match ["clientId", "redirectUri", "nonce"].into_iter().find(|name| input.body.contains_key(*name)) {
        Some(name) => Err(ApiError::invalid_request(format!(
            "{name} is no longer accepted: verify-otp answers no token. Sign people in with OpenID Connect \
             (this service's /authorize, then /oauth/token; see docs/integrate/your-app.md)."
        ))),
        None => Ok(()),
    }
}
