//! The DynamoDB store: one table, partition key `pk`, every item expiring through the `ttl`
//! attribute. TTL deletes lazily (up to days late), so every read treats an item whose `ttl` has
//! passed as absent. Every rule that must hold across Lambda instances is a condition expression.
//!
//! Items:
//! - `v#<request id>`: a verification (provider id, the number sealed with [`RecordCipher`],
//!   expiry, attempts and the names of the attempts counted, status and the attempt that settled
//!   it, and what its send was counted against);
//! - `number#<phone key>`: the number's recent sends, cooldown and streak, with a version that
//!   each write must match, and the reservation that wrote it;
//! - `count#<client key>#<hour>`: a client's sends in that UTC hour;
//! - `range#<range key>#<day>`, `country#<country>#<shard>#<day>`: unverified and verified sends
//!   on that UTC day;
//! - `spend#<day>#<shard>`: the day's estimated spend on one shard, in millionths of a dollar.
//!
//! Every write is safe to retry. The SDK tries a call again when its answer is lost (a timeout, a
//! dropped connection), though the first try may have been applied; each write therefore names
//! itself ([`WriteId`]), its condition fails when its own name is already there, and that failure,
//! read back with `ReturnValuesOnConditionCheckFailure`, is recognised as our own write and
//! taken as success.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, KeysAndAttributes, Put, ReturnValue,
    ReturnValuesOnConditionCheckFailure, ScalarAttributeType, TimeToLiveSpecification, TransactWriteItem, Update,
};
use time::OffsetDateTime;

use super::RecordCipher;
use crate::domain::channel::Channel;
use crate::domain::limits::{DayCount, NumberState, end_of_day};
use crate::domain::price::MicroUsd;
use crate::domain::request_id::RequestId;
use crate::domain::subject_key::SubjectKey;
use crate::domain::verification::{AttemptDenied, Finish, Verification, VerificationStatus};
use crate::domain::verification::{ProviderRequestId, Tally};
use crate::domain::write_id::WriteId;
use crate::ports::{
    AttemptError, Release, ReserveError, SendDenied, SendReservation, SendSubjects, Standing, StoreError,
    VerificationStore,
};

/// The table's partition key.
pub const PARTITION_KEY: &str = "pk";
/// The attribute DynamoDB's TTL reads (epoch seconds); the table must have TTL enabled on it.
pub const TTL_ATTRIBUTE: &str = "ttl";

/// How long a DynamoDB call may take: DynamoDB answers in milliseconds, but a call that has to
/// open a new TLS connection on a 128 MB Lambda's share of a CPU can take most of a second. Two
/// tries fit in the operation's bound, and a store that does not answer becomes a 503 with
/// `Retry-After` before Lambda's timeout would answer for us (the deployment test checks that the
/// functions' timeout covers two of these and the Vonage calls of a resend).
pub fn timeouts() -> aws_sdk_dynamodb::config::timeout::TimeoutConfig {
    aws_sdk_dynamodb::config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .operation_attempt_timeout(Duration::from_secs(2))
        .operation_timeout(Duration::from_secs(4))
        .build()
}

/// How long a call may take against a DynamoDB-compatible server on this machine: the tests, the
/// local loop and the benchmark. These bound a hang, not a speed. Moto is one Python process, and
/// the test command runs it beside eight Rust tests, the browser suite and the attack replay on
/// two cores: a call the deployed functions give 2 s can take several there, and a test about
/// something else must not fail on that. The deployed [`timeouts`] keep tests of their own,
/// against servers that answer late or never on purpose.
pub fn patient_timeouts() -> aws_sdk_dynamodb::config::timeout::TimeoutConfig {
    aws_sdk_dynamodb::config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(10))
        .operation_attempt_timeout(Duration::from_secs(60))
        .operation_timeout(Duration::from_secs(120))
        .build()
}

/// Transactions that collide with another on the same item are cancelled, not queued; these many
/// tries ride out a burst on one number or one client. (Also the calls a batch read may take.)
const TRANSACTION_TRIES: u32 = 4;

type Item = HashMap<String, AttributeValue>;

