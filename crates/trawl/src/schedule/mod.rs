//! Recurring scrapes and crawls as a team's resource: the request body, its validation
//! (by the same code as the scrape and crawl endpoints) into what the store keeps, and the
//! shape the API shows. Firing ticks is the job engine's (`crate::jobs::schedule`);
//! comparing runs is [`changes`].

pub mod changes;

use chrono::Utc;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use uuid::Uuid;

use crate::config::Config;
use crate::crawl::options::{from_json, parse_http_url};
use crate::crawl::CrawlRequest;
use crate::error::FieldError;
use crate::fetch::SsrfGuard;
use crate::jobs::redact::redact_headers;
use crate::jobs::schedule::{next_tick, parse_cron, parse_timezone};
use crate::request_fields::{self, Body};
use crate::scrape::ScrapeOptions;
use crate::store::jobs::{NewSchedule, Schedule};
use crate::webhook::{Event, WebhookSpec};

/// Longest schedule name.
const MAX_NAME: usize = 200;

/// `POST /api/v1/schedules` and `PATCH …/{id}`: every field optional here; creation
/// requires `name`, `kind`, `url` and `cron`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    /// At most 200 characters; unique in the team.
    pub name: Option<String>,
    /// `scrape` or `crawl`.
    pub kind: Option<String>,
    /// The http(s) URL to scrape or crawl from.
    pub url: Option<String>,
    /// 5 fields, or 6 with seconds first.
    pub cron: Option<String>,
    /// An IANA name such as `Europe/Paris`; default `UTC`.
    pub timezone: Option<String>,
    /// Scrape options (`/v2/scrape` minus `url`) or crawl options (`/v2/crawl` minus `url`).
    #[schema(value_type = Option<Object>)]
    pub options: Option<Value>,
    /// Where `page.changed` events go: a URL or `{url, headers, metadata, events}`.
    /// Absent: unchanged; `null`: removed.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Object>)]
    pub webhook: Option<Value>,
}

/// Keeps an explicit `null` as `Some(Value::Null)`, so PATCH can tell "remove" from
/// "leave alone".
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// A schedule's editable fields, before validation.
#[derive(Debug, Clone)]
pub struct Draft {
    pub name: String,
    pub kind: String,
    pub url: String,
    pub cron: String,
    pub timezone: String,
    pub options: Value,
    pub webhook: Value,
}

impl Draft {
    /// A new schedule's fields; missing required ones are named.
    pub fn create(body: ScheduleBody) -> Result<Draft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut required = |field: &str, v: Option<String>| {
            v.unwrap_or_else(|| {
                errors.push(FieldError::new(field, "is required"));
                String::new()
            })
        };
        let draft = Draft {
            name: required("name", body.name),
            kind: required("kind", body.kind),
            url: required("url", body.url),
            cron: required("cron", body.cron),
            timezone: body.timezone.unwrap_or_else(|| "UTC".into()),
            options: body.options.unwrap_or(Value::Null),
            webhook: body.webhook.unwrap_or(Value::Null),
        };
        if errors.is_empty() {
            Ok(draft)
        } else {
            Err(errors)
        }
    }

    /// The stored schedule's fields with a PATCH applied over them.
    pub fn patch(s: &Schedule, body: ScheduleBody) -> Draft {
        let (url, options) = split_payload(&s.payload);
        Draft {
            name: body.name.unwrap_or_else(|| s.name.clone()),
            kind: body.kind.unwrap_or_else(|| s.kind.clone()),
            url: body.url.unwrap_or(url),
            cron: body.cron.unwrap_or_else(|| s.cron.clone()),
            timezone: body.timezone.unwrap_or_else(|| s.timezone.clone()),
            options: body.options.unwrap_or(options),
            webhook: body
                .webhook
                .unwrap_or_else(|| s.webhook.clone().unwrap_or(Value::Null)),
        }
    }

    /// Checks every field; the job payload is validated exactly as `/v2/scrape` or
    /// `/v2/crawl` would validate it. The first tick is computed from now.
    pub fn validate(
        self,
        team_id: Uuid,
        config: &Config,
        guard: &SsrfGuard,
    ) -> Result<NewSchedule, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > MAX_NAME {
            errors.push(FieldError::new(
                "name",
                format!("must be between 1 and {MAX_NAME} characters"),
            ));
        } else if name.starts_with("builtin:") {
            // The configured schedules (e.g. BUILTIN_SCRAPE) live under this prefix.
            errors.push(FieldError::new(
                "name",
                "names starting with builtin: are reserved",
            ));
        }
        if let Err(e) = parse_cron(&self.cron) {
            errors.push(FieldError::new("cron", e));
        }
        if let Err(e) = parse_timezone(&self.timezone) {
            errors.push(FieldError::new("timezone", e));
        }
        if let Err(e) = parse_http_url("url", &self.url) {
            errors.push(e);
        }
        let payload = match payload(&self.kind, &self.url, &self.options, config) {
            Ok(p) => Some(p),
            Err(e) => {
                errors.extend(e);
                None
            }
        };
        let webhook = match WebhookSpec::parse_checked(
            "webhook",
            Some(&self.webhook),
            Event::SCHEDULE,
            guard,
        ) {
            Ok(spec) => spec.map(|s| serde_json::to_value(s).unwrap_or(Value::Null)),
            Err(e) => {
                errors.extend(e);
                None
            }
        };
        let next = next_tick(&self.cron, &self.timezone, Utc::now());
        match (payload, next) {
            (Some(payload), Ok(next_run_at)) if errors.is_empty() => Ok(NewSchedule {
                team_id,
                name,
                cron: self.cron.trim().to_string(),
                timezone: self.timezone,
                kind: self.kind,
                payload,
                next_run_at,
                webhook,
            }),
            (_, Err(e)) if errors.is_empty() => Err(vec![FieldError::new("cron", e)]),
            _ => Err(errors),
        }
    }
}

