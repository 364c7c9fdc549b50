//! Session id rotation on privilege change. A dashboard session records the privileges
//! it was issued under (instance admin or not, role in its team). When an admin
//! changes them, the session's next request is still served, under the new privileges,
//! but with a new session id: the old id is revoked and the new one set as the cookie,
//! so an id captured before a promotion never carries the promoted rights.
//!
//! The handler's response is built far from where the caller is authenticated, so the
//! new cookie travels through a [`RotationSlot`] that [`set_rotated_cookie`] puts in the
//! request's extensions (only when the request carries a session cookie) and reads back
//! from once the response is ready.

use std::sync::{Arc, OnceLock};

use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use super::caller::session_cookie;
use super::{Role, CSRF_HEADER, SESSION_COOKIE};
use crate::http::AppState;

/// The privileges a session is bound to.
pub fn privilege(is_instance_admin: bool, role: Role) -> String {
    let scope = if is_instance_admin {
        "instance"
    } else {
        "team"
    };
    format!("{scope}:{role}")
}

/// A replacement session: its token, CSRF token and remaining lifetime in seconds.
#[derive(Debug)]
pub struct Rotated {
    pub token: String,
    pub csrf: String,
    pub max_age: i64,
}

/// Where the authenticating code leaves a replacement session for the response.
#[derive(Clone, Default)]
pub struct RotationSlot(Arc<OnceLock<Rotated>>);

impl RotationSlot {
    pub fn fill(&self, rotated: Rotated) {
        let _ = self.0.set(rotated);
    }
}

/// The `Set-Cookie` value for a session token (an empty value with age 0 clears it).
pub fn session_cookie_header(secure: bool, value: &str, max_age: i64) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .expect("cookie text is ASCII")
}

/// Middleware: sends the replacement cookie (and its CSRF token) when authentication
/// rotated the session during this request.
pub async fn set_rotated_cookie(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    if session_cookie(req.headers()).is_none() {
        return next.run(req).await;
    }
    let slot = RotationSlot::default();
    req.extensions_mut().insert(slot.clone());
    let mut res = next.run(req).await;
    if let Some(r) = slot.0.get() {
        let h = res.headers_mut();
        h.append(
            header::SET_COOKIE,
            session_cookie_header(state.auth.cookie_secure(), &r.token, r.max_age),
        );
        if let Ok(v) = HeaderValue::from_str(&r.csrf) {
            h.insert(HeaderName::from_static(CSRF_HEADER), v);
        }
    }
    res
}
