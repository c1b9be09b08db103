//! Asking for a code: the number's and the client's rules, the store's counts, the reservation,
//! the send, and the refusals.

use time::OffsetDateTime;

use crate::clock::Clock;
use crate::domain::channel::{Channel, Channels, Delivery, Steps};
use crate::domain::flow_id::FlowId;
use crate::domain::limits::{ClientCap, NumberState, day_number, end_of_day};
use crate::domain::locale::Locale;
use crate::domain::phone::PhoneNumber;
use crate::domain::price::MicroUsd;
use crate::domain::provider::ProviderName;
use crate::domain::request_id::RequestId;
use crate::domain::rule::{Refusal, Rule};
use crate::domain::verification::{ProviderRequestId, Tally, Verification, VerificationStatus};
use crate::domain::write_id::WriteId;
use crate::ports::{
    ProviderError, Providers, Release, ReserveError, SendReservation, SendSubjects, Standing, StartOutcome, StoreError,
    VerificationStore,
};
use crate::telemetry::Event;

use super::{VerificationService, seconds, seconds_until};
use super::{deadline, events};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSent {
    pub request_id: RequestId,
    pub phone: PhoneNumber,
    pub expires_at: OffsetDateTime,
    pub resend_available_at: OffsetDateTime,
    pub code_length: u8,
    /// How the code went (its first step).
    pub channel: Channel,
    /// What the person may ask for next: the ladder as it applies to the number.
    pub channels: Channels,
    /// Whether the person may ask for a call instead (after the resend gap).
    pub call_available: bool,
    /// A test number's: nothing was sent, and its code is the configured one. request-otp does
    /// not label its answer (verify-otp's answer and the ID token do).
    pub test: bool,
}

/// What a person asked for: a channel (`None`: the ladder's first) and a language (`None`: the
/// provider's choice), on the ladder of the application they came from (`None`: the hosted
/// page's, `OTP_CHANNELS`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ask {
    pub channel: Option<Channel>,
    pub locale: Option<Locale>,
    pub ladder: Option<Channels>,
}

#[derive(Debug, thiserror::Error)]
pub enum RequestCodeError {
    /// A rule refused the request; it may be asked again in `retry_after_seconds` (`None`: no
    /// end is known).
    #[error("refused by the rule {}", .rule.name())]
    Refused { rule: Rule, retry_after_seconds: Option<u64> },
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
    /// Sends a code to `phone` by SMS, unless a limit says no (see [`crate::domain::limits`]).
    /// `client_ip` is the address API Gateway saw, never one a client claims.
    pub async fn request_code(&self, phone: PhoneNumber, client_ip: &str) -> Result<CodeSent, RequestCodeError> {
        self.request_code_by(phone, client_ip, Delivery::default()).await
    }

    /// The same, by `how`'s first channel on the hosted page's ladder and in `how.locale`'s
    /// language (`None`: the provider's choice).
    pub async fn request_code_by(
        &self,
        phone: PhoneNumber,
        client_ip: &str,
        how: Delivery,
    ) -> Result<CodeSent, RequestCodeError> {
        let ask = Ask { channel: Some(how.channel()), locale: how.locale, ladder: None };
        self.request_code_within(phone, client_ip, ask, None).await
    }

