//! The command line: `trawl serve | worker | migrate | config check | gen-secret | scrape |
//! crawl`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};

use crate::app::{shutdown_signal, Application};
use crate::config::{Config, ConfigError, Overrides};
use crate::jobs;
use crate::secret;
use crate::store::{self, Store};
use crate::telemetry;

#[derive(Debug, Parser)]
#[command(
    name = "trawl",
    version,
    about = "Self-hosted web scraping and analysis service"
)]
pub struct Cli {
    /// Configuration file (TOML).
    #[arg(long, global = true, env = "TRAWL_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory (overrides TRAWL_DATA_DIR).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Database URL (overrides TRAWL_DATABASE_URL).
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP service.
    Serve {
        /// Address to listen on (overrides TRAWL_BIND).
        #[arg(long)]
        bind: Option<std::net::SocketAddr>,
        /// Apply pending migrations at start (always done in development).
        #[arg(long)]
        migrate: bool,
        /// Serve HTTP only: no workers or scheduler in this process (run `trawl worker`).
        #[arg(long)]
        no_workers: bool,
    },
    /// Run job workers and the scheduler, without HTTP.
    Worker {
        /// Jobs this process runs at once (overrides TRAWL_JOBS_CONCURRENCY).
        #[arg(long)]
        concurrency: Option<u32>,
        /// Comma-separated kinds to claim (overrides TRAWL_JOBS_KINDS).
        #[arg(long, value_delimiter = ',')]
        kinds: Option<Vec<String>>,
    },
    /// Apply, revert or list database migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Inspect the configuration.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Print a new strong secret for TRAWL_SECRET.
    GenSecret,
    /// Scrape one page and print it (no server or database needed).
    Scrape(crate::standalone::ScrapeArgs),
    /// Crawl a site and write one JSON document per line (no server or database needed).
    Crawl(crate::standalone::CrawlArgs),
    /// Manage accounts.
    Users {
        #[command(subcommand)]
        action: crate::auth::cli::UsersAction,
    },
    /// Manage API keys (`keys create` prints the key alone on stdout).
    Keys {
        #[command(subcommand)]
        action: crate::auth::cli::KeysAction,
    },
    /// Check the audit log.
    Audit {
        #[command(subcommand)]
        action: crate::auth::cli::AuditAction,
    },
    /// The queue benchmark (bench/queue/run.sh) on a fresh database. Not for production.
    #[command(hide = true)]
    BenchQueue {
        #[arg(long, default_value_t = 100_000)]
        jobs: usize,
        #[arg(long, default_value_t = 200)]
        latency_samples: usize,
        /// Finished jobs to seed before a second throughput run (0 = skip).
        #[arg(long, default_value_t = 0)]
        bloat: u64,
    },
}

#[derive(Debug, Subcommand)]
enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Revert the latest N applied migrations (default 1).
    Down {
        #[arg(default_value_t = 1)]
        steps: usize,
    },
    /// List migrations and whether each is applied.
    Status,
}

#[derive(Debug, Subcommand)]
enum ConfigAction {
    /// Validate the configuration and print it with secrets redacted.
    Check,
}

/// Parses the command line and runs the command; every failure is one line on stderr.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    crate::init_crypto();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("trawl: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            match e.downcast_ref::<ConfigError>() {
                Some(config_error) => eprintln!("trawl: {config_error}"),
                None => eprintln!("trawl: {e:#}"),
            }
            ExitCode::from(2)
        }
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    let overrides = Overrides {
        bind: match &cli.command {
            Command::Serve { bind, .. } => *bind,
            _ => None,
        },
        database_url: cli.database_url.clone(),
        data_dir: cli.data_dir.clone(),
    };
    let load = || Config::load(cli.config.as_deref(), std::env::vars(), &overrides);
    match cli.command {
        Command::BenchQueue {
            jobs,
            latency_samples,
            bloat,
        } => {
            let config = load()?;
            let store = store::connect(&config)
                .await
                .context("cannot open the database")?;
            let args = jobs::bench::BenchArgs {
                jobs,
                latency_samples,
                bloat,
            };
            jobs::bench::run(config, store, args).await
        }
        Command::GenSecret => {
            println!("{}", secret::generate());
            Ok(())
        }
        Command::Scrape(args) => crate::standalone::scrape(&load()?, args).await,
        Command::Crawl(args) => crate::standalone::crawl(&load()?, args).await,
        Command::Users { action } => {
            let store = open_migrated(&load()?).await?;
            let result = crate::auth::cli::users(store.as_ref(), action).await;
            store.close().await;
            result
        }
        Command::Keys { action } => {
            let store = open_migrated(&load()?).await?;
            let result = crate::auth::cli::keys(store.as_ref(), action).await;
            store.close().await;
            result
        }
        Command::Audit { action } => {
            let store = open_migrated(&load()?).await?;
            let result = crate::auth::cli::audit(store.as_ref(), action).await;
            store.close().await;
            result
        }
        Command::Config {
            action: ConfigAction::Check,
        } => {
            let config = load()?;
            check_secret(&config)?;
            print!("{}", config.redacted_toml());
            eprintln!("configuration is valid");
            Ok(())
        }
        Command::Migrate { action } => {
            let config = load()?;
            let store = store::connect(&config)
                .await
                .context("cannot open the database")?;
            let result = migrate(store.as_ref(), action).await;
            store.close().await;
            result
        }
        Command::Serve {
            migrate,
            no_workers,
            ..
        } => {
            let mut config = load()?;
            resolve_secret(&mut config)?;
            if no_workers {
                config.jobs.in_process = false;
            }
            serve(config, migrate).await
        }
        Command::Worker { concurrency, kinds } => {
            let config = load()?;
            check_secret(&config)?;
            worker(config, concurrency, kinds).await
        }
    }
}

