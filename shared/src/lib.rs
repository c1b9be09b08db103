//! What both functions share: the domain types, the verification service and its ports, the
//! Vonage and DynamoDB adapters, configuration, and the HTTP edge.

pub mod bootstrap;
pub mod clock;
pub mod config;
pub mod http;
pub mod otp_code;
pub mod panic_answer;
pub mod phone;
pub mod ports;
pub mod request_id;
pub mod service;
pub mod store;
pub mod subject_key;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tls;
pub mod vonage;
