//! A provider's status reports on the verifications it carries (Vonage's status callbacks, once
//! the adapter has authenticated them): applied once to the verification's record, and counted
//! by channel and country (conversion, failures and time to verify by channel).

use crate::clock::Clock;
use crate::domain::status_report::StatusReport;
use crate::ports::{Providers, Recorded, StoreError, VerificationStore};
use crate::telemetry::Event;

use super::{VerificationService, events};

impl<P, S, C> VerificationService<P, S, C>
where
    P: Providers,
    S: VerificationStore,
    C: Clock,
{
    /// Applies `report` to the verification it names, if this deployment keeps it under that
    /// provider id, once; tells it and counts it.
    pub async fn record_status(&self, report: &StatusReport) -> Result<Recorded, StoreError> {
        let recorded = self.store.record_status(report, self.clock.now()).await?;
        events::StatusReported { report, recorded: &recorded }.emit();
        Ok(recorded)
    }
}
