//! verify-otp from API Gateway events, over the simulator and the in-memory store.

use serde_json::{Value, json};
use shared::clock::Clock;
use shared::domain::phone::{CountryAllowList, PhoneNumber};
use shared::testing::{BadRequest, Harness, event, json_body};
use vonage_sim::Fault;

const EVENT: &str = include_str!("../../../../events/verify-otp.json");

/// Starts a verification for +14155552671 and returns its request id and the code sent.
async fn started(h: &Harness) -> (String, String) {
    let phone = PhoneNumber::parse("+14155552671", &CountryAllowList::default()).unwrap();
    let sent = h.deps.service.request_code(phone, "198.51.100.7").await.unwrap();
    (sent.request_id.as_str().to_owned(), h.last_code("+14155552671").unwrap())
}

async fn verify(h: &Harness, request_id: &str, code: &str) -> (u16, Value) {
    let body = json!({"requestId": request_id, "code": code}).to_string();
    let response = verify_otp::handle(&h.deps, event(EVENT, "POST", Some("application/json"), Some(&body))).await;
    (response.status().as_u16(), json_body(&response))
}

fn wrong(code: &str) -> String {
    format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000)
}

#[tokio::test]
async fn the_right_code_verifies_the_number_once() {
    let h = Harness::start().await;
    let (id, code) = started(&h).await;
    let (writes, calls) = (h.store_writes(), h.provider_calls());
    let (status, body) = verify(&h, &id, &code).await;
    assert_eq!(status, 200, "{body}");
    // Round trips: take an attempt, mark verified; one Vonage check, or none for a code the
    // service owns (it is judged here).
    let checks = if h.first_provider() == "aws" { 0 } else { 1 };
    assert_eq!((h.store_writes() - writes, h.provider_calls() - calls), (2, checks));
    assert_eq!(body["verified"], true);
    assert_eq!(body["phoneNumber"], "+14155552671");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    let verified_at = time::OffsetDateTime::parse(
        body["verifiedAt"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    );
    assert_eq!(verified_at.unwrap(), h.clock.now());

    let (status, body) = verify(&h, &id, &code).await;
    assert_eq!(
        (status, body["code"].as_str(), body["verified"].as_bool()),
        (409, Some("already_verified"), Some(false))
    );
}

#[tokio::test]
async fn wrong_codes_count_down_and_then_the_right_code_is_refused() {
    let h = Harness::start().await;
    let (id, code) = started(&h).await;
    let (status, body) = verify(&h, &id, &wrong(&code)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "incorrect_code");
    assert_eq!(body["verified"], false);
    assert_eq!(body["attemptsRemaining"], 2);
    assert_eq!(verify(&h, &id, &wrong(&code)).await.1["attemptsRemaining"], 1);
    let (status, body) = verify(&h, &id, &wrong(&code)).await;
    assert_eq!(
        (status, body["code"].as_str(), body["attemptsRemaining"].as_u64()),
        (429, Some("too_many_attempts"), Some(0))
    );
    let (status, body) = verify(&h, &id, &code).await;
    assert_eq!((status, body["code"].as_str()), (429, Some("too_many_attempts")), "{body}");
}

#[tokio::test]
async fn unknown_and_expired_requests_are_told_apart() {
    let h = Harness::start().await;
    let (status, body) = verify(&h, "0123456789abcdef0123456789abcdef", "123456").await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
    let (id, code) = started(&h).await;
    h.clock.advance(time::Duration::seconds(300));
    let (status, body) = verify(&h, &id, &code).await;
    assert_eq!((status, body["code"].as_str()), (410, Some("expired")), "{body}");
}

#[tokio::test]
async fn a_provider_failure_costs_no_attempt() {
    // Vonage alone: a code the service owns is judged here, by no provider.
    let h = Harness::with(&[("PROVIDER_ORDER", "vonage")], vonage_sim::SimConfig::default()).await;
    let (id, code) = started(&h).await;
    h.sim.simulator.add_fault(Fault { status: Some(503), count: 1, endpoint: "check".into(), ..Fault::default() });
    let (status, body) = verify(&h, &id, &code).await;
    assert_eq!((status, body["code"].as_str()), (502, Some("provider_error")), "{body}");
    let (status, body) = verify(&h, &id, &wrong(&code)).await;
    assert_eq!((status, body["attemptsRemaining"].as_u64()), (400, Some(2)), "the failed check was given back: {body}");
    assert_eq!(verify(&h, &id, &code).await.0, 200);
}

#[tokio::test]
async fn the_sample_event_is_a_well_formed_check() {
    let h = Harness::start().await;
    let response = verify_otp::handle(&h.deps, lambda_http::request::from_str(EVENT).unwrap()).await;
    let body = json_body(&response);
    // Its request id was never issued by this store.
    assert_eq!((response.status().as_u16(), body["code"].as_str()), (404, Some("not_found")), "{body}");
}

#[tokio::test]
async fn malformed_requests_get_a_json_4xx_and_change_nothing() {
    let h = Harness::start().await;
    let (id, code) = started(&h).await;
    let invalid = |name, body: Value| BadRequest::json(name, body.to_string(), 400, "invalid_request");
    let cases = vec![
        BadRequest::json("empty body", "", 400, "invalid_request"),
        BadRequest::json("not JSON", "requestId=x&code=1", 400, "invalid_request"),
        invalid("array", json!([id, code])),
        invalid("empty object", json!({})),
        invalid("missing code", json!({"requestId": id})),
        invalid("missing requestId", json!({"code": code})),
        invalid("null requestId", json!({"requestId": null, "code": code})),
        invalid("requestId as number", json!({"requestId": 123, "code": code})),
        invalid("code as number", json!({"requestId": id, "code": code.parse::<u32>().unwrap()})),
        invalid("code as array", json!({"requestId": id, "code": [code]})),
        invalid("code too short", json!({"requestId": id, "code": &code[..5]})),
        invalid("code too long", json!({"requestId": id, "code": format!("{code}0")})),
        invalid("code with a letter", json!({"requestId": id, "code": format!("{}a", &code[..5])})),
        invalid("Arabic-Indic digits", json!({"requestId": id, "code": "١٢٣٤٥٦"})),
        invalid("fullwidth digits", json!({"requestId": id, "code": "１２３４５６"})),
        invalid("short requestId", json!({"requestId": "abc", "code": code})),
        invalid("path in requestId", json!({"requestId": "../../../../etc/passwd", "code": code})),
        invalid("huge requestId", json!({"requestId": "a".repeat(3000), "code": code})),
        BadRequest::json(
            "over 4 KiB",
            json!({"requestId": id, "code": code, "pad": "x".repeat(5000)}).to_string(),
            413,
            "payload_too_large",
        ),
        BadRequest {
            content_type: Some("text/plain"),
            ..BadRequest::json(
                "text/plain",
                json!({"requestId": id, "code": code}).to_string(),
                415,
                "unsupported_media_type",
            )
        },
        BadRequest { method: "GET", ..BadRequest::json("GET", "", 405, "method_not_allowed") },
    ];
    h.assert_refused_without_effect(EVENT, &cases, |req| verify_otp::handle(&h.deps, req)).await;
    // None of that cost an attempt: the first wrong code still leaves two.
    assert_eq!(verify(&h, &id, &wrong(&code)).await.1["attemptsRemaining"], 2);
}

// ---------------------------------------------------------------------------------------------
// With sign-in on: the key set, and no token outside a sign-in.

const PARTIES: &str =
    r#"[{"clientId": "shop", "name": "The Shop", "redirectUris": ["https://shop.example/callback"]}]"#;

async fn with_tokens() -> Harness {
    let key = shared::testing::signing_keys();
    let settings = [
        ("TOKEN_ISSUER", "https://verify.example.com"),
        ("TOKEN_SIGNING_KEYS", key.as_str()),
        ("RELYING_PARTIES", PARTIES),
    ];
    Harness::with(&settings, vonage_sim::SimConfig::default()).await
}

#[tokio::test]
async fn a_verification_outside_a_sign_in_answers_no_token() {
    let h = with_tokens().await;
    let (id, code) = started(&h).await;
    let (status, body) = verify(&h, &id, &code).await;
    assert_eq!(status, 200, "{body}");
    let mut fields: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["channel", "message", "phoneNumber", "verified", "verifiedAt"], "{body}");
}

