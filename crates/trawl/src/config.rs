//! Typed configuration: defaults < `trawl.toml` < `TRAWL_*` environment < flags.
//!
//! The whole tree is loaded and validated once at start-up. Unknown keys and invalid
//! values are errors that name the key (or variable) and the rule it broke. Secrets are
//! wrapped so that `Debug` and `trawl config check` never print them.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::edge::rate_limit::Policy;

mod environ;
use crate::secret::Secret;

/// Deployment profile. Staging treats secrets like production.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    #[default]
    Development,
    Staging,
    Production,
}

impl Profile {
    /// Whether secrets must be supplied and strong (no generated development secret).
    pub fn is_strict(self) -> bool {
        !matches!(self, Profile::Development)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Development => "development",
            Profile::Staging => "staging",
            Profile::Production => "production",
        }
    }
}

impl FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "development" | "dev" => Ok(Profile::Development),
            "staging" => Ok(Profile::Staging),
            "production" | "prod" => Ok(Profile::Production),
            _ => Err("must be one of development, staging, production".into()),
        }
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Readable lines in development, JSON elsewhere.
    #[default]
    Auto,
    Pretty,
    Json,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(LogFormat::Auto),
            "pretty" => Ok(LogFormat::Pretty),
            "json" => Ok(LogFormat::Json),
            _ => Err("must be one of auto, pretty, json".into()),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `TRAWL_ENV`
    pub env: Profile,
    /// `TRAWL_SECRET`: the instance secret (JWT keys, signed tokens). In development a
    /// random one is generated once and kept in the data directory.
    pub secret: Option<Secret>,
    /// `TRAWL_DATA_DIR`
    pub data_dir: PathBuf,
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub redis: RedisConfig,
    pub log: LogConfig,
    pub fetch: FetchConfig,
    pub crawl: CrawlConfig,
    pub jobs: JobsConfig,
    pub schedule: ScheduleConfig,
    pub webhook: WebhookConfig,
    pub auth: AuthConfig,
    pub tls: TlsConfig,
    pub limits: LimitsConfig,
    pub rate_limit: RateLimitConfig,
    /// `TRAWL_*` variables passed over as Kubernetes service links (names only), for
    /// one log line once logging is up.
    #[serde(skip)]
    pub ignored_env: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// `TRAWL_BIND`
    pub bind: SocketAddr,
    /// `TRAWL_PUBLIC_URL`: base URL used in links the API returns.
    pub public_url: Option<url::Url>,
    /// `TRAWL_TRUSTED_PROXIES`: peers whose `X-Forwarded-*` and `X-Request-Id` are believed.
    pub trusted_proxies: Vec<IpNet>,
    /// `TRAWL_METRICS_ADDR`: optional separate listener for `/metrics`.
    pub metrics_addr: Option<SocketAddr>,
    /// `TRAWL_METRICS_ON_MAIN`: serve `/metrics` on the main listener too. Unset, it
    /// follows the profile: on in development, off in staging and production, where the
    /// main listener faces users (see [`Config::metrics_on_main`]).
    pub metrics_on_main: Option<bool>,
    /// `TRAWL_METRICS_TOKEN`: when set, `/metrics` (wherever served) answers only
    /// requests with `Authorization: Bearer <token>`.
    pub metrics_token: Option<Secret>,
    /// `TRAWL_SHUTDOWN_GRACE_SECS`: how long in-flight requests may take after a signal.
    pub shutdown_grace_secs: u64,
    /// `TRAWL_REQUEST_TIMEOUT_SECS`: per-request time limit.
    pub request_timeout_secs: u64,
    /// `TRAWL_FORCE_HTTPS`: send HSTS on every response and redirect plain-HTTP requests
    /// (as seen directly or through `X-Forwarded-Proto` from a trusted proxy) to https.
    pub force_https: bool,
    /// `TRAWL_CORS_ORIGINS`: browser origins allowed to call the API with credentials.
    /// Empty (the default) turns CORS off; `*` is refused.
    pub cors_origins: Vec<String>,
}

/// Optional TLS termination (`crate::edge::tls`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    /// `TRAWL_TLS_CERT`: PEM certificate chain; with `key`, the main listener speaks TLS.
    pub cert: Option<PathBuf>,
    /// `TRAWL_TLS_KEY`: PEM private key.
    pub key: Option<PathBuf>,
    /// `TRAWL_TLS_REDIRECT_BIND`: a plain-HTTP listener that redirects to https.
    pub redirect_bind: Option<SocketAddr>,
}

impl TlsConfig {
    pub fn enabled(&self) -> bool {
        self.cert.is_some()
    }
}

/// Input limits applied at the edge (`http::middleware::limits`, `http::extract`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// `TRAWL_LIMITS_BODY_BYTES`: largest request body.
    pub body_bytes: usize,
    /// `TRAWL_LIMITS_BATCH_BODY_BYTES`: largest body for batch endpoints.
    pub batch_body_bytes: usize,
    /// `TRAWL_LIMITS_URL_LENGTH`: longest request target (path and query).
    pub url_length: usize,
    /// `TRAWL_LIMITS_HEADER_BYTES`: most bytes of request headers, names and values.
    pub header_bytes: usize,
    /// `TRAWL_LIMITS_HEADER_COUNT`: most request headers.
    pub header_count: usize,
    /// `TRAWL_LIMITS_JSON_DEPTH`: deepest nesting of arrays and objects in a JSON body.
    pub json_depth: usize,
    /// `TRAWL_LIMITS_BODY_TIMEOUT_SECS`: longest wait for the next piece of a body.
    pub body_timeout_secs: u64,
    /// `TRAWL_LIMITS_HEADER_TIMEOUT_SECS`: longest wait for a whole request head, so a
    /// client trickling header bytes cannot hold a connection open.
    pub header_timeout_secs: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            body_bytes: 1024 * 1024,
            batch_body_bytes: 10 * 1024 * 1024,
            url_length: 2048,
            header_bytes: 16 * 1024,
            header_count: 100,
            json_depth: 32,
            body_timeout_secs: 10,
            header_timeout_secs: 10,
        }
    }
}

/// What the rate limiter does when Redis cannot be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum OnBackendError {
    /// Let requests through (logged and counted in `trawl_rate_limit_backend_errors_total`).
    #[default]
    Open,
    /// Refuse them with 503.
    Closed,
}

impl FromStr for OnBackendError {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "open" => Ok(OnBackendError::Open),
            "closed" => Ok(OnBackendError::Closed),
            _ => Err("must be open or closed".into()),
        }
    }
}

/// Rate limits per endpoint class (`crate::edge::rate_limit`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    /// `TRAWL_RATE_LIMIT_ENABLED`
    pub enabled: bool,
    /// `TRAWL_RATE_LIMIT_ON_REDIS_ERROR`: open or closed.
    pub on_redis_error: OnBackendError,
    /// `TRAWL_RATE_LIMIT_REDIS_PREFIX`: key prefix; nodes sharing a budget share it.
    pub redis_prefix: String,
    /// `TRAWL_RATE_LIMIT_<TIER>`: one policy per tier.
    pub tiers: TierPolicies,
    /// `TRAWL_RATE_LIMIT_TEAMS`: per-team overrides, `team-uuid:tier=policy;…`.
    pub teams: std::collections::BTreeMap<
        uuid::Uuid,
        std::collections::BTreeMap<crate::edge::rate_limit::Tier, Policy>,
    >,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            enabled: true,
            on_redis_error: OnBackendError::Open,
            redis_prefix: "trawl:rl".into(),
            tiers: TierPolicies::default(),
            teams: Default::default(),
        }
    }
}

