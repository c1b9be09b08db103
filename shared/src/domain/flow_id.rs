//! The sign-in flow a code is asked for in: the one thing of a sign-in the verification record
//! keeps (the sign-in part, `crate::sign_in`, holds the rest).

/// The id of a sign-in flow the person is going through: a random UUID (122 random bits) as 32
/// lowercase hex digits, held by the page between the authorization request and the verified code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FlowId(String);

impl FlowId {
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }

    pub fn parse(input: &str) -> Option<Self> {
        let valid = input.len() == 32 && input.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        valid.then(|| Self(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