#[tokio::test]
async fn the_retired_token_fields_are_refused_and_spend_no_attempt() {
    let h = with_tokens().await;
    let (id, code) = started(&h).await;
    let body = |extra: Value| {
        let mut body = json!({"requestId": id, "code": code});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body.to_string()
    };
    let client = json!({"clientId": "shop", "redirectUri": "https://shop.example/callback", "nonce": "n-42"});
    let cases = vec![
        BadRequest::json("a registered client", body(client), 400, "invalid_request"),
        BadRequest::json("a client alone", body(json!({"clientId": "shop"})), 400, "invalid_request"),
        BadRequest::json(
            "a redirect URI alone",
            body(json!({"redirectUri": "https://shop.example/callback"})),
            400,
            "invalid_request",
        ),
        BadRequest::json("a nonce alone", body(json!({"nonce": "n-1"})), 400, "invalid_request"),
    ];
    h.assert_refused_without_effect(EVENT, &cases, |req| verify_otp::handle(&h.deps, req)).await;
    let old_client = event(EVENT, "POST", Some("application/json"), Some(&body(json!({"clientId": "shop"}))));
    let message = json_body(&verify_otp::handle(&h.deps, old_client).await)["error"].as_str().unwrap().to_owned();
    assert!(message.starts_with("clientId is no longer accepted") && message.contains("OpenID Connect"), "{message}");
    let (status, body) = verify(&h, &id, &code).await;
    assert_eq!(status, 200, "every attempt is still there: {body}");
}

async fn get(deps: &shared::testing::TestDeps, method: &str) -> lambda_http::Response<lambda_http::Body> {
    let mut request = event(EVENT, method, None, None);
    *request.uri_mut() = "https://verify.example.com/.well-known/jwks.json".parse().unwrap();
    verify_otp::handle(deps, request).await
}

#[tokio::test]
async fn the_key_set_is_published_cacheable_and_only_when_tokens_are_on() {
    let h = with_tokens().await;
    let response = get(&h.deps, "GET").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "public, max-age=300");
    let keys = json_body(&response)["keys"].clone();
    assert_eq!(keys.as_array().unwrap().len(), 2);
    assert_eq!((keys[0]["kty"].as_str(), keys[0]["alg"].as_str()), (Some("RSA"), Some("RS256")));
    assert_eq!(
        (keys[1]["kty"].as_str(), keys[1]["crv"].as_str(), keys[1]["alg"].as_str()),
        (Some("EC"), Some("P-256"), Some("ES256"))
    );
    for key in keys.as_array().unwrap() {
        assert!(["d", "p", "q", "dp", "dq", "qi"].iter().all(|private| key.get(private).is_none()), "never private");
    }
    assert_eq!(get(&h.deps, "POST").await.status(), 405);

    let off = Harness::start().await;
    assert_eq!(get(&off.deps, "GET").await.status(), 404);
}
