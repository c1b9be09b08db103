//! The rules that bound what sending codes can cost and whom it can bother, each designed against
//! the cheapest attack rather than the polite client (docs/operate/abuse-defences.md):
//!
//! - **a number** gets growing gaps between codes nobody entered (the cooldown doubles after each,
//!   up to a ceiling; a verification resets it), and at most so many codes in any hour and in any
//!   24 hours;
//! - **a client** is an IPv4 address or an IPv6 /64 (one subscriber's allocation);
//! - **a number range** (the number less its last 4 digits) and **a country** may hold only so many
//!   codes that nobody entered: a floor, or a share of the codes people did enter there, whichever
//!   is more, so a country where people verify keeps its flow and a range that receives codes
//!   nobody enters is refused within a few;
//! - **the day's estimated spend** stops at a budget.
//!
//! Everything here is arithmetic on what the store read; the store makes it hold under
//! concurrency (a conditional write per rule).

use std::net::IpAddr;

use time::{Duration, OffsetDateTime};

use crate::domain::phone::PhoneNumber;
use crate::domain::request_id::RequestId;
use crate::domain::rule::{Refusal, Rule};
use crate::domain::write_id::WriteId;

/// What the store keeps of one number's recent sends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NumberState {
    /// Grows with every write, so that a write can require the state it read (0: never written).
    pub version: u64,
    /// No further code until then.
    pub cooldown_until: Option<OffsetDateTime>,
    /// Codes sent in a row that nobody entered.
    pub unverified_streak: u32,
    /// When codes were sent in the last 24 hours, oldest first.
    pub recent_sends: Vec<OffsetDateTime>,
    /// The reservation that wrote this state (a retried write recognises itself).
    pub reserved_by: Option<WriteId>,
    /// The verification of the number's last send, whose counts a send that only moves it on
    /// (a call asked for under automatic calls) carries.
    pub last_request: Option<RequestId>,
}

/// The number rules' settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberRules {
    pub first_gap_seconds: u32,
    pub max_gap_seconds: u32,
    pub max_per_hour: u32,
    pub max_per_day: u32,
}

const DAY: Duration = Duration::DAY;

impl NumberRules {
    /// The state after a send at `now` by reservation `by`, or the rule that refuses it
    /// ([`Rule::Cooldown`], [`Rule::NumberCap`]) and until when.
    pub fn send(&self, state: &NumberState, now: OffsetDateTime, by: &WriteId) -> Result<NumberState, Refusal> {
        if let Some(until) = state.cooldown_until.filter(|until| *until > now) {
            return Err(Refusal::until(Rule::Cooldown, until));
        }
        self.send_again(state, now, by)
    }

    /// The same for a second send of one request, through another provider after the first did
    /// not answer (its code may have gone too): no gap is waited (the person asked once), but it
    /// counts as a send of its own against the caps and the streak.
    pub fn send_again(&self, state: &NumberState, now: OffsetDateTime, by: &WriteId) -> Result<NumberState, Refusal> {
        let recent: Vec<OffsetDateTime> = state.recent_sends.iter().copied().filter(|at| *at + DAY > now).collect();
        if let Some(until) = cap_reached(&recent, self.max_per_day, DAY)
            .into_iter()
            .chain(cap_reached(&recent, self.max_per_hour, Duration::HOUR))
            .filter(|until| *until > now)
            .max()
        {
            return Err(Refusal::until(Rule::NumberCap, until));
        }
        // A streak ends with a verification, or when a day has passed without a send.
        let streak = if recent.is_empty() { 0 } else { state.unverified_streak };
        let mut sends = recent;
        sends.push(now);
        let keep = usize::try_from(self.max_per_day.max(self.max_per_hour)).unwrap_or(usize::MAX);
        if sends.len() > keep {
            sends.drain(..sends.len() - keep);
        }
        Ok(NumberState {
            version: state.version + 1,
            cooldown_until: Some(now + self.gap(streak)),
            unverified_streak: streak.saturating_add(1),
            recent_sends: sends,
            reserved_by: Some(by.clone()),
            last_request: None,
        })
    }

    /// The wait after a send that follows `streak` codes nobody entered: the first gap, doubled
    /// for each, up to the ceiling.
    pub fn gap(&self, streak: u32) -> Duration {
        let doubled = u64::from(self.first_gap_seconds).saturating_mul(1u64.checked_shl(streak).unwrap_or(u64::MAX));
        Duration::seconds(i64::try_from(doubled.min(u64::from(self.max_gap_seconds))).unwrap_or(i64::MAX))
    }
}

