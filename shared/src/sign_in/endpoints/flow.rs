//! `POST /api/authorize {"flowId"}`: the page's read of the flow `/authorize` sent it with — the
//! client's name, whether the number is shared with it (`phone` scope), the number
//! `login_hint` named and the language `ui_locales` chose — or `sign_in_expired`.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;

use crate::clock::Clock;
use crate::http::{ApiError, Edge, Failure, json_response, serve_json};
use crate::ports::{Providers, VerificationStore};
use crate::sign_in::domain::authorization::FlowId;
use crate::sign_in::service::SignIn;
use crate::sign_in::store::SignInStore;

pub const PATH: &str = "/api/authorize";

pub async fn serve<P, S, C>(sign_in: Option<&SignIn<'_, P, S, C>>, edge: &Edge, req: Request) -> Response<Body>
where
    P: Providers,
    S: VerificationStore + SignInStore,
    C: Clock,
{
    serve_json(req, edge, &[], |input| async move {
        let id = FlowId::parse(input.string("flowId")?)
            .ok_or_else(|| ApiError::invalid_request("flowId is not a sign-in of this service."))?;
        let sign_in = sign_in.ok_or(ApiError::SignInExpired)?;
        let flow = sign_in.flow(&id).await.map_err(Failure::from)?.ok_or(ApiError::SignInExpired)?;
        let client = sign_in.client(&flow);
        Ok::<_, Failure>(json_response(
            StatusCode::OK,
            &json!({
                "flowId": flow.id.as_str(),
                "clientName": client.map(|c| c.name.as_str()),
                "phoneScope": flow.request.phone_scope,
                "loginHint": flow.request.login_hint,
                "locale": flow.request.locale,
                // The client's ladder where it registered one; the page's own otherwise.
                "channels": flow.request.channels.map(|c| c.as_slice().iter().map(|c| c.as_str()).collect::<Vec<_>>()),
            }),
        ))
    })
    .await
}
