//! What sign-in reports: each event logs and counts itself (`crate::telemetry::Event`).

use tracing::info;

use crate::telemetry::{Event, metrics};

/// A person signed in to an application: its code redeemed.
pub(crate) struct SignedIn<'a> {
    pub client_id: &'a str,
}

impl Event for SignedIn<'_> {
    fn emit(self) {
        info!(client = self.client_id, "signed in");
        metrics::signed_in(self.client_id);
    }
}

/// A client opened as many sign-in flows as its window allows, and was refused another.
pub(crate) struct SignInsCapped;

impl Event for SignInsCapped {
    fn emit(self) {
        info!("sign-in refused: the client's flows for the window are spent");
    }
}

/// The token endpoint refused a request (its client's authentication, its code, its form).
pub(crate) struct TokenRefused<'a> {
    pub error: &'static str,
    pub description: &'a str,
}

impl Event for TokenRefused<'_> {
    fn emit(self) {
        metrics::token_refused(self.error);
        info!(error = self.error, why = self.description, "token request refused");
    }
}

/// A sign-in ended from the browser's session, without a new code.
pub(crate) struct SessionUsed<'a> {
    pub client_id: &'a str,
}

impl Event for SessionUsed<'_> {
    fn emit(self) {
        info!(client = self.client_id, "sign-in answered from the session");
    }
}
