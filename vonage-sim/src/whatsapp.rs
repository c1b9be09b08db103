//! Who has WhatsApp: everyone, except the numbers `POST /_simulator/whatsapp {"without": [...]}`
//! lists. A WhatsApp step to one of those fails as it begins, as Vonage's does when WhatsApp
//! cannot deliver, and the workflow moves straight on to its next step.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::{Simulator, msisdn};

/// The numbers (E.164 digits, no `+`) that have no WhatsApp account.
#[derive(Debug, Default, Clone)]
pub struct Accounts {
    without: BTreeSet<String>,
}

impl Accounts {
    pub fn has_account(&self, to: &str) -> bool {
        !self.without.contains(to.trim_start_matches('+'))
    }
}

/// `/_simulator/whatsapp`'s body, both ways.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Without {
    /// E.164 numbers, with or without the `+`.
    without: Vec<String>,
}

/// `GET /_simulator/whatsapp`: the numbers without WhatsApp, with their `+`.
pub(crate) async fn list(State(sim): State<Simulator>) -> Response {
    let without = sim.state().whatsapp.without.iter().map(|n| format!("+{n}")).collect();
    Json(Without { without }).into_response()
}

/// `POST /_simulator/whatsapp`: replaces the list (an empty one gives everyone WhatsApp again).
pub(crate) async fn set(State(sim): State<Simulator>, Json(body): Json<Without>) -> Response {
    let mut without = BTreeSet::new();
    for number in &body.without {
        let digits = number.strip_prefix('+').unwrap_or(number);
        if !msisdn::is_msisdn(digits) {
            let error = format!("`{number}` is not an E.164 number");
            return (StatusCode::BAD_REQUEST, Json(serde_json::json!({"error": error}))).into_response();
        }
        without.insert(digits.to_owned());
    }
    sim.state().whatsapp = Accounts { without };
    list(State(sim)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everyone_has_whatsapp_but_the_listed() {
        let accounts = Accounts { without: BTreeSet::from(["14155550100".to_owned()]) };
        assert!(!accounts.has_account("14155550100"));
        assert!(!accounts.has_account("+14155550100"));
        assert!(accounts.has_account("14155550101"));
    }
}
