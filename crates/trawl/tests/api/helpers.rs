//! `spawn_app()` and friends.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use tempfile::TempDir;
use tokio::sync::oneshot;
use trawl::app::Application;
use trawl::config::{Config, Overrides};
use trawl::store::{self, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh database: a SQLite file in a temporary folder, or a new PostgreSQL database
/// that is dropped when this value is.
pub struct TestDb {
    pub url: String,
    pub dir: TempDir,
    pg_admin: Option<(String, String)>,
}

impl TestDb {
    /// `None` (with the reason printed) when the backend is not available here.
    pub async fn new(backend: Backend) -> Option<TestDb> {
        let dir = tempfile::tempdir().expect("temp dir");
        match backend {
            Backend::Sqlite => Some(TestDb {
                url: format!("sqlite://{}", dir.path().join("trawl.db").display()),
                dir,
                pg_admin: None,
            }),
            Backend::Postgres => {
                let admin = postgres_admin_url()?;
                let name = format!("trawl_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
                    .await
                    .expect("connect to TRAWL_TEST_POSTGRES_URL");
                sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
                    .await
                    .expect("create test database");
                let mut url = url::Url::parse(&admin).expect("postgres URL");
                url.set_path(&name);
                Some(TestDb {
                    url: url.to_string(),
                    dir,
                    pg_admin: Some((admin, name)),
                })
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg_admin.take() {
            // Drop runs outside any async context we could borrow: use a small runtime
            // on its own thread.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    if let Ok(mut conn) =
                        <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await
                    {
                        let _ = sqlx::Executor::execute(
                            &mut conn,
                            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str(),
                        )
                        .await;
                    }
                });
            })
            .join();
        }
    }
}

/// The PostgreSQL server for tests. In CI it must be set; elsewhere its absence skips
/// the PostgreSQL half with a printed reason.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("TRAWL_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
                panic!("CI must set TRAWL_TEST_POSTGRES_URL: the PostgreSQL half may not be skipped there");
            }
            eprintln!("SKIPPED (PostgreSQL): TRAWL_TEST_POSTGRES_URL is not set");
            None
        }
    }
}

/// A configuration for tests: development profile, port 0, the given database.
pub fn test_config(db: &TestDb, env: &[(&str, &str)]) -> Config {
    let mut vars: Vec<(String, String)> = vec![
        ("TRAWL_BIND".into(), "127.0.0.1:0".into()),
        ("TRAWL_DATABASE_URL".into(), db.url.clone()),
        ("TRAWL_DATA_DIR".into(), db.dir.path().display().to_string()),
        ("TRAWL_SECRET".into(), trawl::secret::generate()),
        ("TRAWL_DATABASE_POOL_SIZE".into(), "5".into()),
    ];
    // The suite sends many requests from one address: rate limits are off unless a
    // test turns them on (and sets the tiers it checks).
    if !env.iter().any(|(k, _)| *k == "TRAWL_RATE_LIMIT_ENABLED") {
        vars.push(("TRAWL_RATE_LIMIT_ENABLED".into(), "false".into()));
    }
    // A test's own value replaces the default rather than following it.
    vars.retain(|(k, _)| !env.iter().any(|(e, _)| e == k));
    vars.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Config::load(None, vars, &Overrides::default()).expect("test config is valid")
}

pub struct TestApp {
    pub base: String,
    /// Base URL of the separate metrics listener, when one is configured.
    pub metrics_base: Option<String>,
    /// Base URL of the plain-HTTP redirect listener, when TLS and one are configured.
    pub redirect_base: Option<String>,
    pub client: reqwest::Client,
    pub store: Arc<dyn Store>,
    pub db: TestDb,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// Stops the server the way a signal would and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server run");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Spawns the app on a random port against a fresh, migrated database.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, &[]).await
}

pub async fn spawn_app_with(backend: Backend, env: &[(&str, &str)]) -> Option<TestApp> {
    let db = TestDb::new(backend).await?;
    let config = test_config(&db, env);
    let store = store::connect(&config).await.expect("open store");
    store.migrate_up().await.expect("migrate");
    Some(start(db, config, store).await)
}

/// Serves `config` with an already-opened store.
pub async fn start(db: TestDb, config: Config, store: Arc<dyn Store>) -> TestApp {
    let app = Application::build(config, store.clone())
        .await
        .expect("build app");
    let base = format!("http://{}", app.local_addr());
    let metrics_base = app.metrics_addr().map(|a| format!("http://{a}"));
    let redirect_base = app.redirect_addr().map(|a| format!("http://{a}"));
    let (tx, rx) = oneshot::channel();
    let task = tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    TestApp {
        base,
        metrics_base,
        redirect_base,
        client: reqwest::Client::new(),
        store,
        db,
        shutdown: Some(tx),
        task: Some(task),
    }
}

/// Runs the same test body against SQLite and PostgreSQL: each name becomes a module
/// with a `sqlite` and a `postgres` test.
#[macro_export]
macro_rules! both_backends {
    ($(async fn $name:ident($backend:ident: Backend) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                async fn run($backend: $crate::helpers::Backend) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    run($crate::helpers::Backend::Sqlite).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if $crate::helpers::postgres_admin_url().is_none() {
                        return;
                    }
                    run($crate::helpers::Backend::Postgres).await
                }
            }
        )*
    };
}

/// Creates an instance admin through the library (as `trawl users create-admin` does)
/// and returns a JWT access token for them.
pub async fn admin_token(app: &TestApp) -> String {
    let email = format!("admin-{}@example.com", uuid::Uuid::now_v7().simple());
    let user = trawl::auth::create_user(
        app.store.as_ref(),
        &email,
        ADMIN_PASSWORD.into(),
        Some((trawl::store::jobs::DEFAULT_TEAM, trawl::auth::Role::Admin)),
        false,
        None,
    )
    .await
    .expect("create admin");
    app.store
        .set_instance_admin(user.id, true)
        .await
        .expect("promote admin");
    let r = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .json(&serde_json::json!({ "email": email, "password": ADMIN_PASSWORD }))
        .send()
        .await
        .expect("token request");
    assert_eq!(r.status(), 200, "admin login");
    let body: serde_json::Value = r.json().await.expect("token body");
    body["access_token"]
        .as_str()
        .expect("access token")
        .to_string()
}

pub const ADMIN_PASSWORD: &str = "a long admin passphrase";

/// `program` in `dir` with a clean environment (only PATH: no TRAWL_* variable leaks in
/// from the caller) and no standard input.
pub fn isolated(program: impl AsRef<OsStr>, dir: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(dir)
        .stdin(Stdio::null());
    cmd
}

/// The trawl binary, isolated in `dir`.
pub fn trawl_bin(dir: &Path) -> Command {
    isolated(env!("CARGO_BIN_EXE_trawl"), dir)
}

/// A finished process as (exit code, stdout, stderr); -1 when a signal ended it.
pub fn exit_and_output(out: Output) -> (i32, String, String) {
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
