//! The OpenID Connect provider from API Gateway events: discovery, the authorization endpoint
//! (GET and POST) and the page's read of its flow, the code at the end of a verification with
//! the session cookie, the token endpoint, userinfo and logout, over the simulator and the
//! in-memory store. (Each rule of the request, the code and the token request has unit
//! tests beside it; these check the endpoints' answers on the wire.)

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use lambda_http::http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use serde_json::{Value, json};
use shared::domain::channel::Channel;
use shared::domain::phone::{CountryAllowList, PhoneNumber};
use shared::ports::VerificationStore;
use shared::service::Ask;
use shared::sign_in::domain::authorization::FlowId;
use shared::testing::{Harness, event, json_body};
use vonage_sim::SimConfig;

const EVENT: &str = include_str!("../../../../events/verify-otp.json");
const ISSUER: &str = "https://verify.example.com";
const SECRET: &str = "bank-secret-0123456789abcdef0123456789";
/// RFC 7636 Appendix B's pair.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

async fn harness() -> Harness {
    let key = shared::testing::signing_keys();
    let clients = r#"[{"clientId": "shop", "name": "The Shop", "redirectUris": ["https://shop.example/cb"]},
        {"clientId": "bank", "name": "The Bank", "redirectUris": ["https://bank.example/cb"]}]"#;
    let secrets = json!({ "bank": SECRET }).to_string();
    let settings = [
        ("TOKEN_ISSUER", ISSUER),
        ("TOKEN_SIGNING_KEYS", key.as_str()),
        ("RELYING_PARTIES", clients),
        ("RELYING_PARTY_SECRETS", &secrets),
    ];
    Harness::with(&settings, SimConfig::default()).await
}

/// Calls verify-otp's `path` with `method`, a body of `media`, and `headers`.
async fn call(
    h: &Harness,
    method: &str,
    path: &str,
    body: Option<(&str, &str)>,
    headers: &[(&str, &str)],
) -> (u16, Value, lambda_http::http::HeaderMap) {
    let mut req = event(EVENT, method, body.map(|b| b.0), body.map(|b| b.1));
    *req.uri_mut() = format!("{ISSUER}{path}").parse().unwrap();
    for (name, value) in headers {
        req.headers_mut()
            .insert(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(value).unwrap());
    }
    let response = verify_otp::handle(&h.deps, req).await;
    (response.status().as_u16(), json_body(&response), response.headers().clone())
}

async fn post_json(h: &Harness, path: &str, body: &Value) -> (u16, Value) {
    let (status, body, _) = call(h, "POST", path, Some(("application/json", &body.to_string())), &[]).await;
    (status, body)
}

fn query(client: &str, redirect: &str) -> String {
    let params = [
        ("response_type", "code"),
        ("client_id", client),
        ("redirect_uri", redirect),
        ("scope", "openid phone"),
        ("state", "s-1"),
        ("nonce", "n-1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish()
}

/// `GET /authorize?query` (with the browser's `cookie`): the status, `Location` and headers.
async fn authorize(h: &Harness, query: &str, cookie: Option<&str>) -> (u16, String, lambda_http::http::HeaderMap) {
    let headers: Vec<(&str, &str)> = cookie.map(|c| ("cookie", c)).into_iter().collect();
    let (status, _, headers) = call(h, "GET", &format!("/authorize?{query}"), None, &headers).await;
    let location = headers.get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, location, headers)
}

/// A flow opened at `/authorize`: its id, as the page's address carries it.
async fn open(h: &Harness, query: &str) -> Value {
    let (status, location, headers) = authorize(h, query, None).await;
    assert_eq!((status, headers["cache-control"].to_str().unwrap()), (303, "no-store"), "{location}");
    let id = location.strip_prefix("/sign-in?flow=").unwrap_or_else(|| panic!("to the page: {location}"));
    Value::from(id)
}

/// A sign-in through to the code: authorize, the page's read of the flow, a code sent and
/// entered. Returns the address the page is sent back to, and the session cookie set.
async fn signed_in_with_session(h: &Harness, client: &str, redirect: &str, number: &str) -> (String, String) {
    let flow = open(h, &query(client, redirect)).await;
    let (status, read) = post_json(h, "/api/authorize", &json!({"flowId": flow})).await;
    assert_eq!((status, &read["flowId"]), (200, &flow), "{read}");
    let sent = request_in(h, number, &flow).await;
    let code = h.last_code(number).unwrap();
    let body = json!({"requestId": sent.request_id.as_str(), "code": code, "flowId": flow});
    let (status, verified, headers) =
        call(h, "POST", "/api/verify-otp", Some(("application/json", &body.to_string())), &[]).await;
    assert_eq!(status, 200, "{verified}");
    let mut fields: Vec<&str> = verified.as_object().unwrap().keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["channel", "message", "phoneNumber", "redirectTo", "verified", "verifiedAt"], "no token");
    let cookie = headers["set-cookie"].to_str().unwrap().to_owned();
    (verified["redirectTo"].as_str().unwrap().to_owned(), cookie)
}

