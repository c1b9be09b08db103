//! The crate's integration tests, one binary (each links the AWS SDK and the HTTP stack once,
//! not once a file): a module each.

mod deployment;
mod limits;
mod logs;
mod metrics;
mod openapi;
mod publish;
