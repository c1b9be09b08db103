//! Sign-in's words: the authorization request and the code it ends with ([`authorization`]),
//! PKCE ([`pkce`]), the registered clients ([`client`]), the token request ([`token_request`]),
//! the browser's session ([`session`]), the tokens and their signing ([`tokens`], no I/O), and
//! the one error type of OAuth and OpenID Connect ([`error`]).

pub mod authorization;
pub mod client;
pub mod error;
pub mod pkce;
pub mod session;
pub mod token_request;
pub mod tokens;
