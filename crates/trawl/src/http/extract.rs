//! Extractors that turn a request's body and query string into typed values or an
//! error in the envelope that names the offending field and its rule — never axum's
//! plain-text rejections.
//!
//! `ApiJson<T>` also enforces the JSON nesting limit (`TRAWL_LIMITS_JSON_DEPTH`) before
//! parsing, and tells an oversize body (413) from one that stalled (408).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::AppError;
use crate::http::AppState;

/// A JSON request body. Unknown fields are refused where the type says
/// `deny_unknown_fields`.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        let json_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                let ct = ct.to_ascii_lowercase();
                ct.starts_with("application/json") || ct.contains("+json")
            });
        if !json_type {
            return Err(AppError::BadRequest(
                "Content-Type must be application/json".into(),
            ));
        }
        let bytes = read_body(req, state).await?;
        parse_json(&bytes, state.config.limits.json_depth).map(ApiJson)
    }
}

/// Reads the whole body within the route's size limit.
pub async fn read_body(req: Request, state: &AppState) -> Result<Bytes, AppError> {
    Bytes::from_request(req, state).await.map_err(body_error)
}

fn body_error(e: BytesRejection) -> AppError {
    use std::error::Error;
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::PayloadTooLarge;
    }
    let mut source: Option<&(dyn Error + 'static)> = Some(&e);
    while let Some(err) = source {
        if err.is::<tower_http::timeout::TimeoutError>() {
            return AppError::Timeout;
        }
        source = err.source();
    }
    AppError::BadRequest("the request body could not be read".into())
}

/// Parses `bytes` as JSON into `T`: syntax errors say where, type errors name the
/// field by its path (`formats[2]`, `limit`).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8], max_depth: usize) -> Result<T, AppError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::BadRequest("a JSON body is required".into()));
    }
    if depth_exceeds(bytes, max_depth) {
        return Err(AppError::invalid(
            "body",
            format!("must not nest arrays and objects deeper than {max_depth} levels"),
        ));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            AppError::BadRequest(format!("the body is not valid JSON: {inner}"))
        } else if path == "." {
            AppError::invalid("body", inner.to_string())
        } else {
            AppError::invalid(path, inner.to_string())
        }
    })
}

/// Whether arrays and objects nest deeper than `max` anywhere in `bytes`, ignoring
/// brackets inside strings. Checked before parsing, so a deeply nested body costs one
/// pass and no recursion.
fn depth_exceeds(bytes: &[u8], max: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// A query string, with each bad parameter named.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner().to_string();
                // Missing and unknown parameters are named in serde's message itself.
                if path == "." || path.is_empty() {
                    AppError::invalid("query", inner)
                } else {
                    AppError::invalid(path, inner)
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_is_measured_outside_strings() {
        assert!(!depth_exceeds(br#"{"a":[1,{"b":2}]}"#, 3));
        assert!(depth_exceeds(br#"{"a":[1,{"b":[2]}]}"#, 3));
        assert!(!depth_exceeds(br#"{"a":"[[[[[[\"[["}"#, 1));
    }

    #[test]
    fn a_type_error_names_the_field() {
        #[derive(serde::Deserialize, Debug)]
        #[expect(dead_code, reason = "only deserialised")]
        struct B {
            limit: u32,
        }
        let e = parse_json::<B>(br#"{"limit":"x"}"#, 8).unwrap_err();
        assert!(
            e.public_message().starts_with("limit: "),
            "{}",
            e.public_message()
        );
    }
}
