//! Verifications as the simulator keeps them, shared by the v2 and v1 front ends.

use std::collections::HashMap;

use rand::Rng;
use serde::Serialize;
use time::OffsetDateTime;

use crate::whatsapp;

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
    /// Ended by too many wrong codes, or by a workflow whose every step failed.
    Failed,
    Expired,
    Cancelled,
}

/// How a step of the workflow went, as Vonage's callbacks name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    /// Never started.
    Unused,
    /// Started, not ended yet.
    Current,
    Completed,
    /// Ended without the code: its wait passed, it was skipped, or it could not be sent.
    Failed,
    /// The step in progress when the verification expired.
    Expired,
}

#[derive(Debug, Clone)]
pub struct Step {
    /// `sms`, `voice`, `whatsapp`, `email`, …
    pub channel: String,
    /// E.164 digits without the `+` (an address for email).
    pub to: String,
    pub initiated_at: Option<OffsetDateTime>,
    pub status: StepStatus,
}

impl Step {
    pub fn new(channel: &str, to: &str) -> Self {
        Self { channel: channel.to_owned(), to: to.to_owned(), initiated_at: None, status: StepStatus::Unused }
    }
}

/// What a verification tells the application that started it (Vonage's status callbacks):
/// only verifications started with an application JWT make them.
#[derive(Debug, Clone)]
pub enum Report {
    Event(Event),
    Summary(Summary),
}

/// A step ended (completed or failed).
#[derive(Debug, Clone)]
pub struct Event {
    pub request_id: String,
    pub client_ref: Option<String>,
    pub channel: String,
    pub status: StepStatus,
    pub at: OffsetDateTime,
}

/// The verification ended (completed, failed or expired), with every step's outcome.
#[derive(Debug, Clone)]
pub struct Summary {
    pub request_id: String,
    pub client_ref: Option<String>,
    pub submitted_at: OffsetDateTime,
    pub status: Status,
    pub channel_timeout: time::Duration,
    pub workflow: Vec<Step>,
}

/// What verifications sent while they were brought up to a moment: the messages to record and
/// the reports to call back with.
#[derive(Debug, Default)]
pub struct Outbox {
    pub messages: Vec<Message>,
    pub reports: Vec<Report>,
}

/// The moment verifications are brought to: the simulator's now, who has WhatsApp then, and what
/// they sent on the way.
pub struct Moment<'a> {
    pub now: OffsetDateTime,
    whatsapp: &'a whatsapp::Accounts,
    pub out: Outbox,
}

impl<'a> Moment<'a> {
    pub fn new(now: OffsetDateTime, whatsapp: &'a whatsapp::Accounts) -> Self {
        Self { now, whatsapp, out: Outbox::default() }
    }
}

#[derive(Debug, Clone)]
pub struct Verification {
    pub id: String,
    /// The first step's number: Vonage allows one verification per number.
    pub to: String,
    pub brand: String,
    pub code: String,
    pub steps: Vec<Step>,
    /// The current step.
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
    pub client_ref: Option<String>,
    /// Started by an application (JWT): Vonage reports on it to the application's status URL.
    pub reports: bool,
}

#[derive(Default)]
pub struct Requests(HashMap<String, Verification>);

impl Requests {
    pub fn insert(&mut self, v: Verification) {
        self.0.insert(v.id.clone(), v);
    }

    /// The verification `id`, brought up to the moment (steps moved on, expiry applied).
    pub fn get(&mut self, id: &str, moment: &mut Moment<'_>) -> Option<&mut Verification> {
        let v = self.0.get_mut(id)?;
        v.catch_up(moment);
        Some(v)
    }

    /// Every verification brought up to the moment; the messages of the steps that started
    /// meanwhile in the order they started.
    pub fn catch_up_all(&mut self, moment: &mut Moment<'_>) {
        self.0.values_mut().for_each(|v| v.catch_up(moment));
        moment.out.messages.sort_by(|a, b| a.sent_at.cmp(&b.sent_at));
    }

    /// The verification in progress for `to`, if any (Vonage allows one per number).
    pub fn in_progress_for(&mut self, to: &str, moment: &mut Moment<'_>) -> Option<String> {
        let mut found = None;
        for v in self.0.values_mut().filter(|v| v.to == to) {
            v.catch_up(moment);
            if v.status == Status::InProgress {
                found = Some(v.id.clone());
            }
        }
        found
    }
}

/// What a start request asks for.
pub struct NewVerification {
    pub id: String,
    pub to: String,
    pub brand: String,
    pub code: String,
    pub steps: Vec<Step>,
    pub step_timeout: time::Duration,
    /// How long the code lives from the start.
    pub lifetime: time::Duration,
    /// v2's `locale`, v1's `lg`.
    pub locale: Option<String>,
    pub client_ref: Option<String>,
    pub reports: bool,
}

impl Verification {
    /// A verification with its first step begun (or, WhatsApp failing, the first that can be).
    pub fn start(new: NewVerification, moment: &mut Moment<'_>) -> Self {
        let now = moment.now;
        let mut v = Self {
            id: new.id,
            to: new.to,
            brand: new.brand,
            code: new.code,
            steps: new.steps,
            step: 0,
            created_at: now,
            step_started_at: now,
            step_timeout: new.step_timeout,
            expires_at: now + new.lifetime,
            wrong_codes: 0,
            status: Status::InProgress,
            locale: new.locale,
            client_ref: new.client_ref,
            reports: new.reports,
        };
        v.begin(0, now, moment);
        v
    }

