//! A panic's answer in the deployed functions. Their release build aborts on a panic (no unwinding
//! tables: smaller binaries, and a process whose state a bug may have broken is replaced by a fresh
//! one for the next event). Before the process ends, the panic hook answers the invocation in
//! flight through the Lambda Runtime API with the same 500 `internal_error` JSON any unexpected
//! error gets, so the caller reads the API's own answer rather than API Gateway's. (Where panics
//! unwind, in tests and the local server, [`crate::http::serve_json`] catches them instead.)

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Mutex;
use std::time::Duration;

use lambda_http::{Body, Response};

/// The invocation being served, and the answer a panic during it gets.
struct InFlight {
    request_id: String,
    answer: Response<Body>,
}

static IN_FLIGHT: Mutex<Option<InFlight>> = Mutex::new(None);

/// Holds the registration for as long as an invocation is served.
#[must_use]
pub struct Registered(());

impl Drop for Registered {
    fn drop(&mut self) {
        if let Ok(mut in_flight) = IN_FLIGHT.lock() {
            *in_flight = None;
        }
    }
}

/// Registers `answer` as what the invocation `request_id` gets if a panic ends the process.
pub fn register(request_id: &str, answer: Response<Body>) -> Registered {
    if let Ok(mut in_flight) = IN_FLIGHT.lock() {
        *in_flight = Some(InFlight { request_id: request_id.to_owned(), answer });
    }
    Registered(())
}

/// The registered invocation and its answer as the Runtime API takes it, if any.
pub fn registered() -> Option<(String, Vec<u8>)> {
    // try_lock: a panic while the lock is held must not hang the hook.
    let in_flight = IN_FLIGHT.try_lock().ok()?;
    let in_flight = in_flight.as_ref()?;
    Some((in_flight.request_id.clone(), gateway_json(&in_flight.answer)))
}

/// Posts the registered answer to the Runtime API at `runtime_api` (`host:port`, as Lambda's
/// `AWS_LAMBDA_RUNTIME_API` gives it). Returns whether there was one to post.
pub fn answer_in_flight(runtime_api: &str) -> std::io::Result<bool> {
    let Some((request_id, body)) = registered() else { return Ok(false) };
    let address = runtime_api
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| std::io::Error::other("AWS_LAMBDA_RUNTIME_API names no address"))?;
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(1))?;
    stream.set_read_timeout(Some(Duration::from_secs(1)))?;
    stream.set_write_timeout(Some(Duration::from_secs(1)))?;
    let head = format!(
        "POST /2018-06-01/runtime/invocation/{request_id}/response HTTP/1.1\r\nHost: {runtime_api}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(&body)?;
    // Wait for the Runtime API to take it before the process ends.
    let mut status = [0u8; 12];
    stream.read_exact(&mut status)?;
    Ok(true)
}

/// A response as API Gateway's HTTP API (payload 2.0) reads it from a function.
fn gateway_json(response: &Response<Body>) -> Vec<u8> {
    let headers: serde_json::Map<String, serde_json::Value> = response
        .headers()
        .iter()
        .filter_map(|(name, value)| Some((name.as_str().to_owned(), value.to_str().ok()?.into())))
        .collect();
    let body = match response.body() {
        Body::Text(text) => text.clone(),
        Body::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        _ => String::new(),
    };
    serde_json::json!({
        "statusCode": response.status().as_u16(),
        "headers": headers,
        "body": body,
        "isBase64Encoded": false,
    })
    .to_string()
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use std::io::BufRead;

    use super::*;

    #[test]
    fn the_registered_answer_is_posted_to_the_runtime_api_for_its_invocation() {
        let api = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = api.local_addr().unwrap().to_string();
        let server = std::thread::spawn(move || {
            let (stream, _) = api.accept().unwrap();
            let mut reader = std::io::BufReader::new(stream);
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut length = 0;
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                if header == "\r\n" {
                    break;
                }
                if let Some(value) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap();
                }
            }
            let mut body = vec![0u8; length];
            reader.read_exact(&mut body).unwrap();
            reader.get_mut().write_all(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n").unwrap();
            (request_line, body)
        });

        let answer = crate::http::ApiError::Internal.into_response_with(&[("verified", false.into())]);
        let registered = register("8476a536-e9f4-11e8-9739-2dfe598c3fcd", answer);
        assert!(answer_in_flight(&address).unwrap());
        let (request_line, body) = server.join().unwrap();
        assert_eq!(
            request_line,
            "POST /2018-06-01/runtime/invocation/8476a536-e9f4-11e8-9739-2dfe598c3fcd/response HTTP/1.1\r\n"
        );
        let posted: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(posted["statusCode"], 500);
        assert_eq!(posted["headers"]["content-type"], "application/json");
        let inner: serde_json::Value = serde_json::from_str(posted["body"].as_str().unwrap()).unwrap();
        assert_eq!((&inner["code"], &inner["verified"]), (&"internal_error".into(), &false.into()));

        drop(registered);
        assert!(registered_now().is_none(), "nothing is registered once the invocation is over");
        assert!(!answer_in_flight(&address).unwrap());
    }

    fn registered_now() -> Option<(String, Vec<u8>)> {
        registered()
    }
}
