use super::*;

const CLIENTS: &str = r#"[{"clientId": "shop", "name": "The Shop", "redirectUris": ["https://shop.example/cb", "https://shop.example/cb2?tenant=a%20b"]},
    {"clientId": "bank", "name": "The Bank", "redirectUris": ["https://bank.example/cb"]}]"#;
const SECRETS: &str = r#"{"bank": "bank-secret-0123456789abcdef0123456"}"#;
/// RFC 7636 Appendix B's challenge.
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn good() -> Vec<(String, String)> {
    [
        ("response_type", "code"),
        ("client_id", "shop"),
        ("redirect_uri", "https://shop.example/cb"),
        ("scope", "openid phone"),
        ("state", "s-1"),
        ("nonce", "n-1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_owned(), v.to_owned()))
    .collect()
}

/// Parameters set (`Some`) or taken out (`None`).
type Changes<'a> = &'a [(&'a str, Option<&'a str>)];

fn with(changes: Changes) -> Vec<(String, String)> {
    let mut params = good();
    for (name, value) in changes {
        params.retain(|(n, _)| n != name);
        if let Some(value) = value {
            params.push(((*name).to_owned(), (*value).to_owned()));
        }
    }
    params
}

fn parse(params: &[(String, String)]) -> Result<AuthorizationRequest, AuthorizationError> {
    AuthorizationRequest::parse(params, &RelyingParties::parse(CLIENTS).unwrap().with_secrets(SECRETS).unwrap())
}

/// The error a request is sent back with, and the state it echoes.
fn redirected(params: &[(String, String)]) -> (&'static str, Option<String>) {
    match parse(params) {
        Err(AuthorizationError::Redirect(r)) => {
            assert_eq!(r.redirect_uri, "https://shop.example/cb");
            (r.error.code(), r.state)
        }
        other => panic!("expected a redirect, got {other:?}"),
    }
}

#[test]
fn a_code_flow_request_with_pkce_and_a_nonce_is_taken() {
    let request = parse(&good()).unwrap();
    assert_eq!((request.client_id.as_str(), request.redirect_uri.as_str()), ("shop", "https://shop.example/cb"));
    assert_eq!((request.state.as_str(), request.nonce.as_str()), ("s-1", "n-1"));
    assert_eq!(request.challenge.as_ref().map(CodeChallenge::as_str), Some(CHALLENGE));
    assert!(request.phone_scope);
    assert!(!parse(&with(&[("scope", Some("openid"))])).unwrap().phone_scope);
    // Unknown parameters and scopes are ignored (RFC 6749 §3.1, §3.3).
    assert!(parse(&with(&[("scope", Some("openid email")), ("max_age", Some("60"))])).is_ok());
}

/// RFC 6749 §4.1.2.1: an unknown client or an address that is not the client's, letter for
/// letter, is told on the page; nothing is sent to the address.
#[test]
fn an_unknown_client_or_address_gets_no_redirect() {
    let page = |params: &[(String, String)]| match parse(params) {
        Err(AuthorizationError::NoRedirect(why)) => why,
        other => panic!("expected no redirect, got {other:?}"),
    };
    assert_eq!(page(&with(&[("client_id", Some("evil"))])), NoRedirect::Client(ClientRefusal::UnknownClient));
    for uri in ["https://evil.example/cb", "https://shop.example/cb/", "https://shop.example/cb?x=1"] {
        assert_eq!(
            page(&with(&[("redirect_uri", Some(uri))])),
            NoRedirect::Client(ClientRefusal::RedirectUriNotRegistered),
            "{uri}"
        );
    }
    assert_eq!(page(&with(&[("client_id", None)])), NoRedirect::NoClient);
    assert_eq!(page(&with(&[("redirect_uri", None)])), NoRedirect::NoRedirectUri);
    let mut twice = good();
    twice.push(("redirect_uri".into(), "https://evil.example/cb".into()));
    assert_eq!(page(&twice), NoRedirect::NoRedirectUri);
}

#[test]
fn every_other_error_goes_back_to_the_client_with_its_state() {
    let state = Some("s-1".to_owned());
    let cases: [(Changes, &str); 12] = [
        (&[("response_type", None)], "invalid_request"),
        (&[("response_type", Some("token"))], "unsupported_response_type"),
        (&[("response_type", Some("code id_token"))], "unsupported_response_type"),
        (&[("scope", Some("phone"))], "invalid_scope"),
        (&[("scope", None)], "invalid_scope"),
        (&[("nonce", None)], "invalid_request"),
        (&[("nonce", Some(""))], "invalid_request"),
        (&[("code_challenge", None)], "invalid_request"),
        (&[("code_challenge_method", Some("plain"))], "invalid_request"),
        (&[("code_challenge_method", None)], "invalid_request"),
        (&[("response_mode", Some("fragment"))], "invalid_request"),
        (&[("prompt", Some("login none"))], "login_required"),
    ];
    for (changes, error) in cases {
        assert_eq!(redirected(&with(changes)), (error, state.clone()), "{changes:?}");
    }
    assert_eq!(redirected(&with(&[("request", Some("eyJ..."))])), ("request_not_supported", state.clone()));
    assert_eq!(redirected(&with(&[("request_uri", Some("https://x"))])), ("request_uri_not_supported", state.clone()));
    assert_eq!(redirected(&with(&[("nonce", Some(&"n".repeat(257)))])), ("invalid_request", state.clone()));
    assert!(parse(&with(&[("nonce", Some(&"n".repeat(256)))])).is_ok());
    let long = "s".repeat(257);
    assert_eq!(redirected(&with(&[("state", Some(&long))])), ("invalid_request", None), "not echoed");
    // Without a state, or with two, none is echoed.
    assert_eq!(redirected(&with(&[("state", None)])), ("invalid_request", None));
    let mut two_states = good();
    two_states.push(("state".into(), "s-2".into()));
    assert_eq!(redirected(&two_states), ("invalid_request", None));
    let mut two_nonces = good();
    two_nonces.push(("nonce".into(), "n-2".into()));
    assert_eq!(redirected(&two_nonces), ("invalid_request", state.clone()));
    // RFC 6749 §3.1: no parameter more than once, one this service does not read included.
    let mut twice = with(&[("max_age", Some("60"))]);
    twice.push(("max_age".into(), "0".into()));
    assert_eq!(redirected(&twice), ("invalid_request", state));
}

/// RFC 7636 for public clients, and as OAuth 2.1 asks of all: a confidential client may leave
/// PKCE out (Amazon Cognito's federation does), but a challenge it sends must be S256.
#[test]
fn a_confidential_client_may_leave_pkce_out_and_a_public_one_may_not() {
    let bank = |changes: Changes| {
        let mut params = with(changes);
        for (name, value) in params.iter_mut() {
            match name.as_str() {
                "client_id" => *value = "bank".into(),
                "redirect_uri" => *value = "https://bank.example/cb".into(),
                _ => {}
            }
        }
        params
    };
    let without = bank(&[("code_challenge", None), ("code_challenge_method", None)]);
    assert_eq!(parse(&without).unwrap().challenge, None);
    assert!(parse(&bank(&[])).unwrap().challenge.is_some());
    match parse(&bank(&[("code_challenge_method", Some("plain"))])) {
        Err(AuthorizationError::Redirect(r)) => assert_eq!(r.error, OAuthError::InvalidRequest),
        other => panic!("{other:?}"),
    }
    let public = with(&[("code_challenge", None), ("code_challenge_method", None)]);
    assert_eq!(redirected(&public).0, "invalid_request");
}

#[test]
fn an_error_redirect_adds_error_state_and_iss_to_the_registered_query() {
    let redirect = ErrorRedirect {
        redirect_uri: "https://shop.example/cb2?tenant=a%20b".into(),
        error: OAuthError::InvalidScope,
        description: "scope must include openid",
        state: Some("s 1&x".into()),
    };
    assert_eq!(
        redirect.location("https://verify.example.com"),
        "https://shop.example/cb2?tenant=a%20b&error=invalid_scope&error_description=scope+must+include+openid\
         &state=s+1%26x&iss=https%3A%2F%2Fverify.example.com"
    );
}

#[test]
fn a_code_is_256_random_bits_kept_only_as_its_digest() {
    let code = AuthorizationCode::generate();
    assert_eq!(code.expose().len(), 43);
    assert_eq!(AuthorizationCode::parse(code.expose()), Some(code.clone()));
    assert_ne!(AuthorizationCode::generate(), code);
    let digest = code.digest();
    assert_eq!(digest.len(), 64);
    assert!(!digest.contains(code.expose()));
    assert_eq!(format!("{code:?}"), "AuthorizationCode(…)");
    for bad in ["", "abc", &"A".repeat(44), &format!("{}=", &code.expose()[..42]), &code.expose().replace('A', "+")] {
        if bad != code.expose() {
            assert_eq!(AuthorizationCode::parse(bad), None, "{bad}");
        }
    }
}
