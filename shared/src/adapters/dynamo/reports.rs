//! A provider's status reports on a verification's item: each step's latest outcome
//! (`step_<channel>`), the channel verified on (`verified_on`), the ending (`ending`), and the
//! keys of the reports applied (`reports`, a string set), so that a callback Vonage delivers
//! again changes nothing. One conditional update a report; its failure, read back with
//! `ReturnValuesOnConditionCheckFailure`, tells a repeat from a verification never kept here.

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use time::OffsetDateTime;

use super::*;
use crate::domain::status_report::{Ending, Report, StatusLog, StatusReport, StepOutcome};
use crate::ports::Recorded;

const REPORTS: &str = "reports";
const VERIFIED_ON: &str = "verified_on";
const ENDING: &str = "ending";

fn step_attribute(channel: Channel) -> String {
    format!("step_{}", channel.as_str())
}

impl DynamoStore {
    pub(super) async fn apply_report(
        &self,
        report: &StatusReport,
        now: OffsetDateTime,
    ) -> Result<Recorded, StoreError> {
        let key = report.key();
        let (set, update) = match report.report {
            Report::Step { channel, outcome: StepOutcome::Completed } => (
                "#step = :value, #on = :channel",
                vec![("#step", step_attribute(channel)), ("#on", VERIFIED_ON.to_owned())],
            ),
            Report::Step { channel, .. } => ("#step = :value", vec![("#step", step_attribute(channel))]),
            Report::Ending(_) => ("#end = :value", vec![("#end", ENDING.to_owned())]),
        };
        let value = match report.report {
            Report::Step { outcome, .. } => outcome.as_str(),
            Report::Ending(ending) => ending.as_str(),
        };
        let mut call = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, Self::key(&report.request_id))
            .update_expression(format!("SET {set} ADD #reports :keys"))
            .condition_expression("#pid = :pid AND #ttl > :now AND NOT contains(#reports, :key)")
            .expression_attribute_names("#pid", "provider_id")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_names("#reports", REPORTS)
            .expression_attribute_values(":pid", text_value(report.provider_id.as_str()))
            .expression_attribute_values(":now", epoch(now))
            .expression_attribute_values(":key", text_value(&key))
            .expression_attribute_values(":keys", AttributeValue::Ss(vec![key.clone()]))
            .expression_attribute_values(":value", text_value(value))
            .return_values(ReturnValue::AllOld)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for (name, attribute) in update {
            call = call.expression_attribute_names(name, attribute);
        }
        if let Report::Step { channel, outcome: StepOutcome::Completed } = report.report {
            call = call.expression_attribute_values(":channel", text_value(channel.as_str()));
        }
        let failed = match call.send().await {
            Ok(out) => {
                let before = out.attributes.ok_or_else(|| StoreError::Failed("UpdateItem returned no item".into()))?;
                return Ok(Recorded::Applied(Box::new(self.read_item(&before)?)));
            }
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => e,
            Err(e) => return Err(sdk_error("UpdateItem", e)),
        };
        let old = match failed.into_service_error() {
            aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(c) => c.item,
            _ => None,
        };
        // The condition failed: a repeat where the item holds the key under the same provider id
        // and is alive; a verification this store does not keep otherwise.
        let repeat = old.is_some_and(|item| {
            holds_text(Some(&item), "provider_id", report.provider_id.as_str())
                && get_time(&item, TTL_ATTRIBUTE).is_some_and(|ttl| ttl > now)
                && set_contains(&item, REPORTS, &key)
        });
        Ok(if repeat { Recorded::Repeated } else { Recorded::Unknown })
    }

    pub(super) async fn read_status_log(&self, id: &RequestId) -> Result<Option<StatusLog>, StoreError> {
        let Some(item) = self.raw_item(Self::key(id)).await? else { return Ok(None) };
        let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).map(String::as_str);
        let steps = Channel::ALL
            .into_iter()
            .filter_map(|c| text(&step_attribute(c)).and_then(StepOutcome::from_name).map(|o| (c, o)))
            .collect();
        Ok(Some(StatusLog {
            steps,
            verified_on: text(VERIFIED_ON).and_then(Channel::from_name),
            ending: text(ENDING).and_then(Ending::from_name),
            reports: item.get(REPORTS).and_then(|v| v.as_ss().ok()).map_or(0, Vec::len),
        }))
    }
}
