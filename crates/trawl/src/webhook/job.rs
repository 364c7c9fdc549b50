//! The `webhook` job kind: one signed POST of a stored body. 2xx is delivered; a network
//! error, a timeout, 408, 429 and 5xx are retried with the engine's backoff; any other
//! answer (and an address the SSRF guard refuses) discards the delivery.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::{json, Value};

use super::sign;
use crate::fetch::{FetchError, Fetcher};
use crate::jobs::{JobContext, JobError, JobHandler};
use crate::secret::Secret;
use crate::store::jobs::DEFAULT_TEAM;

pub struct WebhookHandler {
    fetcher: Fetcher,
    secret: Option<Secret>,
    timeout: Duration,
}

impl WebhookHandler {
    /// `fetcher` must be the one pages are fetched with, so the same allow-list applies.
    pub fn new(fetcher: Fetcher, secret: Option<Secret>, timeout: Duration) -> Self {
        WebhookHandler {
            fetcher,
            secret,
            timeout,
        }
    }
}

#[async_trait]
impl JobHandler for WebhookHandler {
    async fn run(&self, ctx: JobContext) -> Result<Value, JobError> {
        let p = &ctx.payload;
        let raw = p["url"].as_str().unwrap_or_default();
        let url = url::Url::parse(raw)
            .map_err(|_| JobError::Permanent("the webhook URL is not valid".into()))?;
        let body = p["body"].as_str().unwrap_or("{}").to_string();
        let event = p["event"].as_str().unwrap_or_default();
        let team = ctx.team_id.unwrap_or(DEFAULT_TEAM);
        let secret = sign::team_secret(self.secret.as_ref(), team);
        let t = chrono::Utc::now().timestamp();
        let mut headers: Vec<(String, String)> = p["headers"]
            .as_object()
            .map(|h| {
                h.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        headers.push(("Content-Type".into(), "application/json".into()));
        headers.push((
            sign::HEADER.into(),
            sign::signature(&secret, t, body.as_bytes()),
        ));
        headers.push((
            sign::FIRECRAWL_HEADER.into(),
            sign::firecrawl_signature(&secret, body.as_bytes()),
        ));
        headers.push(("X-Trawl-Event".into(), event.to_string()));
        // Lets a receiver drop a retry of a delivery it already processed.
        headers.push(("X-Trawl-Delivery".into(), ctx.id.to_string()));
        let sent = tokio::select! {
            r = self.fetcher.post(&url, &headers, body, self.timeout) => r,
            () = ctx.cancel.cancelled() => return Err(JobError::Cancelled),
        };
        let host = url.host_str().unwrap_or_default().to_string();
        match sent {
            Ok(status) if (200..300).contains(&status) => {
                tracing::debug!(%host, event, status, "webhook delivered");
                Ok(json!({ "status": status }))
            }
            Ok(status @ (408 | 429 | 500..=599)) => Err(JobError::Retry(format!(
                "the receiver answered HTTP {status}"
            ))),
            Ok(status) => {
                tracing::info!(%host, event, status, "webhook refused by its receiver");
                Err(JobError::Permanent(format!(
                    "the receiver answered HTTP {status}"
                )))
            }
            Err(e @ (FetchError::BlockedAddress(_) | FetchError::InvalidUrl(_))) => {
                tracing::warn!(%host, event, "webhook to a refused address dropped");
                Err(JobError::Permanent(format!("{}: {e}", e.code())))
            }
            Err(e) => Err(JobError::Retry(format!("{}: {e}", e.code()))),
        }
    }
}
