//! The local server on a free port: the page, both endpoints through the Lambda handlers, the
//! simulator's messages, and the one-line failures.

use std::collections::HashMap;

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

/// A client on rustls with ring, the one crypto provider the workspace builds.
fn client() -> Client {
    shared::adapters::tls::install_crypto_provider();
    Client::new()
}

fn page_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("otp-local-page-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>Verify</title>").unwrap();
    dir
}

async fn start(vars: &[(&str, &str)]) -> Result<String, otp_local::StartError> {
    let env = settings(vars);
    Ok(otp_local::serve_here(move |name| env.get(name).cloned(), false).await?.detach())
}

/// The local server's settings in the tests: a port of its own, the test page, and `vars`.
fn settings(vars: &[(&str, &str)]) -> HashMap<String, String> {
    let mut env: HashMap<String, String> =
        [("PORT", "0".to_owned()), ("FRONTEND_DIST", page_dir().display().to_string())]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
    env.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    env
}

/// Runs a test on otp-local's own runtime ([`otp_local::runtime`]): the server it starts is
/// served on that runtime's workers, whose stacks are as deep as otp-local's, not on the test's
/// thread (a debug build polls a request in ~1.9 MB of stack, near a test thread's 2 MiB).
fn on_the_local_runtime<F: std::future::Future>(test: F) -> F::Output {
    otp_local::runtime().unwrap().block_on(test)
}

