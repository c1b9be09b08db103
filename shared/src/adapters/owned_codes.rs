//! A provider made of a carrier that owns no code ([`MessageCarrier`]: AWS End User Messaging
//! SMS and voice) and a code the service owns: drawn here, written into the text, kept only as
//! its keyed hash in the verification's provider id, and judged here in constant time. The
//! attempt limit, the expiry, single use and concurrent checks are the store's, as for every
//! provider (`VerificationStore::begin_attempt`, `finish`).

use secrecy::{ExposeSecret, SecretString};

use crate::domain::channel::{Channel, Channels, Delivery, Steps};
use crate::domain::otp_code::OtpCode;
use crate::domain::owned_code::{self, CodeDigest};
use crate::domain::phone::PhoneNumber;
use crate::domain::provider::ProviderName;
use crate::domain::request_id::RequestId;
use crate::domain::verification::ProviderRequestId;
use crate::ports::{CheckOutcome, MessageCarrier, ProviderError, StartOutcome, VerificationProvider};

/// What the texts say, and how codes are made and kept.
#[derive(Debug, Clone)]
pub struct OwnedCodeSettings {
    /// The operator's name in the text.
    pub brand: String,
    /// The page's host, for the text's last line (`@host #code`), where it is known.
    pub host: Option<String>,
    pub code_length: u8,
    pub ttl_seconds: u32,
    /// The key of the codes' digests (the deployment's hash key: both functions hold it).
    pub key: SecretString,
}

pub struct OwnedCodes<C> {
    carrier: C,
    settings: OwnedCodeSettings,
}

impl<C: MessageCarrier> OwnedCodes<C> {
    pub fn new(carrier: C, settings: OwnedCodeSettings) -> Self {
        Self { carrier, settings }
    }

    pub fn carrier(&self) -> &C {
        &self.carrier
    }

    fn text(&self, code: &OtpCode, how: Delivery) -> String {
        let language = how.locale.map_or("en", |l| l.as_str().split('-').next().unwrap_or("en"));
        let s = &self.settings;
        match how.channel() {
            Channel::Voice => owned_code::spoken(&s.brand, code, language),
            Channel::Sms | Channel::WhatsApp => owned_code::message(&s.brand, code, s.host.as_deref(), language),
        }
    }
}

impl<C: MessageCarrier> VerificationProvider for OwnedCodes<C> {
    fn name(&self) -> ProviderName {
        self.carrier.name()
    }

    /// The first step a text or a call can carry, alone: a carrier has no WhatsApp (AWS End User
    /// Messaging SMS and voice; WhatsApp through AWS is another service), and no step follows by
    /// itself (a code the service owns gets no automatic call).
    fn carry(&self, how: Delivery) -> Option<Delivery> {
        let first = how.steps().iter().copied().find(|c| *c != Channel::WhatsApp)?;
        Some(Delivery { steps: Steps(Channels::one(first)), ..how })
    }

    async fn start_by(
        &self,
        to: &PhoneNumber,
        client_ref: &RequestId,
        how: Delivery,
    ) -> Result<StartOutcome, ProviderError> {
        let code = owned_code::generate(self.settings.code_length);
        let digest = CodeDigest::of(self.settings.key.expose_secret().as_bytes(), client_ref, &code);
        let text = self.text(&code, how);
        self.carrier.send(to, how, &text, self.settings.ttl_seconds).await?;
        Ok(StartOutcome::Started(ProviderRequestId::for_owned(self.carrier.name(), &digest)))
    }

    async fn check(
        &self,
        request_id: &RequestId,
        id: &ProviderRequestId,
        code: &OtpCode,
    ) -> Result<CheckOutcome, ProviderError> {
        judge(&self.settings.key, request_id, id, code)
    }
}

