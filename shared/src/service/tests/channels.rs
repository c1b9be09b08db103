//! The ladder of channels: which channel a code goes by, what follows by itself, what each send
//! is counted at, and what a person may not ask for. Scripted providers, the memory store, a
//! manual clock.

use time::Duration;

use super::super::*;
use super::{IP, Scripted, code, phone, policy, refusal, service};
use crate::adapters::MemoryStore;
use crate::adapters::failover::Failover;
use crate::clock::ManualClock;
use crate::domain::channel::{Channel, Channels, VoiceCalls};
use crate::domain::price::MicroUsd;
use crate::domain::provider::{ProviderName, ProviderOrder};
use crate::domain::rule::Rule;
use crate::domain::subject_key::SubjectHasher;
use crate::ports::{ProviderError, VerificationStore};

fn ladder(names: &str) -> Channels {
    Channels::parse(names).unwrap()
}

fn ask(channel: Option<Channel>, ladder: Option<Channels>) -> Ask {
    Ask { channel, locale: None, ladder }
}

async fn spent<P: crate::ports::Providers>(
    svc: &VerificationService<P, MemoryStore, ManualClock>,
    number: &str,
) -> u64 {
    let mut spent = 0;
    for spend_shard in 0..svc.policy.spend.shards(svc.policy.counter_shards) {
        let subjects = crate::ports::SendSubjects { spend_shard, ..svc.subjects(&phone(number), IP, svc.clock.now()) };
        spent += svc.store.standing(&subjects).await.unwrap().spent.0;
    }
    spent
}

/// A ladder that puts WhatsApp first sends by WhatsApp, then SMS after the step's time (no call:
/// calls come only when asked for), priced as both, since a code nobody enters gets both.
#[tokio::test]
async fn a_whatsapp_first_ladder_sends_by_whatsapp_then_sms_and_counts_both() {
    let (svc, clock) = service(Policy { channels: ladder("whatsapp,sms,voice"), ..policy() });
    let sent = svc.request_code_within(phone("+447400123456"), IP, Ask::default(), None).await.unwrap();
    assert_eq!(svc.provider.calls(), ["start +447400123456 whatsapp,sms"]);
    assert_eq!(
        (sent.channel, sent.channels, sent.call_available),
        (Channel::WhatsApp, ladder("whatsapp,sms,voice"), true)
    );
    assert_eq!(sent.expires_at, clock.now() + Duration::seconds(300), "the code lives over both steps");
    let both = svc.policy.spend.price(ProviderName::Vonage, "GB", &[Channel::WhatsApp, Channel::Sms]);
    assert_eq!(MicroUsd(spent(&svc, "+447400123456").await), both);
    assert_eq!(both, MicroUsd(27_000 + 45_000));
    let verified = svc.check_code(&sent.request_id, &code("123456")).await.unwrap();
    assert_eq!(verified.channel, Channel::WhatsApp);

    // SMS asked for: an SMS alone; with automatic calls, WhatsApp then SMS then a call.
    let (svc, _clock) = service(Policy { channels: ladder("whatsapp,sms,voice"), ..policy() });
    svc.request_code_within(phone("+447400123456"), IP, ask(Some(Channel::Sms), None), None).await.unwrap();
    let (automatic, _clock) =
        service(Policy { channels: ladder("whatsapp,sms,voice"), voice: VoiceCalls::Automatic, ..policy() });
    automatic.request_code_within(phone("+447400123456"), IP, Ask::default(), None).await.unwrap();
    assert_eq!(svc.provider.calls(), ["start +447400123456"]);
    assert_eq!(automatic.provider.calls(), ["start +447400123456 whatsapp,sms,voice"]);
}

/// A channel the ladder does not offer is refused before anything is read or sent: the
/// hosted page's ladder, or the application's in a sign-in, which replaces it.
#[tokio::test]
async fn a_channel_off_the_ladder_is_refused_and_nothing_is_sent_or_counted() {
    let (svc, _clock) = service(policy());
    let err = svc
        .request_code_within(phone("+447400123456"), IP, ask(Some(Channel::WhatsApp), None), None)
        .await
        .unwrap_err();
    assert_eq!(refusal(&err), Some((Rule::ChannelNotOffered, None)), "{err:?}");
    let app = Some(ladder("whatsapp"));
    let err =
        svc.request_code_within(phone("+447400123456"), IP, ask(Some(Channel::Sms), app), None).await.unwrap_err();
    assert_eq!(refusal(&err), Some((Rule::ChannelNotOffered, None)), "{err:?}");
    assert!(svc.provider.calls().is_empty());
    assert_eq!(spent(&svc, "+447400123456").await, 0);
    let standing = svc.store.standing(&svc.subjects(&phone("+447400123456"), IP, svc.clock.now())).await.unwrap();
    assert_eq!((standing.client_sends, standing.number.recent_sends.len()), ([0, 0], 0), "nothing counted");

    // The application's ladder, first by default.
    let sent = svc.request_code_within(phone("+447400123456"), IP, ask(None, app), None).await.unwrap();
    assert_eq!((sent.channel, sent.channels), (Channel::WhatsApp, ladder("whatsapp")));
    assert_eq!(svc.provider.calls(), ["start +447400123456 whatsapp"]);
}

