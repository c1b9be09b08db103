use super::*;
use crate::sign_in::domain::error::Delivery;

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

fn parse_with_ask(params: &[(String, String)]) -> Result<(AuthorizationRequest, SessionAsk), OAuthError> {
    AuthorizationRequest::parse(params, &RelyingParties::parse(CLIENTS).unwrap().with_secrets(SECRETS).unwrap())
}

fn parse(params: &[(String, String)]) -> Result<AuthorizationRequest, OAuthError> {
    parse_with_ask(params).map(|(request, _)| request)
}

/// The error a request is sent back with, and the state it echoes.
fn redirected(params: &[(String, String)]) -> (&'static str, Option<String>) {
    match parse(params) {
        Err(OAuthError { code, delivery: Delivery::Redirect { redirect_uri, state }, .. }) => {
            assert_eq!(redirect_uri, "https://shop.example/cb");
            (code.code(), state)
        }
        other => panic!("expected a redirect, got {other:?}"),
    }
}

#[test]
fn a_code_flow_request_with_pkce_and_a_nonce_is_taken() {
    let request = parse(&good()).unwrap();
    assert_eq!((request.client_id.as_str(), request.redirect_uri.as_str()), ("shop", "https://shop.example/cb"));
    assert_eq!((request.state.as_str(), request.nonce.as_deref()), ("s-1", Some("n-1")));
    assert_eq!(request.challenge.as_ref().map(CodeChallenge::as_str), Some(CHALLENGE));
    assert!(request.phone_scope);
    assert!(!parse(&with(&[("scope", Some("openid"))])).unwrap().phone_scope);
    // Unknown parameters and scopes are ignored (RFC 6749 §3.1, §3.3), and so are `display`,
    // `acr_values` and `claims_locales` (Core §3.1.2.1).
    let others = [
        ("scope", Some("openid email")),
        ("display", Some("popup")),
        ("acr_values", Some("urn:mace:incommon:iap:silver")),
        ("claims_locales", Some("fr")),
        ("vendor_thing", Some("1")),
    ];
    assert!(parse(&with(&others)).is_ok());
}

/// Core §3.1.2.1: `nonce` is optional in the code flow.
#[test]
fn a_request_without_a_nonce_is_taken() {
    assert_eq!(parse(&with(&[("nonce", None)])).unwrap().nonce, None);
    assert_eq!(parse(&with(&[("nonce", Some(""))])).unwrap().nonce, None);
}

#[test]
fn a_phone_login_hint_and_the_first_page_language_are_kept() {
    let request = parse(&with(&[("login_hint", Some("+1 (415) 555-2671")), ("ui_locales", Some("tlh ar-EG en"))]));
    let request = request.unwrap();
    assert_eq!((request.login_hint.as_deref(), request.locale), (Some("+14155552671"), Some("ar")));
    for not_a_number in ["someone@example.com", "14155552671", "+1", "+1415555267100000"] {
        assert_eq!(parse(&with(&[("login_hint", Some(not_a_number))])).unwrap().login_hint, None, "{not_a_number}");
    }
    assert_eq!(parse(&with(&[("ui_locales", Some("tlh ja"))])).unwrap().locale, None);
}

#[test]
fn prompt_max_age_and_id_token_hint_are_what_the_request_asks_of_a_session() {
    let (_, ask) = parse_with_ask(&good()).unwrap();
    assert_eq!(ask, SessionAsk::default());
    let changes = [("prompt", Some("login consent")), ("max_age", Some("10000")), ("id_token_hint", Some("a.b.c"))];
    let (_, ask) = parse_with_ask(&with(&changes)).unwrap();
    assert!(ask.login && !ask.none);
    assert_eq!((ask.max_age, ask.id_token_hint.as_deref()), (Some(10000), Some("a.b.c")));
    assert!(parse_with_ask(&with(&[("prompt", Some("none"))])).unwrap().1.none);
    assert_eq!(redirected(&with(&[("max_age", Some("-1"))])).0, "invalid_request");
}

/// RFC 6749 §4.1.2.1: an unknown client or an address that is not the client's, letter for
/// letter, is told on the page; nothing is sent to the address.
#[test]
fn an_unknown_client_or_address_gets_no_redirect() {
    let page = |params: &[(String, String)]| match parse(params) {
        Err(OAuthError { code, delivery: Delivery::Page, .. }) => code,
        other => panic!("expected no redirect, got {other:?}"),
    };
    assert_eq!(page(&with(&[("client_id", Some("evil"))])), ErrorCode::InvalidClient);
    for uri in ["https://evil.example/cb", "https://shop.example/cb/", "https://shop.example/cb?x=1"] {
        assert_eq!(page(&with(&[("redirect_uri", Some(uri))])), ErrorCode::InvalidRedirectUri, "{uri}");
    }
    assert_eq!(page(&with(&[("client_id", None)])), ErrorCode::InvalidClient);
    assert_eq!(page(&with(&[("redirect_uri", None)])), ErrorCode::InvalidRedirectUri);
    let mut twice = good();
    twice.push(("redirect_uri".into(), "https://evil.example/cb".into()));
    assert_eq!(page(&twice), ErrorCode::InvalidRedirectUri);
}

#[test]
fn every_other_error_goes_back_to_the_client_with_its_state() {
    let state = Some("s-1".to_owned());
    let cases: [(Changes, &str); 10] = [
        (&[("response_type", None)], "invalid_request"),
        (&[("response_type", Some("token"))], "unsupported_response_type"),
        (&[("response_type", Some("code id_token"))], "unsupported_response_type"),
        (&[("scope", Some("phone"))], "invalid_scope"),
        (&[("scope", None)], "invalid_scope"),
        (&[("code_challenge", None)], "invalid_request"),
        (&[("code_challenge_method", Some("plain"))], "invalid_request"),
        (&[("code_challenge_method", None)], "invalid_request"),
        (&[("response_mode", Some("fragment"))], "invalid_request"),
        (&[("prompt", Some("login none"))], "invalid_request"),
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
        Err(OAuthError { code, delivery: Delivery::Redirect { .. }, .. }) => {
            assert_eq!(code, ErrorCode::InvalidRequest)
        }
        other => panic!("{other:?}"),
    }
    let public = with(&[("code_challenge", None), ("code_challenge_method", None)]);
    assert_eq!(redirected(&public).0, "invalid_request");
}

#[test]
fn an_error_redirect_adds_error_state_and_iss_to_the_registered_query() {
    let redirect = OAuthError::back_to(
        ErrorCode::InvalidScope,
        "scope must include openid",
        "https://shop.example/cb2?tenant=a%20b",
        Some("s 1&x"),
    );
    assert_eq!(
        redirect.location("https://verify.example.com").unwrap(),
        "https://shop.example/cb2?tenant=a%20b&error=invalid_scope&error_description=scope+must+include+openid\
         &state=s+1%26x&iss=https%3A%2F%2Fverify.example.com"
    );
    assert_eq!(OAuthError::on_page(ErrorCode::InvalidClient, "x").location("https://v.example"), None);
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
