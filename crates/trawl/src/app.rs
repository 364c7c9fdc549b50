//! Building and running the server. `Application::build` binds first, so tests can ask
//! for port 0 and learn the real port before anything is served.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::http::{self, AppState};
use crate::jobs::{self, JobRuntime, Registry, RuntimeOptions};
use crate::scrape::Scraper;
use crate::store::Store;

/// Every job kind this binary runs: the built-ins, the scraping kinds and webhook
/// deliveries. `trawl serve` and `trawl worker` both use it: register new kinds here.
pub fn job_registry(config: &Config) -> anyhow::Result<Registry> {
    Ok(job_registry_with(config, new_scraper(config)?))
}

/// [`job_registry`] around a given scraper.
pub fn job_registry_with(config: &Config, scraper: Scraper) -> Registry {
    let mut registry = Registry::builtin(&config.jobs);
    let fetcher = scraper.fetcher().clone();
    registry.register(
        crate::scrape::job::KIND,
        Arc::new(
            crate::scrape::job::ScrapeHandler::new(scraper.clone())
                .with_webhook_attempts(config.webhook.max_attempts),
        ),
    );
    let timeout = Duration::from_millis(config.webhook.timeout_ms);
    registry.register_with(
        crate::webhook::KIND,
        // The same fetcher as pages: one SSRF guard and one allow-list for both.
        Arc::new(crate::webhook::job::WebhookHandler::new(
            fetcher,
            config.secret.clone(),
            timeout,
        )),
        jobs::KindOptions {
            max_attempts: Some(config.webhook.max_attempts as i32),
            timeout: Some(timeout + Duration::from_secs(5)),
            // One at a time per worker keeps each job's events in order; operators who
            // do not need that raise it with TRAWL_JOBS_KIND_CONCURRENCY=webhook=N.
            concurrency: Some(1),
            retention: None,
        },
    );
    registry.register(
        crate::crawl::map::KIND,
        Arc::new(crate::crawl::map::MapHandler::new(
            scraper.clone(),
            config.fetch.user_agent.clone(),
        )),
    );
    let crawler = Arc::new(crate::crawl::CrawlHandler::new(
        scraper,
        Arc::new(config.clone()),
    ));
    registry.register(crate::crawl::KIND, crawler.clone());
    registry.register(crate::crawl::BATCH_KIND, crawler);
    registry
}

/// The Redis client. `rediss://` speaks TLS (rustls, on the process's ring provider) and
/// checks the server against the system's CA store, or against `ca_file` alone when it
/// is given, as `redis-cli --cacert` does.
fn redis_client(url: &str, ca_file: Option<&std::path::Path>) -> anyhow::Result<redis::Client> {
    let Some(path) = ca_file else {
        return redis::Client::open(url).context("invalid TRAWL_REDIS_URL");
    };
    let pem = std::fs::read(path)
        .with_context(|| format!("TRAWL_REDIS_CA_FILE: cannot read {}", path.display()))?;
    let certificates = redis::TlsCertificates {
        client_tls: None,
        root_cert: Some(pem),
    };
    redis::Client::build_with_tls(url, certificates)
        .context("TRAWL_REDIS_URL with TRAWL_REDIS_CA_FILE")
}

fn new_scraper(config: &Config) -> anyhow::Result<Scraper> {
    Ok(Scraper::new(crate::fetch::Fetcher::new(&config.fetch)?))
}

pub struct Application {
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    /// Plain HTTP that only redirects to https (`TRAWL_TLS_REDIRECT_BIND`).
    redirect_listener: Option<TcpListener>,
    /// Present when the main listener terminates TLS.
    tls: Option<Arc<rustls::ServerConfig>>,
    state: AppState,
}

impl Application {
    /// Binds the listeners and assembles the state. Nothing is served until `run`.
    pub async fn build(config: Config, store: Arc<dyn Store>) -> anyhow::Result<Application> {
        crate::init_crypto();
        let scraper = new_scraper(&config)?;
        let registry = job_registry_with(&config, scraper.clone());
        Self::assemble(config, store, registry, scraper).await
    }

    /// `build` with a given set of job kinds (tests add their own handlers this way).
    pub async fn build_with(
        config: Config,
        store: Arc<dyn Store>,
        registry: Registry,
    ) -> anyhow::Result<Application> {
        crate::init_crypto();
        let scraper = new_scraper(&config)?;
        Self::assemble(config, store, registry, scraper).await
    }

