//! The adapters behind the ports: Vonage Verify (the provider), DynamoDB (the deployed store,
//! with its sealed fields) and memory (the test fake and the local store); and Cloudflare
//! Turnstile, the optional bot check in front of request-otp; and the one TLS provider they all
//! use ([`tls`]); and the sign-in secret verify-otp reads at its start ([`sign_in_secret`]).

pub mod aws_sms;
pub mod dynamo;
pub mod failover;
pub mod memory;
pub mod owned_codes;
pub mod record_cipher;
pub mod sign_in_secret;
pub mod tls;
pub mod turnstile;
pub mod vonage;

pub use dynamo::DynamoStore;
pub use memory::MemoryStore;
pub use record_cipher::RecordCipher;
pub use vonage::VonageClient;
