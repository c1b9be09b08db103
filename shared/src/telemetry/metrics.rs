//! CloudWatch metrics in Embedded Metric Format: one JSON line a request, written to the
//! function's log stream beside its other lines, which CloudWatch turns into metrics. No
//! `PutMetricData`, no client, nothing added to a call's latency.
//!
//! What a request measured is collected while [`scope`] runs it ([`record`] from anywhere below:
//! the service, the HTTP edge) and written once when it ends. Every metric has a fixed set of
//! dimensions ([`Metric::dimension`]): the country (ISO 3166-1 alpha-2), the rule that refused a
//! send, the application a person signed in to, or a token refusal's error, and always the total
//! beside it, so a dashboard and an alarm read totals without a
//! search. Never a number, an address or an id: a bounded set of series.
//!
//! A hand-written emitter, not a crate: `metrics_cloudwatch_embedded` writes one dimension set a
//! document (the per-country and total series would be two lines, and two metrics) behind the
//! `metrics` facade's process-wide recorder, and `metrique` brings ~45 crates into a function
//! whose zip and cold start are budgeted (docs/operate/operations.md).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::OnceLock;

use serde_json::{Map, Value, json};

/// The namespace when `METRICS_NAMESPACE` is not set (the template names one per stack).
pub const DEFAULT_NAMESPACE: &str = "PhoneVerification";

/// The metrics both functions emit, and what the dashboard and alarms read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Metric {
    /// A code went out (a send the provider accepted).
    CodesSent,
    /// A code went out by a call (also one of `CodesSent`).
    CodesCalled,
    /// A code was entered right.
    CodesVerified,
    /// A code was entered after it expired.
    CodesExpired,
    /// A send refused by a limit, the bot check or the switch; by rule.
    CodesRefused,
    /// +1 a send, −1 a verification: over an hour, the codes sent that nobody entered.
    UnverifiedCodes,
    /// The price table's estimate of a send, in US dollars.
    EstimatedSpend,
    /// A provider call that failed (not a timeout).
    ProviderErrors,
    /// A provider call that did not answer in time.
    ProviderTimeouts,
    /// A store call that failed or did not answer.
    StoreErrors,
    /// A person signed in to an application (its code redeemed); by the application's client id.
    SignIns,
    /// The token endpoint refused a request; by its OAuth error.
    TokenRefusals,
    /// A code asked for a test number (nothing sent; in no other count).
    TestCodes,
    /// A test number verified (in no other count: `CodesVerified` is real numbers only).
    TestVerifications,
    /// A send a provider accepted; by provider.
    ProviderSends,
    /// A provider call that failed as the provider's failure (a timeout, a 5xx, a 429, no
    /// connection: what moves traffic on); by provider.
    ProviderFailures,
    /// A code sent by a provider other than its country's first; by the provider that sent it.
    SentByFallback,
    /// A provider's breaker opened (traffic moves off it), or closed again; by provider.
    BreakerOpened,
    BreakerClosed,
    /// A code entered right; by the provider that carried it (conversion per provider).
    VerifiedByProvider,
    /// A code went out (counted as a send); by the channel of its first step.
    SentByChannel,
    /// A code entered right; by the channel of its send's first step (with `SentByChannel`:
    /// conversion by channel).
    VerifiedByChannel,
    /// The provider reported the code entered; by the channel of the step that carried it (a
    /// WhatsApp-first code entered after its SMS step: SMS), and by channel and country.
    VerifiedOnChannel,
    /// The provider reported a step failed, refused or blocked; by channel, and by channel and
    /// country.
    StepFailures,
    /// Seconds from the send to the provider's report of the code entered; by channel, and by
    /// channel and country (its average: the time to deliver and type a code).
    SecondsToVerify,
}

/// What a metric is broken down by, beside its total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    /// The total alone.
    None,
    /// `Country`, and the total.
    Country,
    /// `Country` only (a total of +1/−1 across countries says nothing).
    CountryOnly,
    /// `Rule`, and the total.
    Rule,
    /// `Client` (a registered client id: a bounded set), and the total.
    Client,
    /// `Error` (an OAuth error code), and the total.
    Error,
    /// `Provider` (`vonage`, `aws`), and the total: lines of their own, as a request may meet
    /// two providers.
    Provider,
    /// `Channel` (`whatsapp`, `sms`, `voice`), and `Channel` with `Country` where the request
    /// has one: lines of their own.
    Channel,
}

