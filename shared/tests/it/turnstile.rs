//! The bot check against the Turnstile stand-in, which answers as Cloudflare documents: the test
//! secret keys, single-use tokens that expire, hostnames and actions, and a siteverify that fails
//! or answers late.

use std::time::Duration;

use shared::adapters::turnstile::{ACTION, BotCheckError, Turnstile, TurnstileSettings};
use vonage_sim::turnstile::{DUMMY_TOKEN, TEST_SECRET_FAILS, TEST_SECRET_PASSES, TEST_SECRET_SPENT};
use vonage_sim::{Fault, SimConfig, Simulator};

const SIM_SECRET: &str = "sim-turnstile-secret";
const IP: &str = "198.51.100.7";

/// A bound on a hung test only: the simulator in the test's own process may answer late when the
/// test command's other checks share the cores.
const ANSWERS_IN: Duration = Duration::from_secs(10);

fn check(sim: &vonage_sim::Running, secret: &str, hostnames: &[&str]) -> Turnstile {
    check_within(sim, secret, hostnames, ANSWERS_IN)
}

fn check_within(sim: &vonage_sim::Running, secret: &str, hostnames: &[&str], timeout: Duration) -> Turnstile {
    Turnstile::new(TurnstileSettings {
        secret: secret.to_owned().into(),
        siteverify_url: format!("{}/turnstile/v0/siteverify", sim.base_url()),
        hostnames: hostnames.iter().map(|h| (*h).to_owned()).collect(),
        timeout,
    })
}

fn refused(result: Result<(), BotCheckError>) -> bool {
    matches!(result, Err(BotCheckError::Refused(_)))
}

#[tokio::test]
async fn the_test_secret_keys_answer_as_cloudflare_documents() {
    let sim = Simulator::spawn(SimConfig::default()).await.unwrap();
    let passes = check(&sim, TEST_SECRET_PASSES, &["verify.example.com"]);
    passes.verify(Some(DUMMY_TOKEN), IP).await.expect("the dummy token passes, on any hostname");
    passes.verify(Some(DUMMY_TOKEN), IP).await.expect("and again");
    assert!(refused(passes.verify(Some("a-real-looking-token"), IP).await), "only the dummy token");
    assert!(refused(check(&sim, TEST_SECRET_FAILS, &[]).verify(Some(DUMMY_TOKEN), IP).await));
    assert!(refused(check(&sim, TEST_SECRET_SPENT, &[]).verify(Some(DUMMY_TOKEN), IP).await));
}

#[tokio::test]
async fn a_token_passes_once_for_its_action_and_hostname_until_it_expires() {
    let sim = Simulator::spawn(SimConfig::default()).await.unwrap();
    let site = check(&sim, SIM_SECRET, &["verify.example.com"]);
    let token = sim.simulator.mint_turnstile_token("verify.example.com", ACTION);
    site.verify(Some(&token), IP).await.expect("a fresh token for this site and action");
    assert!(refused(site.verify(Some(&token), IP).await), "used once");

    let other_action = sim.simulator.mint_turnstile_token("verify.example.com", "login");
    assert!(refused(site.verify(Some(&other_action), IP).await), "another action's token");
    let other_site = sim.simulator.mint_turnstile_token("evil.example", ACTION);
    assert!(refused(site.verify(Some(&other_site), IP).await), "another site's token");
    let any_site = check(&sim, SIM_SECRET, &[]);
    let token = sim.simulator.mint_turnstile_token("evil.example", ACTION);
    any_site.verify(Some(&token), IP).await.expect("with no hostnames set, the widget's own list decides");

    let late = sim.simulator.mint_turnstile_token("verify.example.com", ACTION);
    sim.simulator.advance(Duration::from_secs(300));
    assert!(refused(site.verify(Some(&late), IP).await), "a token is good for 300 seconds");
    assert!(refused(site.verify(Some("made-up"), IP).await), "a forged token");
}

#[tokio::test]
async fn no_token_is_refused_without_asking_siteverify() {
    // Nothing listens here: asking would make the check unavailable, not refused.
    let nowhere = Turnstile::new(TurnstileSettings {
        secret: SIM_SECRET.to_owned().into(),
        siteverify_url: "http://127.0.0.1:9/turnstile/v0/siteverify".into(),
        hostnames: vec![],
        timeout: Duration::from_millis(500),
    });
    for token in [None, Some(""), Some("   ")] {
        assert!(refused(nowhere.verify(token, IP).await), "{token:?}");
    }
    assert!(refused(nowhere.verify(Some(&"x".repeat(2049)), IP).await), "longer than any Turnstile token");
    assert!(matches!(nowhere.verify(Some("a-token"), IP).await, Err(BotCheckError::Unavailable(_))));
}

#[tokio::test]
async fn siteverify_failing_or_late_is_unavailable_and_a_bad_secret_is_ours() {
    let sim = Simulator::spawn(SimConfig::default()).await.unwrap();
    let site = check(&sim, SIM_SECRET, &[]);
    let fault = |status, delay_ms| Fault { status, delay_ms, endpoint: "siteverify".into(), ..Fault::default() };

    // One 5xx is tried again, with the same idempotency key: the token still passes, once.
    sim.simulator.add_fault(fault(Some(502), 0));
    let token = sim.simulator.mint_turnstile_token("localhost", ACTION);
    site.verify(Some(&token), IP).await.expect("passes on the second try");
    assert!(refused(site.verify(Some(&token), IP).await));

    sim.simulator.add_fault(Fault { count: 2, ..fault(Some(500), 0) });
    let token = sim.simulator.mint_turnstile_token("localhost", ACTION);
    assert!(matches!(site.verify(Some(&token), IP).await, Err(BotCheckError::Unavailable(_))), "fails closed");

    sim.simulator.add_fault(fault(None, 2000));
    let token = sim.simulator.mint_turnstile_token("localhost", ACTION);
    let impatient = check_within(&sim, SIM_SECRET, &[], Duration::from_millis(300));
    assert!(matches!(impatient.verify(Some(&token), IP).await, Err(BotCheckError::Unavailable(_))), "past the timeout");

    let wrong_secret = check(&sim, "not-the-secret", &[]);
    let token = sim.simulator.mint_turnstile_token("localhost", ACTION);
    assert!(matches!(wrong_secret.verify(Some(&token), IP).await, Err(BotCheckError::Misconfigured(_))));
}
