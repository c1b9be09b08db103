use time::Duration;

use super::*;
use crate::adapters::MemoryStore;
use crate::clock::ManualClock;
use crate::domain::verification::{AttemptDenied, VerificationStatus};
use crate::service::Ask;
use crate::service::tests::{IP, Scripted, code, phone, policy, service};
use crate::sign_in::domain::authorization::PAGE_LOCALES;
use crate::sign_in::domain::error::Delivery as Said;
use crate::sign_in::domain::pkce::CodeVerifier;

/// RFC 7636 Appendix B's pair.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const SHOP: &str = r#"[{"clientId": "shop", "name": "Shop", "redirectUris": ["https://shop.example/cb"],
    "postLogoutRedirectUris": ["https://shop.example/bye"]},
    {"clientId": "blog", "name": "Blog", "redirectUris": ["https://blog.example/cb"], "idTokenSignedResponseAlg": "ES256"},
    {"clientId": "lab", "name": "Lab", "redirectUris": ["https://lab.example/cb"], "allowTestNumbers": true}]"#;

type Svc = VerificationService<Scripted, MemoryStore, ManualClock>;

fn config(max_flows: u32) -> TokenConfig {
    let keys = format!("{}{}", include_str!("../../../tests/rfc9500-test-rsa2048.pem"), TokenSigner::generate_pem());
    TokenConfig {
        signer: TokenSigner::new(&keys, "https://v.example", std::time::Duration::from_secs(300)).unwrap(),
        relying_parties: RelyingParties::parse(SHOP).unwrap(),
        max_flows_per_ip: max_flows,
        session_lifetime: Duration::hours(8),
    }
}

