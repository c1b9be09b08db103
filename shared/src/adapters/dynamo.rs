//! The DynamoDB store: one table, partition key `pk`, every item expiring through the `ttl`
//! attribute. TTL deletes lazily (up to days late), so every read treats an item whose `ttl` has
//! passed as absent. Every rule that must hold across Lambda instances is a condition expression.
//!
//! Items:
//! - `v#<request id>`: a verification (provider id, the number sealed with [`RecordCipher`],
//!   expiry, attempts and the names of the attempts counted, status and the attempt that settled
//!   it);
//! - `cooldown#<phone key>`: until when the number may not get another code, and the reservation
//!   that started it;
//! - `count#<phone or ip key>#<hour>`: sends counted in that UTC hour.
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
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ReturnValue,
    ReturnValuesOnConditionCheckFailure, ScalarAttributeType, TimeToLiveSpecification, TransactWriteItem, Update,
};
use time::OffsetDateTime;

use super::RecordCipher;
use crate::domain::request_id::RequestId;
use crate::domain::verification::{AttemptDenied, Finish, Verification, VerificationStatus};
use crate::ports::{
    AttemptError, ProviderRequestId, ReserveError, SendDenied, SendReservation, StoreError, SubjectKey,
    VerificationStore, WriteId,
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

/// Transactions that collide with another on the same item are cancelled, not queued; these many
/// tries ride out a burst on one number or one IP.
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
    /// `AWS_ENDPOINT_URL_DYNAMODB` for a local server).
    pub async fn from_env(table: impl Into<String>, cipher: RecordCipher) -> Self {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(crate::runtime::tls::aws_http_client())
            .timeout_config(timeouts())
            .load()
            .await;
        Self::new(Client::new(&config), table, cipher)
    }

    /// A store on a local DynamoDB-compatible server (moto) at `endpoint`, with static credentials
    /// in us-east-1: for tests and the benchmark.
    pub fn on_local_server(endpoint: &str, table: impl Into<String>, cipher: RecordCipher) -> Self {
        use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .http_client(crate::runtime::tls::aws_http_client())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("local", "local", None, None, "local"))
            .endpoint_url(endpoint)
            .timeout_config(timeouts())
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

    fn cooldown_update(&self, r: &SendReservation) -> Result<Update, StoreError> {
        Update::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, cooldown_key(r))
            .update_expression("SET #until = :until, #by = :by, #ttl = :until")
            // Past its cooldown, and not already reserved by this very reservation (a retry).
            .condition_expression(
                "(attribute_not_exists(#pk) OR #until <= :now) AND (attribute_not_exists(#by) OR #by <> :by)",
            )
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#until", "until")
            .expression_attribute_names("#by", "by")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":until", epoch(r.cooldown_until))
            .expression_attribute_values(":by", s(r.id.as_str()))
            .expression_attribute_values(":now", epoch(r.now))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build_error)
    }

    fn counter_update(&self, subject: &SubjectKey, r: &SendReservation, max: u32) -> Result<Update, StoreError> {
        Update::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(format!("count#{}#{}", subject.0, r.window_start.unix_timestamp())))
            .update_expression("ADD #n :one SET #ttl = :window_end")
            .condition_expression("attribute_not_exists(#pk) OR #n < :max")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#n", "n")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":max", n(max))
            .expression_attribute_values(":window_end", epoch(r.window_end()))
            .build()
            .map_err(build_error)
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
            ("provider_id".to_owned(), s(&v.provider_id.0)),
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
        Ok(Verification {
            id,
            provider_id: ProviderRequestId(text("provider_id")?),
            phone_e164,
            created_at: when("created_at")?,
            expires_at: when("expires_at")?,
            attempts: number("attempts")?,
            max_attempts: number("max_attempts")?,
            status,
        })
    }
}

