//! Several providers as one ([`Providers`]): Vonage Verify, and AWS End User Messaging carrying
//! codes the service owns when it is configured. A number's country has an order
//! ([`ProviderOrder`]); each provider a circuit breaker, and one more per country it is used in,
//! so that a provider failing for one country only is left there only. The order puts the
//! providers whose breakers are open last. The service tries them in turn ([`crate::service`]).
//!
//! The breakers are this process's: a Lambda instance learns from its own calls, which costs no
//! call to learn (a shared one would read and write the table on every send), and an instance
//! serves one request at a time, so five failures open its breaker within five requests. See
//! docs/operate/providers.md.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use secrecy::SecretString;

use crate::adapters::owned_codes;
use crate::domain::breaker::{Breaker, BreakerSettings, Standing, Transition};
use crate::domain::channel::{Channel, Delivery};
use crate::domain::otp_code::OtpCode;
use crate::domain::phone::PhoneNumber;
use crate::domain::provider::{ProviderName, ProviderOrder};
use crate::domain::request_id::RequestId;
use crate::domain::verification::ProviderRequestId;
use crate::ports::{CheckOutcome, ProviderError, Providers, StartOutcome, VerificationProvider};
use crate::telemetry::metrics::{self, Metric};

/// Vonage, and the second provider `A` where it is configured.
pub struct Failover<V, A> {
    vonage: V,
    second: Option<A>,
    /// The key of the codes the service owns, which are judged here whichever carrier (if any)
    /// this process has.
    code_key: SecretString,
    order: ProviderOrder,
    settings: BreakerSettings,
    /// Per provider (`None`) and per provider and country.
    breakers: Mutex<HashMap<(ProviderName, Option<String>), Breaker>>,
}

impl<V: VerificationProvider, A: VerificationProvider> Failover<V, A> {
    pub fn new(vonage: V, second: Option<A>, order: ProviderOrder, code_key: SecretString) -> Self {
        Self { vonage, second, code_key, order, settings: BreakerSettings::default(), breakers: Mutex::default() }
    }

    /// The same with breakers of these settings (the tests' shorter pauses).
    #[must_use]
    pub fn with_breakers(self, settings: BreakerSettings) -> Self {
        Self { settings, ..self }
    }

    pub fn vonage(&self) -> &V {
        &self.vonage
    }

    pub fn second(&self) -> Option<&A> {
        self.second.as_ref()
    }

    /// Where `provider`'s own breaker (all countries') stands now, without taking a probe: what a
    /// benchmark watches.
    pub fn standing_of(&self, provider: ProviderName) -> Standing {
        let breakers = self.breakers();
        breakers.get(&(provider, None)).map_or(Standing::Closed, |b| b.standing(Instant::now()))
    }

    fn breakers(&self) -> std::sync::MutexGuard<'_, HashMap<(ProviderName, Option<String>), Breaker>> {
        // A panic elsewhere while it was held leaves counts, not broken invariants.
        self.breakers.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The worse standing of `provider`'s breaker and its breaker for `country`.
    fn standing(
        &self,
        breakers: &HashMap<(ProviderName, Option<String>), Breaker>,
        provider: ProviderName,
        country: &str,
        now: Instant,
    ) -> Standing {
        let of = |key: (ProviderName, Option<String>)| breakers.get(&key).map_or(Standing::Closed, |b| b.standing(now));
        match (of((provider, None)), of((provider, Some(country.to_owned())))) {
            (Standing::Open, _) | (_, Standing::Open) => Standing::Open,
            (Standing::ProbeDue, _) | (_, Standing::ProbeDue) => Standing::ProbeDue,
            _ => Standing::Closed,
        }
    }

    /// A call to `provider` for `country` whose breaker is due a probe is that probe: no other
    /// call goes to it until this one has told. (Taken at the call, not when the order is made:
    /// a request refused before it calls takes none.)
    fn take_probe(&self, provider: ProviderName, country: &str) {
        let now = Instant::now();
        let mut breakers = self.breakers();
        for key in [(provider, None), (provider, Some(country.to_owned()))] {
            if let Some(breaker) = breakers.get_mut(&key) {
                breaker.probe(now);
            }
        }
    }

