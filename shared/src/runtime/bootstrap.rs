//! Wiring: what a handler needs, built once per cold start.

use std::time::Duration;

use aws_config::SdkConfig;

use crate::adapters::aws_sms::AwsSms;
use crate::adapters::failover::Failover;
use crate::adapters::owned_codes::{OwnedCodeSettings, OwnedCodes};
use crate::adapters::sign_in_secret::{SECRET_HELD, SecretError, SecretReader, SecretValues, VONAGE_HELD};
use crate::adapters::tls::aws_sdk_config;
use crate::adapters::turnstile::Turnstile;
use crate::adapters::vonage::VonageClient;
use crate::adapters::{DynamoStore, RecordCipher};
use crate::clock::{Clock, SystemClock};
use crate::domain::phone::CountryAllowList;
use crate::domain::subject_key::SubjectHasher;
use crate::http::Edge;
use crate::ports::{Providers, VerificationStore};
use crate::runtime::config::{Config, ConfigError, Settings, StoreConfig, TokenConfig};
use crate::service::VerificationService;
use crate::sign_in::service::SignIn;

/// Everything a handler uses, generic over the ports so that tests and the local server can
/// plug in their own store and clock.
pub struct HandlerDeps<P, S, C> {
    pub service: VerificationService<P, S, C>,
    pub edge: Edge,
    pub allowed_countries: CountryAllowList,
    /// The bot check before any SMS, when one is configured.
    pub bot_check: Option<Turnstile>,
    /// Sign-in: the OpenID Connect provider's keys and clients (verify-otp's, when configured).
    pub tokens: Option<TokenConfig>,
    /// The secret Vonage signs its status callbacks with (`VONAGE_SIGNATURE_SECRET`); `None`:
    /// callbacks are not taken.
    pub callback_secret: Option<secrecy::SecretString>,
    /// The Vonage application the callbacks must be for, where one is set.
    pub callback_application: Option<String>,
}

/// The providers the deployed functions send through: Vonage, and AWS End User Messaging
/// carrying the service's own codes where it is configured (request-otp's; verify-otp carries
/// nothing, [`NoCarrier`], and judges those codes with its key alone).
pub type LambdaProviders<C = AwsSms> = Failover<VonageClient, OwnedCodes<C>>;

/// What the deployed functions run on: request-otp's, with AWS's client.
pub type LambdaDeps<C = AwsSms> = HandlerDeps<LambdaProviders<C>, DynamoStore, SystemClock>;

/// verify-otp's: no carrier, so that its binary holds no AWS End User Messaging client.
pub type VerifyDeps = LambdaDeps<NoCarrier>;

/// No carrier at all: verify-otp's, which sends nothing.
pub enum NoCarrier {}

impl crate::ports::MessageCarrier for NoCarrier {
    fn name(&self) -> crate::domain::provider::ProviderName {
        match *self {}
    }

    async fn send(
        &self,
        _: &crate::domain::phone::PhoneNumber,
        _: crate::domain::channel::Delivery,
        _: &str,
        _: u32,
    ) -> Result<(), crate::ports::ProviderError> {
        match *self {}
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("startup error: {0}")]
    Client(String),
    /// The sign-in secret could not be read (named, never a value of it).
    #[error("startup error: the sign-in secret `{secret}` {problem}")]
    Secret { secret: String, problem: SecretError },
    /// A setting read from the sign-in secret is wrong.
    #[error("{error} (in the sign-in secret `{secret}`)")]
    InSecret { error: ConfigError, secret: String },
}

impl<P: Providers, S: VerificationStore, C: Clock> HandlerDeps<P, S, C> {
    pub fn new(config: Config, provider: P, store: S, clock: C) -> Self {
        let callback_secret = config.vonage.signature_secret.clone();
        let callback_application = config.vonage.application.as_ref().map(|jwt| jwt.application_id().to_owned());
        if callback_application.is_some() && callback_secret.is_none() {
            tracing::warn!("a Vonage application without VONAGE_SIGNATURE_SECRET: its status callbacks are refused");
        }
        let hasher = SubjectHasher::new(config.phone_hash_key);
        crate::telemetry::metrics::set_namespace(config.metrics_namespace);
        Self {
            service: VerificationService::new(provider, store, clock, hasher, config.policy),
            edge: config.edge,
            allowed_countries: config.allowed_countries,
            bot_check: config.bot_check.map(Turnstile::new),
            tokens: None,
            callback_secret,
            callback_application,
        }
    }

    /// The same, with sign-in on (`tokens`).
    pub fn with_tokens(self, tokens: Option<TokenConfig>) -> Self {
        Self { tokens, ..self }
    }
}