async fn signed_in_to(h: &Harness, client: &str, redirect: &str, number: &str) -> String {
    signed_in_with_session(h, client, redirect, number).await.0
}

/// A code sent to `number` for the sign-in `flow` (a flow id as /api/authorize answered it).
async fn request_in(h: &Harness, number: &str, flow: &Value) -> shared::service::CodeSent {
    let phone = PhoneNumber::parse(number, &CountryAllowList::default()).unwrap();
    let flow = flow.as_str().and_then(FlowId::parse);
    h.deps.service.request_code_within(phone, "198.51.100.7", Ask::default(), flow).await.unwrap()
}

fn param(address: &str, name: &str) -> Option<String> {
    let (_, query) = address.split_once('?')?;
    form_urlencoded::parse(query.as_bytes()).find(|(n, _)| n == name).map(|(_, v)| v.into_owned())
}

fn form(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

async fn token(h: &Harness, body: &str, headers: &[(&str, &str)]) -> (u16, Value, lambda_http::http::HeaderMap) {
    call(h, "POST", "/oauth/token", Some(("application/x-www-form-urlencoded", body)), headers).await
}

fn claims(jwt: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(jwt.split('.').nth(1).unwrap()).unwrap()).unwrap()
}

#[tokio::test]
async fn discovery_names_the_endpoints_and_what_they_support() {
    let h = harness().await;
    let (status, document, headers) = call(&h, "GET", "/.well-known/openid-configuration", None, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(document["issuer"], ISSUER);
    assert_eq!(document["authorization_endpoint"], format!("{ISSUER}/authorize"));
    assert_eq!(document["token_endpoint"], format!("{ISSUER}/oauth/token"));
    assert_eq!(document["userinfo_endpoint"], format!("{ISSUER}/oauth/userinfo"));
    assert_eq!(document["jwks_uri"], format!("{ISSUER}/.well-known/jwks.json"));
    assert_eq!(document["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(document["subject_types_supported"], json!(["pairwise"]));
    assert_eq!(document["authorization_response_iss_parameter_supported"], true);
    assert!(headers[CONTENT_TYPE].to_str().unwrap().starts_with("application/json"));
    let off = Harness::start().await;
    assert_eq!(call(&off, "GET", "/.well-known/openid-configuration", None, &[]).await.0, 404);
}

/// A public client (PKCE alone) and a confidential one (its secret, by Basic): each redeems its
/// code once for an ID token about a pairwise subject, and calls userinfo with the access token.
#[tokio::test]
async fn a_public_and_a_confidential_client_each_sign_a_person_in() {
    let h = harness().await;
    let back = signed_in_to(&h, "shop", "https://shop.example/cb", "+14155552671").await;
    assert!(back.starts_with("https://shop.example/cb?code="), "{back}");
    assert_eq!((param(&back, "state").as_deref(), param(&back, "iss").as_deref()), (Some("s-1"), Some(ISSUER)));
    let code = param(&back, "code").unwrap();
    let redeem = form(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", "https://shop.example/cb"),
        ("client_id", "shop"),
        ("code_verifier", VERIFIER),
    ]);
    let (status, tokens, headers) = token(&h, &redeem, &[]).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(
        (headers["cache-control"].to_str().unwrap(), tokens["token_type"].as_str()),
        ("no-store", Some("Bearer"))
    );
    let id = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(
        (id["iss"].as_str(), id["aud"].as_str(), id["nonce"].as_str()),
        (Some(ISSUER), Some("shop"), Some("n-1"))
    );
    assert_eq!(
        (id["phone_number"].as_str(), id["phone_number_verified"].as_bool()),
        (Some("+14155552671"), Some(true))
    );
    let subject = id["sub"].as_str().unwrap().to_owned();
    assert!(!subject.contains("4155552671"), "sub is never the number");
    let bearer = format!("Bearer {}", tokens["access_token"].as_str().unwrap());
    let (status, info, _) = call(&h, "GET", "/oauth/userinfo", None, &[("authorization", &bearer)]).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!((info["sub"].as_str(), info["phone_number"].as_str()), (Some(subject.as_str()), Some("+14155552671")));
    // A real SMS, as today (a WhatsApp message where the test ladder puts WhatsApp first).
    let amr = if shared::testing::test_ladder().first() == Channel::WhatsApp { "otp" } else { "sms" };
    assert_eq!((&info["amr"], &info["auth_time"]), (&json!([amr]), &id["auth_time"]), "a real code sent");

    // The code once: a second redemption is refused.
    let (status, refused, _) = token(&h, &redeem, &[]).await;
    assert_eq!((status, refused["error"].as_str()), (400, Some("invalid_grant")));

    h.clock.advance(time::Duration::seconds(60)); // the number's resend gap
    let back = signed_in_to(&h, "bank", "https://bank.example/cb", "+14155552671").await;
    let code = param(&back, "code").unwrap();
    let basic = format!("Basic {}", STANDARD.encode(format!("bank:{SECRET}")));
    let redeem = form(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", "https://bank.example/cb"),
        ("code_verifier", VERIFIER),
    ]);
    let wrong = format!("Basic {}", STANDARD.encode("bank:not-the-secret-0123456789abcdef0123"));
    let (status, refused, headers) = token(&h, &redeem, &[("authorization", &wrong)]).await;
    assert_eq!((status, refused["error"].as_str()), (401, Some("invalid_client")));
    assert!(headers["www-authenticate"].to_str().unwrap().starts_with("Basic realm="));
    let (status, tokens, _) = token(&h, &redeem, &[("authorization", &basic)]).await;
    assert_eq!(status, 200, "{tokens}");
    let bank_subject = claims(tokens["id_token"].as_str().unwrap())["sub"].as_str().unwrap().to_owned();
    assert_ne!(bank_subject, subject, "pairwise: two clients, two subjects");
}

#[tokio::test]
async fn a_bad_authorization_request_goes_back_to_the_client_or_nowhere() {
    let h = harness().await;
    let (status, location, _) = authorize(&h, &query("evil", "https://shop.example/cb"), None).await;
    assert_eq!((status, location.as_str()), (303, "/sign-in?error=invalid_client"));
    let (status, location, _) = authorize(&h, &query("shop", "https://evil.example/cb"), None).await;
    assert_eq!((status, location.as_str()), (303, "/sign-in?error=invalid_redirect_uri"));
    let no_pkce =
        query("shop", "https://shop.example/cb").replace("code_challenge_method=S256", "code_challenge_method=plain");
    let (status, back, _) = authorize(&h, &no_pkce, None).await;
    assert_eq!(status, 303);
    assert!(back.starts_with("https://shop.example/cb?error=invalid_request"), "{back}");
    assert_eq!((param(&back, "state").as_deref(), param(&back, "iss").as_deref()), (Some("s-1"), Some(ISSUER)));
    // prompt=none without a session: login_required, back at the client.
    let (_, back, _) = authorize(&h, &format!("{}&prompt=none", query("shop", "https://shop.example/cb")), None).await;
    assert_eq!(param(&back, "error").as_deref(), Some("login_required"), "{back}");
    // The page's read of a flow that is not one.
    let (status, body) = post_json(&h, "/api/authorize", &json!({"flowId": "0".repeat(32)})).await;
    assert_eq!((status, body["code"].as_str()), (410, Some("sign_in_expired")));
}

#[tokio::test]
async fn an_expired_sign_in_spends_no_attempt_and_says_so() {
    let h = harness().await;
    let flow = open(&h, &query("shop", "https://shop.example/cb")).await;
    let sent = request_in(&h, "+14155552671", &flow).await;
    let code = h.last_code("+14155552671").unwrap();
    h.clock.advance(shared::sign_in::service::FLOW_LIFETIME);
    let body = json!({"requestId": sent.request_id.as_str(), "code": code, "flowId": flow});
    let (status, answer) = post_json(&h, "/api/verify-otp", &body).await;
    assert_eq!((status, answer["code"].as_str()), (410, Some("sign_in_expired")));
    let stored = h.deps.service.store().inner.get(&sent.request_id, shared::clock::Clock::now(&h.clock)).await;
    assert_eq!(stored.unwrap().map(|v| v.attempts), Some(0), "no attempt spent");
}

/// Whoever learnt a flow's id cannot end it with a code of their own: only a code asked for in
/// that sign-in ends it.
#[tokio::test]
async fn a_code_asked_for_outside_the_sign_in_does_not_end_it() {
    let h = harness().await;
    let opened = open(&h, &query("shop", "https://shop.example/cb")).await;
    let outside = request_in(&h, "+14155552671", &Value::Null).await;
    let code = h.last_code("+14155552671").unwrap();
    let body = json!({"requestId": outside.request_id.as_str(), "code": code, "flowId": opened});
    let (status, answer) = post_json(&h, "/api/verify-otp", &body).await;
    assert_eq!((status, answer["code"].as_str()), (400, Some("invalid_request")), "{answer}");
    assert!(answer.get("redirectTo").is_none());
    let flow = FlowId::parse(opened.as_str().unwrap()).unwrap();
    assert!(h.deps.sign_in().unwrap().flow(&flow).await.unwrap().is_some(), "still open for its own code");
}

/// A code sent in one sign-in and entered in another (the page reloaded at `/authorize` opens a
/// new flow) is refused before it spends an attempt, and still ends its own sign-in.
#[tokio::test]
async fn a_code_entered_in_another_sign_in_keeps_its_attempt() {
    let h = harness().await;
    let first = open(&h, &query("shop", "https://shop.example/cb")).await;
    let reloaded = open(&h, &query("shop", "https://shop.example/cb")).await;
    let sent = request_in(&h, "+14155552671", &first).await;
    let code = h.last_code("+14155552671").unwrap();
    let checks = h.provider_calls();
    let body = json!({"requestId": sent.request_id.as_str(), "code": code, "flowId": reloaded});
    let (status, answer) = post_json(&h, "/api/verify-otp", &body).await;
    assert_eq!((status, answer["code"].as_str()), (400, Some("invalid_request")), "{answer}");
    let stored = h.deps.service.store().inner.get(&sent.request_id, shared::clock::Clock::now(&h.clock)).await;
    assert_eq!(stored.unwrap().map(|v| v.attempts), Some(0), "no attempt spent");
    assert_eq!(h.provider_calls(), checks, "the code never reached the provider");
    let body = json!({"requestId": sent.request_id.as_str(), "code": code, "flowId": first});
    let (status, answer) = post_json(&h, "/api/verify-otp", &body).await;
    assert_eq!(status, 200, "its own sign-in still ends with it: {answer}");
    assert!(answer["redirectTo"].as_str().unwrap().starts_with("https://shop.example/cb?code="));
}

/// An address opens so many sign-ins in ten minutes (`SIGN_IN_MAX_FLOWS_PER_IP`): past them, the
/// page's `too_many_sign_ins` with the rest of the window to wait, and no flow; then it opens again.
#[tokio::test]
async fn an_address_past_its_sign_ins_is_told_how_long_to_wait() {
    let key = shared::testing::signing_keys();
    let clients = r#"[{"clientId": "shop", "name": "The Shop", "redirectUris": ["https://shop.example/cb"]}]"#;
    let settings = [
        ("TOKEN_ISSUER", ISSUER),
        ("TOKEN_SIGNING_KEYS", key.as_str()),
        ("RELYING_PARTIES", clients),
        ("SIGN_IN_MAX_FLOWS_PER_IP", "2"),
    ];
    let h = Harness::with(&settings, SimConfig::default()).await;
    let good = query("shop", "https://shop.example/cb");
    let (_, location, _) = authorize(&h, &query("evil", "https://shop.example/cb"), None).await;
    assert_eq!(location, "/sign-in?error=invalid_client", "a refused request counts nothing");
    for _ in 0..2 {
        open(&h, &good).await;
    }
    let writes = h.store_writes();
    let (status, location, _) = authorize(&h, &good, None).await;
    let wait =
        location.strip_prefix("/sign-in?error=too_many_sign_ins&retryAfter=").unwrap_or_else(|| panic!("{location}"));
    let wait: u64 = wait.parse().unwrap();
    assert_eq!(status, 303);
    assert!((1..=600).contains(&wait), "the rest of the ten minutes: {wait}");
    assert_eq!(h.store_writes(), writes + 1, "the refused count alone: no flow written");
    h.clock.advance(time::Duration::seconds(i64::try_from(wait).unwrap()));
    open(&h, &good).await;
}

#[tokio::test]
async fn userinfo_needs_a_valid_access_token() {
    let h = harness().await;
    let (status, body, headers) = call(&h, "GET", "/oauth/userinfo", None, &[]).await;
    assert_eq!((status, body), (401, json!({})), "no credentials: no error code (RFC 6750 §3.1)");
    assert_eq!(headers["www-authenticate"], format!("Bearer realm=\"{ISSUER}\""));
    let (status, _, headers) = call(&h, "GET", "/oauth/userinfo", None, &[("authorization", "Bearer a.b.c")]).await;
    assert_eq!(status, 401);
    assert!(headers["www-authenticate"].to_str().unwrap().contains("error=\"invalid_token\""));
}

/// A test number signs in as any number does, without a text: its answer and its ID token say
/// it was a test number (`amr: ["test"]`), for a relying party that refuses them in production.
#[tokio::test]
async fn a_test_numbers_sign_in_says_so_in_the_answer_and_the_id_token() {
    let key = shared::testing::signing_keys();
    let clients = r#"[{"clientId": "shop", "name": "The Shop", "redirectUris": ["https://shop.example/cb"],
        "allowTestNumbers": true}]"#;
    let settings = [
        ("TOKEN_ISSUER", ISSUER),
        ("TOKEN_SIGNING_KEYS", key.as_str()),
        ("RELYING_PARTIES", clients),
        ("TEST_NUMBERS", r#"{"+12015550123": "482916"}"#),
    ];
    let h = Harness::with(&settings, SimConfig::default()).await;
    let flow = open(&h, &query("shop", "https://shop.example/cb")).await;
    let sent = request_in(&h, "+12015550123", &flow).await;
    let body = json!({"requestId": sent.request_id.as_str(), "code": "482916", "flowId": flow});
    let (status, verified, headers) =
        call(&h, "POST", "/api/verify-otp", Some(("application/json", &body.to_string())), &[]).await;
    assert_eq!((status, &verified["testNumber"]), (200, &json!(true)), "{verified}");
    assert!(headers.get("set-cookie").is_none(), "a test number gets no session");
    let back = verified["redirectTo"].as_str().unwrap();
    let redeem = form(&[
        ("grant_type", "authorization_code"),
        ("code", &param(back, "code").unwrap()),
        ("redirect_uri", "https://shop.example/cb"),
        ("client_id", "shop"),
        ("code_verifier", VERIFIER),
    ]);
    let (status, tokens, _) = token(&h, &redeem, &[]).await;
    assert_eq!(status, 200, "{tokens}");
    let id = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!((&id["amr"], &id["phone_number"]), (&json!(["test"]), &json!("+12015550123")));
    // A broker that reads userinfo alone (Keycloak, Cognito) sees it too, as the access token says.
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!((&claims(access)["amr"], &claims(access)["auth_time"]), (&json!(["test"]), &id["auth_time"]));
    let bearer = format!("Bearer {access}");
    let (status, info, _) = call(&h, "GET", "/oauth/userinfo", None, &[("authorization", &bearer)]).await;
    assert_eq!((status, &info["amr"], &info["auth_time"]), (200, &json!(["test"]), &id["auth_time"]), "{info}");
    assert_eq!(h.provider_calls(), 0, "nothing sent, nothing checked at a provider");
}

