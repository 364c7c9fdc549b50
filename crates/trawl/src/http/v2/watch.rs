//! The status stream behind the SDKs' `watcher()`: a WebSocket opened on a crawl's or a
//! batch's status URL (`/v2/crawl/{id}`, `/v2/batch/scrape/{id}`), which sends, as
//! Firecrawl does:
//!
//! - `{"type": "catchup", "data": <status with every page finished so far>}` first,
//! - `{"type": "document", "data": <document>}` for every page finished after that,
//! - `{"type": "status", "data": <status without documents>}` when the counts change,
//! - and at the end `{"type": "done", "data": <status>}` for a completed job,
//!   `{"type": "error", "error": …}` for a failed one, or a last `status` with
//!   `"cancelled"`; then it closes.
//!
//! A plain GET on the same URL is the status endpoint; only an upgrade request comes here.
//! The caller authenticates as on every route; firecrawl-js, whose WebSocket cannot set
//! headers, sends its API key as the subprotocol, which is accepted here and echoed back
//! as the handshake requires.

use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::jobs::status_page;
use super::team_job;
use crate::auth::{keys, Caller, Scope};
use crate::crawl::{BATCH_KIND, KIND as CRAWL_KIND};
use crate::error::{AppError, AppResult};
use crate::http::AppState;
use crate::store::jobs::{Job, JobState};

/// How often the stream looks for new pages and changed counts.
const TICK: Duration = Duration::from_millis(250);
/// Documents read per look.
const BATCH: u32 = 100;

/// Hands WebSocket upgrades on a status URL to the stream; everything else goes on.
pub async fn upgrade(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let wants_socket = req.method() == Method::GET
        && req
            .headers()
            .get(header::UPGRADE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let Some((kind, id)) = wants_socket
        .then(|| status_target(req.uri().path()))
        .flatten()
    else {
        return next.run(req).await;
    };
    match open(state, req, kind, id).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

/// `(kind, id)` for `/v2/crawl/{id}` and `/v2/batch/scrape/{id}`.
fn status_target(path: &str) -> Option<(&'static str, String)> {
    if let Some(id) = path.strip_prefix("/v2/crawl/") {
        return (!id.contains('/') && id != "active").then(|| (CRAWL_KIND, id.to_string()));
    }
    let id = path.strip_prefix("/v2/batch/scrape/")?;
    (!id.contains('/')).then(|| (BATCH_KIND, id.to_string()))
}

async fn open(
    state: AppState,
    req: Request,
    kind: &'static str,
    id: String,
) -> AppResult<Response> {
    let (mut parts, _) = req.into_parts();
    // The subprotocol carries a key only when no other credential is presented.
    let protocol_key = parts
        .headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(',')
                .map(str::trim)
                .find(|p| p.starts_with(keys::PREFIX))
        })
        .map(str::to_string);
    if let Some(key) = &protocol_key {
        if !parts.headers.contains_key(header::AUTHORIZATION) {
            let bearer = HeaderValue::from_str(&format!("Bearer {key}"))
                .map_err(|_| AppError::BadCredential("the subprotocol is not a valid key"))?;
            parts.headers.insert(header::AUTHORIZATION, bearer);
        }
    }
    let caller = Caller::from_request_parts(&mut parts, &state).await?;
    caller.require(Scope::JobsRead)?;
    // Refusals (unknown job, another team's) are plain HTTP answers, before upgrading.
    let job = team_job(&state, &caller, &id, kind).await?;
    let mut ws = WebSocketUpgrade::from_request_parts(&mut parts, &state)
        .await
        .map_err(|e| AppError::BadRequest(e.body_text()))?;
    if let Some(key) = protocol_key {
        ws = ws.protocols([key]);
    }
    Ok(ws.on_upgrade(move |socket| async move {
        if let Err(e) = stream(socket, state, caller, job).await {
            tracing::debug!(error = %e, "status stream ended early");
        }
    }))
}

/// The counts part of a status body (everything but `data`).
fn snapshot(status: &Value) -> Value {
    let mut s = status.clone();
    if let Some(o) = s.as_object_mut() {
        o.remove("data");
        o.remove("success");
        o.insert("data".into(), json!([]));
    }
    s
}

