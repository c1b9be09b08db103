//! Sign-in: the OpenID Connect provider, a part of its own above the verification service, which
//! never imports it (`tests/it/layers.rs` keeps both so). A sign-in is an application's
//! authorization request held as a flow while the person proves their number with the
//! verification service, the code that ends it, the tokens that code is redeemed for, and the
//! session that lets the same browser sign in again without a new code
//! (docs/decisions/openid-connect-provider.md).
//!
//! Its floors, from the ground up, each using only its own and the ones below:
//! 1. [`domain`]: the requests (authorization, token), PKCE, the clients, the session, the
//!    tokens' claims and their signing, and the one error type every refusal is;
//! 2. [`store`]: what it needs kept (flows, codes, sessions);
//! 3. [`service`]: the use case, one call per endpoint;
//! 4. [`dynamo`], [`memory`]: the store on DynamoDB and in memory;
//! 5. [`endpoints`]: one file per endpoint, each with its path.

pub mod domain;
pub mod store;

pub mod events;
pub mod service;

pub mod dynamo;
pub mod memory;

pub mod endpoints;
