//! The OpenID Connect provider's tokens: ID tokens, what an application's back end can believe
//! about a verified number, and the access tokens that open userinfo. Each is a compact JWS
//! signed with ES256 (P-256) or RS256 (with `ring`, the binaries' one crypto stack), which any
//! standard JWT library checks offline against the published key set (`/.well-known/jwks.json`).
//!
//! Keys are PKCS#8 PEM blocks (`-----BEGIN PRIVATE KEY-----`), one after another: the first signs,
//! every one is published. A new key is added second (published before it signs), then moved first;
//! the old one stays published while tokens it signed can still be presented, then goes.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{
    self, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _, RSA_PKCS1_SHA256, RsaKeyPair,
};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::domain::channel::Channel;

/// The userinfo endpoint, under the issuer: the one audience of an access token.
pub const USERINFO_PATH: &str = "/oauth/userinfo";

use crate::domain::pem::pem_blocks;
/// How a PKCS#8 PEM block begins (what `openssl genpkey` writes).
pub use crate::domain::pem::{PEM_BEGIN, PEM_END};

struct SigningKey {
    kid: String,
    pair: KeyPair,
    jwk: Value,
}

/// A P-256 key signs ES256; an RSA key (2048 bits or more) RS256, which OpenID Connect Discovery
/// lists as mandatory and some platforms take alone.
enum KeyPair {
    Ec(EcdsaKeyPair),
    Rsa(RsaKeyPair),
}

impl KeyPair {
    fn from_pkcs8(der: &[u8], rng: &SystemRandom) -> Result<Self, String> {
        match EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der, rng) {
            Ok(pair) => Ok(Self::Ec(pair)),
            Err(ec) => RsaKeyPair::from_pkcs8(der).map(Self::Rsa).map_err(|rsa| format!("{ec}; as RSA: {rsa}")),
        }
    }

    fn alg(&self) -> &'static str {
        match self {
            Self::Ec(_) => "ES256",
            Self::Rsa(_) => "RS256",
        }
    }

    fn sign(&self, rng: &SystemRandom, message: &[u8]) -> Vec<u8> {
        match self {
            Self::Ec(pair) => pair.sign(rng, message).expect("signing with a valid key works").as_ref().to_vec(),
            Self::Rsa(pair) => {
                let mut signature = vec![0; pair.public().modulus_len()];
                pair.sign(&RSA_PKCS1_SHA256, rng, message, &mut signature).expect("signing with a valid key works");
                signature
            }
        }
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let (algorithm, public): (&dyn signature::VerificationAlgorithm, &[u8]) = match self {
            Self::Ec(pair) => (&signature::ECDSA_P256_SHA256_FIXED, pair.public_key().as_ref()),
            Self::Rsa(pair) => (&signature::RSA_PKCS1_2048_8192_SHA256, pair.public().as_ref()),
        };
        signature::UnparsedPublicKey::new(algorithm, public).verify(message, signature).is_ok()
    }
}

pub struct TokenSigner {
    keys: Vec<SigningKey>,
    issuer: String,
    lifetime: Duration,
    rng: SystemRandom,
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<&str> = self.keys.iter().map(|k| k.kid.as_str()).collect();
        f.debug_struct("TokenSigner").field("issuer", &self.issuer).field("kids", &kids).finish_non_exhaustive()
    }
}

