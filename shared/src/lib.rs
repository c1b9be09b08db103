//! What both functions share, in layers: each module uses only those of its own layer and the
//! ones below (`tests/it/layers.rs` keeps it so).
//!
//! 1. The ground: [`domain`], the product's words, valid once held (phone numbers, codes, ids, the
//!    keyed hashes, the verification record, the limits and prices); [`clock`], time as a port;
//!    [`telemetry`], what every layer reports with (logs, metrics, a panic's answer).
//! 2. [`ports`]: what the service needs from the outside (a provider, a store).
//! 3. [`service`]: the verification rules, over the ports.
//! 4. [`adapters`]: Vonage Verify, DynamoDB, memory, Turnstile and the sign-in secret, behind
//!    the ports, with their one TLS provider.
//! 5. [`http`]: the edge in front of the service (errors, request rules, CloudFront, CORS).
//! 6. [`sign_in`]: the OpenID Connect provider, a part of its own on the verification service,
//!    with floors of its own inside.
//! 7. [`runtime`]: a process's settings, its wiring at a cold start, and the routes.
//! 8. [`testing`] (feature `testing`): the harness the tests share.

// 1. The ground.
pub mod clock;
pub mod domain;
pub mod telemetry;

// 2. What the service needs from outside.
pub mod ports;

// 3. The rules.
pub mod service;

// 4. Behind the ports.
pub mod adapters;

// 5. In front of the service.
pub mod http;

// 6. Sign-in, above all of it.
pub mod sign_in;

// 7. A process.
pub mod runtime;

// 8. The tests' harness.
#[cfg(feature = "testing")]
pub mod testing;
