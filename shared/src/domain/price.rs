//! What one code is estimated to cost, per country and channel: the spend breaker adds it up.
//! The tables hold rounded estimates of list prices in US dollars (mid-2026, the dearer of the
//! large providers): one SMS segment, and one call of up to a minute to a mobile number (a code
//! spoken twice takes ~30 s; calls are billed by the minute in most countries). A country not
//! listed costs the default, which is high on purpose: the countries left out are where SMS and
//! call pumping pay best. An operator sets their own with `OTP_SMS_PRICES` and
//! `OTP_VOICE_PRICES` (`GB=0.05,*=0.50`: `*` is the default).

use std::collections::BTreeMap;

use crate::domain::aws_prices::{AWS_SMS_ESTIMATES, AWS_SMS_UNLISTED, AWS_VOICE_ESTIMATES, AWS_VOICE_UNLISTED};
use crate::domain::channel::Channel;
use crate::domain::provider::ProviderName;
use crate::domain::whatsapp_prices::{WHATSAPP_ESTIMATES, WHATSAPP_UNLISTED};

/// The default for a country the SMS table does not list.
const SMS_UNLISTED: &str = "0.40";

/// ISO 3166-1 alpha-2 and the estimated price of one SMS in US dollars.
const SMS_ESTIMATES: &[(&str, &str)] = &[
    ("AE", "0.06"),
    ("AR", "0.06"),
    ("AT", "0.09"),
    ("AU", "0.045"),
    ("BE", "0.09"),
    ("BR", "0.05"),
    ("CA", "0.0075"),
    ("CH", "0.06"),
    ("CN", "0.04"),
    ("DE", "0.09"),
    ("DK", "0.05"),
    ("EG", "0.25"),
    ("ES", "0.07"),
    ("FI", "0.08"),
    ("FR", "0.075"),
    ("GB", "0.045"),
    ("ID", "0.35"),
    ("IE", "0.07"),
    ("IN", "0.006"),
    ("IT", "0.08"),
    ("JP", "0.08"),
    ("KE", "0.15"),
    ("KR", "0.03"),
    ("MX", "0.03"),
    ("MY", "0.08"),
    ("NG", "0.27"),
    ("NL", "0.09"),
    ("NO", "0.07"),
    ("NZ", "0.11"),
    ("PH", "0.20"),
    ("PK", "0.23"),
    ("PL", "0.04"),
    ("PT", "0.04"),
    ("SA", "0.05"),
    ("SE", "0.06"),
    ("SG", "0.04"),
    ("TH", "0.03"),
    ("TR", "0.03"),
    ("US", "0.0079"),
    ("VN", "0.09"),
    ("ZA", "0.02"),
];

/// The default for a country the call table does not list.
const VOICE_UNLISTED: &str = "0.60";

/// ISO 3166-1 alpha-2 and the estimated price of a call of up to a minute to a mobile number.
const VOICE_ESTIMATES: &[(&str, &str)] = &[
    ("AE", "0.20"),
    ("AR", "0.10"),
    ("AT", "0.12"),
    ("AU", "0.06"),
    ("BE", "0.15"),
    ("BR", "0.08"),
    ("CA", "0.014"),
    ("CH", "0.25"),
    ("CN", "0.06"),
    ("DE", "0.10"),
    ("DK", "0.06"),
    ("EG", "0.25"),
    ("ES", "0.06"),
    ("FI", "0.12"),
    ("FR", "0.08"),
    ("GB", "0.04"),
    ("ID", "0.20"),
    ("IE", "0.06"),
    ("IN", "0.03"),
    ("IT", "0.06"),
    ("JP", "0.12"),
    ("KE", "0.10"),
    ("KR", "0.05"),
    ("MX", "0.04"),
    ("MY", "0.06"),
    ("NG", "0.20"),
    ("NL", "0.10"),
    ("NO", "0.06"),
    ("NZ", "0.12"),
    ("PH", "0.25"),
    ("PK", "0.15"),
    ("PL", "0.05"),
    ("PT", "0.06"),
    ("SA", "0.15"),
    ("SE", "0.05"),
    ("SG", "0.03"),
    ("TH", "0.06"),
    ("TR", "0.10"),
    ("US", "0.014"),
    ("VN", "0.12"),
    ("ZA", "0.10"),
];

/// The most one SMS or call may be priced at: Vonage's dearest destinations cost under a dollar,
/// so a price above this is a typo, and bounding it keeps every sum of prices far from overflow.
pub const MAX_PRICE: MicroUsd = MicroUsd(10_000_000);

#[derive(Debug, Clone, PartialEq, Eq)]
/// One channel's prices by country.
pub struct PriceTable {
    by_country: BTreeMap<String, MicroUsd>,
    unlisted: MicroUsd,
}

impl PriceTable {
    /// The estimates for one SMS.
    pub fn sms() -> Self {
        Self::from_estimates(SMS_ESTIMATES, SMS_UNLISTED)
    }