impl Metric {
    pub const ALL: [Metric; 25] = [
        Metric::CodesSent,
        Metric::CodesCalled,
        Metric::CodesVerified,
        Metric::CodesExpired,
        Metric::CodesRefused,
        Metric::UnverifiedCodes,
        Metric::EstimatedSpend,
        Metric::ProviderErrors,
        Metric::ProviderTimeouts,
        Metric::StoreErrors,
        Metric::SignIns,
        Metric::TokenRefusals,
        Metric::TestCodes,
        Metric::TestVerifications,
        Metric::ProviderSends,
        Metric::ProviderFailures,
        Metric::SentByFallback,
        Metric::BreakerOpened,
        Metric::BreakerClosed,
        Metric::VerifiedByProvider,
        Metric::SentByChannel,
        Metric::VerifiedByChannel,
        Metric::VerifiedOnChannel,
        Metric::StepFailures,
        Metric::SecondsToVerify,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Metric::CodesSent => "CodesSent",
            Metric::CodesCalled => "CodesCalled",
            Metric::CodesVerified => "CodesVerified",
            Metric::CodesExpired => "CodesExpired",
            Metric::CodesRefused => "CodesRefused",
            Metric::UnverifiedCodes => "UnverifiedCodes",
            Metric::EstimatedSpend => "EstimatedSpend",
            Metric::ProviderErrors => "ProviderErrors",
            Metric::ProviderTimeouts => "ProviderTimeouts",
            Metric::StoreErrors => "StoreErrors",
            Metric::SignIns => "SignIns",
            Metric::TokenRefusals => "TokenRefusals",
            Metric::TestCodes => "TestCodes",
            Metric::TestVerifications => "TestVerifications",
            Metric::ProviderSends => "ProviderSends",
            Metric::ProviderFailures => "ProviderFailures",
            Metric::SentByFallback => "SentByFallback",
            Metric::BreakerOpened => "BreakerOpened",
            Metric::BreakerClosed => "BreakerClosed",
            Metric::VerifiedByProvider => "VerifiedByProvider",
            Metric::SentByChannel => "SentByChannel",
            Metric::VerifiedByChannel => "VerifiedByChannel",
            Metric::VerifiedOnChannel => "VerifiedOnChannel",
            Metric::StepFailures => "StepFailures",
            Metric::SecondsToVerify => "SecondsToVerify",
        }
    }

    pub fn dimension(self) -> Dimension {
        match self {
            Metric::CodesSent | Metric::CodesVerified | Metric::CodesExpired | Metric::EstimatedSpend => {
                Dimension::Country
            }
            Metric::UnverifiedCodes => Dimension::CountryOnly,
            Metric::CodesRefused => Dimension::Rule,
            Metric::SignIns => Dimension::Client,
            Metric::TokenRefusals => Dimension::Error,
            Metric::CodesCalled
            | Metric::ProviderErrors
            | Metric::ProviderTimeouts
            | Metric::StoreErrors
            | Metric::TestCodes
            | Metric::TestVerifications => Dimension::None,
            Metric::ProviderSends
            | Metric::ProviderFailures
            | Metric::SentByFallback
            | Metric::BreakerOpened
            | Metric::BreakerClosed
            | Metric::VerifiedByProvider => Dimension::Provider,
            Metric::SentByChannel
            | Metric::VerifiedByChannel
            | Metric::VerifiedOnChannel
            | Metric::StepFailures
            | Metric::SecondsToVerify => Dimension::Channel,
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Metric::EstimatedSpend => "None",
            Metric::SecondsToVerify => "Seconds",
            _ => "Count",
        }
    }
}

/// What one request measured.
#[derive(Debug, Default)]
struct Measures {
    country: Option<String>,
    rule: Option<&'static str>,
    client: Option<String>,
    error: Option<&'static str>,
    values: BTreeMap<Metric, f64>,
    /// The [`Dimension::Provider`] metrics, by provider.
    by_provider: BTreeMap<&'static str, BTreeMap<Metric, f64>>,
    /// The [`Dimension::Channel`] metrics, by channel.
    by_channel: BTreeMap<&'static str, BTreeMap<Metric, f64>>,
}

