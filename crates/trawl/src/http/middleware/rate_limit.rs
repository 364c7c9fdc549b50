//! Tiered rate limiting at the edge: which tier a route is in, whose budget a request
//! spends (API key, else user, else client IP), the `RateLimit-*` headers and the 429.
//! The counting itself is `crate::edge::rate_limit`.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::caller::resolve_for_edge;
use crate::auth::Principal;
use crate::edge::client_ip::client_ip;
use crate::edge::rate_limit::{Decision, Tier};
use crate::error::AppError;
use crate::http::AppState;

/// The tier of a route, `None` for those never limited (probes and metrics, which an
/// orchestrator or Prometheus calls on a timer).
pub fn tier_for(method: &Method, route: Option<&str>) -> Option<Tier> {
    let Some(route) = route else {
        return Some(Tier::Default);
    };
    let post = method == Method::POST;
    let get = method == Method::GET || method == Method::HEAD;
    Some(match route {
        "/health/live" | "/health/ready" | "/metrics" => return None,
        "/health" => Tier::Health,
        "/" | "/docs" | "/openapi.json" => Tier::Public,
        "/api/v1/auth/login" | "/api/v1/auth/token" if post => Tier::Login,
        "/api/v1/auth/register" | "/api/v1/auth/refresh" if post => Tier::Public,
        "/v2/scrape" | "/api/tasks/scrape" if post => Tier::Scrape,
        "/v2/crawl" | "/v2/batch/scrape" if post => Tier::Crawl,
        "/v2/map" if post => Tier::Map,
        "/v2/crawl/{id}"
        | "/v2/crawl/{id}/errors"
        | "/v2/crawl/active"
        | "/v2/batch/scrape/{id}"
        | "/v2/batch/scrape/{id}/errors"
        | "/api/tasks/{id}/status"
        | "/api/v1/jobs/{id}"
            if get =>
        {
            Tier::Status
        }
        r if r.starts_with("/api/v1/admin/") => Tier::Admin,
        // Classes for routes to come: searching, exporting, uploading documents.
        r if r.ends_with("/search") => Tier::Search,
        r if r.ends_with("/export") || r.ends_with("/download") => Tier::Export,
        r if r.ends_with("/import") || r.ends_with("/upload") => Tier::Upload,
        r if r.starts_with("/api/") || r.starts_with("/v2/") => Tier::Authenticated,
        _ => Tier::Default,
    })
}

pub async fn rate_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limiter = state.limiter.clone();
    if !limiter.enabled() {
        return next.run(req).await;
    }
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str);
    let Some(tier) = tier_for(req.method(), route) else {
        return next.run(req).await;
    };
    let (mut parts, body) = req.into_parts();
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let ip = client_ip(peer, &parts.headers, &state.config.server.trusted_proxies);
    // Login and public routes are per client IP whatever they carry; elsewhere the
    // caller is authenticated here once (the handler reuses it).
    let caller = match tier {
        Tier::Login | Tier::Public | Tier::Health => None,
        _ => resolve_for_edge(&mut parts, &state).await,
    };
    let (who, team) = match &caller {
        Some(c) => match c.principal {
            Principal::ApiKey { id, .. } => (format!("k:{id}"), Some(c.team_id)),
            Principal::User { id } => (format!("u:{id}"), Some(c.team_id)),
        },
        None => (ip_key(ip), None),
    };
    let decision = match limiter.check(tier, team, &who).await {
        Ok(d) => d,
        Err(_) => {
            return AppError::Unavailable("rate limiting is unavailable; try again shortly".into())
                .into_response()
        }
    };
    let req = Request::from_parts(parts, body);
    match decision {
        None => next.run(req).await,
        Some(d) if d.allowed => {
            let mut response = next.run(req).await;
            let policy = limiter.policy(tier, team).header();
            set_headers(response.headers_mut(), &d, &policy);
            response
        }
        Some(d) => {
            metrics::counter!("trawl_rate_limited_total", "tier" => tier.as_str()).increment(1);
            tracing::info!(tier = %tier, "rate limited");
            let mut response = AppError::RateLimited {
                retry_after_secs: d.retry_after_secs,
            }
            .into_response();
            let policy = limiter.policy(tier, team).header();
            set_headers(response.headers_mut(), &d, &policy);
            response
        }
    }
}

fn ip_key(ip: Option<IpAddr>) -> String {
    match ip {
        Some(ip) => format!("ip:{ip}"),
        None => "ip:unknown".into(),
    }
}

fn set_headers(h: &mut HeaderMap, d: &Decision, policy: &str) {
    h.insert("ratelimit-limit", HeaderValue::from(d.limit));
    h.insert("ratelimit-remaining", HeaderValue::from(d.remaining));
    h.insert("ratelimit-reset", HeaderValue::from(d.reset_secs));
    if let Ok(v) = HeaderValue::from_str(policy) {
        h.insert("ratelimit-policy", v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_fall_into_their_tiers() {
        let t = |m: Method, r: &str| tier_for(&m, Some(r));
        assert_eq!(t(Method::GET, "/health/live"), None);
        assert_eq!(t(Method::GET, "/metrics"), None);
        assert_eq!(t(Method::GET, "/health"), Some(Tier::Health));
        assert_eq!(t(Method::GET, "/docs"), Some(Tier::Public));
        assert_eq!(t(Method::GET, "/openapi.json"), Some(Tier::Public));
        assert_eq!(t(Method::POST, "/v2/scrape"), Some(Tier::Scrape));
        assert_eq!(t(Method::POST, "/v2/batch/scrape"), Some(Tier::Crawl));
        assert_eq!(t(Method::GET, "/v2/crawl/{id}"), Some(Tier::Status));
        assert_eq!(
            t(Method::DELETE, "/v2/crawl/{id}"),
            Some(Tier::Authenticated)
        );
        assert_eq!(t(Method::POST, "/api/v1/auth/login"), Some(Tier::Login));
        assert_eq!(t(Method::GET, "/api/v1/admin/workers"), Some(Tier::Admin));
        assert_eq!(
            t(Method::GET, "/api/v1/documents/search"),
            Some(Tier::Search)
        );
        assert_eq!(tier_for(&Method::GET, None), Some(Tier::Default));
    }
}
