//! The simulator's own behaviour on the wire, as Vonage documents it (see the wire notes in the
//! docs/develop/simulator.md).

use std::time::Duration;

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use vonage_sim::{Running, SimConfig, Simulator};

mod callbacks;
mod jwt;
mod outage;
mod whatsapp;

/// A client on rustls with ring, the one crypto provider the workspace builds.
fn client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::new()
}

async fn sim() -> (Running, Client) {
    (Simulator::spawn(SimConfig::default()).await.unwrap(), client())
}

fn start_body(to: &str) -> Value {
    json!({"brand": "ACME", "code_length": 6, "workflow": [{"channel": "sms", "to": to}]})
}

async fn v2_start(s: &Running, c: &Client, body: &Value) -> (StatusCode, Value) {
    let r = c
        .post(format!("{}/v2/verify", s.base_url()))
        .basic_auth("simkey", Some("simsecret"))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A start with an application JWT (`token`) instead of Basic credentials.
async fn v2_start_as(s: &Running, c: &Client, token: &str, body: &Value) -> (StatusCode, Value) {
    let r = c.post(format!("{}/v2/verify", s.base_url())).bearer_auth(token).json(body).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn v2_check(s: &Running, c: &Client, id: &str, code: &str) -> (StatusCode, Value) {
    let r = c
        .post(format!("{}/v2/verify/{id}", s.base_url()))
        .basic_auth("simkey", Some("simsecret"))
        .json(&json!({"code": code}))
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn v1(s: &Running, c: &Client, path: &str, form: &(impl serde::Serialize + ?Sized)) -> Value {
    let r = c.post(format!("{}{path}", s.base_url())).form(form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "v1 always answers 200");
    r.json().await.unwrap()
}

#[tokio::test]
async fn v2_start_answers_202_and_sends_a_message() {
    let (s, c) = sim().await;
    let (status, body) = v2_start(&s, &c, &start_body("14155552671")).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let id = body["request_id"].as_str().unwrap();
    assert_eq!(id.len(), 36, "a uuid");
    let messages: Value =
        c.get(format!("{}/_simulator/messages", s.base_url())).send().await.unwrap().json().await.unwrap();
    let m = &messages[0];
    assert_eq!(m["to"], "+14155552671");
    assert_eq!(m["requestId"], id);
    assert_eq!(m["channel"], "sms");
    assert_eq!(m["code"].as_str().unwrap().len(), 6);
    assert!(m["sentAt"].as_str().unwrap().ends_with('Z'));
    let delivered = m["deliveredAt"].as_str().unwrap();
    assert!(delivered.ends_with('Z') && delivered.len() == "2026-01-01T12:00:00.000Z".len(), "to the ms: {delivered}");
}

#[tokio::test]
async fn v2_checks_credentials() {
    let (s, c) = sim().await;
    let url = format!("{}/v2/verify", s.base_url());
    let body = start_body("14155552671");
    let wrong = c.post(&url).basic_auth("simkey", Some("nope")).json(&body).send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.headers()["content-type"], "application/problem+json");
    let problem: Value = wrong.json().await.unwrap();
    for field in ["type", "title", "detail", "instance"] {
        assert!(problem[field].is_string(), "{field} in {problem}");
    }
    assert_eq!(c.post(&url).json(&body).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    // Well-formed is not enough: this token's signature is three letters (see jwt.rs).
    let jwt = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJhcHBsaWNhdGlvbl9pZCI6ImFwcCIsImlhdCI6MSwianRpIjoieCJ9.c2ln";
    assert_eq!(c.post(&url).bearer_auth(jwt).json(&body).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn v2_refuses_invalid_parameters_with_422() {
    let (s, c) = sim().await;
    let cases = [
        (json!({"workflow": [{"channel": "sms", "to": "14155552671"}]}), "brand"),
        (json!({"brand": "A/B", "workflow": [{"channel": "sms", "to": "14155552671"}]}), "brand"),
        (json!({"brand": "ABCDEFGHIJKLMNOPQRS", "workflow": [{"channel": "sms", "to": "14155552671"}]}), "brand"),
        (json!({"brand": "ACME", "workflow": []}), "workflow"),
        (json!({"brand": "ACME", "workflow": [{"channel": "pigeon", "to": "14155552671"}]}), "workflow[0].channel"),
        (json!({"brand": "ACME", "workflow": [{"channel": "sms", "to": "+14155552671"}]}), "workflow[0].to"),
        (
            json!({"brand": "ACME", "code_length": 3, "workflow": [{"channel": "sms", "to": "14155552671"}]}),
            "code_length",
        ),
        (
            json!({"brand": "ACME", "channel_timeout": 901, "workflow": [{"channel": "sms", "to": "14155552671"}]}),
            "channel_timeout",
        ),
        (
            json!({"brand": "ACME", "client_ref": "not alnum!", "workflow": [{"channel": "sms", "to": "14155552671"}]}),
            "client_ref",
        ),
    ];
    for (body, name) in cases {
        let (status, problem) = v2_start(&s, &c, &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let names: Vec<&str> =
            problem["invalid_parameters"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
        assert!(names.contains(&name), "{body} -> {names:?}");
    }
    assert!(s.simulator.messages().is_empty(), "no message for a refused start");
}

#[tokio::test]
async fn v2_one_verification_per_number() {
    let (s, c) = sim().await;
    let (_, first) = v2_start(&s, &c, &start_body("14155552671")).await;
    let (status, conflict) = v2_start(&s, &c, &start_body("14155552671")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(conflict["request_id"], first["request_id"]);
    let (status, _) = v2_start(&s, &c, &start_body("14155552672")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "another number is free");
}

#[tokio::test]
async fn v2_wrong_codes_answer_400_400_410_then_404() {
    let (s, c) = sim().await;
    assert_eq!(four_wrong_codes(&s, &c).await, [400, 400, 410, 404]);
}

/// Starts a verification and checks four wrong codes in a row; returns the statuses.
async fn four_wrong_codes(s: &Running, c: &Client) -> Vec<u16> {
    let (_, body) = v2_start(s, c, &start_body("14155552671")).await;
    let id = body["request_id"].as_str().unwrap();
    let right: u32 = s.simulator.messages()[0].code.parse().unwrap();
    let mut statuses = Vec::new();
    for offset in 1..=4 {
        let wrong = format!("{:06}", (right + offset) % 1_000_000);
        statuses.push(v2_check(s, c, id, &wrong).await.0.as_u16());
    }
    statuses
}

#[tokio::test]
async fn the_final_wrong_code_status_is_configurable() {
    let s = Simulator::spawn(SimConfig { final_wrong_code_status: 400, ..SimConfig::default() }).await.unwrap();
    let c = client();
    assert_eq!(four_wrong_codes(&s, &c).await, [400, 400, 400, 404]);
}

#[tokio::test]
async fn v2_right_code_completes_once() {
    let (s, c) = sim().await;
    let (_, body) = v2_start(&s, &c, &start_body("14155552671")).await;
    let id = body["request_id"].as_str().unwrap();
    let code = s.simulator.messages()[0].code.clone();
    let (status, done) = v2_check(&s, &c, id, &code).await;
    assert_eq!((status, done["status"].as_str()), (StatusCode::OK, Some("completed")));
    assert_eq!(v2_check(&s, &c, id, &code).await.0, StatusCode::NOT_FOUND);
    assert_eq!(v2_check(&s, &c, "00000000-0000-0000-0000-000000000000", &code).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn v2_workflow_steps_advance_by_timeout_and_by_request_then_expire() {
    let (s, c) = sim().await;
    let body = json!({"brand": "ACME", "channel_timeout": 60, "workflow": [
        {"channel": "sms", "to": "14155552671"}, {"channel": "voice", "to": "14155552671"}, {"channel": "sms", "to": "14155552671"}]});
    let (_, started) = v2_start(&s, &c, &body).await;
    let id = started["request_id"].as_str().unwrap();
    let next = |c: &Client| {
        c.post(format!("{}/v2/verify/{id}/next_workflow", s.base_url())).basic_auth("simkey", Some("simsecret")).send()
    };
    assert_eq!(next(&c).await.unwrap().status(), StatusCode::OK);
    assert_eq!(s.simulator.messages()[1].channel, "voice");
    // Cancel is refused after the second event, whatever the age.
    s.simulator.advance(Duration::from_secs(31));
    let cancel = c
        .delete(format!("{}/v2/verify/{id}", s.base_url()))
        .basic_auth("simkey", Some("simsecret"))
        .send()
        .await
        .unwrap();
    assert_eq!(cancel.status(), StatusCode::CONFLICT);
    s.simulator.advance(Duration::from_secs(30));
    // The voice step's wait has passed: the third step (sms) went out by itself.
    assert_eq!(next(&c).await.unwrap().status(), StatusCode::CONFLICT, "no more events");
    assert_eq!(s.simulator.messages().len(), 3);
    s.simulator.advance(Duration::from_secs(180));
    let code = s.simulator.messages()[0].code.clone();
    assert_eq!(v2_check(&s, &c, id, &code).await.0, StatusCode::GONE, "expired");
}

/// A workflow's call goes out at its time whether or not anyone asks about the verification, as
/// Vonage's does: the list of messages shows it once its wait has passed.
#[tokio::test]
async fn a_workflows_call_goes_out_at_its_time_untouched() {
    let (s, c) = sim().await;
    let body = json!({"brand": "ACME", "channel_timeout": 150, "workflow": [
        {"channel": "sms", "to": "14155552671"}, {"channel": "voice", "to": "14155552671"}]});
    v2_start(&s, &c, &body).await;
    s.simulator.advance(Duration::from_secs(149));
    assert_eq!(s.simulator.messages().len(), 1);
    s.simulator.advance(Duration::from_secs(1));
    let messages = s.simulator.messages();
    assert_eq!(messages.iter().map(|m| m.channel.as_str()).collect::<Vec<_>>(), ["sms", "voice"]);
    assert_eq!(messages[0].code, messages[1].code, "one code, spoken on the call");
    assert_eq!(s.simulator.messages().len(), 2, "recorded once");
}

#[tokio::test]
async fn v1_speaks_form_json_and_query_with_string_statuses() {
    let (s, c) = sim().await;
    // Credentials in a form body.
    let started = v1(
        &s,
        &c,
        "/verify/json",
        &[
            ("api_key", "simkey"),
            ("api_secret", "simsecret"),
            ("number", "447400123456"),
            ("brand", "ACME"),
            ("code_length", "6"),
            ("workflow_id", "6"),
        ],
    )
    .await;
    assert_eq!(started["status"], "0");
    let id = started["request_id"].as_str().unwrap().to_owned();
    assert!(id.len() <= 32);
    // JSON body with a Basic header, as the official Node SDK sends it.
    let concurrent: Value = c
        .post(format!("{}/verify/json", s.base_url()))
        .basic_auth("simkey", Some("simsecret"))
        .json(&json!({"number": "447400123456", "brand": "ACME"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((concurrent["status"].as_str(), concurrent["request_id"].as_str()), (Some("10"), Some(id.as_str())));
    // Query parameters on a GET.
    let search: Value = c
        .get(format!("{}/verify/search/json?api_key=simkey&api_secret=simsecret&request_id={id}", s.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(search["status"], "IN PROGRESS");

    let auth = [("api_key", "simkey"), ("api_secret", "simsecret")];
    let check = |code: &str| {
        let mut form: Vec<(&str, String)> = auth.iter().map(|(k, v)| (*k, v.to_string())).collect();
        form.extend([("request_id", id.clone()), ("code", code.to_owned())]);
        form
    };
    assert_eq!(v1(&s, &c, "/verify/check/json", &check("000000")).await["status"], "16");
    let cancel = [auth.as_slice(), &[("request_id", id.as_str()), ("cmd", "cancel")]].concat();
    assert_eq!(v1(&s, &c, "/verify/control/json", &cancel).await["status"], "19", "not in the first 30 s");
    let code = s.simulator.messages()[0].code.clone();
    let code = code.as_str();
    let done = v1(&s, &c, "/verify/check/json", &check(code)).await;
    assert_eq!((done["status"].as_str(), done["currency"].as_str()), (Some("0"), Some("EUR")));
    assert_eq!(v1(&s, &c, "/verify/check/json", &check(code)).await["status"], "6");

    let bad = v1(
        &s,
        &c,
        "/verify/json",
        &[("api_key", "simkey"), ("api_secret", "wrong"), ("number", "447400123456"), ("brand", "ACME")],
    )
    .await;
    assert_eq!(bad["status"], "4");
    let missing = v1(&s, &c, "/verify/json", &[auth[0], auth[1], ("number", "447400123456")]).await;
    assert_eq!(missing["status"], "2");
    let invalid = v1(&s, &c, "/verify/json", &[auth[0], auth[1], ("number", "abc"), ("brand", "ACME")]).await;
    assert_eq!(invalid["status"], "3");
    let unknown = v1(&s, &c, "/verify/search/json", &[auth[0], auth[1], ("request_id", "nope")]).await;
    assert_eq!(unknown["status"], "101");
}

#[tokio::test]
async fn faults_are_validated_used_up_and_cleared() {
    let (s, c) = sim().await;
    let faults = format!("{}/_simulator/faults", s.base_url());
    let refused = c.post(&faults).json(&json!({"status": 500, "endpoint": "everything"})).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let added = c.post(&faults).json(&json!({"status": 503, "endpoint": "check", "count": 2})).send().await.unwrap();
    assert_eq!(added.status(), StatusCode::CREATED);
    let (status, body) = v2_start(&s, &c, &start_body("14155552671")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "a check fault leaves starts alone");
    let id = body["request_id"].as_str().unwrap();
    assert_eq!(v2_check(&s, &c, id, "000000").await.0, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(v2_check(&s, &c, id, "000000").await.0, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(v2_check(&s, &c, id, "000000").await.0, StatusCode::BAD_REQUEST, "used up after two");
    c.post(&faults).json(&json!({"status": 500, "count": 5})).send().await.unwrap();
    assert_eq!(c.delete(&faults).send().await.unwrap().status(), StatusCode::NO_CONTENT);
    let listed: Value = c.get(&faults).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed, json!([]));
    assert_eq!(v2_check(&s, &c, id, "000000").await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_locale_is_taken_checked_and_echoed_on_both_apis() {
    let (s, c) = sim().await;
    let mut body = start_body("14155552671");
    body["locale"] = "es-es".into();
    assert_eq!(v2_start(&s, &c, &body).await.0, StatusCode::ACCEPTED);
    body["locale"] = "Spanish".into();
    body["workflow"][0]["to"] = "14155552672".into();
    let (status, problem) = v2_start(&s, &c, &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["invalid_parameters"][0]["name"], "locale");

    let credentials = [("api_key", "simkey"), ("api_secret", "simsecret"), ("brand", "ACME")];
    let form = [&credentials[..], &[("number", "14155552673"), ("lg", "pt-br")]].concat();
    assert_eq!(v1(&s, &c, "/verify/json", &form).await["status"], "0");
    let form = [&credentials[..], &[("number", "14155552674"), ("lg", "PT")]].concat();
    assert_eq!(v1(&s, &c, "/verify/json", &form).await["status"], "3");

    let messages: Value =
        c.get(format!("{}/_simulator/messages", s.base_url())).send().await.unwrap().json().await.unwrap();
    let locales: Vec<(&str, Option<&str>)> =
        messages.as_array().unwrap().iter().map(|m| (m["to"].as_str().unwrap(), m["locale"].as_str())).collect();
    assert_eq!(locales, [("+14155552671", Some("es-es")), ("+14155552673", Some("pt-br"))]);
}
