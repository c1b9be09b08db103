//! How a code reaches the person: a text message or a voice call that speaks it, and the
//! operator's choice of when calls are made.

/// The channel a code goes by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Channel {
    #[default]
    Sms,
    Voice,
}

impl Channel {
    /// `sms` or `voice`, as the API and Vonage write them.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Voice => "voice",
        }
    }

    /// The channel a client names; anything else is none.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "sms" => Some(Self::Sms),
            "voice" => Some(Self::Voice),
            _ => None,
        }
    }
}

/// When the code goes by a voice call (`VOICE_CALLS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VoiceCalls {
    /// Never: SMS only.
    Off,
    /// When the person asks for a call ("Call me instead"), after the resend gap; each call is
    /// a send, counted and priced like one.
    #[default]
    OnRequest,
    /// Also by itself, half-way through the code's life when the SMS code was not entered
    /// (Vonage's own SMS-then-voice workflow); every send is priced as an SMS and a call, since
    /// a code nobody enters (the pumping attacker's) always gets both.
    Automatic,
}

impl VoiceCalls {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "off" => Some(Self::Off),
            "on_request" => Some(Self::OnRequest),
            "automatic" => Some(Self::Automatic),
            _ => None,
        }
    }

    pub fn allowed(self) -> bool {
        self != Self::Off
    }
}

/// The steps of a verification sent by `channel`, and how long each lasts: the wait before the
/// next step, which is also the code's life on each step in Vonage v2. A call alone, or an SMS
/// alone, lasts the code's whole life; with automatic calls, an SMS then a call half-way, so that
/// the call comes while the code this service holds is alive and the two steps end when it does.
pub fn workflow(channel: Channel, calls: VoiceCalls, ttl_seconds: u32) -> (&'static [Channel], u32) {
    match (channel, calls) {
        (Channel::Voice, _) => (&[Channel::Voice], ttl_seconds),
        (Channel::Sms, VoiceCalls::Automatic) => (&[Channel::Sms, Channel::Voice], ttl_seconds / 2),
        (Channel::Sms, _) => (&[Channel::Sms], ttl_seconds),
    }
}

/// How one code is to be delivered: its channel and its language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Delivery {
    pub channel: Channel,
    /// `None`: the provider picks from the number's country.
    pub locale: Option<crate::domain::locale::Locale>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_nothing_else_is_a_channel_or_a_setting() {
        for channel in [Channel::Sms, Channel::Voice] {
            assert_eq!(Channel::from_name(channel.as_str()), Some(channel));
        }
        for bad in ["", "SMS", "call", "whatsapp"] {
            assert_eq!(Channel::from_name(bad), None, "{bad}");
        }
        assert_eq!(VoiceCalls::parse("automatic"), Some(VoiceCalls::Automatic));
        assert_eq!(VoiceCalls::parse("on"), None);
        assert!(!VoiceCalls::Off.allowed());
    }
}
