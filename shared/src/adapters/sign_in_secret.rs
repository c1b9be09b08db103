//! The sign-in secret: verify-otp's signing keys and client registrations, read from the
//! environment's Secrets Manager secret once per cold start (one `GetSecretValue`), because they
//! do not fit in a function's environment: Lambda allows 4 KB for all of a function's variables
//! together and two RSA keys during a rotation already take more (docs/operate/deploy.md).
//! A secret holds up to [`SECRET_LIMIT_BYTES`].

use std::collections::BTreeMap;

use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use secrecy::{ExposeSecret, SecretString};

/// The settings verify-otp reads from the secret rather than from its environment: the material
/// of sign-in, which can grow past the environment's 4 KB. Every other setting, secret or not,
/// stays in the environment (resolved at deploy), but [`VONAGE_HELD`].
pub const SECRET_HELD: [&str; 3] = ["TOKEN_SIGNING_KEYS", "RELYING_PARTIES", "RELYING_PARTY_SECRETS"];

/// The Vonage account's settings both functions read from the Vonage secret
/// (`VONAGE_SECRET_ID`) at each cold start: its credentials, its application (id, private key,
/// the signature secret of its callbacks) and its WhatsApp sender with that channel's prices. An
/// application's RSA key alone is 1.7 KB, and request-otp's environment is full at its largest.
/// A secret of its own: request-otp may read it, and not the sign-in keys.
pub const VONAGE_HELD: [&str; 7] = [
    "VONAGE_API_KEY",
    "VONAGE_API_SECRET",
    "VONAGE_APPLICATION_ID",
    "VONAGE_PRIVATE_KEY",
    "VONAGE_SIGNATURE_SECRET",
    "VONAGE_WHATSAPP_FROM",
    "OTP_WHATSAPP_PRICES",
];

/// The largest value a Secrets Manager secret may hold (`SecretString`), in bytes: the bound on
/// what the secret can carry, registrations included (`largest_documented_secret`, for the tests).
pub const SECRET_LIMIT_BYTES: usize = 65_536;

/// The secret's JSON object, `{"NAME": "value"}`; its values never printed.
pub struct SecretValues(BTreeMap<String, SecretString>);

impl std::fmt::Debug for SecretValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// Why the secret could not be had. The text never holds a value of the secret: a syntax error
/// says where, a wrong type says which name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("does not exist (or is in another region or account)")]
    NotFound,
    #[error("may not be read by this function's role (secretsmanager:GetSecretValue, or kms:Decrypt of its key)")]
    Denied,
    #[error("could not be read: {0}")]
    Unreachable(String),
    #[error("holds no text (SecretString)")]
    NoText,
    #[error("is not JSON (line {line}, column {column})")]
    NotJson { line: usize, column: usize },
    #[error("must be a JSON object of names to text values, e.g. {{\"TOKEN_SIGNING_KEYS\": \"-----BEGIN…\"}}")]
    NotAnObject,
    #[error("holds {0} as something other than text (a JSON string)")]
    NotText(String),
}

impl SecretValues {
    /// The secret's text: a JSON object whose values are all strings.
    pub fn parse(text: &str) -> Result<Self, SecretError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| SecretError::NotJson { line: e.line(), column: e.column() })?;
        let serde_json::Value::Object(map) = value else { return Err(SecretError::NotAnObject) };
        let mut values = BTreeMap::new();
        for (name, value) in map {
            let serde_json::Value::String(text) = value else { return Err(SecretError::NotText(name)) };
            values.insert(name, SecretString::from(text));
        }
        Ok(Self(values))
    }

    /// The value of `name`, if the secret holds it.
    pub fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).map(|v| v.expose_secret().to_owned())
    }

    /// What the settings find here, as the sign-in secret: only the [`SECRET_HELD`] names, so
    /// that every other setting keeps coming from the environment alone.
    pub fn lookup(&self, name: &str) -> Option<String> {
        if SECRET_HELD.contains(&name) { self.get(name) } else { None }
    }

    /// The same as the Vonage secret: only the [`VONAGE_HELD`] names.
    pub fn lookup_vonage(&self, name: &str) -> Option<String> {
        if VONAGE_HELD.contains(&name) { self.get(name) } else { None }
    }
}

/// Reads the secret with the AWS SDK: the deployed function's client, or one on a local server.
#[derive(Debug, Clone)]
pub struct SecretReader {
    client: Client,
}

