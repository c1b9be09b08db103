//! What the service tells the operator, one type a kind: each `emit` writes the event's log
//! line and records its metrics (docs/operate/operations.md lists both). A log line carries a
//! request id, a masked number or a country: never a code or a whole number.

use tracing::{info, warn};

use crate::domain::channel::Channel;
use crate::domain::phone::PhoneNumber;
use crate::domain::price::MicroUsd;
use crate::domain::provider::ProviderName;
use crate::domain::request_id::RequestId;
use crate::domain::rule::Rule;
use crate::domain::status_report::{Report, StatusReport, StepOutcome};
use crate::domain::verification::AttemptDenied;
use crate::ports::{CheckOutcome, ProviderError, Recorded, ReserveError, StoreError};
use crate::telemetry::metrics::{self, Metric};
use crate::telemetry::{Event, error_chain};

/// A code went out, or a call took over the code of a send counted before (`priced: None`).
pub(super) struct CodeSent<'a> {
    pub request_id: &'a RequestId,
    pub phone: &'a PhoneNumber,
    pub channel: Channel,
    /// What this send was priced at, when it counts as a send of its own.
    pub priced: Option<MicroUsd>,
    /// The provider it went through, and whether that is another than the country's first.
    pub via: ProviderName,
    pub fallback: bool,
}

impl Event for CodeSent<'_> {
    fn emit(self) {
        let via = self.via.as_str();
        info!(request_id = %self.request_id, phone = %self.phone, channel = self.channel.as_str(), provider = via, fallback = self.fallback, "code sent");
        metrics::country(self.phone.region());
        metrics::by_provider(via, Metric::ProviderSends, 1.0);
        if self.fallback {
            metrics::by_provider(via, Metric::SentByFallback, 1.0);
        }
        if self.channel == Channel::Voice {
            metrics::record(Metric::CodesCalled, 1.0);
        }
        if let Some(price) = self.priced {
            metrics::by_channel(self.channel.as_str(), Metric::SentByChannel, 1.0);
            metrics::record(Metric::CodesSent, 1.0);
            metrics::record(Metric::UnverifiedCodes, 1.0);
            metrics::record(Metric::EstimatedSpend, price.dollars());
        }
    }
}

/// A rule refused a code request: nothing was sent.
pub(super) struct CodeRefused<'a> {
    pub rule: Rule,
    pub country: &'a str,
}

impl Event for CodeRefused<'_> {
    fn emit(self) {
        info!(rule = self.rule.name(), country = self.country, "code request refused");
        metrics::country(self.country);
        metrics::refused(self.rule.name());
    }
}

/// A check was refused before the provider saw the code.
pub(super) struct CheckRefused<'a> {
    pub request_id: &'a RequestId,
    pub denied: AttemptDenied,
}

impl Event for CheckRefused<'_> {
    fn emit(self) {
        info!(request_id = %self.request_id, denied = ?self.denied, "check refused");
        if self.denied == AttemptDenied::Expired {
            metrics::record(Metric::CodesExpired, 1.0);
        }
    }
}

/// The provider judged a code (the `attempt`th on the record).
pub(super) struct CodeChecked<'a> {
    pub request_id: &'a RequestId,
    pub outcome: CheckOutcome,
    pub attempt: u32,
    /// The country of the send it checks, where the record holds its counts.
    pub country: Option<&'a str>,
}

impl Event for CodeChecked<'_> {
    fn emit(self) {
        info!(request_id = %self.request_id, outcome = ?self.outcome, attempt = self.attempt, "code checked");
        if let Some(country) = self.country {
            metrics::country(country);
        }
    }
}

/// A code was entered right, and its verification settled by this check; `via` carried it.
pub(super) struct CodeVerified {
    pub via: ProviderName,
    /// The channel of the send's first step.
    pub channel: Channel,
}

impl Event for CodeVerified {
    fn emit(self) {
        metrics::record(Metric::CodesVerified, 1.0);
        metrics::record(Metric::UnverifiedCodes, -1.0);
        metrics::by_provider(self.via.as_str(), Metric::VerifiedByProvider, 1.0);
        metrics::by_channel(self.channel.as_str(), Metric::VerifiedByChannel, 1.0);
    }
}

/// A provider failed as a provider does, and the code goes to the next one (the failure is
/// counted as the provider alarm counts any).
pub(super) struct FailedOver<'a> {
    pub request_id: &'a RequestId,
    pub from: ProviderName,
    pub to: ProviderName,
    pub error: &'a ProviderError,
    /// What the failed send stays counted at, where it did not answer (its code may have gone).
    pub priced: Option<MicroUsd>,
}

impl Event for FailedOver<'_> {
    fn emit(self) {
        let timed_out = self.error.may_have_sent();
        metrics::record(if timed_out { Metric::ProviderTimeouts } else { Metric::ProviderErrors }, 1.0);
        if let Some(price) = self.priced {
            metrics::record(Metric::UnverifiedCodes, 1.0);
            metrics::record(Metric::EstimatedSpend, price.dollars());
        }
        warn!(request_id = %self.request_id, from = self.from.as_str(), to = self.to.as_str(), error = %error_chain(self.error), "provider failed; the code goes to the next");
    }
}

