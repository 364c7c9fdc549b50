//! The HTTP client that fetches pages for users: SSRF guard on every hop, time and size
//! caps, and error codes the API surfaces unchanged.

pub mod guard;

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::StatusCode;
use url::Url;

use crate::config::FetchConfig;
pub use guard::SsrfGuard;

/// Why a fetch failed. `code()` is the stable code the API returns.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{0}")]
    InvalidUrl(String),
    #[error("could not resolve {0}")]
    Dns(String),
    #[error("TLS handshake or certificate verification failed")]
    Ssl,
    #[error("timed out after {0} ms")]
    Timeout(u64),
    /// Says what opens it: operators running Trawl against their own network need to
    /// know, and the variable's name tells an attacker nothing.
    #[error(
        "{0} resolves to a private, loopback or metadata address, which may not be \
         fetched (an operator can allow ranges with TRAWL_FETCH_ALLOW)"
    )]
    BlockedAddress(String),
    #[error("the body is larger than {0} bytes")]
    TooLarge(u64),
    #[error("content type {0} is not supported")]
    UnsupportedContent(String),
    #[error("the server answered HTTP {0}")]
    Http(u16),
    #[error("disallowed by robots.txt")]
    RobotsBlocked,
    #[error("more than {0} redirects")]
    TooManyRedirects(u32),
    #[error("connection failed")]
    Connection,
}

impl FetchError {
    pub fn code(&self) -> &'static str {
        match self {
            FetchError::InvalidUrl(_) => "SCRAPE_INVALID_URL",
            FetchError::Dns(_) => "SCRAPE_DNS_RESOLUTION_ERROR",
            FetchError::Ssl => "SCRAPE_SSL_ERROR",
            FetchError::Timeout(_) => "SCRAPE_TIMEOUT",
            FetchError::BlockedAddress(_) => "SCRAPE_BLOCKED_ADDRESS",
            FetchError::TooLarge(_) => "SCRAPE_TOO_LARGE",
            FetchError::UnsupportedContent(_) => "SCRAPE_UNSUPPORTED_CONTENT",
            FetchError::Http(_) => "SCRAPE_HTTP_ERROR",
            FetchError::RobotsBlocked => "SCRAPE_ROBOTS_BLOCKED",
            FetchError::TooManyRedirects(_) => "SCRAPE_TOO_MANY_REDIRECTS",
            FetchError::Connection => "SCRAPE_CONNECTION_ERROR",
        }
    }

    /// Classifies a reqwest error by walking its cause chain for our own resolver errors
    /// and for TLS failures.
    fn from_reqwest(e: &reqwest::Error, timeout_ms: u64) -> FetchError {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
        while let Some(s) = source {
            if let Some(own) = s.downcast_ref::<FetchError>() {
                return match own {
                    FetchError::Dns(h) => FetchError::Dns(h.clone()),
                    FetchError::BlockedAddress(h) => FetchError::BlockedAddress(h.clone()),
                    _ => FetchError::Connection,
                };
            }
            if is_tls_failure(s) {
                return FetchError::Ssl;
            }
            source = s.source();
        }
        if e.is_timeout() {
            FetchError::Timeout(timeout_ms)
        } else {
            FetchError::Connection
        }
    }
}

/// Whether `e` is, or wraps, a TLS failure. The TLS stream reports a refused certificate
/// as I/O errors around the rustls one, which `source()` does not reach (it skips to the
/// inner error's own source), so wrapped I/O errors are opened by hand.
fn is_tls_failure(e: &(dyn std::error::Error + 'static)) -> bool {
    if e.downcast_ref::<rustls::Error>().is_some() {
        return true;
    }
    e.downcast_ref::<std::io::Error>()
        .and_then(std::io::Error::get_ref)
        .is_some_and(|inner| is_tls_failure(inner))
}

/// What kind of body came back, by Content-Type (or by sniffing when there is none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentKind {
    Html,
    /// text/plain, JSON, XML and other text: returned as text.
    Text,
    /// Anything else: callers that need a document refuse it.
    Binary,
}

