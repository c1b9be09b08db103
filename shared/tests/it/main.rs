//! The crate's integration tests, one binary (each links the AWS SDK and the HTTP stack once,
//! not once a file): a module each.

mod concurrent_checks;
mod dynamo_unreachable;
mod dynamo_wire;
mod layers;
mod lost_answers;
mod service_dynamodb;
mod sign_in_contract;
mod store_contract;
mod turnstile;
mod vonage_simulator;
mod vonage_wire;
