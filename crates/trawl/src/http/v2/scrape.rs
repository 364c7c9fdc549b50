//! `POST /v2/scrape` (synchronous: fetch and extract within `timeout`) and `POST /v2/map`.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use url::Url;
use uuid::Uuid;

use super::schemas::{MapResponse, ScrapeRequest, ScrapeResponse};
use super::V2Json;
use crate::auth::{Caller, Scope};
use crate::crawl::engine::sitemap_urls;
use crate::crawl::hosts::Hosts;
use crate::crawl::options::{from_json, parse_http_url};
use crate::crawl::SitemapMode;
use crate::error::{AppError, AppResult, FieldError};
use crate::fetch::FetchError;
use crate::http::openapi::V2Errors;
use crate::http::AppState;
use crate::scrape::{ScrapeOptions, ScrapePlan};
use trawl_extract::urlnorm::{normalize, NormalizeOptions};

fn validate(url: &str, options: &ScrapeOptions) -> AppResult<(Url, ScrapePlan)> {
    let mut errors: Vec<FieldError> = Vec::new();
    let url = parse_http_url("url", url).map_err(|e| errors.push(e)).ok();
    let plan = options.validate("").map_err(|e| errors.extend(e)).ok();
    match (url, plan) {
        (Some(u), Some(p)) if errors.is_empty() => Ok((u, p)),
        _ => Err(AppError::Validation(errors)),
    }
}

/// Fetches one page now and extracts the formats asked for.
#[utoipa::path(
    post,
    path = "/v2/scrape",
    tag = "v2",
    request_body = ScrapeRequest,
    responses((status = 200, description = "The page", body = ScrapeResponse), V2Errors)
)]
pub async fn scrape(
    State(state): State<AppState>,
    caller: Caller,
    V2Json(body): V2Json<Value>,
) -> AppResult<Json<Value>> {
    caller.require_scope(Scope::Scrape)?;
    // The options sit beside `url` at the top level; read both from the one object.
    let url: String = match body.get("url") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(AppError::invalid("url", "must be a string")),
    };
    let options: ScrapeOptions = from_json(&body).map_err(|e| AppError::Validation(vec![e]))?;
    let (url, plan) = validate(&url, &options)?;
    let scraped = state.scraper.scrape(&url, &plan).await?;
    let mut data =
        serde_json::to_value(scraped.document.for_formats(&plan)).map_err(anyhow::Error::new)?;
    if let Some(m) = data.get_mut("metadata").and_then(Value::as_object_mut) {
        m.insert("scrapeId".into(), Uuid::now_v7().to_string().into());
        m.insert("creditsUsed".into(), 1.into());
        m.insert("proxyUsed".into(), "basic".into());
        m.insert("cacheState".into(), "miss".into());
        if scraped.status >= 400 {
            m.insert(
                "error".into(),
                FetchError::Http(scraped.status).to_string().into(),
            );
        }
    }
    Ok(Json(json!({ "success": true, "data": data })))
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MapRequest {
    #[serde(default)]
    url: String,
    #[serde(default)]
    search: Option<String>,
    #[serde(default)]
    sitemap: SitemapMode,
    #[serde(default = "default_true")]
    include_subdomains: bool,
    #[serde(default = "default_true")]
    ignore_query_parameters: bool,
    #[serde(default)]
    limit: Option<u64>,
    #[serde(default)]
    timeout: Option<u64>,
}

pub const MAP_DEFAULT_LIMIT: u64 = 5_000;
pub const MAP_MAX_LIMIT: u64 = 30_000;

/// Discovers a site's URLs from its sitemaps and the links of its start page, without
/// storing any content.
#[utoipa::path(
    post,
    path = "/v2/map",
    tag = "v2",
    request_body = super::schemas::MapRequest,
    responses((status = 200, description = "The site's URLs", body = MapResponse), V2Errors)
)]
pub async fn map(
    State(state): State<AppState>,
    caller: Caller,
    V2Json(req): V2Json<MapRequest>,
) -> AppResult<Json<Value>> {
    caller.require_scope(Scope::Map)?;
    let mut errors = Vec::new();
    let start = parse_http_url("url", &req.url)
        .map_err(|e| errors.push(e))
        .ok();
    let limit = req.limit.unwrap_or(MAP_DEFAULT_LIMIT);
    if limit == 0 || limit > MAP_MAX_LIMIT {
        errors.push(FieldError::new(
            "limit",
            format!("must be between 1 and {MAP_MAX_LIMIT}"),
        ));
    }
    let timeout = req.timeout.unwrap_or(30_000);
    if !(1_000..=300_000).contains(&timeout) {
        errors.push(FieldError::new(
            "timeout",
            "must be between 1000 and 300000 milliseconds",
        ));
    }
    let Some(start) = start.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let work = discover(&state, &start, &req);
    let found = tokio::time::timeout(Duration::from_millis(timeout), work)
        .await
        .map_err(|_| AppError::Fetch(FetchError::Timeout(timeout)))??;

    let norm = NormalizeOptions {
        ignore_query_parameters: req.ignore_query_parameters,
    };
    let host = start.host_str().unwrap_or_default().to_ascii_lowercase();
    let domain = host.strip_prefix("www.").unwrap_or(&host).to_string();
    let search = req.search.as_deref().map(str::to_lowercase);
    let mut seen = HashSet::new();
    let mut links = Vec::new();
    for (url, title, description) in found {
        let h = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let same = h == domain || h == format!("www.{domain}");
        let sub = h.ends_with(&format!(".{domain}"));
        if !(same || (req.include_subdomains && sub)) {
            continue;
        }
        let url = normalize(&url, &norm).to_string();
        if search
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
        if links.len() as u64 >= limit {
            break;
        }
    }
    Ok(Json(json!({ "success": true, "links": links })))
}

type Found = Vec<(Url, Option<String>, Option<String>)>;

/// The start page (with its title), its links, then the sitemap's URLs.
async fn discover(state: &AppState, start: &Url, req: &MapRequest) -> AppResult<Found> {
    let mut found: Found = Vec::new();
    if req.sitemap != SitemapMode::Only {
        let plan = ScrapeOptions {
            formats: Some(vec![json!("links")]),
            ..Default::default()
        }
        .validate("")
        .map_err(AppError::Validation)?;
        let page = state.scraper.scrape(start, &plan).await?;
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
    if req.sitemap != SitemapMode::Skip {
        let hosts = Arc::new(Hosts::new(
            state.scraper.fetcher().clone(),
            state.config.fetch.user_agent.clone(),
            1,
            Duration::ZERO,
            true,
        ));
        let urls = sitemap_urls(&state.scraper, &hosts, start).await;
        found.extend(urls.into_iter().map(|u| (u, None, None)));
    }
    Ok(found)
}