/// The session cookie: set with a proof (HttpOnly, Secure, SameSite=Lax, the whole site), it
/// signs the same browser in to another client without a code, a form-POSTed request included;
/// logout clears it and sends the person to the client's registered address.
#[tokio::test]
async fn a_session_signs_in_again_without_a_code_and_logout_ends_it() {
    let key = shared::testing::signing_keys();
    let clients = r#"[{"clientId": "shop", "name": "The Shop", "redirectUris": ["https://shop.example/cb"],
        "postLogoutRedirectUris": ["https://shop.example/bye"]},
        {"clientId": "bank", "name": "The Bank", "redirectUris": ["https://bank.example/cb"]}]"#;
    let secrets = json!({ "bank": SECRET }).to_string();
    let settings = [
        ("TOKEN_ISSUER", ISSUER),
        ("TOKEN_SIGNING_KEYS", key.as_str()),
        ("RELYING_PARTIES", clients),
        ("RELYING_PARTY_SECRETS", &secrets),
    ];
    let h = Harness::with(&settings, SimConfig::default()).await;
    let (_, set) = signed_in_with_session(&h, "shop", "https://shop.example/cb", "+14155552671").await;
    let (pair, attributes) = set.split_once("; ").unwrap();
    assert!(pair.starts_with("__Host-sign-in=") && pair.len() == "__Host-sign-in=".len() + 43, "{set}");
    assert_eq!(attributes, "Max-Age=28800; Path=/; Secure; HttpOnly; SameSite=Lax");
    let cookie = format!("other=1; {pair}");
    let sent = h.provider_calls();

    // A form-POSTed request from the bank: straight back with a code, nothing sent.
    let body = query("bank", "https://bank.example/cb");
    let (status, _, headers) =
        call(&h, "POST", "/authorize", Some(("application/x-www-form-urlencoded", &body)), &[("cookie", &cookie)])
            .await;
    let back = headers["location"].to_str().unwrap();
    assert_eq!(status, 303);
    assert!(back.starts_with("https://bank.example/cb?code="), "{back}");
    assert_eq!(h.provider_calls(), sent, "no code sent");
    // prompt=login asks again.
    let (_, location, _) =
        authorize(&h, &format!("{}&prompt=login", query("shop", "https://shop.example/cb")), Some(&cookie)).await;
    assert!(location.starts_with("/sign-in?flow="), "{location}");

    // Logout without an ID token of the person's: the page asks first (RP-Initiated Logout §2),
    // and only its own POST (from the issuer's origin) ends the session.
    let asked = "client_id=shop&post_logout_redirect_uri=https%3A%2F%2Fshop.example%2Fbye&state=z";
    let (status, _, headers) = call(&h, "GET", &format!("/oauth/logout?{asked}"), None, &[("cookie", &cookie)]).await;
    assert_eq!(
        (status, headers["location"].to_str().unwrap()),
        (303, format!("/signed-out?confirm=1&{asked}").as_str())
    );
    assert!(headers.get("set-cookie").is_none(), "nothing ended yet");
    let answered = format!("confirm=1&{asked}");
    let form = Some(("application/x-www-form-urlencoded", answered.as_str()));
    let elsewhere = [("cookie", cookie.as_str()), ("origin", "https://evil.example")];
    let (_, _, headers) = call(&h, "POST", "/oauth/logout", form, &elsewhere).await;
    assert!(headers["location"].to_str().unwrap().starts_with("/signed-out?confirm=1"), "another site cannot answer");
    let (_, location, _) = authorize(&h, &query("bank", "https://bank.example/cb"), Some(&cookie)).await;
    assert!(location.starts_with("https://bank.example/cb?code="), "still signed in: {location}");
    let page = [("cookie", cookie.as_str()), ("origin", ISSUER)];
    let (status, answer, headers) = call(&h, "POST", "/oauth/logout", form, &page).await;
    assert_eq!((status, answer), (200, json!({"redirectTo": "https://shop.example/bye?state=z"})));
    assert!(headers["set-cookie"].to_str().unwrap().starts_with("__Host-sign-in=; Max-Age=0;"));
    let (_, location, _) = authorize(&h, &query("bank", "https://bank.example/cb"), Some(&cookie)).await;
    assert!(location.starts_with("/sign-in?flow="), "signed out: a code again: {location}");
    let (status, _, headers) = call(&h, "GET", "/oauth/logout", None, &[]).await;
    assert_eq!((status, headers["location"].to_str().unwrap()), (303, "/signed-out"), "nowhere registered to go");
}

