//! The sign-in's store on DynamoDB: `flow#<flow id>`, an authorization request while the person
//! verifies their number, `code#<SHA-256 of the code>`, what a code stands for (the number
//! sealed to that key, as a verification's is), and `session#<SHA-256 of the session id>`, a
//! browser's proven number (sealed the same way). The code is redeemed by one `UpdateItem` whose
//! condition holds the client, the address and the challenge made from the presented verifier,
//! so a failed redemption changes nothing.

use time::OffsetDateTime;

use crate::adapters::dynamo::kit::*;
use crate::domain::channel::{Channel, Channels};
use crate::domain::write_id::WriteId;
use crate::ports::StoreError;
use crate::sign_in::domain::authorization::{AuthorizationCode, AuthorizationRequest, CodeGrant, FlowId, SignInFlow};
use crate::sign_in::domain::pkce::CodeChallenge;
use crate::sign_in::domain::session::{Session, SessionId};
use crate::sign_in::store::{FlowWindow, Redemption, SignInStore};

const CLIENT: &str = "client";
const REDIRECT_URI: &str = "redirect_uri";
const CHALLENGE: &str = "challenge";
const NONCE: &str = "nonce";
const STATE: &str = "state";
const PHONE_SCOPE: &str = "phone_scope";
/// On a flow: whether its client accepts test numbers (absent: it does not).
const TEST_NUMBERS: &str = "test_numbers";
const CHANNELS: &str = "channels";
const EXPIRES_AT: &str = "expires_at";
/// On a flow: the number `login_hint` named, sealed to the flow's key.
const LOGIN_HINT: &str = "login_hint_sealed";
/// On a flow: the page's language.
const LOCALE: &str = "locale";
const VERIFIED_AT: &str = "verified_at";
/// On a flow: the client's `sub` its `id_token_hint` named.
const EXPECTED_SUBJECT: &str = "expected_sub";
/// On a flow: the digest of the code it ended with.
const CODE: &str = "code";
/// On a client's count of flows: the flows it counted.
const COUNTED_FLOWS: &str = "flows";
/// On a code: the redemption that redeemed it.
const REDEEMED_BY: &str = "redeemed_by";

fn flow_key(id: &FlowId) -> AttributeValue {
    text_value(format!("flow#{}", id.as_str()))
}

fn session_key_string(id: &SessionId) -> String {
    format!("session#{}", id.digest())
}

fn code_key_string(code: &AuthorizationCode) -> String {
    format!("code#{}", code.digest())
}

/// The count of the flows a client opened in its window.
fn flow_count_key(window: &FlowWindow) -> AttributeValue {
    text_value(format!("flows#{}#{}", window.client.as_str(), window.start.unix_timestamp()))
}