/// Opens the database for an administrative command; the schema must be current (in
/// development, pending migrations are applied as `serve` would).
async fn open_migrated(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let store = store::connect(config)
        .await
        .context("cannot open the database")?;
    prepare_schema(store.as_ref(), config.env.is_strict(), false).await?;
    Ok(store)
}

/// In strict profiles the secret must be given and strong; in development a missing one
/// is generated once and kept in the data directory.
fn resolve_secret(config: &mut Config) -> anyhow::Result<()> {
    check_secret(config)?;
    if config.secret.is_none() {
        let s = secret::load_or_create_dev_secret(&config.data_dir)
            .context("cannot keep the development secret in the data directory")?;
        config.secret = Some(s);
    }
    Ok(())
}

fn check_secret(config: &Config) -> Result<(), ConfigError> {
    if !config.env.is_strict() {
        return Ok(());
    }
    let value = config.secret.as_ref().map_or("", |s| s.expose());
    secret::check_strength(value).map_err(|rule| ConfigError::new("TRAWL_SECRET", rule))
}

async fn migrate(store: &dyn Store, action: MigrateAction) -> anyhow::Result<()> {
    match action {
        MigrateAction::Up => {
            let applied = store.migrate_up().await?;
            eprintln!("applied {} migration(s) {:?}", applied.len(), applied);
        }
        MigrateAction::Down { steps } => {
            let reverted = store.migrate_down(steps).await?;
            eprintln!("reverted {} migration(s) {:?}", reverted.len(), reverted);
        }
        MigrateAction::Status => {
            for m in store.migrations().await? {
                let state = match (m.applied, m.known) {
                    (true, true) => "applied",
                    (false, _) => "pending",
                    (true, false) => "unknown",
                };
                println!("{:>6}  {:<8} {}", m.version, state, m.description);
            }
        }
    }
    Ok(())
}

/// Brings the schema up to date as the profile allows, or explains why not.
pub async fn prepare_schema(store: &dyn Store, strict: bool, migrate: bool) -> anyhow::Result<()> {
    let list = store.migrations().await?;
    if let Some(unknown) = list.iter().find(|m| !m.known) {
        bail!(
            "the database has migration {} that this binary does not know; run a newer trawl",
            unknown.version
        );
    }
    let pending = list.iter().filter(|m| !m.applied).count();
    if pending == 0 {
        return Ok(());
    }
    if strict && !migrate {
        bail!(
            "{pending} database migration(s) are pending; run `trawl migrate up` first or start with `trawl serve --migrate`"
        );
    }
    let applied = store.migrate_up().await?;
    tracing::info!(?applied, "applied migrations");
    Ok(())
}

async fn serve(config: Config, migrate: bool) -> anyhow::Result<()> {
    let _guards = telemetry::init_logging(&config);
    let store = store::connect(&config)
        .await
        .context("cannot open the database")?;
    prepare_schema(store.as_ref(), config.env.is_strict(), migrate).await?;
    let profile = config.env;
    let backend = store.kind();
    let app = Application::build(config, Arc::clone(&store)).await?;
    let stop = shutdown_signal();
    let addr = app.local_addr();
    let scheme = if app.state().config.tls.enabled() {
        "https"
    } else {
        "http"
    };
    println!(
        "trawl {} listening on {scheme}://{addr} ({}, {backend})",
        env!("CARGO_PKG_VERSION"),
        profile.as_str()
    );
    if let Some(redirect) = app.redirect_addr() {
        println!("redirecting http://{redirect} to https");
    }
    if let Some(m) = app.metrics_addr() {
        println!("metrics on http://{m}/metrics");
    }
    tracing::info!(%addr, profile = profile.as_str(), %backend, "listening");
    app.run_until(stop).await
}

async fn worker(
    config: Config,
    concurrency: Option<u32>,
    kinds: Option<Vec<String>>,
) -> anyhow::Result<()> {
    let _guards = telemetry::init_logging(&config);
    crate::telemetry::metrics();
    let store = store::connect(&config)
        .await
        .context("cannot open the database")?;
    prepare_schema(store.as_ref(), config.env.is_strict(), false).await?;
    jobs::schedule::ensure_builtin(store.as_ref(), &config)
        .await
        .context("cannot set up the built-in schedule")?;
    let grace = std::time::Duration::from_secs(config.jobs.shutdown_grace_secs);
    let registry = crate::app::job_registry(&config)?;
    let jobs = jobs::Jobs::new(Arc::clone(&store), registry, &config);
    let options = jobs::RuntimeOptions {
        concurrency,
        kinds,
        ..Default::default()
    };
    let stop = shutdown_signal();
    let runtime = jobs::JobRuntime::start(jobs, options).await;
    let id = runtime
        .worker_id()
        .map(|i| i.to_string())
        .unwrap_or_default();
    println!(
        "trawl {} worker {id} running ({})",
        env!("CARGO_PKG_VERSION"),
        store.kind()
    );
    stop.await;
    runtime.shutdown(grace).await;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}