    /// The same as the person asked, for the sign-in `flow` when there is one: only that
    /// sign-in may end with the code ([`Self::finish_sign_in`]). The code goes by the channel
    /// asked for if the ladder offers it ([`Rule::ChannelNotOffered`], or [`Rule::CallsOff`] for
    /// a call, otherwise), then falls back down the ladder where a step is not answered
    /// ([`Channels::steps_from`]). A landline always gets a call. Every channel counts against
    /// every limit, each step at its price.
    pub async fn request_code_within(
        &self,
        phone: PhoneNumber,
        client_ip: &str,
        ask: Ask,
        flow: Option<FlowId>,
    ) -> Result<CodeSent, RequestCodeError> {
        let now = self.clock.now();
        let landline = phone.is_landline();
        let offered = self.offered(&phone, ask.ladder);
        let channel = if landline { Some(Channel::Voice) } else { ask.channel.or(offered.map(|o| o.first())) };
        let channel = channel.unwrap_or_default();
        let Some(offered) = offered.filter(|o| o.contains(channel)) else {
            let rule = if channel == Channel::Voice && !self.policy.voice.allowed() {
                Rule::CallsOff
            } else {
                Rule::ChannelNotOffered
            };
            return Err(self.refused(Refusal::by(rule), &phone, now));
        };
        if self.policy.test_numbers.holds(phone.e164()) {
            return self.request_test_code(phone, client_ip, channel, offered, flow, now).await;
        }
        let how = Delivery { steps: Steps(offered.steps_from(channel, self.policy.voice)), locale: ask.locale };
        let request_id = RequestId::generate();
        // On the heap: every caller's frame in a debug build would otherwise hold the sends'.
        let (reservation, sent, replaced) = Box::pin(self.send(&phone, client_ip, how, &request_id, now)).await?;
        // A verification moved on to its next step (the call asked for, or the next of its steps)
        // sends the code that step's time, and was counted and priced when it started.
        let (channel, lifetime, carried) = if sent.moved_on {
            // Boxed: a debug build's frame of this function would otherwise hold the store
            // calls of a path that runs only for automatic calls (otp-local runs debug builds).
            let carried = Box::pin(self.carry(&reservation, &sent.id, &request_id, now)).await;
            // What Vonage moved on to is the next step of the send in flight: where that send is
            // known, its ladder's next channel, whatever was asked (a call asked for while a
            // WhatsApp step is in flight gets its SMS step, and the answer says so).
            let (steps, next) = match &carried {
                Some((_, first)) => {
                    let steps = offered.steps_from(*first, self.policy.voice);
                    (steps, steps.as_slice().get(1).copied().unwrap_or(channel))
                }
                None => (offered.steps_from(offered.first(), self.policy.voice), channel),
            };
            (next, steps.step_seconds(self.policy.ttl_seconds), carried.map(|(tally, _)| tally))
        } else {
            (sent.channel, self.policy.ttl_seconds, None)
        };
        let expires_at = now + seconds(lifetime);
        let verification = Verification {
            id: request_id.clone(),
            provider_id: sent.id,
            phone_e164: phone.e164().to_owned(),
            channel,
            created_at: now,
            expires_at,
            attempts: 0,
            max_attempts: self.policy.max_attempts,
            status: VerificationStatus::Pending,
            tally: Some(carried.clone().unwrap_or_else(|| reservation.subjects.tally.clone())),
            flow,
        };
        self.store.create(&verification).await?;
        // Only once the new code's record is kept: the replaced one ends after it.
        self.cancel_replaced(replaced, sent.via, &request_id).await;
        let priced = carried.is_none().then_some(reservation.price);
        let fallback = sent.fallback;
        events::CodeSent { request_id: &request_id, phone: &phone, channel, priced, via: sent.via, fallback }.emit();
        Ok(CodeSent {
            request_id,
            phone,
            expires_at,
            resend_available_at: reservation.number_after.cooldown_until.unwrap_or(now),
            code_length: self.policy.code_length,
            channel,
            channels: offered,
            call_available: channel != Channel::Voice && offered.contains(Channel::Voice),
            test: false,
        })
    }

    /// What a person may ask for on `ladder` (`None`: the hosted page's) for `phone`, within the
    /// calls setting and what the number's providers can send: none when nothing is left.
    fn offered(&self, phone: &PhoneNumber, ladder: Option<Channels>) -> Option<Channels> {
        let offered = ladder.unwrap_or(self.policy.channels).offered(self.policy.voice, phone.is_landline())?;
        let order = self.provider.order(phone, offered.first());
        offered.filter(|c| order.iter().any(|via| self.provider.carry_via(*via, Delivery::by(c)).is_some()))
    }

