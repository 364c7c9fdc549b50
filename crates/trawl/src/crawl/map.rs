//! Mapping a site: its URLs from the start page's links and its sitemaps, without storing
//! any content. `POST /v2/map` runs it inline; the `map` job kind runs it in the
//! background (`POST /api/v1/jobs`), with the same request and the same checks.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use url::Url;

use super::engine::sitemap_urls;
use super::hosts::Hosts;
use super::options::{checked_limit, from_json, parse_http_url};
use super::scope::site_domain;
use super::SitemapMode;
use crate::error::FieldError;
use crate::fetch::FetchError;
use crate::jobs::{JobContext, JobError, JobHandler};
use crate::scrape::{ScrapeOptions, Scraper};
use trawl_extract::urlnorm::{normalize, NormalizeOptions};

/// The job kind of a map.
pub const KIND: &str = "map";
pub const DEFAULT_LIMIT: u64 = 5_000;
pub const MAX_LIMIT: u64 = 30_000;
const DEFAULT_TIMEOUT_MS: u64 = 30_000;

fn default_true() -> bool {
    true
}

/// The body of `POST /v2/map` and the payload of a `map` job. Unknown fields are ignored.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MapRequest {
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub search: Option<String>,
    #[serde(default)]
    pub sitemap: SitemapMode,
    #[serde(default = "default_true")]
    pub include_subdomains: bool,
    #[serde(default = "default_true")]
    pub ignore_query_parameters: bool,
    #[serde(default)]
    pub limit: Option<u64>,
    #[serde(default)]
    pub timeout: Option<u64>,
}

/// A map request that passed validation: it cannot hold a bad URL or limit.
#[derive(Debug, Clone)]
pub struct MapPlan {
    pub start: Url,
    pub search: Option<String>,
    pub sitemap: SitemapMode,
    pub include_subdomains: bool,
    pub ignore_query_parameters: bool,
    pub limit: u64,
    pub timeout: Duration,
    /// Request headers for the start page (the CLI's `--header`; the API has none).
    pub headers: Vec<(String, String)>,
}

impl MapRequest {
    /// Reads a request from JSON, naming the offending field.
    pub fn from_json(v: &Value) -> Result<MapRequest, FieldError> {
        from_json(v)
    }

    /// Every rule broken, each naming its field.
    pub fn validate(&self) -> Result<MapPlan, Vec<FieldError>> {
        let mut errors = Vec::new();
        let start = parse_http_url("url", &self.url)
            .map_err(|e| errors.push(e))
            .ok();
        let limit = checked_limit(self.limit, DEFAULT_LIMIT, MAX_LIMIT, &mut errors);
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT_MS);
        if !(1_000..=300_000).contains(&timeout) {
            errors.push(FieldError::new(
                "timeout",
                "must be between 1000 and 300000 milliseconds",
            ));
        }
        match start {
            Some(start) if errors.is_empty() => Ok(MapPlan {
                start,
                search: self.search.as_deref().map(str::to_lowercase),
                sitemap: self.sitemap,
                include_subdomains: self.include_subdomains,
                ignore_query_parameters: self.ignore_query_parameters,
                limit,
                timeout: Duration::from_millis(timeout),
                headers: Vec::new(),
            }),
            _ => Err(errors),
        }
    }
}

type Found = Vec<(Url, Option<String>, Option<String>)>;

/// The site's links as `[{"url", "title"?, "description"?}]`: same site (and subdomains
/// when asked), normalised, deduplicated, filtered by `search`, at most `limit`. Fails
/// with a timeout past `plan.timeout`.
pub async fn map_site(
    scraper: &Scraper,
    user_agent: &str,
    plan: &MapPlan,
) -> Result<Vec<Value>, FetchError> {
    let timeout_ms = plan.timeout.as_millis() as u64;
    let found = tokio::time::timeout(plan.timeout, discover(scraper, user_agent, plan))
        .await
        .map_err(|_| FetchError::Timeout(timeout_ms))??;
    let norm = NormalizeOptions {
        ignore_query_parameters: plan.ignore_query_parameters,
    };
    let (_, domain) = site_domain(&plan.start);
    let mut seen = HashSet::new();
    let mut links = Vec::new();
    for (url, title, description) in found {
        if !on_site(&url, &domain, plan.include_subdomains) {
            continue;
        }
        let url = normalize(&url, &norm).to_string();
        if plan
            .search
            .as_deref()
            .is_some_and(|s| !url.to_lowercase().contains(s))
        {
            continue;
        }
        if !seen.insert(url.clone()) {
            continue;
        }
        let mut item = json!({ "url": url });
        if let Some(t) = title {
            item["title"] = t.into();
        }
        if let Some(d) = description {
            item["description"] = d.into();
        }
        links.push(item);
        if links.len() as u64 >= plan.limit {
            break;
        }
    }
    Ok(links)
}

