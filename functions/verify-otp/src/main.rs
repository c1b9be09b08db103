//! The verify-otp Lambda function: configuration and clients once per cold start, then the handler.

use std::convert::Infallible;

use lambda_http::{Error, run, service_fn};

// One event at a time per instance: a single-threaded runtime starts faster and uses less memory.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let deps = shared::runtime::bootstrap::lambda_deps_with_tokens_or_exit().await;
    run(service_fn(|req| async { Ok::<_, Infallible>(verify_otp::handle(&deps, req).await) })).await
}