/// Whether `code` is the one the service owns for the verification `request_id`, which holds its
/// digest in `id`: no provider is asked, so verify-otp judges it with the key alone (it has no
/// carrier's settings).
pub fn judge(
    key: &SecretString,
    request_id: &RequestId,
    id: &ProviderRequestId,
    code: &OtpCode,
) -> Result<CheckOutcome, ProviderError> {
    let Some((_, digest)) = id.owned() else {
        return Err(ProviderError::Failed("a verification of another provider".into()));
    };
    if digest.matches(key.expose_secret().as_bytes(), request_id, code) {
        Ok(CheckOutcome::Verified)
    } else {
        Ok(CheckOutcome::WrongCode)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::domain::locale::Locale;
    use crate::domain::phone::CountryAllowList;

    #[derive(Default)]
    struct Recorded(Mutex<Vec<(Channel, String, u32)>>);

    impl MessageCarrier for Recorded {
        fn name(&self) -> ProviderName {
            ProviderName::Aws
        }

        async fn send(&self, _to: &PhoneNumber, how: Delivery, text: &str, ttl: u32) -> Result<(), ProviderError> {
            self.0.lock().unwrap().push((how.channel(), text.to_owned(), ttl));
            Ok(())
        }
    }

    fn owned(host: Option<&str>) -> OwnedCodes<Recorded> {
        OwnedCodes::new(
            Recorded::default(),
            OwnedCodeSettings {
                brand: "ACME".into(),
                host: host.map(str::to_owned),
                code_length: 6,
                ttl_seconds: 300,
                key: SecretString::from("k".repeat(32)),
            },
        )
    }

    fn phone() -> PhoneNumber {
        PhoneNumber::parse_with("+447400123456", &CountryAllowList::default(), false).unwrap()
    }

    #[tokio::test]
    async fn the_code_in_the_text_verifies_its_own_request_and_nothing_else() {
        let provider = owned(Some("verify.example.com"));
        let request = RequestId::generate();
        let StartOutcome::Started(id) = provider.start(&phone(), &request).await.unwrap() else { panic!() };
        let (channel, text, ttl) = provider.carrier().0.lock().unwrap()[0].clone();
        assert_eq!((channel, ttl), (Channel::Sms, 300));
        let code = text.rsplit('#').next().unwrap().to_owned();
        assert!(text.ends_with(&format!("@verify.example.com #{code}")), "{text}");
        assert!(!id.as_str().contains(&code));
        let code = OtpCode::parse(&code, 6).unwrap();
        assert_eq!(provider.check(&request, &id, &code).await, Ok(CheckOutcome::Verified));
        assert_eq!(provider.check(&RequestId::generate(), &id, &code).await, Ok(CheckOutcome::WrongCode));
        let wrong = OtpCode::parse(if code.expose() == "000000" { "111111" } else { "000000" }, 6).unwrap();
        assert_eq!(provider.check(&request, &id, &wrong).await, Ok(CheckOutcome::WrongCode));
        let vonage = ProviderRequestId::parse("c11236f4-00bf-4b89-84ba-88b25df97315").unwrap();
        assert!(provider.check(&request, &vonage, &code).await.is_err());
    }

    #[tokio::test]
    async fn a_call_speaks_the_code_in_the_persons_language_and_a_text_without_a_host_has_no_last_line() {
        let provider = owned(None);
        let how = Delivery { locale: Locale::from_tag("de-DE"), ..Delivery::by(Channel::Voice) };
        provider.start_by(&phone(), &RequestId::generate(), how).await.unwrap();
        provider.start(&phone(), &RequestId::generate()).await.unwrap();
        let sent = provider.carrier().0.lock().unwrap().clone();
        assert_eq!(sent[0].0, Channel::Voice);
        assert!(sent[0].1.starts_with("Ihr ACME-Code lautet: "), "{}", sent[0].1);
        assert!(sent[1].1.starts_with("Your ACME code: ") && !sent[1].1.contains('@'), "{}", sent[1].1);
    }
}