/// The job payload for `kind`: the options with the URL, validated as the scrape or
/// crawl endpoint validates its body. Fields inside `options` are named `options.…`.
fn payload(
    kind: &str,
    url: &str,
    options: &Value,
    config: &Config,
) -> Result<Value, Vec<FieldError>> {
    let mut body = match options {
        Value::Null => serde_json::Map::new(),
        Value::Object(o) => o.clone(),
        _ => return Err(vec![FieldError::new("options", "must be an object")]),
    };
    for own in ["url", "webhook"] {
        if body.contains_key(own) {
            return Err(vec![FieldError::new(
                format!("options.{own}"),
                format!("set {own} at the top level of the schedule"),
            )]);
        }
    }
    body.insert("url".into(), Value::from(url));
    let payload = Value::Object(body);
    let in_options = |e: FieldError| {
        if e.field == "url" {
            e
        } else {
            FieldError::new(format!("options.{}", e.field), e.rule)
        }
    };
    let fields = match kind {
        "scrape" => request_fields::check(Body::StoredScrape, &payload),
        "crawl" => request_fields::check(Body::Crawl, &payload),
        _ => Vec::new(),
    };
    if !fields.is_empty() {
        return Err(fields.into_iter().map(in_options).collect());
    }
    match kind {
        "scrape" => {
            let opts: ScrapeOptions = from_json(&payload).map_err(|e| vec![in_options(e)])?;
            opts.validate("options.")?;
        }
        "crawl" => {
            let req: CrawlRequest = from_json(&payload).map_err(|e| vec![in_options(e)])?;
            req.validate(&config.crawl)
                .map_err(|errs| errs.into_iter().map(in_options).collect::<Vec<_>>())?;
        }
        _ => return Err(vec![FieldError::new("kind", "must be scrape or crawl")]),
    }
    Ok(payload)
}

/// A stored payload as (url, options).
fn split_payload(payload: &Value) -> (String, Value) {
    let mut options = payload.clone();
    let url = options
        .as_object_mut()
        .and_then(|o| o.remove("url"))
        .and_then(|u| u.as_str().map(str::to_string))
        .unwrap_or_default();
    (url, options)
}

/// A schedule as the API shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ScheduleView {
    pub id: Uuid,
    pub name: String,
    /// `scrape` or `crawl`.
    pub kind: String,
    pub url: String,
    pub cron: String,
    pub timezone: String,
    /// The scrape or crawl options besides `url`.
    #[schema(value_type = Object)]
    pub options: Value,
    #[schema(value_type = Option<Object>)]
    pub webhook: Option<Value>,
    pub paused: bool,
    pub last_run_at: Option<chrono::DateTime<Utc>>,
    pub next_run_at: chrono::DateTime<Utc>,
    /// The job the latest tick enqueued.
    pub last_job_id: Option<Uuid>,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
}

/// A schedule as the API shows it, header values redacted.
pub fn view(s: &Schedule) -> ScheduleView {
    let (url, options) = split_payload(&s.payload);
    let options = redact_headers(&options);
    ScheduleView {
        id: s.id,
        name: s.name.clone(),
        kind: s.kind.clone(),
        url,
        cron: s.cron.clone(),
        timezone: s.timezone.clone(),
        options,
        webhook: s.webhook.as_ref().map(redact_headers),
        paused: s.paused,
        last_run_at: s.last_run_at,
        next_run_at: s.next_run_at,
        last_job_id: s.last_job_id,
        created_at: s.created_at,
        updated_at: s.updated_at,
    }
}
