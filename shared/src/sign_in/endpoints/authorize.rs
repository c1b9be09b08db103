//! `GET` or `POST /authorize`: the authorization endpoint (OpenID Connect Core §3.1.2). Every
//! answer is a `303`: back to the client (a code from the browser's session, or an error it
//! must hear), to the page with the flow the person finishes there, or to the page's error
//! screen when the address to go back to is not known to be the client's.

use lambda_http::{Body, Request, Response};

use super::oauth::{PAGE_PATH, parameters, render, see_other, serve_oauth};
use super::session;
use crate::clock::Clock;
use crate::http::Edge;
use crate::ports::{Providers, VerificationStore};
use crate::sign_in::domain::error::{Delivery, ErrorCode, OAuthError};
use crate::sign_in::service::{Authorized, SignIn};
use crate::sign_in::store::SignInStore;

pub const PATH: &str = "/authorize";

pub async fn serve<P, S, C>(sign_in: Option<&SignIn<'_, P, S, C>>, edge: &Edge, req: Request) -> Response<Body>
where
    P: Providers,
    S: VerificationStore + SignInStore,
    C: Clock,
{
    serve_oauth(req, edge, |req, client_ip| async move {
        let Some(sign_in) = sign_in else {
            return render(OAuthError::on_page(ErrorCode::InvalidClient, "sign-in is off"), "", false);
        };
        let issuer = sign_in.issuer();
        let answer = match parameters(&req) {
            Ok(params) => sign_in.authorize(&params, &client_ip, session::presented(&req).as_ref()).await,
            Err(refused) => Err(refused),
        };
        match answer {
            Ok(Authorized::Flow(flow)) => see_other(&format!("{PAGE_PATH}?flow={}", flow.id.as_str())),
            Ok(Authorized::Redirect(location)) => see_other(&location),
            // A browser is on the other end: what is not said to the client is said on the page.
            Err(refused) if refused.delivery == Delivery::Json => render(refused.said_on_page(), issuer, false),
            Err(refused) => render(refused, issuer, false),
        }
    })
    .await
}
