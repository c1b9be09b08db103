//! The applications that may sign people in with their number (OpenID Connect clients): each with
//! a client id, a name shown to the person, the exact addresses the person may be sent back to
//! with an authorization code, and, for a confidential client (one with a server), its secret.
//! Anything else (an unknown client, an address not registered letter for letter) gets no code
//! and no redirect: the service is never an open redirect. The list is read by verify-otp alone
//! and published nowhere.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::domain::channel::Channels;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RelyingParty {
    pub client_id: String,
    pub name: String,
    pub redirect_uris: Vec<String>,
    /// Whether the operator's test numbers may sign in to it (off unless registered so): a
    /// client that never reads `amr` would take a test number's sign-in for a person's.
    #[serde(default)]
    pub allow_test_numbers: bool,
    /// The ID token's algorithm (OpenID Connect Registration §2,
    /// `id_token_signed_response_alg`): `RS256` unless registered as `ES256`.
    #[serde(default = "default_alg", alias = "id_token_signed_response_alg")]
    pub id_token_signed_response_alg: String,
    /// Where RP-initiated logout may send the person back to (OpenID Connect RP-Initiated
    /// Logout 1.0 §3.1), matched letter for letter.
    #[serde(default, alias = "post_logout_redirect_uris")]
    pub post_logout_redirect_uris: Vec<String>,
    /// The channels its people may get codes by, in order (`["whatsapp", "sms", "voice"]`): the
    /// first by default, each later one where a step is not answered, any by asking. Absent: the
    /// hosted page's (`OTP_CHANNELS`).
    #[serde(default, deserialize_with = "ladder")]
    pub channels: Option<Channels>,
    /// A confidential client's secret, from `RELYING_PARTY_SECRETS` (deployed: the secret, never
    /// a template parameter); a client without one is public (PKCE alone binds its codes). Never
    /// read from the list itself.
    #[serde(skip)]
    pub client_secret: Option<ClientSecret>,
}

/// `["whatsapp", "sms"]`: one to three channel names, each once.
fn ladder<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Channels>, D::Error> {
    let names: Vec<String> = Vec::deserialize(deserializer)?;
    Channels::parse(&names.join(",")).map(Some).map_err(|e| serde::de::Error::custom(format!("channels {e}")))
}

/// The algorithm an ID token is signed with when a client registers none (OpenID Connect
/// Registration §2).
pub const DEFAULT_ID_TOKEN_ALG: &str = "RS256";

fn default_alg() -> String {
    DEFAULT_ID_TOKEN_ALG.to_owned()
}

/// The shortest client secret taken: 32 characters (a random one of 32 base64 characters holds
/// 192 bits).
pub const MIN_SECRET_CHARS: usize = 32;

/// A client's secret: compared in constant time, never printed.
#[derive(Clone)]
pub struct ClientSecret(SecretString);

impl ClientSecret {
    pub fn new(secret: &str) -> Self {
        Self(secret.into())
    }

    /// Whether `presented` is this secret. Both sides are hashed first, so the comparison's
    /// time says nothing of the secret's length either.
    pub fn matches(&self, presented: &str) -> bool {
        let ours = Sha256::digest(self.0.expose_secret().as_bytes());
        ours.ct_eq(&Sha256::digest(presented.as_bytes())).into()
    }

    fn len(&self) -> usize {
        self.0.expose_secret().chars().count()
    }
}

impl PartialEq for ClientSecret {
    fn eq(&self, other: &Self) -> bool {
        self.matches(other.0.expose_secret())
    }
}

impl Eq for ClientSecret {}

impl std::fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientSecret(<redacted>)")
    }
}

impl RelyingParty {
    /// A client without a secret: it cannot keep one (a page, an app on a phone).
    pub fn is_public(&self) -> bool {
        self.client_secret.is_none()
    }