/// The policy of each tier (`10/min`, `200/hour,1000/day`, `off`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TierPolicies {
    pub public: Policy,
    pub authenticated: Policy,
    pub admin: Policy,
    pub scrape: Policy,
    pub crawl: Policy,
    pub map: Policy,
    pub status: Policy,
    pub search: Policy,
    pub export: Policy,
    pub upload: Policy,
    pub health: Policy,
    /// Per client IP, on top of the per-account login backoff.
    pub login: Policy,
    /// Routes in no other tier.
    pub default: Policy,
}

impl TierPolicies {
    pub fn get(&self, tier: crate::edge::rate_limit::Tier) -> &Policy {
        use crate::edge::rate_limit::Tier as T;
        match tier {
            T::Public => &self.public,
            T::Authenticated => &self.authenticated,
            T::Admin => &self.admin,
            T::Scrape => &self.scrape,
            T::Crawl => &self.crawl,
            T::Map => &self.map,
            T::Status => &self.status,
            T::Search => &self.search,
            T::Export => &self.export,
            T::Upload => &self.upload,
            T::Health => &self.health,
            T::Login => &self.login,
            T::Default => &self.default,
        }
    }

    fn get_mut(&mut self, tier: crate::edge::rate_limit::Tier) -> &mut Policy {
        use crate::edge::rate_limit::Tier as T;
        match tier {
            T::Public => &mut self.public,
            T::Authenticated => &mut self.authenticated,
            T::Admin => &mut self.admin,
            T::Scrape => &mut self.scrape,
            T::Crawl => &mut self.crawl,
            T::Map => &mut self.map,
            T::Status => &mut self.status,
            T::Search => &mut self.search,
            T::Export => &mut self.export,
            T::Upload => &mut self.upload,
            T::Health => &mut self.health,
            T::Login => &mut self.login,
            T::Default => &mut self.default,
        }
    }
}

impl Default for TierPolicies {
    fn default() -> Self {
        let p = |s: &str| s.parse::<Policy>().expect("default policies parse");
        // Credentialed tiers are sized so that one person's script, however fast its
        // loop, does not meet them on its own server (a scrape of a local page takes a
        // few milliseconds); they stop a runaway or leaked key. What guards accounts and
        // anonymous callers stays strict: logins, registration and tokens, public routes.
        TierPolicies {
            public: p("10/min"),
            authenticated: p("3000/min"),
            admin: p("1000/min"),
            scrape: p("6000/min"),
            crawl: p("600/min"),
            map: p("1200/min"),
            status: p("30000/min"),
            search: p("1200/min"),
            export: p("600/hour"),
            upload: p("60/min"),
            health: p("100/min"),
            login: p("10/min"),
            default: p("2000/hour,20000/day"),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `TRAWL_DATABASE_URL`: `sqlite://path` or `postgres://…`. Defaults to a SQLite file
    /// in the data directory.
    pub url: Option<Secret>,
    /// `TRAWL_DATABASE_POOL_SIZE`
    pub pool_size: u32,
    /// `TRAWL_DATABASE_BUSY_TIMEOUT_MS` (SQLite only)
    pub busy_timeout_ms: u64,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisConfig {
    /// `TRAWL_REDIS_URL`
    pub url: Option<Secret>,
    /// `TRAWL_REDIS_CA_FILE`: PEM CA certificates that alone are trusted for a
    /// `rediss://` server (default: the system's store).
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `TRAWL_LOG`: a tracing filter such as `info` or `trawl=debug,info`.
    pub level: String,
    /// `TRAWL_LOG_FORMAT`
    pub format: LogFormat,
    /// `TRAWL_LOG_DIR`: also write daily-rotated files and an error-only file here.
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct FetchConfig {
    /// `TRAWL_FETCH_ALLOW`: CIDRs and host names the fetcher may reach despite the SSRF
    /// guard. Empty by default in every profile.
    pub allow: Vec<String>,
    /// `TRAWL_FETCH_USER_AGENT`
    pub user_agent: String,
    /// `TRAWL_FETCH_TIMEOUT_MS`: default total time for one fetch.
    pub timeout_ms: u64,
    /// `TRAWL_FETCH_MAX_BODY_BYTES`
    pub max_body_bytes: u64,
    /// `TRAWL_FETCH_MAX_REDIRECTS`
    pub max_redirects: u32,
}

/// Crawling (`crate::crawl`): politeness and what a crawl request may ask for.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CrawlConfig {
    /// `TRAWL_CRAWL_CONCURRENCY`: pages one crawl fetches at once, unless the request's
    /// `maxConcurrency` asks for fewer (or, up to `max_concurrency`, more).
    pub concurrency: u32,
    /// `TRAWL_CRAWL_MAX_CONCURRENCY`: the most a request's `maxConcurrency` may ask for.
    pub max_concurrency: u32,
    /// `TRAWL_CRAWL_HOST_CONCURRENCY`: requests in flight to one host, per crawl.
    pub host_concurrency: u32,
    /// `TRAWL_CRAWL_DELAY_MS`: least time between two requests to one host, per crawl
    /// (a larger `Crawl-delay` or request `delay` wins).
    pub delay_ms: u64,
    /// `TRAWL_CRAWL_ALLOW_IGNORE_ROBOTS`: whether a request's `ignoreRobotsTxt` is honoured.
    pub allow_ignore_robots: bool,
    /// `TRAWL_CRAWL_MAX_RETRIES`: fetches of one page retried after 429/503 (with
    /// `Retry-After`) or a transient network error.
    pub max_retries: u32,
}

impl Default for CrawlConfig {
    fn default() -> Self {
        CrawlConfig {
            concurrency: 16,
            max_concurrency: 256,
            host_concurrency: 8,
            delay_ms: 0,
            allow_ignore_robots: false,
            max_retries: 2,
        }
    }
}

/// The job engine (`crate::jobs`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobsConfig {
    /// `TRAWL_JOBS_IN_PROCESS`: `trawl serve` also runs workers and the scheduler
    /// (`--no-workers` turns it off).
    pub in_process: bool,
    /// `TRAWL_JOBS_CONCURRENCY`: jobs one worker process runs at once.
    pub concurrency: u32,
    /// `TRAWL_JOBS_KINDS`: kinds this process claims; empty = every registered kind.
    pub kinds: Vec<String>,
    /// `TRAWL_JOBS_KIND_CONCURRENCY`: per-kind limits per worker, e.g. `crawl=2,scrape=8`.
    pub kind_concurrency: std::collections::BTreeMap<String, u32>,
    /// `TRAWL_JOBS_TEAM_CONCURRENCY`: most running jobs one team may have across all
    /// workers; 0 = no limit (claims still take teams in turn).
    pub team_concurrency: u32,
    /// `TRAWL_JOBS_LEASE_SECS`: a claimed job is given back this long after its worker's
    /// last heartbeat.
    pub lease_secs: u64,
    /// `TRAWL_JOBS_POLL_MS`: fallback poll when no notification arrives.
    pub poll_ms: u64,
    /// `TRAWL_JOBS_HEARTBEAT_MS`: how often a worker says it is alive (and extends its
    /// leases). Three missed heartbeats and its jobs are rescued; a worker on the same host
    /// whose process is gone is rescued at once.
    pub heartbeat_ms: u64,
    /// `TRAWL_JOBS_MAX_RESCUES`: how many times a job may lose its worker (killed, silent)
    /// and be requeued; once more and it is discarded as a likely worker-killer. Rescues
    /// do not use up `max_attempts`, which counts failed attempts only.
    pub max_rescues: u32,
    /// `TRAWL_JOBS_BATCH_SIZE`: most jobs claimed in one statement.
    pub batch_size: u32,
    /// `TRAWL_JOBS_MAX_ATTEMPTS`: default for kinds that do not set their own.
    pub max_attempts: u32,
    /// `TRAWL_JOBS_BACKOFF_BASE_MS`, `TRAWL_JOBS_BACKOFF_MAX_MS`: retry delay is random in
    /// `[0, min(max, base·2^(attempt-1))]`.
    pub backoff_base_ms: u64,
    pub backoff_max_ms: u64,
    /// `TRAWL_JOBS_TIMEOUT_SECS`: default per-attempt time limit.
    pub timeout_secs: u64,
    /// `TRAWL_JOBS_SHUTDOWN_GRACE_SECS`: how long running jobs may finish after a signal.
    pub shutdown_grace_secs: u64,
    /// `TRAWL_JOBS_RETENTION_SECS`: how long a succeeded single job (scrape…) is kept.
    pub retention_secs: u64,
    /// `TRAWL_JOBS_RETENTION_CRAWL_SECS`: the same for crawl and batch jobs.
    pub retention_crawl_secs: u64,
    /// `TRAWL_JOBS_RETENTION_FAILED_SECS`: the same for discarded and cancelled jobs.
    pub retention_failed_secs: u64,
    /// `TRAWL_JOBS_SWEEP_INTERVAL_SECS`: how often expired jobs are deleted.
    pub sweep_interval_secs: u64,
    /// `TRAWL_DOCUMENTS_RETENTION`: stored documents older than this are deleted (a
    /// duration such as `30d`, `12h`; `keep`, the default, keeps them). A team's own
    /// setting (`PUT /api/v1/teams/{id}/retention`) takes precedence. In seconds; 0 keeps.
    pub documents_retention_secs: u64,
    /// `TRAWL_JOBS_TEST_KINDS`: registers the test-only kinds (`test.record`). Never in
    /// production.
    pub test_kinds: bool,
}

impl JobsConfig {
    /// A worker silent for this long (three heartbeats) is dead: its jobs are rescued,
    /// and health and the admin view stop counting it.
    pub fn dead_after(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.heartbeat_ms.saturating_mul(3))
    }
}

/// Who may register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Registration {
    /// Anyone may register; each account gets a team of its own.
    Open,
    /// Only admins add accounts (`POST /api/v1/users`, `trawl users create-admin`).
    Invite,
    /// Nobody registers but the instance's first account.
    Closed,
}

