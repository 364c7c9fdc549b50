//! CSRF protection for requests authenticated by the session cookie, the one credential
//! a browser attaches on its own. Unsafe methods must come from our own origin (by
//! `Sec-Fetch-Site` and `Origin`, when the browser sends them) and carry the session's
//! token (`crate::edge::csrf`): in `X-CSRF-Token` from scripts, or a `csrf_token` field
//! in a form. Requests with an API key or a JWT carry no ambient credential and need
//! none of this; nothing changes state on GET.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::caller::session_credential;
use crate::auth::{audit, RequestMeta, CSRF_HEADER};
use crate::error::AppError;
use crate::http::AppState;

/// The form field that carries the token in `application/x-www-form-urlencoded` posts.
pub const FORM_FIELD: &str = "csrf_token";

pub async fn csrf(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let Some(session) = session_credential(req.headers(), req.uri(), &state.auth) else {
        return next.run(req).await;
    };
    if let Err(reason) = same_origin(req.headers(), &state) {
        return refuse(&state, req, reason).await;
    }
    let in_header = req
        .headers()
        .get(CSRF_HEADER)
        .map(|v| v.to_str().unwrap_or_default().to_string());
    let (req, presented) = match in_header {
        Some(t) => (req, Some(t)),
        None if is_form(req.headers()) => {
            match form_token(req, state.config.limits.body_bytes).await {
                Ok(pair) => pair,
                Err(e) => return e.into_response(),
            }
        }
        None => (req, None),
    };
    match presented {
        Some(t) if state.auth.csrf().verify(&session, &t) => next.run(req).await,
        Some(_) => refuse(&state, req, "the CSRF token is wrong").await,
        None => refuse(&state, req, "the CSRF token is missing").await,
    }
}

/// Browsers say where a request comes from; anything but our own origin (or an
/// allowed CORS origin) is refused. Clients that send neither header (not browsers)
/// are left to the token.
fn same_origin(h: &HeaderMap, state: &AppState) -> Result<(), &'static str> {
    let origin = h.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let allowed_origin = origin.is_some_and(|o| {
        state.config.server.cors_origins.iter().any(|a| a == o) || origin_is_host(o, h)
    });
    if let Some(site) = h.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if !matches!(site, "same-origin" | "none") && !allowed_origin {
            return Err("cross-site request");
        }
    }
    if origin.is_some() && !allowed_origin {
        return Err("the Origin is not this site");
    }
    Ok(())
}

/// Whether `origin` names the host the request was sent to.
fn origin_is_host(origin: &str, h: &HeaderMap) -> bool {
    let Some(host) = h.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    origin
        .split_once("://")
        .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host))
}

fn is_form(h: &HeaderMap) -> bool {
    h.get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"))
}

/// Reads a form body (within the body limit) for its token, and puts it back for the
/// handler.
async fn form_token(req: Request, limit: usize) -> Result<(Request, Option<String>), AppError> {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| AppError::PayloadTooLarge)?;
    let token = url::form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == FORM_FIELD)
        .map(|(_, v)| v.into_owned());
    Ok((Request::from_parts(parts, Body::from(bytes)), token))
}

async fn refuse(state: &AppState, req: Request, reason: &'static str) -> Response {
    let (parts, _) = req.into_parts();
    let meta = RequestMeta::of(&parts, state);
    let mut e = audit::event(audit::AUTHZ_FAIL, &meta);
    e.outcome = "failure".into();
    e.reason = Some(format!("csrf: {reason}"));
    audit::record(state.store.as_ref(), e).await;
    AppError::CsrfRejected(reason).into_response()
}
