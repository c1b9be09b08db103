//! request-otp from API Gateway events, over the simulator and the in-memory store.

use serde_json::{Value, json};
use shared::clock::Clock;
use shared::testing::{BadRequest, Harness, event, json_body};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use vonage_sim::{Fault, SimConfig};

const EVENT: &str = include_str!("../../../../events/request-otp.json");

async fn call(h: &Harness, body: &Value) -> (u16, Value, lambda_http::Response<lambda_http::Body>) {
    let response =
        request_otp::handle(&h.deps, event(EVENT, "POST", Some("application/json"), Some(&body.to_string()))).await;
    (response.status().as_u16(), json_body(&response), response)
}

fn instant(v: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(v.as_str().unwrap(), &Rfc3339).unwrap()
}

#[tokio::test]
async fn the_sample_event_sends_a_code() {
    let h = Harness::start().await;
    let response = request_otp::handle(&h.deps, lambda_http::request::from_str(EVENT).unwrap()).await;
    let body = json_body(&response);
    assert_eq!(response.status(), 200, "{body}");
    assert_eq!(body["phoneNumber"], "+14155552671");
    assert_eq!(body["codeLength"], 6);
    assert_eq!(body["requestId"].as_str().unwrap().len(), 32);
    let now = h.clock.now();
    assert_eq!(instant(&body["expiresAt"]), now + time::Duration::seconds(300));
    assert_eq!(instant(&body["resendAvailableAt"]), now + time::Duration::seconds(60));
    assert!(body["expiresAt"].as_str().unwrap().ends_with('Z'), "RFC 3339 UTC");
    let headers = response.headers();
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["access-control-allow-origin"], "http://localhost:3000");
    let messages = h.sent();
    assert_eq!((messages.len(), messages[0].to.as_str()), (1, "+14155552671"));
    // Writes: one transaction (the number, the client, the range, the country, the spend) and one
    // put, after one read of them all; one provider call.
    assert_eq!((h.store_writes(), h.provider_calls()), (2, 1));
}

#[tokio::test]
async fn punctuation_is_accepted_and_the_number_normalized() {
    let h = Harness::start().await;
    let (status, body, _) = call(&h, &json!({"phoneNumber": " +44 (0)7400-123.456 "})).await;
    assert_eq!((status, body["phoneNumber"].as_str()), (200, Some("+447400123456")), "{body}");
}

#[tokio::test]
async fn a_second_request_waits_for_the_cooldown_then_sends_again() {
    // Vonage alone: beside it, a resend of a code nobody tried goes to the second provider.
    let h = Harness::with(&[("PROVIDER_ORDER", "vonage")], SimConfig::default()).await;
    let (_, first, _) = call(&h, &json!({"phoneNumber": "+14155552671"})).await;
    h.clock.advance(time::Duration::seconds(20));
    let (status, body, response) = call(&h, &json!({"phoneNumber": "+14155552671"})).await;
    assert_eq!(
        (status, body["code"].as_str(), body["retryAfter"].as_u64()),
        (429, Some("resend_too_soon"), Some(40)),
        "{body}"
    );
    assert_eq!(response.headers()["retry-after"], "40");

    // After the cooldown a new code goes out: Vonage's in-flight verification is cancelled and
    // replaced (its 30 s cancel rule has passed in the simulator's time too).
    h.clock.advance(time::Duration::seconds(40));
    h.sim.simulator.advance(std::time::Duration::from_secs(60));
    let (status, second, _) = call(&h, &json!({"phoneNumber": "+14155552671"})).await;
    assert_eq!(status, 200, "{second}");
    assert_ne!(second["requestId"], first["requestId"]);
    assert_eq!(h.sent().len(), 2);
}