async fn json_of(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

#[test]
fn the_terminal_says_how_codes_go() {
    on_the_local_runtime(async {
        for (vars, line) in [
            (
                &[][..],
                "codes: by sms,voice (OTP_CHANNELS), the first unless the person asks for another; a call only when asked for (VOICE_CALLS)",
            ),
            (
                &[("OTP_CHANNELS", "whatsapp,sms,voice"), ("VOICE_CALLS", "automatic")][..],
                "codes: by whatsapp,sms,voice (OTP_CHANNELS), the first unless the person asks for another; a call when asked for, and by itself after the text steps (VOICE_CALLS)",
            ),
        ] {
            let env = settings(vars);
            let running = otp_local::start(move |name| env.get(name).cloned(), false, std::future::pending()).await;
            let summary = running.unwrap().summary;
            assert!(summary.iter().any(|l| l == line), "{summary:#?}");
        }
    })
}

#[test]
fn a_whole_verification_through_the_local_server() {
    on_the_local_runtime(async {
        let url = start(&[]).await.unwrap();
        let client = client();
        let sent =
            json_of(client.post(format!("{url}/api/request-otp")).json(&json!({"phoneNumber": "+1 (415) 555-2671"})))
                .await;
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
    })
}

#[test]
fn errors_keep_their_status_headers_and_json() {
    on_the_local_runtime(async {
        let url = start(&[]).await.unwrap();
        let client = client();
        let send =
            || client.post(format!("{url}/api/request-otp")).json(&json!({"phoneNumber": "+14155552671"})).send();
        let first_sent = std::time::Instant::now();
        assert_eq!(send().await.unwrap().status(), StatusCode::OK);
        let again = send().await.unwrap();
        assert_eq!(again.status(), StatusCode::TOO_MANY_REQUESTS);
        // The 60-second cooldown, less the whole seconds the server's real clock moved between the two
        // requests (more than one, once, with the test command's other checks on both cores).
        let retry_after: u64 = again.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        let moved = first_sent.elapsed().as_secs() + 1;
        assert!((60_u64.saturating_sub(moved)..=60).contains(&retry_after), "Retry-After {retry_after}");
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
    })
}

#[test]
fn the_page_is_served_with_a_single_page_fallback() {
    on_the_local_runtime(async {
        let url = start(&[]).await.unwrap();
        for path in ["/", "/verify/step/2"] {
            let response = reqwest::get(format!("{url}{path}")).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            assert!(response.text().await.unwrap().contains("<title>Verify</title>"), "{path}");
        }
    })
}

/// As CloudFront serves the page (`Compress: true`): Brotli or gzip by `Accept-Encoding`, Brotli
/// when both are accepted, nothing when neither is, and never under 1,000 bytes or for an image.
#[test]
fn the_page_is_compressed_as_cloudfront_compresses_it() {
    on_the_local_runtime(async {
        let dir = std::env::temp_dir().join(format!("otp-local-compressed-page-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("assets")).unwrap();
        let script: String = (0..2_000).map(|n| format!("export const step{n} = () => {n};\n")).collect();
        let index = format!("<!doctype html><title>Verify</title>{}", "<p>a page of some size</p>".repeat(60));
        std::fs::write(dir.join("index.html"), &index).unwrap();
        std::fs::write(dir.join("assets/index.js"), &script).unwrap();
        std::fs::write(dir.join("assets/small.css"), "body { margin: 0 }").unwrap();
        std::fs::write(dir.join("assets/photo.png"), vec![0_u8; 4_000]).unwrap();
        let url = start(&[("FRONTEND_DIST", &dir.display().to_string())]).await.unwrap();

        let fetch = |path: &'static str, accept: Option<&'static str>| {
            let url = url.clone();
            async move {
                let mut request = client().get(format!("{url}{path}"));
                if let Some(accept) = accept {
                    request = request.header("accept-encoding", accept);
                }
                let response = request.send().await.unwrap();
                assert_eq!(response.status(), StatusCode::OK, "{path}");
                let encoding = response.headers().get("content-encoding").map(|v| v.to_str().unwrap().to_owned());
                let vary = response.headers().get("vary").map(|v| v.to_str().unwrap().to_owned());
                let body = response.bytes().await.unwrap().to_vec();
                (encoding, vary, body)
            }
        };
        let read = |encoding: Option<&str>, body: &[u8]| -> String {
            let mut text = String::new();
            match encoding {
                Some("gzip") => std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(body), &mut text),
                Some("br") => {
                    std::io::Read::read_to_string(&mut brotli_decompressor::Decompressor::new(body, 4096), &mut text)
                }
                None => std::io::Read::read_to_string(&mut &body[..], &mut text),
                Some(other) => panic!("unexpected encoding {other}"),
            }
            .unwrap();
            text
        };

        for (accept, expected) in [
            (Some("gzip"), Some("gzip")),
            (Some("br"), Some("br")),
            (Some("gzip, deflate, br"), Some("br")),
            (None, None),
        ] {
            let (encoding, vary, body) = fetch("/assets/index.js", accept).await;
            assert_eq!(encoding.as_deref(), expected, "Accept-Encoding: {accept:?}");
            assert!(vary.is_some_and(|v| v.to_ascii_lowercase().contains("accept-encoding")), "{accept:?}");
            assert_eq!(read(encoding.as_deref(), &body), script, "{accept:?}");
            if expected.is_some() {
                assert!(body.len() * 4 < script.len(), "{accept:?}: {} of {} bytes", body.len(), script.len());
            }
        }
        // The page itself, through the single-page fallback too.
        for path in ["/", "/verify/step/2"] {
            let (encoding, _, body) = fetch(path, Some("gzip, br")).await;
            assert_eq!(encoding.as_deref(), Some("br"), "{path}");
            assert_eq!(read(encoding.as_deref(), &body), index, "{path}");
        }
        // Under 1,000 bytes, and images, go as they are.
        for path in ["/assets/small.css", "/assets/photo.png"] {
            let (encoding, _, _) = fetch(path, Some("gzip, br")).await;
            assert_eq!(encoding, None, "{path}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    })
}

#[test]
fn with_vonage_credentials_there_is_no_simulator_and_no_dev_endpoint() {
    on_the_local_runtime(async {
        let url = start(&[
            ("VONAGE_API_KEY", "key"),
            ("VONAGE_API_SECRET", "secret"),
            ("VONAGE_BRAND", "ACME"),
            ("VONAGE_API_BASE_URL", "http://127.0.0.1:9"),
        ])
        .await
        .unwrap();
        let client = client();
        let dev = [
            client.get(format!("{url}/api/dev/messages")),
            client.get(format!("{url}/api/dev/metrics")),
            client.post(format!("{url}/api/dev/sending")).json(&json!({"stopped": true})),
            client.post(format!("{url}/api/dev/clock")).json(&json!({"advanceSeconds": 60})),
            client.post(format!("{url}/api/dev/faults")).json(&json!({"status": 500})),
        ];
        for request in dev {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{}", response.url());
            assert_eq!(response.json::<Value>().await.unwrap()["code"], "not_found");
        }
    })
}

#[test]
fn start_up_failures_say_what_to_do() {
    on_the_local_runtime(async {
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
    })
}

#[test]
fn a_code_vonage_cannot_send_goes_by_the_second_provider_and_verifies() {
    on_the_local_runtime(async {
        let url = start(&[]).await.unwrap();
        let client = client();
        let fault = json!({"status": 503, "endpoint": "start"});
        assert_eq!(client.post(format!("{url}/api/dev/faults")).json(&fault).send().await.unwrap().status(), 201);
        let number = "+447400123457";
        let sent = json_of(client.post(format!("{url}/api/request-otp")).json(&json!({"phoneNumber": number}))).await;
        let messages = json_of(client.get(format!("{url}/api/dev/messages?to={}", &number[1..]))).await;
        let messages = messages.as_array().unwrap();
        assert_eq!(messages.len(), 1, "{messages:?} {sent}");
        let text = messages[0]["text"].as_str().unwrap();
        let code = messages[0]["code"].as_str().unwrap();
        assert!(text.ends_with(&format!("@localhost #{code}")), "{text}");
        let check = json!({"requestId": sent["requestId"], "code": code});
        let verified = json_of(client.post(format!("{url}/api/verify-otp")).json(&check)).await;
        assert_eq!(verified["verified"], true, "{verified}");

        // Put first, the second provider carries every code.
        let first = start(&[("PROVIDER_ORDER", "aws,vonage")]).await.unwrap();
        let other = "+447400123458";
        json_of(client.post(format!("{first}/api/request-otp")).json(&json!({"phoneNumber": other}))).await;
        let messages = json_of(client.get(format!("{first}/api/dev/messages?to={}", &other[1..]))).await;
        assert!(messages[0]["text"].as_str().unwrap().contains('#'), "{messages}");
    })
}

#[test]
fn in_simulator_mode_time_and_faults_can_be_steered() {
    on_the_local_runtime(async {
        // Vonage alone: with the second provider beside it, a fault would move the code there.
        let url = start(&[("PROVIDER_ORDER", "vonage")]).await.unwrap();
        let client = client();
        let fault =
            client.post(format!("{url}/api/dev/faults")).json(&json!({"status": 500, "endpoint": "start"})).send();
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
    })
}

#[test]
fn only_requests_addressed_to_a_loopback_name_are_served() {
    on_the_local_runtime(async {
        // A page on another site that points its own name at 127.0.0.1 (DNS rebinding) sends that
        // name as `Host`.
        let url = start(&[]).await.unwrap();
        let port = url.rsplit(':').next().unwrap();
        let client = client();
        for host in
            ["evil.example", "evil.example:3000", "127.0.0.1.evil.example", "localhost.evil.example", "10.0.0.1"]
        {
            for path in ["/", "/api/dev/messages"] {
                let response = client.get(format!("{url}{path}")).header("host", host).send().await.unwrap();
                assert_eq!(response.status(), StatusCode::FORBIDDEN, "{host}{path}");
                let body: Value = response.json().await.unwrap();
                assert_eq!(body["code"], "forbidden", "{host}");
            }
            let sent = client
                .post(format!("{url}/api/request-otp"))
                .header("host", host)
                .json(&json!({"phoneNumber": "+14155552671"}))
                .send()
                .await
                .unwrap();
            assert_eq!(sent.status(), StatusCode::FORBIDDEN, "{host}");
        }
        let messages = json_of(client.get(format!("{url}/api/dev/messages"))).await;
        assert_eq!(messages, json!([]), "no SMS went out");
        for host in [
            format!("localhost:{port}"),
            "localhost".into(),
            format!("127.0.0.1:{port}"),
            format!("[::1]:{port}"),
            format!("app.localhost:{port}"),
        ] {
            let response = client.get(format!("{url}/")).header("host", &host).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{host}");
        }
    })
}

#[test]
fn loopback_host_names_are_told_apart_from_others() {
    for host in [
        "localhost",
        "LOCALHOST:3000",
        "localhost.",
        "a.localhost:5173",
        "127.0.0.1",
        "127.1.2.3:80",
        "[::1]",
        "[::1]:3000",
    ] {
        assert!(otp_local::is_loopback_host(host), "{host}");
    }
    for host in [
        "",
        "evil.example",
        "localhost.evil.example",
        "127.0.0.1.nip.io",
        "[::1",
        "[::2]:3000",
        "0.0.0.0",
        "[::1]x",
        "localhostx",
    ] {
        assert!(!otp_local::is_loopback_host(host), "{host}");
    }
}

#[test]
fn the_local_clock_moves_only_within_its_bound_and_the_api_keeps_answering() {
    on_the_local_runtime(async {
        let url = start(&[]).await.unwrap();
        let client = client();
        let advance = |seconds: Value| {
            client.post(format!("{url}/api/dev/clock")).json(&json!({"advanceSeconds": seconds})).send()
        };
        for too_far in [json!(u32::MAX), json!(otp_local::MAX_CLOCK_ADVANCE_SECONDS + 1)] {
            let refused = advance(too_far.clone()).await.unwrap();
            assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{too_far}");
            assert_eq!(refused.json::<Value>().await.unwrap()["code"], "invalid_request");
        }
        for malformed in [json!(-5), json!("soon"), json!(null)] {
            let refused = advance(malformed.clone()).await.unwrap();
            assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{malformed}");
            assert_eq!(refused.json::<Value>().await.unwrap()["code"], "invalid_request", "{malformed}");
        }
        // Up to the bound in steps, and not one second further.
        let half = otp_local::MAX_CLOCK_ADVANCE_SECONDS / 2;
        assert_eq!(advance(json!(half)).await.unwrap().status(), StatusCode::OK);
        assert_eq!(advance(json!(otp_local::MAX_CLOCK_ADVANCE_SECONDS - half)).await.unwrap().status(), StatusCode::OK);
        assert_eq!(advance(json!(1)).await.unwrap().status(), StatusCode::BAD_REQUEST);
        // The API still answers, with its JSON.
        let sent = client.post(format!("{url}/api/request-otp")).json(&json!({"phoneNumber": "+14155552671"})).send();
        let sent = sent.await.unwrap();
        assert_eq!(sent.status(), StatusCode::OK);
        let body: Value = sent.json().await.unwrap();
        // The code's expiry is on the moved clock, whatever today's date (from 31 December, 366 days
        // on is two years later).
        let expires_at = body["expiresAt"].as_str().unwrap();
        let expires_at =
            time::OffsetDateTime::parse(expires_at, &time::format_description::well_known::Rfc3339).unwrap();
        let moved = time::OffsetDateTime::now_utc() + time::Duration::seconds(otp_local::MAX_CLOCK_ADVANCE_SECONDS);
        assert!((expires_at - moved).abs() < time::Duration::HOUR, "{body}");
    })
}

#[test]
fn a_panic_anywhere_behind_the_guard_is_answered_with_json() {
    on_the_local_runtime(async {
        use axum::routing::get;
        let policy = otp_local::CONTENT_SECURITY_POLICY;
        let router = otp_local::guard(
            axum::Router::new().route(
                "/boom",
                get(|| async {
                    let empty: Vec<u8> = std::hint::black_box(Vec::new());
                    empty[0].to_string() // a bug: out of bounds
                }),
            ),
            policy,
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        let client = client();
        for _ in 0..2 {
            let response = client.get(format!("{url}/boom")).send().await.expect("an answer, not a dropped connection");
            assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
            assert_eq!(response.headers()["content-security-policy"], policy);
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["code"], "internal_error", "{body}");
        }
    })
}

/// The dashboard's figures at a dev endpoint, from the lines the functions print, and the
/// operator's switch: stopped, a send is refused (and counted as such); started, it goes out.
#[test]
fn the_metrics_and_the_sending_switch_are_at_dev_endpoints() {
    on_the_local_runtime(async {
        let url = start(&[]).await.unwrap();
        let client = client();
        let request = || client.post(format!("{url}/api/request-otp")).json(&json!({"phoneNumber": "+447400123456"}));
        let switch = |stopped: bool| client.post(format!("{url}/api/dev/sending")).json(&json!({ "stopped": stopped }));

        assert_eq!(json_of(switch(true)).await, json!({"stopped": true}));
        let refused = request().send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(refused.json::<Value>().await.unwrap()["code"], "sending_stopped");
        json_of(switch(false)).await;
        let sent = json_of(request()).await;
        let code = json_of(client.get(format!("{url}/api/dev/messages"))).await[0]["code"].clone();
        let verified = json_of(
            client.post(format!("{url}/api/verify-otp")).json(&json!({"requestId": sent["requestId"], "code": code})),
        )
        .await;
        assert_eq!(verified["verified"], true);

        let figures = json_of(client.get(format!("{url}/api/dev/metrics"))).await;
        let value = |name: &str, dimensions: Value| {
            figures["metrics"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["name"] == name && m["dimensions"] == dimensions)
                .map(|m| m["value"].as_f64().unwrap())
        };
        assert_eq!(value("CodesSent", json!({})), Some(1.0), "{figures}");
        assert_eq!(value("CodesSent", json!({"Country": "GB"})), Some(1.0), "{figures}");
        assert_eq!(value("CodesVerified", json!({"Country": "GB"})), Some(1.0), "{figures}");
        assert_eq!(value("UnverifiedCodes", json!({"Country": "GB"})), Some(0.0), "{figures}");
        assert_eq!(value("CodesRefused", json!({"Rule": "stopped"})), Some(1.0), "{figures}");
        assert!(value("EstimatedSpend", json!({})).is_some_and(|spend| spend > 0.0), "{figures}");

        let bad = client.post(format!("{url}/api/dev/sending")).json(&json!({"stop": "yes"})).send().await.unwrap();
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    })
}

/// The refusals that are not limits are counted by their rule too: a call where calls are off,
/// and a second code while Vonage still holds the number's first verification.
#[test]
fn a_call_refused_and_a_busy_provider_are_counted_by_their_rule() {
    on_the_local_runtime(async {
        let client = client();
        let refused_by = |url: &str| {
            let url = format!("{url}/api/dev/metrics");
            let client = client.clone();
            async move {
                let figures = json_of(client.get(url)).await;
                let by_rule = figures["metrics"].as_array().unwrap().iter().filter(|m| m["name"] == "CodesRefused");
                by_rule
                    .filter_map(|m| Some((m["dimensions"]["Rule"].as_str()?.to_owned(), m["value"].as_f64()?)))
                    .collect::<Vec<_>>()
            }
        };

        let off = start(&[("VOICE_CALLS", "off")]).await.unwrap();
        let call = json!({"phoneNumber": "+447400123456", "channel": "voice"});
        let answer = client.post(format!("{off}/api/request-otp")).json(&call).send().await.unwrap();
        assert_eq!(answer.json::<Value>().await.unwrap()["code"], "calls_unavailable");
        assert_eq!(refused_by(&off).await, [("calls_off".to_owned(), 1.0)]);

        // Vonage alone: beside it, a resend of a code nobody tried goes to the second provider.
        let url = start(&[("OTP_RESEND_COOLDOWN_SECONDS", "0"), ("PROVIDER_ORDER", "vonage")]).await.unwrap();
        let sms = json!({"phoneNumber": "+447400123456"});
        json_of(client.post(format!("{url}/api/request-otp")).json(&sms)).await;
        let again = client.post(format!("{url}/api/request-otp")).json(&sms).send().await.unwrap();
        assert_eq!(again.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(again.json::<Value>().await.unwrap()["code"], "resend_too_soon");
        // The process's metrics are one series, whichever server printed them.
        let both = [("calls_off".to_owned(), 1.0), ("provider_busy".to_owned(), 1.0)];
        assert_eq!(refused_by(&url).await, both);
    })
}

/// The operator's name, accent colour and logo reach the page's /config.json, the logo is served
/// from the page's own origin, and a bad setting stops the start with its name.
#[test]
fn the_branding_is_published_beside_the_page() {
    on_the_local_runtime(async {
        let client = client();
        let url = start(&[]).await.unwrap();
        let config = json_of(client.get(format!("{url}/config.json"))).await;
        assert_eq!(config["brand"], json!({"name": "Verify Local", "logo": null, "accentColor": null}));

        let logo = page_dir().join("acme.svg");
        let svg =
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32"><circle cx="16" cy="16" r="16"/></svg>"#;
        std::fs::write(&logo, svg).unwrap();
        let logo = logo.display().to_string();
        let vars = [("BRAND_NAME", "Acme Bank"), ("BRAND_ACCENT_COLOR", "#7B1FA2"), ("BRAND_LOGO", logo.as_str())];
        let url = start(&vars).await.unwrap();
        let config = json_of(client.get(format!("{url}/config.json"))).await;
        assert_eq!(config["brand"], json!({"name": "Acme Bank", "logo": "/brand/logo.svg", "accentColor": "#7B1FA2"}));
        let served = client.get(format!("{url}/brand/logo.svg")).send().await.unwrap();
        assert_eq!(served.headers()["content-type"], "image/svg+xml");
        assert_eq!(served.text().await.unwrap(), svg);
        assert_eq!(client.get(format!("{url}/brand/other.png")).send().await.unwrap().status(), StatusCode::NOT_FOUND);

        for (bad, variable) in [
            (("BRAND_ACCENT_COLOR", "purple"), "BRAND_ACCENT_COLOR"),
            (("BRAND_LOGO", "/no/such/logo.png"), "BRAND_LOGO"),
            (("BRAND_LOGO", logo.replace(".svg", ".gif").as_str()), "BRAND_LOGO"),
        ] {
            match start(&[bad]).await {
                Err(otp_local::StartError::Config(e)) => assert_eq!(e.variable, variable, "{bad:?}"),
                other => panic!("{bad:?}: {:?}", other.map(|_| ())),
            }
        }
    })
}

/// The simulator's signed status callbacks reach otp-local's `/webhooks/vonage`, and each kind
/// of forgery it can send is refused there with nothing applied: unsigned, another secret,
/// `alg: none`, a stale or a future `iat`, a body changed after signing (401), a verification
/// never started here (404), a malformed body (400). The real one, replayed byte for byte, is
/// answered 2xx and applied once.
#[test]
fn the_simulators_forged_callbacks_are_refused_and_a_replay_changes_nothing() {
    on_the_local_runtime(async {
        let url = start(&[("OTP_CHANNELS", "whatsapp,sms")]).await.unwrap();
        let client = client();
        let modes = [
            ("unsigned", 401),
            ("other_secret", 401),
            ("alg_none", 401),
            ("stale", 401),
            ("future", 401),
            ("changed_body", 401),
            ("unknown_verification", 404),
            ("malformed", 400),
        ];
        for (i, (mode, status)) in modes.iter().enumerate() {
            let number = format!("+4474001235{i:02}");
            let sent =
                json_of(client.post(format!("{url}/api/request-otp")).json(&json!({"phoneNumber": number}))).await;
            assert_eq!(sent["channel"], "whatsapp", "{sent}");
            let messages = json_of(client.get(format!("{url}/api/dev/messages?to={}", &number[1..]))).await;
            let code = messages[0]["code"].as_str().unwrap().to_owned();
            // The next callback (the code's step completed) goes out forged; the summary after it
            // signed.
            let set = json!({"mode": mode, "count": 1});
            json_of(client.post(format!("{url}/api/dev/callbacks")).json(&set)).await;
            let verified = json_of(
                client
                    .post(format!("{url}/api/verify-otp"))
                    .json(&json!({"requestId": sent["requestId"], "code": code})),
            )
            .await;
            assert_eq!(verified["verified"], true, "{verified}");
            let sim_id = messages[0]["requestId"].as_str().unwrap().to_owned();
            let records = callbacks_of(&client, &url, &sim_id, 2).await;
            assert_eq!(records[0]["mode"], *mode);
            assert_eq!(records[0]["status"], *status, "{mode}: {}", records[0]);
            assert_eq!((records[1]["mode"].as_str(), records[1]["status"].as_u64()), (Some("signed"), Some(200)));
        }
        // A replay of the last one (the signed summary): 2xx, nothing applied twice.
        let replayed = json_of(client.post(format!("{url}/api/dev/callbacks/replay"))).await;
        assert_eq!(replayed["status"], 200, "{replayed}");
    });
}

/// The first `n` callbacks the simulator sent about its verification `sim_id`, once sent.
async fn callbacks_of(client: &Client, url: &str, sim_id: &str, n: usize) -> Vec<Value> {
    for _ in 0..200 {
        let all = json_of(client.get(format!("{url}/api/dev/callbacks"))).await;
        let of: Vec<Value> =
            all.as_array().unwrap().iter().filter(|c| c["requestId"] == sim_id).take(n).cloned().collect();
        if of.len() == n && of.iter().all(|c| !c["status"].is_null()) {
            return of;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the simulator sent fewer than {n} callbacks about {sim_id}");
}