impl FromStr for Registration {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "open" => Ok(Registration::Open),
            "invite" => Ok(Registration::Invite),
            "closed" => Ok(Registration::Closed),
            _ => Err("must be one of open, invite, closed".into()),
        }
    }
}

/// Accounts, sessions and credentials (`crate::auth`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// `TRAWL_AUTH_REGISTRATION`: open, invite or closed. Default: open in development,
    /// closed in staging and production.
    pub registration: Option<Registration>,
    /// `TRAWL_AUTH_SESSION_IDLE_SECS`: a dashboard session ends after this long unused.
    pub session_idle_secs: u64,
    /// `TRAWL_AUTH_SESSION_ABSOLUTE_SECS`: and after this long whatever happens.
    pub session_absolute_secs: u64,
    /// `TRAWL_AUTH_ALLOW_QUERY_API_KEY`: accept `?api_key=` (it can leak through proxies'
    /// logs and browser history; off unless a client cannot send headers).
    pub allow_query_api_key: bool,
    /// `TRAWL_AUTH_COOKIE_SECURE`: mark the session cookie `Secure`. Default: in staging
    /// and production, or when `TRAWL_PUBLIC_URL` is https.
    pub cookie_secure: Option<bool>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            registration: None,
            session_idle_secs: 30 * 60,
            session_absolute_secs: 12 * 3600,
            allow_query_api_key: false,
            cookie_secure: None,
        }
    }
}

impl Config {
    /// The registration mode in effect.
    pub fn registration(&self) -> Registration {
        self.auth.registration.unwrap_or(if self.env.is_strict() {
            Registration::Closed
        } else {
            Registration::Open
        })
    }
}

/// The built-in schedule.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScheduleConfig {
    /// `TRAWL_SCHEDULE_SCRAPE_URL`: scrape this URL on `cron` (default team).
    pub scrape_url: Option<url::Url>,
    /// `TRAWL_SCHEDULE_CRON`: 5 fields, or 6 with seconds first.
    pub cron: String,
    /// `TRAWL_SCHEDULE_TIMEZONE`
    pub timezone: String,
}

impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig {
            in_process: true,
            concurrency: 16,
            kinds: Vec::new(),
            kind_concurrency: Default::default(),
            team_concurrency: 0,
            lease_secs: 30,
            poll_ms: 1000,
            heartbeat_ms: 1000,
            max_rescues: 5,
            batch_size: 100,
            max_attempts: 3,
            backoff_base_ms: 1000,
            backoff_max_ms: 300_000,
            timeout_secs: 300,
            shutdown_grace_secs: 20,
            retention_secs: 3600,
            retention_crawl_secs: 24 * 3600,
            retention_failed_secs: 6 * 3600,
            documents_retention_secs: 0,
            sweep_interval_secs: 60,
            test_kinds: false,
        }
    }
}

/// Webhook deliveries (`crate::webhook`). Retries use the `[jobs]` backoff.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookConfig {
    /// `TRAWL_WEBHOOK_TIMEOUT_MS`: time for one delivery attempt, connect to answer.
    pub timeout_ms: u64,
    /// `TRAWL_WEBHOOK_MAX_ATTEMPTS`: attempts per delivery before it is discarded.
    pub max_attempts: u32,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            timeout_ms: 10_000,
            max_attempts: 5,
        }
    }
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        ScheduleConfig {
            scrape_url: None,
            cron: "0 * * * *".into(),
            timezone: "UTC".into(),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            env: Profile::Development,
            secret: None,
            data_dir: PathBuf::from("./data"),
            server: ServerConfig::default(),
            database: DatabaseConfig::default(),
            redis: RedisConfig::default(),
            log: LogConfig::default(),
            fetch: FetchConfig::default(),
            crawl: CrawlConfig::default(),
            jobs: JobsConfig::default(),
            schedule: ScheduleConfig::default(),
            webhook: WebhookConfig::default(),
            auth: AuthConfig::default(),
            tls: TlsConfig::default(),
            limits: LimitsConfig::default(),
            rate_limit: RateLimitConfig::default(),
            ignored_env: Vec::new(),
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 3002)),
            public_url: None,
            trusted_proxies: Vec::new(),
            metrics_addr: None,
            metrics_on_main: None,
            metrics_token: None,
            shutdown_grace_secs: 20,
            request_timeout_secs: 60,
            force_https: false,
            cors_origins: Vec::new(),
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: None,
            pool_size: 10,
            busy_timeout_ms: 5_000,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".into(),
            format: LogFormat::Auto,
            dir: None,
        }
    }
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            allow: Vec::new(),
            user_agent: format!("TrawlBot/{}", env!("CARGO_PKG_VERSION")),
            timeout_ms: 30_000,
            max_body_bytes: 10 * 1024 * 1024,
            max_redirects: 10,
        }
    }
}

/// A configuration problem, naming the key or variable and the rule.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {key}: {rule}")]
pub struct ConfigError {
    pub key: String,
    pub rule: String,
}