impl TokenSigner {
    /// The keys in `pems` (the first signs), tokens issued by `issuer` and good for `lifetime`.
    pub fn new(pems: &str, issuer: impl Into<String>, lifetime: Duration) -> Result<Self, String> {
        let rng = SystemRandom::new();
        let keys = pem_blocks(pems)?
            .iter()
            .enumerate()
            .map(|(i, der)| {
                let pair = KeyPair::from_pkcs8(der, &rng).map_err(|e| {
                    format!("key {} is not a PKCS#8 P-256 or RSA (2048 bits or more) private key ({e})", i + 1)
                })?;
                let jwk = public_jwk(&pair);
                Ok(SigningKey { kid: thumbprint(&jwk), pair, jwk })
            })
            .collect::<Result<Vec<SigningKey>, String>>()?;
        for (i, key) in keys.iter().enumerate() {
            if let Some(first) = keys[..i].iter().position(|k| k.kid == key.kid) {
                return Err(format!("holds key {} twice (again as key {}): give each key once", first + 1, i + 1));
            }
        }
        if keys.is_empty() {
            return Err(format!("holds no key: each key is a PKCS#8 PEM block ({PEM_BEGIN} … {PEM_END})"));
        }
        Ok(Self { keys, issuer: issuer.into(), lifetime, rng })
    }

