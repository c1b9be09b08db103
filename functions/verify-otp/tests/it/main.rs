//! The crate's integration tests, one binary (each links the AWS SDK and the HTTP stack once,
//! not once a file): a module each.

mod cold_start;
mod handler;
mod sign_in;
