//! Vonage's one verification per number in flight: a new code for a number that has one (a
//! resend, "call me instead", or a verification this store no longer knows) cancels it and
//! starts again, or, where it cannot be cancelled yet, moves it on to its next step (its call).
//! With automatic calls, a call asked for first moves it on, and is a new call only where that
//! is over. The service sees only what came of it ([`StartOutcome`]).

use std::future::Future;

use crate::domain::channel::{Channel, Delivery, VoiceCalls};
use crate::domain::phone::PhoneNumber;
use crate::domain::request_id::RequestId;
use crate::domain::verification::ProviderRequestId;
use crate::ports::{ProviderError, StartOutcome};

/// Both APIs refuse to cancel a verification in its first 30 seconds: a new code for the same
/// number waits that long when the one in flight cannot be moved on either.
pub(super) const CANCEL_HOLD_SECONDS: u64 = 30;

/// What one start request answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begun {
    Started(ProviderRequestId),
    /// The number has a verification in flight: this one (when Vonage said which).
    Concurrent(Option<ProviderRequestId>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOutcome {
    Cancelled,
    Gone,
    /// Vonage refuses to cancel yet (not in the first 30 s, not after step one).
    NotNow,
}

/// What asking for a verification's next step (its call) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStepOutcome {
    Triggered,
    NoMoreSteps,
    Gone,
}

/// The three calls the rule is played with: Vonage's (the client, by the API its settings
/// name), and a scripted one in the tests.
pub trait OneAtATime: Sync {
    fn begin(
        &self,
        to: &PhoneNumber,
        client_ref: &RequestId,
        how: Delivery,
    ) -> impl Future<Output = Result<Begun, ProviderError>> + Send;
    fn cancel(&self, id: &ProviderRequestId) -> impl Future<Output = Result<CancelOutcome, ProviderError>> + Send;
    fn next_step(&self, id: &ProviderRequestId) -> impl Future<Output = Result<NextStepOutcome, ProviderError>> + Send;
}

/// Starts a verification of `to` by `how`, replacing or moving on the one in flight.
pub(super) async fn start<A: OneAtATime>(
    api: &A,
    to: &PhoneNumber,
    client_ref: &RequestId,
    how: Delivery,
    voice: VoiceCalls,
) -> Result<StartOutcome, ProviderError> {
    match api.begin(to, client_ref, how).await? {
        Begun::Started(id) => Ok(StartOutcome::Started(id)),
        // Boxed: a debug build's frame of every send would otherwise hold the three further
        // requests of this rarer path (otp-local and the tests run debug builds).
        Begun::Concurrent(Some(in_flight)) => Box::pin(replace(api, to, client_ref, how, voice, in_flight)).await,
        Begun::Concurrent(None) => Ok(BUSY),
    }
}

/// What a number whose verification in flight can be neither replaced nor moved on is told.
const BUSY: StartOutcome = StartOutcome::Busy { retry_after_seconds: CANCEL_HOLD_SECONDS };