tokio::task_local! {
    static MEASURES: RefCell<Measures>;
}

/// Adds `value` to `metric` for the request being served; outside [`scope`] (a unit test of the
/// service), nothing.
pub fn record(metric: Metric, value: f64) {
    let _ = MEASURES.try_with(|m| *m.borrow_mut().values.entry(metric).or_default() += value);
}

/// Adds `value` to `metric` (a [`Dimension::Provider`] one) of `provider` (a fixed name).
pub fn by_provider(provider: &'static str, metric: Metric, value: f64) {
    let _ = MEASURES.try_with(|m| {
        *m.borrow_mut().by_provider.entry(provider).or_default().entry(metric).or_default() += value;
    });
}

/// Adds `value` to `metric` (a [`Dimension::Channel`] one) of `channel` (a fixed name).
pub fn by_channel(channel: &'static str, metric: Metric, value: f64) {
    let _ = MEASURES.try_with(|m| {
        *m.borrow_mut().by_channel.entry(channel).or_default().entry(metric).or_default() += value;
    });
}

/// The country the request's metrics are broken down by (ISO 3166-1 alpha-2).
pub fn country(iso: &str) {
    let _ = MEASURES.try_with(|m| m.borrow_mut().country = Some(iso.to_owned()));
}

/// A send refused by `rule` (a fixed name: `cooldown`, `client_cap`, …).
pub fn refused(rule: &'static str) {
    let _ = MEASURES.try_with(|m| {
        let mut m = m.borrow_mut();
        m.rule = Some(rule);
        *m.values.entry(Metric::CodesRefused).or_default() += 1.0;
    });
}

/// A person signed in to the application `client_id` (a registered client: a bounded set).
pub fn signed_in(client_id: &str) {
    let _ = MEASURES.try_with(|m| {
        let mut m = m.borrow_mut();
        m.client = Some(client_id.to_owned());
        *m.values.entry(Metric::SignIns).or_default() += 1.0;
    });
}

/// The token endpoint refused a request with the OAuth `error` (a fixed code).
pub fn token_refused(error: &'static str) {
    let _ = MEASURES.try_with(|m| {
        let mut m = m.borrow_mut();
        m.error = Some(error);
        *m.values.entry(Metric::TokenRefusals).or_default() += 1.0;
    });
}

/// Where the lines go: the process's standard output (the function's log stream) unless
/// [`set_sink`] said otherwise.
type Sink = Box<dyn Fn(&str) + Send + Sync>;
static SINK: OnceLock<Sink> = OnceLock::new();
static NAMESPACE: OnceLock<String> = OnceLock::new();

/// Sends every line elsewhere (`otp-local` sums them for its dev endpoint; tests read them).
/// The first call wins.
pub fn set_sink(sink: impl Fn(&str) + Send + Sync + 'static) {
    let _ = SINK.set(Box::new(sink));
}

/// Runs one request, then writes what it measured as one line (none when it measured nothing).
pub async fn scope<F: Future>(request: F) -> F::Output {
    let (output, measures) = collect(request).await;
    let timestamp = now_millis();
    let lines = emf_line(&measures, timestamp)
        .into_iter()
        .chain(provider_lines(&measures, timestamp))
        .chain(channel_lines(&measures, timestamp));
    for line in lines {
        match SINK.get() {
            Some(sink) => sink(&line),
            None => println!("{line}"),
        }
    }
    output
}

async fn collect<F: Future>(request: F) -> (F::Output, Measures) {
    MEASURES
        .scope(RefCell::new(Measures::default()), async {
            let output = request.await;
            (output, MEASURES.with(|m| std::mem::take(&mut *m.borrow_mut())))
        })
        .await
}

/// The namespace of every line from now on, from the settings at a cold start (the first call
/// wins: a process hosting both handlers has one).
pub fn set_namespace(namespace: String) {
    let _ = NAMESPACE.set(namespace);
}

fn namespace() -> &'static str {
    NAMESPACE.get().map_or(DEFAULT_NAMESPACE, String::as_str)
}

fn now_millis() -> u64 {
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX)
}

