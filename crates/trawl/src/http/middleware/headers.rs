//! Security headers on every response, chosen by what the response is: API responses
//! (anything but HTML) must not be cached, framed or sniffed; HTML pages get a strict
//! CSP whose only script and style sources are a per-request nonce. Also HSTS, and the
//! redirect to https when `force_https` is set.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;

use crate::edge::client_ip::is_https;
use crate::http::AppState;

/// The nonce of this request, for HTML handlers to put on their `<script>`/`<style>`.
#[derive(Debug, Clone)]
pub struct CspNonce(pub String);

const HSTS: &str = "max-age=63072000; includeSubDomains";
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";
const PERMISSIONS: &str = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), \
     magnetometer=(), microphone=(), payment=(), usb=(), interest-cohort=()";

pub async fn security_headers(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer_trusted = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|c| state.is_trusted_proxy(c.0.ip()));
    let https = is_https(state.config.tls.enabled(), peer_trusted, req.headers());
    let force = state.config.server.force_https;
    if force && !https && !is_probe(req.uri().path()) {
        if let Some(to) = https_location(&state, &req) {
            let mut r = (StatusCode::PERMANENT_REDIRECT, [(header::LOCATION, to)]).into_response();
            api_headers(r.headers_mut());
            r.headers_mut().insert(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static(HSTS),
            );
            return r;
        }
    }
    let nonce = base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 16]>());
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    let html = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.trim_start()
                .to_ascii_lowercase()
                .starts_with("text/html")
        });
    if html {
        html_headers(h, &nonce);
    } else {
        api_headers(h);
    }
    if https || force {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    h.remove(header::SERVER);
    response
}

/// Probes and metrics stay reachable over plain HTTP inside a cluster.
fn is_probe(path: &str) -> bool {
    matches!(path, "/health/live" | "/health/ready" | "/metrics")
}

fn https_location(state: &AppState, req: &Request) -> Option<String> {
    let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
    match &state.config.server.public_url {
        Some(u) if u.scheme() == "https" => {
            Some(format!("{}{path}", u.as_str().trim_end_matches('/')))
        }
        _ => {
            let host = req.headers().get(header::HOST)?.to_str().ok()?;
            let host: axum::http::uri::Authority = host.parse().ok()?;
            Some(format!("https://{}{path}", host.host()))
        }
    }
}

fn api_headers(h: &mut HeaderMap) {
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(API_CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

fn html_headers(h: &mut HeaderMap, nonce: &str) {
    let csp = format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; \
         img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; \
         frame-ancestors 'none'"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("same-site"),
    );
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static(PERMISSIONS),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-cache"));
}
