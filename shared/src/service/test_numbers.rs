//! Test numbers ([`crate::domain::test_numbers`]): a code asked for one, which nothing sends and
//! no budget pays, and a code entered for one, compared with its configured code here rather
//! than at the provider, within the number's guesses of the day.

use time::OffsetDateTime;

use crate::clock::Clock;
use crate::domain::channel::{Channel, Channels};
use crate::domain::flow_id::FlowId;
use crate::domain::limits::{day_number, end_of_day};
use crate::domain::otp_code::OtpCode;
use crate::domain::phone::PhoneNumber;
use crate::domain::request_id::RequestId;
use crate::domain::rule::{Refusal, Rule};
use crate::domain::test_numbers::GUESSES_PER_DAY;
use crate::domain::verification::{AttemptDenied, Finish, ProviderRequestId, Verification, VerificationStatus};
use crate::domain::write_id::WriteId;
use crate::ports::{CheckOutcome, Providers, ReserveError, StoreError, TestGuess, VerificationStore};
use crate::telemetry::Event;

use super::{CheckCodeError, CodeSent, RequestCodeError, VerificationService, events, seconds};

impl<P, S, C> VerificationService<P, S, C>
where
    P: Providers,
    S: VerificationStore,
    C: Clock,
{
    /// A code asked for a test number: nothing is sent, no provider is called, and no number,
    /// range, country or spend count takes it (so no resend gap is kept either); the client's
    /// hourly cap counts it as any send, and a number whose wrong codes of the day are spent
    /// gets none until the day ends.
    pub(super) async fn request_test_code(
        &self,
        phone: PhoneNumber,
        client_ip: &str,
        channel: Channel,
        channels: Channels,
        flow: Option<FlowId>,
        now: OffsetDateTime,
    ) -> Result<CodeSent, RequestCodeError> {
        let subjects = self.subjects(&phone, client_ip, now);
        let standing = self.store.standing(&subjects).await?;
        let room = self.client_room(&subjects, &standing, now).map_err(|r| self.refused(r, &phone, now))?;
        let id = WriteId::generate();
        let (number, day) = (&subjects.tally.number, subjects.tally.day);
        if !self.store.count_test_guess(number, day, TestGuess::Ask, GUESSES_PER_DAY, &id).await? {
            return Err(self.refused(Refusal::until(Rule::TestGuesses, end_of_day(day)), &phone, now));
        }
        match self.store.count_client_send(&subjects, room, &id).await {
            Ok(()) => {}
            Err(ReserveError::Refused(refusal)) => return Err(self.refused(refusal, &phone, now)),
            Err(ReserveError::Changed) => {
                return Err(StoreError::Unavailable("the client's count changed".into()).into());
            }
            Err(ReserveError::Store(e)) => return Err(e.into()),
        }
        let request_id = RequestId::generate();
        let expires_at = now + seconds(self.policy.ttl_seconds);
        let verification = Verification {
            id: request_id.clone(),
            provider_id: ProviderRequestId::test(),
            phone_e164: phone.e164().to_owned(),
            channel,
            created_at: now,
            expires_at,
            attempts: 0,
            max_attempts: self.policy.max_attempts,
            status: VerificationStatus::Pending,
            // No count took it, so none is credited when it is entered.
            tally: None,
            flow,
        };
        self.store.create(&verification).await?;
        events::TestCodeAsked { request_id: &request_id }.emit();
        Ok(CodeSent {
            request_id,
            phone,
            expires_at,
            // No gap is kept: a test suite asks again at once.
            resend_available_at: now,
            code_length: self.policy.code_length,
            channel,
            channels,
            call_available: channel != Channel::Voice && channels.contains(Channel::Voice),
            test: true,
        })
    }

    /// A test number's code, compared with its configured one, no provider asked. A guess is
    /// taken from the number's day before the comparison and given back when the code is right,
    /// so wrong codes stay within [`GUESSES_PER_DAY`] however many verifications
    /// are opened for it. A number no longer configured as a test number has no code: gone.
    pub(super) async fn judge_test(
        &self,
        request_id: &RequestId,
        attempt: &WriteId,
        verification: &Verification,
        code: &OtpCode,
    ) -> Result<CheckOutcome, CheckCodeError> {
        let e164 = verification.phone_e164.as_str();
        if !self.policy.test_numbers.holds(e164) {
            // No longer a test number: its code is void, and no other check can settle it.
            self.store.finish(request_id, Finish::Expired, attempt, None).await?;
            return Err(CheckCodeError::Denied(AttemptDenied::Expired));
        }
        let (number, day) = (self.hasher.phone_e164(e164), day_number(self.clock.now()));
        let took = self.store.count_test_guess(&number, day, TestGuess::Take, GUESSES_PER_DAY, attempt).await;
        match took {
            Ok(true) => {}
            // The day's guesses are spent: this code ends here, as a code whose attempts are spent.
            Ok(false) => {
                events::TestGuessesSpent { request_id }.emit();
                self.store.finish(request_id, Finish::Locked, attempt, None).await?;
                return Err(CheckCodeError::Denied(AttemptDenied::TooManyAttempts));
            }
            Err(e) => {
                if let Err(error) = self.store.refund_attempt(request_id, attempt).await {
                    let step = "give back the attempt of a test number's unjudged code";
                    events::StoreStepFailed { step, request_id, error: &error }.emit();
                }
                return Err(e.into());
            }
        }
        let outcome = if self.policy.test_numbers.accepts(e164, code) {
            if let Err(error) =
                self.store.count_test_guess(&number, day, TestGuess::GiveBack, GUESSES_PER_DAY, attempt).await
            {
                let step = "give back a test number's guess of a right code";
                events::StoreStepFailed { step, request_id, error: &error }.emit();
            }
            CheckOutcome::Verified
        } else {
            CheckOutcome::WrongCode
        };
        events::TestCodeChecked { request_id, outcome, attempt: verification.attempts }.emit();
        Ok(outcome)
    }
}
