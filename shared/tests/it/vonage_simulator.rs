//! The Vonage client against the simulator, for both APIs: what a real verification goes through.

use std::time::Duration;

use shared::adapters::vonage::{Begun, CancelOutcome, NextStepOutcome, OneAtATime, VonageClient};
use shared::domain::channel::Delivery;
use shared::domain::otp_code::OtpCode;
use shared::domain::phone::{CountryAllowList, PhoneNumber};
use shared::domain::request_id::RequestId;
use shared::domain::verification::ProviderRequestId;
use shared::ports::{CheckOutcome, ProviderError, StartOutcome, VerificationProvider};
use vonage_sim::{Fault, Running, SimConfig, Simulator};

async fn setup(api: &str) -> (Running, VonageClient) {
    let sim = Simulator::spawn(SimConfig::default()).await.unwrap();
    // A bound on a hung test only: the simulator in the test's own process may answer late when
    // the test command's other checks share the cores.
    let client = client_within(&sim, api, "10000");
    (sim, client)
}

fn client_within(sim: &Running, api: &str, timeout_ms: &str) -> VonageClient {
    let config = shared::testing::config(&sim.base_url(), &[("VONAGE_API", api), ("VONAGE_TIMEOUT_MS", timeout_ms)]);
    VonageClient::new(config.vonage).unwrap()
}

fn phone(n: &str) -> PhoneNumber {
    PhoneNumber::parse(n, &CountryAllowList::default()).unwrap()
}

fn code(c: &str) -> OtpCode {
    OtpCode::parse(c, 6).unwrap()
}

async fn start(client: &VonageClient, to: &PhoneNumber) -> ProviderRequestId {
    match client.start(to, &RequestId::generate()).await.unwrap() {
        StartOutcome::Started(id) => id,
        other => panic!("expected a start, got {other:?}"),
    }
}

fn wrong(right: &str) -> OtpCode {
    code(&format!("{:06}", (right.parse::<u32>().unwrap() + 1) % 1_000_000))
}

#[tokio::test]
async fn both_apis_send_and_check_a_code() {
    for api in ["v2", "legacy"] {
        let (sim, client) = setup(api).await;
        let id = start(&client, &phone("+14155552671")).await;
        let message = sim.simulator.messages().pop().unwrap();
        assert_eq!((message.to.as_str(), message.channel.as_str()), ("+14155552671", "sms"), "{api}");
        assert_eq!(message.code.len(), 6, "{api}: OTP_CODE_LENGTH reaches the provider");
        assert_eq!(
            client.check(&RequestId::generate(), &id, &wrong(&message.code)).await,
            Ok(CheckOutcome::WrongCode),
            "{api}"
        );
        assert_eq!(
            client.check(&RequestId::generate(), &id, &code(&message.code)).await,
            Ok(CheckOutcome::Verified),
            "{api}"
        );
        assert_eq!(
            client.check(&RequestId::generate(), &id, &code(&message.code)).await,
            Ok(CheckOutcome::Gone),
            "{api}"
        );
    }
}

#[tokio::test]
async fn both_apis_end_a_verification_after_three_wrong_codes() {
    for api in ["v2", "legacy"] {
        let (sim, client) = setup(api).await;
        let id = start(&client, &phone("+14155552671")).await;
        let right = sim.simulator.messages().pop().unwrap().code;
        assert_eq!(
            client.check(&RequestId::generate(), &id, &wrong(&right)).await,
            Ok(CheckOutcome::WrongCode),
            "{api}"
        );
        assert_eq!(
            client.check(&RequestId::generate(), &id, &wrong(&right)).await,
            Ok(CheckOutcome::WrongCode),
            "{api}"
        );
        assert_eq!(
            client.check(&RequestId::generate(), &id, &wrong(&right)).await,
            Ok(CheckOutcome::Terminated),
            "{api}"
        );
        assert_eq!(client.check(&RequestId::generate(), &id, &code(&right)).await, Ok(CheckOutcome::Gone), "{api}");
    }
}

