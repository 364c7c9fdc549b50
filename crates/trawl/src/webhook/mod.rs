//! Webhooks: what a request asks for (`webhook` as a URL or `{url, headers, metadata,
//! events}`, as Firecrawl's SDKs send it), the events a job emits, and their delivery as
//! jobs of kind [`KIND`] (retried with backoff, so a delivery survives a restart), POSTed
//! through the fetcher's SSRF guard and signed (see [`sign`]).
//!
//! Body of every delivery, Firecrawl's shape:
//! `{"success", "type": "crawl.page", "id": <job id>, "data": [...], "metadata", "error"?}`.
//! Deliveries of one job are enqueued in order and, with the default of one delivery at
//! a time per worker, sent in order; a retried delivery may arrive after later ones.

pub mod job;
pub mod sign;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::crawl::options::parse_http_url;
use crate::error::FieldError;
use crate::fetch::SsrfGuard;
use crate::store::jobs::NewJob;

/// The job kind of one delivery.
pub const KIND: &str = "webhook";

/// Most custom headers one webhook may carry.
const MAX_HEADERS: usize = 20;

/// Something a job or schedule reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Started,
    Page,
    Completed,
    Failed,
    /// A scheduled run found a page that differs from the previous run.
    PageChanged,
}

impl Event {
    /// What crawls, batches and jobs emit.
    pub const JOB: &'static [Event] =
        &[Event::Started, Event::Page, Event::Completed, Event::Failed];
    /// What schedules emit.
    pub const SCHEDULE: &'static [Event] = &[Event::PageChanged];

    pub fn as_str(self) -> &'static str {
        match self {
            Event::Started => "started",
            Event::Page => "page",
            Event::Completed => "completed",
            Event::Failed => "failed",
            Event::PageChanged => "page.changed",
        }
    }

    fn parse(s: &str) -> Option<Event> {
        [
            Event::Started,
            Event::Page,
            Event::Completed,
            Event::Failed,
            Event::PageChanged,
        ]
        .into_iter()
        .find(|e| e.as_str() == s)
    }
}

/// A validated webhook target. Empty `events` means every event of the source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookSpec {
    pub url: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub metadata: serde_json::Map<String, Value>,
    #[serde(default)]
    pub events: Vec<String>,
}

impl WebhookSpec {
    /// Reads a request's `webhook` (at `field`); `allowed` are the events the source emits.
    /// `null` or absent is no webhook.
    pub fn parse(
        field: &str,
        v: Option<&Value>,
        allowed: &[Event],
    ) -> Result<Option<WebhookSpec>, Vec<FieldError>> {
        let obj = match v {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::String(url)) => {
                let mut o = serde_json::Map::new();
                o.insert("url".into(), Value::String(url.clone()));
                o
            }
            Some(Value::Object(o)) => o.clone(),
            Some(_) => {
                return Err(vec![FieldError::new(
                    field,
                    "must be a URL or an object {url, headers, metadata, events}",
                )])
            }
        };
        let mut errors = Vec::new();
        let url = match obj.get("url") {
            Some(Value::String(u)) => match parse_http_url(&format!("{field}.url"), u) {
                Ok(u) => u.to_string(),
                Err(e) => {
                    errors.push(e);
                    String::new()
                }
            },
            _ => {
                errors.push(FieldError::new(format!("{field}.url"), "is required"));
                String::new()
            }
        };
        let mut headers = BTreeMap::new();
        match obj.get("headers") {
            None | Some(Value::Null) => {}
            Some(Value::Object(h)) if h.len() <= MAX_HEADERS => {
                for (k, v) in h {
                    let name = format!("{field}.headers.{k}");
                    let Some(v) = v.as_str() else {
                        errors.push(FieldError::new(name, "must be a string"));
                        continue;
                    };
                    let lower = k.to_ascii_lowercase();
                    if reqwest::header::HeaderName::from_bytes(k.as_bytes()).is_err()
                        || reqwest::header::HeaderValue::from_str(v).is_err()
                    {
                        errors.push(FieldError::new(name, "must be a valid HTTP header"));
                    } else if lower == "content-type" || lower.starts_with("x-trawl-") {
                        errors.push(FieldError::new(name, "is set by Trawl"));
                    } else {
                        headers.insert(k.clone(), v.to_string());
                    }
                }
            }
            Some(_) => errors.push(FieldError::new(
                format!("{field}.headers"),
                format!("must be an object of at most {MAX_HEADERS} string values"),
            )),
        }
        let metadata = match obj.get("metadata") {
            None | Some(Value::Null) => serde_json::Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(_) => {
                errors.push(FieldError::new(
                    format!("{field}.metadata"),
                    "must be an object",
                ));
                serde_json::Map::new()
            }
        };
        let mut events = Vec::new();
        match obj.get("events") {
            None | Some(Value::Null) => {}
            Some(Value::Array(list)) => {
                let names: Vec<&str> = allowed.iter().map(|e| e.as_str()).collect();
                for (i, e) in list.iter().enumerate() {
                    match e.as_str().and_then(Event::parse) {
                        Some(ev) if allowed.contains(&ev) => events.push(ev.as_str().to_string()),
                        _ => errors.push(FieldError::new(
                            format!("{field}.events[{i}]"),
                            format!("must be one of {}", names.join(", ")),
                        )),
                    }
                }
            }
            Some(_) => errors.push(FieldError::new(
                format!("{field}.events"),
                "must be a list of event names",
            )),
        }
        if errors.is_empty() {
            Ok(Some(WebhookSpec {
                url,
                headers,
                metadata,
                events,
            }))
        } else {
            Err(errors)
        }
    }

    /// [`Self::parse`] plus the SSRF guard's check of an address written in the URL, so a
    /// webhook to a private or metadata address is refused when it is asked for, not only
    /// when it is delivered (names are checked again at every delivery).
    pub fn parse_checked(
        field: &str,
        v: Option<&Value>,
        allowed: &[Event],
        guard: &SsrfGuard,
    ) -> Result<Option<WebhookSpec>, Vec<FieldError>> {
        let spec = Self::parse(field, v, allowed)?;
        if let Some(s) = &spec {
            let url = url::Url::parse(&s.url).expect("parse validated the URL");
            if let Err(e) = guard.check_url(&url) {
                return Err(vec![FieldError::new(format!("{field}.url"), e.to_string())]);
            }
        }
        Ok(spec)
    }

    /// A webhook from a stored payload, validated when it was stored; `None` when absent.
    pub fn from_stored(v: Option<&Value>, allowed: &[Event]) -> Option<WebhookSpec> {
        match Self::parse("webhook", v, allowed) {
            Ok(spec) => spec,
            Err(errors) => {
                tracing::warn!(
                    ?errors,
                    "ignoring a stored webhook that no longer validates"
                );
                None
            }
        }
    }

    pub fn wants(&self, e: Event) -> bool {
        self.events.is_empty() || self.events.iter().any(|n| n == e.as_str())
    }

    /// The delivery of one event as a job: the body is fixed now, so every retry sends
    /// the same bytes (only the signature's time changes).
    pub fn delivery(
        &self,
        team: Uuid,
        event_type: &str,
        id: Uuid,
        data: Value,
        error: Option<&str>,
        max_attempts: i32,
    ) -> NewJob {
        let mut body = json!({
            "success": error.is_none(),
            "type": event_type,
            "id": id,
            "data": data,
            "metadata": self.metadata,
        });
        if let Some(e) = error {
            body["error"] = Value::from(e);
        }
        let payload = json!({
            "url": self.url,
            "headers": self.headers,
            "event": event_type,
            "source": id,
            "body": body.to_string(),
        });
        NewJob::new(team, KIND, payload).max_attempts(max_attempts)
    }
}