#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    cipher: std::sync::Arc<RecordCipher>,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>, cipher: RecordCipher) -> Self {
        Self { client, table: table.into(), cipher: std::sync::Arc::new(cipher) }
    }

    /// Builds a client from the SDK's standard configuration (region, credentials, and
    /// `AWS_ENDPOINT_URL_DYNAMODB` for a local server), within `timeouts`: the deployed
    /// [`timeouts`], or [`patient_timeouts`] for a server on this machine (the configuration's
    /// `StoreConfig` says which).
    pub async fn from_env(
        table: impl Into<String>,
        cipher: RecordCipher,
        timeouts: aws_sdk_dynamodb::config::timeout::TimeoutConfig,
    ) -> Self {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(crate::adapters::tls::aws_http_client())
            .timeout_config(timeouts)
            .load()
            .await;
        Self::new(Client::new(&config), table, cipher)
    }

    /// A store on a local DynamoDB-compatible server (moto) at `endpoint`, with static credentials
    /// in us-east-1 and the deployed functions' [`timeouts`]: for the benchmark and the tests of
    /// those timeouts.
    pub fn on_local_server(endpoint: &str, table: impl Into<String>, cipher: RecordCipher) -> Self {
        Self::on_local_server_within(endpoint, table, cipher, timeouts())
    }

    /// The same, with `timeouts` of the caller's.
    pub fn on_local_server_within(
        endpoint: &str,
        table: impl Into<String>,
        cipher: RecordCipher,
        timeouts: aws_sdk_dynamodb::config::timeout::TimeoutConfig,
    ) -> Self {
        use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .http_client(crate::adapters::tls::aws_http_client())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("local", "local", None, None, "local"))
            .endpoint_url(endpoint)
            .timeout_config(timeouts)
            .build();
        Self::new(Client::from_conf(config), table, cipher)
    }

    /// Opens the connection to DynamoDB (TCP, TLS, credentials) ahead of the first request, with
    /// a read of a key that is never written (half a read unit; `GetItem` is an action both
    /// functions already have). The SDK keeps the connection for the next call. Failures are left
    /// to that call to meet and report.
    pub async fn connect(&self) {
        let _ = self.client.get_item().table_name(&self.table).key(PARTITION_KEY, s("connect")).send().await;
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Sets the operator's switch (the item docs/operate/operations.md puts with the AWS CLI).
    pub async fn set_sending_stopped(&self, stopped: bool) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item(PARTITION_KEY, AttributeValue::S(SENDING_SWITCH_KEY.into()))
            .item(STOPPED, AttributeValue::Bool(stopped))
            .send()
            .await
            .map_err(|e| sdk_error("PutItem", e))?;
        Ok(())
    }

    /// Creates the table as the deployment template does (on-demand, TTL on `ttl`), for tests and
    /// local runs against a local DynamoDB-compatible server. A table that exists is left as it is.
    pub async fn create_table(&self) -> Result<(), StoreError> {
        let created = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(PARTITION_KEY)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .map_err(build_error)?,
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name(PARTITION_KEY)
                    .key_type(KeyType::Hash)
                    .build()
                    .map_err(build_error)?,
            )
            .send()
            .await;
        match created {
            Ok(_) => {}
            Err(e) if e.code() == Some("ResourceInUseException") => return Ok(()),
            Err(e) => return Err(sdk_error("CreateTable", e)),
        }
        self.client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .enabled(true)
                    .attribute_name(TTL_ATTRIBUTE)
                    .build()
                    .map_err(build_error)?,
            )
            .send()
            .await
            .map_err(|e| sdk_error("UpdateTimeToLive", e))?;
        Ok(())
    }

    /// Writes the number's state as the send leaves it, if it is still the state that was read.
    fn number_put(&self, r: &SendReservation) -> Result<Put, StoreError> {
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
    fn client_update(&self, subjects: &SendSubjects, room: i64) -> Result<Update, StoreError> {
        let key = client_key(subjects, subjects.window_start);
        let kept_until = subjects.window_end() + time::Duration::HOUR;
        self.counter_update(key, &[("n", 1)], kept_until, Some(room))
    }

    /// Adds `unverified` and `verified` to a day's counts, the unverified count kept below `room`
    /// when one is given. Kept to be read as yesterday's counts through the next day.
    fn day_update(
        &self,
        key: String,
        day: i64,
        unverified: i64,
        verified: i64,
        room: Option<i64>,
    ) -> Result<Update, StoreError> {
        self.counter_update(s(key), &[(UNVERIFIED, unverified), (VERIFIED, verified)], end_of_day(day + 1), room)
    }

    /// Adds `price` (negative: gives it back) to the day's spend shard, which stays at or below
    /// `share` when one is given.
    fn spend_update(&self, subjects: &SendSubjects, price: i64, share: Option<MicroUsd>) -> Result<Update, StoreError> {
        let below = share.map(|share| to_i64(share.0) - price + 1);
        self.counter_update(spend_key(subjects), &[(SPENT, price)], end_of_day(subjects.tally.day), below)
    }

    /// Adds to the counters `adds` of the item under `key` (created, kept until `kept_until`, if
    /// absent), if the first of them is below `below` when that is given.
    fn counter_update(
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
                .expression_attribute_values(format!(":a{i}"), int(*value));
        }
        if let Some(below) = below {
            update = update
                .condition_expression("attribute_not_exists(#a0) OR #a0 < :below")
                .expression_attribute_values(":below", int(below));
        }
        update.build().map_err(build_error)
    }

    fn key(id: &RequestId) -> AttributeValue {
        s(record_key(id))
    }

    fn write_item(&self, v: &Verification) -> Item {
        let (status, verified_at) = match &v.status {
            VerificationStatus::Pending => ("pending", None),
            VerificationStatus::Verified { at } => ("verified", Some(*at)),
            VerificationStatus::Locked => ("locked", None),
            VerificationStatus::Expired => ("expired", None),
        };
        let mut item = Item::from([
            (PARTITION_KEY.to_owned(), Self::key(&v.id)),
            ("provider_id".to_owned(), s(v.provider_id.as_str())),
            ("channel".to_owned(), s(v.channel.as_str())),
            (SEALED_PHONE.to_owned(), s(self.cipher.seal(&record_key(&v.id), &v.phone_e164))),
            ("created_at".to_owned(), epoch(v.created_at)),
            ("expires_at".to_owned(), epoch(v.expires_at)),
            ("attempts".to_owned(), n(v.attempts)),
            ("max_attempts".to_owned(), n(v.max_attempts)),
            ("status".to_owned(), s(status)),
            (TTL_ATTRIBUTE.to_owned(), epoch(v.delete_after())),
        ]);
        if let Some(at) = verified_at {
            item.insert("verified_at".to_owned(), epoch(at));
        }
        if let Some(tally) = &v.tally {
            let tally = HashMap::from([
                ("number".to_owned(), s(tally.number.as_str())),
                ("range".to_owned(), s(tally.range.as_str())),
                ("country".to_owned(), s(&tally.country)),
                ("shard".to_owned(), n(tally.shard)),
                ("day".to_owned(), int(tally.day)),
            ]);
            item.insert(TALLY.to_owned(), AttributeValue::M(tally));
        }
        item
    }

    fn read_item(&self, item: &Item) -> Result<Verification, StoreError> {
        let bad =
            |field: &str| StoreError::Failed(format!("verification item has a missing or malformed `{field}`").into());
        let text = |field: &str| item.get(field).and_then(|v| v.as_s().ok()).cloned().ok_or_else(|| bad(field));
        let number = |field: &str| {
            item.get(field).and_then(|v| v.as_n().ok()).and_then(|n| n.parse::<u32>().ok()).ok_or_else(|| bad(field))
        };
        let when = |field: &str| get_time(item, field).ok_or_else(|| bad(field));
        let key = text(PARTITION_KEY)?;
        let id = key.strip_prefix("v#").and_then(|id| RequestId::parse(id).ok()).ok_or_else(|| bad(PARTITION_KEY))?;
        let status = match text("status")?.as_str() {
            "pending" => VerificationStatus::Pending,
            "verified" => VerificationStatus::Verified { at: when("verified_at")? },
            "locked" => VerificationStatus::Locked,
            "expired" => VerificationStatus::Expired,
            _ => return Err(bad("status")),
        };
        let phone_e164 = match text(SEALED_PHONE) {
            Ok(sealed) => self.cipher.open(&key, &sealed).map_err(|e| StoreError::Failed(e.into()))?,
            // Written before numbers were sealed: such a record lives at most its code's lifetime
            // and RECORD_RETENTION after the upgrade, and is still read rather than refused.
            Err(missing) => text(LEGACY_PLAIN_PHONE).map_err(|_| missing)?,
        };
        // Records written before calls were offered name no channel: they went by SMS.
        let channel = match item.get("channel") {
            None => Channel::Sms,
            Some(_) => Channel::from_name(&text("channel")?).ok_or_else(|| bad("channel"))?,
        };
        let tally = match item.get(TALLY) {
            None => None,
            Some(tally) => Some(read_tally(tally).ok_or_else(|| bad(TALLY))?),
        };
        Ok(Verification {
            id,
            provider_id: ProviderRequestId::parse(&text("provider_id")?).ok_or_else(|| bad("provider_id"))?,
            phone_e164,
            channel,
            created_at: when("created_at")?,
            expires_at: when("expires_at")?,
            attempts: number("attempts")?,
            max_attempts: number("max_attempts")?,
            status,
            tally,
        })
    }
}

