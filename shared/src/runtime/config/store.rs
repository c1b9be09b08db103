//! The table: its name and how long a call to it may take.

use super::*;

/// The DynamoDB table that holds verifications, cooldowns and counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    pub table_name: String,
    /// The endpoint the SDK is given (`AWS_ENDPOINT_URL_DYNAMODB`) is a server on this machine:
    /// the tests', the local loop's or the benchmark's moto, never a deployment's (a FIPS or VPC
    /// endpoint is not on loopback).
    pub on_this_machine: bool,
}

impl StoreConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_settings(&Settings::new(|name| std::env::var(name).ok()))
    }

    pub fn from_settings<F: Fn(&str) -> Option<String>>(s: &Settings<F>) -> Result<Self, ConfigError> {
        let table_name = s.required("TABLE_NAME")?;
        let valid = (3..=255).contains(&table_name.len())
            && table_name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
        if !valid {
            return Err(ConfigError::new("TABLE_NAME", "must be 3 to 255 of a-z, A-Z, 0-9, `_`, `-`, `.`"));
        }
        Ok(Self { table_name, on_this_machine: dynamodb_on_this_machine(s) })
    }

    /// How long a DynamoDB call may take: the deployed bounds, or bounds against a hang only for a
    /// server on this machine (one Python process shared with every other test).
    pub fn timeouts(&self) -> aws_sdk_dynamodb::config::timeout::TimeoutConfig {
        if self.on_this_machine { dynamo::patient_timeouts() } else { dynamo::timeouts() }
    }
}

/// Whether `AWS_ENDPOINT_URL_DYNAMODB`, the endpoint the SDK reads, is on this machine.
pub fn dynamodb_on_this_machine<F: Fn(&str) -> Option<String>>(s: &Settings<F>) -> bool {
    s.get("AWS_ENDPOINT_URL_DYNAMODB").is_some_and(|url| is_loopback_url(&url))
}