    /// Counts a call's outcome for `provider`'s breakers: only a failure of the provider's own
    /// counts against it; a refusal of the number is an answer like any other. A transition is
    /// counted once, by the provider's own breaker (a country's is logged).
    fn record(&self, provider: ProviderName, country: &str, result: &Result<StartOutcome, ProviderError>) {
        let failed = result.as_ref().is_err_and(ProviderError::moves_on);
        if failed {
            metrics::by_provider(provider.as_str(), Metric::ProviderFailures, 1.0);
        }
        let now = Instant::now();
        let mut breakers = self.breakers();
        for key in [(provider, None), (provider, Some(country.to_owned()))] {
            let scope = key.1.clone();
            let breaker = breakers.entry(key).or_insert_with(|| Breaker::new(self.settings));
            match breaker.record(now, failed) {
                Some(Transition::Opened) => {
                    tracing::warn!(
                        provider = provider.as_str(),
                        country = scope.as_deref(),
                        "provider breaker opened: traffic moves to the next provider"
                    );
                    metrics::by_provider(provider.as_str(), Metric::BreakerOpened, 1.0);
                }
                Some(Transition::Closed) => {
                    tracing::info!(
                        provider = provider.as_str(),
                        country = scope.as_deref(),
                        "provider breaker closed: traffic comes back"
                    );
                    metrics::by_provider(provider.as_str(), Metric::BreakerClosed, 1.0);
                }
                None => {}
            }
        }
    }
}

impl<V: VerificationProvider, A: VerificationProvider> Providers for Failover<V, A> {
    /// The country's order, the providers whose breakers are open last; among the others, those
    /// that carry the first step's channel first (WhatsApp goes through Vonage even where the
    /// country puts AWS first: the ladder says how the person is reached, the order by whom).
    fn order(&self, to: &PhoneNumber, first: Channel) -> Vec<ProviderName> {
        let now = Instant::now();
        let country = to.region();
        let breakers = self.breakers();
        let (mut healthy, open): (Vec<_>, Vec<_>) = self
            .order
            .for_country(country)
            .iter()
            .map(|p| (*p, self.standing(&breakers, *p, country, now)))
            .partition(|(_, standing)| *standing != Standing::Open);
        let carries_first = |p: ProviderName| self.carry_via(p, Delivery::by(first)).is_some();
        healthy.sort_by_key(|(p, _)| !carries_first(*p));
        healthy.extend(open);
        healthy.into_iter().map(|(p, _)| p).collect()
    }

    fn preferred(&self, to: &PhoneNumber, first: Channel) -> ProviderName {
        let order = self.order.for_country(to.region());
        let carries = |p: &&ProviderName| self.carry_via(**p, Delivery::by(first)).is_some();
        order.iter().find(carries).or(order.first()).copied().unwrap_or(ProviderName::Vonage)
    }

    fn carry_via(&self, via: ProviderName, how: Delivery) -> Option<Delivery> {
        match (via, &self.second) {
            (ProviderName::Vonage, _) => self.vonage.carry(how),
            (_, Some(second)) if second.name() == via => second.carry(how),
            _ => None,
        }
    }

    async fn start_via(
        &self,
        via: ProviderName,
        to: &PhoneNumber,
        client_ref: &RequestId,
        how: Delivery,
    ) -> Result<StartOutcome, ProviderError> {
        self.take_probe(via, to.region());
        // Each on the heap: a debug build's frame of every send would otherwise hold both.
        let result = match (via, &self.second) {
            (ProviderName::Vonage, _) => Box::pin(self.vonage.start_by(to, client_ref, how)).await,
            (_, Some(second)) if second.name() == via => Box::pin(second.start_by(to, client_ref, how)).await,
            _ => return Err(ProviderError::Failed(format!("{} is not configured", via.as_str()))),
        };
        self.record(via, to.region(), &result);
        result
    }

    async fn check(
        &self,
        request_id: &RequestId,
        id: &ProviderRequestId,
        code: &OtpCode,
    ) -> Result<CheckOutcome, ProviderError> {
        if id.owned().is_some() {
            return owned_codes::judge(&self.code_key, request_id, id, code);
        }
        self.vonage.check(request_id, id, code).await
    }

    async fn cancel(&self, id: &ProviderRequestId) -> Result<(), ProviderError> {
        match (self.holder(id), &self.second) {
            (ProviderName::Vonage, _) => self.vonage.cancel(id).await,
            (_, Some(second)) => second.cancel(id).await,
            (_, None) => Ok(()),
        }
    }

    fn holder(&self, id: &ProviderRequestId) -> ProviderName {
        id.owned().map_or(ProviderName::Vonage, |(carrier, _)| carrier)
    }
}