/// When the cap of `max` sends per `window` frees a place, if `sends` (oldest first) fill it.
fn cap_reached(sends: &[OffsetDateTime], max: u32, window: Duration) -> Option<OffsetDateTime> {
    let max = usize::try_from(max).ok()?;
    let latest = sends.last()?;
    let within: Vec<_> = sends.iter().filter(|at| **at + window > *latest).collect();
    (within.len() >= max).then(|| *within[within.len() - max] + window)
}

/// A client's cap per hour, over a sliding hour: the last UTC hour's count, weighted by the share
/// of it still inside the hour that ends now, plus this hour's. (Fixed hours alone would let a
/// client send twice the cap across an hour's end.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientCap {
    pub max: u32,
}

impl ClientCap {
    /// What this hour's count must stay below, `into_hour` seconds into it.
    pub fn room(&self, last_hour: u32, into_hour: i64) -> i64 {
        let outside = 3600 - into_hour.clamp(0, 3600);
        i64::from(self.max) - (i64::from(last_hour) * outside + 3599).div_euclid(3600)
    }

    /// When a client with these counts may send again (the window slides; no more sends counted).
    pub fn free_at(&self, [last_hour, this_hour]: [u32; 2], window_start: OffsetDateTime) -> OffsetDateTime {
        let max = i64::from(self.max);
        // The second into an hour from which `earlier` sends, an hour before, leave room for `now`.
        let from = |earlier: i64, now: i64| {
            if earlier == 0 { 0 } else { 3600 - (3600 * (max - now - 1)).div_euclid(earlier).clamp(0, 3600) }
        };
        let (last, this) = (i64::from(last_hour), i64::from(this_hour));
        if this < max {
            window_start + Duration::seconds(from(last, this))
        } else {
            window_start + Duration::HOUR + Duration::seconds(from(this, 0))
        }
    }
}

/// Sends to a range or a country on one UTC day that were entered, and that were not (yet).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayCount {
    pub unverified: i64,
    pub verified: i64,
}

/// A budget of unverified sends: at least `floor`, or `percent` of the sends verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnverifiedBudget {
    pub floor: u32,
    pub percent_of_verified: u32,
}

impl UnverifiedBudget {
    /// How many unverified sends today's count may reach, given yesterday's and today's: the
    /// budget covers both days, so that no 24 hours, wherever they start, hold more than it.
    /// Split over `shards` counters that each take a share of the sends.
    pub fn room_today(&self, [yesterday, today]: [DayCount; 2], shards: u32) -> i64 {
        let floor = i64::from(self.floor.div_ceil(shards.max(1)));
        let earned = (yesterday.verified + today.verified).max(0) * i64::from(self.percent_of_verified) / 100;
        floor.max(earned) - yesterday.unverified.max(0)
    }
}

/// Whole days since the epoch (UTC): the key of a day's counts.
pub fn day_number(at: OffsetDateTime) -> i64 {
    at.unix_timestamp().div_euclid(86_400)
}

/// The start of the UTC day after `day`.
pub fn end_of_day(day: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp((day + 1) * 86_400).expect("a day near now is in range")
}

/// A number's range: its E.164 form less the last 4 digits (`+1415555`).
pub fn number_range(phone: &PhoneNumber) -> &str {
    let e164 = phone.e164();
    &e164[..e164.len().saturating_sub(4).max(2)]
}

