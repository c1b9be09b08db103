//! Application JWTs on Verify v2, as Vonage checks them: RS256 with the application's key, for
//! its id, dated and within their life.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use vonage_sim::{DEV_APPLICATION_ID, DEV_APPLICATION_KEY_PEM};

use super::*;

/// An application the simulator does not stand for: its own key pair.
const OTHER_KEY_PEM: &str = include_str!("other-application.pem");

pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A token as a Vonage SDK makes one for the development application, fresh.
pub fn app_token() -> String {
    let now = now();
    rs256(
        &json!({"application_id": DEV_APPLICATION_ID, "iat": now, "jti": uuid(), "exp": now + 900}),
        DEV_APPLICATION_KEY_PEM,
    )
}

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn signing_input(header: &Value, claims: &Value) -> String {
    format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()))
}

/// `claims` signed RS256 with the PKCS#8 key in `pem`.
fn rs256(claims: &Value, pem: &str) -> String {
    rs256_under(&json!({"alg": "RS256", "typ": "JWT"}), claims, pem)
}

/// `header` and `claims` signed RS256, whatever the header says.
fn rs256_under(header: &Value, claims: &Value, pem: &str) -> String {
    let pair = RsaKeyPair::from_pkcs8(&der(pem)).unwrap();
    let input = signing_input(header, claims);
    let mut signature = vec![0; pair.public().modulus_len()];
    pair.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), input.as_bytes(), &mut signature).unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn der(pem: &str) -> Vec<u8> {
    let base64: String = pem
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    STANDARD.decode(base64).unwrap()
}

async fn start_with(s: &Running, c: &Client, token: &str, to: &str) -> (StatusCode, Value) {
    v2_start_as(s, c, token, &start_body(to)).await
}

fn claims(iat: i64) -> Value {
    json!({"application_id": DEV_APPLICATION_ID, "iat": iat, "jti": uuid()})
}

#[tokio::test]
async fn a_token_signed_for_the_application_is_accepted_on_every_call() {
    let (s, c) = sim().await;
    let (status, started) = start_with(&s, &c, &app_token(), "14155552671").await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let id = started["request_id"].as_str().unwrap();
    // Without `exp`, 15 minutes from `iat`: a token made ten minutes ago still works.
    let older = rs256(&claims(now() - 600), DEV_APPLICATION_KEY_PEM);
    let code = s.simulator.messages()[0].code.clone();
    let checked =
        c.post(format!("{}/v2/verify/{id}", s.base_url())).bearer_auth(&older).json(&json!({"code": code})).send();
    assert_eq!(checked.await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn tokens_refused_as_unauthorized() {
    let (s, c) = sim().await;
    let now = now();
    let header_rs = json!({"alg": "RS256", "typ": "JWT"});
    let good = rs256(&claims(now), DEV_APPLICATION_KEY_PEM);
    let signature = good.rsplit('.').next().unwrap();
    // HS256 keyed with the application's public key: the algorithm confusion a verifier that
    // trusts `alg` falls for.
    let public = vonage_sim::public_key_of(DEV_APPLICATION_KEY_PEM).unwrap();
    let hs_input = signing_input(&json!({"alg": "HS256", "typ": "JWT"}), &claims(now));
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&public).unwrap();
    mac.update(hs_input.as_bytes());
    let hs256 = format!("{hs_input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()));
    let cases = [
        ("alg none", format!("{}.", signing_input(&json!({"alg": "none"}), &claims(now)))),
        (
            "alg none with the RS256 signature",
            format!("{}.{signature}", signing_input(&json!({"alg": "none"}), &claims(now))),
        ),
        ("HS256", hs256),
        // Signed with the right key, but claiming another algorithm: Vonage takes RS256 only.
        ("RS256-signed, claiming none", rs256_under(&json!({"alg": "none"}), &claims(now), DEV_APPLICATION_KEY_PEM)),
        ("RS256-signed, claiming RS512", rs256_under(&json!({"alg": "RS512"}), &claims(now), DEV_APPLICATION_KEY_PEM)),
        ("another application's key", rs256(&claims(now), OTHER_KEY_PEM)),
        (
            "another application id",
            rs256(
                &json!({"application_id": "11111111-1111-4111-8111-111111111111", "iat": now}),
                DEV_APPLICATION_KEY_PEM,
            ),
        ),
        ("no iat", rs256(&json!({"application_id": DEV_APPLICATION_ID, "exp": now + 60}), DEV_APPLICATION_KEY_PEM)),
        ("no iat nor exp", rs256(&json!({"application_id": DEV_APPLICATION_ID}), DEV_APPLICATION_KEY_PEM)),
        (
            "a lifetime over 24 hours",
            rs256(
                &json!({"application_id": DEV_APPLICATION_ID, "iat": now, "exp": now + 86_401}),
                DEV_APPLICATION_KEY_PEM,
            ),
        ),
        (
            "before nbf",
            rs256(&json!({"application_id": DEV_APPLICATION_ID, "iat": now, "nbf": now + 60}), DEV_APPLICATION_KEY_PEM),
        ),
        ("claims changed after signing", {
            let forged = URL_SAFE_NO_PAD.encode(claims(now + 1).to_string());
            format!("{}.{forged}.{signature}", URL_SAFE_NO_PAD.encode(header_rs.to_string()))
        }),
    ];
    for (i, (case, token)) in cases.iter().enumerate() {
        let (status, problem) = start_with(&s, &c, token, &format!("1415555260{i}")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{case}");
        assert_eq!(problem["type"], "https://developer.vonage.com/api-errors#unauthorized", "{case}");
        assert_eq!(problem["title"], "Unauthorized", "{case}");
        assert_eq!(problem["detail"], "You did not provide correct credentials.", "{case}");
    }
    assert!(s.simulator.messages().is_empty(), "nothing sent for a refused token");
}

#[tokio::test]
async fn an_expired_token_gets_vonages_jwt_expired_problem() {
    let (s, c) = sim().await;
    let now = now();
    let expired = [
        json!({"application_id": DEV_APPLICATION_ID, "iat": now - 120, "exp": now - 60}),
        json!({"application_id": DEV_APPLICATION_ID, "iat": now - 901}),
    ];
    for claims in expired {
        let r = c
            .post(format!("{}/v2/verify", s.base_url()))
            .bearer_auth(rs256(&claims, DEV_APPLICATION_KEY_PEM))
            .json(&start_body("14155552671"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{claims}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let problem: Value = r.json().await.unwrap();
        assert_eq!(problem["title"], "You did not provide correct credentials.");
        assert_eq!(problem["detail"], "The JWT provided has expired.");
        assert_eq!(problem["type"], "https://developer.vonage.com/api-errors#jwt-expired");
        assert_eq!(problem["instance"].as_str().unwrap().len(), 36, "a uuid");
    }
}

#[tokio::test]
async fn a_host_configures_its_own_application() {
    let config = SimConfig {
        application_id: "my-app".into(),
        application_key: vonage_sim::public_key_of(OTHER_KEY_PEM).unwrap(),
        ..SimConfig::default()
    };
    let s = Simulator::spawn(config).await.unwrap();
    let c = client();
    let mine = rs256(&json!({"application_id": "my-app", "iat": now()}), OTHER_KEY_PEM);
    assert_eq!(start_with(&s, &c, &mine, "14155552671").await.0, StatusCode::ACCEPTED);
    assert_eq!(start_with(&s, &c, &app_token(), "14155552672").await.0, StatusCode::UNAUTHORIZED, "the dev one");
}
