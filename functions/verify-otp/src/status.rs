//! `POST /webhooks/vonage`: Vonage's status callbacks for Verify v2 (`shared::adapters::vonage::
//! callbacks`). Believed only when signed by the deployment's signature secret for this very body,
//! lately (401 `unauthenticated` otherwise); applied only to a verification this deployment
//! started with that Vonage id (404 `not_found` otherwise), once (a repeat answers 200 and changes
//! nothing). A body that is not a callback answers 400 `invalid_request`. No answer but 2xx makes
//! Vonage stop re-sending, so only the forged and the unknown are left to its retries.

use lambda_http::http::StatusCode;
use lambda_http::http::header::AUTHORIZATION;
use lambda_http::{Body, Request, Response};
use serde_json::json;
use shared::adapters::vonage::callbacks;
use shared::clock::Clock;
use shared::http::{ApiError, Failure, body_bytes, json_response, serve_json};
use shared::ports::{Providers, Recorded, VerificationStore};
use shared::runtime::bootstrap::HandlerDeps;
use shared::sign_in::store::SignInStore;

pub async fn serve<P, S, C>(deps: &HandlerDeps<P, S, C>, req: Request) -> Response<Body>
where
    P: Providers,
    S: VerificationStore + SignInStore,
    C: Clock,
{
    let authorization = req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = body_bytes(&req).to_vec();
    serve_json(req, &deps.edge, &[], |input| async move {
        // Off unless the deployment holds the secret its callbacks are signed with.
        let secret = deps.callback_secret.as_ref().ok_or(ApiError::NotFound)?;
        let now = deps.service.clock().now();
        let application = deps.callback_application.as_deref();
        if let Err(refusal) = callbacks::authenticate(authorization.as_deref(), &body, secret, application, now) {
            tracing::warn!(reason = %refusal, "status callback refused");
            return Err(ApiError::CallbackUnauthenticated.into());
        }
        let report = callbacks::parse(&input.body)
            .map_err(|why| ApiError::invalid_request(format!("Not a Verify v2 status callback: {why}.")))?
            .ok_or(ApiError::NotFound)?;
        let status = match deps.service.record_status(&report).await.map_err(Failure::from)? {
            Recorded::Applied(_) => "applied",
            Recorded::Repeated => "repeated",
            Recorded::Unknown => return Err(ApiError::NotFound.into()),
        };
        Ok::<_, Failure>(json_response(StatusCode::OK, &json!({ "status": status })))
    })
    .await
}
