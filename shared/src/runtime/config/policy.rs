//! The rules on sending: codes, gaps and caps, the unverified budgets, calls and the spend limit.

use super::*;

/// The limits: code length and lifetime (within what the Vonage API accepts), attempts, cooldown
/// and hourly caps.
pub(super) fn policy<F: Fn(&str) -> Option<String>>(s: &Settings<F>, api: VonageApi) -> Result<Policy, ConfigError> {
    let code_length = s.number("OTP_CODE_LENGTH", 6u8, MIN_CODE_LENGTH..=MAX_CODE_LENGTH)?;
    if api == VonageApi::Legacy && ![4, 6].contains(&code_length) {
        return Err(ConfigError::new(
            "OTP_CODE_LENGTH",
            format!("must be 4 or 6 with VONAGE_API=legacy (got `{code_length}`)"),
        ));
    }
    // Vonage v2 keeps a code alive 15–900 s per step and v1 60–3600 s: both accept 60–900.
    let ttl_seconds = s.number("OTP_TTL_SECONDS", 300u32, 60..=900)?;
    let (voice, landlines_by_voice) = voice_calls(s, api, ttl_seconds)?;
    let channels = ladder(s, api, voice)?;
    Ok(Policy {
        code_length,
        ttl_seconds,
        voice,
        channels,
        landlines_by_voice,
        // Vonage ends a verification after three wrong codes, so a higher limit could never apply.
        max_attempts: s.number("OTP_MAX_ATTEMPTS", 3u32, 1..=3)?,
        number: number_rules(s)?,
        max_sends_per_ip_per_hour: s.number("OTP_MAX_SENDS_PER_IP_PER_HOUR", 20u32, 1..=1_000_000)?,
        range_budget: UnverifiedBudget {
            floor: s.number("OTP_RANGE_UNVERIFIED_FLOOR", 10u32, 1..=1_000_000)?,
            percent_of_verified: unverified_percent(s)?,
        },
        country_budget: UnverifiedBudget {
            floor: s.number("OTP_COUNTRY_UNVERIFIED_FLOOR", 25u32, 1..=10_000_000)?,
            percent_of_verified: unverified_percent(s)?,
        },
        counter_shards: s.number("OTP_COUNTER_SHARDS", 4u32, 1..=256)?,
        spend: spend_limit(s)?,
        test_numbers: TestNumbers::parse(&s.get("TEST_NUMBERS").unwrap_or_default(), code_length)
            .map_err(|problem| ConfigError::new("TEST_NUMBERS", problem))?,
    })
}

/// When codes go by a call (`VOICE_CALLS`), and whether landlines may get them so
/// (`VOICE_FOR_LANDLINES`). Automatic calls come half-way through the code's life; v1 waits at
/// least 60 s between steps.
pub(super) fn voice_calls<F: Fn(&str) -> Option<String>>(
    s: &Settings<F>,
    api: VonageApi,
    ttl_seconds: u32,
) -> Result<(VoiceCalls, bool), ConfigError> {
    let raw = s.get("VOICE_CALLS").unwrap_or_else(|| "on_request".into());
    let calls = VoiceCalls::parse(&raw).ok_or_else(|| {
        ConfigError::new("VOICE_CALLS", format!("must be `off`, `on_request` or `automatic` (got `{raw}`)"))
    })?;
    // The call comes at half the code's life, and the two halves make it whole: Vonage's v1 wants
    // `pin_expiry` an exact multiple of `next_event_wait`, and waits at least 60 s between steps.
    if calls == VoiceCalls::Automatic && ttl_seconds % 2 == 1 {
        return Err(ConfigError::new(
            "OTP_TTL_SECONDS",
            format!("must be an even number of seconds with VOICE_CALLS=automatic (got `{ttl_seconds}`)"),
        ));
    }
    if calls == VoiceCalls::Automatic && api == VonageApi::Legacy && ttl_seconds < 120 {
        return Err(ConfigError::new(
            "OTP_TTL_SECONDS",
            format!("must be at least 120 with VOICE_CALLS=automatic and VONAGE_API=legacy (got `{ttl_seconds}`)"),
        ));
    }
    let landlines = match s.get("VOICE_FOR_LANDLINES").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ConfigError::new("VOICE_FOR_LANDLINES", format!("must be `true` or `false` (got `{other}`)")));
        }
    };
    if landlines && !calls.allowed() {
        return Err(ConfigError::new("VOICE_FOR_LANDLINES", "must be `false` with VOICE_CALLS=off"));
    }
    Ok((calls, landlines))
}

