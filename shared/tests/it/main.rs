//! The crate's integration tests, one binary (each links the AWS SDK and the HTTP stack once,
//! not once a file): a module each.

/// Runs each of `tests` against both stores: memory, and DynamoDB (moto, as the test command
/// starts it); each test is an `async fn(store)` of the module that names it.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)] async fn $name() { super::$name(shared::adapters::MemoryStore::new()).await; })*
        }
        mod dynamodb {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)] async fn $name() { super::$name(shared::testing::dynamo_store().await).await; })*
        }
    };
}

mod aws_sms_simulator;
mod concurrent_checks;
mod dynamo_unreachable;
mod dynamo_wire;
mod layers;
mod lost_answers;
mod service_dynamodb;
mod sign_in_contract;
mod sign_in_secret;
mod store_contract;
mod throttled_store;
mod turnstile;
mod vonage_simulator;
mod vonage_wire;
