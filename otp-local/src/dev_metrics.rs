//! `GET /api/dev/metrics`: the figures the deployed dashboard would show, summed since this
//! process started, from the very Embedded Metric Format lines the functions print in Lambda (the
//! local server takes them instead of printing them). Each line adds its value to every series
//! its directives name, as CloudWatch does: `CodesSent` with `Country=GB`, and the total.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Value, json};

/// (metric, its dimensions and their values) -> the sum.
pub type Series = BTreeMap<(String, BTreeMap<String, String>), f64>;

/// The process's sums: the functions print to one place a process, whichever server asked.
pub fn tally() -> Arc<Mutex<Series>> {
    static TALLY: OnceLock<Arc<Mutex<Series>>> = OnceLock::new();
    TALLY
        .get_or_init(|| {
            let tally = Arc::new(Mutex::new(Series::new()));
            let sums = tally.clone();
            shared::telemetry::metrics::set_sink(move |line| {
                add(&mut sums.lock().unwrap_or_else(|e| e.into_inner()), line)
            });
            tally
        })
        .clone()
}

fn add(series: &mut Series, line: &str) {
    let Ok(doc) = serde_json::from_str::<Value>(line) else { return };
    for directive in doc["_aws"]["CloudWatchMetrics"].as_array().into_iter().flatten() {
        for dimensions in directive["Dimensions"].as_array().into_iter().flatten() {
            let named: BTreeMap<String, String> = dimensions
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|d| (d.to_owned(), doc[d].as_str().unwrap_or_default().to_owned()))
                .collect();
            for metric in directive["Metrics"].as_array().into_iter().flatten() {
                let Some(name) = metric["Name"].as_str() else { continue };
                *series.entry((name.to_owned(), named.clone())).or_default() += doc[name].as_f64().unwrap_or(0.0);
            }
        }
    }
}

/// The sums as JSON: `{"metrics": [{"name", "dimensions", "value"}, ...]}`, totals first.
pub fn snapshot(series: &Series) -> Value {
    let mut rows: Vec<_> = series.iter().collect();
    rows.sort_by_key(|((name, dimensions), _)| (dimensions.len(), name.clone(), dimensions.clone()));
    let metrics: Vec<Value> = rows
        .into_iter()
        .map(|((name, dimensions), value)| json!({"name": name, "dimensions": dimensions, "value": value}))
        .collect();
    json!({ "metrics": metrics })
}
