//! What runs the service in a process: settings, wiring at a cold start, logging, the TLS
//! provider, and the answer a panic gets.

pub mod bootstrap;
pub mod config;
pub mod panic_answer;
pub mod telemetry;
pub mod tls;