impl<P, S, C> HandlerDeps<P, S, C> {
    /// Sign-in over this process's verification service, when it is on.
    pub fn sign_in(&self) -> Option<SignIn<'_, P, S, C>> {
        self.tokens.as_ref().map(|tokens| SignIn::new(&self.service, tokens))
    }
}

impl LambdaDeps {
    /// Reads the environment and the Vonage secret (where `VONAGE_SECRET_ID` names one) and
    /// builds the Vonage, DynamoDB and (where it is on) AWS End User Messaging clients.
    pub async fn from_env() -> Result<Self, StartupError> {
        let store_config = StoreConfig::from_env()?;
        let sdk = aws_sdk_config(store_config.timeouts()).await;
        let secret = vonage_secret(&sdk).await?;
        let config = config_with_secret(secret.as_ref(), env)?;
        Self::from_config(config, &store_config, &sdk, |settings| Some(AwsSms::new(&sdk, settings))).await
    }
}

impl VerifyDeps {
    /// verify-otp's: the same without a carrier, with sign-in on when `TOKEN_ISSUER` is set, its
    /// keys and clients read from the sign-in secret while the connections are being made.
    pub async fn from_env_with_sign_in() -> Result<Self, StartupError> {
        let store_config = StoreConfig::from_env()?;
        let sdk = aws_sdk_config(store_config.timeouts()).await;
        let config = config_with_secret(vonage_secret(&sdk).await?.as_ref(), env)?;
        let deps = Self::from_config(config, &store_config, &sdk, |_| None);
        let (deps, tokens) = tokio::join!(deps, sign_in_from_env(&sdk));
        Ok(deps?.with_tokens(tokens?))
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The Vonage secret, where `VONAGE_SECRET_ID` names one: read once (one `GetSecretValue`).
pub async fn vonage_secret(sdk: &SdkConfig) -> Result<Option<(String, SecretValues)>, StartupError> {
    let Some(secret_id) = crate::runtime::config::vonage_secret_id(&Settings::new(env))? else { return Ok(None) };
    let secret = SecretReader::new(sdk)
        .read(&secret_id)
        .await
        .map_err(|problem| StartupError::Secret { secret: secret_id.clone(), problem })?;
    Ok(Some((secret_id, secret)))
}

/// The settings from `env`, and the Vonage account's ([`VONAGE_HELD`]) from `secret` where the
/// environment has none; an error in one of those names the secret it came from.
pub fn config_with_secret(
    secret: Option<&(String, SecretValues)>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Config, StartupError> {
    let lookup = |name: &str| env(name).or_else(|| secret.and_then(|(_, values)| values.lookup_vonage(name)));
    Config::from_settings(&Settings::new(lookup)).map_err(|error| match secret {
        Some((id, _)) if VONAGE_HELD.contains(&error.variable) && env(error.variable).is_none() => {
            StartupError::InSecret { error, secret: id.clone() }
        }
        _ => StartupError::Config(error),
    })
}

impl<C: crate::ports::MessageCarrier> LambdaDeps<C> {
    async fn from_config(
        config: Config,
        store_config: &StoreConfig,
        sdk: &SdkConfig,
        carrier: impl FnOnce(crate::adapters::aws_sms::AwsSmsSettings) -> Option<C>,
    ) -> Result<Self, StartupError> {
        announce_test_numbers(&config);
        let vonage = VonageClient::new(config.vonage.clone()).map_err(StartupError::Client)?;
        let cipher = RecordCipher::derive(&config.phone_hash_key);
        let store = DynamoStore::with_sdk_config(sdk, store_config.table_name.clone(), cipher);
        let wait = if store_config.on_this_machine { LOCAL_CONNECT_WAIT } else { CONNECT_WAIT };
        connect_ahead(&vonage, &store, wait).await;
        let providers = providers(&config, vonage, carrier);
        Ok(Self::new(config, providers, store, SystemClock))
    }
}

/// Vonage, and the second provider where the settings turn it on and `carrier` makes one (the
/// deployed request-otp's AWS client; the local server's, on its simulator; verify-otp's none),
/// in the settings' order.
pub fn providers<C: crate::ports::MessageCarrier>(
    config: &Config,
    vonage: VonageClient,
    carrier: impl FnOnce(crate::adapters::aws_sms::AwsSmsSettings) -> Option<C>,
) -> Failover<VonageClient, OwnedCodes<C>> {
    let carrier = config.aws_sms.clone().and_then(carrier);
    let second = carrier.map(|carrier| {
        let owned = OwnedCodeSettings {
            brand: config.vonage.brand.clone(),
            host: config.code_message_host.clone(),
            code_length: config.policy.code_length,
            ttl_seconds: config.policy.ttl_seconds,
            key: config.phone_hash_key.clone(),
        };
        OwnedCodes::new(carrier, owned)
    });
    Failover::new(vonage, second, config.provider_order.clone(), config.phone_hash_key.clone())
}

/// Sign-in's settings: from the environment, and, when it names a sign-in secret
/// (`SIGN_IN_SECRET_ID`), the keys and clients from that secret, read once (one `GetSecretValue`).
pub async fn sign_in_from_env(sdk: &SdkConfig) -> Result<Option<TokenConfig>, StartupError> {
    let Some(secret_id) = TokenConfig::secret_id(&Settings::new(env))? else {
        return Ok(TokenConfig::from_env()?);
    };
    let secret = SecretReader::new(sdk)
        .read(&secret_id)
        .await
        .map_err(|problem| StartupError::Secret { secret: secret_id.clone(), problem })?;
    sign_in_with_secret(&secret_id, &secret, env)
}

/// Sign-in's settings from `env`, then, for the names the secret holds ([`SECRET_HELD`]), from
/// `secret`; an error in one of those names the secret it came from. The secret must hold
/// `RELYING_PARTY_SECRETS` (`{}` for none), so that a forgotten one does not make every client
/// public.
pub fn sign_in_with_secret(
    secret_id: &str,
    secret: &SecretValues,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<TokenConfig>, StartupError> {
    const CLIENT_SECRETS: &str = "RELYING_PARTY_SECRETS";
    if env(CLIENT_SECRETS).is_none() && secret.get(CLIENT_SECRETS).is_none() {
        let problem = "is required in the secret with sign-in on (`{}` for no confidential client)".to_owned();
        let error = ConfigError { variable: CLIENT_SECRETS, problem };
        return Err(StartupError::InSecret { error, secret: secret_id.to_owned() });
    }
    TokenConfig::from_settings(&Settings::new(|name: &str| env(name).or_else(|| secret.lookup(name)))).map_err(
        |error| {
            if SECRET_HELD.contains(&error.variable) && env(error.variable).is_none() {
                StartupError::InSecret { error, secret: secret_id.to_owned() }
            } else {
                StartupError::Config(error)
            }
        },
    )
}

/// Says at start how many test numbers are on, never which: an operator reading the logs of a
/// production stage sees the exception it makes (fixed codes, nothing sent).
pub fn announce_test_numbers(config: &Config) {
    let count = config.policy.test_numbers.len();
    if count > 0 {
        tracing::warn!(count, "test numbers are on: their codes are fixed and nothing is sent to them");
    }
}

/// How long a cold start waits for its connections to DynamoDB and Vonage: DynamoDB in the same
/// region answers in milliseconds, Vonage's API in tens; if the network is slow the start goes on
/// without them, and the first call connects.
pub const CONNECT_WAIT: Duration = Duration::from_millis(500);

/// The same against a DynamoDB-compatible server on this machine (tests, the local loop, the
/// benchmark): on a loaded machine it can take seconds, and a connection given up on mid-request
/// is closed, so that the first call would connect after all.
pub const LOCAL_CONNECT_WAIT: Duration = Duration::from_secs(60);

/// Opens both connections at once during init, so that the first invocation does not pay for TCP
/// and TLS set-up: the SDK would otherwise connect on the first call, and a TLS handshake is slow
/// within a 128 MB invocation's small share of a CPU.
async fn connect_ahead(provider: &VonageClient, store: &DynamoStore, wait: Duration) {
    let both = async { tokio::join!(provider.connect(), store.connect()) };
    if tokio::time::timeout(wait, both).await.is_err() {
        tracing::warn!("DynamoDB and Vonage were not both connected within {wait:?}; the first call will connect");
    }
}

/// Builds the deployed functions' dependencies, or ends the process with one line naming what is
/// wrong (a cold start that cannot serve should fail loudly, not answer 500s).
pub async fn lambda_deps_or_exit() -> LambdaDeps {
    or_exit(LambdaDeps::from_env().await)
}

/// verify-otp's: the same without a carrier, issuing tokens when `TOKEN_ISSUER` is set.
pub async fn lambda_deps_with_tokens_or_exit() -> VerifyDeps {
    or_exit(VerifyDeps::from_env_with_sign_in().await)
}

fn or_exit<T>(result: Result<T, StartupError>) -> T {
    match result {
        Ok(value) => value,
        Err(e) => {
            // Plain stderr: the one line CloudWatch shows for a failed cold start.
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
