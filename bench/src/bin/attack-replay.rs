//! `attack-replay [--quick]`: the abuse defences, tried as attackers and people would. Each
//! scenario runs against its own `otp-local` (in this process): the DynamoDB store on a local
//! DynamoDB-compatible server (`AWS_ENDPOINT_URL_DYNAMODB`, which `make replay` starts), the Vonage
//! simulator, time moved by the local clock, and each request's address given as CloudFront gives
//! it (`CloudFront-Viewer-Address`, believed with the origin secret). Prints a table of what each
//! got; exits 1 if a target is missed. `--quick` is the test command's shorter run of every scenario.
//! `--aws-first` and `--whatsapp-first` run every scenario with AWS End User Messaging before
//! Vonage, or with the hosted page's ladder putting WhatsApp first (WhatsApp, then SMS when its step
//! is not answered); a send is one verification however many steps it took.

use std::process::ExitCode;
use std::time::Instant;

use phonenumber::country::Id;
use phonenumber::metadata::DATABASE;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::domain::phone::{CountryAllowList, PhoneNumber};
use shared::domain::price::MicroUsd;
use shared::domain::price::PriceTable;

const ORIGIN_SECRET: &str = "replay-origin-secret-0123456789abcdef";
const DAY: u32 = 86_400;

/// Countries where pumping pays (none listed in the price table: each SMS costs the default).
const PUMPED: [&str; 20] = [
    "UZ", "KG", "TJ", "AZ", "AM", "GE", "BY", "KZ", "MN", "LK", "NP", "MM", "KH", "LA", "SN", "ZW", "CM", "GH", "TZ",
    "UG",
];
/// Where the legitimate day's people are.
const PEOPLE: [&str; 10] = ["US", "GB", "DE", "FR", "IN", "BR", "JP", "AU", "CA", "MX"];

/// `--aws-first`: every scenario with AWS End User Messaging (simulated) before Vonage, its codes
/// the service's own and priced by AWS's table.
static AWS_FIRST: std::sync::Mutex<bool> = std::sync::Mutex::new(false);

/// `--whatsapp-first`: every scenario with the ladder `whatsapp,sms,voice`, codes asked for
/// without a channel (the ladder's first), priced with WhatsApp's table.
static WHATSAPP_FIRST: std::sync::Mutex<bool> = std::sync::Mutex::new(false);

fn main() -> ExitCode {
    otp_local::runtime().expect("the async runtime starts").block_on(replay())
}

