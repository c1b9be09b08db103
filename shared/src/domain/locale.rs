//! The language a code is sent in: a BCP 47 tag a client asks for (`es-ES`, `pt-BR`, `es`),
//! matched to one of the locales Vonage sends SMS and voice codes in with its default templates
//! (both APIs: v2's `locale`, v1's `lg`). Anything else is no locale at all, never an error:
//! Vonage then picks the language from the number's country, as Twilio Verify does.

/// Vonage's locales with a default template for SMS and voice (its "Verify languages" list).
const SUPPORTED: [&str; 39] = [
    "ar-xa", "cs-cz", "cy-cy", "cy-gb", "da-dk", "de-de", "el-gr", "en-au", "en-gb", "en-in", "en-us", "es-es",
    "es-mx", "es-us", "fi-fi", "fil-ph", "fr-ca", "fr-fr", "hi-in", "hu-hu", "id-id", "is-is", "it-it", "ja-jp",
    "ko-kr", "nb-no", "nl-nl", "pl-pl", "pt-br", "pt-pt", "ro-ro", "ru-ru", "sv-se", "th-th", "tr-tr", "vi-vn",
    "yue-cn", "zh-cn", "zh-tw",
];

/// A language alone, or with a region Vonage has no template for: the locale most of its speakers
/// would expect. Languages with one locale in the list need no entry.
const FOR_LANGUAGE: [(&str, &str); 8] = [
    ("en", "en-us"),
    ("es", "es-es"),
    ("fr", "fr-fr"),
    ("pt", "pt-br"),
    ("zh", "zh-cn"),
    ("cy", "cy-gb"),
    ("ar", "ar-xa"),
    ("no", "nb-no"),
];

/// The longest tag looked at: longer input is no locale (BCP 47 tags in practice are far shorter).
const MAX_TAG_CHARS: usize = 35;

/// One of Vonage's locales, lower case as its APIs take them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locale(&'static str);

impl Locale {
    /// The locale for a BCP 47 tag, or `None` for Vonage's choice (an unknown language, a
    /// malformed tag). Case and `_` for `-` do not matter; script and other subtags are ignored.
    pub fn from_tag(tag: &str) -> Option<Self> {
        if tag.len() > MAX_TAG_CHARS || !tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return None;
        }
        let tag = tag.to_ascii_lowercase().replace('_', "-");
        if tag.split('-').any(str::is_empty) {
            return None;
        }
        let mut parts = tag.split('-');
        let language = parts.next().filter(|l| (2..=3).contains(&l.len()))?;
        let region = parts.find(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_alphabetic()));
        if let Some(region) = region
            && let Some(found) = SUPPORTED.iter().find(|l| l.split_once('-') == Some((language, region)))
        {
            return Some(Self(found));
        }
        if let Some((_, locale)) = FOR_LANGUAGE.iter().find(|(l, _)| *l == language) {
            return Some(Self(locale));
        }
        let mut of_language = SUPPORTED.iter().filter(|l| l.split('-').next() == Some(language));
        match (of_language.next(), of_language.next()) {
            (Some(only), None) => Some(Self(only)),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locale(tag: &str) -> Option<&'static str> {
        Locale::from_tag(tag).map(Locale::as_str)
    }

    #[test]
    fn a_supported_tag_is_that_locale_whatever_its_case() {
        assert_eq!(locale("es-ES"), Some("es-es"));
        assert_eq!(locale("pt_BR"), Some("pt-br"));
        assert_eq!(locale("fr-CA"), Some("fr-ca"));
        assert_eq!(locale("zh-Hant-TW"), Some("zh-tw"), "a script subtag is skipped");
        assert_eq!(locale("fil-PH"), Some("fil-ph"));
    }

    #[test]
    fn a_language_alone_or_with_another_region_is_its_usual_locale() {
        assert_eq!(locale("es"), Some("es-es"));
        assert_eq!(locale("es-AR"), Some("es-es"));
        assert_eq!(locale("de"), Some("de-de"));
        assert_eq!(locale("de-AT"), Some("de-de"));
        assert_eq!(locale("en"), Some("en-us"));
        assert_eq!(locale("pt"), Some("pt-br"));
        assert_eq!(locale("ja"), Some("ja-jp"));
    }

    #[test]
    fn anything_else_is_left_to_vonage() {
        for tag in ["", "x", "xx-YY", "klingon", "es-", "-es", "es-ES; DROP", "e\u{301}s", &"a".repeat(40)] {
            assert_eq!(locale(tag), None, "{tag:?}");
        }
    }

    #[test]
    fn every_locale_in_the_list_is_written_as_vonage_takes_it() {
        for l in SUPPORTED.iter().chain(FOR_LANGUAGE.iter().map(|(_, l)| l)) {
            let (language, region) = l.split_once('-').unwrap();
            assert!((2..=3).contains(&language.len()) && region.len() == 2 && *l == l.to_ascii_lowercase(), "{l}");
            assert!(SUPPORTED.contains(l), "{l}");
        }
    }
}
