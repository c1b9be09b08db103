//! What one SMS is estimated to cost, per country: the spend breaker adds it up. The table holds
//! rounded estimates of list prices in US dollars (mid-2026, one SMS segment, the dearer of the
//! large providers); a country not listed costs the default, which is high on purpose: the
//! countries left out are where SMS pumping pays best. An operator sets their own with
//! `OTP_SMS_PRICES` (`GB=0.05,*=0.50`: `*` is the default).

use std::collections::BTreeMap;

use crate::domain::limits::MicroUsd;

/// The default for a country the table does not list.
const UNLISTED: &str = "0.40";

/// ISO 3166-1 alpha-2 and the estimated price of one SMS in US dollars.
const ESTIMATES: &[(&str, &str)] = &[
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsPrices {
    by_country: BTreeMap<String, MicroUsd>,
    unlisted: MicroUsd,
}

impl Default for SmsPrices {
    fn default() -> Self {
        let price = |text: &str| MicroUsd::parse(text).expect("the table's prices parse");
        Self {
            by_country: ESTIMATES.iter().map(|(country, usd)| ((*country).to_owned(), price(usd))).collect(),
            unlisted: price(UNLISTED),
        }
    }
}

impl SmsPrices {
    /// The table with `overrides` (`GB=0.05,*=0.50`) applied.
    pub fn with_overrides(overrides: &str) -> Result<Self, String> {
        let mut prices = Self::default();
        for pair in overrides.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (country, usd) =
                pair.split_once('=').ok_or_else(|| format!("`{pair}` is not COUNTRY=PRICE (e.g. `GB=0.05`)"))?;
            let (country, usd) = (country.trim().to_ascii_uppercase(), usd.trim());
            let price = MicroUsd::parse(usd).ok_or_else(|| format!("`{usd}` is not a price in dollars (e.g. 0.05)"))?;
            if country == "*" {
                prices.unlisted = price;
            } else if country.parse::<phonenumber::country::Id>().is_ok() {
                prices.by_country.insert(country, price);
            } else {
                return Err(format!("`{country}` is not an ISO 3166-1 alpha-2 country code or `*`"));
            }
        }
        Ok(prices)
    }

    pub fn price(&self, country: &str) -> MicroUsd {
        self.by_country.get(country).copied().unwrap_or(self.unlisted)
    }

    /// The dearest SMS anywhere.
    pub fn dearest(&self) -> MicroUsd {
        self.by_country.values().copied().chain([self.unlisted]).max().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_countries_have_their_price_and_others_the_default() {
        let prices = SmsPrices::default();
        assert_eq!(prices.price("US"), MicroUsd(7_900));
        assert_eq!(prices.price("UZ"), MicroUsd(400_000));
        assert_eq!(prices.dearest(), MicroUsd(400_000));
    }

    #[test]
    fn overrides_replace_a_country_or_the_default_and_bad_ones_are_named() {
        let prices = SmsPrices::with_overrides(" gb=0.05 , *=0.60").unwrap();
        assert_eq!(prices.price("GB"), MicroUsd(50_000));
        assert_eq!(prices.price("UZ"), MicroUsd(600_000));
        assert_eq!(prices.price("US"), MicroUsd(7_900));
        for bad in ["GB", "GB=cheap", "Narnia=0.1", "GB=-1"] {
            assert!(SmsPrices::with_overrides(bad).unwrap_err().contains('`'), "{bad}");
        }
    }
}