/// The request's measures as one EMF document: a directive per dimension set in use, the
/// dimensions' values and each metric's value at the top level.
fn emf_line(measures: &Measures, timestamp: u64) -> Option<String> {
    if measures.values.is_empty() {
        return None;
    }
    let mut document = Map::new();
    let mut directives: Vec<Value> = Vec::new();
    let mut add = |dimension_sets: Vec<Vec<&str>>, metrics: Vec<Metric>| {
        if !metrics.is_empty() {
            let metrics: Vec<Value> = metrics.iter().map(|m| json!({"Name": m.name(), "Unit": m.unit()})).collect();
            directives.push(json!({"Namespace": namespace(), "Dimensions": dimension_sets, "Metrics": metrics}));
        }
    };
    let of = |d: Dimension| measures.values.keys().copied().filter(|m| m.dimension() == d).collect::<Vec<_>>();
    add(vec![vec![]], of(Dimension::None));
    match &measures.country {
        Some(country) => {
            document.insert("Country".into(), country.clone().into());
            add(vec![vec!["Country"], vec![]], of(Dimension::Country));
            add(vec![vec!["Country"]], of(Dimension::CountryOnly));
        }
        None => add(vec![vec![]], of(Dimension::Country)),
    }
    let by_name: [(&str, Option<&str>, Dimension); 3] = [
        ("Rule", measures.rule, Dimension::Rule),
        ("Client", measures.client.as_deref(), Dimension::Client),
        ("Error", measures.error, Dimension::Error),
    ];
    for (name, value, dimension) in by_name {
        match value {
            Some(value) => {
                document.insert(name.into(), value.into());
                add(vec![vec![name], vec![]], of(dimension));
            }
            None => add(vec![vec![]], of(dimension)),
        }
    }
    for (metric, value) in &measures.values {
        if metric.dimension() == Dimension::CountryOnly && measures.country.is_none() {
            continue;
        }
        document.insert(metric.name().into(), json!(value));
    }
    document.insert("_aws".into(), json!({"Timestamp": timestamp, "CloudWatchMetrics": directives}));
    Some(Value::Object(document).to_string())
}

/// One EMF document per provider the request met, with its [`Dimension::Provider`] metrics.
fn provider_lines(measures: &Measures, timestamp: u64) -> Vec<String> {
    keyed_lines("Provider", &measures.by_provider, None, true, timestamp)
}

/// One EMF document per channel the request reported on, with its [`Dimension::Channel`]
/// metrics, by channel and by channel and country.
fn channel_lines(measures: &Measures, timestamp: u64) -> Vec<String> {
    keyed_lines("Channel", &measures.by_channel, measures.country.as_deref(), false, timestamp)
}

