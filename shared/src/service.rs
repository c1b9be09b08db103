//! The verification rules, over the provider, store and clock ports.

use time::{Duration, OffsetDateTime};
use tracing::{info, warn};

use crate::clock::Clock;
use crate::otp_code::OtpCode;
use crate::phone::PhoneNumber;
use crate::ports::{
    AttemptDenied, AttemptError, CancelOutcome, CheckOutcome, Finish, NextStepOutcome, ProviderError,
    ProviderRequestId, ReserveError, SendDenied, SendReservation, StartOutcome, StoreError, Verification,
    VerificationProvider, VerificationStatus, VerificationStore,
};
use crate::request_id::RequestId;
use crate::subject_key::SubjectHasher;

/// How long to ask a client to wait when the provider still holds an earlier verification for
/// the number that it will not cancel yet (Vonage refuses cancels in a verification's first 30 s).
pub const PROVIDER_CANCEL_WAIT_SECONDS: u64 = 30;

/// The limits, all set by environment (see [`crate::config`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub code_length: u8,
    pub ttl_seconds: u32,
    pub max_attempts: u32,
    pub resend_cooldown_seconds: u32,
    pub max_sends_per_number_per_hour: u32,
    pub max_sends_per_ip_per_hour: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSent {
    pub request_id: RequestId,
    pub phone: PhoneNumber,
    pub expires_at: OffsetDateTime,
    pub resend_available_at: OffsetDateTime,
    pub code_length: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub phone_e164: String,
    pub verified_at: OffsetDateTime,
}

