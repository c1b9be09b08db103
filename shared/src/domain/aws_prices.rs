//! What one code is estimated to cost when AWS End User Messaging carries it, for the same
//! countries as [`crate::domain::price`]'s tables and in the same shape: US dollars, one SMS
//! segment, and one call of up to a minute. An operator sets their own with `AWS_SMS_PRICES` and
//! `AWS_VOICE_PRICES` (`GB=0.04,*=0.50`).
//!
//! Where the figures come from. AWS's pricing page (aws.amazon.com/end-user-messaging/pricing)
//! reads its SMS prices from a price file AWS publishes beside it (`TextMessageOutbound`), one
//! price per carrier network. Each SMS figure here is that file's transactional price for the
//! country with the carrier fee AWS lists added (the US and Canada list one per message), its
//! dearest network, rounded up; India's is the price AWS lists for messages from outside India.
//! The file itself could not be read for this table: the figures are a public copy of it taken
//! in April 2022, except the United States (July 2026: $0.00774 plus a $0.00421 carrier fee, for
//! a 10DLC or toll-free number) and Japan (May 2026: $0.07451, as in 2022). AWS changes these
//! prices regularly and some have moved a long way since 2022 (Peru's went from $0.028 to
//! $0.233): check the pricing page for the countries you send to and set `AWS_SMS_PRICES`.
//!
//! No copy of AWS's voice prices (per minute) was found: the voice table repeats this project's
//! own estimates for calls ([`crate::domain::price`]'s, the dearer of the large providers,
//! mid-2026), until `AWS_VOICE_PRICES` gives AWS's. A country not listed costs the default, high
//! on purpose as there: above every country's SMS price in AWS's file.

/// The default for a country the SMS table does not list.
pub const AWS_SMS_UNLISTED: &str = "0.40";

/// ISO 3166-1 alpha-2 and the price of one SMS segment by AWS in US dollars, carrier fees included.
pub const AWS_SMS_ESTIMATES: &[(&str, &str)] = &[
    ("AE", "0.037"),
    ("AR", "0.052"),
    ("AT", "0.106"),
    ("AU", "0.035"),
    ("BE", "0.096"),
    ("BR", "0.023"),
    ("CA", "0.012"),
    ("CH", "0.052"),
    ("CN", "0.04"),
    ("DE", "0.089"),
    ("DK", "0.063"),
    ("EG", "0.099"),
    ("ES", "0.061"),
    ("FI", "0.101"),
    ("FR", "0.07"),
    ("GB", "0.039"),
    ("ID", "0.161"),
    ("IE", "0.096"),
    ("IN", "0.042"),
    ("IT", "0.075"),
    ("JP", "0.075"),
    ("KE", "0.052"),
    ("KR", "0.025"),
    ("MX", "0.013"),
    ("MY", "0.057"),
    ("NG", "0.131"),
    ("NL", "0.119"),
    ("NO", "0.087"),
    ("NZ", "0.122"),
    ("PH", "0.017"),
    ("PK", "0.08"),
    ("PL", "0.033"),
    ("PT", "0.031"),
    ("SA", "0.058"),
    ("SE", "0.073"),
    ("SG", "0.054"),
    ("TH", "0.013"),
    ("TR", "0.0032"),
    ("US", "0.012"),
    ("VN", "0.053"),
    ("ZA", "0.02"),
];

/// The default for a country the voice table does not list.
pub const AWS_VOICE_UNLISTED: &str = "0.60";

/// ISO 3166-1 alpha-2 and the estimated price of a call of up to a minute to a mobile number (this
/// project's estimates, not AWS's: see above).
pub const AWS_VOICE_ESTIMATES: &[(&str, &str)] = &[
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