async fn send(socket: &mut WebSocket, message: Value) -> anyhow::Result<()> {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .map_err(anyhow::Error::new)
}

async fn stream(
    mut socket: WebSocket,
    state: AppState,
    caller: Caller,
    job: Job,
) -> anyhow::Result<()> {
    let id = job.id.to_string();
    let kind = job.kind.clone();
    // The catch-up carries every page finished so far: the SDKs end on a finished
    // status, so a finished job's pages must come with it, not after it.
    let (mut job, mut sent) = (job, 0u64);
    let mut page: Value;
    let mut pages = Vec::new();
    loop {
        page = look(&state, &job, sent).await?;
        let docs = page["data"].as_array().cloned().unwrap_or_default();
        sent += docs.len() as u64;
        pages.extend(docs);
        if !page["next"].is_string() {
            break;
        }
        job = match team_job(&state, &caller, &id, &kind).await {
            Ok(job) => job,
            Err(e) => return end_with_error(&mut socket, &e).await,
        };
    }
    let mut last = snapshot(&page);
    let mut catchup = last.clone();
    catchup["data"] = Value::Array(pages);
    send(&mut socket, json!({"type": "catchup", "data": catchup})).await?;
    loop {
        if is_finished(&job) {
            send(&mut socket, ending(&job, last)).await?;
            break;
        }
        // Wait for the next look, or for the client to go away.
        tokio::select! {
            () = tokio::time::sleep(TICK) => {}
            msg = socket.recv() => match msg {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return Ok(()),
                Some(Ok(_)) => {}
            },
        }
        // Each look re-reads the job, so a revoked key or a deleted job ends the stream.
        loop {
            job = match team_job(&state, &caller, &id, &kind).await {
                Ok(job) => job,
                Err(e) => return end_with_error(&mut socket, &e).await,
            };
            page = look(&state, &job, sent).await?;
            let docs = page["data"].as_array().cloned().unwrap_or_default();
            sent += docs.len() as u64;
            for doc in docs {
                send(&mut socket, json!({"type": "document", "data": doc})).await?;
            }
            if !page["next"].is_string() {
                break;
            }
        }
        let counts = snapshot(&page);
        // Only unfinished counts go out as a `status`: a finished status ends the SDKs'
        // streams, so it comes last, as the ending.
        if counts != last && !is_finished(&job) {
            send(&mut socket, json!({"type": "status", "data": counts})).await?;
        }
        last = counts;
    }
    let _ = socket.send(Message::Close(None)).await;
    Ok(())
}

async fn look(state: &AppState, job: &Job, sent: u64) -> anyhow::Result<Value> {
    status_page(state, job, sent, BATCH)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
}

fn is_finished(job: &Job) -> bool {
    matches!(
        job.state,
        JobState::Succeeded | JobState::Discarded | JobState::Cancelled
    )
}

/// The last message: `done` for a completed job, `error` for a failed one, and the
/// final status for a cancelled one.
fn ending(job: &Job, counts: Value) -> Value {
    match job.state {
        JobState::Succeeded => json!({"type": "done", "data": counts}),
        JobState::Discarded => json!({
            "type": "error",
            "error": job.last_error.clone().unwrap_or_else(|| "the job failed".into()),
            "data": counts,
        }),
        _ => json!({"type": "status", "data": counts}),
    }
}

async fn end_with_error(socket: &mut WebSocket, e: &AppError) -> anyhow::Result<()> {
    send(
        socket,
        json!({"type": "error", "error": e.public_message()}),
    )
    .await?;
    let _ = socket.send(Message::Close(None)).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::status_target;

    #[test]
    fn only_a_jobs_status_url_is_a_stream() {
        assert_eq!(
            status_target("/v2/crawl/abc"),
            Some(("crawl", "abc".into()))
        );
        assert_eq!(
            status_target("/v2/batch/scrape/abc"),
            Some(("batch", "abc".into()))
        );
        assert_eq!(status_target("/v2/crawl/active"), None);
        assert_eq!(status_target("/v2/crawl/abc/errors"), None);
        assert_eq!(status_target("/v2/scrape"), None);
    }
}
