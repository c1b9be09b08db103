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
//! - `spend#<day>#<shard>`: the day's estimated spend on one shard, in millionths of a dollar;
//! - the sign-in's items (`flow#`, `flows#`, `code#`, `session#`), which the sign-in part keeps
//!   with this store's [`kit`] (`crate::sign_in::dynamo`).
//!
//! Every write is safe to retry. The SDK tries a call again when its answer is lost (a timeout, a
//! dropped connection), though the first try may have been applied; each write therefore names
//! itself ([`WriteId`]), its condition fails when its own name is already there, and that failure,
//! read back with `ReturnValuesOnConditionCheckFailure`, is recognised as our own write and
//! taken as success.
//!
//! The files: this one (the store, its client and timeouts), [`schema`] (keys and attribute
//! names), [`items`] (records to and from items), [`writes`] (the conditional writes),
//! [`calls`] (the SDK's calls and errors), [`store`] (the port), [`admin`] (the table, the switch).

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
use crate::domain::flow_id::FlowId;
use crate::domain::limits::{DayCount, NumberState, end_of_day};
use crate::domain::price::MicroUsd;
use crate::domain::provider::ProviderName;
use crate::domain::request_id::RequestId;
use crate::domain::rule::{Refusal, Rule};
use crate::domain::subject_key::SubjectKey;
use crate::domain::verification::{AttemptDenied, Finish, Verification, VerificationStatus};
use crate::domain::verification::{ProviderRequestId, Tally};
use crate::domain::write_id::WriteId;
use crate::ports::{
    AttemptError, Release, ReserveError, SendReservation, SendSubjects, Standing, StoreError, TestGuess,
    VerificationStore,
};

mod admin;
mod calls;
mod items;
mod reports;
mod schema;
mod store;
mod writes;

use self::calls::*;
use self::items::*;
use self::schema::*;
pub use self::schema::{SEALED_PHONE, SENDING_SWITCH_KEY, STOPPED};
use self::writes::*;

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

pub(crate) type Item = HashMap<String, AttributeValue>;

/// What a part above keeps its own items with on this table (the sign-in's
/// `crate::sign_in::dynamo`): the calls, the item helpers and the SDK's types.
pub(crate) mod kit {
    pub(crate) use super::calls::{build_error, sdk_error};
    pub(crate) use super::items::{count_value, epoch, get_time, holds_text, set_contains, text_value};
    pub(crate) use super::schema::SEALED_PHONE;
    pub(crate) use super::writes::update_item;
    pub(crate) use super::{DynamoStore, Item, PARTITION_KEY, TTL_ATTRIBUTE};
    pub(crate) use aws_sdk_dynamodb::types::{
        AttributeValue, Put, ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
    };
}

#[derive(Debug, Clone)]
pub struct DynamoStore {
    pub(crate) client: Client,
    pub(crate) table: String,
    pub(crate) cipher: std::sync::Arc<RecordCipher>,
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
        Self::with_sdk_config(&crate::adapters::tls::aws_sdk_config(timeouts).await, table, cipher)
    }

    /// The same on an SDK configuration already loaded (a cold start loads one for all its clients).
    pub fn with_sdk_config(config: &aws_config::SdkConfig, table: impl Into<String>, cipher: RecordCipher) -> Self {
        Self::new(Client::new(config), table, cipher)
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
    /// a read of a key that is never written (half a read unit; `GetItem` on a `v#` key is what
    /// both functions' roles allow, and no request id is `connect`). The SDK keeps the connection
    /// for the next call. Failures are left to that call to meet and report.
    pub async fn connect(&self) {
        let _ = self.client.get_item().table_name(&self.table).key(PARTITION_KEY, text_value("v#connect")).send().await;
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }
}