    /// A new P-256 key as a PKCS#8 PEM block.
    pub fn generate_pem() -> String {
        let document = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
            .expect("the system's random number generator works");
        let body = STANDARD.encode(document.as_ref());
        let lines: Vec<&str> = body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).expect("base64")).collect();
        format!("{PEM_BEGIN}\n{}\n{PEM_END}\n", lines.join("\n"))
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// How long a token lives, in seconds (an access token's `expires_in`).
    pub fn lifetime_seconds(&self) -> u64 {
        self.lifetime.as_secs()
    }

    /// The algorithms the keys sign with, the signing key's first (the provider's metadata lists
    /// them for ID tokens).
    pub fn algorithms(&self) -> Vec<&'static str> {
        let mut algorithms: Vec<&'static str> = Vec::new();
        for key in &self.keys {
            if !algorithms.contains(&key.pair.alg()) {
                algorithms.push(key.pair.alg());
            }
        }
        algorithms
    }

    /// The published key set: every key's public half, with its id.
    pub fn jwks(&self) -> Value {
        json!({ "keys": self.keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() })
    }

    /// An ID token (OpenID Connect Core §2): for `token.client_id`, about `token.subject` (the
    /// client's pairwise `sub`), with the request's nonce, when and how the number was verified
    /// (`auth_time`, `amr`), and the number itself where the `phone` scope was asked for.
    pub fn id_token(&self, token: &IdToken<'_>, now: OffsetDateTime) -> String {
        let mut claims = json!({
            "iss": self.issuer,
            "sub": token.subject,
            "aud": token.client_id,
            "iat": now.unix_timestamp(),
            "exp": self.expiry(now),
            "auth_time": token.auth_time.unix_timestamp(),
            "amr": [amr(token)],
        });
        if let Some(nonce) = token.nonce {
            claims["nonce"] = nonce.into();
        }
        if let Some(phone) = token.phone_e164 {
            claims["phone_number"] = phone.into();
            claims["phone_number_verified"] = true.into();
        }
        self.signed_with(token.alg, "JWT", &claims)
    }

    /// Whether a key signs `alg` (`RS256`, `ES256`).
    pub fn signs(&self, alg: &str) -> bool {
        self.keys.iter().any(|k| k.pair.alg() == alg)
    }

    /// Who an ID token of ours names, if it is one (signed by a published key, this issuer's):
    /// its `sub` and `aud`. Expired ones too: an `id_token_hint` is often an old token (OpenID
    /// Connect RP-Initiated Logout 1.0 §2), and it proves no one, it only says whom the client
    /// expects.
    pub fn read_id_token_hint(&self, token: &str) -> Option<(String, String)> {
        let claims = self.verified_claims(token, "JWT")?;
        if claims["iss"] != self.issuer.as_str() {
            return None;
        }
        Some((claims["sub"].as_str()?.to_owned(), claims["aud"].as_str()?.to_owned()))
    }

    /// The claims of `token` if a published key signed it, with header `typ`.
    fn verified_claims(&self, token: &str, typ: &str) -> Option<Value> {
        let (signed, signature) = token.rsplit_once('.')?;
        let (header, claims) = signed.split_once('.').filter(|(_, claims)| !claims.contains('.'))?;
        let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
        if header["typ"] != typ {
            return None;
        }
        let key = self.keys.iter().find(|k| header["kid"] == k.kid.as_str())?;
        if header["alg"] != key.pair.alg() {
            return None;
        }
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        if !key.pair.verify(signed.as_bytes(), &signature) {
            return None;
        }
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).ok()?).ok()
    }

    /// An access token for the userinfo endpoint (a JWT as RFC 9068 shapes them, `typ`
    /// `at+jwt`): the same subject, client and number, when and how it was verified (`auth_time`,
    /// `amr`, as RFC 9068 §2.2.1 carries them, so that userinfo can say so too), and no other use. Its `aud` is the
    /// userinfo endpoint, never the issuer or a client, so that no check of an ID token (`aud`
    /// a client) or of any token "for the issuer" takes it.
    pub fn access_token(&self, token: &IdToken<'_>, now: OffsetDateTime) -> String {
        let mut claims = json!({
            "iss": self.issuer,
            "sub": token.subject,
            "aud": self.access_audience(),
            "client_id": token.client_id,
            "scope": if token.phone_e164.is_some() { "openid phone" } else { "openid" },
            "iat": now.unix_timestamp(),
            "exp": self.expiry(now),
            "auth_time": token.auth_time.unix_timestamp(),
            "amr": [amr(token)],
            "jti": uuid::Uuid::new_v4().simple().to_string(),
        });
        if let Some(phone) = token.phone_e164 {
            claims["phone_number"] = phone.into();
        }
        self.signed("at+jwt", &claims)
    }

    /// What an access token of ours says, if it is one (signed by a published key, `typ`
    /// `at+jwt`, this issuer's, for this issuer) and unexpired at `now`.
    pub fn read_access_token(&self, token: &str, now: OffsetDateTime) -> Option<AccessGrant> {
        let claims = self.verified_claims(token, "at+jwt")?;
        let current = claims["exp"].as_i64().is_some_and(|exp| exp > now.unix_timestamp());
        if claims["iss"] != self.issuer.as_str() || claims["aud"] != self.access_audience().as_str() || !current {
            return None;
        }
        Some(AccessGrant {
            subject: claims["sub"].as_str()?.to_owned(),
            phone_e164: claims["phone_number"].as_str().map(str::to_owned),
            auth_time: claims["auth_time"].as_i64(),
            amr: claims["amr"]
                .as_array()
                .map(|methods| methods.iter().filter_map(Value::as_str).map(str::to_owned).collect()),
        })
    }

    /// Whom an access token is for: the userinfo endpoint.
    fn access_audience(&self) -> String {
        format!("{}{USERINFO_PATH}", self.issuer)
    }

    fn expiry(&self, now: OffsetDateTime) -> i64 {
        now.unix_timestamp().saturating_add(i64::try_from(self.lifetime.as_secs()).unwrap_or(i64::MAX))
    }

    /// `claims` as a compact JWS of type `typ`, signed by the first key.
    fn signed(&self, typ: &str, claims: &Value) -> String {
        self.sign_by(&self.keys[0], typ, claims)
    }

    /// `claims` signed by the first key of `alg`, or by the first key if none signs it (the
    /// configuration makes sure one does: [`Self::signs`]).
    fn signed_with(&self, alg: &str, typ: &str, claims: &Value) -> String {
        let key = self.keys.iter().find(|k| k.pair.alg() == alg).unwrap_or(&self.keys[0]);
        self.sign_by(key, typ, claims)
    }

    fn sign_by(&self, key: &SigningKey, typ: &str, claims: &Value) -> String {
        let header = json!({"alg": key.pair.alg(), "typ": typ, "kid": key.kid});
        let signing_input =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
        let signature = key.pair.sign(&self.rng, signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }
}

