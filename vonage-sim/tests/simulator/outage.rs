//! Outages as a client sees them: the simulator down, slow or throttled until told otherwise.

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use time::OffsetDateTime;
use tokio::net::TcpStream;
use vonage_sim::{Outage, Ratio};

use super::*;

fn slow(delay_ms: u64, share: f64) -> Outage {
    Outage::Slow { delay_ms, deliver_ratio: Ratio::new(share).unwrap() }
}

async fn v2_start_with(s: &Running, c: &Client, to: &str) -> reqwest::Result<reqwest::Response> {
    c.post(format!("{}/v2/verify", s.base_url()))
        .basic_auth("simkey", Some("simsecret"))
        .json(&start_body(to))
        .send()
        .await
}

fn v1_start_form(to: &str) -> [(&str, &str); 4] {
    [("api_key", "simkey"), ("api_secret", "simsecret"), ("number", to), ("brand", "ACME")]
}

/// Until `done` holds of the messages (or ten seconds have passed: then the last ones).
async fn messages_once(s: &Running, done: impl Fn(&[vonage_sim::Message]) -> bool) -> Vec<vonage_sim::Message> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let messages = s.simulator.messages();
        if done(&messages) || Instant::now() > deadline {
            return messages;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn down_refuses_connections_and_fails_a_pooled_one() {
    let (s, c) = sim().await;
    // The client keeps this call's connection for its next one.
    assert_eq!(v2_start_with(&s, &c, "14155552671").await.unwrap().status(), StatusCode::ACCEPTED);
    s.set_outage(Outage::Down).await;
    let pooled = v2_start_with(&s, &c, "14155552672").await;
    assert!(pooled.is_err(), "a kept connection no longer answers: {pooled:?}");
    let fresh = TcpStream::connect(s.addr).await.map(|_| ());
    assert_eq!(fresh.map_err(|e| e.kind()), Err(ErrorKind::ConnectionRefused));
    assert_eq!(s.simulator.messages().len(), 1, "nothing sent while down");
}

#[tokio::test]
async fn down_closes_an_idle_keep_alive_connection() {
    let (s, _) = sim().await;
    let stream = TcpStream::connect(s.addr).await.unwrap();
    stream.writable().await.unwrap();
    stream.try_write(b"GET /_simulator/outage HTTP/1.1\r\nhost: sim\r\n\r\n").unwrap();
    let mut answer = [0; 512];
    stream.readable().await.unwrap();
    let read = stream.try_read(&mut answer).unwrap();
    assert!(answer[..read].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&answer[..read]));
    s.set_outage(Outage::Down).await;
    let next = async {
        loop {
            stream.readable().await?;
            match stream.try_read(&mut answer) {
                Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                read => return read,
            }
        }
    };
    // Closed by the time the outage is in force: what is left is the packet's way over loopback.
    let closed = tokio::time::timeout(Duration::from_millis(200), next).await;
    assert!(matches!(closed, Ok(Ok(0) | Err(_))), "end of stream or reset, not {closed:?}");
}

#[tokio::test]
async fn leaving_down_binds_the_same_port_again() {
    let (s, c) = sim().await;
    s.set_outage(Outage::Down).await;
    assert!(TcpStream::connect(s.addr).await.is_err());
    s.set_outage(Outage::Up).await;
    assert_eq!(s.outage(), Outage::Up);
    assert_eq!(v2_start_with(&s, &c, "14155552671").await.unwrap().status(), StatusCode::ACCEPTED);
    s.set_outage(Outage::Down).await;
    s.set_outage(Outage::Up).await;
    assert_eq!(v1(&s, &c, "/verify/json", &v1_start_form("14155552672")).await["status"], "0", "and again");
}