#[tokio::test]
async fn both_apis_hold_one_verification_per_number_and_cancel_after_thirty_seconds() {
    for api in ["v2", "legacy"] {
        let (sim, client) = setup(api).await;
        let to = phone("+14155552671");
        let first = start(&client, &to).await;
        let again = client.begin(&to, &RequestId::generate(), Delivery::default()).await;
        assert_eq!(again, Ok(Begun::Concurrent(Some(first.clone()))), "{api}");
        assert_eq!(OneAtATime::cancel(&client, &first).await, Ok(CancelOutcome::NotNow), "{api}");
        assert_eq!(client.next_step(&first).await, Ok(NextStepOutcome::NoMoreSteps), "{api}: SMS only");
        // Through the port, the rule is played: nothing can replace the first yet.
        let busy = client.start(&to, &RequestId::generate()).await;
        assert_eq!(busy, Ok(StartOutcome::Busy { retry_after_seconds: 30 }), "{api}");
        sim.simulator.advance(Duration::from_secs(30));
        let second = start(&client, &to).await;
        assert_ne!(second, first, "{api}: the first cancelled, a second started");
        assert_eq!(OneAtATime::cancel(&client, &first).await, Ok(CancelOutcome::Gone), "{api}");
        assert_eq!(OneAtATime::cancel(&client, &second).await, Ok(CancelOutcome::NotNow), "{api}");
    }
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    for api in ["v2", "legacy"] {
        let (sim, client) = setup(api).await;
        let id = start(&client, &phone("+14155552671")).await;
        let right = sim.simulator.messages().pop().unwrap().code;
        sim.simulator.advance(Duration::from_secs(300));
        let outcome = client.check(&RequestId::generate(), &id, &code(&right)).await.unwrap();
        // v2 answers 410 for an expired verification, v1 status 6.
        assert!(matches!(outcome, CheckOutcome::Terminated | CheckOutcome::Gone), "{api}: {outcome:?}");
    }
}

#[tokio::test]
async fn simulated_faults_map_to_error_classes() {
    for api in ["v2", "legacy"] {
        let (sim, client) = setup(api).await;
        let to = phone("+14155552671");
        sim.simulator.add_fault(Fault { status: Some(500), ..Fault::default() });
        // v2's 500 may come after the work: its outcome is unknown; v1 answers in its status.
        let failed = client.start(&to, &RequestId::generate()).await;
        match api {
            "v2" => assert!(matches!(failed, Err(ProviderError::Unknown(_))), "{api}: {failed:?}"),
            _ => assert!(
                matches!(failed, Err(ProviderError::Failed(_) | ProviderError::Unknown(_))),
                "{api}: {failed:?}"
            ),
        }
        sim.simulator.add_fault(Fault { status: Some(429), retry_after_seconds: Some(9), ..Fault::default() });
        let throttled = client.start(&to, &RequestId::generate()).await;
        assert_eq!(throttled, Err(ProviderError::Throttled { retry_after_seconds: Some(9) }), "{api}");
        sim.simulator.add_fault(Fault { delay_ms: 1000, ..Fault::default() });
        let impatient = client_within(&sim, api, "300");
        assert_eq!(impatient.start(&to, &RequestId::generate()).await, Err(ProviderError::Timeout), "{api}");
        // The fault was used up: the next call goes through.
        start(&client, &to).await;
    }
    let (sim, client) = setup("legacy").await;
    sim.simulator.add_fault(Fault { v1_status: Some("5".into()), ..Fault::default() });
    assert!(matches!(
        client.start(&phone("+14155552671"), &RequestId::generate()).await,
        Err(ProviderError::Failed(_))
    ));
}

#[tokio::test]
async fn wrong_credentials_are_a_provider_failure() {
    let sim = Simulator::spawn(SimConfig::default()).await.unwrap();
    // Another application's JWT (its id; the simulator checks the key's signature too), a wrong
    // secret on v2 without an application, and on the legacy API.
    let cases = [
        ("v2", "VONAGE_APPLICATION_ID", "00000000-0000-4000-8000-00000000ffff"),
        ("v2", "VONAGE_APPLICATION_ID", ""),
        ("legacy", "VONAGE_APPLICATION_ID", ""),
    ];
    for (api, name, value) in cases {
        let overrides = [("VONAGE_API", api), ("VONAGE_API_SECRET", "not-the-secret"), (name, value)];
        let config = shared::testing::config(&sim.base_url(), &overrides);
        let client = VonageClient::new(config.vonage).unwrap();
        let result = client.start(&phone("+14155552671"), &RequestId::generate()).await;
        assert!(matches!(result, Err(ProviderError::Failed(_))), "{api}: {result:?}");
    }
    assert!(sim.simulator.messages().is_empty());
}