    /// A send that only moved the verification in flight on (to its call) sent nothing that the
    /// send which started it was not counted and priced for: it gives back its own counts and
    /// carries that send's, so that entering the code credits the send that was counted. `None`
    /// where that send is not known as the one moved on (its record is gone, settled, or of
    /// another provider verification): then this one counts as its own. With the tally, the
    /// channel that send went by first.
    async fn carry(
        &self,
        reservation: &SendReservation,
        moved_on: &ProviderRequestId,
        request_id: &RequestId,
        now: OffsetDateTime,
    ) -> Option<(Tally, Channel)> {
        let first = reservation.number_before.last_request.as_ref()?;
        let (tally, first_channel) = match self.store.get(first, now).await {
            Ok(first) => {
                let first = first.filter(|f| f.provider_id == *moved_on && f.status == VerificationStatus::Pending)?;
                (first.tally?, first.channel)
            }
            Err(error) => {
                let step = "read the send a call moved on";
                events::StoreStepFailed { step, request_id, error: &error }.emit();
                return None;
            }
        };
        match self.store.release_send(reservation, Release::carried()).await {
            Ok(()) => Some((tally, first_channel)),
            Err(error) => {
                let step = "give back the counts of a call that moved a send on";
                events::StoreStepFailed { step, request_id, error: &error }.emit();
                None
            }
        }
    }

    /// Reserves the send, and sends it through the first of the number's providers that takes
    /// it. A provider that fails as a provider does (it did not answer, throttles, errs, cannot
    /// be reached) hands the code to the next; a refusal of the number ends there. Each send
    /// counts once: one known to have sent nothing passes its reservation on (repriced); one that
    /// did not answer (its code may have gone) stays counted, and the next provider's send is
    /// counted as one more. No failover begins unless the function's time left covers it
    /// ([`deadline::failover_in_time`]). Returns the reservation of the send that went, what it
    /// was, and the verification a resend replaced (to be ended once the new one is kept).
    async fn send(
        &self,
        phone: &PhoneNumber,
        client_ip: &str,
        how: Delivery,
        request_id: &RequestId,
        now: OffsetDateTime,
    ) -> Result<(SendReservation, Sent, Option<ProviderRequestId>), RequestCodeError> {
        let started = std::time::Instant::now();
        let mut order = self.provider.order(phone, how.channel());
        // Only those that carry a step of it (AWS carries no WhatsApp).
        order.retain(|via| self.provider.carry_via(*via, how).is_some());
        // Traffic moved off the country's first provider: its breaker put it later, or it failed
        // below. (A resend moved on, or the operator's switch, is not that.)
        let preferred = self.provider.preferred(phone, how.channel());
        let mut moved = order.first() != Some(&preferred);
        let (mut reservation, replaced) = self.reserve(phone, client_ip, how, request_id, &mut order, now).await?;
        loop {
            let via = reservation.via;
            let fallback = moved && via != preferred;
            let carried = self.provider.carry_via(via, how).unwrap_or(how);
            let channel = carried.channel();
            let error = match self.provider.start_via(via, phone, request_id, carried).await {
                Ok(StartOutcome::Started(id)) => {
                    return Ok((reservation, Sent { id, moved_on: false, via, fallback, channel }, replaced));
                }
                Ok(StartOutcome::MovedOn(id)) => {
                    return Ok((reservation, Sent { id, moved_on: true, via, fallback, channel }, replaced));
                }
                Ok(StartOutcome::Busy { retry_after_seconds }) => {
                    self.release(&reservation, Release::unsent(false), request_id).await;
                    let until = now + seconds(u32::try_from(retry_after_seconds).unwrap_or(u32::MAX));
                    return Err(self.refused(Refusal::until(Rule::ProviderBusy, until), phone, now));
                }
                Err(error) => error,
            };
            order.retain(|p| *p != via);
            let next = order.first().copied().filter(|_| error.moves_on() && deadline::failover_in_time(started));
            let Some(next) = next else {
                self.release(&reservation, Release::unsent(error.may_have_sent()), request_id).await;
                return Err(RequestCodeError::Provider(error));
            };
            moved = true;
            let priced = error.may_have_sent().then_some(reservation.price);
            events::FailedOver { request_id, from: via, to: next, error: &error, priced }.emit();
            reservation = if error.may_have_sent() {
                match self.reserve_again(&reservation, next, how, request_id, now).await {
                    Some(again) => again,
                    None => return Err(RequestCodeError::Provider(error)),
                }
            } else {
                self.move_reservation(reservation, next, how, phone, request_id, now).await?
            };
        }
    }

