//! A Lambda function that answers every event with an empty 200, built like the real ones: the
//! benchmark's measure of what lambda_runtime's own share of a warm invocation costs.

use lambda_http::{Body, Error, Response, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    run(service_fn(|_| async { Ok::<_, std::convert::Infallible>(Response::new(Body::Empty)) })).await
}
