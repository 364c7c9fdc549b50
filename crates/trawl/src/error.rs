//! One error type for the whole service, rendered as one JSON envelope:
//! `{"error":{"code","message","details","request_id","timestamp"}}`.
//!
//! Internal errors (database, I/O, anything unexpected) are logged with their cause
//! chain and rendered as an opaque 500: no SQL text, stack trace or path ever reaches a
//! response.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{json, Value};

use crate::http::middleware::request_id;

/// A field that failed validation, and the rule it broke.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub rule: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, rule: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            rule: rule.into(),
        }
    }

    /// `value`, or `default` when absent, if it lies in `1..=max`: the one check (and
    /// wording) for counts and limits, whether the caller stops at it or collects it.
    pub fn in_range<T>(field: &str, value: Option<T>, default: T, max: T) -> Result<T, FieldError>
    where
        T: Copy + PartialOrd + From<u8> + std::fmt::Display,
    {
        let v = value.unwrap_or(default);
        if v < T::from(1) || v > max {
            return Err(FieldError::new(
                field,
                format!("must be between 1 and {max}"),
            ));
        }
        Ok(v)
    }
}

/// Runs a validation off the async workers. Validating request input can compile
/// regular expressions and CSS selectors: bounded work, but CPU work, which runs on the
/// one low-priority thread of [`crate::cpu`] so that a burst of it cannot stall other
/// requests (health checks included).
pub async fn validate_off_runtime<T, F>(validate: F) -> Result<T, AppError>
where
    F: FnOnce() -> Result<T, Vec<FieldError>> + Send + 'static,
    T: Send + 'static,
{
    crate::cpu::at_low_priority(validate)
        .await
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("validation failed unexpectedly")))?
        .map_err(AppError::Validation)
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is malformed (bad JSON, wrong content type).
    #[error("{0}")]
    BadRequest(String),
    /// One or more fields broke their rules.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// No credential at all: says how to present one.
    #[error(
        "authentication required: send an API key as `Authorization: Bearer <key>` \
         (or `x-api-key`), or sign in"
    )]
    Unauthorized,
    /// A credential was presented and is not (or no longer) good; says which kind, never
    /// whether a given key or account exists.
    #[error("{0}")]
    BadCredential(&'static str),
    /// Login refused: the same answer whether the account exists or not.
    #[error("invalid email or password")]
    InvalidCredentials,
    /// Authenticated, but the caller's role or credential does not reach what the
    /// request needs; says what is missing (the caller's own rights, nothing else).
    #[error("not allowed: {0}")]
    Forbidden(String),
    /// A cookie-authenticated change without a valid CSRF token or from another site.
    #[error("CSRF check failed: {0}")]
    CsrfRejected(&'static str),
    /// The named resource does not exist (or belongs to another team).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The job existed but its results have expired.
    #[error("job expired")]
    JobExpired,
    #[error("route not found")]
    RouteNotFound,
    /// A Firecrawl endpoint (or API version) this instance does not serve; the message
    /// names it and says what is served, so it is not mistaken for a wrong base URL.
    #[error("{0}")]
    NotServed(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A uniqueness rule or a state rule refused the change.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("request body too large")]
    PayloadTooLarge,
    /// The body's Content-Type is not one the endpoint reads; says which it takes.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The request target (path and query) is longer than the limit.
    #[error("the URL is longer than {0} bytes")]
    UriTooLong(usize),
    #[error("request headers too large or too many")]
    HeadersTooLarge,
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    #[error("request timed out")]
    Timeout,
    #[error("{0}")]
    Unavailable(String),
    /// Fetching the page the caller asked for failed; carries a stable `SCRAPE_*` code.
    #[error(transparent)]
    Fetch(#[from] crate::fetch::FetchError),
    /// Anything else. Its cause is logged, never returned.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unauthorized | AppError::BadCredential(_) | AppError::InvalidCredentials => {
                StatusCode::UNAUTHORIZED
            }
            AppError::Forbidden(_) | AppError::CsrfRejected(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) | AppError::JobExpired | AppError::RouteNotFound => {
                StatusCode::NOT_FOUND
            }
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::NotServed(_) => StatusCode::NOT_IMPLEMENTED,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::UriTooLong(_) => StatusCode::URI_TOO_LONG,
            AppError::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Timeout => StatusCode::REQUEST_TIMEOUT,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Fetch(e) => fetch_status(e),
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad_request",
            AppError::Validation(_) => "validation_failed",
            AppError::Unauthorized | AppError::BadCredential(_) => "unauthorized",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::Forbidden(_) | AppError::CsrfRejected(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::JobExpired => "job_expired",
            AppError::RouteNotFound => "route_not_found",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::NotServed(_) => "endpoint_not_available",
            AppError::Conflict { code, .. } => code,
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::UriTooLong(_) => "uri_too_long",
            AppError::HeadersTooLarge => "headers_too_large",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Timeout => "timeout",
            AppError::Unavailable(_) => "unavailable",
            AppError::Fetch(e) => e.code(),
            AppError::Internal(_) => "internal_error",
        }
    }

    /// The message shown to the client; opaque for internal errors.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Internal(_) => "internal server error".into(),
            AppError::Validation(fields) => match fields.as_slice() {
                [one] => format!("{}: {}", one.field, one.rule),
                _ => format!("{} fields are invalid", fields.len()),
            },
            other => other.to_string(),
        }
    }

    fn details(&self) -> Value {
        match self {
            AppError::Validation(fields) => json!({ "fields": fields }),
            AppError::RateLimited { retry_after_secs } => {
                json!({ "retry_after_secs": retry_after_secs })
            }
            AppError::Fetch(crate::fetch::FetchError::Http(status)) => {
                json!({ "status": status })
            }
            _ => Value::Null,
        }
    }

    /// Shorthand for a single invalid field.
    pub fn invalid(field: impl Into<String>, rule: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError::new(field, rule)])
    }
}

