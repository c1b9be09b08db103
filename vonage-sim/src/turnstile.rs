//! A stand-in for Cloudflare Turnstile, as Cloudflare documents it, for the bot check in front of
//! request-otp: siteverify (`POST /turnstile/v0/siteverify`, JSON or form) and the widget script
//! (`GET /turnstile/v0/api.js`, explicit rendering with the documented test sitekeys).
//!
//! Siteverify answers the documented test secret keys as Cloudflare does (always passes for the
//! dummy token `XXXX.DUMMY.TOKEN.XXXX` alone; always fails; always "already spent"), and for the
//! simulator's own secret ([`crate::SimConfig::turnstile_secret`]) it vouches for tokens minted by
//! `POST /_simulator/turnstile/tokens {"hostname", "action"}`: once each, for 300 seconds, with
//! their hostname and action. An idempotency key repeats its first answer. A fault for the
//! endpoint `siteverify` makes it answer late or with an error status.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::Simulator;

/// What Cloudflare's test sitekeys give the page instead of a real token.
pub const DUMMY_TOKEN: &str = "XXXX.DUMMY.TOKEN.XXXX";
pub const TEST_SECRET_PASSES: &str = "1x0000000000000000000000000000000AA";
pub const TEST_SECRET_FAILS: &str = "2x0000000000000000000000000000000AA";
pub const TEST_SECRET_SPENT: &str = "3x0000000000000000000000000000000AA";

/// How long a token is good for (Cloudflare: 300 seconds).
const TOKEN_LIFETIME: time::Duration = time::Duration::seconds(300);

#[derive(Default)]
pub(crate) struct Tokens {
    minted: HashMap<String, Minted>,
    /// idempotency key -> (token, the answer it got).
    answered: HashMap<String, (String, Value)>,
}

struct Minted {
    hostname: String,
    action: String,
    at: OffsetDateTime,
    redeemed: bool,
}

#[derive(Debug, Default, Deserialize)]
struct SiteverifyRequest {
    secret: Option<String>,
    response: Option<String>,
    #[allow(dead_code)]
    remoteip: Option<String>,
    idempotency_key: Option<String>,
}

pub(crate) async fn siteverify(State(sim): State<Simulator>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(fault) = sim.take_fault("siteverify") {
        tokio::time::sleep(std::time::Duration::from_millis(fault.delay_ms)).await;
        if let Some(status) = fault.status {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (status, "<html><body>error</body></html>").into_response();
        }
    }
    let form = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let parsed = if form { serde_urlencoded::from_bytes(&body).ok() } else { serde_json::from_slice(&body).ok() };
    let Some(request): Option<SiteverifyRequest> = parsed else {
        return (StatusCode::BAD_REQUEST, Json(failure("bad-request"))).into_response();
    };
    Json(sim.judge_token(&request)).into_response()
}

impl Simulator {
    fn judge_token(&self, request: &SiteverifyRequest) -> Value {
        let (Some(secret), Some(token)) = (non_empty(&request.secret), non_empty(&request.response)) else {
            return failure(if non_empty(&request.secret).is_none() {
                "missing-input-secret"
            } else {
                "missing-input-response"
            });
        };
        let now = self.now();
        let mut state = self.state();
        if let Some(key) = &request.idempotency_key
            && let Some((seen, answer)) = state.turnstile.answered.get(key)
            && seen == token
        {
            return answer.clone();
        }
        let answer = match secret {
            TEST_SECRET_PASSES if token == DUMMY_TOKEN => success(now, "localhost", "test"),
            TEST_SECRET_PASSES | TEST_SECRET_FAILS => failure("invalid-input-response"),
            TEST_SECRET_SPENT => failure("timeout-or-duplicate"),
            _ if secret != self.config().turnstile_secret => failure("invalid-input-secret"),
            _ => match state.turnstile.minted.get_mut(token) {
                None => failure("invalid-input-response"),
                Some(minted) if minted.redeemed || minted.at + TOKEN_LIFETIME <= now => failure("timeout-or-duplicate"),
                Some(minted) => {
                    minted.redeemed = true;
                    success(minted.at, &minted.hostname, &minted.action)
                }
            },
        };
        if let Some(key) = &request.idempotency_key {
            state.turnstile.answered.insert(key.clone(), (token.to_owned(), answer.clone()));
        }
        answer
    }

    /// A token as the widget would give a person on `hostname` for `action`.
    pub fn mint_turnstile_token(&self, hostname: &str, action: &str) -> String {
        let token = format!("sim.{}", uuid::Uuid::new_v4().simple());
        let minted =
            Minted { hostname: hostname.to_owned(), action: action.to_owned(), at: self.now(), redeemed: false };
        self.state().turnstile.minted.insert(token.clone(), minted);
        token
    }
}

#[derive(Deserialize)]
pub(crate) struct MintRequest {
    hostname: String,
    action: String,
}

/// `POST /_simulator/turnstile/tokens`: a token for the simulator's own secret.
pub(crate) async fn mint(State(sim): State<Simulator>, Json(request): Json<MintRequest>) -> Response {
    let token = sim.mint_turnstile_token(&request.hostname, &request.action);
    (StatusCode::CREATED, Json(json!({ "token": token }))).into_response()
}

/// `GET /turnstile/v0/api.js`: the widget's explicit-rendering API for Cloudflare's test
/// sitekeys (`1x…` passes with the dummy token, `2x…` fails), without a challenge to show.
pub(crate) async fn widget_script() -> Response {
    ([(CONTENT_TYPE, "text/javascript; charset=utf-8")], WIDGET_SCRIPT).into_response()
}

/// The stand-in widget script (see [`widget_script`]).
pub const WIDGET_SCRIPT: &str = r#"(() => {
  const widgets = new Map();
  let next = 0;
  function run(id) {
    const widget = widgets.get(id);
    if (!widget) return;
    setTimeout(() => {
      if (widget.options.sitekey.startsWith("1x")) {
        widget.token = "XXXX.DUMMY.TOKEN.XXXX";
        widget.options.callback?.(widget.token);
      } else {
        widget.options["error-callback"]?.("600010");
      }
    }, 10);
  }
  const find = (target) =>
    typeof target === "string" && widgets.has(target)
      ? target
      : [...widgets].find(([, w]) => w.element === target || (typeof target === "string" && w.element.matches?.(target)))?.[0];
  window.turnstile = {
    render(element, options) {
      const id = `sim-${next++}`;
      const el = typeof element === "string" ? document.querySelector(element) : element;
      widgets.set(id, { element: el, options, token: undefined });
      if (options.execution !== "execute") run(id);
      return id;
    },
    execute(target) { const id = find(target); if (id !== undefined) run(id); },
    reset(target) { const id = find(target); const w = widgets.get(id); if (w) { w.token = undefined; if (w.options.execution !== "execute") run(id); } },
    remove(target) { widgets.delete(find(target)); },
    getResponse(target) { return widgets.get(find(target))?.token; },
    isExpired() { return false; },
  };
})();
"#;

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn success(at: OffsetDateTime, hostname: &str, action: &str) -> Value {
    let challenge_ts = at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    json!({"success": true, "challenge_ts": challenge_ts, "hostname": hostname, "error-codes": [], "action": action, "cdata": ""})
}

fn failure(code: &str) -> Value {
    json!({"success": false, "error-codes": [code]})
}
