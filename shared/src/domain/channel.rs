//! How a code reaches the person: a text message, a WhatsApp message or a voice call that speaks
//! it; the operator's choice of when calls are made; and the ladder of channels an application
//! offers, which is also the order a code falls back through when a step is not answered.

/// The channel a code goes by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, PartialOrd, Ord)]
pub enum Channel {
    #[default]
    Sms,
    Voice,
    /// A WhatsApp authentication message from the operator's WhatsApp Business number.
    WhatsApp,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::WhatsApp, Channel::Sms, Channel::Voice];

    /// `sms`, `voice` or `whatsapp`, as the API and Vonage write them.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Voice => "voice",
            Self::WhatsApp => "whatsapp",
        }
    }

    /// The channel a client names; anything else is none.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// When the code goes by a voice call (`VOICE_CALLS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VoiceCalls {
    /// Never: no ladder offers a call.
    Off,
    /// When the person asks for a call ("Call me"), after the resend gap; each call is a send,
    /// counted and priced like one. A ladder's call is never a step that follows by itself.
    #[default]
    OnRequest,
    /// Also by itself, as the ladder's step after the text ones when no code was entered
    /// (Vonage's own SMS-then-voice workflow); every send is priced with its call, since a code
    /// nobody enters (the pumping attacker's) always gets it.
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

/// One to three distinct channels, in order: an application's ladder (what the person may ask
/// for, the first by default), or the steps of one code (the channel asked for, then those that
/// follow by themselves after each step's time). Vonage's workflow takes at most three steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Channels {
    list: [Channel; 3],
    len: u8,
}

impl Default for Channels {
    /// Today's page: SMS, and a call where the operator allows calls.
    fn default() -> Self {
        Self::of(&[Channel::Sms, Channel::Voice]).expect("two distinct channels")
    }
}

impl Channels {
    /// `channels`, if there are one to three and none twice.
    pub fn of(channels: &[Channel]) -> Option<Self> {
        if channels.is_empty() || channels.len() > 3 {
            return None;
        }
        if channels.iter().enumerate().any(|(i, c)| channels[..i].contains(c)) {
            return None;
        }
        let mut list = [Channel::Sms; 3];
        list[..channels.len()].copy_from_slice(channels);
        Some(Self { list, len: channels.len() as u8 })
    }

    pub const fn one(channel: Channel) -> Self {
        Self { list: [channel; 3], len: 1 }
    }

    /// A call alone.
    pub const ONE_VOICE: Self = Self::one(Channel::Voice);

    /// `whatsapp,sms,voice`: names separated by commas, in order.
    pub fn parse(text: &str) -> Result<Self, String> {
        let names: Vec<&str> = text.split(',').map(str::trim).filter(|n| !n.is_empty()).collect();
        let channels = names
            .iter()
            .map(|n| Channel::from_name(n).ok_or_else(|| format!("`{n}` is not a channel (whatsapp, sms, voice)")))
            .collect::<Result<Vec<_>, _>>()?;
        Self::of(&channels).ok_or_else(|| "must name one to three channels, each once".to_owned())
    }

    pub fn as_slice(&self) -> &[Channel] {
        &self.list[..usize::from(self.len)]
    }

    pub fn first(&self) -> Channel {
        self.list[0]
    }

    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn contains(&self, channel: Channel) -> bool {
        self.as_slice().contains(&channel)
    }

    /// Those `keep` keeps, in order; none when it keeps none.
    pub fn filter(&self, keep: impl Fn(Channel) -> bool) -> Option<Self> {
        let kept: Vec<Channel> = self.as_slice().iter().copied().filter(|c| keep(*c)).collect();
        Self::of(&kept)
    }

    /// The names, in order, comma-separated (as [`Self::parse`] reads them).
    pub fn names(&self) -> String {
        self.as_slice().iter().map(|c| c.as_str()).collect::<Vec<_>>().join(",")
    }

    /// What the person may ask for on this ladder: a landline only a call; without calls, the
    /// ladder without its call (none when nothing is left).
    pub fn offered(&self, calls: VoiceCalls, landline: bool) -> Option<Self> {
        if landline {
            return calls.allowed().then(|| Self::one(Channel::Voice));
        }
        self.filter(|c| c != Channel::Voice || calls.allowed())
    }