/// One EMF document per value of the dimension `name` in `by`, with that value's metrics: by it,
/// by it and the `country` where there is one, and in `total` where asked.
fn keyed_lines(
    name: &str,
    by: &BTreeMap<&'static str, BTreeMap<Metric, f64>>,
    country: Option<&str>,
    total: bool,
    timestamp: u64,
) -> Vec<String> {
    by.iter()
        .map(|(key, values)| {
            let metrics: Vec<Value> = values.keys().map(|m| json!({"Name": m.name(), "Unit": m.unit()})).collect();
            let mut document = Map::new();
            document.insert(name.into(), (*key).into());
            let mut dimensions = vec![json!([name])];
            if let Some(country) = country {
                document.insert("Country".into(), country.into());
                dimensions.push(json!([name, "Country"]));
            }
            if total {
                dimensions.push(json!([]));
            }
            for (metric, value) in values {
                document.insert(metric.name().into(), json!(value));
            }
            let directive = json!({"Namespace": namespace(), "Dimensions": dimensions, "Metrics": metrics});
            document.insert("_aws".into(), json!({"Timestamp": timestamp, "CloudWatchMetrics": [directive]}));
            Value::Object(document).to_string()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn channel_metrics_are_a_line_for_each_channel_by_itself_and_with_the_country() {
        let ((), measures) = collect(async {
            country("IN");
            by_channel("whatsapp", Metric::VerifiedOnChannel, 1.0);
            by_channel("whatsapp", Metric::SecondsToVerify, 12.0);
            by_channel("sms", Metric::StepFailures, 1.0);
        })
        .await;
        let lines: Vec<Value> = channel_lines(&measures, 1).iter().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!((lines[0]["Channel"].as_str(), lines[0]["StepFailures"].as_f64()), (Some("sms"), Some(1.0)));
        let whatsapp = &lines[1];
        assert_eq!((whatsapp["Channel"].as_str(), whatsapp["Country"].as_str()), (Some("whatsapp"), Some("IN")));
        let directive = &whatsapp["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Dimensions"], json!([["Channel"], ["Channel", "Country"]]));
        assert_eq!(directive["Metrics"][0], json!({"Name": "VerifiedOnChannel", "Unit": "Count"}));
        assert_eq!(directive["Metrics"][1], json!({"Name": "SecondsToVerify", "Unit": "Seconds"}));
        assert_eq!(emf_line(&measures, 1), None, "nothing in the request's own line");
    }

    async fn measured(request: impl Future<Output = ()>) -> Value {
        let ((), measures) = collect(request).await;
        serde_json::from_str(&emf_line(&measures, 1_700_000_000_000).expect("a line")).unwrap()
    }

    #[tokio::test]
    async fn a_send_is_one_line_with_its_country_and_totals() {
        let doc = measured(async {
            country("GB");
            record(Metric::CodesSent, 1.0);
            record(Metric::UnverifiedCodes, 1.0);
            record(Metric::EstimatedSpend, 0.04);
        })
        .await;
        assert_eq!(doc["Country"], "GB");
        assert_eq!((doc["CodesSent"].as_f64(), doc["EstimatedSpend"].as_f64()), (Some(1.0), Some(0.04)));
        let directives = doc["_aws"]["CloudWatchMetrics"].as_array().unwrap();
        assert_eq!(directives[0]["Namespace"], "PhoneVerification");
        assert_eq!(directives[0]["Dimensions"], json!([["Country"], []]));
        let names: Vec<_> = directives[0]["Metrics"].as_array().unwrap().iter().map(|m| m["Name"].clone()).collect();
        assert_eq!(names, [json!("CodesSent"), json!("EstimatedSpend")]);
        assert_eq!(directives[1]["Dimensions"], json!([["Country"]]));
        assert_eq!(directives[1]["Metrics"][0]["Name"], "UnverifiedCodes");
        assert_eq!(doc["_aws"]["Timestamp"], 1_700_000_000_000_u64);
    }

    #[tokio::test]
    async fn a_refusal_has_its_rule_and_errors_have_only_totals() {
        let doc = measured(async {
            refused("client_cap");
            record(Metric::StoreErrors, 1.0);
        })
        .await;
        assert_eq!((doc["Rule"].as_str(), doc["CodesRefused"].as_f64()), (Some("client_cap"), Some(1.0)));
        let directives = doc["_aws"]["CloudWatchMetrics"].as_array().unwrap();
        assert_eq!(directives[0]["Dimensions"], json!([[]]));
        assert_eq!(directives[0]["Metrics"][0]["Name"], "StoreErrors");
        assert_eq!(directives[1]["Dimensions"], json!([["Rule"], []]));
        assert!(doc.get("Country").is_none());
    }

    #[tokio::test]
    async fn provider_metrics_are_a_line_for_each_provider_beside_the_request_line() {
        let ((), measures) = collect(async {
            country("GB");
            record(Metric::CodesSent, 1.0);
            by_provider("vonage", Metric::ProviderFailures, 1.0);
            by_provider("aws", Metric::ProviderSends, 1.0);
            by_provider("aws", Metric::SentByFallback, 1.0);
        })
        .await;
        let lines: Vec<Value> = provider_lines(&measures, 1).iter().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!((lines[0]["Provider"].as_str(), lines[0]["SentByFallback"].as_f64()), (Some("aws"), Some(1.0)));
        assert_eq!(lines[1]["Provider"], "vonage");
        assert_eq!(lines[1]["ProviderFailures"], 1.0);
        assert_eq!(lines[1]["_aws"]["CloudWatchMetrics"][0]["Dimensions"], json!([["Provider"], []]));
        let request: Value = serde_json::from_str(&emf_line(&measures, 1).unwrap()).unwrap();
        assert!(request.get("ProviderSends").is_none() && request["CodesSent"] == 1.0);
    }

    #[tokio::test]
    async fn nothing_measured_writes_nothing_and_outside_a_scope_recording_is_ignored() {
        record(Metric::CodesSent, 1.0);
        assert_eq!(emf_line(&Measures::default(), 0), None);
    }
}
