//! The domain: values that are valid once held (a phone number, a code, a request id), the keyed
//! hashes the store uses for numbers and addresses, the verification record with its rule, the
//! limits on sending with the SMS and call price tables, the rules that refuse a request
//! ([`rule`]), the channel and language a code is sent in, the sign-in flow a code may be asked
//! for in ([`flow_id`]: only its id; the sign-in itself is `crate::sign_in`'s), and the
//! operator's test numbers ([`test_numbers`]), and a code the service owns for a provider that
//! only carries a message ([`owned_code`]).

pub mod aws_prices;
pub mod breaker;
pub mod channel;
pub mod flow_id;
pub mod limits;
pub mod locale;
pub mod otp_code;
pub mod owned_code;
pub mod pem;
pub mod phone;
pub mod price;
pub mod provider;
pub mod request_id;
pub mod rule;
pub mod status_report;
pub mod subject_key;
pub mod test_numbers;
pub mod verification;
pub mod whatsapp_prices;
pub mod write_id;
