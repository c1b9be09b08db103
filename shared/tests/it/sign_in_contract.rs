//! One contract, two stores, for sign-in: flows, their codes and sessions against the in-memory
//! store and against DynamoDB (moto, as in `store_contract`).

use std::sync::Arc;

use shared::clock::{Clock, ManualClock};
use shared::domain::channel::Channel;
use shared::domain::write_id::WriteId;
use shared::sign_in::domain::authorization::{AuthorizationCode, AuthorizationRequest, CodeGrant, FlowId, SignInFlow};
use shared::sign_in::domain::pkce::{CodeChallenge, CodeVerifier};
use shared::sign_in::domain::session::{Session, SessionId};
use shared::sign_in::store::{FlowWindow, Redemption, SignInStore};
use time::{Duration, OffsetDateTime};

contract!(
    a_flow_is_stored_once_and_read_while_it_is_open,
    a_flow_ends_with_one_code_and_a_retry_of_it,
    a_code_is_redeemed_only_by_its_client_address_and_verifier,
    a_code_is_redeemed_once_and_a_retry_of_that_redemption_succeeds,
    two_redemptions_at_once_one_wins,
    a_code_without_pkce_takes_no_verifier_and_one_with_pkce_needs_it,
    a_clients_flows_are_counted_to_their_bound_and_a_retry_counts_once,
    a_flow_without_a_nonce_hint_or_language_reads_back_without_them,
    a_session_is_read_until_it_expires_or_ends,
);

/// RFC 7636 Appendix B's verifier, and another.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const OTHER_VERIFIER: &str = "0123456789012345678901234567890123456789abc";

fn verifier(v: &str) -> CodeVerifier {
    CodeVerifier::parse(v).unwrap()
}

fn flow(now: OffsetDateTime) -> SignInFlow {
    SignInFlow {
        id: FlowId::generate(),
        request: AuthorizationRequest {
            client_id: "shop".into(),
            redirect_uri: "https://shop.example/cb".into(),
            state: "s-1".into(),
            nonce: Some("n-1".into()),
            challenge: Some(CodeChallenge::of(&verifier(VERIFIER))),
            phone_scope: true,
            // Read back whole: request-otp reads it from the flow.
            test_numbers: true,
            channels: shared::domain::channel::Channels::parse("whatsapp,sms").ok(),
            // The page reads these back (the number sealed).
            login_hint: Some("+14155552671".into()),
            locale: Some("ar"),
            expected_subject: Some("pairwise-sub".into()),
        },
        expires_at: now + Duration::minutes(10),
    }
}

fn grant(flow: &SignInFlow, now: OffsetDateTime) -> CodeGrant {
    let request = &flow.request;
    CodeGrant {
        client_id: request.client_id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        challenge: request.challenge.clone(),
        nonce: request.nonce.clone(),
        phone_scope: request.phone_scope,
        phone_e164: "+14155552671".into(),
        verified_at: now,
        channel: Channel::Voice,
        // Kept through the store: a test number's sign-in says so in its ID token.
        test: true,
        expires_at: now + Duration::seconds(60),
    }
}

fn by<'a>(verifier: &'a CodeVerifier, name: &'a WriteId) -> Redemption<'a> {
    Redemption { client_id: "shop", redirect_uri: "https://shop.example/cb", verifier: Some(verifier), by: name }
}

async fn a_flow_is_stored_once_and_read_while_it_is_open(store: impl SignInStore) {
    let now = ManualClock::new().now();
    let f = flow(now);
    store.open_flow(&f).await.unwrap();
    store.open_flow(&f).await.unwrap();
    assert_eq!(store.flow(&f.id, now).await.unwrap(), Some(f.clone()), "read back whole");
    assert_eq!(store.flow(&f.id, f.expires_at).await.unwrap(), None, "over at its expiry");
    assert_eq!(store.flow(&FlowId::generate(), now).await.unwrap(), None);
}

