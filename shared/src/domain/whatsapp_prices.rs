//! Estimated prices of one WhatsApp authentication message, per country: Meta's list price for
//! an authentication-template message (its rate card in US dollars effective 1 January 2026; for
//! PK, PL, SG and TR the card of 1 July 2026, published in euros, at its own ratio of 0.83 € to
//! the dollar), plus $0.005, the per-message fee Twilio and AWS End User Messaging Social add to
//! Meta's and the nearest published figure for a provider's share (Vonage does not publish its
//! WhatsApp channel fee per country). Meta bills by the market the number belongs to; a country
//! without a rate of its own takes its region's ("Rest of Western Europe" and so on). A country
//! not listed costs the default: the dearest international authentication rate on the card
//! (Indonesia's, $0.136) rounded up, so an unlisted country is never counted below its cost.
//! An operator sets their own with `OTP_WHATSAPP_PRICES` (`GB=0.03,*=0.20`).

/// The default for a country the table does not list.
pub const WHATSAPP_UNLISTED: &str = "0.15";

/// ISO 3166-1 alpha-2 and the estimated price of one authentication message in US dollars
/// (Meta's rate + $0.005), the countries of the SMS table.
pub const WHATSAPP_ESTIMATES: &[(&str, &str)] = &[
    ("AE", "0.0207"),
    ("AR", "0.031"),
    ("AT", "0.0221"),
    ("AU", "0.0163"),
    ("BE", "0.0221"),
    ("BR", "0.0118"),
    ("CA", "0.0084"),
    ("CH", "0.0221"),
    ("CN", "0.0163"),
    ("DE", "0.060"),
    ("DK", "0.0221"),
    ("EG", "0.0086"),
    ("ES", "0.025"),
    ("FI", "0.0221"),
    ("FR", "0.035"),
    ("GB", "0.027"),
    ("ID", "0.030"),
    ("IE", "0.0221"),
    ("IN", "0.0064"),
    ("IT", "0.035"),
    ("JP", "0.0163"),
    ("KE", "0.009"),
    ("KR", "0.0127"),
    ("MX", "0.0135"),
    ("MY", "0.019"),
    ("NG", "0.0117"),
    ("NL", "0.055"),
    ("NO", "0.0221"),
    ("NZ", "0.0163"),
    ("PH", "0.0163"),
    ("PK", "0.015"),
    ("PL", "0.0172"),
    ("PT", "0.0221"),
    ("SA", "0.0157"),
    ("SE", "0.0221"),
    ("SG", "0.021"),
    ("TH", "0.0163"),
    ("TR", "0.0059"),
    ("US", "0.0084"),
    ("VN", "0.0163"),
    ("ZA", "0.0126"),
];