/// How the number was proven: RFC 8176's `sms`, or `tel` for a call; `test` for a test number,
/// to which nothing was sent (a relying party may refuse it in production).
fn amr(token: &IdToken<'_>) -> &'static str {
    match token.channel {
        _ if token.test => "test",
        Channel::Sms => "sms",
        Channel::Voice => "tel",
        // RFC 8176 registers no value for a messaging app: the code was a one-time password.
        Channel::WhatsApp => "otp",
    }
}

/// What an ID token and its access token are about.
#[derive(Debug, Clone, Copy)]
pub struct IdToken<'a> {
    /// The client's pairwise `sub` for the number.
    pub subject: &'a str,
    pub client_id: &'a str,
    pub nonce: Option<&'a str>,
    /// The ID token's algorithm: the client's registered `id_token_signed_response_alg`.
    pub alg: &'a str,
    /// When the number was verified.
    pub auth_time: OffsetDateTime,
    pub channel: Channel,
    /// A test number's: no code was sent ([`crate::domain::test_numbers`]).
    pub test: bool,
    /// The number, where the `phone` scope was asked for.
    pub phone_e164: Option<&'a str>,
}

/// What a valid access token lets the userinfo endpoint say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessGrant {
    pub subject: String,
    pub phone_e164: Option<String>,
    /// When and how the number was verified (absent from tokens signed before they carried it).
    pub auth_time: Option<i64>,
    pub amr: Option<Vec<String>>,
}

