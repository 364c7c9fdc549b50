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
use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use chrono::Utc;

use super::caller::session_credential;
use super::{keys, Role, CSRF_HEADER};
use crate::http::AppState;
use crate::store::identity::{Session, SessionKind};

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

/// Middleware: keeps the browser's session cookie in step with the server.
/// - A cookie that names no live session (ended, expired, idle, unknown) is taken off
///   the request, which then goes on as anonymous, and cleared in the response: a dead
///   cookie must not turn a login into a CSRF refusal.
/// - When authentication rotated or renewed the session during this request, the
///   response carries the new cookie (and its CSRF token).
pub async fn set_rotated_cookie(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let name = state.auth.session_cookie_name();
    let Some(token) = session_credential(req.headers(), req.uri(), &state.auth) else {
        return next.run(req).await;
    };
    if !session_is_live(&state, &token).await {
        strip_cookie(req.headers_mut(), name);
        let mut res = next.run(req).await;
        res.headers_mut()
            .append(header::SET_COOKIE, state.auth.session_cookie_header("", 0));
        return res;
    }
    let slot = RotationSlot::default();
    req.extensions_mut().insert(slot.clone());
    let mut res = next.run(req).await;
    if let Some(r) = slot.0.get() {
        let h = res.headers_mut();
        h.append(
            header::SET_COOKIE,
            state.auth.session_cookie_header(&r.token, r.max_age),
        );
        if let Ok(v) = HeaderValue::from_str(&r.csrf) {
            h.insert(HeaderName::from_static(CSRF_HEADER), v);
        }
    }
    res
}

/// Whether `token` names a browser session that may still be used. A store error
/// counts as live: the request then meets the same error where it authenticates,
/// rather than losing its cookie to a passing fault.
async fn session_is_live(state: &AppState, token: &str) -> bool {
    match state
        .store
        .session_by_hash(&keys::hash_token(token), SessionKind::Browser)
        .await
    {
        Ok(Some(s)) => usable(&s, state.auth.session_idle_secs()),
        Ok(None) => false,
        Err(_) => true,
    }
}

/// A browser session is usable until it is revoked, reaches its end of life, or has
/// been idle for `idle_secs`.
pub fn usable(s: &Session, idle_secs: i64) -> bool {
    let now = Utc::now();
    s.revoked_at.is_none()
        && s.expires_at > now
        && s.last_seen_at + chrono::Duration::seconds(idle_secs) > now
}

/// Removes cookie `name` from every `Cookie` header, keeping the others.
fn strip_cookie(headers: &mut HeaderMap, name: &str) {
    let kept: Vec<String> = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .map(str::trim)
        .filter(|kv| !kv.is_empty() && kv.split_once('=').is_none_or(|(k, _)| k != name))
        .map(str::to_string)
        .collect();
    headers.remove(header::COOKIE);
    if let Ok(v) = HeaderValue::from_str(&kept.join("; ")) {
        if !kept.is_empty() {
            headers.insert(header::COOKIE, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripping_a_cookie_keeps_the_others() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; trawl_session=x"),
        );
        h.append(header::COOKIE, HeaderValue::from_static("b=2"));
        strip_cookie(&mut h, "trawl_session");
        assert_eq!(h.get_all(header::COOKIE).iter().count(), 1);
        assert_eq!(h[header::COOKIE], "a=1; b=2");
        strip_cookie(&mut h, "a");
        strip_cookie(&mut h, "b");
        assert!(h.get(header::COOKIE).is_none());
    }
}
