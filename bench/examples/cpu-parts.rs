//! Where a warm invocation's CPU goes: each part of the functions' work repeated on one thread,
//! against a backend on another thread that answers at once (DynamoDB's JSON protocol and Vonage
//! v2, as the functions use them), so that each figure is that part's own cost with warm caches.
//! `otp-bench` measures whole invocations as Lambda runs them; this splits them up.
//!
//! `cargo run --release -p otp-bench --example cpu-parts [-- CALLS]`

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::AttributeValue;
use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use shared::adapters::DynamoStore;
use shared::adapters::vonage::VonageClient;
use shared::clock::SystemClock;
use shared::domain::phone::PhoneNumber;
use shared::domain::request_id::RequestId;
use shared::ports::VerificationProvider;
use shared::runtime::bootstrap::HandlerDeps;

const TABLE: &str = "cpu-parts";
const REQUEST_ID: &str = "0123456789abcdef0123456789abcdef";
const PROVIDER_ID: &str = "c11236f4-00bf-4b89-84ba-88b25df97315";

/// CPU time of the calling thread.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(u64::try_from(ts.tv_sec).unwrap_or(0), u32::try_from(ts.tv_nsec).unwrap_or(0))
}

/// Answers as DynamoDB and Vonage would, at once: a pending verification for `UpdateItem` with
/// `ALL_NEW` (a code check), `{}` for other DynamoDB operations, a started or completed
/// verification for Vonage.
async fn backend(headers: HeaderMap, uri: Uri, body: Bytes) -> (StatusCode, String) {
    let operation = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if operation.ends_with(".UpdateItem") && body.windows(7).any(|w| w == b"ALL_NEW") {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let n = |v: u64| format!(r#"{{"N":"{v}"}}"#);
        let item = format!(
            r#"{{"Attributes":{{"pk":{{"S":"v#{REQUEST_ID}"}},"provider_id":{{"S":"{PROVIDER_ID}"}},"phone":{{"S":"+14155552671"}},"status":{{"S":"pending"}},"created_at":{},"expires_at":{},"ttl":{},"attempts":{},"max_attempts":{}}}}}"#,
            n(now),
            n(now + 300),
            n(now + 3600),
            n(1),
            n(5)
        );
        return (StatusCode::OK, item);
    }
    match uri.path() {
        _ if !operation.is_empty() => (StatusCode::OK, "{}".into()),
        "/v2/verify" => (StatusCode::ACCEPTED, format!(r#"{{"request_id":"{PROVIDER_ID}"}}"#)),
        p if p.starts_with("/v2/verify/") => {
            (StatusCode::OK, format!(r#"{{"request_id":"{PROVIDER_ID}","status":"completed"}}"#))
        }
        _ => (StatusCode::OK, String::new()),
    }
}

fn start_backend() -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, Router::new().fallback(backend)).await.unwrap();
        });
    });
    format!("http://{}", rx.recv().unwrap())
}

/// Mean CPU time of `part` over `calls` calls, after a warm-up.
async fn measure<F, Fut>(name: &str, calls: u32, mut part: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    for _ in 0..calls / 10 {
        part().await;
    }
    let start = thread_cpu();
    for _ in 0..calls {
        part().await;
    }
    println!("| {name} | {} µs |", ((thread_cpu() - start) / calls).as_micros());
}