/// The public key as a JWK: an EC point (`04 || x || y`) or an RSA modulus and exponent.
fn public_jwk(pair: &KeyPair) -> Value {
    let mut jwk = match pair {
        KeyPair::Ec(pair) => {
            let point = pair.public_key().as_ref();
            let (x, y) = point[1..].split_at(32);
            json!({"kty": "EC", "crv": "P-256", "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y)})
        }
        KeyPair::Rsa(pair) => {
            let public = signature::RsaPublicKeyComponents::<Vec<u8>>::from(pair.public());
            json!({"kty": "RSA", "n": URL_SAFE_NO_PAD.encode(&public.n), "e": URL_SAFE_NO_PAD.encode(&public.e)})
        }
    };
    jwk["kid"] = thumbprint(&jwk).into();
    jwk["alg"] = pair.alg().into();
    jwk["use"] = "sig".into();
    jwk
}

/// RFC 7638: SHA-256 over the required members in lexicographic order, base64url.
fn thumbprint(jwk: &Value) -> String {
    let text = |name: &str| jwk[name].as_str().unwrap_or_default().to_owned();
    let canonical = if jwk["kty"] == "RSA" {
        format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, text("e"), text("n"))
    } else {
        format!(r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#, text("x"), text("y"))
    };
    URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, canonical.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(part: &str) -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    #[test]
    fn a_token_carries_its_claims_and_verifies_with_the_published_key() {
        let (old, new) = (TokenSigner::generate_pem(), TokenSigner::generate_pem());
        let signer =
            TokenSigner::new(&format!("{new}{old}"), "https://verify.example.com", Duration::from_secs(300)).unwrap();
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let token = signer.id_token(
            &IdToken {
                subject: "pairwise-sub",
                client_id: "shop",
                nonce: Some("n-1"),
                alg: "ES256",
                auth_time: now,
                channel: Channel::Sms,
                test: false,
                phone_e164: Some("+14155552671"),
            },
            now,
        );
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let (header, claims) = (decode(parts[0]), decode(parts[1]));
        let jwks = signer.jwks();
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 2, "both keys published");
        assert_eq!(header["kid"], jwks["keys"][0]["kid"], "the first key signs");
        assert_eq!((header["alg"].as_str(), header["typ"].as_str()), (Some("ES256"), Some("JWT")));
        assert_eq!(claims["aud"], "shop");
        assert_eq!(claims["nonce"], "n-1");
        assert_eq!(claims["phone_number"], "+14155552671");
        assert_eq!(claims["amr"][0], "sms");

        let jwk = &jwks["keys"][0];
        let point = [
            &[4u8][..],
            &URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap(),
            &URL_SAFE_NO_PAD.decode(jwk["y"].as_str().unwrap()).unwrap(),
        ]
        .concat();
        let public = ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, point);
        let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        public.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature).expect("a valid signature");
        let mut changed = format!("{}.{}", parts[0], parts[1]);
        changed.push(' ');
        assert!(public.verify(changed.as_bytes(), &signature).is_err());
    }

    #[test]
    fn an_id_token_and_its_access_token_say_what_the_code_stood_for() {
        let signer =
            TokenSigner::new(&TokenSigner::generate_pem(), "https://v.example", Duration::from_secs(300)).unwrap();
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let verified = now - time::Duration::seconds(5);
        let token = IdToken {
            subject: "pairwise-sub",
            client_id: "shop",
            nonce: Some("n-1"),
            alg: "ES256",
            auth_time: verified,
            channel: Channel::Voice,
            test: false,
            phone_e164: Some("+14155552671"),
        };
        let id_token = signer.id_token(&token, now);
        let claims = decode(id_token.split('.').nth(1).unwrap());
        assert_eq!((claims["iss"].as_str(), claims["sub"].as_str()), (Some("https://v.example"), Some("pairwise-sub")));
        assert_eq!((claims["aud"].as_str(), claims["nonce"].as_str()), (Some("shop"), Some("n-1")));
        assert_eq!(claims["auth_time"], verified.unix_timestamp());
        assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 300);
        assert_eq!((claims["amr"][0].as_str(), claims["phone_number_verified"].as_bool()), (Some("tel"), Some(true)));
        let without_phone = signer.id_token(&IdToken { phone_e164: None, ..token }, now);
        assert!(decode(without_phone.split('.').nth(1).unwrap()).get("phone_number").is_none());
        let test_number = signer.id_token(&IdToken { test: true, ..token }, now);
        let amr = &decode(test_number.split('.').nth(1).unwrap())["amr"];
        assert_eq!(*amr, json!(["test"]), "not `tel`: nothing was sent");

        let access = signer.access_token(&token, now);
        assert_eq!(decode(access.split('.').next().unwrap())["typ"], "at+jwt");
        assert_eq!(decode(access.split('.').nth(1).unwrap())["aud"], "https://v.example/oauth/userinfo");
        let grant = AccessGrant {
            subject: "pairwise-sub".into(),
            phone_e164: Some("+14155552671".into()),
            auth_time: Some(verified.unix_timestamp()),
            amr: Some(vec!["tel".into()]),
        };
        assert_eq!(signer.read_access_token(&access, now), Some(grant));
        let test_access = signer.access_token(&IdToken { test: true, ..token }, now);
        let read = signer.read_access_token(&test_access, now).unwrap();
        assert_eq!(read.amr, Some(vec!["test".to_owned()]), "a test number's access token says so, as its ID token");
        assert_eq!(signer.read_access_token(&access, now + time::Duration::seconds(300)), None, "expired");
        assert_eq!(signer.read_access_token(&id_token, now), None, "an ID token is not an access token");
        let other = TokenSigner::new(&TokenSigner::generate_pem(), "https://v.example", Duration::from_secs(300));
        assert_eq!(other.unwrap().read_access_token(&access, now), None, "another key's");
        // The access token's header and claims under another token's signature.
        let (signed, _) = access.rsplit_once('.').unwrap();
        let forged = format!("{signed}.{}", id_token.rsplit_once('.').unwrap().1);
        assert_eq!(signer.read_access_token(&forged, now), None);
        assert_eq!(signer.read_access_token("a.b", now), None);
    }

    /// RFC 9500's published 2048-bit test key (ring signs RSA but does not make RSA keys): a
    /// key everyone knows, so a scanner or a reader sees it is no credential.
    const RSA_TEST_KEY: &str = include_str!("../../../tests/rfc9500-test-rsa2048.pem");

    #[test]
    fn an_rsa_key_signs_rs256_and_is_published_with_its_modulus() {
        let ec = TokenSigner::generate_pem();
        let signer = TokenSigner::new(&format!("{RSA_TEST_KEY}{ec}"), "https://v.example", Duration::from_secs(300));
        let signer = signer.unwrap();
        assert_eq!(signer.algorithms(), ["RS256", "ES256"], "the signing key's first");
        let jwks = signer.jwks();
        let rsa = &jwks["keys"][0];
        assert_eq!((rsa["kty"].as_str(), rsa["alg"].as_str()), (Some("RSA"), Some("RS256")));
        assert_eq!(rsa["e"], "AQAB");
        assert_eq!(URL_SAFE_NO_PAD.decode(rsa["n"].as_str().unwrap()).unwrap().len(), 256, "2048 bits");
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let token = IdToken {
            subject: "s",
            client_id: "shop",
            nonce: Some("n"),
            alg: "RS256",
            auth_time: now,
            channel: Channel::Sms,
            test: false,
            phone_e164: None,
        };
        let id_token = signer.id_token(&token, now);
        let parts: Vec<&str> = id_token.split('.').collect();
        assert_eq!(
            (decode(parts[0])["alg"].as_str(), decode(parts[0])["kid"].clone()),
            (Some("RS256"), rsa["kid"].clone())
        );
        // Checked as any RS256 library checks it: PKCS#1 v1.5 with SHA-256 under (n, e).
        let public = signature::RsaPublicKeyComponents {
            n: URL_SAFE_NO_PAD.decode(rsa["n"].as_str().unwrap()).unwrap(),
            e: URL_SAFE_NO_PAD.decode(rsa["e"].as_str().unwrap()).unwrap(),
        };
        let signed = format!("{}.{}", parts[0], parts[1]);
        let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        public.verify(&signature::RSA_PKCS1_2048_8192_SHA256, signed.as_bytes(), &signature).expect("RS256");
        let access = signer.access_token(&token, now);
        assert!(signer.read_access_token(&access, now).is_some(), "its own access tokens read back");
    }

    #[test]
    fn the_key_id_is_the_rfc_7638_thumbprint() {
        // RFC 7638 section 3.1's example is RSA; this checks the EC member order and encoding.
        let jwk = json!({"kty": "EC", "crv": "P-256", "x": "abc", "y": "def"});
        let expected = URL_SAFE_NO_PAD
            .encode(ring::digest::digest(&ring::digest::SHA256, br#"{"crv":"P-256","kty":"EC","x":"abc","y":"def"}"#));
        assert_eq!(thumbprint(&jwk), expected);
    }

    #[test]
    fn bad_keys_are_named() {
        for bad in [
            "",
            "not a key",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
            "-----BEGIN PRIVATE KEY-----\n",
        ] {
            assert!(TokenSigner::new(bad, "https://v.example", Duration::from_secs(60)).is_err(), "{bad}");
        }
        // Beside a valid key, a block of another kind or the same key again is refused too.
        let key = TokenSigner::generate_pem();
        for (others, says) in [
            ("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n", "key 2 is `EC PRIVATE KEY`"),
            (
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
                "key 2 is `ENCRYPTED PRIVATE KEY`",
            ),
            (&key, "holds key 1 twice (again as key 2)"),
        ] {
            let err =
                TokenSigner::new(&format!("{key}{others}"), "https://v.example", Duration::from_secs(60)).unwrap_err();
            assert!(err.starts_with(says), "{err}");
        }
        // A mistyped header (four dashes) is refused without printing what follows it: the key.
        let body: String = key.lines().filter(|l| !l.starts_with("-----")).collect();
        let typo = format!("-----BEGIN PRIVATE KEY----\n{body}\n-----END PRIVATE KEY-----\n");
        let err = TokenSigner::new(&typo, "https://v.example", Duration::from_secs(60)).unwrap_err();
        assert!(!err.contains(&body[..20]), "{err}");
    }
}