/// Eight starts a second slow, a client that waits a quarter of one (time enough for its request
/// to arrive on a busy machine): the 4th and the 8th are carried out after their client gave up,
/// and their codes work; checks meanwhile are answered at once.
#[tokio::test]
async fn slow_delivers_exactly_its_share_after_the_client_gave_up() {
    let (s, c) = sim().await;
    s.set_outage(slow(1000, 0.25)).await;
    let impatient = Client::builder().timeout(Duration::from_millis(250)).build().unwrap();
    let asked = OffsetDateTime::now_utc();
    for n in 0..8 {
        let late = v2_start_with(&s, &impatient, &format!("1415555267{n}")).await;
        assert!(late.is_err_and(|e| e.is_timeout()), "start {n} answers after the client's timeout");
    }
    let messages = messages_once(&s, |m| m.len() >= 2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(s.simulator.messages().len(), 2, "every 4th of 8, and no more");
    let to: Vec<&str> = messages.iter().map(|m| m.to.as_str()).collect();
    assert_eq!(to, ["+14155552673", "+14155552677"]);
    for message in &messages {
        let delivered = OffsetDateTime::parse(&message.delivered_at, &time::format_description::well_known::Rfc3339);
        assert!(delivered.unwrap() >= asked + Duration::from_secs(1), "delivered late: {}", message.delivered_at);
        let checked = Instant::now();
        assert_eq!(v2_check(&s, &c, &message.request_id, &message.code).await.0, StatusCode::OK);
        assert!(checked.elapsed() < Duration::from_secs(1), "a check is not slowed");
    }
}

/// A client that waits gets each slow start's answer late: v2's 500 or v1's status 5 for one not
/// carried out, the usual answer for one that is.
#[tokio::test]
async fn slow_answers_late_when_the_client_waits() {
    let (s, c) = sim().await;
    s.set_outage(slow(200, 0.5)).await;
    let started = Instant::now();
    assert_eq!(v2_start_with(&s, &c, "14155552671").await.unwrap().status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(v2_start_with(&s, &c, "14155552672").await.unwrap().status(), StatusCode::ACCEPTED);
    assert_eq!(v1(&s, &c, "/verify/json", &v1_start_form("14155552673")).await["status"], "5");
    assert_eq!(v1(&s, &c, "/verify/json", &v1_start_form("14155552674")).await["status"], "0");
    assert!(started.elapsed() >= Duration::from_millis(800), "each one 200 ms late");
    let to: Vec<String> = s.simulator.messages().into_iter().map(|m| m.to).collect();
    assert_eq!(to, ["+14155552672", "+14155552674"]);
}

#[tokio::test]
async fn throttled_refuses_every_start_on_both_apis_and_sends_nothing() {
    let (s, c) = sim().await;
    let (_, before) = v2_start(&s, &c, &start_body("14155552671")).await;
    s.set_outage(Outage::Throttled).await;
    let refused = v2_start_with(&s, &c, "14155552672").await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.headers()["content-type"], "application/problem+json");
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["title"], "Rate Limit Hit");
    assert_eq!(v1(&s, &c, "/verify/json", &v1_start_form("14155552673")).await["status"], "1");
    let messages = s.simulator.messages();
    assert_eq!(messages.len(), 1, "only the start before the outage");
    let id = before["request_id"].as_str().unwrap();
    assert_eq!(v2_check(&s, &c, id, &messages[0].code).await.0, StatusCode::OK, "checks are not throttled");
}

#[tokio::test]
async fn the_outage_is_set_and_read_over_http() {
    let (s, c) = sim().await;
    let url = format!("{}/_simulator/outage", s.base_url());
    let current = |c: &Client| c.get(&url).send();
    assert_eq!(current(&c).await.unwrap().json::<Value>().await.unwrap(), json!({"mode": "up"}));
    let body = json!({"mode": "slow", "delayMs": 50, "deliverRatio": 0.5});
    let set = c.post(&url).json(&body).send().await.unwrap();
    assert_eq!((set.status(), set.json::<Value>().await.unwrap()), (StatusCode::OK, body));
    assert_eq!(s.outage(), slow(50, 0.5));
    for refused in [json!({"mode": "slow", "delayMs": 50, "deliverRatio": 1.5}), json!({"mode": "down"})] {
        let answer = c.post(&url).json(&refused).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{refused}");
        assert!(answer.json::<Value>().await.unwrap()["error"].is_string());
    }
    // Down for a second: answered before the connection closes, then back by itself.
    let down = c.post(&url).json(&json!({"mode": "down", "forMs": 1000})).send().await.unwrap();
    assert_eq!(down.status(), StatusCode::OK);
    assert_eq!(TcpStream::connect(s.addr).await.map_err(|e| e.kind()).err(), Some(ErrorKind::ConnectionRefused));
    let deadline = Instant::now() + Duration::from_secs(10);
    let back = loop {
        match current(&c).await {
            Ok(answer) => break answer,
            Err(_) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(50)).await,
            Err(e) => panic!("not back up: {e}"),
        }
    };
    assert_eq!(back.json::<Value>().await.unwrap(), json!({"mode": "up"}));
}
