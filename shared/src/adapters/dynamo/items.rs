//! Items and attribute values: a verification and a number's state to and from their items.

use super::*;

impl DynamoStore {
    pub(super) fn key(id: &RequestId) -> AttributeValue {
        text_value(record_key(id))
    }

    pub(super) fn write_item(&self, v: &Verification) -> Item {
        let (status, verified_at) = match &v.status {
            VerificationStatus::Pending => ("pending", None),
            VerificationStatus::Verified { at } => ("verified", Some(*at)),
            VerificationStatus::Locked => ("locked", None),
            VerificationStatus::Expired => ("expired", None),
        };
        let mut item = Item::from([
            (PARTITION_KEY.to_owned(), Self::key(&v.id)),
            ("provider_id".to_owned(), text_value(v.provider_id.as_str())),
            ("channel".to_owned(), text_value(v.channel.as_str())),
            (SEALED_PHONE.to_owned(), text_value(self.cipher.seal(&record_key(&v.id), &v.phone_e164))),
            ("created_at".to_owned(), epoch(v.created_at)),
            ("expires_at".to_owned(), epoch(v.expires_at)),
            ("attempts".to_owned(), count_value(v.attempts)),
            ("max_attempts".to_owned(), count_value(v.max_attempts)),
            ("status".to_owned(), text_value(status)),
            (TTL_ATTRIBUTE.to_owned(), epoch(v.delete_after())),
        ]);
        if let Some(at) = verified_at {
            item.insert("verified_at".to_owned(), epoch(at));
        }
        if let Some(flow) = &v.flow {
            item.insert(FLOW.to_owned(), text_value(flow.as_str()));
        }
        if let Some(tally) = &v.tally {
            let tally = HashMap::from([
                ("number".to_owned(), text_value(tally.number.as_str())),
                ("range".to_owned(), text_value(tally.range.as_str())),
                ("country".to_owned(), text_value(&tally.country)),
                ("shard".to_owned(), count_value(tally.shard)),
                ("day".to_owned(), int_value(tally.day)),
            ]);
            item.insert(TALLY.to_owned(), AttributeValue::M(tally));
        }
        item
    }

    pub(super) fn read_item(&self, item: &Item) -> Result<Verification, StoreError> {
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
            flow: match item.get(FLOW) {
                None => None,
                Some(_) => Some(FlowId::parse(&text(FLOW)?).ok_or_else(|| bad(FLOW))?),
            },
        })
    }
}

/// A number's state as an item: kept until its last send leaves the 24-hour window.
pub(crate) fn number_item(number: &SubjectKey, state: &NumberState, now: OffsetDateTime) -> Item {
    let keep_until = state.recent_sends.last().map_or(now, |at| *at + time::Duration::DAY);
    let keep_until = state.cooldown_until.map_or(keep_until, |until| until.max(keep_until));
    let mut item = Item::from([
        (PARTITION_KEY.to_owned(), number_key(number)),
        (VERSION.to_owned(), AttributeValue::N(state.version.to_string())),
        (STREAK.to_owned(), count_value(state.unverified_streak)),
        (SENDS.to_owned(), AttributeValue::L(state.recent_sends.iter().map(|at| epoch(*at)).collect())),
        (TTL_ATTRIBUTE.to_owned(), epoch(keep_until)),
    ]);
    if let Some(until) = state.cooldown_until {
        item.insert("until".to_owned(), epoch(until));
    }
    if let Some(by) = &state.reserved_by {
        item.insert("by".to_owned(), text_value(by.as_str()));
    }
    if let Some(last) = &state.last_request {
        item.insert(LAST_REQUEST.to_owned(), text_value(last.as_str()));
    }
    item
}

/// The providers the switch item stops by name (names it does not know are left out).
pub(crate) fn stopped_providers(item: &Item) -> Vec<ProviderName> {
    let names = item.get(STOPPED_PROVIDERS).and_then(|v| v.as_ss().ok());
    let parsed = |name: &String| {
        let provider = ProviderName::parse(name);
        if provider.is_none() {
            tracing::warn!(name = %name, "the sending switch names a provider that is not one (`vonage`, `aws`): it stops nothing");
        }
        provider
    };
    names.map(|names| names.iter().filter_map(parsed).collect()).unwrap_or_default()
}

/// A number's state from its item. One whose `ttl` has passed (TTL deletes late) is read as it
/// is: the rules ignore sends and cooldowns that are over, and a write must match its version.
pub(crate) fn read_number(item: &Item) -> NumberState {
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
pub(crate) fn read_tally(value: &AttributeValue) -> Option<Tally> {
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

/// Whether `item` has the string `value` in `field`: a write's own name, read back.
pub(crate) fn holds_text(item: Option<&Item>, field: &str, value: &str) -> bool {
    item.and_then(|i| i.get(field)).and_then(|v| v.as_s().ok()).is_some_and(|text| text == value)
}

pub(crate) fn set_contains(item: &Item, field: &str, value: &str) -> bool {
    item.get(field).and_then(|v| v.as_ss().ok()).is_some_and(|set| set.iter().any(|s| s == value))
}

/// A string attribute.
pub(crate) fn text_value(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// A number attribute from a count.
pub(crate) fn count_value(value: u32) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A number attribute from a signed integer.
pub(crate) fn int_value(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(crate) fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

pub(crate) fn get_int(item: &Item, field: &str) -> Option<i64> {
    item.get(field)?.as_n().ok()?.parse().ok()
}

pub(crate) fn epoch(t: OffsetDateTime) -> AttributeValue {
    AttributeValue::N(t.unix_timestamp().to_string())
}

pub(crate) fn get_time(item: &Item, field: &str) -> Option<OffsetDateTime> {
    let seconds = item.get(field)?.as_n().ok()?.parse::<i64>().ok()?;
    OffsetDateTime::from_unix_timestamp(seconds).ok()
}
