//! The one-time code a person types.

use std::fmt;

/// Shortest and longest code both Vonage APIs accept (v2 allows 4–10; legacy v1 only 4 or 6).
pub const MIN_CODE_LENGTH: u8 = 4;
pub const MAX_CODE_LENGTH: u8 = 10;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the code must be {expected_length} digits")]
pub struct OtpCodeError {
    pub expected_length: u8,
}

/// A code of exactly the configured number of ASCII digits.
///
/// `Debug` hides the digits: a code must never reach a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct OtpCode(String);

impl OtpCode {
    pub fn parse(input: &str, length: u8) -> Result<Self, OtpCodeError> {
        let input = input.trim();
        let valid = input.len() == usize::from(length) && input.bytes().all(|b| b.is_ascii_digit());
        if valid { Ok(Self(input.to_owned())) } else { Err(OtpCodeError { expected_length: length }) }
    }

    /// The digits, for the one place that needs them: the request to the provider.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for OtpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OtpCode(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_exact_ascii_digits() {
        assert_eq!(OtpCode::parse("123456", 6).unwrap().expose(), "123456");
        assert_eq!(OtpCode::parse(" 012345 ", 6).unwrap().expose(), "012345");
        assert_eq!(OtpCode::parse("0123", 4).unwrap().expose(), "0123");
    }

    #[test]
    fn refuses_everything_else() {
        for input in ["", "12345", "1234567", "12a456", "١٢٣٤٥٦", "１２３４５６", "12 456", "-12345"] {
            assert_eq!(OtpCode::parse(input, 6), Err(OtpCodeError { expected_length: 6 }), "{input}");
        }
    }

    #[test]
    fn debug_never_shows_the_digits() {
        let code = OtpCode::parse("987654", 6).unwrap();
        assert!(!format!("{code:?}").contains("987654"));
    }
}