fn params(client: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = [
        ("response_type", "code"),
        ("client_id", client),
        ("redirect_uri", &format!("https://{client}.example/cb")),
        ("scope", "openid phone"),
        ("state", "s-1"),
        ("nonce", "n-1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_owned(), v.to_owned()))
    .collect();
    for (name, value) in extra {
        params.retain(|(n, _)| n != name);
        if !value.is_empty() {
            params.push(((*name).to_owned(), (*value).to_owned()));
        }
    }
    params
}

fn token_form(client: &str, code: &str) -> Vec<(String, String)> {
    [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", &format!("https://{client}.example/cb")),
        ("code_verifier", VERIFIER),
        ("client_id", client),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_owned(), v.to_owned()))
    .collect()
}

async fn open(sign_in: &SignIn<'_, Scripted, MemoryStore, ManualClock>, client: &str) -> SignInFlow {
    match sign_in.authorize(&params(client, &[]), IP, None).await.unwrap() {
        Authorized::Flow(flow) => *flow,
        other => panic!("{other:?}"),
    }
}

/// The code and the query a redirect to the client carries.
fn query(location: &str) -> std::collections::HashMap<String, String> {
    reqwest::Url::parse(location).unwrap().query_pairs().into_owned().collect()
}

/// A code asked for in `flow` and verified there, as request-otp and verify-otp do it.
async fn verify_in(svc: &Svc, sign_in: &SignIn<'_, Scripted, MemoryStore, ManualClock>, flow: &FlowId) -> FlowVerified {
    let sent = request_code(svc, phone("+14155552671"), IP, Ask::default(), flow.clone()).await.unwrap();
    sign_in.verify(&sent.request_id, &code("123456"), flow, None).await.unwrap()
}

fn claims(jwt: &str) -> Value {
    use base64::Engine as _;
    let part = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn header(jwt: &str) -> Value {
    use base64::Engine as _;
    let part = jwt.split('.').next().unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

#[tokio::test]
async fn a_sign_in_ends_with_one_code_that_its_client_redeems_once_for_an_rs256_id_token() {
    let (svc, clock) = service(policy());
    let config = config(30);
    let sign_in = SignIn::new(&svc, &config);
    let flow = open(&sign_in, "shop").await;
    assert_eq!(flow.expires_at, clock.now() + FLOW_LIFETIME);
    assert_eq!(sign_in.flow(&flow.id).await.unwrap(), Some(flow.clone()));
    let ended = verify_in(&svc, &sign_in, &flow.id).await;
    assert!(ended.session.is_some(), "a real number's proof leaves a session");
    assert_eq!(sign_in.flow(&flow.id).await.unwrap(), None, "ended");
    let code = query(&ended.redirect_to)["code"].clone();

    let tokens = sign_in.token(&token_form("shop", &code), None).await.unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    assert_eq!(header(id_token)["alg"], "RS256", "a client that registers no algorithm gets RS256");
    let claims = claims(id_token);
    assert_eq!((claims["nonce"].as_str(), claims["phone_number"].as_str()), (Some("n-1"), Some("+14155552671")));
    assert_eq!(claims["auth_time"], ended.verified.verified_at.unix_timestamp());
    let subject = svc.hasher().pairwise("+14155552671", "shop");
    assert_eq!(claims["sub"], subject.as_str());
    let again = sign_in.token(&token_form("shop", &code), None).await.unwrap_err();
    assert_eq!(again.code, ErrorCode::InvalidGrant);
}

#[tokio::test]
async fn a_client_that_registers_es256_gets_es256_and_a_request_without_nonce_gets_none() {
    let (svc, _clock) = service(policy());
    let config = config(30);
    let sign_in = SignIn::new(&svc, &config);
    let Authorized::Flow(flow) = sign_in.authorize(&params("blog", &[("nonce", "")]), IP, None).await.unwrap() else {
        panic!("a flow")
    };
    let ended = verify_in(&svc, &sign_in, &flow.id).await;
    let code = query(&ended.redirect_to)["code"].clone();
    let tokens = sign_in.token(&token_form("blog", &code), None).await.unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    assert_eq!(header(id_token)["alg"], "ES256");
    assert!(claims(id_token).get("nonce").is_none(), "no nonce asked, none given");
}

/// After a proof, the same browser signs in to any client without a new code, with that
/// client's pairwise `sub` and the first proof's `auth_time`; `prompt=login`, an old proof under
/// `max_age`, and a hint for someone else ask for a new one; `prompt=none` answers
/// `login_required` without a session; logout ends it.
#[tokio::test]
async fn a_session_signs_in_again_without_a_code_until_something_asks_for_a_new_proof() {
    let (svc, clock) = service(policy());
    let config = config(30);
    let sign_in = SignIn::new(&svc, &config);
    let none = sign_in.authorize(&params("shop", &[("prompt", "none")]), IP, None).await.unwrap_err();
    assert_eq!((none.code, none.location("https://v.example").is_some()), (ErrorCode::LoginRequired, true));

    let flow = open(&sign_in, "shop").await;
    let first = verify_in(&svc, &sign_in, &flow.id).await;
    let session = first.session.clone().unwrap();
    let first_tokens = sign_in.token(&token_form("shop", &query(&first.redirect_to)["code"]), None).await.unwrap();
    let sends = svc.provider().calls().len();

    clock.advance(Duration::minutes(10));
    let Authorized::Redirect(back) = sign_in.authorize(&params("blog", &[]), IP, Some(&session)).await.unwrap() else {
        panic!("the session answers")
    };
    assert_eq!(svc.provider().calls().len(), sends, "no code sent");
    let tokens = sign_in.token(&token_form("blog", &query(&back)["code"]), None).await.unwrap();
    let claims_blog = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(claims_blog["auth_time"], first.verified.verified_at.unix_timestamp(), "the first proof's time");
    assert_eq!(claims_blog["sub"], svc.hasher().pairwise("+14155552671", "blog").as_str(), "blog's own sub");
    assert_eq!(claims_blog["amr"], serde_json::json!(["sms"]));

    let silent = params("shop", &[("prompt", "none")]);
    assert!(matches!(sign_in.authorize(&silent, IP, Some(&session)).await.unwrap(), Authorized::Redirect(_)));
    let login = params("shop", &[("prompt", "login")]);
    assert!(matches!(sign_in.authorize(&login, IP, Some(&session)).await.unwrap(), Authorized::Flow(_)));
    let recent = params("shop", &[("max_age", "10000")]);
    assert!(matches!(sign_in.authorize(&recent, IP, Some(&session)).await.unwrap(), Authorized::Redirect(_)));
    let old = params("shop", &[("max_age", "60")]);
    assert!(matches!(sign_in.authorize(&old, IP, Some(&session)).await.unwrap(), Authorized::Flow(_)));
    let old_silent = params("shop", &[("max_age", "60"), ("prompt", "none")]);
    assert_eq!(sign_in.authorize(&old_silent, IP, Some(&session)).await.unwrap_err().code, ErrorCode::LoginRequired);

    // id_token_hint: the shop's own ID token names this person; the blog's names them to the blog.
    let hint = first_tokens["id_token"].as_str().unwrap();
    let hinted = params("shop", &[("id_token_hint", hint), ("prompt", "none")]);
    assert!(matches!(sign_in.authorize(&hinted, IP, Some(&session)).await.unwrap(), Authorized::Redirect(_)));
    let elsewhere = params("blog", &[("id_token_hint", hint), ("prompt", "none")]);
    assert_eq!(sign_in.authorize(&elsewhere, IP, Some(&session)).await.unwrap_err().code, ErrorCode::LoginRequired);
    let forged = params("shop", &[("id_token_hint", &format!("{hint}x")), ("prompt", "none")]);
    assert_eq!(sign_in.authorize(&forged, IP, Some(&session)).await.unwrap_err().code, ErrorCode::LoginRequired);

    // Logout without a hint asks the person first (RP-Initiated Logout §2), and the session
    // stays until they answer; with their answer it ends.
    assert_eq!(sign_in.end_session(&[], Some(&session), false).await.unwrap(), Logout::Confirm);
    assert!(matches!(sign_in.authorize(&silent, IP, Some(&session)).await.unwrap(), Authorized::Redirect(_)));
    let out = sign_in.end_session(&[], Some(&session), true).await.unwrap();
    assert_eq!(out, Logout::Ended { back: None, ended: true }, "nowhere to go back to: the signed-out page");
    assert!(matches!(sign_in.authorize(&params("shop", &[]), IP, Some(&session)).await.unwrap(), Authorized::Flow(_)));

    clock.advance(Duration::hours(8));
    let flow = open(&sign_in, "shop").await;
    let later = verify_in(&svc, &sign_in, &flow.id).await.session.unwrap();
    clock.advance(Duration::hours(8));
    let expired = sign_in.authorize(&params("shop", &[("prompt", "none")]), IP, Some(&later)).await.unwrap_err();
    assert_eq!(expired.code, ErrorCode::LoginRequired, "a session ends after its lifetime");
}

#[tokio::test]
async fn logout_goes_back_only_to_a_registered_address() {
    let (svc, _clock) = service(policy());
    let config = config(30);
    let sign_in = SignIn::new(&svc, &config);
    let pairs =
        |list: &[(&str, &str)]| list.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect::<Vec<_>>();
    let back = sign_in
        .end_session(
            &pairs(&[
                ("client_id", "shop"),
                ("post_logout_redirect_uri", "https://shop.example/bye"),
                ("state", "x y"),
            ]),
            None,
            false,
        )
        .await
        .unwrap();
    let back_to = Some("https://shop.example/bye?state=x+y".to_owned());
    assert_eq!(back, Logout::Ended { back: back_to.clone(), ended: false }, "no session: nothing to ask");
    for refused in [
        pairs(&[("client_id", "shop"), ("post_logout_redirect_uri", "https://shop.example/bye/")]),
        pairs(&[("client_id", "blog"), ("post_logout_redirect_uri", "https://shop.example/bye")]),
        pairs(&[("post_logout_redirect_uri", "https://shop.example/bye")]),
        pairs(&[("id_token_hint", "a.b.c"), ("post_logout_redirect_uri", "https://shop.example/bye")]),
    ] {
        let e = sign_in.end_session(&refused, None, true).await.unwrap_err();
        assert_eq!(e.delivery, Said::Page, "{refused:?}");
    }

    // The session's person's own ID token as the hint: ended at once; another's: asked first.
    let flow = open(&sign_in, "shop").await;
    let ended = verify_in(&svc, &sign_in, &flow.id).await;
    let session = ended.session.unwrap();
    let tokens = sign_in.token(&token_form("shop", &query(&ended.redirect_to)["code"]), None).await.unwrap();
    let theirs = tokens["id_token"].as_str().unwrap();
    let with_hint = |hint: &str| {
        pairs(&[("id_token_hint", hint), ("post_logout_redirect_uri", "https://shop.example/bye"), ("state", "x y")])
    };
    let other_flow = open(&sign_in, "shop").await;
    let sent = request_code(&svc, phone("+14155552672"), IP, Ask::default(), other_flow.id.clone()).await;
    let other = sign_in.verify(&sent.unwrap().request_id, &code("123456"), &other_flow.id, None).await.unwrap();
    let other_tokens = sign_in.token(&token_form("shop", &query(&other.redirect_to)["code"]), None).await.unwrap();
    let another = other_tokens["id_token"].as_str().unwrap();
    assert_eq!(sign_in.end_session(&with_hint(another), Some(&session), false).await.unwrap(), Logout::Confirm);
    let out = sign_in.end_session(&with_hint(theirs), Some(&session), false).await.unwrap();
    assert_eq!(out, Logout::Ended { back: back_to, ended: true });
    assert_eq!(svc.store().session(&session, svc.clock().now()).await.unwrap(), None, "ended");
}

/// prompt=none never shows the page (Core §3.1.2.1): what the page would say goes back to the
/// client; `consent` and `select_account` are met on the page; an `id_token_hint` stays with
/// the flow, and a proof of another number ends it with `login_required`, not a code.
#[tokio::test]
async fn prompt_none_never_shows_the_page_and_a_hint_outlives_the_flow() {
    let (svc, _clock) = service(policy());
    let tight = config(1);
    let sign_in = SignIn::new(&svc, &tight);
    let flow = open(&sign_in, "shop").await;
    let ended = verify_in(&svc, &sign_in, &flow.id).await;
    let session = ended.session.clone().unwrap();
    let tokens = sign_in.token(&token_form("shop", &query(&ended.redirect_to)["code"]), None).await.unwrap();
    let hint = tokens["id_token"].as_str().unwrap().to_owned();
    // The one flow of this address's window is spent: a silent request hears it at its address.
    let silent = sign_in.authorize(&params("shop", &[("prompt", "none")]), IP, Some(&session)).await.unwrap_err();
    let to = silent.location("https://v.example").expect("back to the client, not the page");
    assert_eq!(query(&to)["error"], "temporarily_unavailable");
    let page = sign_in.authorize(&params("shop", &[]), IP, Some(&session)).await.unwrap_err();
    assert_eq!((page.code, page.delivery), (ErrorCode::TooManySignIns, Said::Page));

    let roomy = config(30);
    let sign_in = SignIn::new(&svc, &roomy);
    for prompt in ["consent", "select_account", "login consent"] {
        let asked = sign_in.authorize(&params("shop", &[("prompt", prompt)]), IP, Some(&session)).await;
        assert!(matches!(asked.unwrap(), Authorized::Flow(_)), "{prompt}");
    }
    let Authorized::Flow(hinted) =
        sign_in.authorize(&params("shop", &[("id_token_hint", &hint), ("prompt", "login")]), IP, None).await.unwrap()
    else {
        panic!("a flow")
    };
    assert_eq!(
        hinted.request.expected_subject.as_deref(),
        Some(svc.hasher().pairwise("+14155552671", "shop").as_str())
    );
    let sent = request_code(&svc, phone("+14155552672"), IP, Ask::default(), hinted.id.clone()).await.unwrap();
    let err = sign_in.verify(&sent.request_id, &code("123456"), &hinted.id, Some(&session)).await.unwrap_err();
    let VerifyError::NotTheHintedPerson(refused) = err else { panic!("{err:?}") };
    assert_eq!(query(&refused.1)["error"], "login_required");
    assert_eq!(svc.store().session(&session, svc.clock().now()).await.unwrap(), None, "the old session is over");
}

#[tokio::test]
async fn a_refused_request_opens_no_flow_and_a_code_from_elsewhere_ends_none() {
    let (svc, clock) = service(policy());
    let config = config(30);
    let sign_in = SignIn::new(&svc, &config);
    let err = sign_in.authorize(&params("evil", &[]), IP, None).await.unwrap_err();
    assert_eq!((err.code, err.delivery), (ErrorCode::InvalidClient, Said::Page));
    let (flow, other) = (open(&sign_in, "shop").await, open(&sign_in, "shop").await);
    let outside = svc.request_code_within(phone("+14155552671"), IP, Ask::default(), None).await.unwrap();
    let err = sign_in.verify(&outside.request_id, &code("123456"), &flow.id, None).await.unwrap_err();
    assert!(matches!(err, VerifyError::Check(CheckCodeError::Denied(AttemptDenied::OtherFlow))), "{err:?}");
    clock.advance(Duration::seconds(60));
    let sent = request_code(&svc, phone("+14155552672"), IP, Ask::default(), other.id.clone()).await.unwrap();
    let err = sign_in.verify(&sent.request_id, &code("123456"), &flow.id, None).await.unwrap_err();
    assert!(matches!(err, VerifyError::Check(CheckCodeError::Denied(AttemptDenied::OtherFlow))), "{err:?}");
    let record = svc.store().get(&sent.request_id, svc.clock().now()).await.unwrap().unwrap();
    assert_eq!((record.attempts, record.status), (0, VerificationStatus::Pending), "nothing spent");
    assert!(sign_in.flow(&flow.id).await.unwrap().is_some(), "still open for its own code");
}

/// A test number signs in only to a client registered with `allowTestNumbers`, and never gets a
/// session.
#[tokio::test]
async fn a_test_number_signs_in_only_where_its_client_accepts_them_and_gets_no_session() {
    let (svc, _clock) = service(policy());
    let config = config(30);
    let sign_in = SignIn::new(&svc, &config);
    let (refusing, accepting) = (open(&sign_in, "shop").await, open(&sign_in, "lab").await);
    let how = Ask::default();
    let test = || phone("+12015550123");
    let err = request_code(&svc, test(), IP, how, refusing.id.clone()).await.unwrap_err();
    assert!(matches!(err, RequestCodeError::Refused { rule: Rule::TestNumberRefused, .. }), "{err:?}");
    let err = request_code(&svc, test(), IP, how, FlowId::generate()).await.unwrap_err();
    assert!(matches!(err, RequestCodeError::Refused { rule: Rule::TestNumberRefused, .. }), "no flow: {err:?}");
    let sent = request_code(&svc, test(), IP, how, accepting.id.clone()).await.unwrap();
    let ended = sign_in.verify(&sent.request_id, &code("482916"), &accepting.id, None).await.unwrap();
    assert!(ended.verified.test && ended.session.is_none(), "a test number proves nothing of the browser");
    // A code asked for in the refusing flow without the check does not end it either.
    let before = svc.request_code_within(test(), IP, how, Some(refusing.id.clone())).await.unwrap();
    let err = sign_in.verify(&before.request_id, &code("482916"), &refusing.id, None).await.unwrap_err();
    assert!(matches!(err, VerifyError::TestNumberRefused), "{err:?}");
    assert!(svc.provider().calls().iter().all(|c| !c.contains("+12015550123")), "nothing sent to a test number");
}

/// A client (an address, an IPv6 /64) opens so many sign-in flows a window, then waits for the
/// next with the time left; a refused request counts nothing.
#[tokio::test]
async fn a_client_opens_so_many_flows_a_window_and_is_told_how_long_to_wait() {
    let (svc, clock) = service(policy());
    let config = config(3);
    let sign_in = SignIn::new(&svc, &config);
    let start = clock.now().unix_timestamp().div_euclid(600) * 600;
    clock.advance(Duration::seconds(start + 240 - clock.now().unix_timestamp()));
    for _ in 0..3 {
        sign_in.authorize(&params("evil", &[]), "2001:db8::1", None).await.unwrap_err();
    }
    for host in ["2001:db8::1", "2001:db8::2", "2001:db8::ffff:3"] {
        sign_in.authorize(&params("shop", &[]), host, None).await.unwrap();
    }
    let err = sign_in.authorize(&params("shop", &[]), "2001:db8::4", None).await.unwrap_err();
    assert_eq!((err.code, err.retry_after_seconds, err.delivery), (ErrorCode::TooManySignIns, Some(360), Said::Page));
    sign_in.authorize(&params("shop", &[]), "2001:db8:0:1::1", None).await.unwrap();
    clock.advance(Duration::seconds(360));
    sign_in.authorize(&params("shop", &[]), "2001:db8::4", None).await.unwrap();
}

#[tokio::test]
async fn a_flow_lasts_ten_minutes_and_its_code_sixty_seconds() {
    let (svc, clock) = service(policy());
    let config = config(30);
    let sign_in = SignIn::new(&svc, &config);
    let late = open(&sign_in, "shop").await;
    clock.advance(FLOW_LIFETIME);
    let sent = request_code(&svc, phone("+14155552671"), IP, Ask::default(), late.id.clone()).await.unwrap();
    assert!(matches!(sign_in.verify(&sent.request_id, &code("123456"), &late.id, None).await, Err(VerifyError::Over)));

    clock.advance(Duration::seconds(60));
    let flow = open(&sign_in, "shop").await;
    let ended = verify_in(&svc, &sign_in, &flow.id).await;
    clock.advance(CODE_LIFETIME);
    let late = sign_in.token(&token_form("shop", &query(&ended.redirect_to)["code"]), None).await.unwrap_err();
    assert_eq!(late.code, ErrorCode::InvalidGrant, "the code is late");
}

#[test]
fn the_page_languages_are_the_catalogues() {
    assert_eq!(PAGE_LOCALES, ["en", "ar", "de", "es", "fr", "pt"]);
    let _ = CodeVerifier::parse(VERIFIER).unwrap();
}
