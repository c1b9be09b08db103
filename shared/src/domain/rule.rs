//! The rules that refuse a code request, one word each. A rule is decided in the domain
//! ([`crate::domain::limits`]), by the store's conditional write, or by the service; it travels
//! unchanged to the HTTP edge, which gives each rule its answer in one `match`, and to the log
//! line and the `CodesRefused` metric, which name it.

use time::OffsetDateTime;

/// A rule that refused a code request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The number's gap between codes has not passed.
    Cooldown,
    /// The number had its codes for the hour or the day.
    NumberCap,
    /// The client (an IPv4 address, an IPv6 /64) had its codes for the hour.
    ClientCap,
    /// The number's range or country holds its budget of codes nobody entered.
    DestinationBudget,
    /// The day's estimated spend is reached.
    SpendBudget,
    /// The operator's switch stops sending (docs/operate/operations.md).
    Stopped,
    /// A call was asked for where codes go by SMS only.
    CallsOff,
    /// A channel the application's ladder does not offer (or the deployment cannot send by).
    ChannelNotOffered,
    /// The provider holds an earlier verification for the number that it will neither cancel
    /// nor move on yet (Vonage's one verification per number).
    ProviderBusy,
    /// The bot check did not pass.
    BotCheck,
    /// A test number's wrong codes of the day are spent ([`crate::domain::test_numbers`]).
    TestGuesses,
    /// A test number in a sign-in whose client does not accept them (`allowTestNumbers` in its
    /// registration, off by default), or in a sign-in that is over.
    TestNumberRefused,
}

impl Rule {
    pub const ALL: [Rule; 12] = [
        Rule::Cooldown,
        Rule::NumberCap,
        Rule::ClientCap,
        Rule::DestinationBudget,
        Rule::SpendBudget,
        Rule::Stopped,
        Rule::CallsOff,
        Rule::ProviderBusy,
        Rule::BotCheck,
        Rule::TestGuesses,
        Rule::TestNumberRefused,
        Rule::ChannelNotOffered,
    ];

    /// The rule's name in the logs (`rule`) and in the `Rule` dimension of `CodesRefused`.
    pub fn name(self) -> &'static str {
        match self {
            Rule::Cooldown => "cooldown",
            Rule::NumberCap => "number_cap",
            Rule::ClientCap => "client_cap",
            Rule::DestinationBudget => "destination_budget",
            Rule::SpendBudget => "spend_budget",
            Rule::Stopped => "stopped",
            Rule::CallsOff => "calls_off",
            Rule::ProviderBusy => "provider_busy",
            Rule::BotCheck => "bot_check",
            Rule::TestGuesses => "test_guesses",
            Rule::TestNumberRefused => "test_number_refused",
            Rule::ChannelNotOffered => "channel_not_offered",
        }
    }
}

/// A request refused by `rule`, and when the rule stops refusing it (`None`: no end it knows
/// of, e.g. the operator's switch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub rule: Rule,
    pub until: Option<OffsetDateTime>,
}

impl Refusal {
    /// Refused by `rule` until `until`.
    pub fn until(rule: Rule, until: OffsetDateTime) -> Self {
        Self { rule, until: Some(until) }
    }

    /// Refused by `rule`, with no end known.
    pub fn by(rule: Rule) -> Self {
        Self { rule, until: None }
    }
}

#[cfg(test)]
mod tests {
    use super::Rule;

    /// Where a new rule must be added to [`Rule::ALL`]: this match does not compile without it.
    fn position(rule: Rule) -> usize {
        match rule {
            Rule::Cooldown => 0,
            Rule::NumberCap => 1,
            Rule::ClientCap => 2,
            Rule::DestinationBudget => 3,
            Rule::SpendBudget => 4,
            Rule::Stopped => 5,
            Rule::CallsOff => 6,
            Rule::ProviderBusy => 7,
            Rule::BotCheck => 8,
            Rule::TestGuesses => 9,
            Rule::TestNumberRefused => 10,
            Rule::ChannelNotOffered => 11,
        }
    }

    #[test]
    fn all_holds_every_rule_once() {
        for (i, rule) in Rule::ALL.iter().enumerate() {
            assert_eq!(position(*rule), i, "{rule:?}");
        }
    }

    #[test]
    fn each_rule_has_its_own_name() {
        let names: std::collections::BTreeSet<_> = Rule::ALL.iter().map(|r| r.name()).collect();
        assert_eq!(names.len(), Rule::ALL.len());
        assert!(names.iter().all(|n| n.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
    }
}
