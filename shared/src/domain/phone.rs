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
        let international = match input.strip_prefix("00") {
            Some(rest) => format!("+{rest}"),
            None if input.starts_with('+') => input.to_owned(),
            None => return Err(PhoneError::Invalid),
        };
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
/// number. The costs are in the README's Performance.
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
    /// them: every string of the metadata it embeds must parse as the `regex` crate parses a
    /// pattern before compiling it (regex-syntax, the database's `x` flag, the crate's defaults),
    /// or a parse would fail at its first use of that one. Syntax and unsupported features (look-
    /// around, back-references) fail there; compiling after it only bounds the size of what it
    /// builds, which phone patterns are far from. Parsing all ~2,700 takes a twentieth of compiling
    /// them in a debug build (0.11 s against 2.4 s here, and 14 s beside the test command's other
    /// checks, where it was the Rust tests' last to end). (Every string, formats and identifiers
    /// included, needs no list of which fields are patterns.)
    #[test]
    fn every_pattern_of_the_embedded_metadata_parses() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../vendor/phonenumber/assets/PhoneNumberMetadata.xml");
        let file = std::io::BufReader::new(std::fs::File::open(path).expect("the vendored metadata"));
        let metadata = phonenumber::metadata::loader::load(file).expect("the metadata loads");
        let mut strings = BTreeSet::new();
        collect_strings(&serde_json::to_value(&metadata).unwrap(), &mut strings);
        assert!(strings.len() > 2_500, "only {} distinct strings: the metadata did not load whole", strings.len());
        let mut parser = regex_syntax::ParserBuilder::new();
        parser.ignore_whitespace(true);
        let rejected: Vec<_> = strings.iter().filter(|s| parser.build().parse(s).is_err()).collect();
        assert!(rejected.is_empty(), "patterns that do not parse: {rejected:?}");
    }

    fn collect_strings(value: &serde_json::Value, into: &mut BTreeSet<String>) {
        match value {
            serde_json::Value::String(s) => {
                into.insert(s.clone());
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| collect_strings(v, into)),
            serde_json::Value::Object(fields) => fields.values().for_each(|v| collect_strings(v, into)),
            _ => {}
        }
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
