//! The bot check before any SMS: a Cloudflare Turnstile token, validated with siteverify.
//! It fails closed: no token, a token siteverify does not vouch for (forged, expired, already
//! used, minted for another site or another action), an answer that is not siteverify's JSON, or
//! no answer in time is a refusal, never a pass. Each token is validated once (siteverify's own
//! rule); a retry after a lost answer carries the same idempotency key, as Cloudflare asks.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

/// Cloudflare's endpoint.
pub const DEFAULT_SITEVERIFY_URL: &str = "https://challenges.cloudflare.com/turnstile/v0/siteverify";

/// The action the page's widget names, and the only one accepted here.
pub const ACTION: &str = "request-otp";

/// Turnstile's longest token.
const MAX_TOKEN_CHARS: usize = 2048;

/// Cloudflare's test secret keys (always passes, always fails, token already spent) answer for
/// the dummy token alone, with a fixed hostname and action, which are then not checked.
pub const TEST_SECRETS: [&str; 3] = [
    "1x0000000000000000000000000000000AA",
    "2x0000000000000000000000000000000AA",
    "3x0000000000000000000000000000000AA",
];

#[derive(Debug, Clone)]
pub struct TurnstileSettings {
    pub secret: SecretString,
    pub siteverify_url: String,
    /// Hostnames a token must have been minted on (the site's); empty accepts any, as the
    /// widget's own hostname list in Cloudflare's dashboard then decides.
    pub hostnames: Vec<String>,
    /// For the whole check, a retry included.
    pub timeout: Duration,
}

/// Why a request did not pass the bot check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BotCheckError {
    /// No token, or one siteverify does not vouch for: the person is asked to try again.
    #[error("bot check refused: {0}")]
    Refused(String),
    /// Siteverify did not answer, or not as documented: try again shortly.
    #[error("bot check unavailable: {0}")]
    Unavailable(String),
    /// Siteverify refuses the secret key: the operator's to fix.
    #[error("bot check misconfigured: {0}")]
    Misconfigured(String),
}

#[derive(Debug, Clone)]
pub struct Turnstile {
    http: reqwest::Client,
    settings: TurnstileSettings,
}

impl Turnstile {
    pub fn new(settings: TurnstileSettings) -> Self {
        crate::adapters::tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .connect_timeout(settings.timeout)
            .user_agent(concat!("phone-verification/", env!("CARGO_PKG_VERSION")))
            .build()
            // Building fails only where TLS cannot start at all; the default client fails alike.
            .unwrap_or_default();
        Self { http, settings }
    }

    /// Passes if siteverify vouches for `token`, minted for this site's request-otp action.
    pub async fn verify(&self, token: Option<&str>, client_ip: &str) -> Result<(), BotCheckError> {
        let token = token.map(str::trim).filter(|t| !t.is_empty()).ok_or_else(|| refused("no token"))?;
        if token.chars().count() > MAX_TOKEN_CHARS {
            return Err(refused("a token longer than Turnstile's"));
        }
        let body = json!({
            "secret": self.settings.secret.expose_secret(),
            "response": token,
            "remoteip": client_ip,
            "idempotency_key": uuid::Uuid::new_v4().to_string(),
        });
        let answer =
            tokio::time::timeout(self.settings.timeout, self.siteverify_with_one_retry(&body)).await.map_err(
                |_| BotCheckError::Unavailable(format!("siteverify did not answer within {:?}", self.settings.timeout)),
            )??;
        self.judge(&answer)
    }

    /// Siteverify's answer; a transport failure or a 5xx is tried once more (same idempotency key).
    async fn siteverify_with_one_retry(&self, body: &Value) -> Result<Value, BotCheckError> {
        match self.siteverify(body).await {
            Err(BotCheckError::Unavailable(_)) => self.siteverify(body).await,
            answer => answer,
        }
    }

    async fn siteverify(&self, body: &Value) -> Result<Value, BotCheckError> {
        let unavailable = |why: String| BotCheckError::Unavailable(why);
        let response = self
            .http
            .post(&self.settings.siteverify_url)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| unavailable(format!("siteverify: {}", e.without_url())))?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| unavailable(format!("siteverify: {}", e.without_url())))?;
        if status.is_server_error() {
            return Err(unavailable(format!("siteverify answered HTTP {status}")));
        }
        serde_json::from_slice::<Value>(&bytes)
            .ok()
            .filter(|v| v.get("success").is_some_and(Value::is_boolean))
            .ok_or_else(|| unavailable(format!("siteverify answered HTTP {status} without its JSON")))
    }

    fn judge(&self, answer: &Value) -> Result<(), BotCheckError> {
        let codes: Vec<&str> =
            answer["error-codes"].as_array().map(|c| c.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        if answer["success"] != json!(true) {
            let codes = codes.join(", ");
            return Err(if codes.contains("input-secret") {
                BotCheckError::Misconfigured(format!("siteverify refused the secret key ({codes})"))
            } else if codes.contains("internal-error") {
                BotCheckError::Unavailable(format!("siteverify: {codes}"))
            } else {
                refused(&codes)
            });
        }
        let secret = self.settings.secret.expose_secret();
        if TEST_SECRETS.contains(&secret) {
            return Ok(());
        }
        let action = answer["action"].as_str().unwrap_or_default();
        if action != ACTION {
            return Err(refused(&format!("a token for action `{action}`")));
        }
        let hostname = answer["hostname"].as_str().unwrap_or_default();
        if !self.settings.hostnames.is_empty() && !self.settings.hostnames.iter().any(|h| h == hostname) {
            return Err(refused(&format!("a token minted on `{hostname}`")));
        }
        Ok(())
    }
}

fn refused(why: &str) -> BotCheckError {
    BotCheckError::Refused(why.to_owned())
}