impl SignInStore for DynamoStore {
    async fn count_flow(&self, window: &FlowWindow, max: u32, id: &FlowId) -> Result<bool, StoreError> {
        // The flows counted are named in the item (at most `max` ids), so that a retry of this
        // write after a lost answer fails on its own name and is recognised, as an attempt is.
        let key = flow_count_key(window);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, key.clone())
            .update_expression("ADD #n :one, #flows :flow SET #ttl = if_not_exists(#ttl, :ttl)")
            .condition_expression(
                "(attribute_not_exists(#n) OR #n < :max) \
                 AND (attribute_not_exists(#flows) OR NOT contains(#flows, :flow_id))",
            )
            .expression_attribute_names("#n", "n")
            .expression_attribute_names("#flows", COUNTED_FLOWS)
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":one", count_value(1))
            .expression_attribute_values(":max", count_value(max))
            .expression_attribute_values(":flow", AttributeValue::Ss(vec![id.as_str().to_owned()]))
            .expression_attribute_values(":flow_id", text_value(id.as_str()))
            // Kept while a rule can read it: to the window's end.
            .expression_attribute_values(":ttl", epoch(window.end))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {
                let old = self.item_on_condition_failure(key, e).await?;
                // Our own count, applied by a try whose answer was lost; else the window is full.
                Ok(old.is_some_and(|item| set_contains(&item, COUNTED_FLOWS, id.as_str())))
            }
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
    }

    async fn open_flow(&self, flow: &SignInFlow) -> Result<(), StoreError> {
        let request = &flow.request;
        let key = flow_key(&flow.id);
        let mut item = Item::from([
            (PARTITION_KEY.to_owned(), key.clone()),
            (CLIENT.to_owned(), text_value(&request.client_id)),
            (REDIRECT_URI.to_owned(), text_value(&request.redirect_uri)),
            (STATE.to_owned(), text_value(&request.state)),
            (PHONE_SCOPE.to_owned(), AttributeValue::Bool(request.phone_scope)),
            (TEST_NUMBERS.to_owned(), AttributeValue::Bool(request.test_numbers)),
            (EXPIRES_AT.to_owned(), epoch(flow.expires_at)),
            (TTL_ATTRIBUTE.to_owned(), epoch(flow.expires_at)),
        ]);
        if let Some(nonce) = &request.nonce {
            item.insert(NONCE.to_owned(), text_value(nonce));
        }
        if let Some(challenge) = &request.challenge {
            item.insert(CHALLENGE.to_owned(), text_value(challenge.as_str()));
        }
        if let Some(hint) = &request.login_hint {
            let sealed = self.cipher.seal(key.as_s().expect("a text key"), hint);
            item.insert(LOGIN_HINT.to_owned(), text_value(sealed));
        }
        if let Some(channels) = request.channels {
            item.insert(CHANNELS.to_owned(), text_value(channels.names()));
        }
        if let Some(locale) = request.locale {
            item.insert(LOCALE.to_owned(), text_value(locale));
        }
        if let Some(subject) = &request.expected_subject {
            item.insert(EXPECTED_SUBJECT.to_owned(), text_value(subject));
        }
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Flow ids are random: one already there is this flow, stored by a try whose answer
            // was lost.
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(()),
            Err(e) => Err(sdk_error("PutItem", e)),
        }
    }

    async fn flow(&self, id: &FlowId, now: OffsetDateTime) -> Result<Option<SignInFlow>, StoreError> {
        let key = flow_key(id);
        let Some(item) = self.raw_item(key.clone()).await? else { return Ok(None) };
        let bad = |field: &str| StoreError::Failed(format!("flow item has a missing or malformed `{field}`").into());
        let text = |field: &str| item.get(field).and_then(|v| v.as_s().ok()).cloned().ok_or_else(|| bad(field));
        let expires_at = get_time(&item, EXPIRES_AT).ok_or_else(|| bad(EXPIRES_AT))?;
        if expires_at <= now || item.contains_key(CODE) {
            return Ok(None);
        }
        let request = AuthorizationRequest {
            client_id: text(CLIENT)?,
            redirect_uri: text(REDIRECT_URI)?,
            state: text(STATE)?,
            nonce: item.get(NONCE).map(|_| text(NONCE)).transpose()?,
            challenge: read_challenge(&item).map_err(|()| bad(CHALLENGE))?,
            phone_scope: item.get(PHONE_SCOPE).and_then(|v| v.as_bool().ok()).copied().unwrap_or(false),
            // Absent on flows opened before clients could accept test numbers: none did.
            test_numbers: item.get(TEST_NUMBERS).and_then(|v| v.as_bool().ok()).copied().unwrap_or(false),
            channels: match item.get(CHANNELS) {
                None => None,
                Some(_) => Some(Channels::parse(&text(CHANNELS)?).map_err(|_| bad(CHANNELS))?),
            },
            login_hint: match item.get(LOGIN_HINT) {
                None => None,
                Some(_) => {
                    let sealed = text(LOGIN_HINT)?;
                    let hint = self.cipher.open(key.as_s().expect("a text key"), &sealed);
                    Some(hint.map_err(|e| StoreError::Failed(e.into()))?)
                }
            },
            expected_subject: item.get(EXPECTED_SUBJECT).map(|_| text(EXPECTED_SUBJECT)).transpose()?,
            locale: item
                .get(LOCALE)
                .and_then(|v| v.as_s().ok())
                .and_then(|l| crate::sign_in::domain::authorization::PAGE_LOCALES.into_iter().find(|p| p == l)),
        };
        Ok(Some(SignInFlow { id: id.clone(), request, expires_at }))
    }

    async fn issue_code(
        &self,
        id: &FlowId,
        code: &AuthorizationCode,
        grant: &CodeGrant,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let digest = code.digest();
        let end_flow = Update::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, flow_key(id))
            .update_expression("SET #code = :digest")
            .condition_expression(
                "attribute_exists(#pk) AND #expires > :now AND (attribute_not_exists(#code) OR #code = :digest)",
            )
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#code", CODE)
            .expression_attribute_names("#expires", EXPIRES_AT)
            .expression_attribute_values(":digest", text_value(&digest))
            .expression_attribute_values(":now", epoch(now))
            .build()
            .map_err(build_error)?;
        let key = code_key_string(code);
        let mut item = Item::from([
            (PARTITION_KEY.to_owned(), text_value(&key)),
            (CLIENT.to_owned(), text_value(&grant.client_id)),
            (REDIRECT_URI.to_owned(), text_value(&grant.redirect_uri)),
            (PHONE_SCOPE.to_owned(), AttributeValue::Bool(grant.phone_scope)),
            (SEALED_PHONE.to_owned(), text_value(self.cipher.seal(&key, &grant.phone_e164))),
            (VERIFIED_AT.to_owned(), epoch(grant.verified_at)),
            ("channel".to_owned(), text_value(grant.channel.as_str())),
            ("test".to_owned(), AttributeValue::Bool(grant.test)),
            (EXPIRES_AT.to_owned(), epoch(grant.expires_at)),
            (TTL_ATTRIBUTE.to_owned(), epoch(grant.expires_at)),
        ]);
        if let Some(nonce) = &grant.nonce {
            item.insert(NONCE.to_owned(), text_value(nonce));
        }
        if let Some(challenge) = &grant.challenge {
            item.insert(CHALLENGE.to_owned(), text_value(challenge.as_str()));
        }
        let put_code = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .build()
            .map_err(build_error)?;
        let items = [update_item(end_flow), TransactWriteItem::builder().put(put_code).build()];
        match self.transact(WriteId::generate().as_str(), &items).await? {
            None => Ok(true),
            // The flow ended with this very code (a retry of this call whose answer was lost)
            // and its code is there: issued. Anything else: the flow is gone, over or ended with
            // another code.
            Some(_) => {
                let flow = self.raw_item(flow_key(id)).await?;
                let ours = holds_text(flow.as_ref(), CODE, &digest);
                Ok(ours && self.raw_item(text_value(&key)).await?.is_some())
            }
        }
    }

    async fn redeem_code(
        &self,
        code: &AuthorizationCode,
        by: Redemption<'_>,
        now: OffsetDateTime,
    ) -> Result<Option<CodeGrant>, StoreError> {
        let key = code_key_string(code);
        // The code's challenge, if it has one, must be the presented verifier's; one without a
        // challenge takes no verifier.
        let challenge = match by.verifier {
            Some(_) => "#challenge = :challenge",
            None => "attribute_not_exists(#challenge)",
        };
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, text_value(&key))
            .update_expression("SET #by = :by")
            .condition_expression(format!(
                "attribute_exists(#pk) AND #expires > :now AND #client = :client AND #redirect = :redirect \
                 AND {challenge} AND (attribute_not_exists(#by) OR #by = :by)"
            ))
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#by", REDEEMED_BY)
            .expression_attribute_names("#expires", EXPIRES_AT)
            .expression_attribute_names("#client", CLIENT)
            .expression_attribute_names("#redirect", REDIRECT_URI)
            .expression_attribute_names("#challenge", CHALLENGE)
            .expression_attribute_values(":by", text_value(by.by.as_str()))
            .expression_attribute_values(":now", epoch(now))
            .expression_attribute_values(":client", text_value(by.client_id))
            .expression_attribute_values(":redirect", text_value(by.redirect_uri))
            .return_values(ReturnValue::AllNew);
        let update = match by.verifier {
            Some(verifier) => {
                update.expression_attribute_values(":challenge", text_value(CodeChallenge::of(verifier).as_str()))
            }
            None => update,
        };
        let result = update.send().await;
        let item = match result {
            Ok(out) => out.attributes.unwrap_or_default(),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {
                return Ok(None);
            }
            Err(e) => return Err(sdk_error("UpdateItem", e)),
        };
        let bad = |field: &str| StoreError::Failed(format!("code item has a missing or malformed `{field}`").into());
        let text = |field: &str| item.get(field).and_then(|v| v.as_s().ok()).cloned().ok_or_else(|| bad(field));
        let when = |field: &str| get_time(&item, field).ok_or_else(|| bad(field));
        Ok(Some(CodeGrant {
            client_id: text(CLIENT)?,
            redirect_uri: text(REDIRECT_URI)?,
            challenge: read_challenge(&item).map_err(|()| bad(CHALLENGE))?,
            nonce: item.get(NONCE).map(|_| text(NONCE)).transpose()?,
            phone_scope: item.get(PHONE_SCOPE).and_then(|v| v.as_bool().ok()).copied().unwrap_or(false),
            phone_e164: self.cipher.open(&key, &text(SEALED_PHONE)?).map_err(|e| StoreError::Failed(e.into()))?,
            verified_at: when(VERIFIED_AT)?,
            channel: Channel::from_name(&text("channel")?).ok_or_else(|| bad("channel"))?,
            // Absent on codes issued before test numbers existed: none of those was one.
            test: match item.get("test") {
                None => false,
                Some(value) => *value.as_bool().map_err(|_| bad("test"))?,
            },
            expires_at: when(EXPIRES_AT)?,
        }))
    }

    async fn open_session(&self, id: &SessionId, session: &Session) -> Result<(), StoreError> {
        let key = session_key_string(id);
        let item = Item::from([
            (PARTITION_KEY.to_owned(), text_value(&key)),
            (SEALED_PHONE.to_owned(), text_value(self.cipher.seal(&key, &session.phone_e164))),
            (VERIFIED_AT.to_owned(), epoch(session.verified_at)),
            ("channel".to_owned(), text_value(session.channel.as_str())),
            (EXPIRES_AT.to_owned(), epoch(session.expires_at)),
            (TTL_ATTRIBUTE.to_owned(), epoch(session.expires_at)),
        ]);
        // Session ids are random: a put over one is this session, written again by a retry.
        let result = self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await;
        result.map(|_| ()).map_err(|e| sdk_error("PutItem", e))
    }

    async fn session(&self, id: &SessionId, now: OffsetDateTime) -> Result<Option<Session>, StoreError> {
        let key = session_key_string(id);
        let Some(item) = self.raw_item(text_value(&key)).await? else { return Ok(None) };
        let bad = |field: &str| StoreError::Failed(format!("session item has a missing or malformed `{field}`").into());
        let text = |field: &str| item.get(field).and_then(|v| v.as_s().ok()).cloned().ok_or_else(|| bad(field));
        let when = |field: &str| get_time(&item, field).ok_or_else(|| bad(field));
        let expires_at = when(EXPIRES_AT)?;
        if expires_at <= now {
            return Ok(None);
        }
        Ok(Some(Session {
            phone_e164: self.cipher.open(&key, &text(SEALED_PHONE)?).map_err(|e| StoreError::Failed(e.into()))?,
            verified_at: when(VERIFIED_AT)?,
            channel: Channel::from_name(&text("channel")?).ok_or_else(|| bad("channel"))?,
            expires_at,
        }))
    }

    async fn end_session(&self, id: &SessionId) -> Result<(), StoreError> {
        let key = text_value(session_key_string(id));
        let result = self.client.delete_item().table_name(&self.table).key(PARTITION_KEY, key).send().await;
        result.map(|_| ()).map_err(|e| sdk_error("DeleteItem", e))
    }
}

/// An item's PKCE challenge: none, or one this service parsed before.
fn read_challenge(item: &Item) -> Result<Option<CodeChallenge>, ()> {
    match item.get(CHALLENGE) {
        None => Ok(None),
        Some(value) => value.as_s().ok().and_then(|s| CodeChallenge::from_stored(s)).map(Some).ok_or(()),
    }
}
