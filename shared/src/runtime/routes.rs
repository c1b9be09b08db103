//! Every route of the API, declared once: the path, its methods, the function that serves it and
//! the endpoint it runs. The functions dispatch by it, otp-local serves it, and the deployment
//! tests hold `template.yaml`, `openapi.yaml` and `cargo lambda watch`'s router to it.

use crate::sign_in::endpoints::{authorize, discovery, flow, keys, logout, token, userinfo};

/// A deployed function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    RequestOtp,
    VerifyOtp,
}

impl Function {
    /// Its binary's (and crate's) name.
    pub fn name(self) -> &'static str {
        match self {
            Function::RequestOtp => "request-otp",
            Function::VerifyOtp => "verify-otp",
        }
    }
}

/// What a route runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    RequestOtp,
    VerifyOtp,
    Discovery,
    Keys,
    Authorize,
    Flow,
    Token,
    Userinfo,
    Logout,
    /// Vonage's status callbacks.
    VonageStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub path: &'static str,
    /// The methods API Gateway routes to the function (HTTP's, upper case).
    pub methods: &'static [&'static str],
    pub function: Function,
    pub endpoint: Endpoint,
}

pub const REQUEST_OTP_PATH: &str = "/api/request-otp";
pub const VERIFY_OTP_PATH: &str = "/api/verify-otp";
/// Where Vonage POSTs its status callbacks (the application's status URL): outside `/api/`,
/// `/oauth/` and `/.well-known/`, so that none of the edge firewall's rules (which block hosting
/// providers' addresses and cap requests per address) stand between Vonage's servers and it.
pub const VONAGE_STATUS_PATH: &str = "/webhooks/vonage";

const fn route(path: &'static str, methods: &'static [&'static str], function: Function, endpoint: Endpoint) -> Route {
    Route { path, methods, function, endpoint }
}

pub const ROUTES: &[Route] = &[
    route(REQUEST_OTP_PATH, &["POST"], Function::RequestOtp, Endpoint::RequestOtp),
    route(VERIFY_OTP_PATH, &["POST"], Function::VerifyOtp, Endpoint::VerifyOtp),
    route(keys::PATH, &["GET"], Function::VerifyOtp, Endpoint::Keys),
    route(discovery::PATH, &["GET"], Function::VerifyOtp, Endpoint::Discovery),
    route(authorize::PATH, &["GET", "POST"], Function::VerifyOtp, Endpoint::Authorize),
    route(flow::PATH, &["POST"], Function::VerifyOtp, Endpoint::Flow),
    route(token::PATH, &["POST"], Function::VerifyOtp, Endpoint::Token),
    route(userinfo::PATH, &["GET", "POST"], Function::VerifyOtp, Endpoint::Userinfo),
    route(logout::PATH, &["GET", "POST"], Function::VerifyOtp, Endpoint::Logout),
    route(VONAGE_STATUS_PATH, &["POST"], Function::VerifyOtp, Endpoint::VonageStatus),
];

/// The route at `path`, if any.
pub fn at(path: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|r| r.path == path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_path_is_declared_once() {
        for (i, route) in ROUTES.iter().enumerate() {
            assert!(!ROUTES[..i].iter().any(|r| r.path == route.path), "{} twice", route.path);
        }
    }
}