async fn replay() -> ExitCode {
    let mut quick = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--quick" => quick = true,
            "--aws-first" => *AWS_FIRST.lock().unwrap() = true,
            "--whatsapp-first" => *WHATSAPP_FIRST.lock().unwrap() = true,
            _ => {
                eprintln!("usage: attack-replay [--quick] [--aws-first | --whatsapp-first]");
                return ExitCode::from(2);
            }
        }
    }
    if std::env::var_os("AWS_ENDPOINT_URL_DYNAMODB").is_none() {
        eprintln!(
            "attack-replay: set AWS_ENDPOINT_URL_DYNAMODB to a DynamoDB-compatible server (`make replay` starts one)"
        );
        return ExitCode::from(2);
    }
    let scale = if quick { 20 } else { 1 };
    let started = Instant::now();
    let rows = vec![
        timed(one_range(1000 / scale)).await,
        timed(ten_ranges(1000 / scale)).await,
        // The quick run sends one request to each country: enough to see each budget start.
        timed(twenty_countries(if quick { PUMPED.len() } else { 1000 })).await,
        timed(one_ipv6_network(if quick { 30 } else { 100 })).await,
        timed(victim(1000 / scale)).await,
        timed(spend_breaker(if quick { 40 } else { 100 })).await,
        timed(guessing()).await,
        timed(guessing_a_test_number(if quick { 600 } else { 60 })).await,
        timed(legitimate_day(500 / scale)).await,
    ];
    // Calls meet the limits SMS meet (the service and handler tests say so); the full run measures
    // what pumping calls would cost.
    let mut rows = rows;
    if !quick {
        rows.push(timed(calls_to_one_range(1000)).await);
        rows.push(timed(automatic_calls_to_one_range(1000)).await);
    }
    print_table(&rows);
    println!("\n({} run, {:.0} s)", if quick { "quick" } else { "full" }, started.elapsed().as_secs_f64());
    if rows.iter().all(|row| row.met) { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// A scenario, with how long it took printed as it ends.
async fn timed(scenario: impl std::future::Future<Output = Row>) -> Row {
    let started = Instant::now();
    let row = scenario.await;
    eprintln!("{}: {:.1} s", row.scenario, started.elapsed().as_secs_f64());
    row
}

/// One scenario's outcome.
struct Row {
    scenario: String,
    requests: usize,
    sent: usize,
    cost: MicroUsd,
    got: String,
    target: String,
    met: bool,
}

// ---------------------------------------------------------------------------------------------
// The scenarios.

/// Sequential numbers of one range, from as many IPv4 addresses, over 24 hours.
async fn one_range(requests: usize) -> Row {
    let local = Local::start("one-range", &[]).await;
    let numbers = sequential("UZ", 0, requests);
    local.spread(requests, |i| (numbers[i].clone(), ipv4(i))).await;
    local
        .row(
            format!("{requests} codes to one range in 24 h, {requests} IPv4 addresses"),
            requests,
            "≤ 20 SMS",
            |sent| sent <= 20,
        )
        .await
}

/// Calls instead of SMS ("Call me instead" on every request), to one range from as many
/// addresses: the same budget as texts.
async fn calls_to_one_range(requests: usize) -> Row {
    let local = Local::start("calls", &[]).await;
    let numbers = sequential("UZ", 0, requests);
    let step = DAY / u32::try_from(requests).unwrap();
    for (i, number) in numbers.iter().enumerate() {
        local.request_by(number, &ipv4(i), "voice").await;
        local.advance(step).await;
    }
    local.row(format!("{requests} calls to one range in 24 h"), requests, "≤ 20 calls", |sent| sent <= 20).await
}

/// With automatic calls, SMS codes nobody enters to one range: each gets its call too.
async fn automatic_calls_to_one_range(requests: usize) -> Row {
    let local = Local::start("automatic", &[("VOICE_CALLS", "automatic")]).await;
    let numbers = sequential("UZ", 0, requests);
    local.spread(requests, |i| (numbers[i].clone(), ipv4(i))).await;
    local
        .row(
            format!("{requests} codes to one range in 24 h, calls automatic"),
            requests,
            "≤ 20 SMS and 20 calls",
            |sent| sent <= 40,
        )
        .await
}

/// The same, over ten ranges of one country.
async fn ten_ranges(requests: usize) -> Row {
    let local = Local::start("ten-ranges", &[]).await;
    let numbers: Vec<String> = (0..10).flat_map(|range| sequential("UZ", range, requests / 10)).collect();
    local.spread(requests, |i| (numbers[(i % 10) * (requests / 10) + i / 10].clone(), ipv4(i))).await;
    local
        .row(format!("{requests} codes to 10 ranges of one country in 24 h"), requests, "≤ 50 SMS", |sent| sent <= 50)
        .await
}

/// The same, over twenty countries: bounded by their budgets and the spend breaker.
async fn twenty_countries(requests: usize) -> Row {
    let local = Local::start("twenty-countries", &[]).await;
    let per_country = requests / PUMPED.len();
    let numbers: Vec<String> = PUMPED.iter().flat_map(|c| sequential(c, 0, per_country)).collect();
    local.spread(requests, |i| (numbers[(i % PUMPED.len()) * per_country + i / PUMPED.len()].clone(), ipv4(i))).await;
    let budget = MicroUsd(50_000_000);
    let row =
        local.row(format!("{requests} codes to 20 countries in 24 h"), requests, "≤ the day's $50.00", |_| true).await;
    Row { met: row.cost <= budget, ..row }
}

/// Addresses of one IPv6 /64, each asking for another number within the hour.
async fn one_ipv6_network(requests: usize) -> Row {
    let local = Local::start("ipv6", &[]).await;
    let numbers: Vec<String> = PEOPLE.iter().flat_map(|c| sequential(c, 0, 10)).take(requests).collect();
    for (i, number) in numbers.iter().enumerate() {
        local.request(number, &format!("2001:db8:1:2:{:x}::{:x}", i + 1, i * 7 + 1)).await;
        local.advance(30).await;
    }
    local
        .row(
            format!("{requests} addresses of one IPv6 /64, one hour"),
            requests,
            "≤ 20 SMS (one client's hour)",
            |sent| sent <= 20,
        )
        .await
}

/// One victim's number, asked for from a new address every time, for 24 hours.
async fn victim(requests: usize) -> Row {
    let local = Local::start("victim", &[]).await;
    let victim = sequential("GB", 0, 1).remove(0);
    local.spread(requests, |i| (victim.clone(), ipv4(i))).await;
    let times = local.sent_at(&victim).await;
    let gaps: Vec<String> = times.windows(2).map(|w| minutes(w[1] - w[0])).collect();
    let row = local
        .row(
            format!("one victim, {requests} requests from {requests} addresses, 24 h"),
            requests,
            "≤ 10 SMS",
            |sent| sent <= 10,
        )
        .await;
    Row { got: format!("{}, gaps {}", row.got, gaps.join(" ")), ..row }
}

/// A $10 budget with every SMS at $0.40, asked for across many ranges and countries.
async fn spend_breaker(requests: usize) -> Row {
    let local = Local::start("spend", &[("OTP_DAILY_SPEND_LIMIT", "10"), ("OTP_SMS_PRICES", "*=0.40")]).await;
    let numbers: Vec<String> =
        PUMPED[..10].iter().flat_map(|c| (0..5).flat_map(move |r| sequential(c, r, 2))).take(requests).collect();
    local.spread(numbers.len(), |i| (numbers[i].clone(), ipv4(i))).await;
    let row = local
        .row(format!("{} codes, $10 a day, $0.40 an SMS", numbers.len()), numbers.len(), "≤ $10.40", |_| true)
        .await;
    Row { met: row.cost <= MicroUsd(10_400_000), ..row }
}

/// Guessing one number's codes for 24 hours: three guesses per code, a new code as soon as
/// allowed, from a new address each time.
async fn guessing() -> Row {
    let local = Local::start("guessing", &[]).await;
    let number = sequential("US", 0, 1).remove(0);
    let (mut judged, mut requests, mut elapsed, mut right) = (0u32, 0usize, 0u32, 0u32);
    while elapsed < DAY {
        requests += 1;
        let answer = local.request(&number, &ipv4(requests)).await;
        let wait = match answer.get("requestId").and_then(Value::as_str) {
            Some(id) => {
                let code = local.code(&number).await;
                for guess in 0..3u32 {
                    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1 + guess) % 1_000_000);
                    let checked = local.verify(id, &wrong).await;
                    match checked["code"].as_str() {
                        Some("incorrect_code" | "too_many_attempts") => judged += 1,
                        Some("verified") | None => right += 1,
                        _ => {}
                    }
                }
                seconds_until(&answer["resendAvailableAt"], &local.now().await)
            }
            None => answer["retryAfter"].as_u64().map_or(60, |s| u32::try_from(s).unwrap_or(DAY)),
        };
        let wait = wait.clamp(1, DAY - elapsed.min(DAY - 1));
        local.advance(wait).await;
        elapsed += wait;
    }
    let per_day = f64::from(judged) / 1e6;
    let per_year = 1.0 - (1.0 - per_day).powi(365);
    let row =
        local.row("guessing one number's codes for 24 h".into(), requests, "judged guesses bounded", |_| true).await;
    Row {
        got: format!(
            "{judged} judged guesses in {} codes: {:.4}% a day, {:.1}% a year",
            row.sent,
            per_day * 100.0,
            per_year * 100.0
        ),
        met: judged <= 30 && right == 0,
        ..row
    }
}