/// The hosted page's ladder (`OTP_CHANNELS`, `sms,voice` by default): channels the legacy API
/// and the calls setting can send, WhatsApp only with a sender (`VONAGE_WHATSAPP_FROM`).
pub(super) fn ladder<F: Fn(&str) -> Option<String>>(
    s: &Settings<F>,
    api: VonageApi,
    calls: VoiceCalls,
) -> Result<Channels, ConfigError> {
    let raw = s.get("OTP_CHANNELS").unwrap_or_else(|| Channels::default().names());
    let ladder = Channels::parse(&raw).map_err(|problem| ConfigError::new("OTP_CHANNELS", problem))?;
    let error = |problem: &str| Err(ConfigError::new("OTP_CHANNELS", format!("{problem} (got `{raw}`)")));
    if ladder.contains(Channel::WhatsApp) {
        if api == VonageApi::Legacy {
            return error("may not name whatsapp with VONAGE_API=legacy, which has no WhatsApp");
        }
        if s.get("VONAGE_WHATSAPP_FROM").is_none() {
            return error("names whatsapp: set VONAGE_WHATSAPP_FROM, the WhatsApp Business number codes come from");
        }
    }
    // v1's preset workflows have a call after an SMS, never before.
    if api == VonageApi::Legacy && ladder.as_slice() == [Channel::Voice, Channel::Sms] {
        return error("must put sms before voice with VONAGE_API=legacy");
    }
    if ladder.offered(calls, false).is_none() {
        return error("offers nothing but calls, and VOICE_CALLS=off");
    }
    Ok(ladder)
}

pub(super) fn unverified_percent<F: Fn(&str) -> Option<String>>(s: &Settings<F>) -> Result<u32, ConfigError> {
    s.number("OTP_UNVERIFIED_PERCENT_OF_VERIFIED", 100u32, 0..=10_000)
}

/// A number's gaps (the first, doubling after each code nobody entered, up to the longest) and
/// its caps per hour and per 24 hours. The daily cap is the most sends a number's item remembers.
pub(super) fn number_rules<F: Fn(&str) -> Option<String>>(s: &Settings<F>) -> Result<NumberRules, ConfigError> {
    let first_gap_seconds = s.number("OTP_RESEND_COOLDOWN_SECONDS", 60u32, 0..=3600)?;
    let max_gap_seconds = s.number("OTP_MAX_RESEND_COOLDOWN_SECONDS", 3600u32, 0..=86_400)?;
    if max_gap_seconds < first_gap_seconds {
        return Err(ConfigError::new(
            "OTP_MAX_RESEND_COOLDOWN_SECONDS",
            format!("must be at least OTP_RESEND_COOLDOWN_SECONDS ({first_gap_seconds})"),
        ));
    }
    Ok(NumberRules {
        first_gap_seconds,
        max_gap_seconds,
        max_per_hour: s.number("OTP_MAX_SENDS_PER_NUMBER_PER_HOUR", 5u32, 1..=100)?,
        max_per_day: s.number("OTP_MAX_SENDS_PER_NUMBER_PER_DAY", 10u32, 1..=100)?,
    })
}

/// The day's spend budget in dollars, and the price tables with the operator's prices.
pub(super) fn spend_limit<F: Fn(&str) -> Option<String>>(s: &Settings<F>) -> Result<SpendLimit, ConfigError> {
    let raw = s.get("OTP_DAILY_SPEND_LIMIT").unwrap_or_else(|| DEFAULT_DAILY_SPEND_LIMIT.to_owned());
    // A bound far above any real budget, and far below what would overflow a day's sums.
    let max = MicroUsd(1_000_000 * 1_000_000);
    let daily = MicroUsd::parse(&raw).filter(|d| d.0 > 0 && *d <= max).ok_or_else(|| {
        ConfigError::new(
            "OTP_DAILY_SPEND_LIMIT",
            format!("must be an amount in US dollars above 0 and at most {max}, e.g. 50 or 12.50 (got `{raw}`)"),
        )
    })?;
    let table = |name: &'static str, table: PriceTable| {
        table.with_overrides(&s.get(name).unwrap_or_default()).map_err(|problem| ConfigError::new(name, problem))
    };
    Ok(SpendLimit {
        daily,
        sms: table("OTP_SMS_PRICES", PriceTable::sms())?,
        voice: table("OTP_VOICE_PRICES", PriceTable::voice())?,
        whatsapp: table("OTP_WHATSAPP_PRICES", PriceTable::whatsapp())?,
        aws_sms: table("AWS_SMS_PRICES", PriceTable::aws_sms())?,
        aws_voice: table("AWS_VOICE_PRICES", PriceTable::aws_voice())?,
    })
}
