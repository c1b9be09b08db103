//! `POST /oauth/token`: a code redeemed by its client for an ID token and an access token
//! (RFC 6749 §4.1.3, OpenID Connect Core §3.1.3); a refusal is counted by its error.

use lambda_http::http::StatusCode;
use lambda_http::http::header::AUTHORIZATION;
use lambda_http::{Body, Request, Response};

use super::oauth::{form, render, serve_oauth};
use crate::clock::Clock;
use crate::http::{Edge, json_response};
use crate::ports::{Providers, VerificationStore};
use crate::sign_in::domain::error::OAuthError;
use crate::sign_in::service::SignIn;
use crate::sign_in::store::SignInStore;

pub const PATH: &str = "/oauth/token";

pub async fn serve<P, S, C>(sign_in: Option<&SignIn<'_, P, S, C>>, edge: &Edge, req: Request) -> Response<Body>
where
    P: Providers,
    S: VerificationStore + SignInStore,
    C: Clock,
{
    serve_oauth(req, edge, |req, _client_ip| async move {
        let Some(sign_in) = sign_in else {
            return render(OAuthError::invalid_request("sign-in is off on this service"), "", true);
        };
        let authorization = req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok());
        let answer = match form(&req) {
            Ok(form) => sign_in.token(&form, authorization).await,
            Err(refused) => Err(refused),
        };
        match answer {
            Ok(tokens) => json_response(StatusCode::OK, &tokens),
            Err(refused) => render(refused, sign_in.issuer(), true),
        }
    })
    .await
}