    /// Whether RP-initiated logout may send the person to `uri`: registered, letter for letter.
    pub fn may_return_after_logout(&self, uri: &str) -> bool {
        self.post_logout_redirect_uris.iter().any(|u| u == uri)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelyingParties(Vec<RelyingParty>);

/// Why an authorization request gets no code and no redirect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ClientRefusal {
    #[error("unknown client id")]
    UnknownClient,
    #[error("redirect URI not registered for the client")]
    RedirectUriNotRegistered,
}

impl RelyingParties {
    /// Parses `[{"clientId", "name", "redirectUris": [...]}]`; blank is none.
    pub fn parse(json: &str) -> Result<Self, String> {
        if json.trim().is_empty() {
            return Ok(Self::default());
        }
        let parties: Vec<RelyingParty> = serde_json::from_str(json).map_err(|e| {
            let hint = if e.to_string().contains("clientSecret") {
                "; a client's secret goes in RELYING_PARTY_SECRETS, never beside its addresses"
            } else {
                ""
            };
            format!("must be a JSON list of {{\"clientId\", \"name\", \"redirectUris\"}} ({e}){hint}")
        })?;
        for party in &parties {
            if party.client_id.is_empty()
                || party.client_id.len() > 64
                || !party.client_id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            {
                return Err(format!("client id `{}` must be 1 to 64 of A-Z a-z 0-9 - _ .", party.client_id));
            }
            if party.redirect_uris.is_empty() {
                return Err(format!("client `{}` has no redirect URI", party.client_id));
            }
            if !["RS256", "ES256"].contains(&party.id_token_signed_response_alg.as_str()) {
                return Err(format!(
                    "client `{}`: idTokenSignedResponseAlg must be RS256 or ES256 (got `{}`)",
                    party.client_id, party.id_token_signed_response_alg
                ));
            }
            if let Some(bad) = party.post_logout_redirect_uris.iter().find(|uri| !acceptable_redirect(uri)) {
                return Err(format!(
                    "post-logout redirect URI `{bad}` of `{}` must be https (or http on localhost), absolute, without a fragment",
                    party.client_id
                ));
            }
            if let Some(bad) = party.redirect_uris.iter().find(|uri| !acceptable_redirect(uri)) {
                return Err(format!(
                    "redirect URI `{bad}` of `{}` must be https (or http on localhost), absolute, without a fragment",
                    party.client_id
                ));
            }
        }
        if let Some(dup) =
            parties.iter().enumerate().find(|(i, p)| parties[..*i].iter().any(|q| q.client_id == p.client_id))
        {
            return Err(format!("client id `{}` appears twice", dup.1.client_id));
        }
        Ok(Self(parties))
    }

    /// The same clients, those named in `json` (`{"<clientId>": "<secret>"}`, from
    /// `RELYING_PARTY_SECRETS`) confidential with that secret; blank is none.
    pub fn with_secrets(mut self, json: &str) -> Result<Self, String> {
        if json.trim().is_empty() {
            return Ok(self);
        }
        let secrets: std::collections::BTreeMap<String, String> = serde_json::from_str(json)
            .map_err(|_| "must be a JSON object of client id to secret: {\"<clientId>\": \"<secret>\"}".to_owned())?;
        for (client_id, secret) in secrets {
            let party = self.0.iter_mut().find(|p| p.client_id == client_id);
            let party = party.ok_or_else(|| format!("names `{client_id}`, which RELYING_PARTIES does not register"))?;
            let secret = ClientSecret::new(&secret);
            if secret.len() < MIN_SECRET_CHARS {
                return Err(format!("the secret of `{client_id}` must be {MIN_SECRET_CHARS} characters or more"));
            }
            party.client_secret = Some(secret);
        }
        Ok(self)
    }

    /// The client `client_id`, if registered.
    pub fn iter(&self) -> impl Iterator<Item = &RelyingParty> {
        self.0.iter()
    }

    pub fn find(&self, client_id: &str) -> Option<&RelyingParty> {
        self.0.iter().find(|p| p.client_id == client_id)
    }