    pub fn channel(&self) -> &str {
        &self.steps[self.step].channel
    }

    /// Moves through the steps whose wait has passed, and expires the verification at the end.
    fn catch_up(&mut self, moment: &mut Moment<'_>) {
        while self.status == Status::InProgress && self.step + 1 < self.steps.len() {
            let next_start = self.step_started_at + self.step_timeout;
            if moment.now < next_start || next_start >= self.expires_at {
                break;
            }
            self.end_step(StepStatus::Failed, next_start, moment);
            self.begin(self.step + 1, next_start, moment);
        }
        if self.status == Status::InProgress && moment.now >= self.expires_at {
            let at = self.expires_at;
            self.end_step(StepStatus::Expired, at, moment);
            self.finish(Status::Expired, moment);
        }
    }

    /// Starts the next step now, as `next_workflow` / `trigger_next_event` ask; the step left
    /// behind ends as one whose wait passed. False when there is none.
    pub fn advance(&mut self, moment: &mut Moment<'_>) -> bool {
        if self.status != Status::InProgress || self.step + 1 >= self.steps.len() {
            return false;
        }
        let now = moment.now;
        self.end_step(StepStatus::Failed, now, moment);
        self.begin(self.step + 1, now, moment);
        true
    }

    /// The right code arrived.
    pub fn complete(&mut self, moment: &mut Moment<'_>) {
        let now = moment.now;
        self.end_step(StepStatus::Completed, now, moment);
        self.finish(Status::Completed, moment);
    }

    /// A wrong code arrived; true when it was one too many and ended the verification.
    pub fn wrong_code(&mut self, max_wrong_codes: u32, moment: &mut Moment<'_>) -> bool {
        self.wrong_codes += 1;
        if self.wrong_codes < max_wrong_codes {
            return false;
        }
        let now = moment.now;
        self.end_step(StepStatus::Failed, now, moment);
        self.finish(Status::Failed, moment);
        true
    }

    /// Cancelled by the caller, who needs no report of it (Vonage's summaries have no such status).
    pub fn cancel(&mut self) {
        self.status = Status::Cancelled;
    }

    /// Begins step `index` at `at`, sending its message; a WhatsApp step to a number without
    /// WhatsApp fails there and then, and the next begins in its place (or, if none is left,
    /// the verification fails).
    fn begin(&mut self, index: usize, at: OffsetDateTime, moment: &mut Moment<'_>) {
        self.step = index;
        self.step_started_at = at;
        let step = &mut self.steps[index];
        step.initiated_at = Some(at);
        step.status = StepStatus::Current;
        if step.channel == "whatsapp" && !moment.whatsapp.has_account(&step.to) {
            self.end_step(StepStatus::Failed, at, moment);
            if index + 1 < self.steps.len() {
                self.begin(index + 1, at, moment);
            } else {
                self.finish(Status::Failed, moment);
            }
            return;
        }
        moment.out.messages.push(self.message(at));
    }

    /// Ends the current step; an event reports it unless it expired (the summary says that).
    fn end_step(&mut self, status: StepStatus, at: OffsetDateTime, moment: &mut Moment<'_>) {
        let step = &mut self.steps[self.step];
        step.status = status;
        if self.reports && status != StepStatus::Expired {
            moment.out.reports.push(Report::Event(Event {
                request_id: self.id.clone(),
                client_ref: self.client_ref.clone(),
                channel: step.channel.clone(),
                status,
                at,
            }));
        }
    }

    fn finish(&mut self, status: Status, moment: &mut Moment<'_>) {
        self.status = status;
        if self.reports {
            moment.out.reports.push(Report::Summary(Summary {
                request_id: self.id.clone(),
                client_ref: self.client_ref.clone(),
                submitted_at: self.created_at,
                status,
                channel_timeout: self.step_timeout,
                workflow: self.steps.clone(),
            }));
        }
    }

    /// The message of the current step.
    pub fn message(&self, at: OffsetDateTime) -> Message {
        let step = &self.steps[self.step];
        let text = match step.channel.as_str() {
            "voice" => format!("(voice call) Your {} code is {}", self.brand, spaced(&self.code)),
            // Meta's authentication template: WhatsApp fixes its wording, without the brand.
            "whatsapp" => {
                format!("{} is your verification code. For your security, do not share this code.", self.code)
            }
            _ => format!("Your {} code is {}", self.brand, self.code),
        };
        Message {
            to: if step.channel == "email" { step.to.clone() } else { format!("+{}", step.to) },
            code: self.code.clone(),
            request_id: self.id.clone(),
            channel: step.channel.clone(),
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

/// A locale as Vonage writes them: a language (2 or 3 letters) and a region, lower case (`es-es`).
pub fn is_locale(locale: &str) -> bool {
    let Some((language, region)) = locale.split_once('-') else { return false };
    (2..=3).contains(&language.len())
        && region.len() == 2
        && language.bytes().chain(region.bytes()).all(|b| b.is_ascii_lowercase())
}