/// Per-request options; unset fields take the configured defaults.
#[derive(Debug, Clone, Default)]
pub struct FetchOptions {
    pub timeout: Option<Duration>,
    pub headers: Vec<(String, String)>,
    pub max_body_bytes: Option<u64>,
    /// Accept any certificate (Firecrawl's `skipTlsVerification`). The address is
    /// checked by the same guard either way.
    pub skip_tls_verification: bool,
}

#[derive(Debug, Clone)]
pub struct FetchedPage {
    pub requested_url: Url,
    pub final_url: Url,
    pub status: u16,
    pub content_type: Option<String>,
    pub kind: ContentKind,
    pub body: bytes::Bytes,
    /// Seconds from a `Retry-After` header, when the server sent one.
    pub retry_after: Option<u64>,
    pub elapsed: Duration,
}

impl FetchedPage {
    /// The body as UTF-8, decoded by Content-Type charset, BOM, meta tag or detection.
    pub fn text(&self) -> String {
        trawl_extract::charset::decode_html(&self.body, self.content_type.as_deref()).0
    }
}

#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    /// Built on first use: most instances never get a request that skips verification,
    /// and a client holds its own TLS configuration and pool.
    unverified: Arc<std::sync::OnceLock<reqwest::Client>>,
    user_agent: String,
    guard: Arc<SsrfGuard>,
    timeout: Duration,
    max_body_bytes: u64,
    max_redirects: u32,
}

impl Fetcher {
    pub fn new(config: &FetchConfig) -> anyhow::Result<Fetcher> {
        crate::init_crypto();
        let guard = Arc::new(
            SsrfGuard::new(&config.allow).map_err(|e| anyhow::anyhow!("TRAWL_FETCH_ALLOW: {e}"))?,
        );
        let client = build_client(&config.user_agent, &guard, false)?;
        Ok(Fetcher {
            client,
            unverified: Arc::default(),
            user_agent: config.user_agent.clone(),
            guard,
            timeout: Duration::from_millis(config.timeout_ms),
            max_body_bytes: config.max_body_bytes,
            max_redirects: config.max_redirects,
        })
    }

    pub fn guard(&self) -> &SsrfGuard {
        &self.guard
    }

    fn client_for(&self, opts: &FetchOptions) -> Result<&reqwest::Client, FetchError> {
        if !opts.skip_tls_verification {
            return Ok(&self.client);
        }
        if let Some(c) = self.unverified.get() {
            return Ok(c);
        }
        let built = build_client(&self.user_agent, &self.guard, true).map_err(|e| {
            tracing::error!(error = %e, "cannot build the unverified TLS client");
            FetchError::Connection
        })?;
        Ok(self.unverified.get_or_init(|| built))
    }

    /// POSTs `body` to `url` (webhook deliveries) through the same guard and resolver as
    /// every fetch, and returns the status. Redirects are not followed: a receiver that
    /// moves answers 3xx, which the caller treats as a failure.
    pub async fn post(
        &self,
        url: &Url,
        headers: &[(String, String)],
        body: String,
        timeout: Duration,
    ) -> Result<u16, FetchError> {
        let timeout_ms = timeout.as_millis() as u64;
        self.guard.check_url(url)?;
        let mut map = request_headers(headers)?;
        map.remove(header::ACCEPT);
        let send = guard::on_port_of(
            url,
            self.client.post(url.clone()).headers(map).body(body).send(),
        );
        let response = tokio::time::timeout(timeout, send)
            .await
            .map_err(|_| FetchError::Timeout(timeout_ms))?
            .map_err(|e| FetchError::from_reqwest(&e, timeout_ms))?;
        Ok(response.status().as_u16())
    }

    /// GETs `url`, following up to the configured number of redirects, each re-checked.
    /// HTTP error statuses are returned as pages; transport failures are errors.
    pub async fn fetch(&self, url: &Url, opts: &FetchOptions) -> Result<FetchedPage, FetchError> {
        self.fetch_checked(url, opts, None).await
    }

