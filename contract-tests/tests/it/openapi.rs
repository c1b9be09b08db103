//! Keeps `openapi.yaml` true: every answer the functions give in every documented situation is
//! checked against the schema of its path and status, and every documented (path, status, code)
//! is seen at least once.

use std::collections::BTreeSet;

use lambda_http::{Body, Request, Response};
use serde_json::{Value, json};
use shared::adapters::vonage::VonageClient;
use shared::clock::{Clock, ManualClock};
use shared::http::ApiError;
use shared::ports::{Providers, VerificationStore};
use shared::runtime::bootstrap::HandlerDeps;
use shared::sign_in::store::SignInStore;
use shared::testing::{FailingStore, Harness, config, event, json_body};
use vonage_sim::{Fault, SimConfig};

const SPEC: &str = include_str!("../../../openapi.yaml");
const REQUEST_EVENT: &str = include_str!("../../../events/request-otp.json");
const VERIFY_EVENT: &str = include_str!("../../../events/verify-otp.json");
const REQUEST: &str = "/api/request-otp";
const VERIFY: &str = "/api/verify-otp";
const JWKS: &str = "/.well-known/jwks.json";
const DISCOVERY: &str = "/.well-known/openid-configuration";
const AUTHORIZE: &str = "/authorize";
const FLOW: &str = "/api/authorize";
const TOKEN: &str = "/oauth/token";
const USERINFO: &str = "/oauth/userinfo";
const LOGOUT: &str = "/oauth/logout";
const WEBHOOK: &str = "/webhooks/vonage";

fn spec() -> Value {
    serde_norway::from_str(SPEC).expect("openapi.yaml parses")
}

fn post(template: &str, body: &Value) -> Request {
    event(template, "POST", Some("application/json"), Some(&body.to_string()))
}

/// What one answer was: path, status, code (`ok` for a success), body and whether it had a
/// `Retry-After` header.
#[derive(Debug)]
struct Seen {
    path: &'static str,
    status: u16,
    body: Value,
    retry_after: Option<String>,
    location: Option<String>,
}

fn seen(path: &'static str, response: Response<Body>) -> Seen {
    let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    let (retry_after, location) = (header("retry-after"), header("location"));
    Seen { path, status: response.status().as_u16(), body: json_body(&response), retry_after, location }
}

/// request-otp's answer to `req`. The handler's future is on the heap: a debug build's frame of
/// each situation below would otherwise hold one copy or more of it for every call it makes.
async fn answer_request<P: Providers, S: VerificationStore + SignInStore>(
    deps: &HandlerDeps<P, S, ManualClock>,
    req: Request,
) -> Seen {
    seen(REQUEST, Box::pin(request_otp::handle(deps, req)).await)
}

/// verify-otp's answer to `req` at `path`, its future on the heap as [`answer_request`]'s.
async fn answer_verify<P: Providers, S: VerificationStore + SignInStore>(
    deps: &HandlerDeps<P, S, ManualClock>,
    path: &'static str,
    req: Request,
) -> Seen {
    seen(path, Box::pin(verify_otp::handle(deps, req)).await)
}

async fn request(h: &Harness, number: &str) -> Seen {
    answer_request(&h.deps, post(REQUEST_EVENT, &json!({"phoneNumber": number}))).await
}

async fn verify(h: &Harness, request_id: &str, code: &str) -> Seen {
    answer_verify(&h.deps, VERIFY, post(VERIFY_EVENT, &json!({"requestId": request_id, "code": code}))).await
}

fn wrong(code: &str) -> String {
    format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000)
}

/// Drives both functions through every situation the contract documents.
/// Every situation, a group at a time: each group's function is a poll frame of its own (a debug
/// build's frame holds every future its function awaits, side by side), and on the heap.
async fn every_situation() -> Vec<Seen> {
    let mut all = Vec::new();
    all.extend(Box::pin(sends_checks_and_malformed_requests()).await);
    all.extend(Box::pin(attempts_and_expiry()).await);
    all.extend(Box::pin(budgets()).await);
    all.extend(Box::pin(calls()).await);
    all.extend(Box::pin(test_number()).await);
    all.extend(Box::pin(the_switch_and_the_bot_check()).await);
    all.extend(Box::pin(key_set()).await);
    all.extend(Box::pin(around_cloudfront()).await);
    all.extend(Box::pin(a_failing_store()).await);
    all.extend(Box::pin(sign_in()).await);
    all.extend(Box::pin(status_callbacks()).await);
    all
}

