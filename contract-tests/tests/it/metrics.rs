//! Keeps the dashboard and the alarms true to the code: every metric of ours that
//! `template.yaml` reads (a dashboard widget, a `SEARCH`, an alarm's metric or Metrics Insights
//! query) is in the Embedded Metric Format lines the functions print, in the namespace and with
//! the dimensions it is read by. A renamed metric or dimension fails here, not on a dashboard.

use std::collections::BTreeSet;
use std::sync::Mutex;

use serde_json::{Value, json};
use shared::adapters::vonage::VonageClient;
use shared::clock::ManualClock;
use shared::runtime::bootstrap::HandlerDeps;
use shared::telemetry::metrics::{self, Metric};
use shared::testing::{FailingStore, Harness, config, event};
use vonage_sim::{Fault, SimConfig};

use super::deployment::{STACK_NAME, template};

const REQUEST_EVENT: &str = include_str!("../../../events/request-otp.json");
const VERIFY_EVENT: &str = include_str!("../../../events/verify-otp.json");

/// A metric as CloudWatch keys it: namespace, name and the names of its dimensions.
type Series = (String, String, BTreeSet<String>);

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn namespace() -> String {
    format!("PhoneVerification/{STACK_NAME}")
}

#[tokio::test]
async fn every_metric_the_dashboard_and_alarms_read_is_printed_by_the_functions() {
    metrics::set_sink(|line| LINES.lock().unwrap().push(line.to_owned()));
    every_outcome().await;
    let lines = LINES.lock().unwrap().clone();
    let printed = printed(&lines);
    let read = read_by_the_template();
    assert!(read.len() >= 12, "the template reads {read:#?}");
    let missing: Vec<_> = read.difference(&printed).collect();
    assert!(missing.is_empty(), "read by the template but never printed: {missing:#?}\nprinted: {printed:#?}");
    // And every metric printed is on the dashboard or behind an alarm.
    let names = |s: &BTreeSet<Series>| s.iter().map(|(_, name, _)| name.clone()).collect::<BTreeSet<_>>();
    let unread: Vec<_> = names(&printed).difference(&names(&read)).cloned().collect();
    assert!(unread.is_empty(), "printed but read nowhere: {unread:?}");
    assert_eq!(names(&printed), Metric::ALL.iter().map(|m| m.name().to_owned()).collect());
}

