//! What runs the service in a process: settings, wiring at a cold start, logging, metrics, the
//! TLS provider, and the answer a panic gets.

pub mod bootstrap;
pub mod config;
pub mod metrics;
pub mod panic_answer;
pub mod telemetry;
pub mod tls;
