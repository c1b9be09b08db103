//! The domain: values that are valid once held (a phone number, a code, a request id), the keyed
//! hashes the store uses for numbers and addresses, and the verification record with its rule.

pub mod otp_code;
pub mod phone;
pub mod request_id;
pub mod subject_key;
pub mod verification;
