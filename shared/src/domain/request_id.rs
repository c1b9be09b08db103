//! The id a client holds between asking for a code and checking it.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a request id issued by this service")]
pub struct RequestIdError;

/// 128 random bits as 32 lowercase hex digits. Also sent to Vonage as `client_ref`, which
/// allows 1–40 alphanumerics, and fits the legacy API's 32-character limit for ids.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(String);

impl RequestId {
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }

    pub fn parse(input: &str) -> Result<Self, RequestIdError> {
        let valid = input.len() == 32 && input.bytes().all(|b| b.is_ascii_hexdigit());
        if valid { Ok(Self(input.to_ascii_lowercase())) } else { Err(RequestIdError) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_back() {
        let id = RequestId::generate();
        assert_eq!(RequestId::parse(id.as_str()), Ok(id.clone()));
        assert_ne!(RequestId::generate(), id);
    }

    #[test]
    fn normalizes_case_and_refuses_other_shapes() {
        let upper = "ABCDEF0123456789ABCDEF0123456789";
        assert_eq!(RequestId::parse(upper).unwrap().as_str(), upper.to_ascii_lowercase());
        for bad in ["", "abc", "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", "550e8400-e29b-41d4-a716-446655440000"] {
            assert_eq!(RequestId::parse(bad), Err(RequestIdError), "{bad}");
        }
    }
}
