//! Phone numbers as the product accepts them: valid, SMS-capable, normalized to E.164.

use std::collections::BTreeSet;
use std::fmt;

use phonenumber::country::Id as CountryId;
use phonenumber::metadata::DATABASE;
use phonenumber::{Mode, Type};

/// Longest input worth handing to the parser; E.164 allows 15 digits, so this leaves room for
/// spaces and punctuation while keeping hostile input away from the metadata regexes.
const MAX_INPUT_CHARS: usize = 40;

/// Why a number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("not a valid phone number in international format")]
    Invalid,
    #[error("this kind of number cannot receive SMS codes")]
    Unsupported,
    #[error("numbers from this country are not accepted")]
    CountryNotAllowed,
}

/// The ISO 3166-1 alpha-2 regions whose numbers are accepted; empty means every region.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CountryAllowList(BTreeSet<String>);

impl CountryAllowList {
    /// Parses a comma-separated list such as `US,GB,de`. Blank means no restriction.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut codes = BTreeSet::new();
        for raw in list.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            let code = raw.to_ascii_uppercase();
            if code.parse::<CountryId>().is_err() {
                return Err(format!("`{raw}` is not an ISO 3166-1 alpha-2 country code"));
            }
            codes.insert(code);
        }
        Ok(Self(codes))
    }

    pub fn allows(&self, region: &str) -> bool {
        self.0.is_empty() || self.0.contains(region)
    }

    pub fn is_unrestricted(&self) -> bool {
        self.0.is_empty()
    }
}

/// A valid phone number that can receive SMS, or a landline that can take a call where the
/// operator allows calls to landlines. Holding one means it passed every check.
///
/// `Debug` and `Display` show a masked form so a number can never reach a log line whole.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber {
    e164: String,
    region: String,
    masked: String,
    /// A fixed line: it takes the code by a call only.
    landline: bool,
}

impl PhoneNumber {
    /// Parses what a person typed: `+` (or `00`) and the country code, then the number, with
    /// spaces, dashes, dots and parentheses allowed anywhere.
    pub fn parse(input: &str, allowed: &CountryAllowList) -> Result<Self, PhoneError> {
        Self::parse_with(input, allowed, false)
    }

    /// The same, accepting fixed-line numbers too when `landlines` (they get the code by a call).
    pub fn parse_with(input: &str, allowed: &CountryAllowList, landlines: bool) -> Result<Self, PhoneError> {
        let input = input.trim();
        if input.chars().count() > MAX_INPUT_CHARS
            || !input.chars().all(|c| c.is_ascii_digit() || " +-.()/".contains(c))
        {
            return Err(PhoneError::Invalid);
        }
        let rest = input.strip_prefix("00").or_else(|| input.strip_prefix('+')).ok_or(PhoneError::Invalid)?;
        if rest.contains('+') {
            return Err(PhoneError::Invalid);
        }
        // `+` and the digits alone: what libphonenumber's parser would make of the punctuation
        // allowed above, and the form it reads without compiling its Unicode patterns for
        // free text (vendor/README.md).
        let international: String = std::iter::once('+').chain(rest.chars().filter(char::is_ascii_digit)).collect();
        let number = phonenumber::parse(None, &international).map_err(|_| PhoneError::Invalid)?;
        if !number.is_valid() {
            return Err(PhoneError::Invalid);
        }
        let landline = match number.number_type(&DATABASE) {
            Type::Mobile | Type::FixedLineOrMobile | Type::PersonalNumber | Type::Voip => false,
            Type::FixedLine if landlines => true,
            _ => return Err(PhoneError::Unsupported),
        };
        let region = number.country().id().map(|id| id.as_ref().to_owned()).ok_or(PhoneError::Invalid)?;
        if !allowed.allows(&region) {
            return Err(PhoneError::CountryNotAllowed);
        }
        let e164 = number.format().mode(Mode::E164).to_string();
        let international = number.format().mode(Mode::International).to_string();
        let masked = mask(&international, number.code().value(), &e164);
        Ok(Self { e164, region, masked, landline })
    }

    /// `+14155552671`
    pub fn e164(&self) -> &str {
        &self.e164
    }

    /// E.164 without the `+`, as Vonage wants it.
    pub fn digits(&self) -> &str {
        &self.e164[1..]
    }

    /// ISO 3166-1 alpha-2 region, e.g. `US`.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// A fixed line, which takes a code by a call only.
    pub fn is_landline(&self) -> bool {
        self.landline
    }

    /// `+1 ***-***-**71`: safe for logs and for showing a person where the code went.
    pub fn masked(&self) -> &str {
        &self.masked
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked)
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.masked)
    }
}

