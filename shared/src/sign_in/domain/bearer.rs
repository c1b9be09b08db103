//! What a browser carries for the provider and the store keeps only as a hash: an authorization
//! code, a session's id. 256 random bits, base64url (43 characters); never printed; keyed in the
//! store by its SHA-256, so a copy of the table holds nothing that can be presented.

use std::marker::PhantomData;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::{SecureRandom, SystemRandom};
use sha2::{Digest, Sha256};

/// What a [`Bearer`] is for: its name, as `Debug` shows it (never its value).
pub trait Kind {
    const NAME: &'static str;
}

pub struct Bearer<K> {
    value: String,
    kind: PhantomData<K>,
}

impl<K: Kind> Bearer<K> {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        SystemRandom::new().fill(&mut bytes).expect("the system's random source works");
        Self { value: URL_SAFE_NO_PAD.encode(bytes), kind: PhantomData }
    }

    /// One as a browser or a client presents it: 43 characters of base64url.
    pub fn parse(input: &str) -> Option<Self> {
        let shaped = input.len() == 43 && URL_SAFE_NO_PAD.decode(input).is_ok_and(|bytes| bytes.len() == 32);
        shaped.then(|| Self { value: input.to_owned(), kind: PhantomData })
    }

    /// For the redirect or the cookie only.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// What the store keys it by: SHA-256, 64 hex digits.
    pub fn digest(&self) -> String {
        hex::encode(Sha256::digest(self.value.as_bytes()))
    }
}

impl<K> Clone for Bearer<K> {
    fn clone(&self) -> Self {
        Self { value: self.value.clone(), kind: PhantomData }
    }
}

impl<K> PartialEq for Bearer<K> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<K> Eq for Bearer<K> {}

impl<K: Kind> std::fmt::Debug for Bearer<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}(…)", K::NAME)
    }
}