impl VerificationStore for DynamoStore {
    async fn standing(&self, subjects: &SendSubjects) -> Result<Standing, StoreError> {
        let tally = &subjects.tally;
        let [range_yesterday, range_today] = [tally.day - 1, tally.day].map(|day| range_key(tally, day));
        let [country_yesterday, country_today] = [tally.day - 1, tally.day].map(|day| country_key(tally, day));
        let keys = [
            number_key(&tally.number),
            client_key(subjects, subjects.window_start - time::Duration::HOUR),
            client_key(subjects, subjects.window_start),
            range_yesterday,
            range_today,
            country_yesterday,
            country_today,
            spend_key(subjects),
            AttributeValue::S(SENDING_SWITCH_KEY.into()),
        ];
        let items = self.batch_get(&keys).await?;
        let item = |key: &AttributeValue| key.as_s().ok().and_then(|k| items.get(k));
        let count = |key: &AttributeValue| {
            item(key).map_or_else(DayCount::default, |i| DayCount {
                unverified: get_int(i, UNVERIFIED).unwrap_or(0),
                verified: get_int(i, VERIFIED).unwrap_or(0),
            })
        };
        let client_sends = |key: &AttributeValue| {
            item(key).and_then(|i| get_int(i, "n")).map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX))
        };
        Ok(Standing {
            number: item(&keys[0]).map(read_number).unwrap_or_default(),
            client_sends: [client_sends(&keys[1]), client_sends(&keys[2])],
            range: [count(&keys[3]), count(&keys[4])],
            country: [count(&keys[5]), count(&keys[6])],
            spent: MicroUsd(
                item(&keys[7]).and_then(|i| get_int(i, SPENT)).map_or(0, |n| u64::try_from(n).unwrap_or(0)),
            ),
            sending_stopped: item(&keys[8]).and_then(|i| i.get(STOPPED)).and_then(|v| v.as_bool().ok()) == Some(&true),
        })
    }

    async fn reserve_send(&self, r: &SendReservation) -> Result<(), ReserveError> {
        if r.price.0 > r.spend_share.0 {
            return Err(ReserveError::Denied(SendDenied::SpendingPaused { until: end_of_day(r.subjects.tally.day) }));
        }
        let tally = &r.subjects.tally;
        let items = [
            TransactWriteItem::builder().put(self.number_put(r)?).build(),
            update_item(self.client_update(&r.subjects, r.client_room)?),
            update_item(self.day_update(range_string(tally, tally.day), tally.day, 1, 0, Some(r.range_room))?),
            update_item(self.day_update(country_string(tally, tally.day), tally.day, 1, 0, Some(r.country_room))?),
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
            SendDenied::Changed
        } else if failed(1) {
            SendDenied::ClientCapped { until: r.subjects.window_end() }
        } else if failed(2) || failed(3) {
            SendDenied::DestinationPaused { until: end_of_day(tally.day) }
        } else {
            SendDenied::SpendingPaused { until: end_of_day(tally.day) }
        };
        Err(ReserveError::Denied(denied))
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
            .expression_attribute_values(":by", s(r.id.as_str()))
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
        now: OffsetDateTime,
    ) -> Result<Verification, AttemptError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, Self::key(id))
            .update_expression("SET #attempts = #attempts + :one ADD #tries :attempt")
            .condition_expression(
                "attribute_exists(#pk) AND #status = :pending AND #attempts < #max \
                 AND #expires > :now AND #ttl > :now \
                 AND (attribute_not_exists(#tries) OR NOT contains(#tries, :attempt_id))",
            )
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#tries", TRIES)
            .expression_attribute_values(":attempt", AttributeValue::Ss(vec![attempt.as_str().to_owned()]))
            .expression_attribute_values(":attempt_id", s(attempt.as_str()))
            .expression_attribute_names("#attempts", "attempts")
            .expression_attribute_names("#max", "max_attempts")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#expires", "expires_at")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":pending", s("pending"))
            .expression_attribute_values(":now", epoch(now))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => out
                .attributes()
                .map(|item| self.read_item(item))
                .transpose()?
                .ok_or_else(|| StoreError::Failed("UpdateItem returned no attributes".into()).into()),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {
                let old = self.item_on_condition_failure(id, e).await?;
                if old.as_ref().is_some_and(|item| set_contains(item, TRIES, attempt.as_str())) {
                    // Our own attempt, counted by a try whose answer was lost.
                    return Ok(self.read_item(&old.expect("checked just above"))?);
                }
                let old = old.map(|item| self.read_item(&item)).transpose()?.filter(|v| v.delete_after() > now);
                let denied = old.and_then(|v| v.check_refusal(now)).unwrap_or(AttemptDenied::NotFound);
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
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":attempt", AttributeValue::Ss(vec![attempt.as_str().to_owned()]))
            .expression_attribute_values(":attempt_id", s(attempt.as_str()))
            .expression_attribute_values(":pending", s("pending"))
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
            .expression_attribute_values(":pending", s("pending"))
            .expression_attribute_values(":attempt", s(attempt.as_str()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let update = match how {
            Finish::Verified { at } => update
                .update_expression("SET #status = :status, #settled_by = :attempt, #verified_at = :at")
                .expression_attribute_names("#verified_at", "verified_at")
                .expression_attribute_values(":status", s("verified"))
                .expression_attribute_values(":at", epoch(at)),
            Finish::Locked => update
                .update_expression("SET #status = :status, #settled_by = :attempt")
                .expression_attribute_values(":status", s("locked")),
            Finish::Expired => update
                .update_expression("SET #status = :status, #settled_by = :attempt")
                .expression_attribute_values(":status", s("expired")),
        };
        let mut items = vec![update_item(update.build().map_err(build_error)?)];
        if let (Finish::Verified { at }, Some(tally)) = (how, tally) {
            items.push(update_item(self.streak_end(&tally.number, at)?));
            items.push(update_item(self.day_update(range_string(tally, tally.day), tally.day, -1, 1, None)?));
            items.push(update_item(self.day_update(country_string(tally, tally.day), tally.day, -1, 1, None)?));
        }
        match self.transact(&format!("{}f", attempt.as_str()), &items).await? {
            None => Ok(true),
            Some(reasons) => {
                // Settled already: by this attempt (a try whose answer was lost), or by another.
                let old = match reasons.first().and_then(|r| r.item()) {
                    Some(item) => Some(item.clone()),
                    None => self.raw_item(Self::key(id)).await?,
                };
                Ok(holds_text(old.as_ref(), SETTLED_BY, attempt.as_str()))
            }
        }
    }

    async fn get(&self, id: &RequestId, now: OffsetDateTime) -> Result<Option<Verification>, StoreError> {
        let verification = self.raw_item(Self::key(id)).await?.map(|item| self.read_item(&item)).transpose()?;
        Ok(verification.filter(|v| v.delete_after() > now))
    }
}