    /// The send `reservation` counted moves to `via`, the provider before it having sent
    /// nothing: still one send, at `via`'s price. Where that price does not fit the day's spend,
    /// the reservation is given back and the request refused.
    async fn move_reservation(
        &self,
        reservation: SendReservation,
        via: ProviderName,
        how: Delivery,
        phone: &PhoneNumber,
        request_id: &RequestId,
        now: OffsetDateTime,
    ) -> Result<SendReservation, RequestCodeError> {
        let price = self.price(via, &reservation.subjects.tally.country, how);
        match self.store.reprice_send(&reservation, price).await {
            Ok(()) => Ok(SendReservation { via, price, ..reservation }),
            Err(error) => {
                self.release(&reservation, Release::unsent(false), request_id).await;
                Err(match error {
                    ReserveError::Refused(refusal) => self.refused(refusal, phone, now),
                    ReserveError::Store(e) => e.into(),
                    ReserveError::Changed => StoreError::Unavailable("the send moved on".into()).into(),
                })
            }
        }
    }

    /// Gives back what `release` says of `reservation`; whether that was done.
    async fn release(&self, reservation: &SendReservation, release: Release, request_id: &RequestId) -> bool {
        match self.store.release_send(reservation, release).await {
            Ok(()) => true,
            Err(error) => {
                let step = "give back the reservation of a failed send";
                events::StoreStepFailed { step, request_id, error: &error }.emit();
                false
            }
        }
    }

    /// A second send of one request, through `via`, after `first`'s provider did not answer:
    /// counted as a send of its own on the state `first` left (the number's caps, the client's,
    /// the range's and country's and the spend hold for it as for any), without the gap. `None`
    /// where a rule or the store refuses it: the request ends with the first's failure.
    async fn reserve_again(
        &self,
        first: &SendReservation,
        via: ProviderName,
        how: Delivery,
        request_id: &RequestId,
        now: OffsetDateTime,
    ) -> Option<SendReservation> {
        let id = WriteId::generate();
        let number_after = self.policy.number.send_again(&first.number_after, now, &id).ok()?;
        let again = SendReservation {
            id,
            via,
            number_before: first.number_after.clone(),
            number_after: NumberState { last_request: Some(request_id.clone()), ..number_after },
            price: self.price(via, &first.subjects.tally.country, how),
            ..first.clone()
        };
        match self.store.reserve_send(&again).await {
            Ok(()) => Some(again),
            Err(error) => {
                events::SecondSendRefused { request_id, error: &error }.emit();
                None
            }
        }
    }

    /// Ends the verification a resend replaced, where it went through another provider than
    /// this one (which would otherwise go on with it: a call it schedules). Best effort: a
    /// failure is logged, and the person has the new code.
    async fn cancel_replaced(&self, replaced: Option<ProviderRequestId>, via: ProviderName, request_id: &RequestId) {
        let Some(replaced) = replaced.filter(|id| self.provider.holder(id) != via) else { return };
        if let Err(error) = self.provider.cancel(&replaced).await {
            events::CancelFailed { request_id, error: &error }.emit();
        }
    }