impl ConfigError {
    pub fn new(key: impl Into<String>, rule: impl Into<String>) -> Self {
        ConfigError {
            key: key.into(),
            rule: rule.into(),
        }
    }
}

/// Values given on the command line; they override everything else.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub bind: Option<SocketAddr>,
    pub database_url: Option<String>,
    pub data_dir: Option<PathBuf>,
}

/// Where a variable's value goes and how it is parsed.
type EnvSetter = fn(&mut Config, &str) -> Result<(), String>;

/// Every environment variable Trawl reads. `.env.example` documents the same list, and a
/// unit test keeps the two in step.
pub const ENV_VARS: &[(&str, EnvSetter)] = &[
    ("TRAWL_ENV", |c, v| {
        c.env = v.parse()?;
        Ok(())
    }),
    ("TRAWL_SECRET", |c, v| {
        c.secret = Some(Secret::new(v));
        Ok(())
    }),
    ("TRAWL_DATA_DIR", |c, v| {
        c.data_dir = nonempty_path(v)?;
        Ok(())
    }),
    ("TRAWL_BIND", |c, v| {
        c.server.bind = parse_bind(v)?;
        Ok(())
    }),
    ("TRAWL_PUBLIC_URL", |c, v| {
        c.server.public_url = Some(parse_public_url(v)?);
        Ok(())
    }),
    ("TRAWL_TRUSTED_PROXIES", |c, v| {
        c.server.trusted_proxies = parse_list(v, parse_cidr)?;
        Ok(())
    }),
    ("TRAWL_METRICS_ADDR", |c, v| {
        c.server.metrics_addr = Some(parse_bind(v)?);
        Ok(())
    }),
    ("TRAWL_METRICS_ON_MAIN", |c, v| {
        c.server.metrics_on_main = Some(parse_bool(v)?);
        Ok(())
    }),
    ("TRAWL_METRICS_TOKEN", |c, v| {
        c.server.metrics_token = Some(Secret::new(v));
        Ok(())
    }),
    ("TRAWL_SHUTDOWN_GRACE_SECS", |c, v| {
        c.server.shutdown_grace_secs = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_REQUEST_TIMEOUT_SECS", |c, v| {
        c.server.request_timeout_secs = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_FORCE_HTTPS", |c, v| {
        c.server.force_https = parse_bool(v)?;
        Ok(())
    }),
    ("TRAWL_CORS_ORIGINS", |c, v| {
        c.server.cors_origins = parse_list(v, |s| Ok(s.to_string()))?;
        Ok(())
    }),
    ("TRAWL_TLS_CERT", |c, v| {
        c.tls.cert = Some(nonempty_path(v)?);
        Ok(())
    }),
    ("TRAWL_TLS_KEY", |c, v| {
        c.tls.key = Some(nonempty_path(v)?);
        Ok(())
    }),
    ("TRAWL_TLS_REDIRECT_BIND", |c, v| {
        c.tls.redirect_bind = Some(parse_bind(v)?);
        Ok(())
    }),
    ("TRAWL_LIMITS_BODY_BYTES", |c, v| {
        c.limits.body_bytes = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_LIMITS_BATCH_BODY_BYTES", |c, v| {
        c.limits.batch_body_bytes = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_LIMITS_URL_LENGTH", |c, v| {
        c.limits.url_length = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_LIMITS_HEADER_BYTES", |c, v| {
        c.limits.header_bytes = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_LIMITS_HEADER_COUNT", |c, v| {
        c.limits.header_count = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_LIMITS_JSON_DEPTH", |c, v| {
        c.limits.json_depth = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_LIMITS_BODY_TIMEOUT_SECS", |c, v| {
        c.limits.body_timeout_secs = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_LIMITS_HEADER_TIMEOUT_SECS", |c, v| {
        c.limits.header_timeout_secs = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_RATE_LIMIT_ENABLED", |c, v| {
        c.rate_limit.enabled = parse_bool(v)?;
        Ok(())
    }),
    ("TRAWL_RATE_LIMIT_ON_REDIS_ERROR", |c, v| {
        c.rate_limit.on_redis_error = v.parse()?;
        Ok(())
    }),
    ("TRAWL_RATE_LIMIT_REDIS_PREFIX", |c, v| {
        c.rate_limit.redis_prefix = v.trim().to_string();
        Ok(())
    }),
    ("TRAWL_RATE_LIMIT_TEAMS", |c, v| {
        c.rate_limit.teams = parse_team_overrides(v)?;
        Ok(())
    }),
    ("TRAWL_RATE_LIMIT_PUBLIC", |c, v| set_tier(c, "public", v)),
    ("TRAWL_RATE_LIMIT_AUTHENTICATED", |c, v| {
        set_tier(c, "authenticated", v)
    }),
    ("TRAWL_RATE_LIMIT_ADMIN", |c, v| set_tier(c, "admin", v)),
    ("TRAWL_RATE_LIMIT_SCRAPE", |c, v| set_tier(c, "scrape", v)),
    ("TRAWL_RATE_LIMIT_CRAWL", |c, v| set_tier(c, "crawl", v)),
    ("TRAWL_RATE_LIMIT_MAP", |c, v| set_tier(c, "map", v)),
    ("TRAWL_RATE_LIMIT_STATUS", |c, v| set_tier(c, "status", v)),
    ("TRAWL_RATE_LIMIT_SEARCH", |c, v| set_tier(c, "search", v)),
    ("TRAWL_RATE_LIMIT_EXPORT", |c, v| set_tier(c, "export", v)),
    ("TRAWL_RATE_LIMIT_UPLOAD", |c, v| set_tier(c, "upload", v)),
    ("TRAWL_RATE_LIMIT_HEALTH", |c, v| set_tier(c, "health", v)),
    ("TRAWL_RATE_LIMIT_LOGIN", |c, v| set_tier(c, "login", v)),
    ("TRAWL_RATE_LIMIT_DEFAULT", |c, v| set_tier(c, "default", v)),
    ("TRAWL_DATABASE_URL", |c, v| {
        c.database.url = Some(Secret::new(v));
        Ok(())
    }),
    ("TRAWL_DATABASE_POOL_SIZE", |c, v| {
        c.database.pool_size = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_DATABASE_BUSY_TIMEOUT_MS", |c, v| {
        c.database.busy_timeout_ms = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_REDIS_URL", |c, v| {
        c.redis.url = Some(Secret::new(v));
        Ok(())
    }),
    ("TRAWL_REDIS_CA_FILE", |c, v| {
        c.redis.ca_file = Some(nonempty_path(v)?);
        Ok(())
    }),
    ("TRAWL_LOG", |c, v| {
        c.log.level = v.to_string();
        Ok(())
    }),
    ("TRAWL_LOG_FORMAT", |c, v| {
        c.log.format = v.parse()?;
        Ok(())
    }),
    ("TRAWL_LOG_DIR", |c, v| {
        c.log.dir = Some(nonempty_path(v)?);
        Ok(())
    }),
    ("TRAWL_FETCH_ALLOW", |c, v| {
        c.fetch.allow = parse_list(v, |s| {
            crate::fetch::guard::AllowEntry::parse(s)?;
            Ok(s.to_string())
        })?;
        Ok(())
    }),
    ("TRAWL_FETCH_USER_AGENT", |c, v| {
        c.fetch.user_agent = v.to_string();
        Ok(())
    }),
    ("TRAWL_FETCH_TIMEOUT_MS", |c, v| {
        c.fetch.timeout_ms = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_FETCH_MAX_BODY_BYTES", |c, v| {
        c.fetch.max_body_bytes = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_FETCH_MAX_REDIRECTS", |c, v| {
        c.fetch.max_redirects = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_CRAWL_CONCURRENCY", |c, v| {
        c.crawl.concurrency = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_CRAWL_MAX_CONCURRENCY", |c, v| {
        c.crawl.max_concurrency = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_CRAWL_HOST_CONCURRENCY", |c, v| {
        c.crawl.host_concurrency = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_CRAWL_DELAY_MS", |c, v| {
        c.crawl.delay_ms = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_CRAWL_ALLOW_IGNORE_ROBOTS", |c, v| {
        c.crawl.allow_ignore_robots = parse_bool(v)?;
        Ok(())
    }),
    ("TRAWL_CRAWL_MAX_RETRIES", |c, v| {
        c.crawl.max_retries = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_JOBS_IN_PROCESS", |c, v| {
        c.jobs.in_process = parse_bool(v)?;
        Ok(())
    }),
    ("TRAWL_JOBS_CONCURRENCY", |c, v| {
        c.jobs.concurrency = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_JOBS_KINDS", |c, v| {
        c.jobs.kinds = parse_list(v, |s| Ok(s.to_string()))?;
        Ok(())
    }),
    ("TRAWL_JOBS_KIND_CONCURRENCY", |c, v| {
        c.jobs.kind_concurrency = parse_list(v, |s| {
            let (kind, n) = s
                .split_once('=')
                .ok_or_else(|| format!("expected kind=number, got {s:?}"))?;
            Ok((kind.trim().to_string(), parse_num(n)?))
        })?
        .into_iter()
        .collect();
        Ok(())
    }),
    ("TRAWL_JOBS_TEAM_CONCURRENCY", |c, v| {
        c.jobs.team_concurrency = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_JOBS_LEASE_SECS", |c, v| {
        c.jobs.lease_secs = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_JOBS_POLL_MS", |c, v| {
        c.jobs.poll_ms = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_JOBS_HEARTBEAT_MS", |c, v| {
        c.jobs.heartbeat_ms = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_JOBS_MAX_RESCUES", |c, v| {
        c.jobs.max_rescues = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_JOBS_BATCH_SIZE", |c, v| {
        c.jobs.batch_size = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_JOBS_MAX_ATTEMPTS", |c, v| {
        c.jobs.max_attempts = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_JOBS_BACKOFF_BASE_MS", |c, v| {
        c.jobs.backoff_base_ms = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_JOBS_BACKOFF_MAX_MS", |c, v| {
        c.jobs.backoff_max_ms = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_JOBS_TIMEOUT_SECS", |c, v| {
        c.jobs.timeout_secs = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_JOBS_SHUTDOWN_GRACE_SECS", |c, v| {
        c.jobs.shutdown_grace_secs = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_JOBS_RETENTION_SECS", |c, v| {
        c.jobs.retention_secs = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_JOBS_RETENTION_CRAWL_SECS", |c, v| {
        c.jobs.retention_crawl_secs = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_JOBS_RETENTION_FAILED_SECS", |c, v| {
        c.jobs.retention_failed_secs = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_JOBS_SWEEP_INTERVAL_SECS", |c, v| {
        c.jobs.sweep_interval_secs = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_DOCUMENTS_RETENTION", |c, v| {
        c.jobs.documents_retention_secs = parse_retention(v)?;
        Ok(())
    }),
    ("TRAWL_JOBS_TEST_KINDS", |c, v| {
        c.jobs.test_kinds = parse_bool(v)?;
        Ok(())
    }),
    ("TRAWL_AUTH_REGISTRATION", |c, v| {
        c.auth.registration = Some(v.parse()?);
        Ok(())
    }),
    ("TRAWL_AUTH_SESSION_IDLE_SECS", |c, v| {
        c.auth.session_idle_secs = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_AUTH_SESSION_ABSOLUTE_SECS", |c, v| {
        c.auth.session_absolute_secs = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_AUTH_ALLOW_QUERY_API_KEY", |c, v| {
        c.auth.allow_query_api_key = parse_bool(v)?;
        Ok(())
    }),
    ("TRAWL_AUTH_COOKIE_SECURE", |c, v| {
        c.auth.cookie_secure = Some(parse_bool(v)?);
        Ok(())
    }),
    ("TRAWL_SCHEDULE_SCRAPE_URL", |c, v| {
        c.schedule.scrape_url = Some(parse_public_url(v)?);
        Ok(())
    }),
    ("TRAWL_SCHEDULE_CRON", |c, v| {
        c.schedule.cron = v.trim().to_string();
        Ok(())
    }),
    ("TRAWL_SCHEDULE_TIMEZONE", |c, v| {
        c.schedule.timezone = v.trim().to_string();
        Ok(())
    }),
    ("TRAWL_WEBHOOK_TIMEOUT_MS", |c, v| {
        c.webhook.timeout_ms = parse_num(v)?;
        Ok(())
    }),
    ("TRAWL_WEBHOOK_MAX_ATTEMPTS", |c, v| {
        c.webhook.max_attempts = parse_num(v)?;
        Ok(())
    }),
];

