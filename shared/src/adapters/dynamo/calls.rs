//! The SDK's calls as the store makes them: transactions retried on conflict, batch reads to
//! the end, an item read back after a failed condition, and the SDK's errors mapped to the port's.

use super::*;

/// Transactions that collide with another on the same item are cancelled, not queued; these many
/// tries ride out a burst on one number or one client. (Also the calls a batch read may take.)
pub(super) const TRANSACTION_TRIES: u32 = 4;

/// A transaction cancelled because a key's throughput was exceeded (`ThrottlingError`, which the
/// SDK does not retry) is tried again after pauses that double from this one, up to
/// [`THROTTLE_TRIES`] tries (0.75 s of pauses in all); the tries together stay within one
/// call's bound (the client's operation timeout), which the functions' timeouts count on.
pub(super) const THROTTLE_PAUSE: Duration = Duration::from_millis(50);
pub(super) const THROTTLE_TRIES: u32 = 5;

/// Why a transaction was cancelled, when no condition failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cancelled {
    /// A key's throughput was exceeded.
    Throttled,
    /// It collided with a concurrent transaction on one of its items.
    Conflict,
}

impl DynamoStore {
    /// The item at `key` as it was when an `UpdateItem`'s condition failed: from the error, where
    /// the server returned it, else read back.
    pub(crate) async fn item_on_condition_failure<R: std::fmt::Debug + Send + Sync + 'static>(
        &self,
        key: AttributeValue,
        err: SdkError<aws_sdk_dynamodb::operation::update_item::UpdateItemError, R>,
    ) -> Result<Option<Item>, StoreError> {
        let returned = match err.into_service_error() {
            aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(c) => c.item,
            _ => None,
        };
        match returned {
            Some(item) => Ok(Some(item)),
            None => self.raw_item(key).await,
        }
    }

    /// Applies `items` as one transaction, named `name` (a retry of it is applied once). Returns
    /// the cancellation reasons when a condition failed. A transaction that only collided with
    /// concurrent ones is tried again a few times at once; one throttled on a key, after growing
    /// pauses; and one still throttled is the store unavailable for now (a 503), named as such.
    pub(crate) async fn transact(
        &self,
        name: &str,
        items: &[TransactWriteItem],
    ) -> Result<Option<Vec<aws_sdk_dynamodb::types::CancellationReason>>, StoreError> {
        let bound = self.client.config().timeout_config().and_then(|t| t.operation_timeout());
        let tries = self.transact_tries(name, items);
        match bound {
            None => tries.await,
            Some(bound) => tokio::time::timeout(bound, tries).await.unwrap_or_else(|_| {
                Err(StoreError::Unavailable(format!("TransactWriteItems: no answer within {bound:?}").into()))
            }),
        }
    }

    /// [`Self::transact`]'s tries, unbounded.
    async fn transact_tries(
        &self,
        name: &str,
        items: &[TransactWriteItem],
    ) -> Result<Option<Vec<aws_sdk_dynamodb::types::CancellationReason>>, StoreError> {
        let (mut attempt, mut conflicts, mut throttles) = (0, 0, 0);
        // DynamoDB applies a transaction once per token for 10 minutes. The SDK's own retries of a
        // call reuse its token (after a lost answer, or `TransactionInProgressException` while an
        // earlier try is still being applied); a try after a cancellation is a new transaction.
        loop {
            attempt += 1;
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
            let pause = match cancelled_by(&reasons) {
                Cancelled::Throttled => {
                    throttles += 1;
                    let pause = THROTTLE_PAUSE * 2u32.pow(throttles - 1);
                    if throttles == THROTTLE_TRIES {
                        return Err(StoreError::Unavailable(
                            "TransactWriteItems: throttled: a key's throughput was exceeded".into(),
                        ));
                    }
                    pause
                }
                Cancelled::Conflict => {
                    conflicts += 1;
                    if conflicts == TRANSACTION_TRIES {
                        return Err(StoreError::Unavailable(
                            "TransactWriteItems: the transaction kept conflicting with others".into(),
                        ));
                    }
                    Duration::from_millis(10)
                }
            };
            // Jittered, so that the calls a throttle or a conflict cancelled together come apart.
            tokio::time::sleep(pause + Duration::from_millis(u64::from(rand_jitter()) % 40)).await;
        }
    }

    /// The items under `keys` (consistent reads), by key, in as many calls as the server needs.
    pub(crate) async fn batch_get(&self, keys: &[AttributeValue]) -> Result<HashMap<String, Item>, StoreError> {
        let mut found = HashMap::new();
        let mut pending: Vec<Item> =
            keys.iter().map(|key| Item::from([(PARTITION_KEY.to_owned(), key.clone())])).collect();
        for attempt in 0..TRANSACTION_TRIES {
            if attempt > 0 {
                // Keys come back unprocessed when their partition's throughput is exceeded.
                let jitter = Duration::from_millis(u64::from(rand_jitter()) % 40);
                tokio::time::sleep(THROTTLE_PAUSE * 2u32.pow(attempt - 1) + jitter).await;
            }
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
    pub(crate) async fn raw_item(&self, key: AttributeValue) -> Result<Option<Item>, StoreError> {
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

/// A cancellation with no failed condition: throttled when any item was.
fn cancelled_by(reasons: &[aws_sdk_dynamodb::types::CancellationReason]) -> Cancelled {
    if reasons.iter().any(|r| r.code() == Some("ThrottlingError")) { Cancelled::Throttled } else { Cancelled::Conflict }
}

pub(crate) fn rand_jitter() -> u32 {
    // The low bits of the clock are random enough to spread retries apart.
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos())
}

pub(crate) fn build_error(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Failed(format!("invalid DynamoDB request: {e}").into())
}

/// Throttling, a timeout or a failure to reach DynamoDB is worth retrying shortly (503); anything
/// else is a call that is wrong (500). The SDK's error stays whole, as the source.
pub(crate) fn sdk_error<E, R>(operation: &'static str, err: SdkError<E, R>) -> StoreError
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
pub(super) struct CallFailed {
    operation: &'static str,
    #[source]
    source: crate::ports::ErrorSource,
}
