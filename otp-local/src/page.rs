//! What the deployment's CloudFront caches (CachingOptimized), and so compresses: the page and its
//! files, its configuration, the logo (the token keys and the discovery document are the API's
//! routes, compressed with it below).

use super::*;

/// The page with its single-page fallback, `/config.json` and the logo, compressed as CloudFront
/// compresses them.
pub(crate) fn routes(dist: &std::path::Path) -> Router<Arc<App>> {
    let page = ServeDir::new(dist).fallback(ServeFile::new(dist.join("index.html")));
    Router::new()
        .route("/config.json", get(page_config))
        .route("/brand/{file}", get(brand_logo))
        .fallback_service(page)
        .layer(compressed_as_cloudfront_does())
}

/// As the template's `Compress: true` has CloudFront compress what it caches: Brotli or gzip,
/// whichever `Accept-Encoding` prefers (Brotli when both are as welcome), for bodies of 1,000
/// bytes or more and not for images (but SVG). The API's answers, which CloudFront does not cache,
/// go as they are.
pub(crate) fn compressed_as_cloudfront_does() -> CompressionLayer<impl Predicate> {
    /// CloudFront's smallest compressed object.
    const MIN_BYTES: u16 = 1_000;
    CompressionLayer::new().compress_when(SizeAbove::new(MIN_BYTES).and(NotForContentType::IMAGES))
}

/// The operator's logo, at the one path /config.json names.
pub(crate) async fn brand_logo(State(app): State<Arc<App>>, request: Request) -> Response {
    match app.brand.logo() {
        Some(logo) if request.uri().path() == logo.path => {
            let headers = [
                (axum::http::header::CONTENT_TYPE, logo.content_type),
                (axum::http::header::CACHE_CONTROL, "no-cache"),
            ];
            (headers, logo.bytes.clone()).into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// What the page reads at start: the bot check's site key when the check is on, and the
/// branding (the deployment publishes the same file beside the page). The applications that
/// sign people in are not in it: the server checks a sign-in's client and address itself.
pub(crate) async fn page_config(State(app): State<Arc<App>>) -> Response {
    // The hosted page's ladder, without a call where calls are off (a landline's is the answer's).
    let policy = app.deps.service.policy();
    let channels = policy.channels.offered(policy.voice, false).unwrap_or(policy.channels);
    let names: Vec<&str> = channels.as_slice().iter().map(|c| c.as_str()).collect();
    let mut config = serde_json::json!({ "brand": app.brand.config(), "channels": names });
    if let Some(key) = &app.site_key {
        config["turnstileSiteKey"] = key.as_str().into();
    }
    ([(axum::http::header::CACHE_CONTROL, "no-cache")], axum::Json(config)).into_response()
}