/// An application that registers its ladder of channels (`channels`) gets it in its sign-ins:
/// the page reads it with the flow, and request-otp sends by it (WhatsApp first here); another
/// application's sign-in keeps the hosted page's ladder.
#[tokio::test]
async fn an_applications_ladder_of_channels_holds_in_its_sign_ins() {
    let key = shared::testing::signing_keys();
    let clients = r#"[{"clientId": "shop", "name": "The Shop", "redirectUris": ["https://shop.example/cb"]},
        {"clientId": "chat", "name": "The Chat", "redirectUris": ["https://chat.example/cb"],
         "channels": ["whatsapp", "sms"]}]"#;
    let settings = [
        ("TOKEN_ISSUER", ISSUER),
        ("TOKEN_SIGNING_KEYS", key.as_str()),
        ("RELYING_PARTIES", clients),
        ("RELYING_PARTY_SECRETS", "{}"),
    ];
    let h = Harness::with(&settings, SimConfig::default()).await;
    let ask = |flow: &Value, number: &str| {
        let phone = PhoneNumber::parse(number, &CountryAllowList::default()).unwrap();
        let flow = flow.as_str().and_then(FlowId::parse).unwrap();
        shared::sign_in::service::request_code(&h.deps.service, phone, "198.51.100.7", Ask::default(), flow)
    };

    let chat = open(&h, &query("chat", "https://chat.example/cb")).await;
    let (status, read) = post_json(&h, "/api/authorize", &json!({"flowId": chat})).await;
    assert_eq!((status, read["channels"].clone()), (200, json!(["whatsapp", "sms"])), "{read}");
    let sent = ask(&chat, "+447400123456").await.unwrap();
    assert_eq!((sent.channel, sent.channels.names()), (Channel::WhatsApp, "whatsapp,sms".to_owned()));
    assert_eq!(h.sent().last().map(|s| s.channel.clone()).as_deref(), Some("whatsapp"));

    let shop = open(&h, &query("shop", "https://shop.example/cb")).await;
    let (_, read) = post_json(&h, "/api/authorize", &json!({"flowId": shop})).await;
    assert_eq!(read["channels"], Value::Null, "the page's own");
    let sent = ask(&shop, "+447400123457").await.unwrap();
    let page = shared::testing::test_ladder();
    assert_eq!((sent.channel, sent.channels), (page.first(), page));
}
