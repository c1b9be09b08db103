//! The one TLS stack of the binaries: rustls with ring, for the AWS SDK's clients and for reqwest.

use aws_sdk_dynamodb::config::SharedHttpClient;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};

/// Makes ring rustls' process-wide provider, which reqwest (built with `rustls-no-provider`)
/// uses. Idempotent.
pub fn install_crypto_provider() {
    // Err only means a provider is already installed: by an earlier call, which is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The AWS SDK's HTTPS client on rustls with ring (aws-config's default would bring aws-lc-rs).
pub fn aws_http_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https()
}

/// The AWS SDK's configuration from the environment (credentials, region, endpoints), on that
/// client, within `timeouts`: loaded once per cold start for every AWS client the function has.
pub async fn aws_sdk_config(timeouts: aws_sdk_dynamodb::config::timeout::TimeoutConfig) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(aws_http_client())
        .timeout_config(timeouts)
        .load()
        .await
}
