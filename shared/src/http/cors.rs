//! Which browser origins may read the API's answers, and the headers every answer carries.

use lambda_http::http::StatusCode;
use lambda_http::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_MAX_AGE,
    CACHE_CONTROL, HeaderValue, ORIGIN, VARY,
};
use lambda_http::{Body, Request, Response};

/// Browser origins allowed to call the API (from `CORS_ALLOWED_ORIGINS`). Other origins get no
/// allow header, so the browser keeps the answer from the page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cors {
    origins: Vec<String>,
}

impl Cors {
    /// A comma-separated list of origins such as `https://verify.example.com,http://localhost:5173`.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut origins = Vec::new();
        for origin in list.split(',').map(str::trim).filter(|o| !o.is_empty()) {
            let url = reqwest::Url::parse(origin).map_err(|_| format!("`{origin}` is not an origin"))?;
            let is_origin = matches!(url.scheme(), "http" | "https")
                && url.has_host()
                && url.path() == "/"
                && !origin.ends_with('/')
                && url.query().is_none()
                && url.fragment().is_none()
                && url.username().is_empty();
            if !is_origin {
                return Err(format!("`{origin}` is not an origin (scheme://host[:port], no path)"));
            }
            origins.push(url.origin().ascii_serialization());
        }
        Ok(Self { origins })
    }

    pub(super) fn allowed(&self, req: &Request) -> Option<HeaderValue> {
        let origin = req.headers().get(ORIGIN)?;
        let text = origin.to_str().ok()?;
        self.origins.iter().any(|o| o.eq_ignore_ascii_case(text)).then(|| origin.clone())
    }

    /// Adds the allow header (for an allowed origin) and the headers every answer carries.
    pub(super) fn decorate(&self, req: &Request, response: &mut Response<Body>) {
        let headers = response.headers_mut();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
        if self.origins.is_empty() {
            return;
        }
        headers.insert(VARY, HeaderValue::from_static("Origin"));
        if let Some(origin) = self.allowed(req) {
            headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        }
    }

    pub(super) fn preflight(&self, req: &Request) -> Response<Body> {
        let mut response = Response::new(Body::Empty);
        *response.status_mut() = StatusCode::NO_CONTENT;
        if self.allowed(req).is_some() {
            let headers = response.headers_mut();
            headers.insert(ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("POST, OPTIONS"));
            headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("content-type"));
            headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cors_accepts_origins_only() {
        let cors = Cors::parse("https://verify.example.com, http://localhost:5173").unwrap();
        assert_eq!(cors.origins, ["https://verify.example.com", "http://localhost:5173"]);
        for bad in ["*", "verify.example.com", "https://a.example/path", "https://a.example/", "ftp://a.example"] {
            assert!(Cors::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Cors::parse("").unwrap(), Cors::default());
    }
}