/// A landline gets a call whatever the ladder says; without calls a ladder loses its call.
#[tokio::test]
async fn a_landline_gets_its_call_and_calls_off_take_the_call_off_every_ladder() {
    let (svc, _clock) = service(Policy { channels: ladder("whatsapp,sms,voice"), ..policy() });
    let landline = crate::domain::phone::PhoneNumber::parse_with("+442079460958", &Default::default(), true).unwrap();
    let sent = svc.request_code_within(landline, IP, Ask::default(), None).await.unwrap();
    assert_eq!((sent.channel, sent.channels), (Channel::Voice, ladder("voice")));
    let (off, _clock) = service(Policy { channels: ladder("whatsapp,sms,voice"), voice: VoiceCalls::Off, ..policy() });
    let sent = off.request_code_within(phone("+447400123456"), IP, Ask::default(), None).await.unwrap();
    assert_eq!((sent.channels, sent.call_available), (ladder("whatsapp,sms"), false));
    let err = off.request_code_within(phone("+447400123457"), IP, ask(Some(Channel::Voice), None), None).await;
    assert_eq!(refusal(&err.unwrap_err()), Some((Rule::CallsOff, None)));
}

type Both = Failover<Scripted, Scripted>;

fn both(order: &str) -> VerificationService<Both, MemoryStore, ManualClock> {
    use ProviderName::{Aws, Vonage};
    let order = ProviderOrder::new(ProviderOrder::parse_list(order, &[Vonage, Aws]).unwrap());
    let providers = Failover::new(Scripted::named(Vonage), Some(Scripted::named(Aws)), order, "k".repeat(32).into());
    let hasher = SubjectHasher::new("k".repeat(32).into());
    let policy = Policy { counter_shards: 1, channels: ladder("whatsapp,sms,voice"), ..policy() };
    VerificationService::new(providers, MemoryStore::new(), ManualClock::new(), hasher, policy)
}

/// AWS carries no WhatsApp: when Vonage fails, the code goes by AWS's SMS, the ladder's next
/// step, at AWS's SMS price; a ladder of WhatsApp alone has nowhere else to go. With AWS first
/// for the country, a WhatsApp code still goes through Vonage, the only one that carries it.
#[tokio::test]
async fn a_whatsapp_code_fails_over_to_the_next_providers_sms_and_only_vonage_carries_whatsapp() {
    let svc = both("vonage,aws");
    svc.provider.vonage().script_start(Err(ProviderError::Failed("start answered HTTP 503".into())));
    let sent = svc.request_code_within(phone("+447400123456"), IP, Ask::default(), None).await.unwrap();
    assert_eq!(svc.provider.vonage().calls(), ["start +447400123456 whatsapp,sms"]);
    assert_eq!(svc.provider.second().unwrap().calls(), ["start +447400123456"]);
    assert_eq!(sent.channel, Channel::Sms, "what AWS sent: the ladder's next channel");
    let aws_sms = svc.policy.spend.price(ProviderName::Aws, "GB", &[Channel::Sms]);
    assert_eq!(MicroUsd(spent(&svc, "+447400123456").await), aws_sms, "repriced: Vonage sent nothing");

    let alone = both("vonage,aws");
    alone.provider.vonage().script_start(Err(ProviderError::Failed("start answered HTTP 503".into())));
    let only = Some(ladder("whatsapp"));
    let err = alone.request_code_within(phone("+447400123456"), IP, ask(None, only), None).await.unwrap_err();
    assert!(matches!(err, RequestCodeError::Provider(ProviderError::Failed(_))), "{err:?}");
    assert!(alone.provider.second().unwrap().calls().is_empty());

    // AWS first for the country: a WhatsApp code still goes through Vonage, and an SMS by AWS.
    let aws_first = both("aws,vonage");
    let whatsapp = aws_first.request_code_within(phone("+447400123456"), IP, Ask::default(), None).await.unwrap();
    assert_eq!(whatsapp.channel, Channel::WhatsApp);
    assert_eq!(aws_first.provider.vonage().calls(), ["start +447400123456 whatsapp,sms"]);
    let sms =
        aws_first.request_code_within(phone("+447400123457"), IP, ask(Some(Channel::Sms), None), None).await.unwrap();
    assert_eq!(sms.channel, Channel::Sms);
    assert_eq!(aws_first.provider.second().unwrap().calls(), ["start +447400123457"], "AWS sends its SMS");
}

/// A call asked for while a WhatsApp step is in flight, which Vonage can only move on: its next
/// step is the SMS, and the answer and the record say SMS, not the call that was asked for.
#[tokio::test]
async fn a_send_moved_on_names_the_step_it_moved_to() {
    let policy = Policy { channels: ladder("whatsapp,sms,voice"), voice: VoiceCalls::Automatic, ..policy() };
    let (svc, clock) = service(policy);
    let first = svc.request_code_within(phone("+447400123456"), IP, Ask::default(), None).await.unwrap();
    assert_eq!(first.channel, Channel::WhatsApp);
    clock.advance(Duration::seconds(60));
    svc.provider.script_start(Ok(crate::ports::StartOutcome::MovedOn(
        crate::domain::verification::ProviderRequestId::parse("p1").unwrap(),
    )));
    let call = ask(Some(Channel::Voice), None);
    let moved = svc.request_code_within(phone("+447400123456"), IP, call, None).await.unwrap();
    assert_eq!(moved.channel, Channel::Sms, "Vonage's next step");
    assert_eq!(moved.expires_at, clock.now() + Duration::seconds(100), "a step of three");
    let record = svc.store.get(&moved.request_id, clock.now()).await.unwrap().unwrap();
    assert_eq!(record.channel, Channel::Sms);
}