impl SecretReader {
    /// On the SDK configuration the function loaded once (its credentials, region, HTTP client
    /// and timeouts; `AWS_ENDPOINT_URL_SECRETS_MANAGER` for a local server).
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Self { client: Client::new(config) }
    }

    /// A reader of a local server's secrets (moto) at `endpoint`, with static credentials in
    /// us-east-1: for the tests and the benchmark.
    pub fn on_local_server(endpoint: &str) -> Self {
        use aws_sdk_secretsmanager::config::{BehaviorVersion, Credentials, Region};
        let config = aws_sdk_secretsmanager::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .http_client(crate::adapters::tls::aws_http_client())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("local", "local", None, None, "local"))
            .endpoint_url(endpoint)
            .timeout_config(crate::adapters::dynamo::patient_timeouts())
            .build();
        Self { client: Client::from_conf(config) }
    }

    /// One `GetSecretValue` of `secret_id` (its name or ARN), parsed.
    pub async fn read(&self, secret_id: &str) -> Result<SecretValues, SecretError> {
        let output = self.client.get_secret_value().secret_id(secret_id).send().await.map_err(|e| {
            match &e {
                SdkError::ServiceError(service) if service.err().is_resource_not_found_exception() => {
                    SecretError::NotFound
                }
                SdkError::ServiceError(service) => match service.err().code() {
                    Some("AccessDeniedException" | "AccessDenied" | "KMSAccessDeniedException") => SecretError::Denied,
                    // The service's code and message name the failure, never the secret's value.
                    code => SecretError::Unreachable(format!(
                        "{} ({})",
                        code.unwrap_or("service error"),
                        service.err().message().unwrap_or("no message")
                    )),
                },
                _ => SecretError::Unreachable(DisplayErrorContext(&e).to_string()),
            }
        })?;
        let text = output.secret_string().ok_or(SecretError::NoText)?;
        SecretValues::parse(text)
    }

    /// Creates the secret `name` holding `json`, or gives it that value if it exists: for the
    /// tests and the benchmark (an operator creates the deployed one with the AWS CLI).
    pub async fn put(&self, name: &str, json: &str) -> Result<(), String> {
        let created = self.client.create_secret().name(name).secret_string(json).send().await;
        match created {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_exists_exception()) => self
                .client
                .put_secret_value()
                .secret_id(name)
                .secret_string(json)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| format!("putting the secret {name}: {}", DisplayErrorContext(&e))),
            Err(e) => Err(format!("creating the secret {name}: {}", DisplayErrorContext(&e))),
        }
    }
}

/// The largest secret the documentation allows, as an operator would write it: the deploy-time
/// values, two RSA-2048 signing keys (a rotation) beside an RSA key for RS256 by default and a
/// P-256 key, a Vonage application's private key (PKCS#8, RSA 2048), [`MAX_DOCUMENTED_CLIENTS`]
/// registrations at the documented sizes with a secret each, the Turnstile secret and the most
/// test numbers. It must fit in [`SECRET_LIMIT_BYTES`] (a test below, and the limits test).
#[cfg(any(test, feature = "testing"))]
pub fn largest_documented_secret() -> String {
    use serde_json::json;
    // Stand-ins as long as the longest 2048-bit RSA key in PKCS#8 PEM (lines of 64) and a P-256
    // key as ring writes it (138 bytes of DER).
    let pem = |der_bytes: usize| {
        let body = "A".repeat(der_bytes.div_ceil(3) * 4);
        let lines: Vec<&str> = body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
        format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", lines.join("\n"))
    };
    let (rsa, p256) = (pem(RSA_2048_PKCS8_MAX_DER_BYTES), pem(138));
    let signing_keys = format!("{rsa}{rsa}{rsa}{p256}");
    let clients: Vec<serde_json::Value> = (0..MAX_DOCUMENTED_CLIENTS)
        .map(|i| {
            let uri = |n: usize| {
                let stem = format!("https://app{i}.example.com/{n}/");
                format!("{stem}{}", "c".repeat(MAX_DOCUMENTED_REDIRECT_URI_CHARS - stem.len()))
            };
            json!({
                "clientId": format!("{i:0>width$}", width = MAX_CLIENT_ID_CHARS),
                "name": "n".repeat(MAX_DOCUMENTED_CLIENT_NAME_CHARS),
                "redirectUris": (0..MAX_DOCUMENTED_REDIRECT_URIS).map(uri).collect::<Vec<_>>(),
            })
        })
        .collect();
    let secrets: serde_json::Map<String, serde_json::Value> = (0..MAX_DOCUMENTED_CLIENTS)
        .map(|i| {
            (
                format!("{i:0>width$}", width = MAX_CLIENT_ID_CHARS),
                "s".repeat(MAX_DOCUMENTED_CLIENT_SECRET_CHARS).into(),
            )
        })
        .collect();
    let test_numbers: serde_json::Map<String, serde_json::Value> =
        (100..200).map(|n| (format!("+1201555{n:04}"), format!("{:0>10}", 9_000_000_000u64 + n).into())).collect();
    json!({
        "VONAGE_API_KEY": "k".repeat(64),
        "VONAGE_API_SECRET": "s".repeat(64),
        "VONAGE_APPLICATION_PRIVATE_KEY": rsa,
        "PHONE_HASH_KEY": "h".repeat(64),
        "ORIGIN_VERIFY_SECRET": "o".repeat(64),
        "TURNSTILE_SECRET_KEY": "t".repeat(64),
        "TEST_NUMBERS": serde_json::Value::Object(test_numbers).to_string(),
        "TOKEN_SIGNING_KEYS": signing_keys,
        "RELYING_PARTIES": serde_json::Value::Array(clients).to_string(),
        "RELYING_PARTY_SECRETS": serde_json::Value::Object(secrets).to_string(),
    })
    .to_string()
}

