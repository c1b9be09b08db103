//! Both functions open their connections to DynamoDB and to Vonage during init, so that the first
//! call after a cold start pays for neither: the real binaries, run as Lambda runs them, with a
//! proxy counting connections in front of each.

use std::path::PathBuf;

use otp_bench::first_call;

/// A function's binary, built now with the workspace's features (a no-op after the test command's
/// `cargo build --workspace --bins`) so that the test never runs a stale one.
fn binary(name: &str) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = std::process::Command::new(cargo);
    // Cargo as a shell runs it: without the variables Cargo sets for this test. A build script
    // that reads one (ring's reads CARGO_MANIFEST_DIR) would otherwise run again, and everything
    // above it rebuild, on the next build from a shell, and again here.
    for (variable, _) in std::env::vars_os() {
        if variable.to_str().is_some_and(set_by_cargo_for_tests) {
            build.env_remove(variable);
        }
    }
    let built = build
        .args(["build", "--quiet", "--workspace", "--bins"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("cargo runs");
    assert!(built.success(), "building {name} failed");
    let deps = std::env::current_exe().unwrap();
    deps.parent().unwrap().parent().unwrap().join(name)
}

/// The variables Cargo sets for a test it runs, not ones a person sets (CARGO_HOME, CARGO_TARGET_DIR,
/// CARGO_PROFILE_*, ...): <https://doc.rust-lang.org/cargo/reference/environment-variables.html>.
fn set_by_cargo_for_tests(variable: &str) -> bool {
    const SET_FOR_TESTS: [&str; 7] = [
        "CARGO_MANIFEST_",
        "CARGO_PKG_",
        "CARGO_BIN_",
        "CARGO_CRATE_NAME",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_TARGET_TMPDIR",
        "CARGO_RUSTC_CURRENT_DIR",
    ];
    SET_FOR_TESTS.iter().any(|prefix| variable.starts_with(prefix))
}

fn event(template: &str, body: serde_json::Value) -> String {
    let mut event: serde_json::Value = serde_json::from_str(template).unwrap();
    event["body"] = body.to_string().into();
    event.to_string()
}

#[tokio::test]
async fn each_function_connects_during_init_and_its_first_call_opens_no_connection() {
    let store = shared::testing::dynamo_store().await;
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap();
    let dynamodb =
        endpoint.trim_start_matches("http://").parse().expect("the DynamoDB endpoint is http://address:port");
    let cases = [
        (
            "request-otp",
            event(include_str!("../../events/request-otp.json"), serde_json::json!({"phoneNumber": "+14155552671"})),
            200,
            (
                vec!["GetItem", "BatchGetItem", "TransactWriteItems", "PutItem"],
                vec!["GET / HTTP/1.1", "POST /v2/verify HTTP/1.1"],
            ),
        ),
        (
            "verify-otp",
            event(
                include_str!("../../events/verify-otp.json"),
                serde_json::json!({"requestId": "0123456789abcdef0123456789abcdef", "code": "123456"}),
            ),
            404,
            // An unknown id: the conditional update finds nothing, a read tells why; Vonage is not asked.
            (vec!["GetItem", "UpdateItem", "GetItem"], vec!["GET / HTTP/1.1"]),
        ),
    ];
    for (function, event, status, (dynamodb_requests, vonage_requests)) in cases {
        let seen = first_call(&binary(function), function, dynamodb, store.table(), &event).await.unwrap();
        let ((dynamo_init, vonage_init), (dynamo_after, vonage_after)) = (seen.at_init, seen.after_first_call);
        assert_eq!(seen.answer["statusCode"], status, "{function}: {}", seen.answer);
        // Init: one connection to each, each used once (a read of a key never written; Vonage's root).
        assert_eq!((dynamo_init.connections, vonage_init.connections), (1, 1), "{function} during init");
        assert_eq!(dynamo_init.requests, ["GetItem"], "{function}");
        assert_eq!(vonage_init.requests, ["GET / HTTP/1.1"], "{function}");
        // The first call: each request once, on the connections init opened; none opened.
        assert_eq!(dynamo_after.requests, dynamodb_requests, "{function}");
        assert_eq!(vonage_after.requests, vonage_requests, "{function}");
        for (service, after) in [("DynamoDB", &dynamo_after), ("Vonage", &vonage_after)] {
            assert_eq!(after.connections, 1, "{function}'s first call to {service}: {after:?}");
        }
    }
}
