//! What both functions share, in layers:
//!
//! - [`domain`]: phone numbers, codes, request ids, keyed hashes, the verification record;
//! - [`ports`]: what the service needs from the outside (a provider, a store), and [`clock`];
//! - [`service`]: the verification rules, over the ports;
//! - [`adapters`]: Vonage Verify, DynamoDB and memory behind the ports;
//! - [`http`]: the edge in front of the service (errors, request rules, CloudFront, CORS);
//! - [`runtime`]: settings, wiring, logging and TLS for a process.

pub mod adapters;
pub mod clock;
pub mod domain;
pub mod http;
pub mod ports;
pub mod runtime;
pub mod service;
#[cfg(feature = "testing")]
pub mod testing;