impl DynamoStore {
    /// The item as it was when an `UpdateItem`'s condition failed: from the error, where the
    /// server returned it, else read back.
    async fn item_on_condition_failure<R: std::fmt::Debug + Send + Sync + 'static>(
        &self,
        id: &RequestId,
        err: SdkError<aws_sdk_dynamodb::operation::update_item::UpdateItemError, R>,
    ) -> Result<Option<Item>, StoreError> {
        let returned = match err.into_service_error() {
            aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(c) => c.item,
            _ => None,
        };
        match returned {
            Some(item) => Ok(Some(item)),
            None => self.raw_item(Self::key(id)).await,
        }
    }

    /// Ends the number's streak of unverified codes (a code was entered at `at`).
    fn streak_end(&self, number: &SubjectKey, at: OffsetDateTime) -> Result<Update, StoreError> {
        Update::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, number_key(number))
            .update_expression("SET #streak = :zero, #ttl = if_not_exists(#ttl, :ttl) ADD #version :one")
            .expression_attribute_names("#streak", STREAK)
            .expression_attribute_names("#version", VERSION)
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":ttl", epoch(at + time::Duration::DAY))
            .build()
            .map_err(build_error)
    }

    /// Applies `items` as one transaction, named `name` (a retry of it is applied once). Returns
    /// the cancellation reasons when a condition failed, and tries again, a few times, when it
    /// only collided with concurrent transactions.
    async fn transact(
        &self,
        name: &str,
        items: &[TransactWriteItem],
    ) -> Result<Option<Vec<aws_sdk_dynamodb::types::CancellationReason>>, StoreError> {
        // DynamoDB applies a transaction once per token for 10 minutes. The SDK's own retries of a
        // call reuse its token (after a lost answer, or `TransactionInProgressException` while an
        // earlier try is still being applied); a try after a cancellation is a new transaction.
        for attempt in 1..=TRANSACTION_TRIES {
            let result = self
                .client
                .transact_write_items()
                .client_request_token(format!("{name}-{attempt}"))
                .set_transact_items(Some(items.to_vec()))
                .send()
                .await;
            let err = match result {
                Ok(_) => return Ok(None),
                Err(err) => err,
            };
            let reasons = match err.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(c)) => c.cancellation_reasons().to_vec(),
                _ => return Err(sdk_error("TransactWriteItems", err)),
            };
            if reasons.iter().any(|r| r.code() == Some("ConditionalCheckFailed")) {
                return Ok(Some(reasons));
            }
            // Only conflicts with concurrent transactions: try again after a short, jittered pause.
            if attempt < TRANSACTION_TRIES {
                tokio::time::sleep(Duration::from_millis(10 + u64::from(rand_jitter()) % 40)).await;
            }
        }
        Err(StoreError::Unavailable("TransactWriteItems: the transaction kept conflicting with others".into()))
    }

    /// The items under `keys` (consistent reads), by key, in as many calls as the server needs.
    async fn batch_get(&self, keys: &[AttributeValue]) -> Result<HashMap<String, Item>, StoreError> {
        let mut found = HashMap::new();
        let mut pending: Vec<Item> =
            keys.iter().map(|key| Item::from([(PARTITION_KEY.to_owned(), key.clone())])).collect();
        for _ in 0..TRANSACTION_TRIES {
            let wanted = KeysAndAttributes::builder()
                .set_keys(Some(pending))
                .consistent_read(true)
                .build()
                .map_err(build_error)?;
            let out = self
                .client
                .batch_get_item()
                .request_items(&self.table, wanted)
                .send()
                .await
                .map_err(|e| sdk_error("BatchGetItem", e))?;
            for item in out.responses.unwrap_or_default().remove(&self.table).unwrap_or_default() {
                if let Some(key) = item.get(PARTITION_KEY).and_then(|k| k.as_s().ok()) {
                    found.insert(key.clone(), item);
                }
            }
            pending = out.unprocessed_keys.unwrap_or_default().remove(&self.table).map(|k| k.keys).unwrap_or_default();
            if pending.is_empty() {
                return Ok(found);
            }
        }
        Err(StoreError::Unavailable("BatchGetItem: keys kept coming back unprocessed".into()))
    }

    /// The item under `key` as it is now (a consistent read), whatever its `ttl`.
    async fn raw_item(&self, key: AttributeValue) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, key)
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("GetItem", e))?;
        Ok(out.item)
    }
}