/// Whether `url` belongs to the site of `domain`: the domain itself or `www.`, and its
/// subdomains when `subdomains` is set.
fn on_site(url: &Url, domain: &str, subdomains: bool) -> bool {
    let h = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let same = h == domain || h == format!("www.{domain}");
    same || (subdomains && h.ends_with(&format!(".{domain}")))
}

/// The start page (with its title), its links, then the sitemap's URLs.
async fn discover(
    scraper: &Scraper,
    user_agent: &str,
    plan: &MapPlan,
) -> Result<Found, FetchError> {
    let mut found: Found = Vec::new();
    if plan.sitemap != SitemapMode::Only {
        let mut links_only = ScrapeOptions {
            formats: Some(vec![json!("links")]),
            ..Default::default()
        }
        .validate("")
        .expect("the links format is valid");
        links_only.headers = plan.headers.clone();
        let page = scraper.scrape(&plan.start, &links_only).await?;
        let m = &page.document.metadata;
        found.push((
            page.final_url.clone(),
            m.title.clone(),
            m.description.clone(),
        ));
        found.extend(
            page.links
                .iter()
                .filter_map(|l| Url::parse(l).ok())
                .map(|u| (u, None, None)),
        );
    }
    if plan.sitemap != SitemapMode::Skip {
        let hosts = Arc::new(Hosts::new(
            scraper.fetcher().clone(),
            user_agent.to_string(),
            1,
            Duration::ZERO,
            true,
        ));
        let urls = sitemap_urls(scraper, &hosts, &plan.start).await;
        found.extend(urls.into_iter().map(|u| (u, None, None)));
    }
    Ok(found)
}

/// Runs `map` jobs (payload: a [`MapRequest`]); the result is `{"links": [...]}`.
pub struct MapHandler {
    scraper: Scraper,
    user_agent: String,
}

impl MapHandler {
    pub fn new(scraper: Scraper, user_agent: String) -> Self {
        MapHandler {
            scraper,
            user_agent,
        }
    }
}

#[async_trait]
impl JobHandler for MapHandler {
    async fn run(&self, ctx: JobContext) -> Result<Value, JobError> {
        let plan = MapRequest::from_json(&ctx.payload)
            .map_err(|e| vec![e])
            .and_then(|r| r.validate())
            .map_err(|errs| {
                let list: Vec<String> = errs
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.rule))
                    .collect();
                JobError::Permanent(format!("invalid map request: {}", list.join("; ")))
            })?;
        let links = tokio::select! {
            r = map_site(&self.scraper, &self.user_agent, &plan) => r,
            () = ctx.cancel.cancelled() => return Err(JobError::Cancelled),
        };
        let links = links.map_err(|e| match e {
            // Worth another attempt: the site may recover.
            FetchError::Timeout(_) | FetchError::Connection | FetchError::Dns(_) => {
                JobError::Retry(format!("{}: {e}", e.code()))
            }
            e => JobError::Permanent(format!("{}: {e}", e.code())),
        })?;
        Ok(json!({ "links": links }))
    }
}

#[cfg(test)]
mod tests {
    use super::on_site;
    use url::Url;

    #[test]
    fn include_subdomains_decides_whether_subdomains_are_listed() {
        let u = |s: &str| Url::parse(s).unwrap();
        for subdomains in [true, false] {
            assert!(on_site(
                &u("https://example.com/a"),
                "example.com",
                subdomains
            ));
            assert!(on_site(
                &u("https://www.example.com/a"),
                "example.com",
                subdomains
            ));
            assert!(!on_site(
                &u("https://example.org/a"),
                "example.com",
                subdomains
            ));
            assert!(!on_site(
                &u("https://badexample.com/a"),
                "example.com",
                subdomains
            ));
        }
        assert!(on_site(
            &u("https://docs.example.com/a"),
            "example.com",
            true
        ));
        assert!(!on_site(
            &u("https://docs.example.com/a"),
            "example.com",
            false
        ));
    }
}