/// Vonage's status callbacks: applied, repeated, each refusal, the request rules, and a store
/// that fails; and a channel the ladder does not offer.
async fn status_callbacks() -> Vec<Seen> {
    use shared::testing::{TEST_SIGNATURE_SECRET, status_callback, vonage_signature};
    let mut all = Vec::new();
    let h = Harness::with(&[("PROVIDER_ORDER", "vonage"), ("OTP_CHANNELS", "sms")], SimConfig::default()).await;
    let whatsapp = json!({"phoneNumber": "+14155552671", "channel": "whatsapp"});
    all.push(answer_request(&h.deps, post(REQUEST_EVENT, &whatsapp)).await); // channel_not_offered
    let sent = request(&h, "+14155552671").await;
    let id = sent.body["requestId"].as_str().unwrap().to_owned();
    all.push(sent);
    let request_id = shared::domain::request_id::RequestId::parse(&id).unwrap();
    let record = h.deps.service.store().get(&request_id, h.clock.now()).await.unwrap().unwrap();
    let event = |client_ref: &str| {
        json!({"request_id": record.provider_id.as_str(), "triggered_at": "2026-11-25T17:00:00Z", "type": "event",
            "channel": "sms", "status": "completed", "finalized_at": "2026-11-25T17:00:10Z", "client_ref": client_ref})
        .to_string()
    };
    let signed = |body: &str| vonage_signature(body.as_bytes(), TEST_SIGNATURE_SECRET, h.clock.now());
    let callback = |body: &str, auth: Option<String>| status_callback(body, auth.as_deref());
    let body = event(&id);
    all.push(answer_verify(&h.deps, WEBHOOK, callback(&body, Some(signed(&body)))).await); // applied
    all.push(answer_verify(&h.deps, WEBHOOK, callback(&body, Some(signed(&body)))).await); // repeated
    all.push(answer_verify(&h.deps, WEBHOOK, callback(&body, None)).await); // unauthenticated
    let unknown = event(&"0".repeat(32));
    all.push(answer_verify(&h.deps, WEBHOOK, callback(&unknown, Some(signed(&unknown)))).await); // not_found
    let malformed = json!({"type": "event"}).to_string();
    all.push(answer_verify(&h.deps, WEBHOOK, callback(&malformed, Some(signed(&malformed)))).await); // invalid_request
    let mut get = callback(&body, None);
    *get.method_mut() = lambda_http::http::Method::GET;
    all.push(answer_verify(&h.deps, WEBHOOK, get).await); // method_not_allowed
    let mut text = callback(&body, None);
    text.headers_mut().insert("content-type", "text/plain".parse().unwrap());
    all.push(answer_verify(&h.deps, WEBHOOK, text).await); // unsupported_media_type
    let large = "x".repeat(5000);
    all.push(answer_verify(&h.deps, WEBHOOK, callback(&large, None)).await); // payload_too_large
    let secret = "0123456789abcdef".repeat(4);
    let behind = Harness::with(&[("ORIGIN_VERIFY_SECRET", &secret)], SimConfig::default()).await;
    all.push(answer_verify(&behind.deps, WEBHOOK, callback(&body, None)).await); // forbidden
    for throttled in [false, true] {
        let sim = vonage_sim::Simulator::spawn(SimConfig::default()).await.unwrap();
        let config = config(&sim.base_url(), &[]);
        let provider = VonageClient::new(config.vonage.clone()).unwrap();
        let deps = HandlerDeps::new(config, provider, FailingStore { throttled }, ManualClock::new());
        // Signed at the clock of these dependencies.
        let auth = vonage_signature(body.as_bytes(), TEST_SIGNATURE_SECRET, deps.service.clock().now());
        all.push(answer_verify(&deps, WEBHOOK, callback(&body, Some(auth))).await); // internal_error, service_unavailable
    }
    all
}

