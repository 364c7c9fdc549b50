//! `POST /v2/scrape` (synchronous: fetch and extract within `timeout`) and `POST /v2/map`.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};
use url::Url;

use super::schemas::{MapResponse, ScrapeRequest, ScrapeResponse};
use super::V2Json;
use crate::auth::{Caller, Scope};
use crate::crawl::map::{map_site, MapRequest};
use crate::crawl::options::{from_json, parse_http_url};
use crate::crawl::sink::new_document;
use crate::error::{AppError, AppResult, FieldError};
use crate::request_fields::{self, Body};

use crate::http::openapi::V2Errors;
use crate::http::AppState;
use crate::scrape::{ScrapeOptions, ScrapePlan};

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
    caller.require(Scope::Scrape)?;
    checked_fields(Body::Scrape, &body)?;
    // The options sit beside `url` at the top level; read both from the one object.
    let url: String = match body.get("url") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(AppError::invalid("url", "must be a string")),
    };
    let options: ScrapeOptions = from_json(&body).map_err(|e| AppError::Validation(vec![e]))?;
    let (url, plan) = validate(&url, &options)?;
    let scraped = state.scraper.scrape(&url, &plan).await?;
    let shown = scraped.document.clone().for_formats(&plan);
    // Every scraped page is one of the team's documents, and its id is the scrape's id,
    // unless the caller asked for it not to be kept (`storeInCache: false`,
    // `zeroDataRetention`): then the id names this answer only.
    let doc = new_document(url.as_str(), scraped.document, scraped.content_hash);
    let id = doc.id;
    if plan.store {
        state.documents.submit(caller.team_id, doc).await?;
    }
    Ok(Json(
        json!({ "success": true, "data": shown.to_response(id) }),
    ))
}

/// Discovers a site's URLs from its sitemaps and the links of its start page, without
/// storing any content (the `map` job kind does the same in the background).
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
    V2Json(body): V2Json<Value>,
) -> AppResult<Json<Value>> {
    caller.require(Scope::Map)?;
    checked_fields(Body::Map, &body)?;
    let req = MapRequest::from_json(&body).map_err(|e| AppError::Validation(vec![e]))?;
    let plan = req.validate().map_err(AppError::Validation)?;
    let links = map_site(&state.scraper, &state.config.fetch.user_agent, &plan).await?;
    Ok(Json(json!({ "success": true, "links": links })))
}

/// Refuses fields Firecrawl does not define and options this instance cannot honour.
pub(crate) fn checked_fields(body: Body, value: &Value) -> AppResult<()> {
    let errors = request_fields::check(body, value);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}