/// The longest PKCS#8 DER of a 2048-bit RSA private key (most are 1,216 to 1,219): the modulus
/// and the private exponent 257 bytes each with a leading zero (4 of header), the public
/// exponent 65537 (5 in all), the primes, their exponents and the coefficient 129 each (3 of
/// header), the version (3), in a sequence (4), an octet string (4), after PKCS#8's version (3)
/// and algorithm (15), in a sequence (4).
#[cfg(any(test, feature = "testing"))]
const RSA_2048_PKCS8_MAX_DER_BYTES: usize = 3 + 261 + 5 + 261 + 5 * 132 + 4 + 4 + 3 + 15 + 4;
#[cfg(any(test, feature = "testing"))]
const MAX_CLIENT_ID_CHARS: usize = 64;

/// The registrations the documentation promises room for (docs/operate/settings.md): this many
/// clients, each with a name and redirect URIs of at most these lengths and a secret.
#[cfg(any(test, feature = "testing"))]
pub const MAX_DOCUMENTED_CLIENTS: usize = 50;
#[cfg(any(test, feature = "testing"))]
pub const MAX_DOCUMENTED_CLIENT_NAME_CHARS: usize = 64;
#[cfg(any(test, feature = "testing"))]
pub const MAX_DOCUMENTED_REDIRECT_URIS: usize = 4;
#[cfg(any(test, feature = "testing"))]
pub const MAX_DOCUMENTED_REDIRECT_URI_CHARS: usize = 100;
#[cfg(any(test, feature = "testing"))]
pub const MAX_DOCUMENTED_CLIENT_SECRET_CHARS: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_documented_secret_fits_in_a_secret() {
        let secret = largest_documented_secret();
        assert!(secret.len() <= SECRET_LIMIT_BYTES, "{} bytes", secret.len());
        let values = SecretValues::parse(&secret).unwrap();
        let keys = values.get("TOKEN_SIGNING_KEYS").unwrap();
        assert_eq!(keys.matches("BEGIN PRIVATE KEY").count(), 4, "three RSA keys and a P-256 one");
        let parties: serde_json::Value = serde_json::from_str(&values.get("RELYING_PARTIES").unwrap()).unwrap();
        assert_eq!(parties.as_array().unwrap().len(), MAX_DOCUMENTED_CLIENTS);
        // The stand-in keys are as long as the longest real one (RFC 9500's DER is 3 bytes shorter).
        let fixture = include_str!("../../tests/rfc9500-test-rsa2048.pem");
        let real = &fixture[fixture.find("-----BEGIN").unwrap()..];
        let stand_in = values.get("VONAGE_APPLICATION_PRIVATE_KEY").unwrap();
        assert!(stand_in.len() >= real.len(), "{} < {}", stand_in.len(), real.len());
    }

    #[test]
    fn the_secret_is_an_object_of_text_and_its_errors_hold_no_value() {
        let values = SecretValues::parse(r#"{"TOKEN_SIGNING_KEYS": "k", "PHONE_HASH_KEY": "h"}"#).unwrap();
        assert_eq!(values.lookup("TOKEN_SIGNING_KEYS").as_deref(), Some("k"));
        assert_eq!(values.lookup("PHONE_HASH_KEY"), None, "only the sign-in material comes from the secret");
        assert_eq!(values.get("PHONE_HASH_KEY").as_deref(), Some("h"));
        assert_eq!(format!("{values:?}"), r#"{"PHONE_HASH_KEY", "TOKEN_SIGNING_KEYS"}"#);

        let refusals = [
            ("not json: hunter2", SecretError::NotJson { line: 1, column: 2 }),
            (r#"["hunter2"]"#, SecretError::NotAnObject),
            (r#"{"TOKEN_SIGNING_KEYS": ["hunter2"]}"#, SecretError::NotText("TOKEN_SIGNING_KEYS".into())),
        ];
        for (text, expected) in refusals {
            let error = SecretValues::parse(text).unwrap_err();
            assert_eq!(error, expected, "{text}");
            assert!(!error.to_string().contains("hunter2"), "{error}");
        }
    }
}