    /// The steps of a code sent by `channel` on this ladder: it, then the ladder's later
    /// channels, a call among them only where calls are automatic. `channel` itself goes first
    /// whether or not the ladder names it (the caller checks that it may).
    pub fn steps_from(&self, channel: Channel, calls: VoiceCalls) -> Self {
        let later = self.as_slice().iter().skip_while(|c| **c != channel).skip(1);
        let mut steps = vec![channel];
        steps.extend(later.copied().filter(|c| *c != Channel::Voice || calls == VoiceCalls::Automatic));
        Self::of(&steps).unwrap_or_else(|| Self::one(channel))
    }

    /// Each step's seconds when the code lives `ttl_seconds` over all of them: the wait before
    /// the next step, which is also the code's life on each step in Vonage v2.
    pub fn step_seconds(&self, ttl_seconds: u32) -> u32 {
        ttl_seconds / u32::from(self.len.max(1))
    }
}

/// How one code is to be delivered: its steps (the first, then those that follow by themselves)
/// and its language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Delivery {
    pub steps: Steps,
    /// `None`: the provider picks from the number's country.
    pub locale: Option<crate::domain::locale::Locale>,
}

/// The steps of one code ([`Channels`]); an SMS alone by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Steps(pub Channels);

impl Default for Steps {
    fn default() -> Self {
        Self(Channels::one(Channel::Sms))
    }
}

impl Delivery {
    /// By `channel` alone, in the provider's choice of language.
    pub fn by(channel: Channel) -> Self {
        Self { steps: Steps(Channels::one(channel)), locale: None }
    }

    /// The channel of the first step: where the code goes first.
    pub fn channel(&self) -> Channel {
        self.steps.0.first()
    }

    pub fn steps(&self) -> &[Channel] {
        self.steps.0.as_slice()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_nothing_else_is_a_channel_or_a_setting() {
        for channel in Channel::ALL {
            assert_eq!(Channel::from_name(channel.as_str()), Some(channel));
        }
        for bad in ["", "SMS", "call", "WhatsApp", "whatsapp_interactive"] {
            assert_eq!(Channel::from_name(bad), None, "{bad}");
        }
        assert_eq!(VoiceCalls::parse("automatic"), Some(VoiceCalls::Automatic));
        assert_eq!(VoiceCalls::parse("on"), None);
        assert!(!VoiceCalls::Off.allowed());
    }

    #[test]
    fn a_ladder_is_one_to_three_channels_each_once() {
        let ladder = Channels::parse(" whatsapp, sms ,voice").unwrap();
        assert_eq!(ladder.names(), "whatsapp,sms,voice");
        assert_eq!(Channels::parse(&ladder.names()), Ok(ladder));
        for bad in ["", "sms,sms", "sms,fax", "sms,voice,whatsapp,sms"] {
            assert!(Channels::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Channels::default().names(), "sms,voice");
    }

    #[test]
    fn a_code_falls_back_down_the_ladder_and_calls_only_by_themselves_when_automatic() {
        let ladder = Channels::parse("whatsapp,sms,voice").unwrap();
        let steps = |c, calls| ladder.steps_from(c, calls).names();
        assert_eq!(steps(Channel::WhatsApp, VoiceCalls::OnRequest), "whatsapp,sms");
        assert_eq!(steps(Channel::WhatsApp, VoiceCalls::Automatic), "whatsapp,sms,voice");
        assert_eq!(steps(Channel::Sms, VoiceCalls::OnRequest), "sms");
        assert_eq!(steps(Channel::Sms, VoiceCalls::Automatic), "sms,voice");
        assert_eq!(steps(Channel::Voice, VoiceCalls::Automatic), "voice");
        // Today's page: an SMS, then a call half-way where calls are automatic.
        let today = Channels::default();
        assert_eq!(today.steps_from(Channel::Sms, VoiceCalls::Automatic).step_seconds(300), 150);
        assert_eq!(today.steps_from(Channel::Sms, VoiceCalls::OnRequest).step_seconds(300), 300);
    }

    #[test]
    fn what_a_person_may_ask_for_follows_calls_and_landlines() {
        let ladder = Channels::parse("whatsapp,sms,voice").unwrap();
        assert_eq!(ladder.offered(VoiceCalls::Off, false).unwrap().names(), "whatsapp,sms");
        assert_eq!(ladder.offered(VoiceCalls::OnRequest, false), Some(ladder));
        assert_eq!(ladder.offered(VoiceCalls::OnRequest, true).unwrap().names(), "voice");
        assert_eq!(ladder.offered(VoiceCalls::Off, true), None);
        assert_eq!(Channels::one(Channel::Voice).offered(VoiceCalls::Off, false), None);
    }
}