    async fn assemble(
        config: Config,
        store: Arc<dyn Store>,
        registry: Registry,
        scraper: Scraper,
    ) -> anyhow::Result<Application> {
        crate::telemetry::metrics();
        let listener = TcpListener::bind(config.server.bind)
            .await
            .with_context(|| format!("cannot listen on {}", config.server.bind))?;
        let metrics_listener = match config.server.metrics_addr {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen on {addr} for metrics"))?,
            ),
            None => None,
        };
        // A bad certificate or key stops start-up here, with the variable named.
        let tls = match (&config.tls.cert, &config.tls.key) {
            (Some(cert), Some(key)) => Some(crate::edge::tls::server_config(cert, key)?),
            _ => None,
        };
        let redirect_listener = match config.tls.redirect_bind {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen on {addr} for the https redirect"))?,
            ),
            None => None,
        };
        let bound = listener.local_addr()?;
        let redis = match &config.redis.url {
            Some(url) => Some(redis_client(url.expose(), config.redis.ca_file.as_deref())?),
            None => None,
        };
        let public_base = match (&config.server.public_url, tls.is_some()) {
            (None, true) => format!("https://{bound}"),
            _ => config.public_base(bound),
        };
        if let Err(e) = jobs::schedule::ensure_builtin(store.as_ref(), &config).await {
            tracing::warn!(error = %e, "cannot set up the built-in schedule");
        }
        let jobs = jobs::Jobs::new(store.clone(), registry, &config);
        let state =
            AppState::with_parts(Arc::new(config), store, redis, public_base, jobs, scraper);
        Ok(Application {
            listener,
            metrics_listener,
            redirect_listener,
            tls,
            state,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("bound listener has an address")
    }

    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .map(|l| l.local_addr().expect("bound listener has an address"))
    }

    /// The address of the plain-HTTP redirect listener, when one is configured.
    pub fn redirect_addr(&self) -> Option<SocketAddr> {
        self.redirect_listener
            .as_ref()
            .map(|l| l.local_addr().expect("bound listener has an address"))
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then stops accepting, gives in-flight requests
    /// the configured grace period, and closes the database pool.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let token = CancellationToken::new();
        let grace = Duration::from_secs(self.state.config.server.shutdown_grace_secs);
        {
            let token = token.clone();
            tokio::spawn(async move {
                shutdown.await;
                token.cancel();
            });
        }
        let store = self.state.store.clone();
        let state = self.state.clone();

        // Workers and the scheduler stop with the server, each with its own grace period,
        // at the same time as in-flight requests finish.
        http::metrics::set_node_role(if self.state.config.jobs.in_process {
            "api+worker"
        } else {
            "api"
        });
        let jobs_task = if self.state.config.jobs.in_process {
            let runtime =
                JobRuntime::start(self.state.jobs.clone(), RuntimeOptions::default()).await;
            let jobs_grace = Duration::from_secs(self.state.config.jobs.shutdown_grace_secs);
            let token = token.clone();
            Some(tokio::spawn(async move {
                token.cancelled().await;
                runtime.shutdown(jobs_grace).await;
            }))
        } else {
            None
        };

        let metrics_task = self.metrics_listener.map(|listener| {
            let app = http::metrics::router().with_state(self.state.clone());
            let token = token.clone();
            tokio::spawn(async move {
                axum::serve(listener, app)
                    .with_graceful_shutdown(token.cancelled_owned())
                    .await
            })
        });

        let redirect_task = self.redirect_listener.map(|listener| {
            let https_port = self.listener.local_addr().map_or(443, |a| a.port());
            let base = self
                .state
                .config
                .server
                .public_url
                .as_ref()
                .filter(|u| u.scheme() == "https")
                .map(|u| u.origin().ascii_serialization());
            let app = crate::edge::tls::redirect_router(base, https_port);
            let token = token.clone();
            tokio::spawn(async move {
                axum::serve(listener, app)
                    .with_graceful_shutdown(token.cancelled_owned())
                    .await
            })
        });

        let limits = crate::edge::serve::ConnLimits::from_config(&self.state.config.limits);
        let app = http::router(self.state);
        let stop = token.clone().cancelled_owned();
        let serve: std::pin::Pin<Box<dyn Future<Output = std::io::Result<()>> + Send>> =
            match self.tls {
                Some(tls) => {
                    let listener = crate::edge::tls::TlsListener::new(self.listener, tls)?;
                    Box::pin(crate::edge::serve::serve(listener, app, limits, stop))
                }
                None => {
                    let listener = self.listener.tap_io(|tcp| {
                        // Small JSON responses should not wait for Nagle.
                        let _ = tcp.set_nodelay(true);
                    });
                    Box::pin(crate::edge::serve::serve(listener, app, limits, stop))
                }
            };
        let deadline = async {
            token.cancelled().await;
            tracing::info!(
                grace_secs = grace.as_secs(),
                "shutting down: finishing in-flight requests"
            );
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            result = serve => result.context("server failed")?,
            () = deadline => tracing::warn!("grace period over: dropping the requests still in flight"),
        }
        if let Some(task) = metrics_task {
            task.abort();
        }
        if let Some(task) = redirect_task {
            task.abort();
        }
        if let Some(task) = jobs_task {
            let _ = task.await;
        }
        // Pages of the last synchronous scrapes are written before the pool closes.
        state.documents.flush().await;
        store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Completes on SIGINT or SIGTERM. The handlers are installed when this is called, not
/// when the future is first polled, so a signal that arrives right after start-up (once
/// the "listening" line is out) is never lost to the default disposition.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let term = signal(SignalKind::terminate()).ok();
        let int = signal(SignalKind::interrupt()).ok();
        async move {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(term) => {},
                () = wait(int) => {},
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