/// Variables that carry the `TRAWL_` prefix but are read elsewhere (the config path
/// itself, and the test suite's database URLs), so they are not "unknown".
const ENV_NOT_CONFIG: &[&str] = &["TRAWL_CONFIG"];
const ENV_NOT_CONFIG_PREFIXES: &[&str] = &["TRAWL_TEST_"];

/// An unknown `TRAWL_*` name, with the setting it most likely meant.
fn unknown_variable(key: String) -> ConfigError {
    let known = ENV_VARS
        .iter()
        .map(|(name, _)| *name)
        .chain(ENV_NOT_CONFIG.iter().copied());
    let hint = match key.as_str() {
        "TRAWL_PORT" | "TRAWL_HOST" | "TRAWL_ADDR" | "TRAWL_LISTEN" => {
            "; the listen address is TRAWL_BIND=host:port".to_string()
        }
        _ => environ::nearest(&key, known)
            .map(|name| format!("; did you mean {name}?"))
            .unwrap_or_default(),
    };
    ConfigError::new(
        key,
        format!("unknown variable{hint} (see .env.example for the supported ones)"),
    )
}

impl Config {
    /// Loads the configuration from an optional file, the given environment and the
    /// command-line overrides, then validates it.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        overrides: &Overrides,
    ) -> Result<Config, ConfigError> {
        let mut config = match file {
            Some(path) => Self::from_file(path)?,
            None => Config::default(),
        };
        config.apply_env(env)?;
        config.apply_overrides(overrides);
        config.validate()?;
        Ok(config)
    }

    fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let key = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::new(&key, format!("cannot read the file: {e}")))?;
        toml::from_str(&text).map_err(|e| {
            // toml's message already names the offending key and its line.
            ConfigError::new(
                key,
                e.message().trim().to_string() + &span_hint(&text, e.span()),
            )
        })
    }

    fn apply_env(
        &mut self,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(), ConfigError> {
        let mut rust_log = None;
        let mut vars: Vec<(String, String)> = env
            .into_iter()
            .filter(|(k, v)| {
                if k == "RUST_LOG" {
                    rust_log = Some(v.clone());
                }
                k.starts_with("TRAWL_")
            })
            .collect();
        // The usual Rust variable, for operators who set it out of habit; Trawl's own wins.
        if let Some(level) = rust_log.filter(|_| !vars.iter().any(|(k, _)| k == "TRAWL_LOG")) {
            self.log.level = level;
        }
        // Apply in a fixed order so errors are deterministic. By name only, and stable:
        // when a name is given twice the later value wins, whatever the values are
        // (sorting the pairs let the larger value win, so a caller's override of a
        // generated secret held only when it happened to sort last).
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, value) in vars {
            if ENV_NOT_CONFIG.contains(&key.as_str())
                || ENV_NOT_CONFIG_PREFIXES.iter().any(|p| key.starts_with(p))
            {
                continue;
            }
            let Some((_, set)) = ENV_VARS.iter().find(|(name, _)| *name == key) else {
                // A Service named `trawl` makes Kubernetes inject `TRAWL_PORT=tcp://…`
                // and friends into every pod; refusing them would crash-loop the pod.
                if environ::is_service_link(&key, &value) {
                    self.ignored_env.push(key);
                    continue;
                }
                return Err(unknown_variable(key));
            };
            set(self, &value).map_err(|rule| ConfigError::new(&key, rule))?;
        }
        Ok(())
    }

    fn apply_overrides(&mut self, o: &Overrides) {
        if let Some(bind) = o.bind {
            self.server.bind = bind;
        }
        if let Some(url) = &o.database_url {
            self.database.url = Some(Secret::new(url));
        }
        if let Some(dir) = &o.data_dir {
            self.data_dir = dir.clone();
        }
    }

    /// Rules that span fields or depend on the profile.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.database.pool_size == 0 || self.database.pool_size > 1000 {
            return Err(ConfigError::new(
                "database.pool_size",
                "must be between 1 and 1000",
            ));
        }
        if self.server.shutdown_grace_secs > 3600 {
            return Err(ConfigError::new(
                "server.shutdown_grace_secs",
                "must be at most 3600",
            ));
        }
        if self.server.request_timeout_secs == 0 {
            return Err(ConfigError::new(
                "server.request_timeout_secs",
                "must be at least 1",
            ));
        }
        if let Some(url) = &self.database.url {
            DatabaseKind::of(url.expose())?;
        }
        if let Some(url) = &self.redis.url {
            let s = url.expose();
            if !(s.starts_with("redis://") || s.starts_with("rediss://")) {
                return Err(ConfigError::new(
                    "redis.url",
                    "must start with redis:// or rediss://",
                ));
            }
        }
        let tls_redis = self
            .redis
            .url
            .as_ref()
            .is_some_and(|u| u.expose().starts_with("rediss://"));
        if self.redis.ca_file.is_some() && !tls_redis {
            return Err(ConfigError::new(
                "redis.ca_file",
                "applies to a rediss:// TRAWL_REDIS_URL only",
            ));
        }
        if let Some(url) = &self.server.public_url {
            parse_public_url(url.as_str()).map_err(|r| ConfigError::new("server.public_url", r))?;
        }
        if !(100..=120_000).contains(&self.webhook.timeout_ms) {
            return Err(ConfigError::new(
                "webhook.timeout_ms",
                "must be between 100 and 120000",
            ));
        }
        if !(1..=50).contains(&self.webhook.max_attempts) {
            return Err(ConfigError::new(
                "webhook.max_attempts",
                "must be between 1 and 50",
            ));
        }
        if self.fetch.max_redirects > 20 {
            return Err(ConfigError::new(
                "fetch.max_redirects",
                "must be at most 20",
            ));
        }
        if self.fetch.timeout_ms == 0 || self.fetch.max_body_bytes == 0 {
            return Err(ConfigError::new(
                "fetch",
                "timeout_ms and max_body_bytes must be positive",
            ));
        }
        let c = &self.crawl;
        for (key, value) in [
            ("crawl.concurrency", c.concurrency),
            ("crawl.max_concurrency", c.max_concurrency),
            ("crawl.host_concurrency", c.host_concurrency),
        ] {
            if value == 0 || value > 10_000 {
                return Err(ConfigError::new(key, "must be between 1 and 10000"));
            }
        }
        if c.concurrency > c.max_concurrency {
            return Err(ConfigError::new(
                "crawl.concurrency",
                "must not exceed crawl.max_concurrency",
            ));
        }
        self.validate_jobs()?;
        self.validate_edge()?;
        let a = &self.auth;
        if a.session_idle_secs == 0 || a.session_idle_secs > a.session_absolute_secs {
            return Err(ConfigError::new(
                "auth.session_idle_secs",
                "must be at least 1 and at most auth.session_absolute_secs",
            ));
        }
        if a.session_absolute_secs > 30 * 24 * 3600 {
            return Err(ConfigError::new(
                "auth.session_absolute_secs",
                "must be at most 30 days",
            ));
        }
        if self.env.is_strict() {
            if let Some(secret) = &self.secret {
                crate::secret::check_strength(secret.expose())
                    .map_err(|rule| ConfigError::new("TRAWL_SECRET", rule))?;
            }
        }
        tracing_subscriber::EnvFilter::try_new(&self.log.level)
            .map_err(|e| ConfigError::new("log.level", format!("not a valid filter: {e}")))?;
        Ok(())
    }

    fn validate_edge(&self) -> Result<(), ConfigError> {
        if let Some(token) = &self.server.metrics_token {
            let t = token.expose();
            if t.len() < METRICS_TOKEN_MIN_LEN
                || t.chars().any(|c| c.is_whitespace() || c.is_control())
            {
                return Err(ConfigError::new(
                    "server.metrics_token",
                    format!(
                        "must be at least {METRICS_TOKEN_MIN_LEN} characters without spaces \
                         (`trawl gen-secret` prints one)"
                    ),
                ));
            }
        }
        for entry in &self.fetch.allow {
            crate::fetch::guard::AllowEntry::parse(entry)
                .map_err(|rule| ConfigError::new("fetch.allow", rule))?;
        }
        for origin in &self.server.cors_origins {
            check_origin(origin).map_err(|r| ConfigError::new("server.cors_origins", r))?;
        }
        match (&self.tls.cert, &self.tls.key) {
            (Some(_), None) | (None, Some(_)) => {
                return Err(ConfigError::new(
                    "tls",
                    "TRAWL_TLS_CERT and TRAWL_TLS_KEY must be set together",
                ))
            }
            _ => {}
        }
        if self.tls.redirect_bind.is_some() && !self.tls.enabled() {
            return Err(ConfigError::new(
                "tls.redirect_bind",
                "needs TRAWL_TLS_CERT and TRAWL_TLS_KEY",
            ));
        }
        let l = &self.limits;
        for (key, value, least) in [
            ("limits.body_bytes", l.body_bytes, 1024),
            ("limits.batch_body_bytes", l.batch_body_bytes, 1024),
            ("limits.url_length", l.url_length, 256),
            ("limits.header_bytes", l.header_bytes, 1024),
            ("limits.header_count", l.header_count, 16),
            ("limits.json_depth", l.json_depth, 4),
            ("limits.body_timeout_secs", l.body_timeout_secs as usize, 1),
            (
                "limits.header_timeout_secs",
                l.header_timeout_secs as usize,
                1,
            ),
        ] {
            if value < least {
                return Err(ConfigError::new(key, format!("must be at least {least}")));
            }
        }
        if l.batch_body_bytes < l.body_bytes {
            return Err(ConfigError::new(
                "limits.batch_body_bytes",
                "must be at least limits.body_bytes",
            ));
        }
        if self.rate_limit.redis_prefix.is_empty() {
            return Err(ConfigError::new(
                "rate_limit.redis_prefix",
                "must not be empty",
            ));
        }
        Ok(())
    }

    fn validate_jobs(&self) -> Result<(), ConfigError> {
        let j = &self.jobs;
        let positive = [
            ("jobs.concurrency", u64::from(j.concurrency)),
            ("jobs.lease_secs", j.lease_secs),
            ("jobs.poll_ms", j.poll_ms),
            ("jobs.heartbeat_ms", j.heartbeat_ms),
            ("jobs.batch_size", u64::from(j.batch_size)),
            ("jobs.max_attempts", u64::from(j.max_attempts)),
            ("jobs.timeout_secs", j.timeout_secs),
        ];
        for (key, value) in positive {
            if value == 0 {
                return Err(ConfigError::new(key, "must be at least 1"));
            }
        }
        if j.concurrency > 10_000 || j.batch_size > 10_000 {
            return Err(ConfigError::new(
                "jobs",
                "concurrency and batch_size must be at most 10000",
            ));
        }
        if j.backoff_base_ms > j.backoff_max_ms {
            return Err(ConfigError::new(
                "jobs.backoff_base_ms",
                "must not exceed jobs.backoff_max_ms",
            ));
        }
        crate::jobs::schedule::parse_cron(&self.schedule.cron)
            .map_err(|rule| ConfigError::new("schedule.cron", rule))?;
        crate::jobs::schedule::parse_timezone(&self.schedule.timezone)
            .map_err(|rule| ConfigError::new("schedule.timezone", rule))?;
        Ok(())
    }

    /// The database URL in effect: the configured one, else a SQLite file in the data
    /// directory.
    pub fn database_url(&self) -> String {
        match &self.database.url {
            Some(url) => url.expose().to_string(),
            None => format!("sqlite://{}", self.data_dir.join("trawl.db").display()),
        }
    }

    /// Whether `/metrics` is served on the main listener: as set, else only in development.
    pub fn metrics_on_main(&self) -> bool {
        self.server.metrics_on_main.unwrap_or(!self.env.is_strict())
    }

    /// Base URL for links in API responses: `TRAWL_PUBLIC_URL`, else the bound address.
    pub fn public_base(&self, bound: SocketAddr) -> String {
        match &self.server.public_url {
            Some(url) => url.as_str().trim_end_matches('/').to_string(),
            None => format!("http://{bound}"),
        }
    }

    /// The effective configuration as TOML with every secret redacted.
    pub fn redacted_toml(&self) -> String {
        let mut shown = self.clone();
        shown.database.url = Some(Secret::new(redact_url(&self.database_url())));
        shown.redis.url = self
            .redis
            .url
            .as_ref()
            .map(|u| Secret::new(redact_url(u.expose())));
        // The instance secret is never shown, only whether it is set.
        shown.secret = self.secret.as_ref().map(|_| Secret::new("<redacted>"));
        shown.server.metrics_token = self
            .server
            .metrics_token
            .as_ref()
            .map(|_| Secret::new("<redacted>"));
        let value = toml::Value::try_from(ShowSecrets(&shown)).expect("config serialises");
        toml::to_string_pretty(&value).expect("config serialises")
    }
}