/// The client a request counts against: an IPv4 address, or the /64 of an IPv6 one (the least a
/// subscriber is given, so any one of them has 2^64 addresses to rotate through).
pub fn client_network(ip: &str) -> String {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                format!("{}/64", std::net::Ipv6Addr::from(prefix))
            }
        },
        Err(_) => ip.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: NumberRules =
        NumberRules { first_gap_seconds: 60, max_gap_seconds: 3600, max_per_hour: 5, max_per_day: 10 };

    fn at(seconds: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000 + seconds).unwrap()
    }

    #[test]
    fn gaps_double_after_each_unverified_code_up_to_the_ceiling() {
        let gaps: Vec<i64> = (0..9).map(|streak| RULES.gap(streak).whole_seconds()).collect();
        assert_eq!(gaps, [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
        assert_eq!(RULES.gap(200).whole_seconds(), 3600, "no overflow");
    }

    #[test]
    fn a_number_gets_at_most_the_daily_cap_in_any_24_hours() {
        let id = WriteId::generate();
        let mut state = NumberState::default();
        let mut now = at(0);
        let mut sent = Vec::new();
        while now < at(48 * 3600) {
            match RULES.send(&state, now, &id) {
                Ok(next) => {
                    sent.push(now);
                    now = next.cooldown_until.unwrap();
                    state = next;
                }
                Err(refused) => {
                    let until = refused.until.expect("a number's rules end");
                    assert!(until > now);
                    now = until;
                }
            }
        }
        for (i, first) in sent.iter().enumerate() {
            let within = sent[i..].iter().filter(|t| **t < *first + DAY).count();
            assert!(within <= 10, "{within} sends in the 24 hours from {first}");
        }
        assert_eq!(sent.len(), 20, "ten a day, two days");
        // The gaps grew: the first six came within the first hour and a little over, the rest hourly at most.
        assert_eq!(sent[1] - sent[0], Duration::seconds(60));
        assert_eq!(sent[6] - sent[5], Duration::seconds(1920));
    }

    #[test]
    fn the_hourly_cap_counts_the_last_hour() {
        let rules = NumberRules { first_gap_seconds: 0, ..RULES };
        let id = WriteId::generate();
        let mut state = NumberState::default();
        for i in 0..5 {
            state = rules.send(&state, at(i * 60), &id).unwrap();
        }
        assert_eq!(rules.send(&state, at(300), &id), Err(Refusal::until(Rule::NumberCap, at(3600))));
        assert!(rules.send(&state, at(3600), &id).is_ok());
    }

    #[test]
    fn a_verification_or_a_quiet_day_ends_the_streak() {
        let id = WriteId::generate();
        let state = NumberState { unverified_streak: 4, recent_sends: vec![at(0)], ..NumberState::default() };
        let next = RULES.send(&state, at(10), &id).unwrap();
        assert_eq!(next.cooldown_until, Some(at(10 + 960)));
        let next = RULES.send(&state, at(86_400), &id).unwrap();
        assert_eq!(next.cooldown_until, Some(at(86_400 + 60)), "a day without sends starts afresh");
        assert_eq!(next.unverified_streak, 1);
        assert_eq!(next.version, 1);
    }

    #[test]
    fn budgets_follow_verified_traffic_with_a_floor_over_two_days() {
        let budget = UnverifiedBudget { floor: 10, percent_of_verified: 100 };
        let count = |unverified, verified| DayCount { unverified, verified };
        assert_eq!(budget.room_today([count(0, 0), count(0, 0)], 1), 10);
        assert_eq!(budget.room_today([count(4, 0), count(0, 0)], 1), 6, "yesterday's unverified count too");
        assert_eq!(budget.room_today([count(0, 300), count(0, 200)], 1), 500);
        assert_eq!(budget.room_today([count(0, 0), count(0, 0)], 4), 3, "the floor is split over the shards");
        assert_eq!(budget.room_today([count(20, 0), count(0, 0)], 1), -10);
    }

    #[test]
    fn the_client_cap_slides_over_the_hour() {
        let cap = ClientCap { max: 20 };
        assert_eq!(cap.room(0, 0), 20);
        assert_eq!(cap.room(20, 0), 0, "the whole last hour is inside the window");
        assert_eq!(cap.room(20, 1800), 10);
        assert_eq!(cap.room(20, 3600), 20);
        assert_eq!(cap.room(7, 3599), 19, "rounded against the client");
        let start = at(0);
        assert_eq!(cap.free_at([0, 20], start), start + Duration::seconds(3600 + 180), "19 of 20 left");
        assert_eq!(cap.free_at([20, 10], start), start + Duration::seconds(1980));
        assert_eq!(cap.free_at([0, 3], start), start, "room already");
        // Free then, and not a second earlier.
        assert!(cap.room(20, 180) > 0 && cap.room(20, 179) <= 0, "next hour: last = 20, this = 0");
        assert!(cap.room(20, 1980) > 10 && cap.room(20, 1979) <= 10);
    }

    #[test]
    fn clients_are_ipv4_addresses_and_ipv6_networks() {
        assert_eq!(client_network("198.51.100.7"), "198.51.100.7");
        assert_eq!(client_network("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
        assert_eq!(client_network("2001:db8:1:2:ffff::1"), "2001:db8:1:2::/64");
        assert_ne!(client_network("2001:db8:1:3::1"), client_network("2001:db8:1:2::1"));
        assert_eq!(client_network("::ffff:198.51.100.7"), "198.51.100.7");
    }

    #[test]
    fn ranges_drop_the_last_four_digits() {
        let phone = PhoneNumber::parse("+14155552671", &Default::default()).unwrap();
        assert_eq!(number_range(&phone), "+1415555");
    }
}