/// The attribute holding the sealed E.164 number (see [`RecordCipher`]).
pub const SEALED_PHONE: &str = "phone_sealed";
/// Where records written before numbers were sealed kept them in plain text.
const LEGACY_PLAIN_PHONE: &str = "phone";
/// A number's state: its version, streak of unverified codes and recent sends (a list of times).
const VERSION: &str = "version";
const STREAK: &str = "streak";
const SENDS: &str = "sends";
/// A day's counts of a range or a country shard.
const UNVERIFIED: &str = "unverified";
const VERIFIED: &str = "verified";
/// A spend shard's total, in millionths of a dollar.
const SPENT: &str = "spent";
/// The operator's switch (docs/operate/operations.md): the item `{"pk": "switch#sending", "stopped": true}`
/// stops every send until it is removed or set to false. Read with the limits, in the same
/// `BatchGetItem`: no call, no cache.
pub const SENDING_SWITCH_KEY: &str = "switch#sending";
pub const STOPPED: &str = "stopped";
/// What a verification's send was counted against (a map; see [`Tally`]).
const TALLY: &str = "tally";
/// The names of the attempts counted against a verification (a string set).
const TRIES: &str = "tries";
/// A number's last verification (see [`NumberState::last_request`]).
const LAST_REQUEST: &str = "last";
/// The attempt that moved a verification out of `pending`.
const SETTLED_BY: &str = "settled_by";