/// Serialises a config whose secrets were already redacted, exposing the (redacted) text.
struct ShowSecrets<'a>(&'a Config);

impl Serialize for ShowSecrets<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        crate::secret::with_exposed(|| self.0.serialize(s))
    }
}

/// Shortest `TRAWL_METRICS_TOKEN` accepted: a scraper of `/metrics` keeps it in a file,
/// so there is no reason for a guessable one.
const METRICS_TOKEN_MIN_LEN: usize = 16;

/// Which backend a database URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

impl DatabaseKind {
    pub fn of(url: &str) -> Result<DatabaseKind, ConfigError> {
        if url.starts_with("sqlite:") {
            Ok(DatabaseKind::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DatabaseKind::Postgres)
        } else {
            Err(ConfigError::new(
                "database.url",
                "must start with sqlite:// or postgres://",
            ))
        }
    }
}

impl fmt::Display for DatabaseKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DatabaseKind::Sqlite => "sqlite",
            DatabaseKind::Postgres => "postgres",
        })
    }
}

/// Hides the password (and any query string) of a connection URL.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.has_host() => {
            if u.password().is_some() {
                let _ = u.set_password(Some("****"));
            }
            u.set_query(None);
            u.to_string()
        }
        // sqlite:// paths and unparseable values: keep only the scheme and path.
        _ => raw.split('?').next().unwrap_or_default().to_string(),
    }
}