#[derive(Debug, thiserror::Error)]
pub enum RequestCodeError {
    #[error("a code was sent to this number moments ago")]
    ResendTooSoon { retry_after_seconds: u64 },
    #[error("too many codes requested")]
    RateLimited { retry_after_seconds: u64 },
    #[error(transparent)]
    Provider(ProviderError),
    #[error(transparent)]
    Store(#[from] StoreError),
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

pub struct VerificationService<P, S, C> {
    provider: P,
    store: S,
    clock: C,
    hasher: SubjectHasher,
    policy: Policy,
}

impl<P, S, C> VerificationService<P, S, C>
where
    P: VerificationProvider,
    S: VerificationStore,
    C: Clock,
{
    pub fn new(provider: P, store: S, clock: C, hasher: SubjectHasher, policy: Policy) -> Self {
        Self { provider, store, clock, hasher, policy }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// Sends a code to `phone`, unless its cooldown or an hourly cap says no. `client_ip` is the
    /// address API Gateway saw, never one a client claims.
    pub async fn request_code(&self, phone: PhoneNumber, client_ip: &str) -> Result<CodeSent, RequestCodeError> {
        let now = self.clock.now();
        let hour = now.unix_timestamp().div_euclid(3600) * 3600;
        let reservation = SendReservation {
            phone: self.hasher.phone(&phone),
            ip: self.hasher.ip(client_ip),
            now,
            cooldown_until: now + seconds(self.policy.resend_cooldown_seconds),
            window_start: OffsetDateTime::from_unix_timestamp(hour).expect("an hour boundary near now is in range"),
            max_per_number: self.policy.max_sends_per_number_per_hour,
            max_per_ip: self.policy.max_sends_per_ip_per_hour,
        };
        match self.store.reserve_send(&reservation).await {
            Ok(()) => {}
            Err(ReserveError::Denied(denied)) => {
                info!(phone = %phone, ?denied, "code request refused");
                return Err(match denied {
                    SendDenied::Cooldown { until } => {
                        RequestCodeError::ResendTooSoon { retry_after_seconds: seconds_until(now, until) }
                    }
                    SendDenied::RateLimited { until } => {
                        RequestCodeError::RateLimited { retry_after_seconds: seconds_until(now, until) }
                    }
                });
            }
            Err(ReserveError::Store(e)) => return Err(e.into()),
        }

        let request_id = RequestId::generate();
        let provider_id = match self.send(&phone, &request_id).await {
            Ok(id) => id,
            Err(e) => {
                if let Err(release) = self.store.release_send(&reservation).await {
                    warn!(error = %release, "could not end the cooldown of a failed send");
                }
                return Err(e);
            }
        };

        let expires_at = now + seconds(self.policy.ttl_seconds);
        let verification = Verification {
            id: request_id.clone(),
            provider_id,
            phone_e164: phone.e164().to_owned(),
            created_at: now,
            expires_at,
            attempts: 0,
            max_attempts: self.policy.max_attempts,
            status: VerificationStatus::Pending,
        };
        self.store.create(&verification).await?;
        info!(request_id = %request_id, phone = %phone, "code sent");
        Ok(CodeSent {
            request_id,
            phone,
            expires_at,
            resend_available_at: reservation.cooldown_until,
            code_length: self.policy.code_length,
        })
    }

    /// Starts a provider verification. Vonage allows one per number at a time, so an earlier one
    /// still in flight (a resend, or a verification this store no longer knows) is cancelled and
    /// replaced, or, where it cannot be cancelled yet, moved on to its next step.
    async fn send(&self, phone: &PhoneNumber, request_id: &RequestId) -> Result<ProviderRequestId, RequestCodeError> {
        let in_flight = match self.provider.start(phone, request_id).await.map_err(RequestCodeError::Provider)? {
            StartOutcome::Started(id) => return Ok(id),
            StartOutcome::Concurrent(Some(id)) => id,
            StartOutcome::Concurrent(None) => return Err(provider_busy()),
        };
        let restart = match self.provider.cancel(&in_flight).await.map_err(RequestCodeError::Provider)? {
            CancelOutcome::Cancelled | CancelOutcome::Gone => true,
            CancelOutcome::NotNow => {
                match self.provider.next_step(&in_flight).await.map_err(RequestCodeError::Provider)? {
                    NextStepOutcome::Triggered => return Ok(in_flight),
                    NextStepOutcome::Gone => true,
                    NextStepOutcome::NoMoreSteps => false,
                }
            }
        };
        if restart
            && let StartOutcome::Started(id) =
                self.provider.start(phone, request_id).await.map_err(RequestCodeError::Provider)?
        {
            return Ok(id);
        }
        Err(provider_busy())
    }

    /// Checks `code` against the verification `request_id`, spending one attempt.
    pub async fn check_code(&self, request_id: &RequestId, code: &OtpCode) -> Result<Verified, CheckCodeError> {
        let now = self.clock.now();
        let verification = match self.store.begin_attempt(request_id, now).await {
            Ok(v) => v,
            Err(AttemptError::Denied(denied)) => {
                info!(request_id = %request_id, ?denied, "check refused");
                return Err(CheckCodeError::Denied(denied));
            }
            Err(AttemptError::Store(e)) => return Err(e.into()),
        };

        let outcome = match self.provider.check(&verification.provider_id, code).await {
            Ok(outcome) => outcome,
            Err(e) => {
                if let Err(refund) = self.store.refund_attempt(request_id).await {
                    warn!(request_id = %request_id, error = %refund, "could not give back an unjudged attempt");
                }
                return Err(CheckCodeError::Provider(e));
            }
        };
        info!(request_id = %request_id, ?outcome, attempt = verification.attempts, "code checked");
        match outcome {
            CheckOutcome::Verified => {
                if self.store.finish(request_id, Finish::Verified { at: now }).await? {
                    Ok(Verified { phone_e164: verification.phone_e164, verified_at: now })
                } else {
                    Err(self.settled_refusal(request_id, now).await)
                }
            }
            CheckOutcome::WrongCode => match verification.max_attempts.saturating_sub(verification.attempts) {
                0 => Err(CheckCodeError::Denied(AttemptDenied::TooManyAttempts)),
                attempts_remaining => Err(CheckCodeError::IncorrectCode { attempts_remaining }),
            },
            CheckOutcome::Terminated => {
                self.store.finish(request_id, Finish::Locked).await?;
                Err(CheckCodeError::Denied(AttemptDenied::TooManyAttempts))
            }
            CheckOutcome::Gone => {
                if self.store.finish(request_id, Finish::Expired).await? {
                    Err(CheckCodeError::Denied(AttemptDenied::Expired))
                } else {
                    Err(self.settled_refusal(request_id, now).await)
                }
            }
        }
    }

    /// Another check settled the verification while this one was at the provider: say how.
    async fn settled_refusal(&self, request_id: &RequestId, now: OffsetDateTime) -> CheckCodeError {
        match self.store.get(request_id, now).await {
            Ok(Some(v)) => CheckCodeError::Denied(v.check_refusal(now).unwrap_or(AttemptDenied::Expired)),
            Ok(None) => CheckCodeError::Denied(AttemptDenied::NotFound),
            Err(e) => e.into(),
        }
    }
}

fn provider_busy() -> RequestCodeError {
    RequestCodeError::ResendTooSoon { retry_after_seconds: PROVIDER_CANCEL_WAIT_SECONDS }
}

fn seconds(n: u32) -> Duration {
    Duration::seconds(i64::from(n))
}

/// Whole seconds from `now` until `until`, rounded up, at least 1 (a `Retry-After: 0` invites a
/// retry that would be refused again).
fn seconds_until(now: OffsetDateTime, until: OffsetDateTime) -> u64 {
    let nanos = u128::try_from((until - now).whole_nanoseconds()).unwrap_or(0);
    u64::try_from(nanos.div_ceil(1_000_000_000)).unwrap_or(u64::MAX).max(1)
}