#[tokio::test]
async fn hourly_caps_answer_rate_limited_and_use_the_gateway_source_ip() {
    let h = Harness::with(
        &[("OTP_RESEND_COOLDOWN_SECONDS", "0"), ("OTP_MAX_SENDS_PER_IP_PER_HOUR", "2")],
        SimConfig { cancel_min_age: std::time::Duration::ZERO, ..SimConfig::default() },
    )
    .await;
    for n in ["+14155552671", "+14155552672"] {
        assert_eq!(call(&h, &json!({"phoneNumber": n})).await.0, 200);
    }
    // A client-set X-Forwarded-For does not change who is counted: the event's sourceIp is.
    let (status, body, response) = call(&h, &json!({"phoneNumber": "+14155552673"})).await;
    assert_eq!((status, body["code"].as_str()), (429, Some("rate_limited")), "{body}");
    assert!(response.headers().contains_key("retry-after"));
    // The cap slides over the hour: room comes back in the next hour, once enough of this one
    // has slid out of the window (for a cap of 2, half of it).
    let retry_after = body["retryAfter"].as_u64().unwrap();
    assert!((1..=3600 + 1800).contains(&retry_after), "{retry_after}");

    let mut other_ip: Value = serde_json::from_str(EVENT).unwrap();
    other_ip["requestContext"]["http"]["sourceIp"] = "203.0.113.9".into();
    other_ip["body"] = json!({"phoneNumber": "+14155552673"}).to_string().into();
    let response = request_otp::handle(&h.deps, lambda_http::request::from_str(&other_ip.to_string()).unwrap()).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn behind_cloudfront_each_viewer_is_counted_and_a_call_around_cloudfront_sends_nothing() {
    let secret = "0123456789abcdef".repeat(4);
    let h = Harness::with(
        &[("OTP_MAX_SENDS_PER_IP_PER_HOUR", "1"), ("ORIGIN_VERIFY_SECRET", &secret)],
        SimConfig::default(),
    )
    .await;
    let via = |number: &str, viewer: &str, secret: Option<&str>| {
        let mut event: Value = serde_json::from_str(EVENT).unwrap();
        event["headers"]["cloudfront-viewer-address"] = format!("{viewer}:51234").into();
        if let Some(secret) = secret {
            event["headers"]["x-origin-verify"] = secret.into();
        }
        event["body"] = json!({"phoneNumber": number}).to_string().into();
        lambda_http::request::from_str(&event.to_string()).unwrap()
    };
    // Two people behind the same CloudFront server (one sourceIp): each has their own cap.
    for (number, viewer) in [("+14155552671", "203.0.113.1"), ("+14155552672", "203.0.113.2")] {
        let response = request_otp::handle(&h.deps, via(number, viewer, Some(&secret))).await;
        assert_eq!(response.status(), 200, "{}", json_body(&response));
    }
    let again = request_otp::handle(&h.deps, via("+14155552673", "203.0.113.1", Some(&secret))).await;
    assert_eq!(json_body(&again)["code"], "rate_limited");

    // Straight to the API Gateway URL, with a made-up viewer address: refused, nothing sent.
    for presented in [None, Some("wrong")] {
        let response = request_otp::handle(&h.deps, via("+14155552674", "203.0.113.3", presented)).await;
        let body = json_body(&response);
        assert_eq!((response.status().as_u16(), body["code"].as_str()), (403, Some("forbidden")), "{body}");
    }
    assert_eq!(h.sent().len(), 2);
}

#[tokio::test]
async fn provider_failures_become_clear_gateway_errors_and_leave_no_cooldown() {
    // Vonage's timeout 3 s, a slow answer 8 s: a loaded machine still tells an answer from none.
    // Vonage alone: beside it, its failures move the code to the second provider.
    let h = Harness::with(&[("VONAGE_TIMEOUT_MS", "3000"), ("PROVIDER_ORDER", "vonage")], SimConfig::default()).await;
    let cases = [
        (Fault { status: Some(500), ..Fault::default() }, 502, "provider_error"),
        (Fault { status: Some(401), ..Fault::default() }, 502, "provider_error"),
        (Fault { delay_ms: 8000, ..Fault::default() }, 504, "provider_timeout"),
        (Fault { status: Some(429), retry_after_seconds: Some(12), ..Fault::default() }, 503, "provider_unavailable"),
    ];
    for (fault, status, code) in cases {
        h.sim.simulator.add_fault(Fault { count: 1, endpoint: "start".into(), ..fault });
        let (got, body, response) = call(&h, &json!({"phoneNumber": "+14155552671"})).await;
        assert_eq!((got, body["code"].as_str()), (status, Some(code)), "{body}");
        assert!(!body.to_string().contains("Simulated"), "never the provider's own text: {body}");
        if code == "provider_unavailable" {
            assert_eq!(
                (response.headers()["retry-after"].to_str().unwrap(), body["retryAfter"].as_u64()),
                ("12", Some(12))
            );
        }
    }
    // None of the failures started a cooldown: the number can try again at once.
    assert_eq!(call(&h, &json!({"phoneNumber": "+14155552671"})).await.0, 200);
}

#[tokio::test]
async fn numbers_refused_by_kind_or_country_never_reach_vonage() {
    let h = Harness::with(&[("ALLOWED_COUNTRIES", "US,CA")], SimConfig::default()).await;
    let (status, body, _) = call(&h, &json!({"phoneNumber": "+447400123456"})).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("country_not_allowed")));
    assert_eq!(h.provider_calls(), 0);
}