    /// [`Fetcher::fetch`], asking `redirects` before each redirect is followed (a crawl
    /// checks the target's robots.txt there).
    pub async fn fetch_checked(
        &self,
        url: &Url,
        opts: &FetchOptions,
        redirects: Option<&dyn RedirectCheck>,
    ) -> Result<FetchedPage, FetchError> {
        let timeout = opts.timeout.unwrap_or(self.timeout);
        let timeout_ms = timeout.as_millis() as u64;
        let inner = self.fetch_inner(url, opts, redirects, timeout_ms);
        match tokio::time::timeout(timeout, inner).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::Timeout(timeout_ms)),
        }
    }

    async fn fetch_inner(
        &self,
        url: &Url,
        opts: &FetchOptions,
        redirects: Option<&dyn RedirectCheck>,
        timeout_ms: u64,
    ) -> Result<FetchedPage, FetchError> {
        let start = Instant::now();
        let mut headers = request_headers(&opts.headers)?;
        let max = opts.max_body_bytes.unwrap_or(self.max_body_bytes);
        let mut current = url.clone();
        let mut hops = 0;
        loop {
            self.guard.check_url(&current)?;
            let send = self
                .client_for(opts)?
                .get(current.clone())
                .headers(headers.clone())
                .send();
            let response = guard::on_port_of(&current, send)
                .await
                .map_err(|e| FetchError::from_reqwest(&e, timeout_ms))?;
            let status = response.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                if let Some(next) = location(&response, &current) {
                    hops += 1;
                    if hops > self.max_redirects {
                        return Err(FetchError::TooManyRedirects(self.max_redirects));
                    }
                    if next.origin() != current.origin() {
                        // Once dropped they stay dropped: the other origin chose where
                        // the chain goes next, even back to the first one.
                        keep_only_credential_free(&mut headers);
                    }
                    if let Some(check) = redirects {
                        check.check(&next).await?;
                    }
                    current = next;
                    continue;
                }
            }
            let content_type = response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let retry_after = response
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            let body = read_capped(response, max, timeout_ms).await?;
            let kind = classify(content_type.as_deref(), &body);
            return Ok(FetchedPage {
                requested_url: url.clone(),
                final_url: current,
                status: status.as_u16(),
                content_type,
                kind,
                body,
                retry_after,
                elapsed: start.elapsed(),
            });
        }
    }
}

/// The HTTP client behind every fetch: redirects off (followed by hand, each hop
/// checked), names resolved through the guard, no proxy. `unverified` accepts any
/// certificate, for requests that ask to skip verification.
fn build_client(
    user_agent: &str,
    guard: &Arc<SsrfGuard>,
    unverified: bool,
) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .user_agent(user_agent)
        // Redirects are followed by hand so that every hop passes the guard.
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(guard::GuardedResolver {
            guard: Arc::clone(guard),
        }))
        // A proxy would connect on our behalf to addresses we never checked.
        .no_proxy()
        .danger_accept_invalid_certs(unverified)
        .connect_timeout(Duration::from_secs(10))
        .read_timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(64)
        .pool_idle_timeout(Duration::from_secs(30))
        .tcp_nodelay(true)
        .build()?)
}

fn request_headers(extra: &[(String, String)]) -> Result<HeaderMap, FetchError> {
    let mut map = HeaderMap::new();
    map.insert(
        header::ACCEPT,
        HeaderValue::from_static("text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.8"),
    );
    for (k, v) in extra {
        let name = HeaderName::from_bytes(k.as_bytes())
            .map_err(|_| FetchError::InvalidUrl(format!("invalid header name {k:?}")))?;
        // Hop-by-hop and routing headers are ours to set, not the caller's.
        if matches!(
            name.as_str(),
            "host" | "connection" | "content-length" | "transfer-encoding"
        ) {
            continue;
        }
        let value = HeaderValue::from_str(v)
            .map_err(|_| FetchError::InvalidUrl(format!("invalid value for header {k}")))?;
        map.insert(name, value);
    }
    Ok(map)
}

/// Headers a caller may set that carry no credential, and so may follow a redirect to
/// another origin (scheme, host or port). Every other caller header is dropped there:
/// `Authorization`, `Cookie` and `Proxy-Authorization`, but also the `X-Api-Key`-style
/// headers whose meaning only the first origin knows.
const CROSS_ORIGIN_SAFE: &[HeaderName] = &[
    header::ACCEPT,
    header::ACCEPT_LANGUAGE,
    header::USER_AGENT,
    header::CACHE_CONTROL,
    header::PRAGMA,
    header::DNT,
];

