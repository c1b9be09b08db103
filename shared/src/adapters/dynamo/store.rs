//! The port: [`VerificationStore`] on DynamoDB.

use super::*;
use crate::domain::status_report::{StatusLog, StatusReport};
use crate::ports::Recorded;

impl VerificationStore for DynamoStore {
    async fn standing(&self, subjects: &SendSubjects) -> Result<Standing, StoreError> {
        let tally = &subjects.tally;
        let [range_yesterday, range_today] = [tally.day - 1, tally.day].map(|day| range_key(tally, day));
        let [country_yesterday, country_today] = [tally.day - 1, tally.day].map(|day| country_key(tally, day));
        let [apart_yesterday, apart_today] = [tally.day - 1, tally.day].map(|day| country_verified_key(tally, day));
        let keys = [
            number_key(&tally.number),
            client_key(subjects, subjects.window_start - time::Duration::HOUR),
            client_key(subjects, subjects.window_start),
            range_yesterday,
            range_today,
            country_yesterday,
            country_today,
            spend_key(subjects),
            apart_yesterday,
            apart_today,
            AttributeValue::S(SENDING_SWITCH_KEY.into()),
        ];
        let items = self.batch_get(&keys).await?;
        let item = |key: &AttributeValue| key.as_s().ok().and_then(|k| items.get(k));
        let switch = item(&keys[10]);
        let count = |key: &AttributeValue| {
            item(key).map_or_else(DayCount::default, |i| DayCount {
                unverified: get_int(i, UNVERIFIED).unwrap_or(0),
                verified: get_int(i, VERIFIED).unwrap_or(0),
            })
        };
        // A shard's verifications counted apart are still unverified on its own item (which
        // also holds, as verified, the ones settled in place by earlier versions).
        let country = |sends: &AttributeValue, apart: &AttributeValue| {
            let (sends, apart) = (count(sends), count(apart).verified);
            DayCount { unverified: sends.unverified - apart, verified: sends.verified + apart }
        };
        let client_sends = |key: &AttributeValue| {
            item(key).and_then(|i| get_int(i, "n")).map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX))
        };
        Ok(Standing {
            number: item(&keys[0]).map(read_number).unwrap_or_default(),
            client_sends: [client_sends(&keys[1]), client_sends(&keys[2])],
            range: [count(&keys[3]), count(&keys[4])],
            country: [country(&keys[5], &keys[8]), country(&keys[6], &keys[9])],
            country_verified_apart: count(&keys[9]).verified,
            spent: MicroUsd(
                item(&keys[7]).and_then(|i| get_int(i, SPENT)).map_or(0, |n| u64::try_from(n).unwrap_or(0)),
            ),
            sending_stopped: switch.and_then(|i| i.get(STOPPED)).and_then(|v| v.as_bool().ok()) == Some(&true),
            stopped_providers: switch.map(stopped_providers).unwrap_or_default(),
        })
    }

    async fn reserve_send(&self, r: &SendReservation) -> Result<(), ReserveError> {
        if r.price.0 > r.spend_share.0 {
            return Err(ReserveError::Refused(Refusal::until(Rule::SpendBudget, end_of_day(r.subjects.tally.day))));
        }
        let tally = &r.subjects.tally;
        let items = [
            TransactWriteItem::builder().put(self.number_put(r)?).build(),
            update_item(self.client_update(&r.subjects, r.client_room)?),
            update_item(self.day_update(range_string(tally, tally.day), tally.day, 1, 0, Some(r.range_room))?),
            update_item(self.day_update(
                country_string(tally, tally.day),
                tally.day,
                1,
                0,
                Some(r.country_room + r.country_verified_apart),
            )?),
            update_item(self.spend_update(&r.subjects, to_i64(r.price.0), Some(r.spend_share))?),
        ];
        let reasons = match self.transact(r.id.as_str(), &items).await? {
            None => return Ok(()),
            Some(reasons) => reasons,
        };
        let failed = |i: usize| reasons.get(i).and_then(|r| r.code()) == Some("ConditionalCheckFailed");
        let denied = if failed(0) {
            let item = match reasons[0].item() {
                Some(item) => Some(item.clone()),
                None => self.raw_item(number_key(&tally.number)).await?,
            };
            if holds_text(item.as_ref(), "by", r.id.as_str()) {
                return Ok(()); // our own reservation, applied by a try whose answer was lost
            }
            return Err(ReserveError::Changed);
        } else if failed(1) {
            Refusal::until(Rule::ClientCap, r.subjects.window_end())
        } else if failed(2) || failed(3) {
            Refusal::until(Rule::DestinationBudget, end_of_day(tally.day))
        } else {
            Refusal::until(Rule::SpendBudget, end_of_day(tally.day))
        };
        Err(ReserveError::Refused(denied))
    }

    async fn reprice_send(&self, r: &SendReservation, price: MicroUsd) -> Result<(), ReserveError> {
        let tally = &r.subjects.tally;
        let change = to_i64(price.0) - to_i64(r.price.0);
        let share = (change > 0).then_some(r.spend_share);
        // The number's item, still this reservation's, marks it repriced: a retry finds the mark
        // (DynamoDB's own token dedupes a retry too, but not every compatible server does).
        let mark = Update::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, number_key(&tally.number))
            .update_expression("SET #repriced = :yes")
            .condition_expression("#by = :by AND attribute_not_exists(#repriced)")
            .expression_attribute_names("#by", "by")
            .expression_attribute_names("#repriced", REPRICED)
            .expression_attribute_values(":by", text_value(r.id.as_str()))
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build_error)?;
        let items = [update_item(mark), update_item(self.spend_update(&r.subjects, change, share)?)];
        let Some(reasons) = self.transact(&format!("{}p", r.id.as_str()), &items).await? else { return Ok(()) };
        if reasons.first().and_then(|c| c.code()) == Some("ConditionalCheckFailed") {
            let item = match reasons[0].item() {
                Some(item) => Some(item.clone()),
                None => self.raw_item(number_key(&tally.number)).await?,
            };
            let ours = holds_text(item.as_ref(), "by", r.id.as_str());
            return match item.as_ref().and_then(|i| i.get(REPRICED)) {
                Some(_) if ours => Ok(()), // repriced by a try whose answer was lost
                _ => Err(ReserveError::Changed),
            };
        }
        Err(ReserveError::Refused(Refusal::until(Rule::SpendBudget, end_of_day(tally.day))))
    }

    async fn release_send(&self, r: &SendReservation, release: Release) -> Result<(), StoreError> {
        let tally = &r.subjects.tally;
        let kept = if release.restore_number { &r.number_before } else { &r.number_after };
        let restored = NumberState { version: r.number_after.version + 1, reserved_by: None, ..kept.clone() };
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(number_item(&tally.number, &restored, r.now)))
            .condition_expression("#by = :by")
            .expression_attribute_names("#by", "by")
            .expression_attribute_values(":by", text_value(r.id.as_str()))
            .build()
            .map_err(build_error)?;
        let mut items = vec![
            TransactWriteItem::builder().put(put).build(),
            update_item(self.day_update(range_string(tally, tally.day), tally.day, -1, 0, None)?),
            update_item(self.day_update(country_string(tally, tally.day), tally.day, -1, 0, None)?),
        ];
        if release.refund_spend {
            items.push(update_item(self.spend_update(&r.subjects, -to_i64(r.price.0), None)?));
        }

        // Cancelled: given back already, or the number has moved on.
        self.transact(&format!("{}r", r.id.as_str()), &items).await.map(|_| ())
    }

    async fn create(&self, v: &Verification) -> Result<(), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(self.write_item(v)))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let err = match result {
            Ok(_) => return Ok(()),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => e,
            Err(e) => return Err(sdk_error("PutItem", e)),
        };
        let existing = match err.into_service_error() {
            aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(c) => c.item,
            _ => None,
        };
        let existing = match existing {
            Some(item) => Some(item),
            None => self.raw_item(Self::key(&v.id)).await?,
        };
        // Request ids are random, so a record already under this one is ours, written by a try
        // whose answer was lost; the provider's id and the time make sure.
        let ours = existing.map(|item| self.read_item(&item)).transpose()?.is_some_and(|old| old.is_same_creation(v));
        if ours {
            Ok(())
        } else {
            Err(StoreError::Failed(format!("PutItem: verification {} already exists", v.id).into()))
        }
    }

    async fn begin_attempt(
        &self,
        id: &RequestId,
        attempt: &WriteId,
        flow: Option<&FlowId>,
        now: OffsetDateTime,
    ) -> Result<Verification, AttemptError> {
        // In a sign-in, the record must have been asked for in it: a code from another is refused
        // by the same write, before it spends an attempt.
        let in_flow = if flow.is_some() { " AND #flow = :flow" } else { "" };
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, Self::key(id))
            .update_expression("SET #attempts = #attempts + :one ADD #tries :attempt")
            .condition_expression(format!(
                "attribute_exists(#pk) AND #status = :pending AND #attempts < #max \
                 AND #expires > :now AND #ttl > :now \
                 AND (attribute_not_exists(#tries) OR NOT contains(#tries, :attempt_id)){in_flow}",
            ))
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#tries", TRIES)
            .expression_attribute_values(":attempt", AttributeValue::Ss(vec![attempt.as_str().to_owned()]))
            .expression_attribute_values(":attempt_id", text_value(attempt.as_str()))
            .expression_attribute_names("#attempts", "attempts")
            .expression_attribute_names("#max", "max_attempts")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#expires", "expires_at")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":one", count_value(1))
            .expression_attribute_values(":pending", text_value("pending"))
            .expression_attribute_values(":now", epoch(now))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let update = match flow {
            Some(flow) => update
                .expression_attribute_names("#flow", FLOW)
                .expression_attribute_values(":flow", text_value(flow.as_str())),
            None => update,
        };
        let result = update.send().await;
        match result {
            Ok(out) => out
                .attributes()
                .map(|item| self.read_item(item))
                .transpose()?
                .ok_or_else(|| StoreError::Failed("UpdateItem returned no attributes".into()).into()),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {
                let old = self.item_on_condition_failure(Self::key(id), e).await?;
                if old.as_ref().is_some_and(|item| set_contains(item, TRIES, attempt.as_str())) {
                    // Our own attempt, counted by a try whose answer was lost.
                    return Ok(self.read_item(&old.expect("checked just above"))?);
                }
                let old = old.map(|item| self.read_item(&item)).transpose()?.filter(|v| v.delete_after() > now);
                let denied = old.and_then(|v| v.check_refusal_in(flow, now)).unwrap_or(AttemptDenied::NotFound);
                Err(AttemptError::Denied(denied))
            }
            Err(e) => Err(sdk_error("UpdateItem", e).into()),
        }
    }

    async fn refund_attempt(&self, id: &RequestId, attempt: &WriteId) -> Result<(), StoreError> {
        // Only an attempt still counted is given back, so a retry of this write gives back nothing.
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, Self::key(id))
            .update_expression("SET #attempts = #attempts - :one DELETE #tries :attempt")
            .condition_expression("contains(#tries, :attempt_id) AND #status = :pending")
            .expression_attribute_names("#attempts", "attempts")
            .expression_attribute_names("#tries", TRIES)
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":one", count_value(1))
            .expression_attribute_values(":attempt", AttributeValue::Ss(vec![attempt.as_str().to_owned()]))
            .expression_attribute_values(":attempt_id", text_value(attempt.as_str()))
            .expression_attribute_values(":pending", text_value("pending"))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(()),
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
    }

    async fn finish(
        &self,
        id: &RequestId,
        how: Finish,
        attempt: &WriteId,
        tally: Option<&Tally>,
    ) -> Result<bool, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, Self::key(id))
            .condition_expression("#status = :pending")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#settled_by", SETTLED_BY)
            .expression_attribute_values(":pending", text_value("pending"))
            .expression_attribute_values(":attempt", text_value(attempt.as_str()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        // A verification's counts are settled after it, by `settle_counts`: what it marks due.
        let counted = match (how, tally) {
            (Finish::Verified { .. }, Some(_)) => ", #settle = :attempt",
            _ => "",
        };
        let update = match how {
            Finish::Verified { at } => update
                .update_expression(format!(
                    "SET #status = :status, #settled_by = :attempt, #verified_at = :at{counted}"
                ))
                .expression_attribute_names("#verified_at", "verified_at")
                .expression_attribute_values(":status", text_value("verified"))
                .expression_attribute_values(":at", epoch(at)),
            Finish::Locked => update
                .update_expression("SET #status = :status, #settled_by = :attempt")
                .expression_attribute_values(":status", text_value("locked")),
            Finish::Expired => update
                .update_expression("SET #status = :status, #settled_by = :attempt")
                .expression_attribute_values(":status", text_value("expired")),
        };
        let update = if counted.is_empty() { update } else { update.expression_attribute_names("#settle", SETTLE) };
        // The verification itself touches only its record and its number's item, neither of them
        // a key that many verifications share: a throttled counter cannot take it from the person.
        let mut items = vec![update_item(update.build().map_err(build_error)?)];
        if let (Finish::Verified { at }, Some(tally)) = (how, tally) {
            items.push(update_item(self.streak_end(&tally.number, at)?));
        }
        let ours = match self.transact(&format!("{}f", attempt.as_str()), &items).await? {
            None => true,
            Some(reasons) => {
                // Settled already: by this attempt (a try whose answer was lost), or by another.
                let old = match reasons.first().and_then(|r| r.item()) {
                    Some(item) => Some(item.clone()),
                    None => self.raw_item(Self::key(id)).await?,
                };
                holds_text(old.as_ref(), SETTLED_BY, attempt.as_str())
            }
        };
        if let (true, Finish::Verified { .. }, Some(tally)) = (ours, how, tally) {
            self.settle_counts(id, attempt, tally).await;
        }
        Ok(ours)
    }

    async fn get(&self, id: &RequestId, now: OffsetDateTime) -> Result<Option<Verification>, StoreError> {
        let verification = self.raw_item(Self::key(id)).await?.map(|item| self.read_item(&item)).transpose()?;
        Ok(verification.filter(|v| v.delete_after() > now))
    }

    async fn record_status(&self, report: &StatusReport, now: OffsetDateTime) -> Result<Recorded, StoreError> {
        self.apply_report(report, now).await
    }

    async fn status_log(&self, id: &RequestId) -> Result<Option<StatusLog>, StoreError> {
        self.read_status_log(id).await
    }

    async fn count_client_send(&self, subjects: &SendSubjects, room: i64, id: &WriteId) -> Result<(), ReserveError> {
        let items = [update_item(self.client_update(subjects, room)?)];
        match self.transact(&format!("{}c", id.as_str()), &items).await? {
            None => Ok(()),
            Some(_) => Err(ReserveError::Refused(Refusal::until(Rule::ClientCap, subjects.window_end()))),
        }
    }

    async fn count_test_guess(
        &self,
        number: &SubjectKey,
        day: i64,
        what: TestGuess,
        max: i64,
        by: &WriteId,
    ) -> Result<bool, StoreError> {
        let key = test_guess_key(number, day);
        let (change, below, step) = match what {
            TestGuess::Ask => {
                // Asking writes nothing: a consistent read, beside the takes and give-backs.
                let taken = self.raw_item(key).await?.and_then(|item| get_int(&item, "n")).unwrap_or(0);
                return Ok(taken < max);
            }
            TestGuess::Take => (1, Some(max), 't'),
            TestGuess::GiveBack => (-1, None, 'u'),
        };
        let items = [update_item(self.counter_update(key, &[("n", change)], end_of_day(day), below)?)];
        // Named by the step as well (a token holds 36 characters: one letter more): taking a
        // guess and giving it back are two writes.
        Ok(self.transact(&format!("{}{step}", by.as_str()), &items).await?.is_none())
    }
}