    /// What a send of `how` through `via` to `country` is counted at: the steps `via` carries.
    pub(super) fn price(&self, via: ProviderName, country: &str, how: Delivery) -> MicroUsd {
        let carried = self.provider.carry_via(via, how).unwrap_or(how);
        self.policy.spend.price(via, country, carried.steps())
    }

    /// Reads the counts, decides by the rules, and writes the send against them, through the
    /// first of `order` the operator's switch leaves on (the stopped ones are taken out of
    /// `order`); when another request for the number wrote in between, decides again on what
    /// that one left. A resend of a code nobody entered moves to the next provider (the person
    /// did not get it, perhaps): the verification it replaces is returned, to be ended where
    /// another provider takes over.
    async fn reserve(
        &self,
        phone: &PhoneNumber,
        client_ip: &str,
        how: Delivery,
        request_id: &RequestId,
        order: &mut Vec<ProviderName>,
        now: OffsetDateTime,
    ) -> Result<(SendReservation, Option<ProviderRequestId>), RequestCodeError> {
        let subjects = self.subjects(phone, client_ip, now);
        for _ in 0..RESERVE_TRIES {
            let standing = self.store.standing(&subjects).await?;
            order.retain(|p| !standing.stopped_providers.contains(p));
            let replaced = match &standing.number.last_request {
                Some(last) if order.len() > 1 => self.move_on_from(last, how.channel(), order, now).await,
                _ => None,
            };
            let reservation = self
                .decide(&subjects, standing, order.first().copied(), how, request_id, now)
                .map_err(|r| self.refused(r, phone, now))?;
            match self.store.reserve_send(&reservation).await {
                Ok(()) => return Ok((reservation, replaced)),
                Err(ReserveError::Changed) => continue,
                Err(ReserveError::Refused(refusal)) => return Err(self.refused(refusal, phone, now)),
                Err(ReserveError::Store(e)) => return Err(e.into()),
            }
        }
        Err(StoreError::Unavailable("requests for one number kept changing its state".into()).into())
    }

    /// Where the number's last code (`last`) is still pending and nobody tried it, went by the
    /// same `channel` and through the provider first in `order`, puts that provider last: a
    /// person who asks again without trying a code did not get it, and another route may reach
    /// them. (One who asks for a call instead takes another route already: the provider stays.)
    /// Returns the verification replaced (its provider's id), if it was so.
    async fn move_on_from(
        &self,
        last: &RequestId,
        channel: Channel,
        order: &mut [ProviderName],
        now: OffsetDateTime,
    ) -> Option<ProviderRequestId> {
        let last = self.store.get(last, now).await.ok().flatten()?;
        let untried = last.status == VerificationStatus::Pending
            && last.attempts == 0
            && last.channel == channel
            && !last.provider_id.is_test();
        if !untried || order.first() != Some(&self.provider.holder(&last.provider_id)) {
            return None;
        }
        order.rotate_left(1);
        Some(last.provider_id)
    }

    /// Where a send to `phone` from `client_ip` at `now` is counted: the number, its range, its
    /// country (on a shard drawn at random), the client's hour, and a spend shard of the day.
    pub(super) fn subjects(&self, phone: &PhoneNumber, client_ip: &str, now: OffsetDateTime) -> SendSubjects {
        let hour = now.unix_timestamp().div_euclid(3600) * 3600;
        let shards = self.policy.counter_shards;
        SendSubjects {
            tally: Tally {
                number: self.hasher.phone(phone),
                range: self.hasher.range(phone),
                country: phone.region().to_owned(),
                shard: random_below(shards),
                day: day_number(now),
            },
            client: self.hasher.ip(client_ip),
            window_start: OffsetDateTime::from_unix_timestamp(hour).expect("an hour boundary near now is in range"),
            spend_shard: random_below(self.policy.spend.shards(shards)),
        }
    }