#[tokio::test]
async fn cors_answers_preflights_for_allowed_origins_only() {
    let h = Harness::start().await;
    let mut preflight: Value = serde_json::from_str(EVENT).unwrap();
    preflight["requestContext"]["http"]["method"] = "OPTIONS".into();
    preflight["body"] = Value::Null;
    let response = request_otp::handle(&h.deps, lambda_http::request::from_str(&preflight.to_string()).unwrap()).await;
    assert_eq!(response.status(), 204);
    assert_eq!(response.headers()["access-control-allow-origin"], "http://localhost:3000");
    assert_eq!(response.headers()["access-control-allow-methods"], "POST, OPTIONS");

    preflight["headers"]["origin"] = "https://evil.example".into();
    let response = request_otp::handle(&h.deps, lambda_http::request::from_str(&preflight.to_string()).unwrap()).await;
    assert!(!response.headers().contains_key("access-control-allow-origin"));
    assert!(!response.headers().contains_key("access-control-allow-methods"));
    assert_eq!(h.provider_calls(), 0);
}

#[tokio::test]
async fn malformed_requests_get_a_json_4xx_and_change_nothing() {
    let h = Harness::start().await;
    let invalid = |name, body: Value| BadRequest::json(name, body.to_string(), 400, "invalid_request");
    let bad_number = |name, number: &str| {
        BadRequest::json(name, json!({"phoneNumber": number}).to_string(), 400, "invalid_phone_number")
    };
    let cases = vec![
        BadRequest::json("empty body", "", 400, "invalid_request"),
        BadRequest::json("not JSON", "phoneNumber=+14155552671", 400, "invalid_request"),
        BadRequest::json("truncated JSON", r#"{"phoneNumber": "+1415"#, 400, "invalid_request"),
        BadRequest::json("deeply nested", format!("{}{}", "[".repeat(500), "]".repeat(500)), 400, "invalid_request"),
        BadRequest::json("invalid UTF-8 escape", r#"{"phoneNumber": "\ud800"}"#, 400, "invalid_request"),
        invalid("array", json!(["+14155552671"])),
        invalid("null", Value::Null),
        invalid("bare string", json!("+14155552671")),
        invalid("number", json!(14155552671u64)),
        invalid("empty object", json!({})),
        invalid("wrong field name", json!({"phone": "+14155552671"})),
        invalid("null number", json!({"phoneNumber": null})),
        invalid("number as number", json!({"phoneNumber": 14155552671u64})),
        invalid("number as array", json!({"phoneNumber": ["+14155552671"]})),
        invalid("number as object", json!({"phoneNumber": {"e164": "+14155552671"}})),
        invalid("number as bool", json!({"phoneNumber": true})),
        invalid("locale as number", json!({"phoneNumber": "+14155552671", "locale": 34})),
        invalid("locale as array", json!({"phoneNumber": "+14155552671", "locale": ["es-ES"]})),
        bad_number("empty number", ""),
        bad_number("no country code", "4155552671"),
        bad_number("letters", "+1 415 CALL NOW"),
        bad_number("huge string", &"9".repeat(3000)),
        bad_number("fullwidth digits", "+１４１５５５５２６７１"),
        bad_number("Arabic-Indic digits", "+١٤١٥٥٥٥٢٦٧١"),
        bad_number("NUL byte", "+14155552671\u{0}"),
        bad_number("too short", "+1415"),
        bad_number("unassigned country code", "+999123456789"),
        BadRequest::json("toll-free", json!({"phoneNumber": "+18005550199"}).to_string(), 400, "unsupported_number"),
        BadRequest::json("fixed line", json!({"phoneNumber": "+442079460958"}).to_string(), 400, "unsupported_number"),
        BadRequest::json(
            "over 4 KiB",
            json!({"phoneNumber": "+14155552671", "pad": "x".repeat(5000)}).to_string(),
            413,
            "payload_too_large",
        ),
        BadRequest {
            content_type: Some("text/plain"),
            ..BadRequest::json("text/plain", r#"{"phoneNumber":"+14155552671"}"#, 415, "unsupported_media_type")
        },
        BadRequest {
            content_type: None,
            ..BadRequest::json("no content type", r#"{"phoneNumber":"+14155552671"}"#, 415, "unsupported_media_type")
        },
        BadRequest {
            content_type: Some("application/x-www-form-urlencoded"),
            ..BadRequest::json("form", "phoneNumber=%2B14155552671", 415, "unsupported_media_type")
        },
        BadRequest { method: "GET", ..BadRequest::json("GET", "", 405, "method_not_allowed") },
        BadRequest {
            method: "PUT",
            ..BadRequest::json("PUT", r#"{"phoneNumber":"+14155552671"}"#, 405, "method_not_allowed")
        },
    ];
    assert!(cases.len() >= 30);
    h.assert_refused_without_effect(EVENT, &cases, |req| request_otp::handle(&h.deps, req)).await;
}

#[tokio::test]
async fn with_the_bot_check_on_no_sms_goes_out_without_a_token_siteverify_vouches_for() {
    let h = Harness::with(&[("TURNSTILE_SECRET_KEY", "sim-turnstile-secret")], SimConfig::default()).await;
    let request = |token: Option<&str>| match token {
        Some(token) => json!({"phoneNumber": "+14155552671", "turnstileToken": token}).to_string(),
        None => json!({"phoneNumber": "+14155552671"}).to_string(),
    };
    let used = h.sim.simulator.mint_turnstile_token("localhost", "request-otp");
    let (status, body, _) = call(&h, &serde_json::from_str(&request(Some(&used))).unwrap()).await;
    assert_eq!(status, 200, "{body}");
    let (writes, calls) = (h.store_writes(), h.provider_calls());
    let other_action = h.sim.simulator.mint_turnstile_token("localhost", "login");
    let refused = |name, body: String| BadRequest::json(name, body, 403, "bot_check_failed");
    let cases = vec![
        refused("no token", request(None)),
        refused("empty token", request(Some(""))),
        refused("forged token", request(Some("XXXX.DUMMY.TOKEN.XXXX"))),
        refused("a token used already", request(Some(&used))),
        refused("another action's token", request(Some(&other_action))),
        BadRequest::json(
            "token not a string",
            json!({"phoneNumber": "+14155552671", "turnstileToken": 7}).to_string(),
            400,
            "invalid_request",
        ),
    ];
    h.assert_refused_without_effect(EVENT, &cases, |req| request_otp::handle(&h.deps, req)).await;
    assert_eq!((h.store_writes(), h.provider_calls()), (writes, calls));

    // Siteverify out of reach: the check fails closed, worth a retry shortly.
    h.sim.simulator.add_fault(Fault { status: Some(503), count: 2, endpoint: "siteverify".into(), ..Fault::default() });
    let token = h.sim.simulator.mint_turnstile_token("localhost", "request-otp");
    let (status, body, response) = call(&h, &serde_json::from_str(&request(Some(&token))).unwrap()).await;
    assert_eq!((status, body["code"].as_str()), (503, Some("service_unavailable")), "{body}");
    assert_eq!(response.headers()["retry-after"], "5");
    assert_eq!((h.store_writes(), h.provider_calls()), (writes, calls), "nothing sent, nothing written");
}

#[tokio::test]
async fn json_with_a_charset_is_json() {
    let h = Harness::start().await;
    let req = event(EVENT, "POST", Some("application/json; charset=utf-8"), Some(r#"{"phoneNumber":"+14155552671"}"#));
    assert_eq!(request_otp::handle(&h.deps, req).await.status(), 200);
}

/// The code in the person's language: a supported tag reaches Vonage as its locale (v2 `locale`,
/// v1 `lg`); a language Vonage has no template for, or a malformed tag, is left to Vonage.
#[tokio::test]
async fn the_locale_asked_for_reaches_vonage_on_both_apis_and_anything_else_is_left_to_it() {
    for api in ["v2", "legacy"] {
        // Vonage alone: its wire is what is read here.
        let h = Harness::with(&[("VONAGE_API", api), ("PROVIDER_ORDER", "vonage")], SimConfig::default()).await;
        let cases = [
            ("+14155552671", Some("es-ES"), Some("es-es")),
            ("+14155552672", Some("pt"), Some("pt-br")),
            ("+14155552673", Some("tlh-QO"), None),
            ("+14155552674", Some("es-ES'; --"), None),
            ("+14155552675", None, None),
        ];
        for (number, asked, sent) in cases {
            let mut body = json!({"phoneNumber": number});
            if let Some(asked) = asked {
                body["locale"] = asked.into();
            }
            let (status, answer, _) = call(&h, &body).await;
            assert_eq!(status, 200, "{api} {asked:?}: {answer}");
            let message = h.sim.simulator.messages().into_iter().find(|m| m.to == number).expect("a code went out");
            assert_eq!(message.locale.as_deref(), sent, "{api} {asked:?}");
        }
    }
}

/// "Call me instead" on both APIs and both call settings: after the resend gap, a call with the
/// code, which then verifies. With automatic calls the SMS verification moves on to its call
/// (v2 next_workflow, v1 trigger_next_event: the same code, spoken); asked for alone, the SMS one
/// is cancelled and a call started with a new code.
#[tokio::test]
async fn a_call_asked_for_after_the_resend_gap_speaks_a_code_that_verifies_on_both_apis() {
    let number = "+14155552671";
    for api in ["v2", "legacy"] {
        for calls in ["on_request", "automatic"] {
            let sim = SimConfig { cancel_min_age: std::time::Duration::ZERO, ..SimConfig::default() };
            // Vonage alone: its own call, moved on or new, is what is tried here.
            let h =
                Harness::with(&[("VONAGE_API", api), ("VOICE_CALLS", calls), ("PROVIDER_ORDER", "vonage")], sim).await;
            let case = format!("{api}, {calls}");
            let (status, sms, _) = call(&h, &json!({"phoneNumber": number, "channel": "sms"})).await;
            assert_eq!(
                (status, sms["channel"].as_str(), sms["callAvailable"].as_bool()),
                (200, Some("sms"), Some(true))
            );
            let texted = h.sim.simulator.messages().pop().unwrap();
            assert_eq!(texted.channel, "sms", "{case}");

            h.clock.advance(time::Duration::seconds(60));
            let (status, answer, _) = call(&h, &json!({"phoneNumber": number, "channel": "voice"})).await;
            assert_eq!(status, 200, "{case}: {answer}");
            assert_eq!((answer["channel"].as_str(), answer["callAvailable"].as_bool()), (Some("voice"), Some(false)));
            let called = h.sim.simulator.messages().pop().unwrap();
            assert_eq!((called.channel.as_str(), called.to.as_str()), ("voice", number), "{case}");
            let moved_on = calls == "automatic";
            assert_eq!(called.request_id == texted.request_id, moved_on, "{case}: the same verification, moved on");
            assert_eq!(called.code == texted.code, moved_on, "{case}");
            let lifetime = if moved_on { 150 } else { 300 };
            assert_eq!(instant(&answer["expiresAt"]), h.clock.now() + time::Duration::seconds(lifetime), "{case}");

            let id = shared::domain::request_id::RequestId::parse(answer["requestId"].as_str().unwrap()).unwrap();
            let code = shared::domain::otp_code::OtpCode::parse(&called.code, 6).unwrap();
            let verified = h.deps.service.check_code(&id, &code).await.unwrap();
            assert_eq!(verified.channel, shared::domain::channel::Channel::Voice, "{case}");
        }
    }
}

/// A landline gets a call where the operator allows it, and is refused otherwise; a call where
/// calls are off, or a channel that is not one, is refused before anything is sent.
#[tokio::test]
async fn a_landline_is_called_where_allowed_and_calls_switched_off_send_nothing() {
    let landline = "+442079460958";
    for api in ["v2", "legacy"] {
        let h = Harness::with(&[("VONAGE_API", api), ("VOICE_FOR_LANDLINES", "true")], SimConfig::default()).await;
        let (status, answer, _) = call(&h, &json!({"phoneNumber": landline})).await;
        assert_eq!((status, answer["channel"].as_str()), (200, Some("voice")), "{api}: {answer}");
        let message = h.sent().pop().unwrap();
        assert_eq!((message.channel.as_str(), message.to.as_str()), ("voice", landline), "{api}");
    }
    let h = Harness::start().await;
    let (status, answer, _) = call(&h, &json!({"phoneNumber": landline})).await;
    assert_eq!((status, answer["code"].as_str()), (400, Some("unsupported_number")));

    let h = Harness::with(&[("VOICE_CALLS", "off")], SimConfig::default()).await;
    let (status, answer, _) = call(&h, &json!({"phoneNumber": "+14155552671", "channel": "voice"})).await;
    assert_eq!((status, answer["code"].as_str()), (400, Some("calls_unavailable")), "{answer}");
    for channel in [json!("call"), json!(1), json!("SMS")] {
        let (status, answer, _) = call(&h, &json!({"phoneNumber": "+14155552671", "channel": channel})).await;
        assert_eq!((status, answer["code"].as_str()), (400, Some("invalid_request")), "{channel}: {answer}");
    }
    assert!(h.sent().is_empty(), "nothing was sent");
    assert_eq!(h.store_writes(), 0, "nothing was counted");
}

/// A test number's code: nothing sent, no provider call, no gap before the next; its answer has
/// a real number's fields and no label (verify-otp's answer and the ID token say it).
#[tokio::test]
async fn a_test_number_is_sent_nothing_and_its_answer_has_no_label() {
    let h = Harness::with(&[("TEST_NUMBERS", r#"{"+12015550123": "482916"}"#)], SimConfig::default()).await;
    let mut answers = Vec::new();
    for _ in 0..3 {
        let (status, body, _) = call(&h, &json!({"phoneNumber": "+1 201 555 0123"})).await;
        assert_eq!(status, 200, "again and again, no gap: {body}");
        assert_eq!(instant(&body["resendAvailableAt"]), h.clock.now());
        answers.push(body);
    }
    assert_eq!(h.provider_calls(), 0, "no provider call for a test number");
    let (status, real, _) = call(&h, &json!({"phoneNumber": "+14155552671"})).await;
    assert_eq!(status, 200, "{real}");
    assert_eq!(h.provider_calls(), 1);
    for field in ["expiresAt", "codeLength", "channel", "callAvailable"] {
        assert_eq!(answers[0][field], real[field], "{field}");
    }
    let fields = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(fields(&answers[0]), fields(&real));
}

/// In a sign-in, a test number is refused unless the application's registration accepts them
/// (`allowTestNumbers`): 400 `test_number_refused`, nothing sent, counted or stored; the same
/// number in a sign-in of an application that accepts them gets its code.
#[tokio::test]
async fn a_test_number_in_a_sign_in_needs_a_client_that_accepts_them() {
    let key = shared::testing::signing_keys();
    let clients = r#"[{"clientId": "shop", "name": "Shop", "redirectUris": ["https://shop.example/cb"]},
        {"clientId": "qa", "name": "QA", "redirectUris": ["https://qa.example/cb"], "allowTestNumbers": true}]"#;
    let settings = [
        ("TOKEN_ISSUER", "https://verify.example.com"),
        ("TOKEN_SIGNING_KEYS", key.as_str()),
        ("RELYING_PARTIES", clients),
        ("TEST_NUMBERS", r#"{"+12015550123": "482916"}"#),
    ];
    let h = Harness::with(&settings, SimConfig::default()).await;
    let open = |client: &str, redirect: &str| {
        let params: Vec<(String, String)> = [
            ("response_type", "code"),
            ("client_id", client),
            ("redirect_uri", redirect),
            ("scope", "openid phone"),
            ("state", "s-1"),
            ("nonce", "n-1"),
            ("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
            ("code_challenge_method", "S256"),
        ]
        .into_iter()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
        let h = &h;
        async move {
            match h.deps.sign_in().unwrap().authorize(&params, "198.51.100.7", None).await.unwrap() {
                shared::sign_in::service::Authorized::Flow(flow) => flow.id,
                other => panic!("{other:?}"),
            }
        }
    };
    let (shop, qa) = (open("shop", "https://shop.example/cb").await, open("qa", "https://qa.example/cb").await);
    let writes = h.store_writes();
    let (status, body, _) = call(&h, &json!({"phoneNumber": "+12015550123", "flowId": shop.as_str()})).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("test_number_refused")), "{body}");
    assert_eq!(h.store_writes(), writes, "nothing counted or stored");
    let (status, body, _) = call(&h, &json!({"phoneNumber": "+12015550123", "flowId": qa.as_str()})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(h.provider_calls(), 0, "nothing sent to a test number");
}