/// Emits one job's events to its webhook: `{prefix}.started`, `.page`, `.completed`,
/// `.failed` (`prefix` is `crawl`, `batch_scrape` or `scrape`).
#[derive(Debug, Clone)]
pub struct Notifier {
    spec: WebhookSpec,
    team: Uuid,
    source: Uuid,
    prefix: &'static str,
    max_attempts: i32,
}

impl Notifier {
    /// The notifier for a job whose payload carries a `webhook`, if it does.
    pub fn for_job(
        payload: &Value,
        team: Uuid,
        source: Uuid,
        prefix: &'static str,
        max_attempts: i32,
    ) -> Option<Notifier> {
        let spec = WebhookSpec::from_stored(payload.get("webhook"), Event::JOB)?;
        Some(Notifier {
            spec,
            team,
            source,
            prefix,
            max_attempts,
        })
    }

    pub fn wants(&self, event: Event) -> bool {
        self.spec.wants(event)
    }

    /// The delivery of `event`, or `None` when the webhook did not ask for it.
    pub fn job(&self, event: Event, data: Value, error: Option<&str>) -> Option<NewJob> {
        self.spec.wants(event).then(|| {
            self.spec.delivery(
                self.team,
                &format!("{}.{}", self.prefix, event.as_str()),
                self.source,
                data,
                error,
                self.max_attempts,
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_string_and_the_object_form_both_parse() {
        let s = WebhookSpec::parse("webhook", Some(&json!("http://h.test/x")), Event::JOB)
            .unwrap()
            .unwrap();
        assert_eq!(s.url, "http://h.test/x");
        assert!(s.wants(Event::Page));
        let o = WebhookSpec::parse(
            "webhook",
            Some(&json!({"url": "https://h.test/", "headers": {"X-A": "1"},
                "metadata": {"k": "v"}, "events": ["completed", "failed"]})),
            Event::JOB,
        )
        .unwrap()
        .unwrap();
        assert!(o.wants(Event::Completed) && !o.wants(Event::Page));
        assert_eq!(o.headers["X-A"], "1");
    }

    #[test]
    fn bad_webhooks_name_the_field() {
        let errs = WebhookSpec::parse(
            "webhook",
            Some(&json!({"url": "ftp://x", "events": ["bogus"], "headers": {"X-Trawl-Signature": "x"}})),
            Event::JOB,
        )
        .unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "webhook.url",
                "webhook.headers.X-Trawl-Signature",
                "webhook.events[0]"
            ]
        );
    }

    #[test]
    fn a_literal_private_address_is_refused_unless_allowed() {
        let v = json!("http://169.254.169.254/latest");
        let closed = SsrfGuard::new(&[]).unwrap();
        assert!(WebhookSpec::parse_checked("webhook", Some(&v), Event::JOB, &closed).is_err());
        let open = SsrfGuard::new(&["169.254.0.0/16".to_string()]).unwrap();
        assert!(WebhookSpec::parse_checked("webhook", Some(&v), Event::JOB, &open).is_ok());
    }
}