/// A `GetItem` as a lighter DynamoDB client than the SDK would send it: the same JSON and SigV4
/// signature (aws-sigv4, the SDK's own signer) over reqwest.
async fn signed_get_item(
    http: &reqwest::Client,
    url: &str,
    identity: &aws_smithy_runtime_api::client::identity::Identity,
) {
    let body = serde_json::json!({"TableName": TABLE, "Key": {"pk": {"S": "connect"}}}).to_string();
    let host = url.trim_start_matches("http://");
    let headers =
        [("host", host), ("content-type", "application/x-amz-json-1.0"), ("x-amz-target", "DynamoDB_20120810.GetItem")];
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(identity)
        .region("us-east-1")
        .name("dynamodb")
        .time(SystemTime::now())
        .settings(aws_sigv4::http_request::SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let signable = aws_sigv4::http_request::SignableRequest::new(
        "POST",
        url,
        headers.iter().copied(),
        aws_sigv4::http_request::SignableBody::Bytes(body.as_bytes()),
    )
    .unwrap();
    let (signature, _) = aws_sigv4::http_request::sign(signable, &params).unwrap().into_parts();
    let mut request = http.post(url);
    for (name, value) in headers[1..].iter().copied().chain(signature.headers()) {
        request = request.header(name, value);
    }
    let answer = request.body(body).send().await.unwrap().bytes().await.unwrap();
    let _: serde_json::Value = serde_json::from_slice(&answer).unwrap();
}

fn main() {
    let calls: u32 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(2000).max(10);
    let url = start_backend();
    shared::adapters::tls::install_crypto_provider();
    // Each handler call still formats its metrics line (part of its CPU); the line goes nowhere
    // instead of to the terminal, as in Lambda it goes to the log stream.
    shared::telemetry::metrics::set_sink(|line| {
        std::hint::black_box(line);
    });
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async move {
        let config = shared::testing::config(&url, &[]);
        let allowed = config.allowed_countries.clone();
        let vonage = VonageClient::new(config.vonage.clone()).unwrap();
        let store = DynamoStore::on_local_server(&url, TABLE, shared::testing::test_cipher());
        let deps = HandlerDeps::new(config, vonage.clone(), store.clone(), SystemClock);
        let http = reqwest::Client::new();
        let identity = aws_credential_types::Credentials::new("local", "local", None, None, "local").into();
        let phone = PhoneNumber::parse("+14155552671", &allowed).unwrap();
        let request_id = RequestId::parse(REQUEST_ID).unwrap();
        let request_event = include_str!("../../events/request-otp.json");
        let verify_event = include_str!("../../events/verify-otp.json");
        let request_body = r#"{"phoneNumber":"+14155552671"}"#;
        let verify_body = format!(r#"{{"requestId":"{REQUEST_ID}","code":"123456"}}"#);
        let event = |template, body| shared::testing::event(template, "POST", Some("application/json"), Some(body));

        println!("\nCPU per call, {calls} calls on one thread, a backend that answers at once:");
        println!("| part | CPU |\n|---|---|");
        measure("API Gateway event → http::Request (lambda_http)", calls, || async {
            drop(event(request_event, request_body));
        })
        .await;
        measure("phone number parsed and checked (libphonenumber)", calls, || async {
            PhoneNumber::parse("+14155552671", &allowed).unwrap();
        })
        .await;
        measure("one HTTP exchange, empty answer (reqwest)", calls, || async {
            http.get(&url).send().await.unwrap().bytes().await.unwrap();
        })
        .await;
        measure("Vonage: start a verification", calls, || async {
            vonage.start(&phone, &request_id).await.unwrap();
        })
        .await;
        measure("DynamoDB GetItem, aws-sdk-dynamodb", calls, || async {
            store
                .client()
                .get_item()
                .table_name(TABLE)
                .key("pk", AttributeValue::S("connect".into()))
                .send()
                .await
                .unwrap();
        })
        .await;
        measure("DynamoDB GetItem, SigV4 (aws-sigv4) + reqwest", calls, || signed_get_item(&http, &url, &identity))
            .await;
        let signer = shared::sign_in::domain::tokens::TokenSigner::new(
            &shared::sign_in::domain::tokens::TokenSigner::generate_pem(),
            "https://verify.example.com",
            std::time::Duration::from_secs(300),
        )
        .unwrap();
        let id_token = shared::sign_in::domain::tokens::IdToken {
            subject: "pairwise-sub",
            client_id: "shop",
            nonce: Some("n-1"),
            alg: "ES256",
            auth_time: time::OffsetDateTime::now_utc(),
            channel: shared::domain::channel::Channel::Sms,
            test: false,
            phone_e164: Some("+14155552671"),
        };
        measure("ID token signed (ES256, ring)", calls, || async {
            drop(signer.id_token(&id_token, time::OffsetDateTime::now_utc()));
        })
        .await;
        measure("request-otp handler (all but lambda_runtime)", calls, || async {
            let answer = request_otp::handle(&deps, event(request_event, request_body)).await;
            assert_eq!(answer.status(), 200);
        })
        .await;
        measure("verify-otp handler (all but lambda_runtime)", calls, || async {
            let answer = verify_otp::handle(&deps, event(verify_event, &verify_body)).await;
            assert_eq!(answer.status(), 200);
        })
        .await;
    });
}
