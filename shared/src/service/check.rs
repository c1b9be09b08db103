//! Checking a code: one attempt counted, the provider's judgement (a test number's code is
//! compared here instead: [`super::test_numbers`]), the record settled, and what a check does when
//! another check of the same record settles it first.

use time::OffsetDateTime;

use crate::clock::Clock;
use crate::domain::channel::Channel;
use crate::domain::flow_id::FlowId;
use crate::domain::otp_code::OtpCode;
use crate::domain::request_id::RequestId;
use crate::domain::verification::{AttemptDenied, Finish, Verification, VerificationStatus};
use crate::domain::write_id::WriteId;
use crate::ports::{AttemptError, CheckOutcome, ProviderError, Providers, StoreError, VerificationStore};
use crate::telemetry::Event;

use super::{VerificationService, events};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub phone_e164: String,
    pub verified_at: OffsetDateTime,
    pub channel: Channel,
    /// The sign-in the code was asked for in, if any.
    pub flow: Option<FlowId>,
    /// A test number's: its configured code was entered, and nothing was ever sent to it.
    pub test: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckCodeError {
    #[error("the code is wrong")]
    IncorrectCode { attempts_remaining: u32 },
    #[error("check refused: {0:?}")]
    Denied(AttemptDenied),
    #[error(transparent)]
    Provider(ProviderError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl<P, S, C> VerificationService<P, S, C>
where
    P: Providers,
    S: VerificationStore,
    C: Clock,
{
    /// Checks `code` against the verification `request_id`, spending one attempt.
    pub async fn check_code(&self, request_id: &RequestId, code: &OtpCode) -> Result<Verified, CheckCodeError> {
        self.check_code_in(request_id, code, None).await
    }

    /// The same, in the sign-in `flow` when there is one: a code asked for in another (or in
    /// none) is refused before an attempt is spent ([`AttemptDenied::OtherFlow`]), so that it
    /// still ends its own sign-in.
    pub async fn check_code_in(
        &self,
        request_id: &RequestId,
        code: &OtpCode,
        flow: Option<&FlowId>,
    ) -> Result<Verified, CheckCodeError> {
        let now = self.clock.now();
        let attempt = WriteId::generate();
        let verification = self.count_attempt(request_id, &attempt, flow, now).await?;
        let outcome = self.judge(request_id, &attempt, &verification, code).await?;
        self.settle(request_id, &attempt, verification, outcome, now).await
    }

    /// One attempt counted on the record, or why none may be.
    async fn count_attempt(
        &self,
        request_id: &RequestId,
        attempt: &WriteId,
        flow: Option<&FlowId>,
        now: OffsetDateTime,
    ) -> Result<Verification, CheckCodeError> {
        match self.store.begin_attempt(request_id, attempt, flow, now).await {
            Ok(verification) => Ok(verification),
            Err(AttemptError::Denied(denied)) => {
                events::CheckRefused { request_id, denied }.emit();
                Err(CheckCodeError::Denied(denied))
            }
            Err(AttemptError::Store(e)) => Err(e.into()),
        }
    }

    /// The provider's judgement of `code`. An attempt the provider never judged (it failed or
    /// did not answer) is given back.
    async fn judge(
        &self,
        request_id: &RequestId,
        attempt: &WriteId,
        verification: &Verification,
        code: &OtpCode,
    ) -> Result<CheckOutcome, CheckCodeError> {
        if verification.provider_id.is_test() {
            return self.judge_test(request_id, attempt, verification, code).await;
        }
        let outcome = match self.provider.check(request_id, &verification.provider_id, code).await {
            Ok(outcome) => outcome,
            Err(e) => {
                if let Err(error) = self.store.refund_attempt(request_id, attempt).await {
                    let step = "give back an unjudged attempt";
                    events::StoreStepFailed { step, request_id, error: &error }.emit();
                }
                return Err(CheckCodeError::Provider(e));
            }
        };
        let country = verification.tally.as_ref().map(|t| t.country.as_str());
        events::CodeChecked { request_id, outcome, attempt: verification.attempts, country }.emit();
        Ok(outcome)
    }

    /// The record settled as the provider judged the code, and what the person is told.
    async fn settle(
        &self,
        request_id: &RequestId,
        attempt: &WriteId,
        verification: Verification,
        outcome: CheckOutcome,
        now: OffsetDateTime,
    ) -> Result<Verified, CheckCodeError> {
        match outcome {
            CheckOutcome::Verified => {
                let finish =
                    self.store.finish(request_id, Finish::Verified { at: now }, attempt, verification.tally.as_ref());
                if finish.await? {
                    let test = verification.provider_id.is_test();
                    if test {
                        events::TestVerified.emit()
                    } else {
                        events::CodeVerified {
                            via: self.provider.holder(&verification.provider_id),
                            channel: verification.channel,
                        }
                        .emit()
                    }
                    Ok(Verified {
                        phone_e164: verification.phone_e164,
                        verified_at: now,
                        channel: verification.channel,
                        flow: verification.flow,
                        test,
                    })
                } else {
                    Err(self.settled_refusal(request_id, now).await)
                }
            }
            CheckOutcome::WrongCode => match verification.max_attempts.saturating_sub(verification.attempts) {
                0 => Err(CheckCodeError::Denied(AttemptDenied::TooManyAttempts)),
                attempts_remaining => Err(CheckCodeError::IncorrectCode { attempts_remaining }),
            },
            // Vonage answers an ended verification alike whether wrong codes or expiry ended it.
            // Its code outlives ours (it started after `now`), so before our expiry it means
            // wrong codes: concurrent checks may have reached it in another order than ours.
            CheckOutcome::Terminated if self.clock.now() >= verification.expires_at => {
                self.store.finish(request_id, Finish::Expired, attempt, None).await?;
                events::CodeExpired.emit();
                Err(CheckCodeError::Denied(AttemptDenied::Expired))
            }
            CheckOutcome::Terminated => {
                self.store.finish(request_id, Finish::Locked, attempt, None).await?;
                Err(CheckCodeError::Denied(AttemptDenied::TooManyAttempts))
            }
            CheckOutcome::Gone => Err(self.gone(request_id, attempt, verification.expires_at, now).await),
        }
    }

    /// The provider no longer knows a verification this record holds open. Past our expiry that
    /// is its end. Before it, a newer code replaced it, or another check of this record used the
    /// code a moment ago (the provider answers the second of two checks "gone"): then that check
    /// settles the record, and this one answers what it settled, not "expired".
    async fn gone(
        &self,
        request_id: &RequestId,
        attempt: &WriteId,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> CheckCodeError {
        if self.clock.now() < expires_at {
            match self.other_attempt(request_id, now).await {
                Ok(OtherAttempt::None) => {}
                Ok(OtherAttempt::Settled(denied)) => return CheckCodeError::Denied(denied),
                Ok(OtherAttempt::Open) => {
                    // Left pending for the other check, should it still settle it.
                    events::CheckLeftOpen { request_id }.emit();
                    return CheckCodeError::Denied(AttemptDenied::Expired);
                }
                Err(e) => return e.into(),
            }
        }
        match self.store.finish(request_id, Finish::Expired, attempt, None).await {
            Ok(true) => {
                events::CodeExpired.emit();
                CheckCodeError::Denied(AttemptDenied::Expired)
            }
            Ok(false) => self.settled_refusal(request_id, now).await,
            Err(e) => e.into(),
        }
    }

    /// Waits, up to the settle wait, for another attempt counted on the record to settle it.
    async fn other_attempt(&self, request_id: &RequestId, now: OffsetDateTime) -> Result<OtherAttempt, StoreError> {
        let deadline = tokio::time::Instant::now() + self.settle_wait;
        let mut pause = std::time::Duration::from_millis(10);
        loop {
            let record = self.store.get(request_id, now).await?;
            let Some(record) = record.as_ref().filter(|r| r.status == VerificationStatus::Pending) else {
                return Ok(OtherAttempt::Settled(settled_as(record.as_ref(), now)));
            };
            if record.attempts <= 1 {
                return Ok(OtherAttempt::None);
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return Ok(OtherAttempt::Open);
            }
            tokio::time::sleep(pause.min(left)).await;
            pause = (pause * 2).min(std::time::Duration::from_millis(200));
        }
    }

    /// Another check settled the verification while this one was at the provider: say how.
    async fn settled_refusal(&self, request_id: &RequestId, now: OffsetDateTime) -> CheckCodeError {
        match self.store.get(request_id, now).await {
            Ok(record) => CheckCodeError::Denied(settled_as(record.as_ref(), now)),
            Err(e) => e.into(),
        }
    }
}

/// How a check of a settled record (or of none) is refused.
fn settled_as(record: Option<&Verification>, now: OffsetDateTime) -> AttemptDenied {
    record.map_or(AttemptDenied::NotFound, |v| v.check_refusal(now).unwrap_or(AttemptDenied::Expired))
}

/// Whether a check other than this one may still settle a record.
enum OtherAttempt {
    /// None was counted: this check is the only one.
    None,
    /// One settled it, and a check now would be refused so.
    Settled(AttemptDenied),
    /// One was counted and has not settled it within the wait.
    Open,
}