async fn a_flow_ends_with_one_code_and_a_retry_of_it(store: impl SignInStore) {
    let now = ManualClock::new().now();
    let f = flow(now);
    store.open_flow(&f).await.unwrap();
    let code = AuthorizationCode::generate();
    assert!(store.issue_code(&f.id, &code, &grant(&f, now), now).await.unwrap());
    assert!(store.issue_code(&f.id, &code, &grant(&f, now), now).await.unwrap(), "a retry of the same code");
    let other = AuthorizationCode::generate();
    assert!(!store.issue_code(&f.id, &other, &grant(&f, now), now).await.unwrap(), "a second code");
    assert_eq!(store.flow(&f.id, now).await.unwrap(), None, "ended");
    assert_eq!(store.redeem_code(&other, by(&verifier(VERIFIER), &WriteId::generate()), now).await.unwrap(), None);

    let late = flow(now);
    store.open_flow(&late).await.unwrap();
    let code = AuthorizationCode::generate();
    assert!(!store.issue_code(&late.id, &code, &grant(&late, now), late.expires_at).await.unwrap(), "expired");
    assert!(!store.issue_code(&FlowId::generate(), &code, &grant(&late, now), now).await.unwrap(), "unknown");
}

async fn a_code_is_redeemed_only_by_its_client_address_and_verifier(store: impl SignInStore) {
    let now = ManualClock::new().now();
    let f = flow(now);
    store.open_flow(&f).await.unwrap();
    let code = AuthorizationCode::generate();
    store.issue_code(&f.id, &code, &grant(&f, now), now).await.unwrap();
    let (right, wrong) = (verifier(VERIFIER), verifier(OTHER_VERIFIER));
    let name = WriteId::generate();
    let tries = [
        Redemption { client_id: "bank", ..by(&right, &name) },
        Redemption { redirect_uri: "https://shop.example/cb2", ..by(&right, &name) },
        by(&wrong, &name),
    ];
    for attempt in tries {
        assert_eq!(store.redeem_code(&code, attempt, now).await.unwrap(), None, "{attempt:?}");
    }
    assert_eq!(
        store.redeem_code(&code, by(&right, &name), now + Duration::seconds(60)).await.unwrap(),
        None,
        "expired"
    );
    // None of those used it up.
    assert_eq!(store.redeem_code(&code, by(&right, &name), now).await.unwrap(), Some(grant(&f, now)));
    assert_eq!(
        store.redeem_code(&AuthorizationCode::generate(), by(&right, &WriteId::generate()), now).await.unwrap(),
        None
    );
}

async fn a_code_is_redeemed_once_and_a_retry_of_that_redemption_succeeds(store: impl SignInStore) {
    let now = ManualClock::new().now();
    let f = flow(now);
    store.open_flow(&f).await.unwrap();
    let code = AuthorizationCode::generate();
    store.issue_code(&f.id, &code, &grant(&f, now), now).await.unwrap();
    let right = verifier(VERIFIER);
    let first = WriteId::generate();
    assert!(store.redeem_code(&code, by(&right, &first), now).await.unwrap().is_some());
    assert!(store.redeem_code(&code, by(&right, &first), now).await.unwrap().is_some(), "its own retry");
    assert_eq!(store.redeem_code(&code, by(&right, &WriteId::generate()), now).await.unwrap(), None, "a second");
}

async fn a_code_without_pkce_takes_no_verifier_and_one_with_pkce_needs_it(store: impl SignInStore) {
    let now = ManualClock::new().now();
    let with_pkce = flow(now);
    let mut without = flow(now);
    without.request.challenge = None;
    let (a, b) = (AuthorizationCode::generate(), AuthorizationCode::generate());
    for (f, code) in [(&with_pkce, &a), (&without, &b)] {
        store.open_flow(f).await.unwrap();
        assert_eq!(store.flow(&f.id, now).await.unwrap().as_ref(), Some(f), "read back whole");
        store.issue_code(&f.id, code, &grant(f, now), now).await.unwrap();
    }
    let (name, right) = (WriteId::generate(), verifier(VERIFIER));
    let none = Redemption { verifier: None, ..by(&right, &name) };
    assert_eq!(store.redeem_code(&a, none, now).await.unwrap(), None, "a challenge needs its verifier");
    assert_eq!(store.redeem_code(&b, by(&right, &name), now).await.unwrap(), None, "none takes none");
    assert_eq!(store.redeem_code(&b, none, now).await.unwrap(), Some(grant(&without, now)));
}

async fn two_redemptions_at_once_one_wins<S: SignInStore + 'static>(store: S) {
    let now = ManualClock::new().now();
    let f = flow(now);
    store.open_flow(&f).await.unwrap();
    let code = AuthorizationCode::generate();
    store.issue_code(&f.id, &code, &grant(&f, now), now).await.unwrap();
    let store = Arc::new(store);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (store, code) = (store.clone(), code.clone());
            tokio::spawn(async move {
                let right = verifier(VERIFIER);
                store.redeem_code(&code, by(&right, &WriteId::generate()), now).await.unwrap().is_some()
            })
        })
        .collect();
    let mut won = 0;
    for task in tasks {
        won += usize::from(task.await.unwrap());
    }
    assert_eq!(won, 1);
}