/// Guessing a test number's fixed code for 24 hours: it has no resend gap, so a new code (never
/// sent) every `every` seconds from a new address, and one guess at each, all day.
async fn guessing_a_test_number(every: u32) -> Row {
    const TEST: &str = "+12015550123";
    const CODE: &str = "482916";
    let numbers = format!(r#"{{"{TEST}": "{CODE}"}}"#);
    let local = Local::start("test-number", &[("TEST_NUMBERS", numbers.as_str())]).await;
    let (mut requests, mut judged, mut paused, mut right) = (0usize, 0u32, 0u32, 0u32);
    let mut elapsed = 0;
    while elapsed < DAY {
        requests += 1;
        let answer = local.request(TEST, &ipv4(requests)).await;
        match answer.get("requestId").and_then(Value::as_str) {
            Some(id) => {
                // Codes an attacker would try, never the configured one.
                let guess = format!("{:06}", (requests * 7919) % 1_000_000);
                let guess = if guess == CODE { "000001".to_owned() } else { guess };
                match local.verify(id, &guess).await["code"].as_str() {
                    // A first guess at a code is refused without being compared only once the
                    // number's guesses of the day are spent (`too_many_attempts`).
                    Some("incorrect_code") => judged += 1,
                    None => right += 1,
                    _ => {}
                }
            }
            None if answer["code"] == "destination_paused" => paused += 1,
            None => {}
        }
        local.advance(every).await;
        elapsed += every;
    }
    let bound = shared::domain::test_numbers::GUESSES_PER_DAY;
    let target = format!("≤ {bound} judged, nothing sent");
    let row = local.row("guessing a test number's fixed code for 24 h".into(), requests, &target, |_| true).await;
    Row {
        got: format!("{judged} judged guesses, {paused} requests refused; {} sent", row.sent),
        met: i64::from(judged) <= bound && right == 0 && row.sent == 0 && paused > 0,
        ..row
    }
}

/// People across ten countries, each verifying; one in ten asks for a second code, one in twenty
/// mistypes once.
async fn legitimate_day(people: usize) -> Row {
    let local = Local::start("legitimate", &[]).await;
    let slot = DAY / u32::try_from(people).unwrap();
    let mut refused = Vec::new();
    let mut requests = 0;
    for person in 0..people {
        let country = PEOPLE[person % PEOPLE.len()];
        let number = sequential(country, person % 7, person / PEOPLE.len() + 1).pop().unwrap();
        let address = ipv4(10_000 + person);
        let mut answer = local.request(&number, &address).await;
        requests += 1;
        let mut used = 0;
        // One person in each ten asks again, and one in each twenty mistypes once: in each run of
        // ten people (one per country), a different country's.
        let (run, place) = (person / PEOPLE.len(), person % PEOPLE.len());
        if (run + place) % 10 == 3 && answer.get("requestId").is_some() {
            let wait = seconds_until(&answer["resendAvailableAt"], &local.now().await);
            local.advance(wait).await;
            used += wait;
            answer = local.request(&number, &address).await;
            requests += 1;
        }
        match answer.get("requestId").and_then(Value::as_str) {
            None => refused.push(format!("{country}: {}", answer["code"])),
            Some(id) => {
                let code = local.code(&number).await;
                if (run + place) % 20 == 7 {
                    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
                    local.verify(id, &wrong).await;
                }
                let checked = local.verify(id, &code).await;
                if checked["verified"] != json!(true) {
                    refused.push(format!("{country}: {}", checked["code"]));
                }
            }
        }
        local.advance(slot.saturating_sub(used).max(1)).await;
    }
    let row =
        local.row(format!("a legitimate day: {people} people, 10 countries"), requests, "0 refused", |_| true).await;
    Row { got: format!("{}, {} refused {refused:?}", row.got, refused.len()), met: refused.is_empty(), ..row }
}

// ---------------------------------------------------------------------------------------------
// The local server, as a client behind CloudFront sees it.

struct Local {
    url: String,
    http: reqwest::Client,
    /// An SMS's price and a call's, by country.
    prices: PriceTable,
    call_prices: PriceTable,
    whatsapp_prices: PriceTable,
    /// Codes asked for without a channel: the ladder's first, WhatsApp.
    whatsapp_first: bool,
    name: String,
    /// The server, stopped when the scenario ends.
    _serving: otp_local::Serving,
}

impl Local {
    /// `otp-local` with the default settings and `settings` on top, on its own new table.
    async fn start(name: &str, settings: &[(&str, &str)]) -> Self {
        let page = std::env::temp_dir().join("attack-replay-page");
        std::fs::create_dir_all(&page).unwrap();
        std::fs::write(page.join("index.html"), "<!doctype html><title>replay</title>").unwrap();
        let table = format!("replay-{name}-{}", &uuid_hex()[..8]);
        let mut vars: Vec<(String, String)> = vec![
            ("PORT".into(), "0".into()),
            ("FRONTEND_DIST".into(), page.display().to_string()),
            ("TABLE_NAME".into(), table),
            ("PHONE_HASH_KEY".into(), "replay-hash-key-0123456789abcdef0123456789".into()),
            ("ORIGIN_VERIFY_SECRET".into(), ORIGIN_SECRET.into()),
            ("OTP_LOCAL_PRINT_SMS".into(), "false".into()),
            ("SIM_CANCEL_MIN_AGE_SECONDS".into(), "0".into()),
        ];
        let aws_first = *AWS_FIRST.lock().unwrap();
        if aws_first {
            vars.push(("PROVIDER_ORDER".into(), "aws,vonage".into()));
        }
        let whatsapp_first = *WHATSAPP_FIRST.lock().unwrap();
        if whatsapp_first {
            vars.push(("OTP_CHANNELS".into(), "whatsapp,sms,voice".into()));
        }
        vars.extend(settings.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let setting = |name: &str| settings.iter().find(|(k, _)| *k == name).map_or("", |(_, v)| *v);
        let (prices, call_prices) = if aws_first {
            let sms = PriceTable::aws_sms().with_overrides(setting("AWS_SMS_PRICES")).unwrap();
            (sms, PriceTable::aws_voice().with_overrides(setting("AWS_VOICE_PRICES")).unwrap())
        } else {
            let sms = PriceTable::sms().with_overrides(setting("OTP_SMS_PRICES")).unwrap();
            (sms, PriceTable::voice().with_overrides(setting("OTP_VOICE_PRICES")).unwrap())
        };
        let whatsapp_prices = PriceTable::whatsapp().with_overrides(setting("OTP_WHATSAPP_PRICES")).unwrap();
        let lookup = move |key: &str| vars.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let serving =
            otp_local::serve_here(lookup, true).await.unwrap_or_else(|e| panic!("otp-local did not start: {e}"));
        let url = serving.url.clone();
        let local = Self {
            url,
            http: reqwest::Client::new(),
            prices,
            call_prices,
            whatsapp_prices,
            whatsapp_first,
            name: name.to_owned(),
            _serving: serving,
        };
        // Each scenario's day is a UTC day, as the spend budget's is: it starts just after midnight.
        let now = local.now().await.as_str().and_then(epoch_seconds).expect("the clock answers");
        local.advance(u32::try_from(86_400 - now.rem_euclid(86_400) + 30).unwrap()).await;
        local
    }

    async fn post(&self, path: &str, body: Value, viewer: Option<&str>) -> Value {
        let mut request =
            self.http.post(format!("{}{path}", self.url)).json(&body).header("x-origin-verify", ORIGIN_SECRET);
        if let Some(address) = viewer {
            let value = if address.contains(':') { format!("{address}:443") } else { format!("{address}:40000") };
            request = request.header("cloudfront-viewer-address", value);
        }
        let response = request.send().await.expect("otp-local answers");
        let status = response.status();
        let body: Value = response.json().await.expect("a JSON answer");
        assert!(status != StatusCode::INTERNAL_SERVER_ERROR, "{}: {path} answered 500: {body}", self.name);
        body
    }

    async fn request(&self, number: &str, address: &str) -> Value {
        if self.whatsapp_first {
            return self.post("/api/request-otp", json!({"phoneNumber": number}), Some(address)).await;
        }
        self.request_by(number, address, "sms").await
    }

    async fn request_by(&self, number: &str, address: &str, channel: &str) -> Value {
        self.post("/api/request-otp", json!({"phoneNumber": number, "channel": channel}), Some(address)).await
    }

    async fn verify(&self, id: &str, code: &str) -> Value {
        self.post("/api/verify-otp", json!({"requestId": id, "code": code}), Some("198.51.100.1")).await
    }

    async fn advance(&self, seconds: u32) -> Value {
        self.post("/api/dev/clock", json!({"advanceSeconds": seconds}), None).await
    }

    async fn now(&self) -> Value {
        self.advance(0).await["now"].clone()
    }

    /// `requests` requests spread evenly over a day, the i-th to `to(i)`'s number from its address.
    async fn spread(&self, requests: usize, to: impl Fn(usize) -> (String, String)) {
        let step = DAY / u32::try_from(requests.max(1)).unwrap();
        for i in 0..requests {
            let (number, address) = to(i);
            self.request(&number, &address).await;
            self.advance(step).await;
        }
    }

    async fn messages(&self) -> Vec<Value> {
        let response = self.http.get(format!("{}/api/dev/messages", self.url)).send().await.unwrap();
        response.json::<Vec<Value>>().await.unwrap()
    }

    /// The newest code sent to `number`.
    async fn code(&self, number: &str) -> String {
        let digits = number.trim_start_matches('+');
        let messages = self.messages().await;
        let last = messages.iter().rev().find(|m| m["to"].as_str().unwrap().trim_start_matches('+') == digits);
        last.expect("a code was sent")["code"].as_str().unwrap().to_owned()
    }

    /// When the simulator sent each message to `number`, in seconds of its clock.
    async fn sent_at(&self, number: &str) -> Vec<i64> {
        let digits = number.trim_start_matches('+');
        let messages = self.messages().await;
        let to_victim = messages.iter().filter(|m| m["to"].as_str().unwrap().trim_start_matches('+') == digits);
        to_victim.filter_map(|m| m["sentAt"].as_str().and_then(epoch_seconds)).collect()
    }

    /// What was sent (texts and calls) and what it cost, against `target`.
    async fn row(&self, scenario: String, requests: usize, target: &str, met: impl Fn(usize) -> bool) -> Row {
        let messages = self.messages().await;
        let calls = messages.iter().filter(|m| m["channel"] == "voice").count();
        let whatsapp = messages.iter().filter(|m| m["channel"] == "whatsapp").count();
        let cost = messages.iter().fold(MicroUsd(0), |total, m| {
            let to = format!("+{}", m["to"].as_str().unwrap().trim_start_matches('+'));
            let country = PhoneNumber::parse(&to, &CountryAllowList::default()).map(|p| p.region().to_owned());
            let prices = match m["channel"].as_str() {
                Some("voice") => &self.call_prices,
                Some("whatsapp") => &self.whatsapp_prices,
                _ => &self.prices,
            };
            MicroUsd(total.0 + prices.price(&country.unwrap_or_default()).0)
        });
        // A send is one verification, whichever of its steps reached the number (a WhatsApp
        // step, then its SMS): the limits count sends.
        let mut verifications: Vec<&str> = messages.iter().filter_map(|m| m["requestId"].as_str()).collect();
        verifications.sort_unstable();
        verifications.dedup();
        let sent = verifications.len();
        let texts = messages.len() - calls - whatsapp;
        let got = match (whatsapp, calls) {
            (0, 0) => format!("{sent} SMS"),
            (0, _) if calls == sent => format!("{calls} calls"),
            (0, _) => format!("{texts} SMS, {calls} calls"),
            _ => format!("{sent} sends: {whatsapp} WhatsApp, {texts} SMS, {calls} calls"),
        };
        Row { scenario, requests, sent, cost, got, target: target.to_owned(), met: met(sent) }
    }
}

// ---------------------------------------------------------------------------------------------
// Numbers, addresses and times.

/// `count` valid mobile numbers of `country`, one after another in one range (`range` picks which
/// of the ranges next to libphonenumber's example mobile number): the last four digits count up.
fn sequential(country: &str, range: usize, count: usize) -> Vec<String> {
    let id: Id = country.parse().unwrap();
    let metadata = DATABASE.by_id(id.as_ref()).unwrap();
    let example = metadata.descriptors().mobile().and_then(|d| d.example()).unwrap();
    let prefix = format!("+{}{}", metadata.country_code(), &example[..example.len() - 6]);
    let takes = |number: &str| PhoneNumber::parse(number, &CountryAllowList::default()).is_ok();
    let ranges: Vec<String> = (0..100)
        .map(|digits| format!("{prefix}{digits:02}"))
        .filter(|range| takes(&format!("{range}0000")) && takes(&format!("{range}9999")))
        .collect();
    assert!(!ranges.is_empty(), "no range of {country} near its example number {example} is taken");
    let range = ranges.get(range).unwrap_or_else(|| panic!("{country} has {} ranges near {example}", ranges.len()));
    let numbers: Vec<String> = (0..count).map(|i| format!("{range}{:04}", i % 10_000)).collect();
    for number in &numbers {
        assert!(takes(number), "{number} ({country}) is not a number the service takes");
    }
    numbers
}

/// The i-th of many IPv4 addresses.
fn ipv4(i: usize) -> String {
    format!("100.{}.{}.{}", 64 + (i >> 16) % 64, (i >> 8) % 256, i % 256)
}

fn uuid_hex() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn epoch_seconds(rfc3339: &str) -> Option<i64> {
    time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

/// Seconds from `now` until `at` (both RFC 3339), at least 1.
fn seconds_until(at: &Value, now: &Value) -> u32 {
    let (Some(at), Some(now)) = (at.as_str().and_then(epoch_seconds), now.as_str().and_then(epoch_seconds)) else {
        return 60;
    };
    u32::try_from((at - now).max(1)).unwrap_or(DAY)
}

fn minutes(seconds: i64) -> String {
    if seconds < 90 { format!("{seconds}s") } else { format!("{}m", (seconds + 30) / 60) }
}

fn print_table(rows: &[Row]) {
    println!("| scenario | requests | sent | estimated cost | what it got | target | met |");
    println!("|---|---:|---:|---:|---|---|---|");
    for row in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            row.scenario,
            row.requests,
            row.sent,
            row.cost,
            row.got,
            row.target,
            if row.met { "yes" } else { "**NO**" }
        );
    }
}
