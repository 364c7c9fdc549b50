//! Health probes: `/health/live` (no I/O), `/health/ready` (database and schema), and
//! the deep `/health` report. None of them shows a secret or a connection string.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::json;

use super::AppState;

/// How long one dependency may take to answer before it counts as down.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);
/// Redis answers in a millisecond when it is well; the rate limiter gives it no longer.
const REDIS_TIMEOUT: Duration = Duration::from_millis(500);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .route("/health", get(deep))
}

async fn live() -> Response {
    (StatusCode::OK, Json(json!({ "status": "ok" }))).into_response()
}

async fn ready(State(state): State<AppState>) -> Response {
    let db_ok = matches!(
        tokio::time::timeout(CHECK_TIMEOUT, state.store.ping()).await,
        Ok(Ok(()))
    );
    let schema_ok = db_ok && matches!(state.migrations_current().await, Ok(true));
    // Failing closed with Redis down, every limited request gets a 503: not ready.
    let limiter_ok = state.limiter.ready().await;
    let (status, word) = if db_ok && schema_ok && limiter_ok {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not_ready")
    };
    (
        status,
        Json(json!({
            "status": word,
            "database": db_ok,
            "migrations_current": schema_ok,
            "rate_limit": limiter_ok,
        })),
    )
        .into_response()
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "snake_case")]
enum CheckStatus {
    Ok,
    Down,
    NotConfigured,
}

#[derive(Debug, Serialize)]
struct Check {
    status: CheckStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    latency_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    /// Figures particular to the check (queue ages, worker counts).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    figures: Option<serde_json::Map<String, serde_json::Value>>,
}

impl Check {
    fn not_configured() -> Self {
        Check {
            status: CheckStatus::NotConfigured,
            latency_ms: None,
            detail: None,
            figures: None,
        }
    }

    /// Times `probe`; any error or a time-out is `down` with a short, safe reason.
    async fn run<F, E>(probe: F) -> Check
    where
        F: std::future::Future<Output = Result<(), E>>,
        E: std::fmt::Display,
    {
        Check::run_within(CHECK_TIMEOUT, probe).await
    }

    async fn run_within<F, E>(limit: Duration, probe: F) -> Check
    where
        F: std::future::Future<Output = Result<(), E>>,
        E: std::fmt::Display,
    {
        let start = Instant::now();
        let outcome = tokio::time::timeout(limit, probe).await;
        let latency_ms = Some((start.elapsed().as_secs_f64() * 1000.0 * 100.0).round() / 100.0);
        match outcome {
            Ok(Ok(())) => Check {
                status: CheckStatus::Ok,
                latency_ms,
                detail: None,
                figures: None,
            },
            Ok(Err(e)) => {
                // The cause goes to the log; the response says only that it failed.
                tracing::warn!(error = %e, "health check failed");
                Check {
                    status: CheckStatus::Down,
                    latency_ms,
                    detail: Some("unreachable".into()),
                    figures: None,
                }
            }
            Err(_) => Check {
                status: CheckStatus::Down,
                latency_ms,
                detail: Some("timed out".into()),
                figures: None,
            },
        }
    }
}

