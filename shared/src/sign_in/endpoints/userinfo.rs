//! `GET` or `POST /oauth/userinfo` with `Authorization: Bearer <access token>` (OpenID Connect
//! Core §5.3, RFC 6750 §2.1).

use lambda_http::http::StatusCode;
use lambda_http::http::header::AUTHORIZATION;
use lambda_http::{Body, Request, Response};

use super::oauth::{render, serve_oauth};
use crate::clock::Clock;
use crate::http::{Edge, json_response};
use crate::ports::{Providers, VerificationStore};
use crate::sign_in::domain::error::OAuthError;
use crate::sign_in::service::SignIn;
use crate::sign_in::store::SignInStore;

pub use crate::sign_in::domain::tokens::USERINFO_PATH as PATH;

pub async fn serve<P, S, C>(sign_in: Option<&SignIn<'_, P, S, C>>, edge: &Edge, req: Request) -> Response<Body>
where
    P: Providers,
    S: VerificationStore + SignInStore,
    C: Clock,
{
    serve_oauth(req, edge, |req, _client_ip| async move {
        let Some(sign_in) = sign_in else {
            return render(OAuthError::invalid_request("sign-in is off on this service"), "", false);
        };
        let presented = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        match sign_in.userinfo(presented) {
            Ok(claims) => json_response(StatusCode::OK, &claims),
            Err(refused) => render(refused, sign_in.issuer(), false),
        }
    })
    .await
}