    /// The client `client_id`, if `redirect_uri` is one of its registered URIs exactly.
    pub fn check(&self, client_id: &str, redirect_uri: &str) -> Result<&RelyingParty, ClientRefusal> {
        let party = self.find(client_id).ok_or(ClientRefusal::UnknownClient)?;
        if party.redirect_uris.iter().any(|uri| uri == redirect_uri) {
            Ok(party)
        } else {
            Err(ClientRefusal::RedirectUriNotRegistered)
        }
    }
}

/// https anywhere, http only on this machine (a developer's relying party); never a fragment
/// (OAuth 2.0, RFC 6749 §3.1.2).
fn acceptable_redirect(uri: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(uri) else { return false };
    let local = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    (url.scheme() == "https" || (url.scheme() == "http" && local)) && url.fragment().is_none() && url.has_host()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARTIES: &str = r#"[{"clientId": "shop", "name": "The Shop", "redirectUris": ["https://shop.example/callback", "http://localhost:5173/cb"]}]"#;

    #[test]
    fn only_a_registered_redirect_uri_letter_for_letter_gets_through() {
        let parties = RelyingParties::parse(PARTIES).unwrap();
        assert_eq!(parties.check("shop", "https://shop.example/callback").unwrap().name, "The Shop");
        assert!(parties.check("shop", "http://localhost:5173/cb").is_ok());
        for near in [
            "https://shop.example/callback/",
            "https://shop.example/callback?x=1",
            "https://shop.example/Callback",
            "https://shop.example.evil.example/callback",
            "https://shop.example/callback#x",
            "http://shop.example/callback",
        ] {
            assert_eq!(parties.check("shop", near), Err(ClientRefusal::RedirectUriNotRegistered), "{near}");
        }
        assert_eq!(parties.check("other", "https://shop.example/callback"), Err(ClientRefusal::UnknownClient));
    }

    #[test]
    fn a_client_with_a_secret_is_confidential_and_its_secret_is_never_shown() {
        let secret = "s".repeat(32);
        let json = r#"[{"clientId": "bank", "name": "Bank", "redirectUris": ["https://bank.example/cb"]}]"#;
        let parties = RelyingParties::parse(json).unwrap().with_secrets(&format!(r#"{{"bank": "{secret}"}}"#)).unwrap();
        let bank = parties.find("bank").unwrap();
        assert!(!bank.is_public());
        let kept = bank.client_secret.as_ref().unwrap();
        assert!(kept.matches(&secret));
        assert!(!kept.matches(&"s".repeat(31)) && !kept.matches(&"s".repeat(33)) && !kept.matches(""));
        assert!(!format!("{bank:?}").contains(&secret));
        assert!(!format!("{parties:?}").contains(&secret));
        assert!(RelyingParties::parse(PARTIES).unwrap().find("shop").unwrap().is_public());
    }

    #[test]
    fn bad_configurations_are_named() {
        assert_eq!(RelyingParties::parse(" ").unwrap(), RelyingParties::default());
        for bad in [
            "{}",
            r#"[{"clientId": "a", "name": "A", "redirectUris": []}]"#,
            r#"[{"clientId": "a", "name": "A", "redirectUris": ["http://a.example/cb"]}]"#,
            r#"[{"clientId": "a", "name": "A", "redirectUris": ["https://a.example/cb#frag"]}]"#,
            r#"[{"clientId": "a", "name": "A", "redirectUris": ["/cb"]}]"#,
            r#"[{"clientId": "a b", "name": "A", "redirectUris": ["https://a.example/cb"]}]"#,
            r#"[{"clientId": "a", "name": "A", "redirectUris": ["https://a.example/cb"]}, {"clientId": "a", "name": "B", "redirectUris": ["https://b.example/cb"]}]"#,
            r#"[{"clientId": "a", "name": "A", "redirectUris": ["https://a.example/cb"], "secret": "x"}]"#,
            r#"[{"clientId": "a", "name": "A", "redirectUris": ["https://a.example/cb"], "clientSecret": "0123456789abcdef0123456789abcdef"}]"#,
        ] {
            assert!(RelyingParties::parse(bad).is_err(), "{bad}");
        }
        let inline =
            r#"[{"clientId": "a", "name": "A", "redirectUris": ["https://a.example/cb"], "clientSecret": "x"}]"#;
        assert!(
            RelyingParties::parse(inline).unwrap_err().contains("RELYING_PARTY_SECRETS"),
            "a secret is never inline"
        );
        let one =
            RelyingParties::parse(r#"[{"clientId": "a", "name": "A", "redirectUris": ["https://a.example/cb"]}]"#);
        for (secrets, says) in [
            (r#"{"a": "short"}"#, "32 characters"),
            (r#"{"b": "0123456789abcdef0123456789abcdef"}"#, "does not register"),
            (r#"["a"]"#, "JSON object"),
        ] {
            let err = one.clone().unwrap().with_secrets(secrets).unwrap_err();
            assert!(err.contains(says), "{secrets}: {err}");
        }
    }
}