/// A send, its check, the request rules and the provider's failures.
async fn sends_checks_and_malformed_requests() -> Vec<Seen> {
    let mut all = Vec::new();
    // Vonage's timeout 1 s, a slow answer 2.5 s: wide enough margins that a loaded machine still
    // tells a 500 (502) from a timeout (504). Vonage alone, so that its failures are answered.
    let h = Harness::with(
        &[
            ("OTP_MAX_SENDS_PER_IP_PER_HOUR", "4"),
            ("VONAGE_TIMEOUT_MS", "1000"),
            ("ALLOWED_COUNTRIES", "US,GB"),
            ("PROVIDER_ORDER", "vonage"),
        ],
        SimConfig::default(),
    )
    .await;

    let sent = request(&h, "+14155552671").await;
    let id = sent.body["requestId"].as_str().unwrap().to_owned();
    let code = h.last_code("+14155552671").unwrap();
    all.push(sent);
    all.push(request(&h, "+14155552671").await); // resend_too_soon
    all.push(request(&h, "+1 415 555").await); // invalid_phone_number
    all.push(request(&h, "+18005550199").await); // unsupported_number
    all.push(request(&h, "+33612345678").await); // country_not_allowed
    all.push(answer_request(&h.deps, post(REQUEST_EVENT, &json!({}))).await);
    let oversized = json!({"phoneNumber": "+14155552671", "pad": "x".repeat(5000)}).to_string();
    for (path, template, handler_is_request) in [(REQUEST, REQUEST_EVENT, true), (VERIFY, VERIFY_EVENT, false)] {
        let requests = [
            event(template, "GET", None, None),
            event(template, "POST", Some("application/json"), Some(&oversized)),
            event(template, "POST", Some("text/plain"), Some("{}")),
        ];
        for req in requests {
            all.push(if handler_is_request {
                answer_request(&h.deps, req).await
            } else {
                answer_verify(&h.deps, path, req).await
            });
        }
    }
    for (fault, number) in [
        (Fault { status: Some(500), ..Fault::default() }, "+14155550101"),
        (Fault { status: Some(429), ..Fault::default() }, "+14155550102"),
        (Fault { delay_ms: 2500, ..Fault::default() }, "+14155550103"),
    ] {
        h.sim.simulator.add_fault(Fault { count: 1, endpoint: "start".into(), ..fault });
        all.push(request(&h, number).await);
    }
    all.push(request(&h, "+447400123456").await); // the IP's 2nd counted send (faults released nothing counted? they count)
    all.push(request(&h, "+447400123457").await);

    all.push(verify(&h, &id, &wrong(&code)).await); // incorrect_code
    all.push(verify(&h, &id, "12").await); // invalid_request
    all.push(verify(&h, "0123456789abcdef0123456789abcdef", &code).await); // not_found
    for fault in [
        Fault { status: Some(500), ..Fault::default() },
        Fault { status: Some(429), ..Fault::default() },
        Fault { delay_ms: 2500, ..Fault::default() },
    ] {
        h.sim.simulator.add_fault(Fault { count: 1, endpoint: "check".into(), ..fault });
        all.push(verify(&h, &id, &code).await);
    }
    all.push(verify(&h, &id, &code).await); // verified
    all.push(verify(&h, &id, &code).await); // already_verified
    all
}

/// Wrong codes to the end, and a code past its time.
async fn attempts_and_expiry() -> Vec<Seen> {
    let mut all = Vec::new();
    let h = Harness::start().await;
    let id = request(&h, "+14155552671").await.body["requestId"].as_str().unwrap().to_owned();
    let code = h.last_code("+14155552671").unwrap();
    for _ in 0..3 {
        all.push(verify(&h, &id, &wrong(&code)).await); // …then too_many_attempts
    }
    let id = request(&h, "+14155552672").await.body["requestId"].as_str().unwrap().to_owned();
    h.clock.advance(time::Duration::seconds(300));
    all.push(verify(&h, &id, &code).await); // expired
    all
}

/// A range's budget and the day's spend.
async fn budgets() -> Vec<Seen> {
    let mut all = Vec::new();
    // A range may hold one code nobody entered; the day's budget is a cent (a US SMS is 0.79 cents).
    let h =
        // Vonage alone: the budget is set in its prices.
        Harness::with(
            &[
                ("OTP_RANGE_UNVERIFIED_FLOOR", "1"),
                ("OTP_DAILY_SPEND_LIMIT", "0.01"),
                ("PROVIDER_ORDER", "vonage"),
                ("OTP_CHANNELS", "sms"),
            ],
            SimConfig::default(),
        )
            .await;
    // The three requests fall in one UTC day (the day's spend starts again at midnight).
    let to_midnight = 86_400 - shared::clock::Clock::now(&h.clock).unix_timestamp().rem_euclid(86_400);
    if to_midnight < 120 {
        h.clock.advance(time::Duration::seconds(to_midnight + 60));
    }
    all.push(request(&h, "+14155552671").await);
    all.push(request(&h, "+14155552672").await); // destination_paused: the same range
    all.push(request(&h, "+14155562671").await); // sending_paused: another range, past the cent
    all
}

