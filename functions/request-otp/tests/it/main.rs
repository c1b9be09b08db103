//! The crate's integration tests, one binary (each links the AWS SDK and the HTTP stack once,
//! not once a file): a module each.

// The handlers' futures nest deeper than rustc's default of 128 queries when their layout is
// computed over both providers' calls.
#![recursion_limit = "256"]

mod channels;
mod cold_start;
mod handler;