    /// The estimates for one call.
    pub fn voice() -> Self {
        Self::from_estimates(VOICE_ESTIMATES, VOICE_UNLISTED)
    }

    /// The estimates for one WhatsApp authentication message ([`crate::domain::whatsapp_prices`]).
    pub fn whatsapp() -> Self {
        Self::from_estimates(WHATSAPP_ESTIMATES, WHATSAPP_UNLISTED)
    }

    /// AWS End User Messaging's list prices for one SMS.
    pub fn aws_sms() -> Self {
        Self::from_estimates(AWS_SMS_ESTIMATES, AWS_SMS_UNLISTED)
    }

    /// AWS End User Messaging's list prices for a call of up to a minute.
    pub fn aws_voice() -> Self {
        Self::from_estimates(AWS_VOICE_ESTIMATES, AWS_VOICE_UNLISTED)
    }

    fn from_estimates(estimates: &[(&str, &str)], unlisted: &str) -> Self {
        let price = |text: &str| MicroUsd::parse(text).expect("the table's prices parse");
        Self {
            by_country: estimates.iter().map(|(country, usd)| ((*country).to_owned(), price(usd))).collect(),
            unlisted: price(unlisted),
        }
    }

    /// This table with `overrides` (`GB=0.05,*=0.50`) applied.
    pub fn with_overrides(mut self, overrides: &str) -> Result<Self, String> {
        let prices = &mut self;
        for pair in overrides.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (country, usd) =
                pair.split_once('=').ok_or_else(|| format!("`{pair}` is not COUNTRY=PRICE (e.g. `GB=0.05`)"))?;
            let (country, usd) = (country.trim().to_ascii_uppercase(), usd.trim());
            let price = MicroUsd::parse(usd)
                .filter(|p| *p <= MAX_PRICE)
                .ok_or_else(|| format!("`{usd}` is not a price in dollars from 0 to {MAX_PRICE} (e.g. 0.05)"))?;
            if country == "*" {
                prices.unlisted = price;
            } else if country.parse::<phonenumber::country::Id>().is_ok() {
                prices.by_country.insert(country, price);
            } else {
                return Err(format!("`{country}` is not an ISO 3166-1 alpha-2 country code or `*`"));
            }
        }
        Ok(self)
    }

    pub fn price(&self, country: &str) -> MicroUsd {
        self.by_country.get(country).copied().unwrap_or(self.unlisted)
    }

    /// The dearest anywhere.
    pub fn dearest(&self) -> MicroUsd {
        self.by_country.values().copied().chain([self.unlisted]).max().unwrap_or_default()
    }
}

/// Money in millionths of a US dollar.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct MicroUsd(pub u64);

impl MicroUsd {
    /// In US dollars, for a metric.
    pub fn dollars(self) -> f64 {
        self.0 as f64 / 1_000_000.0
    }

    /// Parses `0.05`, `10`, `12.345678`.
    pub fn parse(text: &str) -> Option<Self> {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        if whole.is_empty() && fraction.is_empty()
            || fraction.len() > 6
            || !whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let whole: u64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
        let fraction: u64 = format!("{fraction:0<6}").parse().ok()?;
        whole.checked_mul(1_000_000)?.checked_add(fraction).map(Self)
    }
}

impl MicroUsd {
    /// The price as AWS's `MaxPrice` takes it (`[0-9]{0,2}\.[0-9]{1,5}`): dollars to five places,
    /// rounded up, at most $99.99999.
    pub fn as_max_price(self) -> String {
        let hundred_thousandths = self.0.div_ceil(10).min(9_999_999);
        format!("{}.{:05}", hundred_thousandths / 100_000, hundred_thousandths % 100_000)
    }
}

impl std::fmt::Display for MicroUsd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "${}.{:02}", self.0 / 1_000_000, (self.0 % 1_000_000) / 10_000)
    }
}

/// A day's spend budget, split over `shards` counters (each send adds its price to one): each
/// counter stops at its share, so the day never passes the budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpendLimit {
    pub daily: MicroUsd,
    /// One SMS's price, one call's and one WhatsApp message's, through Vonage.
    pub sms: PriceTable,
    pub voice: PriceTable,
    pub whatsapp: PriceTable,
    /// The same through AWS End User Messaging.
    pub aws_sms: PriceTable,
    pub aws_voice: PriceTable,
}

impl SpendLimit {
    /// How many counters share the budget: as many as the store needs to take the load
    /// (`max_shards`), but few enough that each share holds ten of the dearest SMS, so that
    /// shares do not strand much of the budget.
    pub fn shards(&self, max_shards: u32) -> u32 {
        let dearest = [&self.sms, &self.voice, &self.whatsapp, &self.aws_sms, &self.aws_voice]
            .iter()
            .map(|t| t.dearest())
            .max()
            .unwrap_or_default()
            .0
            .max(1);
        let by_budget = self.daily.0 / dearest.saturating_mul(10);
        u32::try_from(by_budget).unwrap_or(u32::MAX).clamp(1, max_shards.max(1))
    }