    /// The send the rules allow on what was read, or the first rule that refuses it: the
    /// number's, the client's, the range's and country's, then the day's spend.
    fn decide(
        &self,
        subjects: &SendSubjects,
        standing: Standing,
        via: Option<ProviderName>,
        how: Delivery,
        request_id: &RequestId,
        now: OffsetDateTime,
    ) -> Result<SendReservation, Refusal> {
        let policy = &self.policy;
        let via = match via {
            Some(via) if !standing.sending_stopped => via,
            _ => return Err(Refusal::by(Rule::Stopped)),
        };
        let price = self.price(via, &subjects.tally.country, how);
        let id = WriteId::generate();
        let number_after =
            NumberState { last_request: Some(request_id.clone()), ..policy.number.send(&standing.number, now, &id)? };
        let client_room = self.client_room(subjects, &standing, now)?;
        let next_day = end_of_day(subjects.tally.day);
        let range_room = policy.range_budget.room_today(standing.range, 1);
        let country_room = policy.country_budget.room_today(standing.country, policy.counter_shards);
        if standing.range[1].unverified >= range_room || standing.country[1].unverified >= country_room {
            return Err(Refusal::until(Rule::DestinationBudget, next_day));
        }
        let spend_share = policy.spend.share(policy.spend.shards(policy.counter_shards));
        if standing.spent.0.saturating_add(price.0) > spend_share.0 {
            return Err(Refusal::until(Rule::SpendBudget, next_day));
        }
        Ok(SendReservation {
            id,
            via,
            now,
            subjects: subjects.clone(),
            number_before: standing.number,
            number_after,
            client_room,
            range_room,
            country_room,
            country_verified_apart: standing.country_verified_apart,
            price,
            spend_share,
        })
    }

    /// How many sends this hour's count of the client may reach (the last hour's sends count in
    /// part, as the hour slides), or the client cap's refusal when it has reached it.
    pub(super) fn client_room(
        &self,
        subjects: &SendSubjects,
        standing: &Standing,
        now: OffsetDateTime,
    ) -> Result<i64, Refusal> {
        let client_cap = ClientCap { max: self.policy.max_sends_per_ip_per_hour };
        let room = client_cap.room(standing.client_sends[0], (now - subjects.window_start).whole_seconds());
        if i64::from(standing.client_sends[1]) >= room {
            return Err(Refusal::until(
                Rule::ClientCap,
                client_cap.free_at(standing.client_sends, subjects.window_start),
            ));
        }
        Ok(room)
    }

    /// The error of a request `refusal` refused, told (its log line has the country, never
    /// the number) and counted.
    pub(crate) fn refused(&self, refusal: Refusal, phone: &PhoneNumber, now: OffsetDateTime) -> RequestCodeError {
        events::CodeRefused { rule: refusal.rule, country: phone.region() }.emit();
        RequestCodeError::Refused {
            rule: refusal.rule,
            retry_after_seconds: refusal.until.map(|until| seconds_until(now, until)),
        }
    }
}

/// The provider's verification a send went by, and whether it is one already in flight, moved on
/// to its next step (whose code lives for that step only).
struct Sent {
    id: ProviderRequestId,
    moved_on: bool,
    via: ProviderName,
    /// Sent by another provider than the country's first, which failed or whose breaker is open.
    fallback: bool,
    /// The channel of its first step (the next provider's may differ: AWS carries no WhatsApp).
    channel: Channel,
}

/// How many times a send is decided again when requests for the same number race.
const RESERVE_TRIES: usize = 3;

/// A number below `n`, drawn at random (a counter shard).
fn random_below(n: u32) -> u32 {
    let draw = uuid::Uuid::new_v4().as_u128();
    u32::try_from(draw % u128::from(n.max(1))).expect("below a u32")
}
