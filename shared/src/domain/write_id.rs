//! The id of one write, so that a store applies it at most once.

/// Names one write (a reservation, a check's attempt) so that the store can tell a retry of it
/// from a second write. A retry happens when an answer is lost: the SDK tries again a call whose
/// first try timed out or lost its connection, though that first try may have been applied. A
/// store applies a write at most once per id, and a retry of an applied write succeeds as the
/// first did.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WriteId(String);

impl WriteId {
    /// 128 random bits as 32 hex digits (within DynamoDB's 36-character `ClientRequestToken`).
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as a store read it back; no check, since only the store's own writes carry it.
    pub fn from_stored(id: impl Into<String>) -> Self {
        Self(id.into())
    }
}