fn span_hint(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    match span {
        Some(r) => {
            let line = text[..r.start.min(text.len())].matches('\n').count() + 1;
            format!(" (line {line})")
        }
        None => String::new(),
    }
}

fn nonempty_path(v: &str) -> Result<PathBuf, String> {
    if v.trim().is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(PathBuf::from(v))
    }
}

fn parse_bind(v: &str) -> Result<SocketAddr, String> {
    v.trim()
        .parse()
        .map_err(|_| format!("expected host:port such as 127.0.0.1:3002, got {v:?}"))
}

fn parse_public_url(v: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(v.trim()).map_err(|_| format!("not a URL: {v:?}"))?;
    if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
        return Err("must be an absolute http:// or https:// URL".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not have a query or fragment".into());
    }
    Ok(url)
}

fn set_tier(c: &mut Config, tier: &str, v: &str) -> Result<(), String> {
    let tier = tier.parse()?;
    *c.rate_limit.tiers.get_mut(tier) = v.parse()?;
    Ok(())
}

/// `team-uuid:tier=policy;team-uuid:tier=policy` (policies may hold commas).
fn parse_team_overrides(
    v: &str,
) -> Result<
    std::collections::BTreeMap<
        uuid::Uuid,
        std::collections::BTreeMap<crate::edge::rate_limit::Tier, Policy>,
    >,
    String,
> {
    let mut out: std::collections::BTreeMap<_, std::collections::BTreeMap<_, _>> =
        Default::default();
    for item in v.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let (team, rest) = item
            .split_once(':')
            .ok_or_else(|| format!("expected team-uuid:tier=policy, got {item:?}"))?;
        let team = uuid::Uuid::parse_str(team.trim())
            .map_err(|_| format!("not a team id (UUID): {team:?}"))?;
        let (tier, policy) = rest
            .split_once('=')
            .ok_or_else(|| format!("expected team-uuid:tier=policy, got {item:?}"))?;
        out.entry(team)
            .or_default()
            .insert(tier.parse()?, policy.parse()?);
    }
    Ok(out)
}

fn parse_bool(v: &str) -> Result<bool, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err("must be true or false".into()),
    }
}

/// A retention: `keep` (or `0`) keeps forever, else a whole number with a unit, `s`,
/// `m`, `h`, `d` or `w` (`30d`). In seconds, 0 for `keep`.
pub fn parse_retention(v: &str) -> Result<u64, String> {
    let v = v.trim().to_ascii_lowercase();
    if v == "keep" || v == "0" {
        return Ok(0);
    }
    let rule = || format!("must be `keep` or a duration such as 30d, 12h, 90m (got {v:?})");
    let unit = match v.chars().last() {
        Some('s') => 1,
        Some('m') => 60,
        Some('h') => 3600,
        Some('d') => 86_400,
        Some('w') => 7 * 86_400,
        _ => return Err(rule()),
    };
    let n: u64 = v[..v.len() - 1].parse().map_err(|_| rule())?;
    match n.checked_mul(unit) {
        Some(secs) if secs > 0 && secs <= 100 * 365 * 86_400 => Ok(secs),
        _ => Err(rule()),
    }
}

fn parse_num<T: FromStr>(v: &str) -> Result<T, String> {
    v.trim()
        .parse()
        .map_err(|_| format!("must be a whole number, got {v:?}"))
}