/// What a copy of the table holds of a code: neither the code (its key is the digest) nor the
/// number (sealed to that key).
#[tokio::test]
async fn a_dynamodb_code_item_holds_neither_the_code_nor_the_number() {
    use aws_sdk_dynamodb::types::AttributeValue;
    use shared::adapters::dynamo::PARTITION_KEY;

    let store = shared::testing::dynamo_store().await;
    let now = ManualClock::new().now();
    let f = flow(now);
    store.open_flow(&f).await.unwrap();
    let code = AuthorizationCode::generate();
    store.issue_code(&f.id, &code, &grant(&f, now), now).await.unwrap();
    let raw = store
        .client()
        .get_item()
        .table_name(store.table())
        .key(PARTITION_KEY, AttributeValue::S(format!("code#{}", code.digest())))
        .send()
        .await
        .unwrap()
        .item
        .expect("the code's item is there");
    let dump = format!("{raw:?}");
    assert!(!dump.contains(code.expose()), "{dump}");
    assert!(!dump.contains("4155552671"), "{dump}");
}

async fn a_clients_flows_are_counted_to_their_bound_and_a_retry_counts_once(store: impl SignInStore) {
    let now = ManualClock::new().now();
    // Names of this run's own (the DynamoDB tests share a table).
    let client = |name: &str| shared::testing::subject_key(&format!("{name}-{}", FlowId::generate().as_str()));
    let window = FlowWindow { client: client("client"), start: now, end: now + Duration::minutes(10) };
    let first = FlowId::generate();
    assert!(store.count_flow(&window, 3, &first).await.unwrap());
    assert!(store.count_flow(&window, 3, &first).await.unwrap(), "a retry succeeds");
    assert!(store.count_flow(&window, 3, &FlowId::generate()).await.unwrap());
    assert!(store.count_flow(&window, 3, &FlowId::generate()).await.unwrap(), "the retry counted once");
    assert!(!store.count_flow(&window, 3, &FlowId::generate()).await.unwrap(), "past the bound");
    assert!(!store.count_flow(&window, 3, &FlowId::generate()).await.unwrap(), "and still");
    let other = FlowWindow { client: client("other"), ..window.clone() };
    assert!(store.count_flow(&other, 3, &FlowId::generate()).await.unwrap(), "another client");
    let next = FlowWindow { start: window.end, end: window.end + Duration::minutes(10), ..window.clone() };
    assert!(store.count_flow(&next, 3, &FlowId::generate()).await.unwrap(), "the next window");
}

async fn a_flow_without_a_nonce_hint_or_language_reads_back_without_them(store: impl SignInStore) {
    let now = ManualClock::new().now();
    let mut f = flow(now);
    (f.request.nonce, f.request.login_hint, f.request.locale, f.request.expected_subject) = (None, None, None, None);
    store.open_flow(&f).await.unwrap();
    assert_eq!(store.flow(&f.id, now).await.unwrap(), Some(f.clone()));
    let code = AuthorizationCode::generate();
    assert!(store.issue_code(&f.id, &code, &grant(&f, now), now).await.unwrap());
    let redeemed = store.redeem_code(&code, by(&verifier(VERIFIER), &WriteId::generate()), now).await.unwrap();
    assert_eq!(redeemed.unwrap().nonce, None);
}

async fn a_session_is_read_until_it_expires_or_ends(store: impl SignInStore) {
    let now = ManualClock::new().now();
    let session = Session {
        phone_e164: "+14155552671".into(),
        verified_at: now,
        channel: Channel::Voice,
        expires_at: now + Duration::hours(8),
    };
    let (id, other) = (SessionId::generate(), SessionId::generate());
    store.open_session(&id, &session).await.unwrap();
    store.open_session(&id, &session).await.unwrap();
    store.open_session(&other, &session).await.unwrap();
    assert_eq!(store.session(&id, now).await.unwrap(), Some(session.clone()), "read back whole");
    assert_eq!(store.session(&id, session.expires_at).await.unwrap(), None, "over at its expiry");
    assert_eq!(store.session(&SessionId::generate(), now).await.unwrap(), None);
    store.end_session(&id).await.unwrap();
    store.end_session(&id).await.unwrap();
    assert_eq!(store.session(&id, now).await.unwrap(), None, "ended");
    assert_eq!(store.session(&other, now).await.unwrap(), Some(session), "another browser's stays");
}