/// Moves `in_flight` on to its call, or cancels it and starts again.
async fn replace<A: OneAtATime>(
    api: &A,
    to: &PhoneNumber,
    client_ref: &RequestId,
    how: Delivery,
    voice: VoiceCalls,
    in_flight: ProviderRequestId,
) -> Result<StartOutcome, ProviderError> {
    let moved_on = Ok(StartOutcome::MovedOn(in_flight.clone()));
    // With automatic calls the one in flight has its call still to come: a call asked for
    // takes it now. Otherwise it has no next step: it is replaced, like any resend.
    let restart = if how.channel() == Channel::Voice && voice == VoiceCalls::Automatic {
        match api.next_step(&in_flight).await? {
            NextStepOutcome::Triggered => return moved_on,
            NextStepOutcome::Gone => true,
            NextStepOutcome::NoMoreSteps => {
                matches!(api.cancel(&in_flight).await?, CancelOutcome::Cancelled | CancelOutcome::Gone)
            }
        }
    } else {
        match api.cancel(&in_flight).await? {
            CancelOutcome::Cancelled | CancelOutcome::Gone => true,
            CancelOutcome::NotNow => match api.next_step(&in_flight).await? {
                NextStepOutcome::Triggered => return moved_on,
                NextStepOutcome::Gone => true,
                NextStepOutcome::NoMoreSteps => false,
            },
        }
    };
    if restart && let Begun::Started(id) = api.begin(to, client_ref, how).await? {
        return Ok(StartOutcome::Started(id));
    }
    Ok(BUSY)
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::Mutex;

    use super::*;
    use crate::domain::phone::CountryAllowList;

    /// Answers from queues (then: started, cancelled, triggered) and logs each call.
    #[derive(Default)]
    struct Scripted {
        begins: Mutex<VecDeque<Begun>>,
        cancels: Mutex<VecDeque<CancelOutcome>>,
        nexts: Mutex<VecDeque<NextStepOutcome>>,
        calls: Mutex<Vec<String>>,
    }

    impl Scripted {
        fn new(begins: &[Begun], cancels: &[CancelOutcome], nexts: &[NextStepOutcome]) -> Self {
            Self {
                begins: Mutex::new(begins.iter().cloned().collect()),
                cancels: Mutex::new(cancels.iter().copied().collect()),
                nexts: Mutex::new(nexts.iter().copied().collect()),
                calls: Mutex::default(),
            }
        }

        fn log(&self, call: String) -> usize {
            let mut calls = self.calls.lock().unwrap();
            calls.push(call);
            calls.len()
        }
    }

    impl OneAtATime for Scripted {
        async fn begin(&self, _: &PhoneNumber, _: &RequestId, how: Delivery) -> Result<Begun, ProviderError> {
            let n = self.log(format!("start {}", how.channel().as_str()));
            let scripted = self.begins.lock().unwrap().pop_front();
            Ok(scripted.unwrap_or_else(|| Begun::Started(id(&format!("p{n}")))))
        }

        async fn cancel(&self, id: &ProviderRequestId) -> Result<CancelOutcome, ProviderError> {
            self.log(format!("cancel {}", id.as_str()));
            Ok(self.cancels.lock().unwrap().pop_front().unwrap_or(CancelOutcome::Cancelled))
        }

        async fn next_step(&self, id: &ProviderRequestId) -> Result<NextStepOutcome, ProviderError> {
            self.log(format!("next {}", id.as_str()));
            Ok(self.nexts.lock().unwrap().pop_front().unwrap_or(NextStepOutcome::Triggered))
        }
    }

    fn id(s: &str) -> ProviderRequestId {
        ProviderRequestId::parse(s).unwrap()
    }

    fn sms() -> Delivery {
        Delivery::by(Channel::Sms)
    }
    fn call() -> Delivery {
        Delivery::by(Channel::Voice)
    }

    /// What starting by `how` under `voice` answers, and the calls it made.
    async fn play(api: Scripted, how: Delivery, voice: VoiceCalls) -> (StartOutcome, Vec<String>) {
        let to = PhoneNumber::parse("+14155552671", &CountryAllowList::default()).unwrap();
        let outcome = start(&api, &to, &RequestId::generate(), how, voice).await.unwrap();
        (outcome, api.calls.into_inner().unwrap())
    }

    fn in_flight() -> Begun {
        Begun::Concurrent(Some(id("p0")))
    }

    #[tokio::test]
    async fn a_resend_cancels_the_verification_in_flight_and_starts_again() {
        let (outcome, calls) = play(Scripted::new(&[in_flight()], &[], &[]), sms(), VoiceCalls::OnRequest).await;
        assert_eq!(outcome, StartOutcome::Started(id("p3")));
        assert_eq!(calls, ["start sms", "cancel p0", "start sms"]);
        let gone = Scripted::new(&[in_flight()], &[CancelOutcome::Gone], &[]);
        assert_eq!(play(gone, sms(), VoiceCalls::Off).await.0, StartOutcome::Started(id("p3")));
    }

    #[tokio::test]
    async fn one_that_cannot_be_cancelled_moves_to_its_next_step_or_asks_to_wait() {
        let not_now = [CancelOutcome::NotNow];
        let (outcome, calls) = play(Scripted::new(&[in_flight()], &not_now, &[]), sms(), VoiceCalls::Automatic).await;
        assert_eq!(outcome, StartOutcome::MovedOn(id("p0")));
        assert_eq!(calls, ["start sms", "cancel p0", "next p0"]);

        let no_call = Scripted::new(&[in_flight()], &not_now, &[NextStepOutcome::NoMoreSteps]);
        let (outcome, calls) = play(no_call, sms(), VoiceCalls::OnRequest).await;
        assert_eq!(outcome, StartOutcome::Busy { retry_after_seconds: 30 });
        assert_eq!(calls, ["start sms", "cancel p0", "next p0"]);

        let ended = Scripted::new(&[in_flight()], &not_now, &[NextStepOutcome::Gone]);
        assert_eq!(play(ended, sms(), VoiceCalls::OnRequest).await.0, StartOutcome::Started(id("p4")));
        let unnamed = Scripted::new(&[Begun::Concurrent(None)], &[], &[]);
        let (outcome, calls) = play(unnamed, sms(), VoiceCalls::OnRequest).await;
        assert_eq!((outcome, calls.len()), (StartOutcome::Busy { retry_after_seconds: 30 }, 1));
        let raced = Scripted::new(&[in_flight(), in_flight()], &[], &[]);
        let (outcome, calls) = play(raced, sms(), VoiceCalls::OnRequest).await;
        assert_eq!((outcome, calls.len()), (StartOutcome::Busy { retry_after_seconds: 30 }, 3), "started again, raced");
    }

    /// "Call me instead": with automatic calls, the verification in flight moves on to its call
    /// (the same code, spoken), and where it has no call left it is replaced by a call; with
    /// calls on request, it is replaced at once.
    #[tokio::test]
    async fn a_call_instead_moves_the_verification_on_to_its_call_or_replaces_it() {
        let (outcome, calls) = play(Scripted::new(&[in_flight()], &[], &[]), call(), VoiceCalls::Automatic).await;
        assert_eq!((outcome, calls), (StartOutcome::MovedOn(id("p0")), vec!["start voice".into(), "next p0".into()]));

        let over = Scripted::new(&[in_flight()], &[], &[NextStepOutcome::NoMoreSteps]);
        let (outcome, calls) = play(over, call(), VoiceCalls::Automatic).await;
        assert_eq!(outcome, StartOutcome::Started(id("p4")));
        assert_eq!(calls, ["start voice", "next p0", "cancel p0", "start voice"]);

        let (outcome, calls) = play(Scripted::new(&[in_flight()], &[], &[]), call(), VoiceCalls::OnRequest).await;
        assert_eq!(outcome, StartOutcome::Started(id("p3")));
        assert_eq!(calls, ["start voice", "cancel p0", "start voice"]);
    }
}
