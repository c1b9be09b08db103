//! The bodies of Vonage Verify v2's status callbacks: an `event` when a step ends, a `summary`
//! when the verification does. Fields are written in Vonage's order, so that a body cut short
//! (the `malformed` mode) starts as a real one does.

use serde::Serialize;
use time::OffsetDateTime;

use crate::model::{self, Report, Status, StepStatus};

/// What the simulator charges a verification in its summary (the documentation's example).
const PRICE: &str = "0.0500";

#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Body {
    Event(Event),
    Summary(Summary),
}

#[derive(Debug, Clone, Serialize)]
pub struct Event {
    request_id: String,
    triggered_at: String,
    #[serde(rename = "type")]
    kind: &'static str,
    channel: String,
    status: &'static str,
    finalized_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_ref: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    request_id: String,
    submitted_at: String,
    status: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    channel_timeout: i64,
    workflow: Vec<WorkflowStep>,
    price: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_ref: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
struct WorkflowStep {
    channel: String,
    /// None for a step never started, which has no time to give.
    #[serde(skip_serializing_if = "Option::is_none")]
    initiated_at: Option<String>,
    status: &'static str,
}

impl Body {
    pub fn of(report: &Report) -> Self {
        match report {
            Report::Event(e) => Self::Event(Event {
                request_id: e.request_id.clone(),
                triggered_at: rfc3339_millis(e.at),
                kind: "event",
                channel: e.channel.clone(),
                status: step_status(e.status),
                finalized_at: model::rfc3339(e.at),
                client_ref: e.client_ref.clone(),
            }),
            Report::Summary(s) => Self::Summary(Summary {
                request_id: s.request_id.clone(),
                submitted_at: model::rfc3339(s.submitted_at),
                status: match s.status {
                    Status::Completed => "completed",
                    Status::Failed => "failed",
                    Status::Expired => "expired",
                    // A summary is made only as a verification ends, and never for a cancel.
                    Status::InProgress => "in_progress",
                    Status::Cancelled => "cancelled",
                },
                kind: "summary",
                channel_timeout: s.channel_timeout.whole_seconds(),
                workflow: s
                    .workflow
                    .iter()
                    .map(|step| WorkflowStep {
                        channel: step.channel.clone(),
                        initiated_at: step.initiated_at.map(model::rfc3339),
                        status: step_status(step.status),
                    })
                    .collect(),
                price: PRICE,
                client_ref: s.client_ref.clone(),
            }),
        }
    }

    pub fn request_id(&self) -> &str {
        match self {
            Self::Event(e) => &e.request_id,
            Self::Summary(s) => &s.request_id,
        }
    }

    pub fn bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a callback body serializes")
    }

    /// The same body with another outcome: what a tampered-with callback would claim.
    pub fn with_status_changed(&self) -> Self {
        let flip = |status: &'static str| if status == "completed" { "failed" } else { "completed" };
        let mut changed = self.clone();
        match &mut changed {
            Self::Event(e) => e.status = flip(e.status),
            Self::Summary(s) => s.status = flip(s.status),
        }
        changed
    }

    /// The same body about a verification nobody started: a random id and client reference.
    pub fn about_an_unknown_verification(&self) -> Self {
        let id = uuid::Uuid::new_v4();
        let client_ref = Some(id.simple().to_string()[..16].to_owned());
        let mut changed = self.clone();
        match &mut changed {
            Self::Event(e) => (e.request_id, e.client_ref) = (id.to_string(), client_ref),
            Self::Summary(s) => (s.request_id, s.client_ref) = (id.to_string(), client_ref),
        }
        changed
    }
}

fn step_status(status: StepStatus) -> &'static str {
    match status {
        StepStatus::Unused => "unused",
        StepStatus::Completed => "completed",
        StepStatus::Failed => "failed",
        StepStatus::Expired => "expired",
        // A step is ended before any report names it.
        StepStatus::Current => "in_progress",
    }
}

/// RFC 3339 in UTC to the millisecond, as `triggered_at` is written.
fn rfc3339_millis(t: OffsetDateTime) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    t.to_offset(time::UtcOffset::UTC).format(&format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use time::macros::datetime;

    use super::*;
    use crate::model::{Event as StepEnded, Step, Summary as Ended};

    fn parsed(body: &Body) -> Value {
        serde_json::from_slice(&body.bytes()).unwrap()
    }

    #[test]
    fn an_event_as_vonage_writes_it() {
        let report = Report::Event(StepEnded {
            request_id: "c11236f4-00bf-4b89-84ba-88b25df97315".into(),
            client_ref: Some("ref1".into()),
            channel: "whatsapp".into(),
            status: StepStatus::Failed,
            at: datetime!(2026-01-02 03:04:05.678 UTC),
        });
        let body = Body::of(&report);
        assert!(String::from_utf8(body.bytes()).unwrap().starts_with(r#"{"request_id":"c11236f4"#));
        assert_eq!(
            parsed(&body),
            json!({"request_id": "c11236f4-00bf-4b89-84ba-88b25df97315", "triggered_at": "2026-01-02T03:04:05.678Z",
                "type": "event", "channel": "whatsapp", "status": "failed", "finalized_at": "2026-01-02T03:04:05Z",
                "client_ref": "ref1"})
        );
    }

    #[test]
    fn a_summary_names_every_step() {
        let mut sms = Step::new("sms", "14155550100");
        sms.initiated_at = Some(datetime!(2026-01-02 03:04:05 UTC));
        sms.status = StepStatus::Expired;
        let report = Report::Summary(Ended {
            request_id: "id".into(),
            client_ref: None,
            submitted_at: datetime!(2026-01-02 03:04:05 UTC),
            status: Status::Expired,
            channel_timeout: time::Duration::seconds(300),
            workflow: vec![sms, Step::new("voice", "14155550100")],
        });
        let body = Body::of(&report);
        assert_eq!(
            parsed(&body),
            json!({"request_id": "id", "submitted_at": "2026-01-02T03:04:05Z", "status": "expired", "type": "summary",
                "channel_timeout": 300, "price": "0.0500", "workflow": [
                    {"channel": "sms", "initiated_at": "2026-01-02T03:04:05Z", "status": "expired"},
                    {"channel": "voice", "status": "unused"}]})
        );
        assert_eq!(parsed(&body.with_status_changed())["status"], "completed");
        let unknown = parsed(&body.about_an_unknown_verification());
        assert_ne!(unknown["request_id"], "id");
        assert_eq!(unknown["client_ref"].as_str().unwrap().len(), 16);
    }
}
