//! The HTTP surface: one module per resource, each exposing `router()`, merged here
//! under the edge layers.

pub mod admin;
pub mod audit;
pub mod auth;
pub mod docs;
pub mod documents;
pub mod extract;
pub mod health;
pub mod idempotency;
pub mod invites;
pub mod jobs;
pub mod keys;
pub mod landing;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod schedules;
pub mod tasks;
pub mod teams;
pub mod users;
pub mod v2;
pub mod webhooks;

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderName, Method};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower::util::option_layer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::config::Config;
use crate::error::AppError;
use crate::store::Store;

/// What every handler can reach. One `Arc`, so the clone every request makes (axum hands
/// each handler and middleware its own copy) is a single reference-count bump.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The parts of [`AppState`].
pub struct Shared {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub redis: Option<redis::Client>,
    /// The job queue: enqueue, cancel, retry, look up.
    pub jobs: crate::jobs::Jobs,
    /// Fetch + extract for synchronous scrapes and maps.
    pub scraper: crate::scrape::Scraper,
    /// Stores the pages of synchronous scrapes without the response waiting for it.
    pub documents: crate::scrape::writer::DocumentWriter,
    /// Credentials, sessions, login throttling (see [`crate::auth::Caller`]).
    pub auth: crate::auth::Auth,
    /// Tiered request budgets, in memory or shared through Redis.
    pub limiter: crate::edge::rate_limit::RateLimiter,
    pub started: Instant,
    /// Base URL for links the API returns, without a trailing slash.
    pub public_base: Arc<str>,
    /// Set once migrations are seen to be current; they do not go back while we run.
    migrations_current: AtomicBool,
}

impl AppState {
    /// A state with the built-in job kinds and its own scraper (tests and tools).
    pub fn new(
        config: Arc<Config>,
        store: Arc<dyn Store>,
        redis: Option<redis::Client>,
        public_base: String,
    ) -> Self {
        let jobs = crate::jobs::Jobs::new(
            store.clone(),
            crate::jobs::Registry::builtin(&config.jobs),
            &config,
        );
        // Building the client fails only without a TLS provider, which `init_crypto`
        // installs before any state exists.
        let scraper = crate::scrape::Scraper::new(
            crate::fetch::Fetcher::new(&config.fetch).expect("the HTTP client builds"),
        );
        Self::with_parts(config, store, redis, public_base, jobs, scraper)
    }

    /// A state around a given queue and scraper, so that the server's handlers and its
    /// job kinds share one HTTP client and its connection pools.
    pub fn with_parts(
        config: Arc<Config>,
        store: Arc<dyn Store>,
        redis: Option<redis::Client>,
        public_base: String,
        jobs: crate::jobs::Jobs,
        scraper: crate::scrape::Scraper,
    ) -> Self {
        AppState(Arc::new(Shared {
            auth: crate::auth::Auth::new(&config),
            limiter: crate::edge::rate_limit::RateLimiter::new(&config.rate_limit, redis.clone()),
            config,
            documents: crate::scrape::writer::DocumentWriter::new(store.clone()),
            store,
            redis,
            jobs,
            scraper,
            started: Instant::now(),
            public_base: public_base.into(),
            migrations_current: AtomicBool::new(false),
        }))
    }

    pub fn is_trusted_proxy(&self, ip: IpAddr) -> bool {
        self.config
            .server
            .trusted_proxies
            .iter()
            .any(|net| net.contains(&ip))
    }

    /// Whether the schema matches this binary; asks the database until it has once said yes.
    pub async fn migrations_current(&self) -> Result<bool, crate::store::StoreError> {
        if self.migrations_current.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let current = crate::store::migrations_current(&self.store.migrations().await?);
        if current {
            self.migrations_current.store(true, Ordering::Relaxed);
        }
        Ok(current)
    }
}

/// The whole application router with its edge layers: the documented API
/// ([`openapi::api_routes`]) and the pages and probes around it.
pub fn router(state: AppState) -> Router {
    let (api, _) = openapi::api_routes().split_for_parts();
    let mut routes = Router::new()
        .merge(api)
        // Before the routes: an upgrade on a status URL is the SDKs' watcher stream.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            v2::watch::upgrade,
        ))
        .merge(health::router())
        .merge(openapi::router())
        .merge(landing::router());
    if state.config.metrics_on_main() {
        routes = routes.merge(metrics::router());
    }
    with_edge_layers(routes, state)
}

/// Wraps `routes` in the fallbacks and edge layers every request passes through. Public
/// so tests can put a deliberately failing route behind the same layers.
///
/// From the outside in: security headers (so that every response has them, even a
/// time-out), `observe` (request id, time limit, logs, metrics), Firecrawl's error shape
/// on `/v2`, panic catching, CORS (before the limiter, so preflights are free and
/// refusals readable), input limits, session rotation, the rate limiter, CSRF, then the
/// route.
pub fn with_edge_layers(routes: Router<AppState>, state: AppState) -> Router {
    let cors = cors_layer(&state.config.server.cors_origins);
    routes
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // The size limit is `middleware::limits`, which knows the batch routes.
        .layer(DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::csrf::csrf,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::rate_limit::rate_limit,
        ))
        // Outside the limiter, which is where a session is first authenticated.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::auth::rotation::set_rotated_cookie,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::limits::limits,
        ))
        .layer(option_layer(cors))
        // Inside `observe`, so a panic's 500 still gets the request id, a log line
        // and its metrics.
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(axum::middleware::from_fn(v2::firecrawl_errors_at_edge))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::observe::observe,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::headers::security_headers,
        ))
        .with_state(state)
}

/// CORS for the configured origins only (none: no CORS headers at all). Credentials
/// are allowed, which is why an origin is never `*` (config validation refuses it).
fn cors_layer(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let origins: Vec<_> = origins.iter().filter_map(|o| o.parse().ok()).collect();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_credentials(true)
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                HeaderName::from_static("x-api-key"),
                HeaderName::from_static(crate::auth::CSRF_HEADER),
                HeaderName::from_static("x-idempotency-key"),
                HeaderName::from_static("idempotency-key"),
            ])
            .expose_headers([
                HeaderName::from_static("x-request-id"),
                header::RETRY_AFTER,
                HeaderName::from_static("ratelimit-limit"),
                HeaderName::from_static("ratelimit-remaining"),
                HeaderName::from_static("ratelimit-reset"),
                HeaderName::from_static("ratelimit-policy"),
            ])
            .max_age(std::time::Duration::from_secs(600)),
    )
}

async fn route_not_found(method: Method, uri: axum::http::Uri) -> AppError {
    match v2::not_served(uri.path()) {
        Some(what) => AppError::NotServed(format!(
            "{method} {} {what}; this instance serves Firecrawl's v2 scrape, crawl, map and \
             batch scrape endpoints (see /openapi.json)",
            uri.path()
        )),
        None => AppError::RouteNotFound,
    }
}

async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> AppError {
    // `POST /v2/crawl/params-preview` lands on `/v2/crawl/{id}`, which has no POST.
    match route_not_found(method, uri).await {
        AppError::RouteNotFound => AppError::MethodNotAllowed,
        not_served => not_served,
    }
}

fn panic_response(_payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    // The payload may hold anything, including data from the request: it is not logged
    // verbatim or returned.
    AppError::Internal(anyhow::anyhow!("a request handler panicked")).into_response()
}