/// The second send of a request whose first provider did not answer was refused (a rule, or
/// the store): the request ends with the first's failure.
pub(super) struct SecondSendRefused<'a> {
    pub request_id: &'a RequestId,
    pub error: &'a ReserveError,
}

impl Event for SecondSendRefused<'_> {
    fn emit(self) {
        info!(request_id = %self.request_id, error = %error_chain(self.error), "a second send after no answer was refused");
    }
}

/// Ending a verification a resend replaced through another provider failed.
pub(super) struct CancelFailed<'a> {
    pub request_id: &'a RequestId,
    pub error: &'a ProviderError,
}

impl Event for CancelFailed<'_> {
    fn emit(self) {
        warn!(request_id = %self.request_id, error = %error_chain(self.error), "could not end the verification a resend replaced");
    }
}

/// A code was asked for a test number: nothing went out, and no send count took it.
pub(super) struct TestCodeAsked<'a> {
    pub request_id: &'a RequestId,
}

impl Event for TestCodeAsked<'_> {
    fn emit(self) {
        info!(request_id = %self.request_id, "code asked for a test number: nothing sent");
        metrics::record(Metric::TestCodes, 1.0);
    }
}

/// A code entered for a test number was compared with its configured one.
pub(super) struct TestCodeChecked<'a> {
    pub request_id: &'a RequestId,
    pub outcome: CheckOutcome,
    pub attempt: u32,
}

impl Event for TestCodeChecked<'_> {
    fn emit(self) {
        info!(request_id = %self.request_id, outcome = ?self.outcome, attempt = self.attempt, "test number's code checked");
    }
}

/// A test number's wrong codes of the day are spent: no code for it is compared until the day ends.
pub(super) struct TestGuessesSpent<'a> {
    pub request_id: &'a RequestId,
}

impl Event for TestGuessesSpent<'_> {
    fn emit(self) {
        warn!(request_id = %self.request_id, "a test number's wrong codes of the day are spent");
    }
}

/// A test number was verified (counted apart from real numbers).
pub(super) struct TestVerified;

impl Event for TestVerified {
    fn emit(self) {
        metrics::record(Metric::TestVerifications, 1.0);
    }
}

/// A verification ended unverified because its code's time ran out.
pub(super) struct CodeExpired;

impl Event for CodeExpired {
    fn emit(self) {
        metrics::record(Metric::CodesExpired, 1.0);
    }
}

/// A check the provider answered "gone" found another check of the record still open after the
/// settle wait, and left the record to it.
pub(super) struct CheckLeftOpen<'a> {
    pub request_id: &'a RequestId,
}

impl Event for CheckLeftOpen<'_> {
    fn emit(self) {
        info!(request_id = %self.request_id, "another check is still open; answered as expired");
    }
}

/// A store call whose failure the request survives (a give-back, a read for the counts): the
/// answer stands, and the store's TTLs or the next write make up for it.
pub(super) struct StoreStepFailed<'a> {
    /// The step that could not be done, a fixed phrase ("give back an unjudged attempt").
    pub step: &'static str,
    pub request_id: &'a RequestId,
    pub error: &'a StoreError,
}

impl Event for StoreStepFailed<'_> {
    fn emit(self) {
        warn!(request_id = %self.request_id, step = self.step, error = %error_chain(self.error), "a store step failed; the answer stands");
    }
}

/// A provider's status report, authenticated and applied to the verification it names (`None`
/// where it was a repeat, or of a verification this deployment does not keep: nothing changed).
pub(super) struct StatusReported<'a> {
    pub report: &'a StatusReport,
    pub recorded: &'a Recorded,
}

impl Event for StatusReported<'_> {
    fn emit(self) {
        let (kind, channel, status) = match self.report.report {
            Report::Step { channel, outcome } => ("event", Some(channel), outcome.as_str()),
            Report::Ending(ending) => ("summary", None, ending.as_str()),
        };
        let request_id = &self.report.request_id;
        let Recorded::Applied(verification) = self.recorded else {
            let outcome = if *self.recorded == Recorded::Repeated { "repeated" } else { "unknown verification" };
            info!(request_id = %request_id, kind, channel = channel.map(Channel::as_str), status, outcome, "status report not applied");
            return;
        };
        info!(request_id = %request_id, kind, channel = channel.map(Channel::as_str), status, "status report applied");
        let Some(channel) = channel else { return };
        if let Some(tally) = &verification.tally {
            metrics::country(&tally.country);
        }
        match self.report.report {
            Report::Step { outcome: StepOutcome::Completed, .. } => {
                metrics::by_channel(channel.as_str(), Metric::VerifiedOnChannel, 1.0);
                let seconds = (self.report.at - verification.created_at).as_seconds_f64().max(0.0);
                metrics::by_channel(channel.as_str(), Metric::SecondsToVerify, seconds);
            }
            Report::Step { outcome: StepOutcome::Failed | StepOutcome::Rejected | StepOutcome::Blocked, .. } => {
                metrics::by_channel(channel.as_str(), Metric::StepFailures, 1.0);
            }
            _ => {}
        }
    }
}