/// A test number's code (its answer unlabelled) and its verification (which says so).
async fn test_number() -> Vec<Seen> {
    let h = Harness::with(&[("TEST_NUMBERS", r#"{"+12015550123": "482916"}"#)], SimConfig::default()).await;
    let sent = request(&h, "+12015550123").await;
    assert!(sent.body.get("testNumber").is_none(), "no label on the code's answer: {}", sent.body);
    let id = sent.body["requestId"].as_str().unwrap().to_owned();
    let verified = verify(&h, &id, "482916").await;
    assert_eq!(verified.body["testNumber"], true, "{}", verified.body);
    vec![sent, verified]
}

/// A call, and calls switched off.
async fn calls() -> Vec<Seen> {
    let mut all = Vec::new();
    // A call: asked for after the resend gap, and refused where calls are off.
    let h = Harness::with(&[("OTP_RESEND_COOLDOWN_SECONDS", "0")], SimConfig::default()).await;
    let call = json!({"phoneNumber": "+14155552671", "channel": "voice"});
    all.push(answer_request(&h.deps, post(REQUEST_EVENT, &call)).await);
    let id = all.last().unwrap().body["requestId"].as_str().unwrap().to_owned();
    let spoken = h.last_code("+14155552671").unwrap();
    all.push(verify(&h, &id, &spoken).await);
    let h = Harness::with(&[("VOICE_CALLS", "off")], SimConfig::default()).await;
    all.push(answer_request(&h.deps, post(REQUEST_EVENT, &call)).await); // calls_unavailable
    all
}

/// The operator's switch and the bot check.
async fn the_switch_and_the_bot_check() -> Vec<Seen> {
    let mut all = Vec::new();
    // The operator's switch.
    let h = Harness::start().await;
    h.deps.service.store().inner.set_sending_stopped(true);
    all.push(request(&h, "+14155552671").await); // sending_stopped

    // The bot check on, with Cloudflare's always-passing test secret: no token, then the dummy one.
    let h =
        Harness::with(&[("TURNSTILE_SECRET_KEY", "1x0000000000000000000000000000000AA")], SimConfig::default()).await;
    all.push(request(&h, "+14155552671").await); // bot_check_failed
    let body = json!({"phoneNumber": "+14155552671", "turnstileToken": "XXXX.DUMMY.TOKEN.XXXX"});
    all.push(answer_request(&h.deps, post(REQUEST_EVENT, &body)).await);
    all
}

/// `req` sent to `path` of the service.
fn at(path: &str, mut req: Request) -> Request {
    *req.uri_mut() = format!("https://verify.example.com{path}").parse().unwrap();
    req
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(n, v)| format!("{n}={}", v.replace('+', "%2B"))).collect::<Vec<_>>().join("&")
}

/// The settings of a provider with one public client.
fn provider_settings(key: &str) -> [(&'static str, String); 3] {
    let parties = r#"[{"clientId": "shop", "name": "Shop", "redirectUris": ["https://shop.example/cb"]}]"#;
    [
        ("TOKEN_ISSUER", "https://verify.example.com".to_owned()),
        ("TOKEN_SIGNING_KEYS", key.to_owned()),
        ("RELYING_PARTIES", parties.to_owned()),
    ]
}

/// RFC 7636 Appendix B's pair.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn authorization_query(client: &str, redirect: &str, method: &str) -> String {
    format!(
        "response_type=code&client_id={client}&redirect_uri={redirect}&scope=openid%20phone&state=s-1&nonce=n-1\
         &code_challenge={CHALLENGE}&code_challenge_method={method}"
    )
}

/// The OpenID Connect provider: discovery, a sign-in through to userinfo, and each refusal.
async fn sign_in() -> Vec<Seen> {
    let mut all = Vec::new();
    let key = shared::testing::signing_keys();
    let settings = provider_settings(&key);
    let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut with_test_number = settings.clone();
    with_test_number.push(("TEST_NUMBERS", r#"{"+12015550123": "482916"}"#));
    let h = Harness::with(&with_test_number, SimConfig::default()).await;
    let get = |path: &str| at(path, event(VERIFY_EVENT, "GET", None, None));
    let json_to = |path: &str, body: &Value| at(path, post(VERIFY_EVENT, body));
    let form_to = |path: &str, body: &str| {
        at(path, event(VERIFY_EVENT, "POST", Some("application/x-www-form-urlencoded"), Some(body)))
    };

    all.push(answer_verify(&h.deps, DISCOVERY, get(DISCOVERY)).await);
    all.push(answer_verify(&h.deps, DISCOVERY, at(DISCOVERY, event(VERIFY_EVENT, "POST", None, None))).await);
    let off = Harness::start().await;
    all.push(answer_verify(&off.deps, DISCOVERY, get(DISCOVERY)).await);
    let query = authorization_query("shop", "https://shop.example/cb", "S256");
    let authorize = |query: &str| get(&format!("{AUTHORIZE}?{query}"));
    let opened_flow = |seen: &Seen| -> String {
        assert_eq!(seen.status, 303);
        let location = seen.location.as_deref().unwrap();
        location.strip_prefix("/sign-in?flow=").unwrap_or_else(|| panic!("{location}")).to_owned()
    };

    // The authorization endpoint: by GET and by POST, and refused (to the page, to the client).
    for (client, redirect) in [("evil", "https://shop.example/cb"), ("shop", "https://evil.example/cb")] {
        all.push(answer_verify(&h.deps, AUTHORIZE, authorize(&authorization_query(client, redirect, "S256"))).await);
    }
    let plain = authorization_query("shop", "https://shop.example/cb", "plain");
    all.push(answer_verify(&h.deps, AUTHORIZE, authorize(&plain)).await);
    all.push(answer_verify(&h.deps, AUTHORIZE, form_to(AUTHORIZE, &query)).await);
    all.push(answer_verify(&off.deps, AUTHORIZE, authorize(&query)).await);

    // The page's read of a flow: read, and refused.
    let opened = answer_verify(&h.deps, AUTHORIZE, authorize(&query)).await;
    let flow = opened_flow(&opened);
    all.push(opened);
    all.push(answer_verify(&h.deps, FLOW, json_to(FLOW, &json!({"flowId": flow}))).await);
    all.push(answer_verify(&h.deps, FLOW, json_to(FLOW, &json!({}))).await); // invalid_request
    all.push(answer_verify(&h.deps, FLOW, json_to(FLOW, &json!({"flowId": "0".repeat(32)}))).await); // 410
    all.push(answer_verify(&off.deps, FLOW, json_to(FLOW, &json!({"flowId": flow}))).await); // 410: off
    let oversized = json!({"flowId": "x".repeat(5000)}).to_string();
    for req in [
        event(VERIFY_EVENT, "GET", None, None),
        event(VERIFY_EVENT, "POST", Some("application/json"), Some(&oversized)),
        event(VERIFY_EVENT, "POST", Some("text/plain"), Some("{}")),
    ] {
        all.push(answer_verify(&h.deps, FLOW, at(FLOW, req)).await);
    }

    // A test number, in a sign-in whose client does not accept them: 400 test_number_refused.
    let test_in_flow = json!({"phoneNumber": "+12015550123", "flowId": flow});
    all.push(answer_request(&h.deps, post(REQUEST_EVENT, &test_in_flow)).await);
    let in_flow = json!({"phoneNumber": "+14155552671", "flowId": flow});
    let sent = answer_request(&h.deps, post(REQUEST_EVENT, &in_flow)).await;
    let id = sent.body["requestId"].as_str().unwrap().to_owned();
    let code = h.last_code("+14155552671").unwrap();
    let verified =
        answer_verify(&h.deps, VERIFY, post(VERIFY_EVENT, &json!({"requestId": id, "code": code, "flowId": flow})))
            .await;
    let back = verified.body["redirectTo"].as_str().unwrap().to_owned();
    all.push(verified);
    let auth_code = back.split("code=").nth(1).unwrap().split('&').next().unwrap().to_owned();
    let redeem = form(&[
        ("grant_type", "authorization_code"),
        ("code", &auth_code),
        ("redirect_uri", "https%3A%2F%2Fshop.example%2Fcb"),
        ("client_id", "shop"),
        ("code_verifier", VERIFIER),
    ]);
    let tokens = answer_verify(&h.deps, TOKEN, form_to(TOKEN, &redeem)).await;
    let access = tokens.body["access_token"].as_str().unwrap().to_owned();
    all.push(tokens);
    all.push(answer_verify(&h.deps, TOKEN, form_to(TOKEN, &redeem)).await); // 400 invalid_grant: used
    let unknown = redeem.replace("client_id=shop", "client_id=nobody");
    all.push(answer_verify(&h.deps, TOKEN, form_to(TOKEN, &unknown)).await); // 401 invalid_client
    let mut with_token = get(USERINFO);
    with_token.headers_mut().insert("authorization", format!("Bearer {access}").parse().unwrap());
    all.push(answer_verify(&h.deps, USERINFO, with_token).await);
    all.push(answer_verify(&h.deps, USERINFO, get(USERINFO)).await); // 401

    // A test number's code asked for in that flow before its client stopped accepting them
    // (straight from the service, as request-otp now refuses it): it ends no sign-in, 400
    // test_number_refused.
    let open = opened_flow(&answer_verify(&h.deps, AUTHORIZE, authorize(&query)).await);
    let allowed = shared::domain::phone::CountryAllowList::default();
    let test_number = shared::domain::phone::PhoneNumber::parse("+12015550123", &allowed).unwrap();
    let in_open = shared::sign_in::domain::authorization::FlowId::parse(&open);
    let before = h.deps.service.request_code_within(test_number, "203.0.113.9", Default::default(), in_open);
    let before = before.await.unwrap();
    let body = json!({"requestId": before.request_id.as_str(), "code": "482916", "flowId": open});
    all.push(answer_verify(&h.deps, VERIFY, post(VERIFY_EVENT, &body)).await);

    // Logout, by GET and by POST.
    all.push(answer_verify(&h.deps, LOGOUT, get(LOGOUT)).await);
    all.push(answer_verify(&h.deps, LOGOUT, form_to(LOGOUT, "client_id=shop")).await);

    // A flow that is over: 410 sign_in_expired.
    let over = opened_flow(&answer_verify(&h.deps, AUTHORIZE, authorize(&query)).await);
    h.clock.advance(shared::sign_in::service::FLOW_LIFETIME);
    let body = json!({"requestId": id, "code": code, "flowId": over});
    all.push(answer_verify(&h.deps, VERIFY, post(VERIFY_EVENT, &body)).await);

    // Around CloudFront, and a failing store.
    let secret = "0123456789abcdef".repeat(4);
    let mut behind: Vec<(&str, &str)> = settings.clone();
    behind.push(("ORIGIN_VERIFY_SECRET", &secret));
    let h = Harness::with(&behind, SimConfig::default()).await;
    all.push(answer_verify(&h.deps, AUTHORIZE, authorize(&query)).await);
    all.push(answer_verify(&h.deps, FLOW, json_to(FLOW, &json!({"flowId": flow}))).await);
    all.push(answer_verify(&h.deps, LOGOUT, get(LOGOUT)).await);
    all.push(answer_verify(&h.deps, TOKEN, form_to(TOKEN, &redeem)).await);
    for throttled in [false, true] {
        let sim = vonage_sim::Simulator::spawn(SimConfig::default()).await.unwrap();
        let config = config(&sim.base_url(), &[]);
        let provider = VonageClient::new(config.vonage.clone()).unwrap();
        let owned: std::collections::HashMap<String, String> =
            settings.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let tokens =
            shared::runtime::config::TokenConfig::from_settings(&shared::runtime::config::Settings::new(move |name| {
                owned.get(name).cloned()
            }))
            .unwrap();
        let deps =
            HandlerDeps::new(config, provider, FailingStore { throttled }, ManualClock::new()).with_tokens(tokens);
        all.push(answer_verify(&deps, FLOW, json_to(FLOW, &json!({"flowId": flow}))).await);
        all.push(answer_verify(&deps, TOKEN, form_to(TOKEN, &redeem)).await);
    }
    all
}

/// The key set, with sign-in on and off.
async fn key_set() -> Vec<Seen> {
    let mut all = Vec::new();
    let key = shared::testing::signing_keys();
    let settings = [("TOKEN_ISSUER", "https://verify.example.com"), ("TOKEN_SIGNING_KEYS", key.as_str())];
    let h = Harness::with(&settings, SimConfig::default()).await;
    let jwks = |method| {
        let mut request = event(VERIFY_EVENT, method, None, None);
        *request.uri_mut() = format!("https://verify.example.com{JWKS}").parse().unwrap();
        request
    };
    all.push(answer_verify(&h.deps, JWKS, jwks("GET")).await);
    all.push(answer_verify(&h.deps, JWKS, jwks("POST")).await);
    let off = Harness::start().await;
    all.push(answer_verify(&off.deps, JWKS, jwks("GET")).await);
    all
}

/// A call that did not come through CloudFront.
async fn around_cloudfront() -> Vec<Seen> {
    let mut all = Vec::new();
    let secret = "0123456789abcdef".repeat(4);
    let h = Harness::with(&[("ORIGIN_VERIFY_SECRET", &secret)], SimConfig::default()).await;
    all.push(request(&h, "+14155552671").await); // forbidden: no CloudFront secret
    all.push(verify(&h, "0123456789abcdef0123456789abcdef", "123456").await);
    all
}

/// A store that fails, throttled or not.
async fn a_failing_store() -> Vec<Seen> {
    let mut all = Vec::new();
    for throttled in [false, true] {
        let sim = vonage_sim::Simulator::spawn(SimConfig::default()).await.unwrap();
        let config = config(&sim.base_url(), &[]);
        let provider = VonageClient::new(config.vonage.clone()).unwrap();
        let deps = HandlerDeps::new(config, provider, FailingStore { throttled }, ManualClock::new());
        let body = json!({"phoneNumber": "+14155552671"});
        all.push(answer_request(&deps, post(REQUEST_EVENT, &body)).await);
        let body = json!({"requestId": "0123456789abcdef0123456789abcdef", "code": "123456"});
        all.push(answer_verify(&deps, VERIFY, post(VERIFY_EVENT, &body)).await);
    }
    all
}

#[tokio::test]
async fn every_answer_matches_its_documented_schema_and_every_documented_answer_happens() {
    let spec = spec();
    let answers = every_situation().await;
    let mut observed = BTreeSet::new();
    for answer in &answers {
        let response = response_spec(&spec, answer.path, answer.status)
            .unwrap_or_else(|| panic!("{} {} is not documented: {}", answer.path, answer.status, answer.body));
        let schema = &response["content"]["application/json"]["schema"];
        let mut errors = Vec::new();
        validate(&spec, schema, &answer.body, "body", &mut errors);
        assert!(errors.is_empty(), "{} {}: {}\n{errors:#?}", answer.path, answer.status, answer.body);
        let documents_retry_after = !resolve(&spec, &response["headers"]["Retry-After"]).is_null();
        assert_eq!(
            documents_retry_after,
            answer.retry_after.is_some(),
            "{} {}: Retry-After",
            answer.path,
            answer.status
        );
        if let Some(header) = &answer.retry_after {
            assert_eq!(Some(header.as_str()), answer.body["retryAfter"].to_string().as_str().into(), "header = body");
        }
        observed.insert((
            answer.path.to_owned(),
            answer.status,
            answer.body["code"].as_str().unwrap_or("ok").to_owned(),
        ));
    }
    let documented = documented(&spec);
    assert_eq!(documented.len(), 78, "{documented:#?}");
    assert_eq!(observed, documented, "documented and observed (path, status, code) differ");
}

#[test]
fn the_error_code_list_is_exactly_the_services() {
    let spec = spec();
    let documented: BTreeSet<String> = spec["components"]["schemas"]["Error"]["properties"]["code"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    let produced: BTreeSet<String> = ApiError::every_kind().iter().map(|e| e.code().to_owned()).collect();
    assert_eq!(documented, produced);
    for kind in ApiError::every_kind() {
        let mut errors = Vec::new();
        validate(
            &spec,
            &json!({"$ref": "#/components/schemas/Error"}),
            &Value::Object(kind.body()),
            "body",
            &mut errors,
        );
        assert!(errors.is_empty(), "{kind:?}: {errors:?}");
    }
}

/// The API description has every route the code declares (`shared::runtime::routes`), method
/// for method, and no other.
#[test]
fn the_described_routes_are_the_declared_ones() {
    let spec = spec();
    let described: BTreeSet<(String, String)> = spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| ops.as_object().unwrap().keys().map(move |m| (path.clone(), m.clone())))
        .collect();
    let declared: BTreeSet<(String, String)> = shared::runtime::routes::ROUTES
        .iter()
        .flat_map(|r| r.methods.iter().map(move |m| (r.path.to_owned(), m.to_lowercase())))
        .collect();
    assert_eq!(described, declared);
    for path in [REQUEST, VERIFY, JWKS, DISCOVERY, AUTHORIZE, FLOW, TOKEN, USERINFO, LOGOUT] {
        assert!(shared::runtime::routes::at(path).is_some(), "{path}");
    }
}

/// A path's one operation.
fn operation<'a>(spec: &'a Value, path: &str) -> &'a Value {
    spec["paths"][path].as_object().and_then(|ops| ops.values().next()).unwrap_or(&Value::Null)
}

fn response_spec<'a>(spec: &'a Value, path: &str, status: u16) -> Option<&'a Value> {
    let response = &operation(spec, path)["responses"][status.to_string()];
    (!response.is_null()).then(|| resolve(spec, response))
}

