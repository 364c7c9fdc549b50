//! The shapes of Firecrawl's v2 bodies, for the OpenAPI document. The handlers build
//! these bodies as JSON in exactly the shapes Firecrawl's SDKs read (the SDK tests pin
//! them); these types describe them, and schemathesis checks every response against them.

#![expect(dead_code, reason = "documentation types: never built, only described")]

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::crawl::SitemapMode;
use crate::scrape::PageDocument;

/// Scrape options, beside `url` at the top level of a scrape or batch request, or in a
/// crawl's `scrapeOptions`. A field Firecrawl does not define is refused, and so is a
/// Firecrawl option this instance cannot honour (`waitFor`, `actions`, `mobile`,
/// `location`, a `proxy` other than basic, …) unless its value asks for nothing: the 400
/// names the field and says why.
#[derive(Serialize, ToSchema)]
#[schema(as = ScrapeOptions)]
#[serde(rename_all = "camelCase")]
pub struct ScrapeOptionsDoc {
    /// `markdown` (default), `html`, `rawHtml`, `links`, `images`, `analysis`, as strings
    /// or `{"type": …}` objects. Formats that need a browser or a language model
    /// (`screenshot`, `json`, `summary`, …) are refused with a 400 naming them.
    formats: Option<Vec<Value>>,
    /// Default true.
    only_main_content: Option<bool>,
    include_tags: Option<Vec<String>>,
    exclude_tags: Option<Vec<String>>,
    /// Request headers to send (string values).
    #[schema(value_type = Option<Object>)]
    headers: Option<Value>,
    /// Milliseconds for the whole fetch.
    timeout: Option<u64>,
    /// Default true.
    remove_base64_images: Option<bool>,
    /// Milliseconds a cached answer may be old; pages are always fetched fresh.
    #[schema(minimum = 0)]
    max_age: Option<u64>,
    /// Default true; false: the page is returned and not stored.
    store_in_cache: Option<bool>,
    /// Nothing of the request is stored; only ids and counts are logged.
    zero_data_retention: Option<bool>,
    /// Accept the site's TLS certificate unverified. Default false.
    skip_tls_verification: Option<bool>,
    /// No ad (nor any other subresource) is ever loaded; both values are accepted.
    block_ads: Option<bool>,
    /// Every fetch takes the fast path; both values are accepted.
    fast_mode: Option<bool>,
}

/// `POST /v2/scrape`: a URL and the scrape options beside it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScrapeRequest {
    /// An absolute http(s) URL.
    url: String,
    #[serde(flatten)]
    options: ScrapeOptionsDoc,
}

#[derive(Serialize, ToSchema)]
pub struct ScrapeResponse {
    /// Always true.
    success: bool,
    data: PageDocument,
}

/// `POST /v2/map`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MapRequest {
    url: String,
    /// Only URLs containing this text (case-insensitive).
    search: Option<String>,
    sitemap: Option<SitemapMode>,
    /// Default true.
    include_subdomains: Option<bool>,
    /// Default true.
    ignore_query_parameters: Option<bool>,
    /// Default 5000.
    #[schema(minimum = 1, maximum = 30000)]
    limit: Option<u64>,
    /// Milliseconds; default 30000.
    #[schema(minimum = 1000, maximum = 300000)]
    timeout: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct MapLink {
    url: String,
    title: Option<String>,
    description: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MapResponse {
    success: bool,
    links: Vec<MapLink>,
}

/// `POST /v2/crawl`. Unknown fields, and options this instance cannot honour, are refused
/// with a 400 naming them.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CrawlRequest {
    url: String,
    /// Pages at most.
    limit: Option<u64>,
    max_discovery_depth: Option<u32>,
    /// Regular expressions a URL's path must match.
    include_paths: Option<Vec<String>>,
    /// Regular expressions that exclude a URL's path.
    exclude_paths: Option<Vec<String>>,
    #[serde(rename = "regexOnFullURL")]
    regex_on_full_url: Option<bool>,
    allow_subdomains: Option<bool>,
    allow_external_links: Option<bool>,
    crawl_entire_domain: Option<bool>,
    sitemap: Option<SitemapMode>,
    ignore_query_parameters: Option<bool>,
    ignore_robots_txt: Option<bool>,
    #[serde(rename = "deduplicateSimilarURLs")]
    deduplicate_similar_urls: Option<bool>,
    /// Seconds between two requests to one host.
    delay: Option<f64>,
    max_concurrency: Option<u32>,
    scrape_options: Option<ScrapeOptionsDoc>,
    /// A URL or `{url, headers, metadata, events}`.
    #[schema(value_type = Option<Object>)]
    webhook: Option<Value>,
}