/// libphonenumber's metadata, loading on a thread of its own: started first thing in a cold start,
/// the load runs alongside the rest of init, which waits for it before asking for the first event,
/// so that no call pays for it. (A 128 MB Lambda call gets a small share of a CPU; init has been
/// measured to run unthrottled.) A first parse also compiles the patterns it uses: the ones every
/// parse uses, and North America's (+1), compile here too; another region's compile on its first
/// number. The costs are in docs/develop/performance.md.
pub struct MetadataLoad(std::thread::JoinHandle<()>);

impl MetadataLoad {
    pub fn start() -> Self {
        Self(std::thread::spawn(|| {
            let _ = &*DATABASE;
            let _ = PhoneNumber::parse(WARM_UP_NUMBER, &CountryAllowList::default());
        }))
    }

    /// Waits until the metadata is loaded; a load that failed leaves the first parse to fail.
    pub fn wait(self) {
        let _ = self.0.join();
    }
}

/// libphonenumber's example US mobile number.
const WARM_UP_NUMBER: &str = "+12015550123";

/// Masks the national digits of an internationally formatted number but the last two, keeping
/// its country code and its shape: one number of a hundred in its country, which tells a person
/// (and a log line) which of theirs it was and tells nobody else whose it is.
fn mask(international: &str, country_code: u16, e164: &str) -> String {
    let country_digits = country_code.to_string().len();
    let national_len = e164.len() - 1 - country_digits;
    let mut seen: usize = 0;
    international
        .chars()
        .map(|c| {
            if !c.is_ascii_digit() {
                return c;
            }
            seen += 1;
            let national_index = seen.saturating_sub(country_digits);
            if seen <= country_digits || national_index + 2 > national_len { c } else { '*' }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any() -> CountryAllowList {
        CountryAllowList::default()
    }

    #[test]
    fn normalizes_punctuation_to_e164() {
        for input in ["+14155552671", "+1 (415) 555-2671", "+1.415.555.2671", " +1 415 555 2671 ", "001 415 555 2671"] {
            let phone = PhoneNumber::parse(input, &any()).unwrap();
            assert_eq!(phone.e164(), "+14155552671", "{input}");
            assert_eq!(phone.digits(), "14155552671");
            assert_eq!(phone.region(), "US");
        }
    }

    #[test]
    fn masks_in_display_and_debug() {
        let phone = PhoneNumber::parse("+14155552671", &any()).unwrap();
        assert_eq!(phone.masked(), "+1 ***-***-**71");
        assert_eq!(phone.to_string(), "+1 ***-***-**71");
        assert_eq!(format!("{phone:?}"), "PhoneNumber(+1 ***-***-**71)");
        // The country and the last two digits at most, whatever the number's length.
        for (number, masked) in [("+447400123456", "+44 **** ****56"), ("+353851234567", "+353 ** *** **67")] {
            assert_eq!(PhoneNumber::parse(number, &any()).unwrap().masked(), masked);
        }
    }

    #[test]
    fn refuses_invalid_input() {
        for input in [
            "",
            "+",
            "4155552671",
            "+1 415 555 267",
            "+999 123456789",
            "+1415555267１",
            "+1 415 555 2671 ext 5",
            "+1 415+555 2671",
            "00+14155552671",
            "+1415555abcd",
            &"+1".repeat(30),
        ] {
            assert_eq!(PhoneNumber::parse(input, &any()), Err(PhoneError::Invalid), "{input:?}");
        }
    }

    #[test]
    fn refuses_numbers_that_cannot_receive_sms() {
        for input in [
            "+18005550199",  // US toll-free
            "+19005550199",  // US premium rate
            "+442079460958", // UK fixed line
            "+448431234567", // UK shared cost
            "+33140506070",  // FR fixed line
        ] {
            assert_eq!(PhoneNumber::parse(input, &any()), Err(PhoneError::Unsupported), "{input}");
        }
    }

    #[test]
    fn landlines_are_accepted_for_calls_only_when_asked_and_nothing_else_changes() {
        for input in ["+442079460958", "+33140506070"] {
            let number = PhoneNumber::parse_with(input, &any(), true).unwrap();
            assert!(number.is_landline(), "{input}");
        }
        let mobile = PhoneNumber::parse_with("+447400123456", &any(), true).unwrap();
        assert!(!mobile.is_landline());
        let either = PhoneNumber::parse_with("+14155552671", &any(), true).unwrap();
        assert!(!either.is_landline(), "a US number may be a mobile: it gets an SMS");
        for input in ["+18005550199", "+19005550199", "+448431234567"] {
            assert_eq!(PhoneNumber::parse_with(input, &any(), true), Err(PhoneError::Unsupported), "{input}");
        }
    }

    /// The vendored phonenumber (vendor/README.md) no longer checks its patterns when it loads
    /// them: every pattern of the metadata it embeds must parse as the `regex` crate parses it
    /// before compiling it (regex-syntax, the database's flags: `x` and no Unicode), or a parse
    /// would fail at its first use of that one. Syntax, unsupported features (look-around, back-
    /// references) and, without Unicode, anything that could match other than UTF-8 (`.`, a
    /// negated class) fail there; compiling after it only bounds the size of what it builds,
    /// which phone patterns are far from. Parsing all ~2,100 takes a twentieth of compiling them
    /// in a debug build (0.11 s against 2.4 s here, and 14 s beside the test command's other
    /// checks, where it was the Rust tests' last to end).
    #[test]
    fn every_pattern_of_the_embedded_metadata_parses() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../vendor/phonenumber/assets/PhoneNumberMetadata.xml");
        let file = std::io::BufReader::new(std::fs::File::open(path).expect("the vendored metadata"));
        let metadata = phonenumber::metadata::loader::load(file).expect("the metadata loads");
        let mut patterns = BTreeSet::new();
        collect_patterns(&serde_json::to_value(&metadata).unwrap(), false, &mut patterns);
        assert!(patterns.len() > 2_000, "only {} distinct patterns: the metadata did not load whole", patterns.len());
        let mut parser = regex_syntax::ParserBuilder::new();
        parser.ignore_whitespace(true).unicode(false).utf8(true);
        let rejected: Vec<_> = patterns.iter().filter(|s| parser.build().parse(s).is_err()).collect();
        assert!(rejected.is_empty(), "patterns that do not parse: {rejected:?}");
    }

    /// The strings of the fields the database compiles as patterns (database.rs's `regex`).
    fn collect_patterns(value: &serde_json::Value, pattern: bool, into: &mut BTreeSet<String>) {
        const PATTERNS: [&str; 5] =
            ["national_number", "pattern", "leading_digits", "international_prefix", "national_prefix_for_parsing"];
        match value {
            serde_json::Value::String(s) if pattern => {
                into.insert(s.clone());
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| collect_patterns(v, pattern, into)),
            serde_json::Value::Object(fields) => {
                for (name, v) in fields {
                    collect_patterns(v, pattern || PATTERNS.contains(&name.as_str()), into);
                }
            }
            _ => {}
        }
    }

    /// Every region's metadata builds from its slice of the embedded database, and every example
    /// number of every kind reads the same as `+` and digits (which skips the parser's patterns
    /// for free text: vendor/README.md) as written with spaces (which goes through them), valid
    /// and of its kind: so the metadata's patterns, compiled without Unicode, still tell kinds
    /// apart as libphonenumber does.
    #[test]
    fn every_example_number_reads_the_same_as_digits_and_as_written() {
        let kinds = [Type::FixedLine, Type::Mobile, Type::TollFree, Type::PremiumRate, Type::SharedCost, Type::Voip];
        let mut checked = 0;
        let mut wrong = Vec::new();
        for meta in DATABASE.iter() {
            for kind in kinds {
                let Some(example) = meta.descriptors().get(kind).and_then(|d| d.example()) else { continue };
                let code = meta.country_code();
                let written = phonenumber::parse(None, format!("+{code} {example}")).ok();
                let digits = phonenumber::parse(None, format!("+{code}{example}")).ok();
                assert_eq!(digits, written, "+{code} {example}");
                let Some(number) = digits else {
                    wrong.push(format!("+{code} {example} ({kind:?} in {}): does not parse", meta.id()));
                    continue;
                };
                let found = number.number_type(&DATABASE);
                let same_kind = found == kind
                    || (found == Type::FixedLineOrMobile && matches!(kind, Type::FixedLine | Type::Mobile));
                if !number.is_valid() || !same_kind {
                    wrong.push(format!(
                        "+{code} {example} ({kind:?} in {}): valid {}, {found:?}",
                        meta.id(),
                        number.is_valid()
                    ));
                }
                checked += 1;
            }
        }
        // The crate (as published, before any change here) reads 25 of them wrongly: each starts
        // with a 0 or an 8 that it takes for a national prefix (Italy's, Russia's 8 800, …). Any
        // other is a change of behaviour.
        let wrong_not_upstream: Vec<_> =
            wrong.iter().filter(|w| !w.split(' ').nth(1).is_some_and(|n| n.starts_with(['0', '8']))).collect();
        assert!(wrong_not_upstream.is_empty() && wrong.len() == 25, "{}", wrong.join("\n"));
        assert!(checked > 500, "only {checked} example numbers: the metadata did not load whole");
    }

    #[test]
    fn the_warm_up_number_goes_the_whole_way_through_a_parse() {
        MetadataLoad::start().wait();
        assert_eq!(PhoneNumber::parse(WARM_UP_NUMBER, &any()).unwrap().region(), "US");
    }

    #[test]
    fn honours_the_country_allow_list() {
        let us_only = CountryAllowList::parse("us, ca").unwrap();
        assert!(PhoneNumber::parse("+14155552671", &us_only).is_ok());
        assert_eq!(PhoneNumber::parse("+447400123456", &us_only), Err(PhoneError::CountryNotAllowed));
        assert!(CountryAllowList::parse("US,XX").is_err());
        assert!(CountryAllowList::parse(" ").unwrap().is_unrestricted());
    }
}
