//! `POST /api/verify-otp {"requestId", "code"}`: checks a code and says whether the number is verified.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{Value, json};
use shared::clock::Clock;
use shared::domain::otp_code::OtpCode;
use shared::domain::request_id::RequestId;
use shared::http::{ApiError, Failure, JsonRequest, json_response, rfc3339, serve_json};
use shared::ports::{VerificationProvider, VerificationStore};
use shared::runtime::bootstrap::HandlerDeps;

pub async fn handle<P, S, C>(deps: &HandlerDeps<P, S, C>, req: Request) -> Response<Body>
where
    P: VerificationProvider,
    S: VerificationStore,
    C: Clock,
{
    // Clients of the classic tutorial read `verified` on every answer.
    serve_json(
        req,
        &deps.edge,
        &[("verified", Value::Bool(false))],
        |input| async move { verify_otp(deps, &input).await },
    )
    .await
}

async fn verify_otp<P, S, C>(deps: &HandlerDeps<P, S, C>, input: &JsonRequest) -> Result<Response<Body>, Failure>
where
    P: VerificationProvider,
    S: VerificationStore,
    C: Clock,
{
    let request_id = RequestId::parse(input.string("requestId")?)
        .map_err(|_| ApiError::invalid_request("requestId is not a request id issued by this service."))?;
    let code = OtpCode::parse(input.string("code")?, deps.service.policy().code_length)
        .map_err(|e| ApiError::invalid_request(format!("code must be {} digits.", e.expected_length)))?;
    let verified = deps.service.check_code(&request_id, &code).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "verified": true,
            "message": "Phone number verified.",
            "phoneNumber": verified.phone_e164,
            "verifiedAt": rfc3339(verified.verified_at),
        }),
    ))
}
