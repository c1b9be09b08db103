//! What stands between a caller and the functions when deployed behind CloudFront: the origin
//! secret, and whose address a request is counted against.

use std::net::IpAddr;

use lambda_http::http::header::HeaderValue;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use super::{ApiError, Cors};

/// The header CloudFront adds to every request it forwards to the API, holding the shared secret.
pub const ORIGIN_VERIFY_HEADER: &str = "x-origin-verify";
/// The header in which CloudFront tells the origin the viewer's `address:port`.
pub const VIEWER_ADDRESS_HEADER: &str = "cloudfront-viewer-address";

/// What stands between the caller and the functions: browser origins allowed to call
/// (`CORS_ALLOWED_ORIGINS`), and, when deployed behind CloudFront, the secret CloudFront adds to
/// every request it forwards (`ORIGIN_VERIFY_SECRET`).
///
/// Behind CloudFront, API Gateway's `sourceIp` is a CloudFront server shared by many people, so the
/// per-address cap would count them together; the person's address arrives in
/// `CloudFront-Viewer-Address` instead. Anyone can write that header when calling the API Gateway
/// URL directly, so it is believed only on a request that carries the secret, and a request
/// without the secret is refused: everything goes through CloudFront.
#[derive(Debug, Clone, Default)]
pub struct Edge {
    pub(super) cors: Cors,
    origin_secret: Option<SecretString>,
}

impl Edge {
    pub fn new(cors: Cors, origin_secret: Option<SecretString>) -> Self {
        Self { cors, origin_secret }
    }

    /// The caller's address, or [`ApiError::Forbidden`] for a request that skipped CloudFront.
    pub fn client_ip(&self, req: &Request) -> Result<String, ApiError> {
        let source_ip = match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
            _ => None,
        };
        let Some(secret) = &self.origin_secret else {
            return Ok(source_ip.unwrap_or_else(|| "unknown".to_owned()));
        };
        let presented = req.headers().get(ORIGIN_VERIFY_HEADER).map(HeaderValue::as_bytes).unwrap_or_default();
        if !bool::from(presented.ct_eq(secret.expose_secret().as_bytes())) {
            return Err(ApiError::Forbidden);
        }
        let viewer = req.headers().get(VIEWER_ADDRESS_HEADER).and_then(|v| v.to_str().ok()).and_then(viewer_ip);
        Ok(viewer.or(source_ip).unwrap_or_else(|| "unknown".to_owned()))
    }
}

/// The address in CloudFront's `address:port` (`198.51.100.10:46532`, `2001:db8::1:46532`).
fn viewer_ip(value: &str) -> Option<String> {
    let (address, port) = value.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    address.parse::<IpAddr>().ok().map(|ip| ip.to_string())
}

#[cfg(test)]
pub(super) mod tests {
    use lambda_http::http::StatusCode;

    use super::*;

    pub(in crate::http) fn request_with(headers: &[(&str, &str)]) -> Request {
        let mut req = crate::testing::event(
            include_str!("../../../events/request-otp.json"),
            "POST",
            Some("application/json"),
            Some("{}"),
        );
        for (name, value) in headers {
            let name = lambda_http::http::HeaderName::from_bytes(name.as_bytes()).unwrap();
            req.headers_mut().insert(name, HeaderValue::from_str(value).unwrap());
        }
        req
    }

    #[test]
    fn without_an_origin_secret_the_caller_is_the_gateway_source_ip_whatever_the_headers_say() {
        let edge = Edge::default();
        let forged = request_with(&[(VIEWER_ADDRESS_HEADER, "203.0.113.77:443"), (ORIGIN_VERIFY_HEADER, "x")]);
        assert_eq!(edge.client_ip(&forged).unwrap(), "198.51.100.7");
    }

    #[test]
    fn with_an_origin_secret_only_requests_carrying_it_are_served_and_the_viewer_address_is_believed() {
        let secret = "s".repeat(32);
        let edge = Edge::new(Cors::default(), Some(SecretString::from(secret.clone())));
        for presented in [None, Some(""), Some("s"), Some(&*"t".repeat(32)), Some(&*"s".repeat(33))] {
            let mut headers = vec![(VIEWER_ADDRESS_HEADER, "203.0.113.77:443")];
            headers.extend(presented.map(|p| (ORIGIN_VERIFY_HEADER, p)));
            assert_eq!(edge.client_ip(&request_with(&headers)), Err(ApiError::Forbidden), "{presented:?}");
        }
        let through_cloudfront = |viewer: &str| {
            edge.client_ip(&request_with(&[(ORIGIN_VERIFY_HEADER, &secret), (VIEWER_ADDRESS_HEADER, viewer)]))
        };
        assert_eq!(through_cloudfront("203.0.113.77:46532").unwrap(), "203.0.113.77");
        assert_eq!(through_cloudfront("2001:db8::1:46532").unwrap(), "2001:db8::1");
        // No usable viewer address: the gateway's own, never a made-up one.
        assert_eq!(through_cloudfront("not-an-address").unwrap(), "198.51.100.7");
        assert_eq!(edge.client_ip(&request_with(&[(ORIGIN_VERIFY_HEADER, &secret)])).unwrap(), "198.51.100.7");
        assert_eq!(ApiError::Forbidden.status(), StatusCode::FORBIDDEN);
    }
}