/// A CORS origin: `scheme://host[:port]`, nothing more; never `*` (credentials are
/// allowed, and browsers refuse `*` with them anyway).
fn check_origin(v: &str) -> Result<(), String> {
    if v.contains('*') {
        return Err("wildcards are not allowed; list each origin".into());
    }
    let url = url::Url::parse(v).map_err(|_| format!("not an origin: {v:?}"))?;
    if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
        return Err(format!("must be an http(s) origin, got {v:?}"));
    }
    if url.origin().ascii_serialization() != v.trim_end_matches('/') {
        return Err(format!(
            "must be scheme://host[:port] with no path, got {v:?}"
        ));
    }
    Ok(())
}

fn parse_cidr(v: &str) -> Result<IpNet, String> {
    v.parse::<IpNet>()
        .or_else(|_| v.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("not a CIDR or IP address: {v:?}"))
}

fn parse_list<T>(v: &str, item: fn(&str) -> Result<T, String>) -> Result<Vec<T>, String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(item)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_listen_on_loopback_port_3002_in_development() {
        let c = Config::load(None, env(&[]), &Overrides::default()).unwrap();
        assert_eq!(c.env, Profile::Development);
        assert_eq!(c.server.bind.to_string(), "127.0.0.1:3002");
        assert!(c.database_url().starts_with("sqlite://"));
        assert!(c.fetch.allow.is_empty(), "nothing is allowed by default");
    }

    #[test]
    fn a_variable_given_twice_takes_its_later_value_whatever_the_values_sort_as() {
        // Both orders of a small and a large value: the later one wins each time.
        for (first, second) in [("3", "9"), ("9", "3")] {
            let c = Config::load(
                None,
                env(&[
                    ("TRAWL_DATABASE_POOL_SIZE", first),
                    ("TRAWL_BIND", "127.0.0.1:0"),
                    ("TRAWL_DATABASE_POOL_SIZE", second),
                ]),
                &Overrides::default(),
            )
            .unwrap();
            assert_eq!(c.database.pool_size.to_string(), second);
        }
    }

    #[test]
    fn environment_overrides_file_and_flags_override_environment() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("trawl.toml");
        std::fs::write(
            &file,
            "[server]\nbind = \"127.0.0.1:4000\"\n[database]\npool_size = 3\n",
        )
        .unwrap();
        let c = Config::load(
            Some(&file),
            env(&[("TRAWL_DATABASE_POOL_SIZE", "7")]),
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(c.server.bind.port(), 4000);
        assert_eq!(c.database.pool_size, 7);
        let c = Config::load(
            Some(&file),
            env(&[("TRAWL_BIND", "127.0.0.1:5000")]),
            &Overrides {
                bind: Some("127.0.0.1:6000".parse().unwrap()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(c.server.bind.port(), 6000);
    }

    #[test]
    fn unknown_file_key_is_an_error_naming_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("trawl.toml");
        std::fs::write(&file, "[server]\nbnd = \"127.0.0.1:4000\"\n").unwrap();
        let err = Config::load(Some(&file), env(&[]), &Overrides::default()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("bnd"), "{msg}");
        assert!(msg.contains("line 2"), "{msg}");
    }

    #[test]
    fn unknown_trawl_variable_is_an_error_naming_it() {
        let err =
            Config::load(None, env(&[("TRAWL_BINDD", "x")]), &Overrides::default()).unwrap_err();
        assert_eq!(err.key, "TRAWL_BINDD");
        assert!(
            err.rule.contains("did you mean TRAWL_BIND?"),
            "{}",
            err.rule
        );
    }

    #[test]
    fn kubernetes_service_links_are_passed_over_and_listed() {
        let c = Config::load(
            None,
            env(&[
                ("TRAWL_PORT", "tcp://10.0.0.1:3002"),
                ("TRAWL_SERVICE_HOST", "10.0.0.1"),
                ("TRAWL_BIND", "0.0.0.0:3002"),
            ]),
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(c.ignored_env, ["TRAWL_PORT", "TRAWL_SERVICE_HOST"]);
        assert_eq!(c.server.bind.port(), 3002);
        let err =
            Config::load(None, env(&[("TRAWL_PORT", "8080")]), &Overrides::default()).unwrap_err();
        assert!(err.rule.contains("TRAWL_BIND"), "{}", err.rule);
    }

    #[test]
    fn rust_log_sets_the_filter_unless_trawl_log_does() {
        let load = |pairs: &[(&str, &str)]| {
            Config::load(None, env(pairs), &Overrides::default())
                .unwrap()
                .log
                .level
        };
        assert_eq!(load(&[("RUST_LOG", "debug")]), "debug");
        assert_eq!(
            load(&[("RUST_LOG", "debug"), ("TRAWL_LOG", "warn")]),
            "warn"
        );
        assert_eq!(load(&[]), "info");
    }

    #[test]
    fn test_suite_variables_are_not_config() {
        Config::load(
            None,
            env(&[
                ("TRAWL_TEST_POSTGRES_URL", "postgres://x"),
                ("TRAWL_CONFIG", "a"),
            ]),
            &Overrides::default(),
        )
        .unwrap();
    }

    #[test]
    fn invalid_values_name_the_variable_and_rule() {
        let cases = [
            ("TRAWL_BIND", "nonsense", "host:port"),
            ("TRAWL_ENV", "prodd", "one of"),
            ("TRAWL_DATABASE_POOL_SIZE", "-1", "whole number"),
            ("TRAWL_DATABASE_URL", "mysql://x", "sqlite://"),
            ("TRAWL_PUBLIC_URL", "ftp://x", "http"),
            ("TRAWL_TRUSTED_PROXIES", "10.0.0.0/8,bogus", "CIDR"),
            ("TRAWL_METRICS_ON_MAIN", "maybe", "true or false"),
            ("TRAWL_REDIS_URL", "http://x", "redis://"),
            ("TRAWL_RATE_LIMIT_SCRAPE", "10/week", "unit"),
            ("TRAWL_RATE_LIMIT_TEAMS", "nope:scrape=1/min", "UUID"),
            ("TRAWL_CORS_ORIGINS", "*", "wildcard"),
            ("TRAWL_LIMITS_JSON_DEPTH", "1", "at least"),
        ];
        for (key, value, rule) in cases {
            let err = Config::load(None, env(&[(key, value)]), &Overrides::default()).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains(rule), "{key}={value}: {msg}");
            assert!(
                msg.contains(key)
                    || msg.contains("database.url")
                    || msg.contains("redis.url")
                    || msg.contains("cors_origins")
                    || msg.contains("json_depth"),
                "{key}: {msg}"
            );
        }
    }

    #[test]
    fn redacted_config_hides_passwords_and_secret() {
        let c = Config::load(
            None,
            env(&[
                (
                    "TRAWL_DATABASE_URL",
                    "postgres://trawl:hunter2@db/trawl?sslmode=require",
                ),
                (
                    "TRAWL_SECRET",
                    "s3cr3t-value-that-is-long-enough-0123456789",
                ),
                ("TRAWL_REDIS_URL", "redis://:pw123@cache:6379/0"),
            ]),
            &Overrides::default(),
        )
        .unwrap();
        let shown = c.redacted_toml();
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("pw123"), "{shown}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("postgres://trawl:****@db/trawl"), "{shown}");
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn env_example_documents_every_variable() {
        let example = include_str!("../../../.env.example");
        for (name, _) in ENV_VARS {
            assert!(example.contains(name), ".env.example lacks {name}");
        }
    }
}
