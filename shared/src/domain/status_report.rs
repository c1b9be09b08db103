//! What a provider reports about a verification after the send, from its status callbacks: how a
//! step went (the person entered its code, it failed, it was refused) and how the verification
//! ended. Kept on the verification's record, counted by channel, and never trusted before the
//! callback is authenticated (`crate::adapters::vonage::callbacks`).

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::domain::channel::Channel;
use crate::domain::request_id::RequestId;
use crate::domain::verification::ProviderRequestId;

/// How one step of a workflow went (Vonage's event statuses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepOutcome {
    /// The person entered the code this step sent: the channel they verified on.
    Completed,
    /// Not delivered, or its time passed without a code (the workflow moves on).
    Failed,
    /// The person said it was not them (silent authentication, WhatsApp's buttons).
    UserRejected,
    /// The provider refused to send it (its fraud rules).
    Rejected,
    /// Blocked by the provider's velocity rules, or a VoIP number.
    Blocked,
}

impl StepOutcome {
    pub const ALL: [StepOutcome; 5] =
        [Self::Completed, Self::Failed, Self::UserRejected, Self::Rejected, Self::Blocked];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::UserRejected => "user_rejected",
            Self::Rejected => "rejected",
            Self::Blocked => "blocked",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == name)
    }
}

/// How the verification ended (Vonage's summary statuses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Completed,
    Failed,
    Expired,
    UserRejected,
}

impl Ending {
    pub const ALL: [Ending; 4] = [Self::Completed, Self::Failed, Self::Expired, Self::UserRejected];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Expired => "expired",
            Self::UserRejected => "user_rejected",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    Step { channel: Channel, outcome: StepOutcome },
    Ending(Ending),
}

/// One status report: which verification (the provider's id, and ours, which the send gave the
/// provider as its reference), what happened, and when the provider says it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    pub provider_id: ProviderRequestId,
    pub request_id: RequestId,
    pub report: Report,
    pub at: OffsetDateTime,
}

impl StatusReport {
    /// What identifies the event, callbacks carrying no id of their own: the verification, the
    /// kind, the channel, the status and the time the provider gave it. A retry of the same
    /// callback has the same key; another event of the same step (a later status) has another.
    pub fn key(&self) -> String {
        let (kind, channel, status) = match self.report {
            Report::Step { channel, outcome } => ("event", channel.as_str(), outcome.as_str()),
            Report::Ending(ending) => ("summary", "", ending.as_str()),
        };
        let text =
            format!("{}|{kind}|{channel}|{status}|{}", self.provider_id.as_str(), self.at.unix_timestamp_nanos());
        hex::encode(&Sha256::digest(text.as_bytes())[..16])
    }
}

/// What the record holds of its reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusLog {
    /// Each step reported, with its last outcome.
    pub steps: Vec<(Channel, StepOutcome)>,
    /// The channel of the step whose code was entered.
    pub verified_on: Option<Channel>,
    pub ending: Option<Ending>,
    /// How many distinct reports were applied.
    pub reports: usize,
}

impl StatusLog {
    /// What `report` adds: a step's latest outcome (and the channel verified on, when it is the
    /// code's), or the ending.
    pub fn apply(&mut self, report: Report) {
        match report {
            Report::Step { channel, outcome } => {
                self.steps.retain(|(c, _)| *c != channel);
                self.steps.push((channel, outcome));
                if outcome == StepOutcome::Completed {
                    self.verified_on = Some(channel);
                }
            }
            Report::Ending(ending) => self.ending = Some(ending),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(report: Report, at: i64) -> StatusReport {
        StatusReport {
            provider_id: ProviderRequestId::parse("c11236f4-00bf-4b89-84ba-88b25df97315").unwrap(),
            request_id: RequestId::generate(),
            report,
            at: OffsetDateTime::from_unix_timestamp(at).unwrap(),
        }
    }

    #[test]
    fn a_repeat_has_the_same_key_and_another_event_another() {
        let sent = Report::Step { channel: Channel::WhatsApp, outcome: StepOutcome::Failed };
        assert_eq!(report(sent, 10).key(), report(sent, 10).key());
        assert_ne!(report(sent, 10).key(), report(sent, 11).key());
        let sms = Report::Step { channel: Channel::Sms, outcome: StepOutcome::Failed };
        assert_ne!(report(sent, 10).key(), report(sms, 10).key());
        assert_ne!(report(Report::Ending(Ending::Failed), 10).key(), report(sent, 10).key());
        for o in StepOutcome::ALL {
            assert_eq!(StepOutcome::from_name(o.as_str()), Some(o));
        }
        for e in Ending::ALL {
            assert_eq!(Ending::from_name(e.as_str()), Some(e));
        }
        assert_eq!(StepOutcome::from_name("delivered"), None);
    }
}
