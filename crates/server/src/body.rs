//! The request body extractor: `application/scim+json` or `application/json`, bounded in
//! size, parsed to JSON, every failure a SCIM error.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::web::BytesMut;
use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header};
use futures_util::StreamExt;
use scim::{ScimError, ScimType};
use serde_json::Value;

use crate::error::ApiError;

/// The most bytes a request body may have, put in the app data by the server: one limit
/// for Bulk requests, one for every other.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit {
    pub default: usize,
    pub bulk: usize,
}

/// Oversize bodies up to this many bytes (or four times the limit) are read to the end
/// before the 413 is sent.
const DRAIN_AT_LEAST: usize = 16 * 1024 * 1024;

/// A JSON request body.
#[derive(Debug)]
pub struct ScimBody(pub Value);

impl FromRequest for ScimBody {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limits = req.app_data::<BodyLimit>().copied().unwrap_or(BodyLimit {
            default: 1024 * 1024,
            bulk: 1024 * 1024,
        });
        let limit = if req.match_pattern().is_some_and(|p| p.ends_with("/Bulk")) {
            limits.bulk
        } else {
            limits.default
        };
        // A Content-Type that is not text is a media type we do not support, not a
        // missing one.
        let content_type = req.headers().get(header::CONTENT_TYPE).map(|v| {
            v.to_str()
                .unwrap_or("(not text)")
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
        let declared_length = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            match content_type.as_deref() {
                None | Some("application/scim+json") | Some("application/json") => {}
                Some(other) => {
                    return Err(ApiError(ScimError::status(
                        415,
                        format!(
                            "content type '{other}' is not supported: send application/scim+json or application/json"
                        ),
                    )));
                }
            }
            // An oversize body is still read (and dropped) up to a bound, so that the client
            // receives the 413 instead of a connection closed while it is still sending.
            let drain_bound = limit.saturating_mul(4).max(DRAIN_AT_LEAST);
            if declared_length.is_some_and(|n| n > drain_bound) {
                return Err(too_large(limit));
            }
            let mut body = BytesMut::new();
            let mut received = 0usize;
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    ApiError(ScimError::invalid_syntax(format!(
                        "the request body could not be read: {e}"
                    )))
                })?;
                received = received.saturating_add(chunk.len());
                if received > drain_bound {
                    return Err(too_large(limit));
                }
                if received <= limit {
                    body.extend_from_slice(&chunk);
                }
            }
            if received > limit {
                return Err(too_large(limit));
            }
            if body.iter().all(u8::is_ascii_whitespace) {
                return Err(ApiError(ScimError::invalid_syntax(
                    "the request needs a JSON body",
                )));
            }
            serde_json::from_slice(&body).map(ScimBody).map_err(|e| {
                ApiError(ScimError::new(
                    ScimType::InvalidSyntax,
                    format!("the request body is not valid JSON: {e}"),
                ))
            })
        })
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError(ScimError::status(
        413,
        format!("the request body is larger than the {limit} bytes this server accepts"),
    ))
}

/// How long [`drain_unread`] waits for the rest of a body nobody read.
const DRAIN_FOR: Duration = Duration::from_secs(5);

/// Middleware: once the response is ready, reads (and drops) what is left of a request body
/// that the handler did not read — a request refused before its body was looked at, such
/// as a 401, 404 or 415 — up to [`DRAIN_AT_LEAST`] bytes and [`DRAIN_FOR`]. Actix closes a
/// connection whose request body is unread without telling the client, which then fails
/// its next request on that connection with a reset; a drained connection stays usable.
pub async fn drain_unread(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let (_, payload) = req.parts_mut();
    let shared = Rc::new(RefCell::new(payload.take()));
    let reader = shared.clone();
    let stream = futures_util::stream::poll_fn(move |cx| reader.borrow_mut().poll_next_unpin(cx));
    req.set_payload(Payload::Stream {
        payload: Box::pin(stream),
    });
    let mut response = next.call(req).await?;
    let mut rest = std::mem::replace(&mut *shared.borrow_mut(), Payload::None);
    let drain = async {
        let mut drained = 0usize;
        loop {
            match rest.next().await {
                None => return true,
                Some(Err(_)) => return false,
                Some(Ok(chunk)) => {
                    drained = drained.saturating_add(chunk.len());
                    if drained > DRAIN_AT_LEAST {
                        return false;
                    }
                }
            }
        }
    };
    if !tokio::time::timeout(DRAIN_FOR, drain)
        .await
        .unwrap_or(false)
    {
        // Actix will close this connection: say so, so that the client does not reuse it.
        response
            .response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
    Ok(response)
}