/// A verification's partition key value, which is also its sealed fields' associated data.
fn record_key(id: &RequestId) -> String {
    format!("v#{id}")
}

/// The item holding a number's recent sends.
fn number_key(number: &SubjectKey) -> AttributeValue {
    s(format!("number#{}", number.as_str()))
}

/// A client's count of sends in the UTC hour from `hour`.
fn client_key(subjects: &SendSubjects, hour: OffsetDateTime) -> AttributeValue {
    s(format!("count#{}#{}", subjects.client.as_str(), hour.unix_timestamp()))
}

/// A range's counts on `day`.
fn range_string(tally: &Tally, day: i64) -> String {
    format!("range#{}#{day}", tally.range.as_str())
}

fn range_key(tally: &Tally, day: i64) -> AttributeValue {
    s(range_string(tally, day))
}

/// A country shard's counts on `day`.
fn country_string(tally: &Tally, day: i64) -> String {
    format!("country#{}#{}#{day}", tally.country, tally.shard)
}

fn country_key(tally: &Tally, day: i64) -> AttributeValue {
    s(country_string(tally, day))
}

/// A spend shard of the send's day.
fn spend_key(subjects: &SendSubjects) -> AttributeValue {
    s(format!("spend#{}#{}", subjects.tally.day, subjects.spend_shard))
}

