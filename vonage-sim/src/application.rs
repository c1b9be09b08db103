//! The Vonage application the simulator stands for: its id, and the public half of the key pair
//! whose private half signs the application's API JWTs (see [`crate::jwt`]).
//!
//! By default that is a development application whose private key is published (RFC 9500's
//! `testRSA2048`), so that any local client can sign for it; a host that signs with its own key
//! configures the simulator with [`public_key_of`] that key.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::signature::{KeyPair as _, RsaKeyPair};

/// The development application's private key (PKCS#8 PEM): RFC 9500's published test key, so
/// never one that guards anything real.
pub const DEV_APPLICATION_KEY_PEM: &str = include_str!("../dev-application.pem");

/// The development application's id, shaped as Vonage's are (a UUID).
pub const DEV_APPLICATION_ID: &str = "00000000-0000-4000-8000-000000000001";

const BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
const END: &str = "-----END PRIVATE KEY-----";

/// The public key (PKCS#1 `RSAPublicKey`, DER) of an RSA private key in PKCS#8 PEM, as Vonage's
/// dashboard hands it out; text around the PEM block is ignored.
pub fn public_key_of(private_pem: &str) -> Result<Vec<u8>, String> {
    let start = private_pem
        .find(BEGIN)
        .ok_or_else(|| format!("no `{BEGIN}` line: the key must be PKCS#8 PEM, as Vonage issues it"))?;
    let rest = &private_pem[start + BEGIN.len()..];
    let end = rest.find(END).ok_or_else(|| format!("no `{END}` line"))?;
    let base64: String = rest[..end].chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let der = STANDARD.decode(base64).map_err(|e| format!("the PEM block is not base64: {e}"))?;
    let pair = RsaKeyPair::from_pkcs8(&der).map_err(|e| format!("not an RSA private key: {e}"))?;
    Ok(pair.public_key().as_ref().to_vec())
}

/// The development application's public key, derived once: checking an RSA private key takes a
/// moment in a debug build, and every default configuration needs it.
pub fn dev_public_key() -> Vec<u8> {
    static KEY: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| {
        public_key_of(DEV_APPLICATION_KEY_PEM).expect("the development key shipped with the crate is valid")
    });
    KEY.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dev_key_gives_a_2048_bit_public_key() {
        let key = dev_public_key();
        // A DER SEQUENCE of a 2048-bit modulus and the exponent: 270 bytes.
        assert_eq!((key[0], key.len()), (0x30, 270));
    }

    #[test]
    fn refuses_what_is_not_a_pkcs8_rsa_key() {
        assert!(public_key_of("").unwrap_err().contains("PKCS#8"));
        let pkcs1 = DEV_APPLICATION_KEY_PEM.replace("PRIVATE KEY", "RSA PRIVATE KEY");
        assert!(public_key_of(&pkcs1).is_err());
        let garbled = DEV_APPLICATION_KEY_PEM.replace("MII", "!!!");
        assert!(public_key_of(&garbled).unwrap_err().contains("base64"));
        let truncated = DEV_APPLICATION_KEY_PEM.replacen("MII", "MIA", 1);
        assert!(public_key_of(&truncated).is_err());
    }
}