/// `POST /v2/batch/scrape`: URLs, with the scrape options beside them. Send
/// `x-idempotency-key: <uuid>` to start it at most once.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BatchScrapeRequest {
    /// 1 to 10000 absolute http(s) URLs.
    urls: Vec<String>,
    /// Skip invalid URLs (listed in `invalidURLs`) instead of refusing the batch.
    #[serde(rename = "ignoreInvalidURLs")]
    ignore_invalid_urls: Option<bool>,
    max_concurrency: Option<u32>,
    #[schema(value_type = Option<Object>)]
    webhook: Option<Value>,
    #[serde(flatten)]
    options: ScrapeOptionsDoc,
}

#[derive(Serialize, ToSchema)]
pub struct JobStarted {
    success: bool,
    id: Uuid,
    /// Where to poll its status.
    url: String,
}

#[derive(Serialize, ToSchema)]
pub struct BatchStarted {
    success: bool,
    id: Uuid,
    url: String,
    /// URLs skipped with `ignoreInvalidURLs`.
    #[serde(rename = "invalidURLs")]
    invalid_urls: Vec<String>,
}

/// Firecrawl's status words.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobStatusWord {
    Scraping,
    Completed,
    Failed,
    Cancelled,
}

/// A crawl's or batch's progress and one page of its documents.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobStatus {
    success: bool,
    status: JobStatusWord,
    completed: u64,
    total: u64,
    credits_used: u64,
    /// RFC 3339.
    expires_at: String,
    /// The URL of the next page of documents, while more are stored.
    next: Option<String>,
    data: Vec<PageDocument>,
}

#[derive(Serialize, ToSchema)]
pub struct Cancelled {
    success: bool,
    /// Always `cancelled`.
    status: String,
}

#[derive(Serialize, ToSchema)]
pub struct JobError {
    id: Uuid,
    /// RFC 3339.
    timestamp: Option<String>,
    url: String,
    code: Option<String>,
    error: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobErrors {
    errors: Vec<JobError>,
    /// URLs robots.txt refused.
    robots_blocked: Vec<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActiveCrawl {
    id: Uuid,
    team_id: Uuid,
    url: String,
    #[schema(value_type = Object)]
    options: Value,
}

#[derive(Serialize, ToSchema)]
pub struct ActiveCrawls {
    success: bool,
    crawls: Vec<ActiveCrawl>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConcurrencyData {
    concurrency: u64,
    max_concurrency: u64,
}

#[derive(Serialize, ToSchema)]
pub struct Concurrency {
    success: bool,
    data: ConcurrencyData,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueueStatus {
    success: bool,
    jobs_in_queue: u64,
    active_jobs_in_queue: u64,
    waiting_jobs_in_queue: u64,
    max_concurrency: u64,
    /// Always null: not tracked.
    most_recent_success: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreditData {
    remaining_credits: i64,
    plan_credits: i64,
}

/// A self-hosted instance has no credits: reported as a large fixed number.
#[derive(Serialize, ToSchema)]
pub struct CreditUsage {
    success: bool,
    data: CreditData,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenData {
    remaining_tokens: i64,
}

#[derive(Serialize, ToSchema)]
pub struct TokenUsage {
    success: bool,
    data: TokenData,
}
