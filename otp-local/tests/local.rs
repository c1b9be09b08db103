//! The local server on a free port: the page, both endpoints through the Lambda handlers, the
//! simulator's messages, and the one-line failures.

use std::collections::HashMap;

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

/// A client on rustls with ring, the one crypto provider the workspace builds.
fn client() -> Client {
    shared::tls::install_crypto_provider();
    Client::new()
}

fn page_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("otp-local-page-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>Verify</title>").unwrap();
    dir
}

async fn start(vars: &[(&str, &str)]) -> Result<String, otp_local::StartError> {
    let mut env: HashMap<String, String> =
        [("PORT", "0".to_owned()), ("FRONTEND_DIST", page_dir().display().to_string())]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
    env.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let running = otp_local::start(move |name| env.get(name).cloned(), false, std::future::pending()).await?;
    let url = format!("http://{}", running.addr);
    tokio::spawn(running.serve());
    Ok(url)
}

async fn json_of(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn a_whole_verification_through_the_local_server() {
    let url = start(&[]).await.unwrap();
    let client = client();
    let sent =
        json_of(client.post(format!("{url}/api/request-otp")).json(&json!({"phoneNumber": "+1 (415) 555-2671"}))).await;
    assert_eq!(sent["phoneNumber"], "+14155552671", "{sent}");

    json_of(client.post(format!("{url}/api/request-otp")).json(&json!({"phoneNumber": "+44 7400 123456"}))).await;
    let messages = json_of(client.get(format!("{url}/api/dev/messages"))).await;
    assert_eq!(messages.as_array().unwrap().len(), 2);
    // One number's messages: `?to=` with or without the `+`.
    for to in ["%2B14155552671", "14155552671"] {
        let only = json_of(client.get(format!("{url}/api/dev/messages?to={to}"))).await;
        assert_eq!(only.as_array().unwrap().len(), 1, "{to}: {only}");
        assert_eq!(only[0]["to"], "+14155552671");
    }
    let message = &messages[0];
    assert_eq!(message["to"], "+14155552671");
    assert_eq!(message["text"], format!("Your Verify Local code is {}", message["code"].as_str().unwrap()));

    let response = client
        .post(format!("{url}/api/verify-otp"))
        .json(&json!({"requestId": sent["requestId"], "code": message["code"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let verified: Value = response.json().await.unwrap();
    assert_eq!(verified["verified"], true);
}

#[tokio::test]
async fn errors_keep_their_status_headers_and_json() {
    let url = start(&[]).await.unwrap();
    let client = client();
    let send = || client.post(format!("{url}/api/request-otp")).json(&json!({"phoneNumber": "+14155552671"})).send();
    assert_eq!(send().await.unwrap().status(), StatusCode::OK);
    let again = send().await.unwrap();
    assert_eq!(again.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(again.headers()["retry-after"], "60");
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["code"], "resend_too_soon");

    let oversized = client
        .post(format!("{url}/api/request-otp"))
        .header("content-type", "application/json")
        .body(format!(r#"{{"phoneNumber":"{}"}}"#, "1".repeat(100_000)))
        .send()
        .await
        .unwrap();
    assert_eq!(oversized.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let get = client.get(format!("{url}/api/verify-otp")).send().await.unwrap();
    assert_eq!(get.status(), StatusCode::METHOD_NOT_ALLOWED);
    let unknown = client.get(format!("{url}/api/nothing-here")).send().await.unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(unknown.json::<Value>().await.unwrap()["code"], "not_found");
}

#[tokio::test]
async fn the_page_is_served_with_a_single_page_fallback() {
    let url = start(&[]).await.unwrap();
    for path in ["/", "/verify/step/2"] {
        let response = reqwest::get(format!("{url}{path}")).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(response.text().await.unwrap().contains("<title>Verify</title>"), "{path}");
    }
}

#[tokio::test]
async fn with_vonage_credentials_there_is_no_simulator_and_no_dev_endpoint() {
    let url = start(&[
        ("VONAGE_API_KEY", "key"),
        ("VONAGE_API_SECRET", "secret"),
        ("VONAGE_BRAND", "ACME"),
        ("VONAGE_API_BASE_URL", "http://127.0.0.1:9"),
    ])
    .await
    .unwrap();
    let response = reqwest::get(format!("{url}/api/dev/messages")).await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn start_up_failures_say_what_to_do() {
    let missing = start(&[("FRONTEND_DIST", "/nonexistent/dist")]).await.err().unwrap().to_string();
    assert!(missing.contains("/nonexistent/dist has no index.html") && missing.contains("make dev"), "{missing}");

    let bad = start(&[("OTP_TTL_SECONDS", "5")]).await.err().unwrap().to_string();
    assert!(bad.starts_with("configuration error: OTP_TTL_SECONDS"), "{bad}");

    let real_without_brand = start(&[("VONAGE_API_KEY", "key"), ("VONAGE_API_SECRET", "s")]).await.err().unwrap();
    assert!(real_without_brand.to_string().contains("VONAGE_BRAND"), "{real_without_brand}");

    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port().to_string();
    let taken = start(&[("PORT", &port)]).await.err().unwrap().to_string();
    assert!(taken.contains(&format!("port {port} is already in use")), "{taken}");
}

#[tokio::test]
async fn in_simulator_mode_time_and_faults_can_be_steered() {
    let url = start(&[]).await.unwrap();
    let client = client();
    let fault = client.post(format!("{url}/api/dev/faults")).json(&json!({"status": 500, "endpoint": "start"})).send();
    assert_eq!(fault.await.unwrap().status(), StatusCode::CREATED);
    let failed = client.post(format!("{url}/api/request-otp")).json(&json!({"phoneNumber": "+14155552671"})).send();
    assert_eq!(failed.await.unwrap().status(), StatusCode::BAD_GATEWAY);

    let sent =
        json_of(client.post(format!("{url}/api/request-otp")).json(&json!({"phoneNumber": "+14155552671"}))).await;
    let messages = json_of(client.get(format!("{url}/api/dev/messages"))).await;
    let advanced = client.post(format!("{url}/api/dev/clock")).json(&json!({"advanceSeconds": 300})).send();
    assert_eq!(advanced.await.unwrap().status(), StatusCode::OK);
    let late = client
        .post(format!("{url}/api/verify-otp"))
        .json(&json!({"requestId": sent["requestId"], "code": messages[0]["code"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(late.status(), StatusCode::GONE);
}
