//! The API: each request bridged from axum to lambda_http's API Gateway type, handed to the very
//! handler the function runs, and its answer bridged back.

use super::*;

/// Every route of the API (`shared::runtime::routes`), each to the function that serves it
/// deployed; the function answers a method it does not take.
pub(crate) fn routes() -> Router<Arc<App>> {
    use shared::runtime::routes::{Function, ROUTES};
    ROUTES.iter().fold(Router::new(), |router, route| match route.function {
        Function::RequestOtp => router.route(route.path, any(request_otp)),
        Function::VerifyOtp => router.route(route.path, any(verify_otp)),
    })
}

/// Bodies past this are refused here; the handlers refuse anything over 4 KiB anyway.
pub(crate) const MAX_FORWARDED_BODY: usize = 64 * 1024;

pub(crate) async fn request_otp(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    match to_lambda(req, peer).await {
        // On the heap: a debug build's frame would otherwise hold the whole handler.
        Ok(req) => from_lambda(Box::pin(request_otp::handle(&app.deps, req)).await),
        Err(refusal) => refusal,
    }
}

pub(crate) async fn verify_otp(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    match to_lambda(req, peer).await {
        // On the heap: a debug build's frame would otherwise hold the whole handler.
        Ok(req) => from_lambda(Box::pin(verify_otp::handle(&app.deps, req)).await),
        Err(refusal) => refusal,
    }
}

pub(crate) async fn no_such_endpoint() -> Response {
    let body = serde_json::json!({"error": "There is no such API endpoint.", "code": "not_found"});
    (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
}

/// The request as API Gateway would hand it to the function: same method, path, headers and
/// body, with the connection's address as `requestContext.http.sourceIp`.
pub(crate) async fn to_lambda(req: Request, peer: SocketAddr) -> Result<lambda_http::Request, Response> {
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_FORWARDED_BODY).await else {
        return Err(from_lambda(shared::http::ApiError::PayloadTooLarge.into_response()));
    };
    let body = match String::from_utf8(bytes.to_vec()) {
        Ok(text) if text.is_empty() => LambdaBody::Empty,
        Ok(text) => LambdaBody::Text(text),
        Err(e) => LambdaBody::Binary(e.into_bytes()),
    };
    let mut context = lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext::default();
    context.http.method = parts.method.clone();
    context.http.path = Some(parts.uri.path().to_owned());
    context.http.source_ip = Some(peer.ip().to_string());
    let request = lambda_http::Request::from_parts(parts, body);
    Ok(request.with_request_context(RequestContext::ApiGatewayV2(context)))
}

pub(crate) fn from_lambda(response: lambda_http::Response<LambdaBody>) -> Response {
    let (parts, body) = response.into_parts();
    let body = match body {
        LambdaBody::Text(text) => AxumBody::from(text),
        LambdaBody::Binary(bytes) => AxumBody::from(bytes),
        _ => AxumBody::empty(),
    };
    Response::from_parts(parts, body)
}
