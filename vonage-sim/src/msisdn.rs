//! Numbers as Vonage writes them.

/// E.164 digits without `+`: 7 to 15 digits, not starting with 0.
pub fn is_msisdn(to: &str) -> bool {
    (7..=15).contains(&to.len()) && to.bytes().all(|b| b.is_ascii_digit()) && !to.starts_with('0')
}
