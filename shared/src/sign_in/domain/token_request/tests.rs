use super::*;

/// `bank` is confidential (its secret holds a `:` and a space, which Basic form-encodes);
/// `shop` is public.
const SECRET: &str = "a secret: thirty-two characters!!";
fn clients() -> RelyingParties {
    RelyingParties::parse(
        r#"[{"clientId": "bank", "name": "Bank", "redirectUris": ["https://bank.example/cb"]},
            {"clientId": "shop", "name": "Shop", "redirectUris": ["https://shop.example/cb"]}]"#,
    )
    .unwrap()
    .with_secrets(&serde_json::json!({ "bank": SECRET }).to_string())
    .unwrap()
}

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn form(client: Option<&str>, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let code = AuthorizationCode::generate();
    let mut form: Vec<(String, String)> = [
        ("grant_type", "authorization_code"),
        ("code", code.expose()),
        ("redirect_uri", "https://bank.example/cb"),
        ("code_verifier", VERIFIER),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_owned(), v.to_owned()))
    .collect();
    if let Some(client) = client {
        form.push(("client_id".into(), client.into()));
    }
    for (name, value) in extra {
        form.retain(|(n, _)| n != name);
        form.push(((*name).to_owned(), (*value).to_owned()));
    }
    form
}

/// RFC 6749 §2.3.1: each part form-encoded, then base64.
fn basic(id: &str, secret: &str) -> String {
    let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!("Basic {}", STANDARD.encode(format!("{}:{}", encode(id), encode(secret))))
}

fn refused(form: &[(String, String)], authorization: Option<&str>) -> (&'static str, u16) {
    let e = TokenRequest::parse(form, authorization, &clients()).unwrap_err();
    (e.code.code(), e.code.status())
}

#[test]
fn a_confidential_client_authenticates_by_basic_or_post_and_a_public_one_by_pkce_alone() {
    let by_basic = TokenRequest::parse(&form(None, &[]), Some(&basic("bank", SECRET)), &clients()).unwrap();
    assert_eq!(by_basic.client_id, "bank");
    assert_eq!(by_basic.redirect_uri, "https://bank.example/cb");
    let by_post = TokenRequest::parse(&form(Some("bank"), &[("client_secret", SECRET)]), None, &clients()).unwrap();
    assert_eq!(by_post.client_id, "bank");
    let public = TokenRequest::parse(&form(Some("shop"), &[]), None, &clients()).unwrap();
    assert_eq!(public.client_id, "shop");
    // The header's client_id may be repeated in the form, the same.
    assert!(TokenRequest::parse(&form(Some("bank"), &[]), Some(&basic("bank", SECRET)), &clients()).is_ok());
}

/// RFC 6749 §5.2: a failed client authentication is `invalid_client`, 401.
#[test]
fn a_wrong_missing_or_unasked_secret_and_an_unknown_client_are_invalid_client() {
    let invalid_client = ("invalid_client", 401);
    assert_eq!(refused(&form(None, &[]), Some(&basic("bank", "not the secret at all, not at all"))), invalid_client);
    assert_eq!(refused(&form(Some("bank"), &[("client_secret", &SECRET[1..])]), None), invalid_client);
    assert_eq!(refused(&form(Some("bank"), &[]), None), invalid_client, "a confidential client without its secret");
    assert_eq!(refused(&form(Some("shop"), &[("client_secret", SECRET)]), None), invalid_client);
    assert_eq!(refused(&form(Some("nobody"), &[]), None), invalid_client);
    assert_eq!(refused(&form(None, &[]), None), invalid_client, "no client at all");
    for header in ["Bearer abc", "Basic !!!", &format!("Basic {}", STANDARD.encode("no-colon"))] {
        assert_eq!(refused(&form(None, &[]), Some(header)), invalid_client, "{header}");
    }
}

#[test]
fn requests_that_break_the_grammar_are_invalid_request() {
    let invalid_request = ("invalid_request", 400);
    let header = basic("bank", SECRET);
    assert_eq!(refused(&form(None, &[("client_secret", SECRET)]), Some(&header)), invalid_request, "two methods");
    assert_eq!(refused(&form(Some("shop"), &[]), Some(&header)), invalid_request, "header and form disagree");
    let mut twice = form(Some("shop"), &[]);
    twice.push(("code_verifier".into(), VERIFIER.into()));
    assert_eq!(refused(&twice, None), invalid_request);
    let without = |name: &str| {
        let mut f = form(Some("shop"), &[]);
        f.retain(|(n, _)| n != name);
        f
    };
    assert_eq!(refused(&without("grant_type"), None), invalid_request);
    assert_eq!(refused(&without("code"), None), invalid_request);
    assert_eq!(refused(&without("redirect_uri"), None), invalid_request);
    assert_eq!(refused(&form(Some("shop"), &[("grant_type", "refresh_token")]), None), ("unsupported_grant_type", 400));
}

/// RFC 7636 §4.6: a malformed verifier fails the grant, as a malformed code does. A missing one
/// is for the code's record to judge (a code without a challenge takes none).
#[test]
fn a_malformed_code_or_verifier_is_invalid_grant() {
    let invalid_grant = ("invalid_grant", 400);
    assert_eq!(refused(&form(Some("shop"), &[("code", "abc")]), None), invalid_grant);
    assert_eq!(refused(&form(Some("shop"), &[("code_verifier", "short")]), None), invalid_grant);
    let mut no_verifier = form(Some("shop"), &[]);
    no_verifier.retain(|(n, _)| n != "code_verifier");
    assert_eq!(TokenRequest::parse(&no_verifier, None, &clients()).unwrap().verifier, None);
}