fn keep_only_credential_free(headers: &mut HeaderMap) {
    let drop: Vec<HeaderName> = headers
        .keys()
        .filter(|k| !CROSS_ORIGIN_SAFE.contains(k))
        .cloned()
        .collect();
    for name in drop {
        headers.remove(name);
    }
}

/// Asked before a redirect is followed; an error ends the fetch with that error.
#[async_trait::async_trait]
pub trait RedirectCheck: Send + Sync {
    async fn check(&self, next: &Url) -> Result<(), FetchError>;
}

fn location(response: &reqwest::Response, base: &Url) -> Option<Url> {
    let raw = response.headers().get(header::LOCATION)?.to_str().ok()?;
    base.join(raw).ok()
}

/// Reads the body, refusing (never silently truncating) one over `max` bytes.
async fn read_capped(
    mut response: reqwest::Response,
    max: u64,
    timeout_ms: u64,
) -> Result<bytes::Bytes, FetchError> {
    if response.content_length().is_some_and(|len| len > max) {
        return Err(FetchError::TooLarge(max));
    }
    let mut buf = bytes::BytesMut::with_capacity(
        response.content_length().unwrap_or(64 * 1024).min(max) as usize,
    );
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| FetchError::from_reqwest(&e, timeout_ms))?
    {
        if (buf.len() + chunk.len()) as u64 > max {
            return Err(FetchError::TooLarge(max));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

fn classify(content_type: Option<&str>, body: &[u8]) -> ContentKind {
    let mime = content_type
        .and_then(|ct| ct.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase());
    match mime.as_deref() {
        Some("text/html" | "application/xhtml+xml") => ContentKind::Html,
        Some(m)
            if m.starts_with("text/")
                || m == "application/json"
                || m.ends_with("+json")
                || m == "application/xml"
                || m.ends_with("+xml") =>
        {
            ContentKind::Text
        }
        Some(_) => ContentKind::Binary,
        None => {
            let head = String::from_utf8_lossy(&body[..body.len().min(512)]).to_ascii_lowercase();
            let head = head.trim_start();
            if head.starts_with("<!doctype html")
                || head.starts_with("<html")
                || head.starts_with('<')
            {
                ContentKind::Html
            } else if std::str::from_utf8(&body[..body.len().min(4096)]).is_ok() {
                ContentKind::Text
            } else {
                ContentKind::Binary
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_are_classified() {
        assert_eq!(
            classify(Some("text/html; charset=utf-8"), b""),
            ContentKind::Html
        );
        assert_eq!(classify(Some("application/json"), b"{}"), ContentKind::Text);
        assert_eq!(classify(Some("text/plain"), b"x"), ContentKind::Text);
        assert_eq!(
            classify(Some("application/pdf"), b"%PDF"),
            ContentKind::Binary
        );
        assert_eq!(classify(None, b"<!DOCTYPE html><p>x"), ContentKind::Html);
        assert_eq!(classify(None, &[0xff, 0x00, 0xfe]), ContentKind::Binary);
    }

    #[test]
    fn every_error_has_a_stable_scrape_code() {
        assert_eq!(
            FetchError::Dns("x".into()).code(),
            "SCRAPE_DNS_RESOLUTION_ERROR"
        );
        assert_eq!(FetchError::Ssl.code(), "SCRAPE_SSL_ERROR");
        assert_eq!(FetchError::Timeout(1).code(), "SCRAPE_TIMEOUT");
        assert_eq!(
            FetchError::BlockedAddress("x".into()).code(),
            "SCRAPE_BLOCKED_ADDRESS"
        );
        assert_eq!(FetchError::TooLarge(1).code(), "SCRAPE_TOO_LARGE");
        assert_eq!(
            FetchError::UnsupportedContent("x".into()).code(),
            "SCRAPE_UNSUPPORTED_CONTENT"
        );
        assert_eq!(FetchError::Http(500).code(), "SCRAPE_HTTP_ERROR");
        assert_eq!(FetchError::RobotsBlocked.code(), "SCRAPE_ROBOTS_BLOCKED");
    }
}