/// Every (path, status, code) the spec documents; `ok` for successes.
fn documented(spec: &Value) -> BTreeSet<(String, u16, String)> {
    let mut all = BTreeSet::new();
    for path in spec["paths"].as_object().unwrap().keys() {
        for (status, _) in operation(spec, path)["responses"].as_object().unwrap() {
            let status: u16 = status.parse().unwrap();
            let schema = &response_spec(spec, path, status).unwrap()["content"]["application/json"]["schema"];
            let codes = codes_of(spec, schema);
            if codes.is_empty() {
                all.insert((path.clone(), status, "ok".to_owned()));
            }
            for code in codes {
                all.insert((path.clone(), status, code));
            }
        }
    }
    all
}

/// The narrowest `code` values a response schema allows: its own, or else those of the last
/// `allOf` part that names any (parts narrow the shared `Error` schema, which lists them all).
fn codes_of(spec: &Value, schema: &Value) -> Vec<String> {
    let schema = resolve(spec, schema);
    let code = &schema["properties"]["code"];
    if let Some(c) = code["const"].as_str() {
        return vec![c.to_owned()];
    }
    if let Some(options) = code["enum"].as_array() {
        return options.iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    }
    let parts = schema["allOf"].as_array().cloned().unwrap_or_default();
    parts.iter().rev().map(|part| codes_of(spec, part)).find(|codes| !codes.is_empty()).unwrap_or_default()
}

