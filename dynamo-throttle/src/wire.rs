//! DynamoDB's answers to a throttled call, in its JSON 1.0 protocol: the status, the error's
//! `__type` and the bodies the SDK reads.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

const NAMESPACE: &str = "com.amazonaws.dynamodb.v20120810";

/// An on-demand table's text when a partition's throughput is exceeded (no final period), in a
/// single operation's error and a transaction's cancellation reason alike.
pub const THROUGHPUT_MESSAGE: &str = "Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so please try again shortly. If exceptions persist, check if you have a hot key: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html";

/// A single operation throttled on an on-demand table's hot key: HTTP 400,
/// `ThrottlingException` in the namespace DynamoDB's front end answers it from, with the
/// reason (`throttlingReasons`, lower-case t in this error's model) naming the key range and
/// the access; the SDK's standard retry retries it (up to three tries, backing off from 1 s).
pub fn throttled(write: bool, table: &str) -> Response {
    let access = if write { "Write" } else { "Read" };
    error(&json!({
        "__type": "com.amazon.coral.availability#ThrottlingException",
        "message": THROUGHPUT_MESSAGE,
        "throttlingReasons": [{
            "reason": format!("Table{access}KeyRangeThroughputExceeded"),
            "resource": format!("arn:aws:dynamodb:us-east-1:123456789012:table/{table}"),
        }],
    }))
}

/// A transaction with a throttled item: HTTP 400, `TransactionCanceledException` with one
/// cancellation reason an item, `ThrottlingError` where the item was throttled and `{"Code":
/// "None"}` where it was not; the SDK does not retry it.
pub fn transaction_throttled(throttled: &[bool]) -> Response {
    let reasons: Vec<Value> = throttled
        .iter()
        .map(|t| {
            if *t { json!({"Code": "ThrottlingError", "Message": THROUGHPUT_MESSAGE}) } else { json!({"Code": "None"}) }
        })
        .collect();
    let codes: Vec<&str> = throttled.iter().map(|t| if *t { "ThrottlingError" } else { "None" }).collect();
    error(&json!({
        "__type": format!("{NAMESPACE}#TransactionCanceledException"),
        "CancellationReasons": reasons,
        "Message": format!("Transaction cancelled, please refer cancellation reasons for specific reasons [{}]", codes.join(", ")),
    }))
}

fn error(body: &Value) -> Response {
    json(StatusCode::BAD_REQUEST, body)
}

pub fn json(status: StatusCode, body: &Value) -> Response {
    let request_id = uuid_like();
    (
        status,
        [("content-type", "application/x-amz-json-1.0"), ("x-amzn-requestid", request_id.as_str())],
        body.to_string(),
    )
        .into_response()
}

/// A request id of DynamoDB's shape (52 upper-case letters and digits), unique enough here.
fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("THROTTLEPROXY{:039}", NEXT.fetch_add(1, Ordering::Relaxed))
}