impl VerificationStore for DynamoStore {
    async fn reserve_send(&self, r: &SendReservation) -> Result<(), ReserveError> {
        let items = [
            self.cooldown_update(r)?,
            self.counter_update(&r.phone, r, r.max_per_number)?,
            self.counter_update(&r.ip, r, r.max_per_ip)?,
        ];
        // DynamoDB applies a transaction once per token for 10 minutes. The SDK's own retries of a
        // call reuse its token (after a lost answer, or `TransactionInProgressException` while an
        // earlier try is still being applied); a try after a cancellation is a new transaction.
        let mut transaction = 1;
        for attempt in 1..=TRANSACTION_TRIES {
            let token = format!("{}-{transaction}", r.id.as_str());
            let result = self
                .client
                .transact_write_items()
                .client_request_token(token)
                .set_transact_items(Some(
                    items.iter().map(|u| TransactWriteItem::builder().update(u.clone()).build()).collect(),
                ))
                .send()
                .await;
            let err = match result {
                Ok(_) => return Ok(()),
                Err(err) => err,
            };
            let reasons = match err.as_service_error() {
                Some(e) if e.is_transaction_canceled_exception() => match e {
                    aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c) => {
                        c.cancellation_reasons().to_vec()
                    }
                    _ => unreachable!("checked just above"),
                },
                _ => return Err(sdk_error("TransactWriteItems", err).into()),
            };
            let failed = |i: usize| reasons.get(i).and_then(|r| r.code()) == Some("ConditionalCheckFailed");
            let (cooling, number_capped, ip_capped) = (failed(0), failed(1), failed(2));
            if !(cooling || number_capped || ip_capped) {
                // Only conflicts with concurrent transactions: try again after a short, jittered pause.
                if attempt < TRANSACTION_TRIES {
                    tokio::time::sleep(Duration::from_millis(10 + u64::from(rand_jitter()) % 40)).await;
                    transaction += 1;
                    continue;
                }
                return Err(StoreError::Unavailable(
                    "TransactWriteItems: the transaction kept conflicting with others".into(),
                )
                .into());
            }
            let cooldown = if cooling {
                let item = match reasons[0].item() {
                    Some(item) => Some(item.clone()),
                    None => self.raw_item(cooldown_key(r)).await?,
                };
                if holds_text(item.as_ref(), "by", r.id.as_str()) {
                    return Ok(()); // our own reservation, applied by a try whose answer was lost
                }
                item.as_ref().and_then(|i| get_time(i, "until")).filter(|until| *until > r.now)
            } else {
                None
            };
            let denied = if number_capped || ip_capped {
                SendDenied::RateLimited { until: cooldown.map_or(r.window_end(), |c| c.max(r.window_end())) }
            } else {
                SendDenied::Cooldown { until: cooldown.unwrap_or(r.cooldown_until) }
            };
            return Err(ReserveError::Denied(denied));
        }
        unreachable!("the loop returns on its last try")
    }

    async fn release_send(&self, r: &SendReservation) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, cooldown_key(r))
            .condition_expression("#by = :by")
            .expression_attribute_names("#by", "by")
            .expression_attribute_values(":by", s(r.id.as_str()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(()),
            Err(e) => Err(sdk_error("DeleteItem", e)),
        }
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

    async fn finish(&self, id: &RequestId, how: Finish, attempt: &WriteId) -> Result<bool, StoreError> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, Self::key(id))
            .condition_expression("#status = :pending")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#settled_by", SETTLED_BY)
            .expression_attribute_values(":pending", s("pending"))
            .expression_attribute_values(":attempt", s(attempt.as_str()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        update = match how {
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
        match update.send().await {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {
                // Settled already: by this attempt (a try whose answer was lost), or by another.
                let old = self.item_on_condition_failure(id, e).await?;
                Ok(holds_text(old.as_ref(), SETTLED_BY, attempt.as_str()))
            }
            Err(e) => Err(sdk_error("UpdateItem", e)),
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
/// The names of the attempts counted against a verification (a string set).
const TRIES: &str = "tries";
/// The attempt that moved a verification out of `pending`.
const SETTLED_BY: &str = "settled_by";

/// A verification's partition key value, which is also its sealed fields' associated data.
fn record_key(id: &RequestId) -> String {
    format!("v#{id}")
}

/// The key of the item holding a number's cooldown.
fn cooldown_key(r: &SendReservation) -> AttributeValue {
    s(format!("cooldown#{}", r.phone.0))
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
