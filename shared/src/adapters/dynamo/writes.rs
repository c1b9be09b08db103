//! The conditional writes a send and a check are made of, as transaction items.

use super::*;

impl DynamoStore {
    /// Writes the number's state as the send leaves it, if it is still the state that was read.
    pub(super) fn number_put(&self, r: &SendReservation) -> Result<Put, StoreError> {
        let seen = r.number_before.version;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(number_item(&r.subjects.tally.number, &r.number_after, r.now)))
            .expression_attribute_names("#version", VERSION)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let put = if seen == 0 {
            put.condition_expression("attribute_not_exists(#version)")
        } else {
            put.condition_expression("#version = :seen")
                .expression_attribute_values(":seen", AttributeValue::N(seen.to_string()))
        };
        put.build().map_err(build_error)
    }

    /// Counts a send from the client in its hour, below `room`. Kept to be read as the last hour
    /// through the next one.
    pub(super) fn client_update(&self, subjects: &SendSubjects, room: i64) -> Result<Update, StoreError> {
        let key = client_key(subjects, subjects.window_start);
        let kept_until = subjects.window_end() + time::Duration::HOUR;
        self.counter_update(key, &[("n", 1)], kept_until, Some(room))
    }

    /// Adds `unverified` and `verified` to a day's counts, the unverified count kept below `room`
    /// when one is given. Kept to be read as yesterday's counts through the next day.
    pub(super) fn day_update(
        &self,
        key: String,
        day: i64,
        unverified: i64,
        verified: i64,
        room: Option<i64>,
    ) -> Result<Update, StoreError> {
        self.counter_update(
            text_value(key),
            &[(UNVERIFIED, unverified), (VERIFIED, verified)],
            end_of_day(day + 1),
            room,
        )
    }

    /// Adds `price` (negative: gives it back) to the day's spend shard, which stays at or below
    /// `share` when one is given.
    pub(super) fn spend_update(
        &self,
        subjects: &SendSubjects,
        price: i64,
        share: Option<MicroUsd>,
    ) -> Result<Update, StoreError> {
        let below = share.map(|share| to_i64(share.0) - price + 1);
        self.counter_update(spend_key(subjects), &[(SPENT, price)], end_of_day(subjects.tally.day), below)
    }

    /// Adds to the counters `adds` of the item under `key` (created, kept until `kept_until`, if
    /// absent), if the first of them is below `below` when that is given.
    pub(super) fn counter_update(
        &self,
        key: AttributeValue,
        adds: &[(&str, i64)],
        kept_until: OffsetDateTime,
        below: Option<i64>,
    ) -> Result<Update, StoreError> {
        let added: Vec<String> = (0..adds.len()).map(|i| format!("#a{i} :a{i}")).collect();
        let mut update = Update::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, key)
            .update_expression(format!("ADD {} SET #ttl = if_not_exists(#ttl, :ttl)", added.join(", ")))
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":ttl", epoch(kept_until));
        for (i, (name, value)) in adds.iter().enumerate() {
            update = update
                .expression_attribute_names(format!("#a{i}"), *name)
                .expression_attribute_values(format!(":a{i}"), int_value(*value));
        }
        if let Some(below) = below {
            update = update
                .condition_expression("attribute_not_exists(#a0) OR #a0 < :below")
                .expression_attribute_values(":below", int_value(below));
        }
        update.build().map_err(build_error)
    }

    /// Ends the number's streak of unverified codes (a code was entered at `at`).
    pub(super) fn streak_end(&self, number: &SubjectKey, at: OffsetDateTime) -> Result<Update, StoreError> {
        Update::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, number_key(number))
            .update_expression("SET #streak = :zero, #ttl = if_not_exists(#ttl, :ttl) ADD #version :one")
            .expression_attribute_names("#streak", STREAK)
            .expression_attribute_names("#version", VERSION)
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":zero", count_value(0))
            .expression_attribute_values(":one", count_value(1))
            .expression_attribute_values(":ttl", epoch(at + time::Duration::DAY))
            .build()
            .map_err(build_error)
    }
}

impl DynamoStore {
    /// A verified record's counts moved from unverified to verified on its range's item, and
    /// counted on its country shard's item of verifications (apart from the shard's sends, which
    /// a launch makes the hottest item), once: with the record's mark that they are due taken off
    /// in the same transaction. When those items stay throttled past
    /// the transaction's retries the counts are left as they were (the country and range floors
    /// then count one unverified send too many, which errs on the side of refusing) and the
    /// verification stands.
    pub(super) async fn settle_counts(&self, id: &RequestId, attempt: &WriteId, tally: &Tally) {
        let items = || -> Result<Vec<TransactWriteItem>, StoreError> {
            let done = Update::builder()
                .table_name(&self.table)
                .key(PARTITION_KEY, Self::key(id))
                .update_expression("REMOVE #settle")
                .condition_expression("#settle = :attempt")
                .expression_attribute_names("#settle", SETTLE)
                .expression_attribute_values(":attempt", text_value(attempt.as_str()))
                .build()
                .map_err(build_error)?;
            Ok(vec![
                update_item(done),
                update_item(self.day_update(range_string(tally, tally.day), tally.day, -1, 1, None)?),
                update_item(self.counter_update(
                    country_verified_key(tally, tally.day),
                    &[(VERIFIED, 1)],
                    end_of_day(tally.day + 1),
                    None,
                )?),
            ])
        };
        // Cancelled on its condition: settled already, by a try whose answer was lost.
        let settled = match items() {
            Ok(items) => self.transact(&format!("{}s", attempt.as_str()), &items).await.map(|_| ()),
            Err(e) => Err(e),
        };
        if let Err(error) = settled {
            tracing::warn!(
                request_id = %id,
                error = %crate::telemetry::error_chain(&error),
                "a verification's counts were left unsettled; the verification stands"
            );
        }
    }
}

pub(crate) fn update_item(update: Update) -> TransactWriteItem {
    TransactWriteItem::builder().update(update).build()
}
