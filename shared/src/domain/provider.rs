//! The providers a code can go through, and the order a deployment tries them in, for every
//! country or for one: Vonage Verify (which owns its code) and AWS End User Messaging SMS and
//! voice (which carries a code the service owns: [`crate::domain::owned_code`]).

use std::collections::BTreeMap;

/// A provider a code can go through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProviderName {
    Vonage,
    Aws,
}

impl ProviderName {
    pub const ALL: [ProviderName; 2] = [ProviderName::Vonage, ProviderName::Aws];

    /// The name in settings, metrics and the operator's switch.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Vonage => "vonage",
            Self::Aws => "aws",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

/// Which providers a code may go through, in order: one list for every country, and lists of
/// their own for some (`PROVIDER_ORDER`, `PROVIDER_ORDER_BY_COUNTRY`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderOrder {
    default: Vec<ProviderName>,
    by_country: BTreeMap<String, Vec<ProviderName>>,
}

impl ProviderOrder {
    /// The order of `default` for every country.
    pub fn new(default: Vec<ProviderName>) -> Self {
        Self { default, by_country: BTreeMap::new() }
    }

    /// `vonage,aws`: provider names, each once, of those `configured`.
    pub fn parse_list(text: &str, configured: &[ProviderName]) -> Result<Vec<ProviderName>, String> {
        let mut list = Vec::new();
        for name in text.split(',').map(str::trim) {
            let provider = ProviderName::parse(name)
                .ok_or_else(|| format!("names `{name}`: the providers are `vonage` and `aws`"))?;
            if !configured.contains(&provider) {
                return Err(format!("names `{name}`, which is not configured"));
            }
            if list.contains(&provider) {
                return Err(format!("names `{name}` twice"));
            }
            list.push(provider);
        }
        Ok(list)
    }

    /// This order with countries of their own: `IN=aws,vonage;BR=aws`.
    pub fn with_countries(mut self, text: &str, configured: &[ProviderName]) -> Result<Self, String> {
        for entry in text.split(';').map(str::trim).filter(|e| !e.is_empty()) {
            let (country, list) =
                entry.split_once('=').ok_or_else(|| format!("`{entry}` is not `<country>=<providers>`"))?;
            let country = country.trim();
            if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(format!("`{country}` is not an ISO 3166-1 alpha-2 code such as `IN`"));
            }
            let list = Self::parse_list(list, configured).map_err(|e| format!("{country}: {e}"))?;
            if self.by_country.insert(country.to_owned(), list).is_some() {
                return Err(format!("names `{country}` twice"));
            }
        }
        Ok(self)
    }

    /// The order for a number of `country` (ISO 3166-1 alpha-2).
    pub fn for_country(&self, country: &str) -> &[ProviderName] {
        self.by_country.get(country).unwrap_or(&self.default)
    }

    /// Every provider some country may use.
    pub fn used(&self) -> Vec<ProviderName> {
        ProviderName::ALL
            .into_iter()
            .filter(|p| self.default.contains(p) || self.by_country.values().any(|l| l.contains(p)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProviderName::*;

    #[test]
    fn an_order_has_a_list_for_every_country_and_lists_of_their_own() {
        let both = [Vonage, Aws];
        let order = ProviderOrder::new(ProviderOrder::parse_list("vonage, aws", &both).unwrap())
            .with_countries("IN=aws,vonage; BR=aws", &both)
            .unwrap();
        assert_eq!(order.for_country("GB"), [Vonage, Aws]);
        assert_eq!(order.for_country("IN"), [Aws, Vonage]);
        assert_eq!(order.for_country("BR"), [Aws]);
        assert_eq!(order.used(), [Vonage, Aws]);
        assert_eq!(ProviderOrder::new(vec![Vonage]).used(), [Vonage]);
    }

    #[test]
    fn a_wrong_order_says_what_is_wrong() {
        let vonage_only = [Vonage];
        let both = [Vonage, Aws];
        for (text, problem) in [
            ("twilio", "names `twilio`: the providers are `vonage` and `aws`"),
            ("vonage,vonage", "names `vonage` twice"),
            ("", "names ``: the providers are `vonage` and `aws`"),
        ] {
            assert_eq!(ProviderOrder::parse_list(text, &both), Err(problem.to_owned()), "{text}");
        }
        assert_eq!(ProviderOrder::parse_list("aws", &vonage_only), Err("names `aws`, which is not configured".into()));
        let order = ProviderOrder::new(vec![Vonage]);
        for (text, problem) in [
            ("IN", "`IN` is not `<country>=<providers>`"),
            ("India=aws", "`India` is not an ISO 3166-1 alpha-2 code such as `IN`"),
            ("IN=aws;IN=vonage", "names `IN` twice"),
            ("IN=sns", "IN: names `sns`: the providers are `vonage` and `aws`"),
        ] {
            assert_eq!(order.clone().with_countries(text, &both), Err(problem.to_owned()), "{text}");
        }
    }
}