    /// What a send to `country` through `provider` is counted at: each of its steps (a step
    /// that follows by itself is sent unless the code is entered first, and a code nobody enters
    /// (the pumping attacker's) gets every one).
    pub fn price(&self, provider: ProviderName, country: &str, steps: &[Channel]) -> MicroUsd {
        let one = |channel: Channel| match (provider, channel) {
            (ProviderName::Aws, Channel::Voice) => self.aws_voice.price(country),
            // AWS End User Messaging SMS carries no WhatsApp; were it asked to, count an SMS.
            (ProviderName::Aws, Channel::Sms | Channel::WhatsApp) => self.aws_sms.price(country),
            (ProviderName::Vonage, Channel::Voice) => self.voice.price(country),
            (ProviderName::Vonage, Channel::Sms) => self.sms.price(country),
            (ProviderName::Vonage, Channel::WhatsApp) => self.whatsapp.price(country),
        };
        MicroUsd(steps.iter().map(|c| one(*c).0).fold(0, u64::saturating_add))
    }

    /// One counter's share of the day's budget.
    pub fn share(&self, shards: u32) -> MicroUsd {
        MicroUsd(self.daily.0 / u64::from(shards.max(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_countries_have_their_price_and_others_the_default() {
        let prices = PriceTable::sms();
        assert_eq!(prices.price("US"), MicroUsd(7_900));
        assert_eq!(prices.price("UZ"), MicroUsd(400_000));
        assert_eq!(prices.dearest(), MicroUsd(400_000));
        let calls = PriceTable::voice();
        assert_eq!(calls.price("US"), MicroUsd(14_000));
        assert_eq!(calls.price("UZ"), MicroUsd(600_000));
        let whatsapp = PriceTable::whatsapp();
        assert_eq!(whatsapp.price("IN"), MicroUsd(6_400));
        assert_eq!(whatsapp.price("UZ"), MicroUsd(150_000));
    }

    #[test]
    fn a_send_costs_each_of_its_steps_and_the_whatsapp_table_covers_the_sms_one() {
        let spend = SpendLimit {
            daily: MicroUsd(1),
            sms: PriceTable::sms(),
            voice: PriceTable::voice(),
            whatsapp: PriceTable::whatsapp(),
            aws_sms: PriceTable::aws_sms(),
            aws_voice: PriceTable::aws_voice(),
        };
        let steps = [Channel::WhatsApp, Channel::Sms, Channel::Voice];
        assert_eq!(spend.price(ProviderName::Vonage, "US", &steps), MicroUsd(8_400 + 7_900 + 14_000));
        assert_eq!(spend.price(ProviderName::Vonage, "US", &steps[..1]), MicroUsd(8_400));
        // Every country the SMS table prices, WhatsApp prices too, and cheaper but where SMS is
        // cheapest (North America, India): there a ladder that puts WhatsApp first costs more.
        for (country, _) in SMS_ESTIMATES {
            let (sms, whatsapp) = (spend.sms.price(country), spend.whatsapp.price(country));
            assert!(spend.whatsapp.by_country.contains_key(*country), "{country}");
            assert!(whatsapp < sms || ["US", "CA", "IN"].contains(country), "{country}");
        }
    }

    #[test]
    fn overrides_replace_a_country_or_the_default_and_bad_ones_are_named() {
        let prices = PriceTable::sms().with_overrides(" gb=0.05 , *=0.60").unwrap();
        assert_eq!(prices.price("GB"), MicroUsd(50_000));
        assert_eq!(prices.price("UZ"), MicroUsd(600_000));
        assert_eq!(prices.price("US"), MicroUsd(7_900));
        for bad in ["GB", "GB=cheap", "Narnia=0.1", "GB=-1"] {
            assert!(PriceTable::sms().with_overrides(bad).unwrap_err().contains('`'), "{bad}");
        }
    }

    #[test]
    fn money_parses_to_the_millionth() {
        assert_eq!(MicroUsd::parse("10.40"), Some(MicroUsd(10_400_000)));
        assert_eq!(MicroUsd::parse("0.0079"), Some(MicroUsd(7_900)));
        assert_eq!(MicroUsd::parse("50"), Some(MicroUsd(50_000_000)));
        for bad in ["", ".", "1.2345678", "-1", "1e3", "ten"] {
            assert_eq!(MicroUsd::parse(bad), None, "{bad}");
        }
        assert_eq!(MicroUsd(10_400_000).to_string(), "$10.40");
        assert_eq!(MicroUsd(7_900).as_max_price(), "0.00790");
        assert_eq!(MicroUsd(7_901).as_max_price(), "0.00791", "rounded up");
        assert_eq!(MicroUsd(10_400_000).as_max_price(), "10.40000");
        assert_eq!(MicroUsd(500_000_000).as_max_price(), "99.99999");
    }
}