/// Both functions through a send, a refusal, a verification, a test number's code and its
/// verification, a call, an expired code, a provider error and timeout, and a store error, with the namespace the template gives them.
async fn every_outcome() {
    let overrides = [
        ("METRICS_NAMESPACE", namespace()),
        ("VONAGE_TIMEOUT_MS", "1000".into()),
        ("TEST_NUMBERS", r#"{"+12015550123": "482916"}"#.into()),
        // Vonage alone here, so that its failures are answered; the second provider below.
        ("PROVIDER_ORDER", "vonage".into()),
    ];
    let overrides: Vec<(&str, &str)> = overrides.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let h = Harness::with(&overrides, SimConfig::default()).await;
    let request = |number: &str| request_otp::handle(&h.deps, post(REQUEST_EVENT, &json!({"phoneNumber": number})));
    let sent = json_of(request("+447400123456").await);
    let code = h.last_code("+447400123456").unwrap();
    let verify = |id: &Value, code: &str| {
        verify_otp::handle(&h.deps, post(VERIFY_EVENT, &json!({"requestId": id, "code": code})))
    };
    assert_eq!(json_of(verify(&sent["requestId"], &code).await)["verified"], true);
    assert_eq!(json_of(request("+447400123456").await)["code"], "resend_too_soon");
    let test = json_of(request("+12015550123").await);
    assert_eq!(json_of(verify(&test["requestId"], "482916").await)["testNumber"], true);

    let call = json!({"phoneNumber": "+447400123457", "channel": "voice"});
    let called = request_otp::handle(&h.deps, post(REQUEST_EVENT, &call)).await;
    assert_eq!(json_of(called)["channel"], "voice");

    let late = json_of(request("+14155552671").await);
    let code = h.last_code("+14155552671").unwrap();
    h.clock.advance(time::Duration::seconds(600));
    assert_eq!(json_of(verify(&late["requestId"], &code).await)["code"], "expired");

    h.sim.simulator.add_fault(Fault { status: Some(500), ..Fault::default() });
    assert_eq!(json_of(request("+14155550101").await)["code"], "provider_error");
    h.sim.simulator.add_fault(Fault { delay_ms: 2500, ..Fault::default() });
    assert_eq!(json_of(request("+14155550102").await)["code"], "provider_timeout");

    status_reports(&h).await;
    sign_in_and_a_refused_token(&overrides).await;
    traffic_moved_and_back(&namespace()).await;

    let sim = vonage_sim::Simulator::spawn(SimConfig::default()).await.unwrap();
    let config = config(&sim.base_url(), &[]);
    let provider = VonageClient::new(config.vonage.clone()).unwrap();
    let deps = HandlerDeps::new(config, provider, FailingStore { throttled: true }, ManualClock::new());
    let failed = request_otp::handle(&deps, post(REQUEST_EVENT, &json!({"phoneNumber": "+14155552671"}))).await;
    assert_eq!(json_of(failed)["code"], "service_unavailable");
}

/// Vonage's reports on a code: its WhatsApp step failed, its SMS step's code entered.
async fn status_reports(h: &Harness) {
    use shared::clock::Clock;
    use shared::ports::VerificationStore;
    use shared::testing::{TEST_SIGNATURE_SECRET, status_callback, vonage_signature};
    let sent =
        json_of(request_otp::handle(&h.deps, post(REQUEST_EVENT, &json!({"phoneNumber": "+447400123458"}))).await);
    let id = shared::domain::request_id::RequestId::parse(sent["requestId"].as_str().unwrap()).unwrap();
    let record = h.deps.service.store().get(&id, h.clock.now()).await.unwrap().unwrap();
    for (channel, status) in [("whatsapp", "failed"), ("sms", "completed")] {
        let body = json!({"request_id": record.provider_id.as_str(), "triggered_at": "2026-11-25T17:02:30Z",
            "type": "event", "channel": channel, "status": status, "client_ref": id.as_str()})
        .to_string();
        let auth = vonage_signature(body.as_bytes(), TEST_SIGNATURE_SECRET, h.clock.now());
        let answer = json_of(verify_otp::handle(&h.deps, status_callback(&body, Some(&auth))).await);
        assert_eq!(answer["status"], "applied", "{answer}");
    }
}

/// Vonage failing until its breaker opens, the codes going by the second provider (and entered
/// there), then Vonage back after a probe.
async fn traffic_moved_and_back(namespace: &str) {
    let settings = [("METRICS_NAMESPACE", namespace), ("PROVIDER_ORDER", "vonage,aws")];
    let h = Harness::with(&settings, SimConfig::default()).await;
    for n in 1..=5 {
        h.sim.simulator.add_fault(Fault { status: Some(503), endpoint: "start".into(), ..Fault::default() });
        let number = format!("+4474001234{n:02}");
        let sent = json_of(request_otp::handle(&h.deps, post(REQUEST_EVENT, &json!({"phoneNumber": number}))).await);
        let code = h.last_code(&number).unwrap();
        let body = json!({"requestId": sent["requestId"], "code": code});
        assert_eq!(json_of(verify_otp::handle(&h.deps, post(VERIFY_EVENT, &body)).await)["verified"], true);
    }
    tokio::time::sleep(shared::testing::TEST_BREAKER_PAUSE * 2).await;
    let back = json!({"phoneNumber": "+447400123499"});
    json_of(request_otp::handle(&h.deps, post(REQUEST_EVENT, &back)).await);
}

/// A person signed in through the provider (a sign-in), and the same code redeemed again (a token
/// refusal).
async fn sign_in_and_a_refused_token(overrides: &[(&str, &str)]) {
    let key = shared::testing::signing_keys();
    let clients = r#"[{"clientId": "shop", "name": "Shop", "redirectUris": ["https://shop.example/cb"]}]"#;
    let mut settings = overrides.to_vec();
    settings.extend([
        ("TOKEN_ISSUER", "https://verify.example.com"),
        ("TOKEN_SIGNING_KEYS", key.as_str()),
        ("RELYING_PARTIES", clients),
    ]);
    let h = Harness::with(&settings, SimConfig::default()).await;
    let at = |path: &str, mut req: lambda_http::Request| {
        *req.uri_mut() = format!("https://verify.example.com{path}").parse().unwrap();
        req
    };
    // RFC 7636 Appendix B's pair.
    let (verifier, challenge) =
        ("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    let query = format!(
        "response_type=code&client_id=shop&redirect_uri=https%3A%2F%2Fshop.example%2Fcb&scope=openid&state=s\
         &nonce=n&code_challenge={challenge}&code_challenge_method=S256"
    );
    let opened =
        verify_otp::handle(&h.deps, at(&format!("/authorize?{query}"), event(VERIFY_EVENT, "GET", None, None)));
    let to_page = opened.await.headers()["location"].to_str().unwrap().to_owned();
    let flow = &json!(to_page.strip_prefix("/sign-in?flow=").unwrap());
    let sent = json_of(
        request_otp::handle(&h.deps, post(REQUEST_EVENT, &json!({"phoneNumber": "+447400123458", "flowId": flow})))
            .await,
    );
    let code = h.last_code("+447400123458").unwrap();
    let body = json!({"requestId": sent["requestId"], "code": code, "flowId": flow});
    let back = json_of(verify_otp::handle(&h.deps, post(VERIFY_EVENT, &body)).await);
    let back = back["redirectTo"].as_str().unwrap();
    let auth_code = back.split("code=").nth(1).unwrap().split('&').next().unwrap();
    let form = format!(
        "grant_type=authorization_code&code={auth_code}&redirect_uri=https%3A%2F%2Fshop.example%2Fcb\
         &client_id=shop&code_verifier={verifier}"
    );
    for expected in [200, 400] {
        let req = event(VERIFY_EVENT, "POST", Some("application/x-www-form-urlencoded"), Some(&form));
        assert_eq!(verify_otp::handle(&h.deps, at("/oauth/token", req)).await.status().as_u16(), expected);
    }
}

fn post(template: &str, body: &Value) -> lambda_http::Request {
    event(template, "POST", Some("application/json"), Some(&body.to_string()))
}

fn json_of(response: lambda_http::Response<lambda_http::Body>) -> Value {
    shared::testing::json_body(&response)
}

/// The series the lines define, each line checked against the format's rules on the way: every
/// dimension a directive names is a string at the top level, every metric a number there.
fn printed(lines: &[String]) -> BTreeSet<Series> {
    let mut series = BTreeSet::new();
    for line in lines {
        let doc: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(doc["_aws"]["Timestamp"].is_u64(), "{line}");
        for directive in doc["_aws"]["CloudWatchMetrics"].as_array().expect("directives") {
            let namespace = directive["Namespace"].as_str().unwrap().to_owned();
            for dimensions in directive["Dimensions"].as_array().unwrap() {
                let dimensions: BTreeSet<String> =
                    dimensions.as_array().unwrap().iter().map(|d| d.as_str().unwrap().to_owned()).collect();
                for d in &dimensions {
                    assert!(doc[d].is_string(), "dimension {d} has no value: {line}");
                }
                for metric in directive["Metrics"].as_array().unwrap() {
                    let name = metric["Name"].as_str().unwrap().to_owned();
                    assert!(doc[&name].is_number(), "metric {name} has no value: {line}");
                    series.insert((namespace.clone(), name, dimensions.clone()));
                }
            }
        }
    }
    series
}

/// Our namespace's series the dashboard and the alarms read.
fn read_by_the_template() -> BTreeSet<Series> {
    let t = template();
    let ours = namespace();
    let mut read = BTreeSet::new();
    let resources = t["Resources"].as_object().unwrap();

    let body = resources["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"].as_str().expect("!Sub of the body");
    let body = substitute(body);
    let dashboard: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("the dashboard is not JSON: {e}"));
    for widget in dashboard["widgets"].as_array().unwrap() {
        for entry in widget["properties"]["metrics"].as_array().into_iter().flatten() {
            let entry = entry.as_array().unwrap();
            if let Some(expression) = entry[0]["expression"].as_str() {
                read.extend(searched(expression, &ours));
            } else if entry[0] == ours.as_str() {
                let strings: Vec<&str> = entry.iter().filter_map(Value::as_str).collect();
                let dimensions = strings[2..].chunks(2).map(|pair| pair[0].to_owned()).collect();
                read.insert((ours.clone(), strings[1].to_owned(), dimensions));
            }
        }
    }

    for (_, alarm) in resources.iter().filter(|(_, r)| r["Type"] == "AWS::CloudWatch::Alarm") {
        for query in alarm["Properties"]["Metrics"].as_array().unwrap() {
            let metric = &query["MetricStat"]["Metric"];
            if let Some(namespace) = metric["Namespace"]["Fn::Sub"].as_str().map(substitute) {
                assert_eq!(namespace, ours, "an alarm on another namespace");
                let dimensions = metric["Dimensions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|d| d["Name"].as_str().unwrap().to_owned())
                    .collect();
                read.insert((ours.clone(), metric["MetricName"].as_str().unwrap().to_owned(), dimensions));
            }
            let expression = query["Expression"]["Fn::Sub"].as_str().map(substitute);
            if let Some(select) = expression.as_deref().filter(|e| e.trim_start().starts_with("SELECT")) {
                read.insert(insights(select, &ours));
            }
        }
    }
    read
}

/// The template's `${...}` as CloudFormation would fill them for the dev stack.
fn substitute(text: &str) -> String {
    let mut out = text.replace("${AWS::StackName}", STACK_NAME).replace("${AWS::Region}", "eu-west-1");
    while let Some(start) = out.find("${") {
        let end = start + out[start..].find('}').expect("a closed ${...}");
        out.replace_range(start..=end, "1");
    }
    out
}

/// The series of `SEARCH('{"namespace",Dimension} MetricName="Name"', ...)`.
fn searched(expression: &str, ours: &str) -> Option<Series> {
    let schema = expression.split_once("SEARCH('{")?.1.split_once('}')?.0;
    let mut parts = schema.split(',');
    let namespace = parts.next()?.trim_matches('"');
    assert_eq!(namespace, ours, "a search of another namespace: {expression}");
    let dimensions = parts.map(str::to_owned).collect();
    let name = expression.split_once("MetricName=\"")?.1.split_once('"')?.0;
    Some((ours.to_owned(), name.to_owned(), dimensions))
}

/// The series of `SELECT SUM(Name) FROM SCHEMA("namespace", Dimension) ...`.
fn insights(select: &str, ours: &str) -> Series {
    let name = select.split_once('(').unwrap().1.split_once(')').unwrap().0;
    let schema = select.split_once("SCHEMA(").unwrap().1.split_once(')').unwrap().0;
    let mut parts = schema.split(',').map(str::trim);
    assert_eq!(parts.next().unwrap().trim_matches('"'), ours, "a query of another namespace: {select}");
    (ours.to_owned(), name.to_owned(), parts.map(str::to_owned).collect())
}
