//! `Idempotency-Key` (and Firecrawl's `x-idempotency-key`) on every route that creates a
//! job. A client that retries after a cut connection gets the first answer back (same job
//! id, same body) for [`KEEP`], also after the job finished; the same key with another
//! route or body is refused, naming the header, as Stripe-style APIs do. Keys are scoped
//! per team. The job and the key's row commit in one transaction, so two concurrent
//! requests with one key create one job.

use std::time::Duration;

use axum::http::HeaderMap;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};
use crate::http::AppState;
use crate::store::jobs::{IdempotentAnswer, NewIdempotentAnswer, NewJob};

/// How long a key's answer is replayed.
pub const KEEP: Duration = Duration::from_secs(24 * 3600);

/// The headers read, in order of preference.
const HEADERS: [&str; 2] = ["idempotency-key", "x-idempotency-key"];

/// A client's idempotency key: 1 to 255 printable ASCII characters.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    key: String,
    header: &'static str,
}

impl IdempotencyKey {
    pub fn from_headers(headers: &HeaderMap) -> AppResult<Option<IdempotencyKey>> {
        for header in HEADERS {
            let Some(value) = headers.get(header) else {
                continue;
            };
            let key = value
                .to_str()
                .ok()
                .map(str::trim)
                .filter(|k| !k.is_empty() && k.len() <= 255)
                .filter(|k| k.bytes().all(|b| b.is_ascii_graphic()))
                .ok_or_else(|| {
                    AppError::invalid(header, "must be 1 to 255 printable ASCII characters")
                })?;
            return Ok(Some(IdempotencyKey {
                key: key.to_string(),
                header,
            }));
        }
        Ok(None)
    }
}

/// Enqueues `job` and answers `response`, at most once per (team, key): with a key seen
/// before, the first answer is returned and nothing is enqueued. `request` is what makes
/// two requests the same (the route and the body as sent).
pub async fn enqueue_once(
    state: &AppState,
    key: Option<&IdempotencyKey>,
    route: &str,
    request: &[u8],
    job: NewJob,
    response: Value,
) -> AppResult<Value> {
    let Some(key) = key else {
        state.jobs.enqueue(vec![job]).await?;
        return Ok(response);
    };
    let team_id = job.team_id;
    let hash = request_hash(route, request);
    if let Some(first) = state.store.idempotent_answer(team_id, &key.key).await? {
        return replay(first, &hash, key);
    }
    let job_id = job.id;
    let mut tx = state.store.begin().await?;
    state.jobs.enqueue_in(&mut tx, vec![job]).await?;
    let saved = tx
        .save_idempotent_answer(&NewIdempotentAnswer {
            team_id,
            key: &key.key,
            request_hash: &hash,
            job_id,
            response: &response,
            keep_for: KEEP,
        })
        .await?;
    if saved {
        tx.commit().await?;
        return Ok(response);
    }
    // Another request with this key committed first: its answer stands.
    tx.rollback().await?;
    match state.store.idempotent_answer(team_id, &key.key).await? {
        Some(first) => replay(first, &hash, key),
        None => Err(AppError::Conflict {
            code: "idempotency_key_in_use",
            message: format!("a request with this {} is in progress", key.header),
        }),
    }
}

fn replay(first: IdempotentAnswer, hash: &str, key: &IdempotencyKey) -> AppResult<Value> {
    if first.request_hash != hash {
        return Err(AppError::invalid(
            key.header,
            "was already used with a different request; send a new key",
        ));
    }
    tracing::debug!(job = %first.job_id, "idempotency key replayed");
    Ok(first.response)
}

fn request_hash(route: &str, request: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(route.as_bytes());
    h.update([0]);
    h.update(request);
    hex::encode(h.finalize())
}
