//! The sign-in secret on moto's Secrets Manager (the server the test command starts for DynamoDB
//! serves it too): verify-otp's signing keys and clients read from it, and each way a cold start
//! fails on it with one line that names the secret and none of its values.

use shared::adapters::sign_in_secret::{SecretError, SecretReader};
use shared::runtime::bootstrap::{StartupError, sign_in_with_secret};

const RSA_KEY: &str = include_str!("../rfc9500-test-rsa2048.pem");
const SECOND_RSA_KEY: &str = include_str!("../test-rsa2048-second.pem");
const CLIENTS: &str = r#"[{"clientId": "shop", "name": "The Shop", "redirectUris": ["https://shop.example/cb"]}]"#;
const CLIENT_SECRETS: &str = r#"{"shop": "a-client-secret-of-32-characters-or-more"}"#;

fn reader() -> SecretReader {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
        .expect("a moto server: run through `make test` (which starts one) or set AWS_ENDPOINT_URL_DYNAMODB");
    SecretReader::on_local_server(&endpoint)
}

/// A secret of its own for each test (moto is shared by the whole run).
async fn secret_holding(json: &str) -> String {
    let name = format!("phone-verification/test-{}", uuid::Uuid::new_v4().simple());
    reader().put(&name, json).await.unwrap();
    name
}

/// The environment verify-otp is deployed with when sign-in is on: the issuer and the secret's name.
fn environment(secret: &str) -> impl Fn(&str) -> Option<String> {
    let secret = secret.to_owned();
    move |name: &str| match name {
        "TOKEN_ISSUER" => Some("https://verify.example".into()),
        "SIGN_IN_SECRET_ID" => Some(secret.clone()),
        _ => None,
    }
}

async fn start(secret: &str) -> Result<Option<shared::runtime::config::TokenConfig>, StartupError> {
    let values =
        reader().read(secret).await.map_err(|problem| StartupError::Secret { secret: secret.to_owned(), problem })?;
    sign_in_with_secret(secret, &values, environment(secret))
}

#[tokio::test]
async fn two_rsa_keys_of_a_rotation_and_the_clients_come_from_the_secret() {
    let keys = format!("{SECOND_RSA_KEY}{RSA_KEY}");
    let json = serde_json::json!({
        "VONAGE_API_KEY": "not read from here",
        "TOKEN_SIGNING_KEYS": keys,
        "RELYING_PARTIES": CLIENTS,
        "RELYING_PARTY_SECRETS": CLIENT_SECRETS,
    });
    // What no longer fits in a function's environment (4 KB for all its variables together).
    assert!(keys.len() + CLIENTS.len() + CLIENT_SECRETS.len() > 3_000);
    let secret = secret_holding(&json.to_string()).await;

    let tokens = start(&secret).await.unwrap().expect("sign-in on");
    let jwks = tokens.signer.jwks();
    let published: Vec<_> = jwks["keys"].as_array().unwrap().iter().map(|k| k["alg"].clone()).collect();
    assert_eq!(published, ["RS256", "RS256"], "the first signs, both are published");
    assert!(tokens.relying_parties.check("shop", "https://shop.example/cb").is_ok());
}

#[tokio::test]
async fn a_secret_without_the_signing_keys_stops_the_start_naming_the_secret() {
    let json = serde_json::json!({"RELYING_PARTIES": CLIENTS, "RELYING_PARTY_SECRETS": "{}"});
    let secret = secret_holding(&json.to_string()).await;
    let error = start(&secret).await.unwrap_err().to_string();
    assert_eq!(
        error,
        format!("configuration error: TOKEN_SIGNING_KEYS is required but not set (in the sign-in secret `{secret}`)")
    );
}

#[tokio::test]
async fn a_secret_without_the_client_secrets_stops_the_start_rather_than_make_every_client_public() {
    let json = serde_json::json!({"TOKEN_SIGNING_KEYS": shared::testing::signing_keys(), "RELYING_PARTIES": CLIENTS});
    let secret = secret_holding(&json.to_string()).await;
    let error = start(&secret).await.unwrap_err().to_string();
    assert!(error.starts_with("configuration error: RELYING_PARTY_SECRETS is required in the secret"), "{error}");
    assert!(error.ends_with(&format!("(in the sign-in secret `{secret}`)")), "{error}");
}

#[tokio::test]
async fn a_wrong_value_in_the_secret_is_named_and_not_shown() {
    let json = serde_json::json!({"TOKEN_SIGNING_KEYS": shared::testing::signing_keys(), "RELYING_PARTY_SECRETS": r#"{"nobody": "hunter2-hunter2-hunter2-hunter2-hunter2"}"#});
    let secret = secret_holding(&json.to_string()).await;
    let error = start(&secret).await.unwrap_err().to_string();
    assert!(error.starts_with("configuration error: RELYING_PARTY_SECRETS "), "{error}");
    assert!(error.ends_with(&format!("(in the sign-in secret `{secret}`)")), "{error}");
    assert!(!error.contains("hunter2"), "{error}");
}

#[tokio::test]
async fn a_secret_that_is_not_json_stops_the_start_without_showing_it() {
    let secret = secret_holding("TOKEN_SIGNING_KEYS=hunter2").await;
    let error = start(&secret).await.unwrap_err();
    assert!(matches!(error, StartupError::Secret { problem: SecretError::NotJson { .. }, .. }), "{error}");
    let line = error.to_string();
    assert_eq!(line, format!("startup error: the sign-in secret `{secret}` is not JSON (line 1, column 1)"));
}

#[tokio::test]
async fn a_secret_that_does_not_exist_is_named() {
    let error = reader().read("phone-verification/never-created").await.unwrap_err();
    assert_eq!(error, SecretError::NotFound);
    let line = StartupError::Secret { secret: "phone-verification/never-created".into(), problem: error }.to_string();
    assert!(line.contains("phone-verification/never-created"), "{line}");
}

#[tokio::test]
async fn an_unreachable_secrets_manager_stops_the_start_within_its_timeouts() {
    let (_held, closed) = super::refusing_address();
    let reader = SecretReader::on_local_server(&format!("http://{closed}"));
    let error = tokio::time::timeout(std::time::Duration::from_secs(60), reader.read("phone-verification/dev"))
        .await
        .expect("the SDK's timeouts and retries end the read")
        .unwrap_err();
    assert!(matches!(error, SecretError::Unreachable(_)), "{error}");
    let line = StartupError::Secret { secret: "phone-verification/dev".into(), problem: error }.to_string();
    assert!(
        line.starts_with("startup error: the sign-in secret `phone-verification/dev` could not be read: "),
        "{line}"
    );
}