impl From<crate::store::StoreError> for AppError {
    fn from(e: crate::store::StoreError) -> Self {
        use crate::store::StoreError;
        match e {
            StoreError::NotFound(what) => AppError::NotFound(what),
            StoreError::Conflict { code, message } => AppError::Conflict { code, message },
            StoreError::Database(e) => AppError::Internal(anyhow::Error::new(e)),
            StoreError::Other(e) => AppError::Internal(e),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let AppError::Internal(cause) = &self {
            // The only place an internal cause is recorded: in the log, with the chain.
            tracing::error!(error = format!("{cause:#}"), "internal error");
        }
        let body = json!({
            "error": {
                "code": self.code(),
                "message": self.public_message(),
                "details": self.details(),
                "request_id": request_id::current(),
                "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            }
        });
        let mut response = (status, axum::Json(body)).into_response();
        if matches!(
            self,
            AppError::Unauthorized | AppError::BadCredential(_) | AppError::InvalidCredentials
        ) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"trawl\""),
            );
        }
        if matches!(self, AppError::Unavailable(_)) {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(1u32));
        }
        if let AppError::RateLimited { retry_after_secs } = self {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_secs.max(1)),
            );
        }
        response
    }
}

/// The status for a failed fetch: a bad or refused URL is a plain 4xx, a timeout 408 as
/// Firecrawl's SDKs expect, and a target that failed 424 (Failed Dependency). Not 502:
/// the Python SDK retries 502 three times, which only delays a DNS or TLS failure.
fn fetch_status(e: &crate::fetch::FetchError) -> StatusCode {
    use crate::fetch::FetchError as F;
    match e {
        F::InvalidUrl(_) => StatusCode::BAD_REQUEST,
        F::BlockedAddress(_) | F::RobotsBlocked => StatusCode::FORBIDDEN,
        F::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
        F::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        F::UnsupportedContent(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        F::Dns(_) | F::Ssl | F::Http(_) | F::TooManyRedirects(_) | F::Connection => {
            StatusCode::FAILED_DEPENDENCY
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_error_hides_its_cause() {
        let e = AppError::Internal(anyhow::anyhow!("SELECT * FROM users at /srv/trawl.db"));
        assert_eq!(e.public_message(), "internal server error");
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn one_invalid_field_is_named_in_the_message() {
        let e = AppError::invalid("url", "must be an absolute http(s) URL");
        assert_eq!(e.public_message(), "url: must be an absolute http(s) URL");
        assert_eq!(e.details()["fields"][0]["field"], "url");
    }
}