/// A number's state as an item: kept until its last send leaves the 24-hour window.
fn number_item(number: &SubjectKey, state: &NumberState, now: OffsetDateTime) -> Item {
    let keep_until = state.recent_sends.last().map_or(now, |at| *at + time::Duration::DAY);
    let keep_until = state.cooldown_until.map_or(keep_until, |until| until.max(keep_until));
    let mut item = Item::from([
        (PARTITION_KEY.to_owned(), number_key(number)),
        (VERSION.to_owned(), AttributeValue::N(state.version.to_string())),
        (STREAK.to_owned(), n(state.unverified_streak)),
        (SENDS.to_owned(), AttributeValue::L(state.recent_sends.iter().map(|at| epoch(*at)).collect())),
        (TTL_ATTRIBUTE.to_owned(), epoch(keep_until)),
    ]);
    if let Some(until) = state.cooldown_until {
        item.insert("until".to_owned(), epoch(until));
    }
    if let Some(by) = &state.reserved_by {
        item.insert("by".to_owned(), s(by.as_str()));
    }
    if let Some(last) = &state.last_request {
        item.insert(LAST_REQUEST.to_owned(), s(last.as_str()));
    }
    item
}

/// A number's state from its item. One whose `ttl` has passed (TTL deletes late) is read as it
/// is: the rules ignore sends and cooldowns that are over, and a write must match its version.
fn read_number(item: &Item) -> NumberState {
    let version = get_int(item, VERSION).and_then(|v| u64::try_from(v).ok()).unwrap_or(0);
    let sends = item.get(SENDS).and_then(|v| v.as_l().ok()).map(|list| {
        list.iter()
            .filter_map(|at| at.as_n().ok()?.parse::<i64>().ok())
            .filter_map(|at| OffsetDateTime::from_unix_timestamp(at).ok())
            .collect()
    });
    NumberState {
        version,
        cooldown_until: get_time(item, "until"),
        unverified_streak: get_int(item, STREAK).and_then(|v| u32::try_from(v).ok()).unwrap_or(0),
        recent_sends: sends.unwrap_or_default(),
        reserved_by: item.get("by").and_then(|v| v.as_s().ok()).map(|by| WriteId::from_stored(by.clone())),
        last_request: item.get(LAST_REQUEST).and_then(|v| RequestId::parse(v.as_s().ok()?).ok()),
    }
}

