//! The failover benchmark (`make failover`): new verifications at a steady rate while Vonage's
//! simulator goes down (connection refused), then slow (it answers after request-otp's timeout,
//! and a quarter of those sends still deliver, late), then throttled (429), then recovers, with
//! AWS End User Messaging's simulator as the second provider. Both functions' handlers run
//! in-process on the memory store, with a deployment's breakers (opened by 5 failures in 30 s,
//! a probe 15 s later) and the template's Vonage timeout (3 s).
//!
//! Prints, per phase: verifications started, codes received within 5 s, verified, people who
//! received two codes, the sends counted against their numbers beside the codes they received,
//! and sends counted that are known to have failed; then the time traffic took to move off Vonage
//! and back, and the day's spend beside what the codes received and the sends that did not answer
//! cost. A benchmark, not a timed test: `--quick` is the test command's short run, which fails
//! only when a verification is lost or a send known to have failed was counted.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use shared::clock::Clock;
use shared::domain::breaker::{BreakerSettings, Standing};
use shared::domain::limits::day_number;
use shared::domain::phone::{CountryAllowList, PhoneNumber};
use shared::domain::price::{MicroUsd, PriceTable};
use shared::domain::provider::ProviderName;
use shared::testing::{Harness, event, json_body};
use time::OffsetDateTime;
use vonage_sim::{Outage, Ratio, SimConfig};

const REQUEST_EVENT: &str = include_str!("../../events/request-otp.json");
const VERIFY_EVENT: &str = include_str!("../../events/verify-otp.json");

/// A run's shape: how fast people come, how long each phase lasts, and the timings that decide
/// what a slow Vonage is.
struct Shape {
    per_second: f64,
    phase: Duration,
    /// How long each recovery is watched for traffic coming back.
    recovered: Duration,
    breaker_pause: Duration,
    vonage_timeout: Duration,
    /// How late the slow phase's answers come (after the timeout).
    slow_by: Duration,
}

const FULL: Shape = Shape {
    per_second: 5.0,
    phase: Duration::from_secs(30),
    recovered: Duration::from_secs(45),
    breaker_pause: Duration::from_secs(15),
    vonage_timeout: Duration::from_secs(3),
    slow_by: Duration::from_secs(6),
};

/// The test command's: a few people a phase, a short pause, the same order of events.
const QUICK: Shape = Shape {
    per_second: 4.0,
    phase: Duration::from_secs(4),
    recovered: Duration::from_secs(6),
    breaker_pause: Duration::from_secs(2),
    vonage_timeout: Duration::from_millis(1500),
    slow_by: Duration::from_secs(3),
};

/// The phases in their order: each fault starts with traffic on Vonage (its breaker closed again
/// after the recovery before it), so that each shows how traffic leaves and comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Up,
    Down,
    AfterDown,
    Slow,
    AfterSlow,
    Throttled,
    Recovered,
}

impl Phase {
    const ALL: [Phase; 7] =
        [Phase::Up, Phase::Down, Phase::AfterDown, Phase::Slow, Phase::AfterSlow, Phase::Throttled, Phase::Recovered];

    fn name(self) -> &'static str {
        match self {
            Phase::Up => "Vonage up",
            Phase::Down => "Vonage down (connection refused)",
            Phase::AfterDown => "recovered",
            Phase::Slow => "Vonage slow (answers late; 1 in 4 delivers)",
            Phase::AfterSlow => "recovered",
            Phase::Throttled => "Vonage throttled (429)",
            Phase::Recovered => "recovered",
        }
    }

    fn is_recovery(self) -> bool {
        matches!(self, Phase::AfterDown | Phase::AfterSlow | Phase::Recovered)
    }

    fn is_fault(self) -> bool {
        matches!(self, Phase::Down | Phase::Slow | Phase::Throttled)
    }
}

