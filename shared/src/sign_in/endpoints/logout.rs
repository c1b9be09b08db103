//! `GET` or `POST /oauth/logout`: the end-session endpoint (OpenID Connect RP-Initiated Logout
//! 1.0). A request that proves it is the session's person's (an `id_token_hint` of theirs) ends
//! the browser's session and clears its cookie; any other asks the person first, on the page
//! (`/signed-out?confirm=1&…`, whose "Sign out" POSTs the same request back with `confirm=1`,
//! and is answered where to go). Then the person goes to the client's registered
//! `post_logout_redirect_uri` (with `state`), or to the page's signed-out screen.

use lambda_http::http::header::ORIGIN;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};

use super::oauth::{parameters, render, see_other, serve_oauth};
use super::session;
use crate::clock::Clock;
use serde_json::json;

use crate::http::{Edge, json_response};
use crate::ports::{Providers, VerificationStore};
use crate::sign_in::service::{Logout, SignIn};
use crate::sign_in::store::SignInStore;

pub const PATH: &str = "/oauth/logout";
/// The page's screen after a logout with nowhere registered to go.
pub const SIGNED_OUT_PATH: &str = "/signed-out";

pub async fn serve<P, S, C>(sign_in: Option<&SignIn<'_, P, S, C>>, edge: &Edge, req: Request) -> Response<Body>
where
    P: Providers,
    S: VerificationStore + SignInStore,
    C: Clock,
{
    serve_oauth(req, edge, |req, _client_ip| async move {
        let Some(sign_in) = sign_in else { return see_other(SIGNED_OUT_PATH) };
        let params = match parameters(&req) {
            Ok(params) => params,
            Err(refused) => return render(refused.said_on_page(), sign_in.issuer(), false),
        };
        let confirmed = confirmed_on_the_page(&req, &params, sign_in.issuer());
        let asked: Vec<(String, String)> = params.iter().filter(|(name, _)| name != CONFIRM).cloned().collect();
        match sign_in.end_session(&asked, session::presented(&req).as_ref(), confirmed).await {
            Ok(Logout::Confirm) => {
                let query = form_urlencoded::Serializer::new(String::new())
                    .append_pair(CONFIRM, "1")
                    .extend_pairs(&asked)
                    .finish();
                see_other(&format!("{SIGNED_OUT_PATH}?{query}"))
            }
            Ok(Logout::Ended { back, ended }) => {
                let to = back.as_deref().unwrap_or(SIGNED_OUT_PATH);
                // The page's confirmation is its script's call (the page's policy lets no form
                // leave it): it is told where to go rather than sent.
                let mut response =
                    if confirmed { json_response(StatusCode::OK, &json!({"redirectTo": to})) } else { see_other(to) };
                if ended {
                    session::clear(&mut response);
                }
                response
            }
            Err(refused) => render(refused, sign_in.issuer(), false),
        }
    })
    .await
}

/// The field the page's confirmation adds to the request it repeats.
const CONFIRM: &str = "confirm";

/// Whether `req` is the page's "Sign out" (a POST with `confirm`, from the issuer's own origin:
/// no other site can answer for the person).
fn confirmed_on_the_page(req: &Request, params: &[(String, String)], issuer: &str) -> bool {
    let own = reqwest::Url::parse(issuer).map(|url| url.origin().ascii_serialization()).ok();
    let origin = req.headers().get(ORIGIN).and_then(|v| v.to_str().ok());
    req.method() == Method::POST
        && params.iter().any(|(name, value)| name == CONFIRM && value == "1")
        && origin.is_some_and(|origin| own.as_deref() == Some(origin))
}
