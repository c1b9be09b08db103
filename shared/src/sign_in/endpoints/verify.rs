//! verify-otp's answer in a sign-in (`POST /api/verify-otp` with a `flowId`): the code checked in
//! the flow through [`SignIn::verify`], and, verified, where the person goes back to the client
//! (`redirectTo`) with the browser's new session in its cookie.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use serde_json::Value;

use super::session;
use crate::clock::Clock;
use crate::domain::otp_code::OtpCode;
use crate::domain::request_id::RequestId;
use crate::http::{ApiError, Failure, NOT_THIS_FLOW, json_response};
use crate::ports::{Providers, VerificationStore};
use crate::service::Verified;
use crate::sign_in::domain::authorization::FlowId;
use crate::sign_in::domain::session::SessionId;
use crate::sign_in::service::{SignIn, VerifyError};
use crate::sign_in::store::SignInStore;

/// Checks `code` of `request_id` in the sign-in `flow`, replacing the browser's `presented`
/// session; `answer` is what a verified code answers outside a sign-in, to which `redirectTo` is
/// added. With sign-in off, the flow is over.
pub async fn in_flow<P, S, C>(
    sign_in: Option<&SignIn<'_, P, S, C>>,
    request_id: &RequestId,
    code: &OtpCode,
    flow: &FlowId,
    presented: Option<&SessionId>,
    answer: impl FnOnce(&Verified) -> Value,
) -> Result<Response<Body>, Failure>
where
    P: Providers,
    S: VerificationStore + SignInStore,
    C: Clock,
{
    let sign_in = sign_in.ok_or(ApiError::SignInExpired)?;
    let (verified, redirect_to, new_session) = match sign_in.verify(request_id, code, flow, presented).await {
        Ok(ended) => (ended.verified, ended.redirect_to, ended.session),
        // The number is proven, but it is not the person the client's hint named: the page
        // sends the person back all the same, and the client hears `login_required`.
        Err(VerifyError::NotTheHintedPerson(refused)) => {
            let (verified, redirect_to) = *refused;
            (verified, redirect_to, None)
        }
        Err(e) => return Err(e.into()),
    };
    let mut body = answer(&verified);
    body["redirectTo"] = redirect_to.into();
    let mut response = json_response(StatusCode::OK, &body);
    if let Some(id) = &new_session {
        session::set(&mut response, id, sign_in.config().session_lifetime);
    }
    Ok(response)
}

/// Why a code did not end its sign-in, as the page's API says it.
impl From<VerifyError> for Failure {
    fn from(e: VerifyError) -> Self {
        match e {
            VerifyError::Check(e) => e.into(),
            VerifyError::Over => ApiError::SignInExpired.into(),
            VerifyError::NotThisFlow => ApiError::invalid_request(NOT_THIS_FLOW).into(),
            VerifyError::TestNumberRefused => ApiError::TestNumberRefused.into(),
            // Answered above, as a way back to the client.
            VerifyError::NotTheHintedPerson(_) => ApiError::SignInExpired.into(),
            VerifyError::Store(e) => e.into(),
        }
    }
}
