//! `GET` or `POST /oauth/logout`: the end-session endpoint (OpenID Connect RP-Initiated Logout
//! 1.0). It ends the browser's session and clears its cookie whatever else the request says,
//! then sends the person to the client's registered `post_logout_redirect_uri` (with `state`),
//! or to the page's signed-out screen.

use lambda_http::{Body, Request, Response};

use super::oauth::{parameters, render, see_other, serve_oauth};
use super::session;
use crate::clock::Clock;
use crate::http::Edge;
use crate::ports::{VerificationProvider, VerificationStore};
use crate::sign_in::service::SignIn;
use crate::sign_in::store::SignInStore;

pub const PATH: &str = "/oauth/logout";
/// The page's screen after a logout with nowhere registered to go.
pub const SIGNED_OUT_PATH: &str = "/signed-out";

pub async fn serve<P, S, C>(sign_in: Option<&SignIn<'_, P, S, C>>, edge: &Edge, req: Request) -> Response<Body>
where
    P: VerificationProvider,
    S: VerificationStore + SignInStore,
    C: Clock,
{
    serve_oauth(req, edge, |req, _client_ip| async move {
        let presented = session::presented(&req);
        let ended = match (sign_in, parameters(&req)) {
            (Some(sign_in), Ok(params)) => sign_in.end_session(&params, presented.as_ref()).await,
            (_, Err(refused)) => Err(refused.said_on_page()),
            (None, Ok(_)) => Ok(None),
        };
        let mut response = match ended {
            Ok(Some(location)) => see_other(&location),
            Ok(None) => see_other(SIGNED_OUT_PATH),
            Err(refused) => render(refused, sign_in.map_or("", |s| s.issuer()), false),
        };
        session::clear(&mut response);
        response
    })
    .await
}