fn resolve<'a>(spec: &'a Value, node: &'a Value) -> &'a Value {
    match node["$ref"].as_str() {
        Some(reference) => {
            let pointer = reference.strip_prefix('#').expect("local references only");
            resolve(spec, spec.pointer(pointer).unwrap_or_else(|| panic!("{reference} exists")))
        }
        None => node,
    }
}

/// The subset of JSON Schema the spec uses: `$ref`, `allOf`, `type`, `required`, `properties`,
/// `additionalProperties: false`, `enum`, `const`, `minimum`, `maximum`, `format: date-time`,
/// `items`, `minItems`.
fn validate(spec: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let schema = resolve(spec, schema);
    for part in schema["allOf"].as_array().into_iter().flatten() {
        validate(spec, part, value, at, errors);
    }
    if let Some(expected) = schema.get("const").filter(|c| *c != value) {
        errors.push(format!("{at}: {value} is not {expected}"));
    }
    if let Some(options) = schema["enum"].as_array().filter(|o| !o.contains(value)) {
        errors.push(format!("{at}: {value} is not one of {options:?}"));
    }
    let type_ok = match schema["type"].as_str() {
        None => true,
        Some("object") => value.is_object(),
        Some("string") => value.is_string(),
        Some("integer") => value.is_u64() || value.is_i64(),
        Some("boolean") => value.is_boolean(),
        Some("array") => value.is_array(),
        Some(other) => panic!("schema type {other} is not handled here"),
    };
    if !type_ok {
        errors.push(format!("{at}: {value} is not of type {}", schema["type"]));
    }
    if let Some(items) = value.as_array() {
        if let Some(min) = schema["minItems"].as_u64().filter(|m| (items.len() as u64) < *m) {
            errors.push(format!("{at}: fewer than {min} items"));
        }
        for (i, item) in items.iter().enumerate() {
            if !schema["items"].is_null() {
                validate(spec, &schema["items"], item, &format!("{at}[{i}]"), errors);
            }
        }
    }
    if let Some(min) = schema["minimum"].as_i64().filter(|m| value.as_i64().is_some_and(|v| v < *m)) {
        errors.push(format!("{at}: {value} is below {min}"));
    }
    if let Some(max) = schema["maximum"].as_i64().filter(|m| value.as_i64().is_some_and(|v| v > *m)) {
        errors.push(format!("{at}: {value} is above {max}"));
    }
    if schema["format"] == "date-time" {
        let parsed =
            value.as_str().map(|s| time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339));
        if !matches!(parsed, Some(Ok(_))) {
            errors.push(format!("{at}: {value} is not an RFC 3339 date-time"));
        }
    }
    let Some(object) = value.as_object() else { return };
    for name in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        if !object.contains_key(name) {
            errors.push(format!("{at}: `{name}` is missing"));
        }
    }
    let properties = schema["properties"].as_object();
    for (name, sub) in properties.into_iter().flatten() {
        if let Some(v) = object.get(name) {
            validate(spec, sub, v, &format!("{at}.{name}"), errors);
        }
    }
    if schema["additionalProperties"] == false {
        for name in object.keys().filter(|k| !properties.is_some_and(|p| p.contains_key(*k))) {
            errors.push(format!("{at}: `{name}` is not documented"));
        }
    }
}
