//! The Basic plan's modules that call the authorization endpoint twice from the same browser:
//! `AbstractOIDCCSameAuthTwiceServerTest` (the second time through the sign-in session, with the
//! first ID token's `auth_time` and `sub`), and prompt=login and max_age=1, which must ask for a
//! new proof.

use crate::call;
use crate::conditions::*;
use crate::harness::{CLIENT, Module, Then, Tokens, on_the_local_runtime};

/// `AbstractOIDCCSameAuthTwiceServerTest`: a first sign-in (with `first` added to its request),
/// a second (with `second` added, given the first ID token), and the two ID tokens compared.
async fn same_auth_twice(
    first: &[(&str, &str)],
    second: impl Fn(&Tokens) -> Vec<(&'static str, String)>,
    validate_first: impl Fn(&mut Module, &Tokens),
    validate_second: impl Fn(&mut Module, &Tokens),
) {
    let mut m = Module::configure(CLIENT).await;
    let mut request = m.create_authorization_request();
    for (name, value) in first {
        request.set(name, value);
    }
    let first_tokens = m.authorization_flow(&request).await;
    validate_first(&mut m, &first_tokens);

    let mut request = m.create_authorization_request();
    for (name, value) in second(&first_tokens) {
        request.set(name, &value);
    }
    let second_tokens = m.authorization_flow(&request).await;
    validate_second(&mut m, &second_tokens);
    let (a, b) = (&first_tokens.id_token, &second_tokens.id_token);
    call!(m.log, Failure, check_id_token_auth_time_claims_same_if_present(a, b));
    call!(m.log, Failure, check_id_token_sub_consistent_for_second_authorization(a, b));
    m.log.finish();
}

/// oidcc-prompt-none-logged-in: the second time with prompt=none, answered at once.
#[test]
fn oidcc_prompt_none_logged_in() {
    on_the_local_runtime(same_auth_twice(&[], |_| vec![("prompt", "none".into())], |_, _| {}, |_, _| {}))
}

/// oidcc-max-age-10000: max_age=15000 the first time, 10000 the second; auth_time both times.
#[test]
fn oidcc_max_age_10000() {
    let present = |m: &mut Module, tokens: &Tokens| {
        call!(m.log, Failure, check_id_token_auth_time_claim_present_due_to_max_age(&tokens.id_token));
    };
    on_the_local_runtime(same_auth_twice(
        &[("max_age", "15000")],
        |_| vec![("max_age", "10000".into())],
        present,
        present,
    ))
}

/// oidcc-id-token-hint: the second time with prompt=none and the first ID token as the hint.
#[test]
fn oidcc_id_token_hint() {
    on_the_local_runtime(same_auth_twice(
        &[],
        |first| vec![("prompt", "none".into()), ("id_token_hint", first.id_token.value.clone())],
        |_, _| {},
        |_, _| {},
    ))
}

/// A first sign-in, a wait, and a second that must show the sign-in page again (the suite asks
/// for a screenshot of it: here, whether the person was asked for a code).
async fn signed_in_again(wait_seconds: u64, second: (&str, &str)) -> (Module, Tokens, Tokens) {
    let mut m = Module::configure(CLIENT).await;
    let request = m.create_authorization_request();
    let first = m.authorization_flow(&request).await;
    m.op.wait(wait_seconds).await;
    let mut request = m.create_authorization_request();
    request.set(second.0, second.1);
    let second_tokens = m.authorization_flow(&request).await;
    let asked = if m.asked_for_a_code { Ok(()) } else { Err("no second login page was shown".to_owned()) };
    m.log.condition(Then::Failure, "expect_second_login_page", asked);
    (m, first, second_tokens)
}

/// oidcc-prompt-login: the second time with prompt=login; its auth_time (if any) is later.
#[test]
fn oidcc_prompt_login() {
    on_the_local_runtime(async {
        let (mut m, first, second) = signed_in_again(1, ("prompt", "login")).await;
        call!(m.log, Failure, check_second_id_token_auth_time_is_later_if_present(&first.id_token, &second.id_token));
        m.log.finish();
    })
}

/// oidcc-max-age-1: two seconds on, the second time with max_age=1: a new login, its auth_time
/// present, later and recent.
#[test]
fn oidcc_max_age_1() {
    on_the_local_runtime(async {
        let (mut m, first, second) = signed_in_again(2, ("max_age", "1")).await;
        let (a, b) = (&first.id_token, &second.id_token);
        call!(m.log, Failure, check_id_token_auth_time_claim_present_due_to_max_age(b));
        call!(m.log, Failure, check_second_id_token_auth_time_is_later_if_present(a, b));
        call!(m.log, Failure, check_id_token_auth_time_is_recent_if_present(b));
        m.log.finish();
    })
}
