//! What the HTTP edge tells the operator: the one log line and metric of a failed dependency,
//! written when the answer goes out (see [`super::Failure`]).

use tracing::{error, warn};

use crate::adapters::turnstile::BotCheckError;
use crate::domain::rule::Rule;
use crate::ports::{ProviderError, StoreError};
use crate::telemetry::metrics::{self, Metric};
use crate::telemetry::{Event, error_chain};

/// A provider call failed or did not answer: theirs, at `warn`.
pub(super) struct ProviderFailed<'a>(pub &'a ProviderError);

impl Event for ProviderFailed<'_> {
    fn emit(self) {
        let timed_out = matches!(self.0, ProviderError::Timeout);
        metrics::record(if timed_out { Metric::ProviderTimeouts } else { Metric::ProviderErrors }, 1.0);
        warn!(error = %error_chain(self.0), "provider call failed");
    }
}

/// A store call failed or did not answer: ours, at `error`.
pub(crate) struct StoreFailed<'a>(pub &'a StoreError);

impl Event for StoreFailed<'_> {
    fn emit(self) {
        metrics::record(Metric::StoreErrors, 1.0);
        error!(error = %error_chain(self.0), "store call failed");
    }
}

/// The bot check did not pass: a refused token is a refusal by [`Rule::BotCheck`]; a secret
/// siteverify refuses is ours (`error`); siteverify out of reach, theirs.
pub(super) struct BotCheckFailed<'a>(pub &'a BotCheckError);

impl Event for BotCheckFailed<'_> {
    fn emit(self) {
        match self.0 {
            e @ BotCheckError::Misconfigured(_) => error!(error = %e, "bot check failed"),
            e @ BotCheckError::Refused(_) => {
                metrics::refused(Rule::BotCheck.name());
                warn!(rule = Rule::BotCheck.name(), error = %e, "bot check failed");
            }
            e => warn!(error = %e, "bot check failed"),
        }
    }
}