/// One person: a number of their own, the phase they started in, and how it went.
struct Person {
    phase: Phase,
    number: String,
    began: Instant,
    /// How long request-otp took to answer: as long as Vonage's timeout or longer, and a send
    /// did not answer (it is counted as sent, and may or may not arrive).
    answered_after: Duration,
    /// How long until a code was on their phone.
    code_after: Option<Duration>,
    verified: bool,
}

fn main() -> ExitCode {
    otp_bench::run_example("failover", run)
}

async fn run(quick: bool) -> ExitCode {
    let shape = if quick { QUICK } else { FULL };
    let timeout_ms = shape.vonage_timeout.as_millis().to_string();
    // Limits far above the run: what is measured is where codes go and what is counted.
    let settings = [
        ("PROVIDER_ORDER", "vonage,aws"),
        ("VONAGE_TIMEOUT_MS", timeout_ms.as_str()),
        ("OTP_DAILY_SPEND_LIMIT", "100000"),
        ("OTP_COUNTRY_UNVERIFIED_FLOOR", "1000000"),
        ("OTP_RANGE_UNVERIFIED_FLOOR", "1000"),
        ("OTP_MAX_SENDS_PER_IP_PER_HOUR", "1000"),
    ];
    let breakers = BreakerSettings { pause: shape.breaker_pause, ..BreakerSettings::default() };
    let h = Arc::new(Harness::with_breakers(&settings, SimConfig::default(), breakers).await);
    let people: Arc<Mutex<Vec<Person>>> = Arc::default();
    let standings: Arc<Mutex<Vec<(Instant, Standing)>>> = Arc::default();
    let watching = tokio::spawn(watch_vonages_breaker(h.clone(), standings.clone()));

    let started = Instant::now();
    let mut phase_starts = Vec::new();
    let mut running = Vec::new();
    let mut n = 0u32;
    for phase in Phase::ALL {
        let outage = match phase {
            Phase::Up | Phase::AfterDown | Phase::AfterSlow | Phase::Recovered => Outage::Up,
            Phase::Down => Outage::Down,
            Phase::Slow => {
                let delay_ms = u64::try_from((shape.vonage_timeout + shape.slow_by).as_millis()).unwrap();
                Outage::Slow { delay_ms, deliver_ratio: Ratio::new(0.25).unwrap() }
            }
            Phase::Throttled => Outage::Throttled,
        };
        h.sim.set_outage(outage).await;
        phase_starts.push((phase, Instant::now(), OffsetDateTime::now_utc()));
        let length = if phase.is_recovery() { shape.recovered } else { shape.phase };
        let until = Instant::now() + length;
        let gap = Duration::from_secs_f64(1.0 / shape.per_second);
        let mut tick = tokio::time::interval(gap);
        while Instant::now() < until {
            tick.tick().await;
            n += 1;
            running.push(tokio::spawn(person(h.clone(), people.clone(), phase, n)));
        }
    }
    for person in running {
        person.await.expect("a person's task ends");
    }
    // The slow phase's late sends arrive after their delay.
    tokio::time::sleep(shape.vonage_timeout + shape.slow_by + Duration::from_secs(1)).await;
    watching.abort();
    let elapsed = started.elapsed();

    let people = std::mem::take(&mut *people.lock().unwrap());
    let standings = standings.lock().unwrap().clone();
    let report = Report::of(&h, &people, &phase_starts, &standings, shape.vonage_timeout);
    report.print(&shape, elapsed, quick);
    if quick && !report.holds() { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

/// Samples where Vonage's breaker stands, every 50 ms.
async fn watch_vonages_breaker(h: Arc<Harness>, standings: Arc<Mutex<Vec<(Instant, Standing)>>>) {
    loop {
        let standing = h.deps.service.provider().standing_of(ProviderName::Vonage);
        standings.lock().unwrap().push((Instant::now(), standing));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The `n`-th person: a US number and an address of their own; asks for a code, waits for it
/// (up to 10 s), and enters it.
async fn person(h: Arc<Harness>, people: Arc<Mutex<Vec<Person>>>, phase: Phase, n: u32) {
    let number = format!("+1415{}{:04}", 200 + n % 700, n / 700);
    let address = format!("198.18.{}.{}", n / 250, n % 250 + 1);
    let began = Instant::now();
    let mut request: Value = serde_json::from_str(REQUEST_EVENT).unwrap();
    request["requestContext"]["http"]["sourceIp"] = address.into();
    let body = json!({"phoneNumber": number}).to_string();
    let asked = event(&request.to_string(), "POST", Some("application/json"), Some(&body));
    let answer = json_body(&Box::pin(request_otp::handle(&h.deps, asked)).await);
    let answered_after = began.elapsed();
    let mut person = Person { phase, number: number.clone(), began, answered_after, code_after: None, verified: false };
    if let Some(request_id) = answer["requestId"].as_str() {
        let wait_until = began + Duration::from_secs(10);
        let code = loop {
            if let Some(code) = h.last_code(&number) {
                person.code_after = Some(began.elapsed());
                break Some(code);
            }
            if Instant::now() > wait_until {
                break None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        if let Some(code) = code {
            let body = json!({"requestId": request_id, "code": code}).to_string();
            let check = event(VERIFY_EVENT, "POST", Some("application/json"), Some(&body));
            person.verified = json_body(&Box::pin(verify_otp::handle(&h.deps, check)).await)["verified"] == true;
        }
    }
    people.lock().unwrap().push(person);
}

/// One phase's figures.
#[derive(Default)]
struct Row {
    started: usize,
    within_5s: usize,
    verified: usize,
    two_codes: usize,
    /// Of those, counted as two sends or more.
    two_codes_counted: usize,
    counted: usize,
    received: usize,
    /// Sends counted beyond the codes received: where Vonage did not answer or was cut off by
    /// the outage's start (counted as sent), and where every send's outcome was known.
    unanswered: usize,
    known_failed_counted: usize,
    /// A fault's: from its start until Vonage's breaker opened. A recovery's: from its start
    /// until a code went by Vonage again.
    traffic_moved: Option<Duration>,
}

struct Report {
    rows: Vec<(Phase, Row)>,
    spent: MicroUsd,
    /// What the codes received cost, and the sends that did not answer (counted as sent).
    expected: MicroUsd,
}

impl Report {
    fn of(
        h: &Harness,
        people: &[Person],
        phase_starts: &[(Phase, Instant, OffsetDateTime)],
        standings: &[(Instant, Standing)],
        vonage_timeout: Duration,
    ) -> Self {
        let sent = h.sent();
        let store = &h.deps.service.store().inner;
        let hasher = h.deps.service.hasher();
        let (vonage_sms, aws_sms) = (PriceTable::sms(), PriceTable::aws_sms());
        let mut expected = 0u64;
        let mut rows: Vec<(Phase, Row)> = Phase::ALL.iter().map(|p| (*p, Row::default())).collect();
        for p in people {
            let row = &mut rows.iter_mut().find(|(phase, _)| *phase == p.phase).unwrap().1;
            let phone = PhoneNumber::parse(&p.number, &CountryAllowList::default()).unwrap();
            let received: Vec<_> = sent.iter().filter(|s| s.to == p.number).collect();
            let counted = store.number(&hasher.phone(&phone)).recent_sends.len();
            row.started += 1;
            row.within_5s += usize::from(p.code_after.is_some_and(|after| after <= Duration::from_secs(5)));
            row.verified += usize::from(p.verified);
            if received.len() >= 2 {
                row.two_codes += 1;
                row.two_codes_counted += usize::from(counted >= received.len());
            }
            row.counted += counted;
            row.received += received.len();
            for s in &received {
                let table = if s.provider == "aws" { &aws_sms } else { &vonage_sms };
                expected += table.price(phone.region()).0;
            }
            // A send that did not answer may have gone: it is counted, and priced at Vonage's. So
            // may one cut off when the outage began while it was on the wire (the connection
            // reset after the request went). Any other send counted with no code received is one
            // known to have failed.
            let unanswered = counted.saturating_sub(received.len());
            let answered = p.began + p.answered_after;
            let cut_off = phase_starts.iter().any(|(_, at, _)| p.began < *at && *at <= answered);
            if p.answered_after >= vonage_timeout || cut_off {
                row.unanswered += unanswered;
                expected += vonage_sms.price(phone.region()).0 * unanswered as u64;
            } else {
                row.known_failed_counted += unanswered;
            }
        }
        for (phase, began, began_at) in phase_starts {
            let row = &mut rows.iter_mut().find(|(p, _)| p == phase).unwrap().1;
            if phase.is_fault() {
                let opened = standings.iter().find(|(at, s)| at >= began && *s == Standing::Open);
                row.traffic_moved = opened.map(|(at, _)| *at - *began);
            } else if phase.is_recovery() {
                let by_vonage = sent.iter().filter(|s| s.provider == "vonage").filter_map(|s| s.at);
                let first = by_vonage.filter(|at| at >= began_at).min();
                row.traffic_moved = first.map(|at| Duration::try_from(at - *began_at).unwrap_or_default());
            }
        }
        let spent = store.spent_on(day_number(h.clock.now()));
        Self { rows, spent, expected: MicroUsd(expected) }
    }

    /// No verification lost, no send known to have failed counted, everyone with two codes
    /// counted for both, and the spend what the sends cost.
    fn holds(&self) -> bool {
        self.rows
            .iter()
            .all(|(_, r)| r.verified == r.started && r.known_failed_counted == 0 && r.two_codes_counted == r.two_codes)
            && self.spent == self.expected
    }

    fn print(&self, shape: &Shape, elapsed: Duration, quick: bool) {
        println!(
            "| phase | started | code within 5 s | verified | got two codes | of them counted twice | sends counted | codes received | did not answer (or cut off), counted | known to have failed, counted | traffic moved |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        let seconds =
            |d: Option<Duration>| d.map_or_else(|| "never".to_owned(), |d| format!("{:.1} s", d.as_secs_f64()));
        for (phase, r) in &self.rows {
            let share = |n: usize| if r.started == 0 { 0.0 } else { 100.0 * n as f64 / r.started as f64 };
            println!(
                "| {} | {} | {} ({:.1}%) | {} ({:.1}%) | {} | {} | {} | {} | {} | {} | {} |",
                phase.name(),
                r.started,
                r.within_5s,
                share(r.within_5s),
                r.verified,
                share(r.verified),
                r.two_codes,
                r.two_codes_counted,
                r.counted,
                r.received,
                r.unanswered,
                r.known_failed_counted,
                match *phase {
                    p if p.is_fault() => format!("off Vonage after {}", seconds(r.traffic_moved)),
                    p if p.is_recovery() => format!("back to Vonage after {}", seconds(r.traffic_moved)),
                    _ => String::new(),
                }
            );
        }
        println!();
        println!(
            "(traffic moves off Vonage when its breaker opens; it comes back with a probe after the breaker's {} s pause)",
            shape.breaker_pause.as_secs()
        );
        println!(
            "spend counted {} against {} for the codes received and the sends that did not answer",
            self.spent, self.expected
        );
        let kind = if quick { "quick run" } else { "run" };
        println!(
            "({kind}, {:.0} s: {} people a second, Vonage's timeout {} ms, slow answers {} ms late)",
            elapsed.as_secs_f64(),
            shape.per_second,
            shape.vonage_timeout.as_millis(),
            (shape.vonage_timeout + shape.slow_by).as_millis()
        );
        if quick && !self.holds() {
            eprintln!("failover: a verification was lost, or a send known to have failed was counted");
        }
    }
}
