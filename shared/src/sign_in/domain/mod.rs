//! Sign-in's words: the authorization request and the code it ends with ([`authorization`]),
//! PKCE ([`pkce`]), the registered clients ([`client`]), the token request ([`token_request`]),
//! the browser's session ([`session`]), the tokens and their signing ([`tokens`], no I/O), the
//! one error type of OAuth and OpenID Connect ([`error`]), and what they share: the opaque
//! values a browser carries ([`bearer`]) and the client's address with an answer ([`redirect`]).

pub mod authorization;
pub mod bearer;
pub mod client;
pub mod error;
pub mod params;
pub mod pkce;
pub mod redirect;
pub mod session;
pub mod token_request;
pub mod tokens;