async fn deep(State(state): State<AppState>) -> Response {
    let mut checks = BTreeMap::new();
    let database = Check::run(state.store.ping()).await;
    let db_up = matches!(database.status, CheckStatus::Ok);
    checks.insert("database", database);
    let schema = match state.migrations_current().await {
        Ok(true) => Check {
            status: CheckStatus::Ok,
            latency_ms: None,
            detail: None,
            figures: None,
        },
        Ok(false) => Check {
            status: CheckStatus::Down,
            latency_ms: None,
            detail: Some("migrations pending".into()),
            figures: None,
        },
        Err(_) => Check {
            status: CheckStatus::Down,
            latency_ms: None,
            detail: Some("unknown".into()),
            figures: None,
        },
    };
    let schema_ok = matches!(schema.status, CheckStatus::Ok);
    checks.insert("migrations", schema);
    let (queue, workers) = if db_up && schema_ok {
        jobs_checks(&state).await
    } else {
        (Check::not_configured(), Check::not_configured())
    };
    let workers_down = matches!(workers.status, CheckStatus::Down);
    checks.insert("queue", queue);
    checks.insert("workers", workers);
    let limiter = state.limiter.health();
    let redis = match &state.redis {
        // The breaker is open: Redis failed and is probed in the background; asking it
        // again here would only add its time-out to the report.
        Some(_) if limiter.backend == "redis" && !limiter.backend_reachable => Check {
            status: CheckStatus::Down,
            latency_ms: None,
            detail: Some("unreachable".into()),
            figures: None,
        },
        Some(client) => Check::run_within(REDIS_TIMEOUT, ping_redis(client)).await,
        None => Check::not_configured(),
    };
    let redis_down = matches!(redis.status, CheckStatus::Down);
    checks.insert("redis", redis);
    let limiter_down = limiter.backend == "redis" && (redis_down || !limiter.backend_reachable);
    let fail_closed = limiter_down && limiter.on_redis_error == "fail_closed";
    checks.insert(
        "rate_limit",
        Check {
            status: if limiter_down {
                CheckStatus::Down
            } else {
                CheckStatus::Ok
            },
            latency_ms: None,
            detail: limiter_down.then(|| {
                if fail_closed {
                    "backend unreachable: refusing limited requests (fail-closed)".into()
                } else {
                    "backend unreachable: requests pass unlimited (fail-open)".into()
                }
            }),
            figures: serde_json::to_value(&limiter)
                .ok()
                .and_then(|v| v.as_object().cloned()),
        },
    );

    // Failing closed, the service refuses work: that is unhealthy, not degraded.
    let (status, overall) = if !db_up || !schema_ok || fail_closed {
        (StatusCode::SERVICE_UNAVAILABLE, "unhealthy")
    } else if redis_down || workers_down {
        (StatusCode::OK, "degraded")
    } else {
        (StatusCode::OK, "healthy")
    };
    let body = json!({
        "status": overall,
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_s": state.started.elapsed().as_secs(),
        "checks": checks,
    });
    (status, Json(body)).into_response()
}

/// The queue (how many jobs wait, the age of the oldest runnable and running ones) and
/// the workers that heartbeat recently. No live worker while jobs wait is `down`.
async fn jobs_checks(state: &AppState) -> (Check, Check) {
    let mut stats = None;
    let queue = Check::run(async {
        stats = Some(state.store.queue_stats().await?);
        Ok::<_, crate::store::StoreError>(())
    })
    .await;
    let mut alive = None;
    let window = crate::jobs::metrics::alive_window(&state.config.jobs);
    let mut workers = Check::run(async {
        alive = Some(state.store.list_workers(window).await?.len());
        Ok::<_, crate::store::StoreError>(())
    })
    .await;
    let mut waiting = 0;
    let mut queue = queue;
    if let Some(s) = stats {
        let count = |st: crate::store::jobs::JobState| -> i64 {
            s.depth
                .iter()
                .filter(|(_, x, _)| *x == st)
                .map(|(_, _, n)| n)
                .sum()
        };
        use crate::store::jobs::JobState;
        waiting = count(JobState::Queued);
        let age = |t: Option<chrono::DateTime<chrono::Utc>>| {
            t.map(|t| ((s.now - t).num_milliseconds().max(0) as f64) / 1000.0)
        };
        queue.figures = Some(
            json!({
                "queued": waiting,
                "running": count(JobState::Running),
                "retrying": count(JobState::Failed),
                "oldest_queued_age_s": age(s.oldest_runnable),
                "oldest_running_age_s": age(s.oldest_running),
            })
            .as_object()
            .cloned()
            .unwrap_or_default(),
        );
    }
    if let Some(n) = alive {
        workers.figures = json!({ "alive": n }).as_object().cloned();
        if n == 0 && waiting > 0 {
            workers.status = CheckStatus::Down;
            workers.detail = Some("no live worker while jobs wait".into());
        }
    }
    (queue, workers)
}

async fn ping_redis(client: &redis::Client) -> redis::RedisResult<()> {
    let mut conn = client.get_multiplexed_async_connection().await?;
    redis::cmd("PING").query_async::<String>(&mut conn).await?;
    Ok(())
}