/// A verification's tally, from its map attribute.
fn read_tally(value: &AttributeValue) -> Option<Tally> {
    let map = value.as_m().ok()?;
    let text = |field: &str| map.get(field)?.as_s().ok().cloned();
    Some(Tally {
        number: SubjectKey::parse(&text("number")?)?,
        range: SubjectKey::parse(&text("range")?)?,
        country: text("country")?,
        shard: get_int(map, "shard")?.try_into().ok()?,
        day: get_int(map, "day")?,
    })
}

fn update_item(update: Update) -> TransactWriteItem {
    TransactWriteItem::builder().update(update).build()
}

/// Whether `item` has the string `value` in `field`: a write's own name, read back.
fn holds_text(item: Option<&Item>, field: &str, value: &str) -> bool {
    item.and_then(|i| i.get(field)).and_then(|v| v.as_s().ok()).is_some_and(|text| text == value)
}

fn set_contains(item: &Item, field: &str, value: &str) -> bool {
    item.get(field).and_then(|v| v.as_ss().ok()).is_some_and(|set| set.iter().any(|s| s == value))
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: u32) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn int(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn get_int(item: &Item, field: &str) -> Option<i64> {
    item.get(field)?.as_n().ok()?.parse().ok()
}

fn epoch(t: OffsetDateTime) -> AttributeValue {
    AttributeValue::N(t.unix_timestamp().to_string())
}

fn get_time(item: &Item, field: &str) -> Option<OffsetDateTime> {
    let seconds = item.get(field)?.as_n().ok()?.parse::<i64>().ok()?;
    OffsetDateTime::from_unix_timestamp(seconds).ok()
}

fn rand_jitter() -> u32 {
    // The low bits of the clock are random enough to spread retries apart.
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos())
}

fn build_error(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Failed(format!("invalid DynamoDB request: {e}").into())
}

/// Throttling, a timeout or a failure to reach DynamoDB is worth retrying shortly (503); anything
/// else is a call that is wrong (500). The SDK's error stays whole, as the source.
fn sdk_error<E, R>(operation: &'static str, err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let unavailable = matches!(err, SdkError::TimeoutError(_) | SdkError::DispatchFailure(_))
        || matches!(
            err.code(),
            Some("ProvisionedThroughputExceededException" | "ThrottlingException" | "RequestLimitExceeded")
        );
    let failed = Box::new(CallFailed { operation, source: Box::new(err) });
    if unavailable { StoreError::Unavailable(failed) } else { StoreError::Failed(failed) }
}

/// A DynamoDB call that failed, naming the operation.
#[derive(Debug, thiserror::Error)]
#[error("DynamoDB {operation}")]
struct CallFailed {
    operation: &'static str,
    #[source]
    source: crate::ports::ErrorSource,
}
