//! Verifications as the simulator keeps them, shared by the v2 and v1 front ends.

use std::collections::HashMap;

use rand::Rng;
use serde::Serialize;
use time::OffsetDateTime;

/// A message the simulator "sent".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// E.164 with the `+`.
    pub to: String,
    pub code: String,
    pub request_id: String,
    /// `sms`, `voice`, `whatsapp`, `email`, …
    pub channel: String,
    /// The simulator's clock (which `/_simulator/clock` moves) when the step started, to the second.
    pub sent_at: String,
    /// The wall clock when the simulator recorded it ([`sim_kit::delivery_time`]).
    pub delivered_at: String,
    pub text: String,
    /// The language asked for (v2 `locale`, v1 `lg`), as sent; none when Vonage would pick.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    InProgress,
    Completed,
    /// Ended by too many wrong codes.
    Failed,
    Expired,
    Cancelled,
}

#[derive(Debug, Clone)]
pub struct Verification {
    pub id: String,
    /// E.164 digits without the `+`.
    pub to: String,
    pub brand: String,
    pub code: String,
    pub channels: Vec<String>,
    pub step: usize,
    pub created_at: OffsetDateTime,
    pub step_started_at: OffsetDateTime,
    /// Wait before the next step.
    pub step_timeout: time::Duration,
    /// When the code stops working altogether.
    pub expires_at: OffsetDateTime,
    pub wrong_codes: u32,
    pub status: Status,
    pub locale: Option<String>,
}

#[derive(Default)]
pub struct Requests(HashMap<String, Verification>);

impl Requests {
    pub fn insert(&mut self, v: Verification) {
        self.0.insert(v.id.clone(), v);
    }

    /// The verification `id`, brought up to `now` (steps moved on, expiry applied); messages for
    /// steps that started meanwhile are returned for recording.
    pub fn get(&mut self, id: &str, now: OffsetDateTime) -> (Option<&mut Verification>, Vec<Message>) {
        match self.0.get_mut(id) {
            Some(v) => {
                let sent = v.catch_up(now);
                (Some(v), sent)
            }
            None => (None, Vec::new()),
        }
    }

    /// Every verification brought up to `now`; the messages of the steps that started meanwhile,
    /// in the order they started.
    pub fn catch_up_all(&mut self, now: OffsetDateTime) -> Vec<Message> {
        let mut sent: Vec<Message> = self.0.values_mut().flat_map(|v| v.catch_up(now)).collect();
        sent.sort_by(|a, b| a.sent_at.cmp(&b.sent_at));
        sent
    }

    /// The verification in progress for `to`, if any (Vonage allows one per number).
    pub fn in_progress_for(&mut self, to: &str, now: OffsetDateTime) -> (Option<String>, Vec<Message>) {
        let mut sent = Vec::new();
        let mut found = None;
        for v in self.0.values_mut().filter(|v| v.to == to) {
            sent.extend(v.catch_up(now));
            if v.status == Status::InProgress {
                found = Some(v.id.clone());
            }
        }
        (found, sent)
    }
}

/// What a start request asks for.
pub struct NewVerification {
    pub id: String,
    pub to: String,
    pub brand: String,
    pub code: String,
    pub channels: Vec<String>,
    pub step_timeout: time::Duration,
    /// How long the code lives from the start.
    pub lifetime: time::Duration,
    /// v2's `locale`, v1's `lg`.
    pub locale: Option<String>,
}

impl Verification {
    pub fn start(new: NewVerification, now: OffsetDateTime) -> Self {
        Self {
            id: new.id,
            to: new.to,
            brand: new.brand,
            code: new.code,
            channels: new.channels,
            step: 0,
            created_at: now,
            step_started_at: now,
            step_timeout: new.step_timeout,
            expires_at: now + new.lifetime,
            wrong_codes: 0,
            status: Status::InProgress,
            locale: new.locale,
        }
    }

    /// Moves through the steps whose wait has passed, and expires the verification at the end.
    fn catch_up(&mut self, now: OffsetDateTime) -> Vec<Message> {
        let mut sent = Vec::new();
        while self.status == Status::InProgress && self.step + 1 < self.channels.len() {
            let next_start = self.step_started_at + self.step_timeout;
            if now < next_start || next_start >= self.expires_at {
                break;
            }
            self.step += 1;
            self.step_started_at = next_start;
            sent.push(self.message(next_start));
        }
        if self.status == Status::InProgress && now >= self.expires_at {
            self.status = Status::Expired;
        }
        sent
    }

    /// Starts the next step now, as `next_workflow` / `trigger_next_event` ask.
    pub fn advance(&mut self, now: OffsetDateTime) -> Option<Message> {
        if self.status != Status::InProgress || self.step + 1 >= self.channels.len() {
            return None;
        }
        self.step += 1;
        self.step_started_at = now;
        Some(self.message(now))
    }

    /// The message of the current step.
    pub fn message(&self, at: OffsetDateTime) -> Message {
        let channel = self.channels[self.step].clone();
        let text = match channel.as_str() {
            "voice" => format!("(voice call) Your {} code is {}", self.brand, spaced(&self.code)),
            _ => format!("Your {} code is {}", self.brand, self.code),
        };
        Message {
            to: format!("+{}", self.to),
            code: self.code.clone(),
            request_id: self.id.clone(),
            channel,
            sent_at: rfc3339(at),
            delivered_at: String::new(),
            text,
            locale: self.locale.clone(),
        }
    }
}

fn spaced(code: &str) -> String {
    code.chars().map(String::from).collect::<Vec<_>>().join(" ")
}

pub fn random_code(length: usize) -> String {
    let mut rng = rand::rng();
    (0..length).map(|_| char::from(b'0' + rng.random_range(0..10u8))).collect()
}

pub fn rfc3339(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0).unwrap_or(t).format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// E.164 digits without `+`: 7 to 15 digits, not starting with 0.
/// A locale as Vonage writes them: a language (2 or 3 letters) and a region, lower case (`es-es`).
pub fn is_locale(locale: &str) -> bool {
    let Some((language, region)) = locale.split_once('-') else { return false };
    (2..=3).contains(&language.len())
        && region.len() == 2
        && language.bytes().chain(region.bytes()).all(|b| b.is_ascii_lowercase())
}

pub fn is_msisdn(to: &str) -> bool {
    (7..=15).contains(&to.len()) && to.bytes().all(|b| b.is_ascii_digit()) && !to.starts_with('0')
}
