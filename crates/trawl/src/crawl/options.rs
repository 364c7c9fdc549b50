//! Crawl requests as Firecrawl's v2 API names them, validated into a [`CrawlPlan`].

use std::time::{Duration, Instant};

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use crate::config::CrawlConfig;
use crate::error::FieldError;
use crate::scrape::{ScrapeOptions, ScrapePlan};

/// Where start URLs come from besides links (`sitemap` in Firecrawl v2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SitemapMode {
    /// Sitemap URLs and links.
    #[default]
    Include,
    /// Links only.
    Skip,
    /// Sitemap URLs only; links are not followed.
    Only,
}

/// The body of `POST /v2/crawl`. Unknown fields are ignored.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CrawlRequest {
    pub url: String,
    pub limit: Option<u64>,
    pub max_discovery_depth: Option<u32>,
    pub include_paths: Vec<String>,
    pub exclude_paths: Vec<String>,
    #[serde(rename = "regexOnFullURL")]
    pub regex_on_full_url: bool,
    pub allow_subdomains: bool,
    pub allow_external_links: bool,
    pub crawl_entire_domain: bool,
    pub sitemap: SitemapMode,
    pub ignore_query_parameters: bool,
    pub ignore_robots_txt: bool,
    /// Accepted; URLs are always deduplicated after normalisation.
    #[serde(rename = "deduplicateSimilarURLs")]
    pub deduplicate_similar_urls: bool,
    /// Seconds between two requests to one host.
    pub delay: Option<f64>,
    pub max_concurrency: Option<u32>,
    pub scrape_options: ScrapeOptions,
    /// A URL or `{url, headers, metadata, events}`; kept for webhook delivery.
    pub webhook: Option<Value>,
}

impl Default for CrawlRequest {
    fn default() -> Self {
        CrawlRequest {
            url: String::new(),
            limit: None,
            max_discovery_depth: None,
            include_paths: Vec::new(),
            exclude_paths: Vec::new(),
            regex_on_full_url: false,
            allow_subdomains: false,
            allow_external_links: false,
            crawl_entire_domain: false,
            sitemap: SitemapMode::Include,
            ignore_query_parameters: false,
            ignore_robots_txt: false,
            deduplicate_similar_urls: true,
            delay: None,
            max_concurrency: None,
            scrape_options: ScrapeOptions::default(),
            webhook: None,
        }
    }
}

/// The body of `POST /v2/batch/scrape`: URLs, with the scrape options at the top level.
/// Read it with [`BatchRequest::from_json`]: the options sit beside the batch's own
/// fields, and reading both from the same object (rather than `#[serde(flatten)]`)
/// keeps field names in error messages.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BatchRequest {
    pub urls: Vec<String>,
    #[serde(rename = "ignoreInvalidURLs")]
    pub ignore_invalid_urls: bool,
    pub max_concurrency: Option<u32>,
    pub webhook: Option<Value>,
    #[serde(skip)]
    pub scrape: ScrapeOptions,
}

/// Most URLs one batch may hold.
pub const MAX_BATCH_URLS: usize = 10_000;

/// Reads a `T` from a JSON value, naming the offending field on failure
/// (`limit: invalid type: string "x", expected u64`).
pub fn from_json<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, FieldError> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." {
            "body".to_string()
        } else {
            path
        };
        FieldError::new(field, e.into_inner().to_string())
    })
}

impl BatchRequest {
    pub fn from_json(v: &Value) -> Result<BatchRequest, FieldError> {
        let mut request: BatchRequest = from_json(v)?;
        request.scrape = from_json(v)?;
        Ok(request)
    }
    /// The batch as a crawl that follows no links; also returns the URLs skipped as
    /// invalid when `ignoreInvalidURLs` is set.
    pub fn validate(
        &self,
        config: &CrawlConfig,
    ) -> Result<(CrawlPlan, Vec<String>), Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut valid = Vec::new();
        let mut invalid = Vec::new();
        if self.urls.is_empty() || self.urls.len() > MAX_BATCH_URLS {
            errors.push(FieldError::new(
                "urls",
                format!("must hold between 1 and {MAX_BATCH_URLS} URLs"),
            ));
        }
        for (i, raw) in self.urls.iter().enumerate() {
            match parse_http_url(&format!("urls[{i}]"), raw) {
                Ok(u) => valid.push(u),
                Err(_) if self.ignore_invalid_urls => invalid.push(raw.clone()),
                Err(e) => errors.push(e),
            }
        }
        if valid.is_empty() && errors.is_empty() {
            errors.push(FieldError::new("urls", "must hold at least one valid URL"));
        }
        let request = CrawlRequest {
            url: valid.first().map(|u| u.to_string()).unwrap_or_default(),
            limit: Some(valid.len().max(1) as u64),
            sitemap: SitemapMode::Skip,
            max_concurrency: self.max_concurrency,
            scrape_options: self.scrape.clone(),
            ..Default::default()
        };
        let plan = request.validate(config).map_err(|e| errors.extend(e)).ok();
        match plan {
            Some(mut plan) if errors.is_empty() => {
                plan.seeds = valid.into_iter().skip(1).collect();
                plan.follow_links = false;
                // Like single scrapes, the URLs were named by the caller: no robots.txt.
                plan.obey_robots = false;
                Ok((plan, invalid))
            }
            _ => Err(errors),
        }
    }
}

pub const DEFAULT_LIMIT: u64 = 10_000;
pub const MAX_LIMIT: u64 = 1_000_000;

/// A validated crawl, ready for the engine.
#[derive(Debug, Clone)]
pub struct CrawlPlan {
    pub start: Url,
    pub limit: u64,
    pub max_depth: Option<u32>,
    pub include: Vec<Regex>,
    pub exclude: Vec<Regex>,
    pub regex_on_full_url: bool,
    pub allow_subdomains: bool,
    pub allow_external_links: bool,
    pub crawl_entire_domain: bool,
    pub sitemap: SitemapMode,
    pub ignore_query_parameters: bool,
    pub obey_robots: bool,
    pub concurrency: usize,
    pub host_concurrency: usize,
    pub delay: Duration,
    pub max_retries: u32,
    pub scrape: ScrapePlan,
    /// Further start URLs, admitted whatever the scope (a batch scrape's list).
    pub seeds: Vec<Url>,
    /// Whether links found on pages are followed (false for a batch scrape).
    pub follow_links: bool,
}

/// Parses an absolute http(s) URL, the way every endpoint wants one.
pub fn parse_http_url(field: &str, raw: &str) -> Result<Url, FieldError> {
    let invalid = || FieldError::new(field, "must be an absolute http or https URL");
    let raw = raw.trim();
    // Firecrawl reads an address without a scheme (`example.com/a`) as `http://…`; its
    // users and SDKs rely on that. Without `://`, a leading `name:` is a scheme
    // (`mailto:`, `javascript:`) unless a port number follows it (`example.com:8080`),
    // and the host must look like a domain or an address (a dot, or `[v6]`), as
    // Firecrawl requires, so that a stray word is not taken for a host.
    let url = if raw.contains("://") {
        Url::parse(raw).map_err(|_| invalid())?
    } else {
        if names_a_scheme(raw) {
            return Err(invalid());
        }
        let url = Url::parse(&format!("http://{raw}")).map_err(|_| invalid())?;
        let host = url.host_str().unwrap_or_default();
        if !(host.contains('.') || host.starts_with('[')) {
            return Err(invalid());
        }
        url
    };
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(invalid());
    }
    Ok(url)
}

/// `mailto:x` and `javascript:x` name a scheme; `example.com:8080/a` does not.
fn names_a_scheme(raw: &str) -> bool {
    let Some((head, rest)) = raw.split_once(':') else {
        return false;
    };
    let is_scheme = head.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && head
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    is_scheme && !rest.starts_with(|c: char| c.is_ascii_digit())
}

/// `limit`, or `default` when absent; a value outside `1..=max` is recorded in `errors`
/// (and `default` stands in, unused, since no plan is made). Crawl and map differ only
/// in their bounds.
pub(crate) fn checked_limit(
    limit: Option<u64>,
    default: u64,
    max: u64,
    errors: &mut Vec<FieldError>,
) -> u64 {
    FieldError::in_range("limit", limit, default, max).unwrap_or_else(|e| {
        errors.push(e);
        default
    })
}

/// Bounds on `includePaths` and `excludePaths`. A compiled pattern costs CPU in
/// proportion to its size, so request input may only ask for a bounded amount of it:
/// at most this many patterns per list,
pub const MAX_PATTERNS: usize = 100;
/// of at most this many bytes in all,
pub const MAX_PATTERN_BYTES: usize = 8 * 1024;
/// each compiling to at most this much memory (`\\w{100}` alone exceeds it),
const PATTERN_SIZE_LIMIT: usize = 256 * 1024;
/// and both lists together compiled within this time.
pub const PATTERN_BUDGET: Duration = Duration::from_millis(250);

/// Compiles one list of path patterns: duplicates are dropped, and the first invalid
/// pattern, an over-long list or a spent `deadline` ends the work with an error naming
/// the field. Compiling is CPU work: callers on the async runtime run validation
/// through `tokio::task::spawn_blocking`.
fn compile(
    field: &str,
    patterns: &[String],
    deadline: Instant,
    errors: &mut Vec<FieldError>,
) -> Vec<Regex> {
    if patterns.len() > MAX_PATTERNS {
        errors.push(FieldError::new(
            field,
            format!("must hold at most {MAX_PATTERNS} patterns"),
        ));
        return Vec::new();
    }
    if patterns.iter().map(String::len).sum::<usize>() > MAX_PATTERN_BYTES {
        errors.push(FieldError::new(
            field,
            format!("must hold at most {MAX_PATTERN_BYTES} bytes of patterns in all"),
        ));
        return Vec::new();
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (i, p) in patterns.iter().enumerate() {
        if !seen.insert(p.as_str()) {
            continue;
        }
        if Instant::now() >= deadline {
            errors.push(FieldError::new(
                field,
                format!(
                    "patterns too costly to compile within {} ms",
                    PATTERN_BUDGET.as_millis()
                ),
            ));
            return out;
        }
        match regex::RegexBuilder::new(p)
            .size_limit(PATTERN_SIZE_LIMIT)
            .build()
        {
            Ok(r) => out.push(r),
            Err(regex::Error::CompiledTooBig(_)) => {
                errors.push(FieldError::new(
                    format!("{field}[{i}]"),
                    "must be a simpler regular expression (it compiles too large)",
                ));
                return out;
            }
            Err(_) => {
                errors.push(FieldError::new(
                    format!("{field}[{i}]"),
                    "must be a valid regular expression",
                ));
                return out;
            }
        }
    }
    out
}

impl CrawlRequest {
    pub fn validate(&self, config: &CrawlConfig) -> Result<CrawlPlan, Vec<FieldError>> {
        let mut errors = Vec::new();
        let start = parse_http_url("url", &self.url)
            .map_err(|e| errors.push(e))
            .ok();
        let limit = checked_limit(self.limit, DEFAULT_LIMIT, MAX_LIMIT, &mut errors);
        let deadline = Instant::now() + PATTERN_BUDGET;
        let include = compile("includePaths", &self.include_paths, deadline, &mut errors);
        let exclude = compile("excludePaths", &self.exclude_paths, deadline, &mut errors);
        let delay = match self.delay {
            None => Duration::from_millis(config.delay_ms),
            Some(d) if d.is_finite() && (0.0..=60.0).contains(&d) => {
                Duration::from_secs_f64(d).max(Duration::from_millis(config.delay_ms))
            }
            Some(_) => {
                errors.push(FieldError::new("delay", "must be between 0 and 60 seconds"));
                Duration::ZERO
            }
        };
        let concurrency = match self.max_concurrency {
            None => config.concurrency,
            Some(n) if n >= 1 && n <= config.max_concurrency => n,
            Some(_) => {
                errors.push(FieldError::new(
                    "maxConcurrency",
                    format!("must be between 1 and {}", config.max_concurrency),
                ));
                1
            }
        };
        if self.ignore_robots_txt && !config.allow_ignore_robots {
            errors.push(FieldError::new(
                "ignoreRobotsTxt",
                "is not permitted on this instance (TRAWL_CRAWL_ALLOW_IGNORE_ROBOTS)",
            ));
        }
        let scrape = self
            .scrape_options
            .validate("scrapeOptions.")
            .map_err(|e| errors.extend(e))
            .ok();
        match (start, scrape) {
            (Some(start), Some(scrape)) if errors.is_empty() => Ok(CrawlPlan {
                start,
                limit,
                max_depth: self.max_discovery_depth,
                include,
                exclude,
                regex_on_full_url: self.regex_on_full_url,
                allow_subdomains: self.allow_subdomains,
                allow_external_links: self.allow_external_links,
                crawl_entire_domain: self.crawl_entire_domain,
                sitemap: self.sitemap,
                ignore_query_parameters: self.ignore_query_parameters,
                obey_robots: !self.ignore_robots_txt,
                concurrency: concurrency as usize,
                // Per-host limit never exceeds what the crawl runs in total.
                host_concurrency: config.host_concurrency.min(concurrency) as usize,
                delay,
                max_retries: config.max_retries,
                scrape,
                seeds: Vec::new(),
                follow_links: true,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(v: Value) -> CrawlRequest {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn an_address_without_a_scheme_is_read_as_http_as_firecrawl_does() {
        for (raw, want) in [
            ("example.com", "http://example.com/"),
            ("  example.com/a?b=1 ", "http://example.com/a?b=1"),
            ("www.example.com:8080/x", "http://www.example.com:8080/x"),
            ("127.0.0.1:3000", "http://127.0.0.1:3000/"),
            ("[::1]:80/", "http://[::1]/"),
            ("https://example.com", "https://example.com/"),
        ] {
            assert_eq!(parse_http_url("url", raw).unwrap().as_str(), want, "{raw}");
        }
        for raw in [
            "",
            "nope",
            "localhost:3000",
            "mailto:a@example.com",
            "javascript:alert(1)",
            "ftp://example.com/",
            "file:///etc/passwd",
            "not a url",
            "http://",
        ] {
            let err = parse_http_url("url", raw).unwrap_err();
            assert_eq!(err.field, "url", "{raw}");
            assert!(err.rule.contains("http or https"), "{raw}: {err:?}");
        }
    }

    #[test]
    fn a_python_sdk_body_validates_with_its_defaults() {
        let plan = request(json!({
            "url": "https://example.com/docs", "limit": 10, "maxDiscoveryDepth": 2,
            "includePaths": ["^/docs/.*"], "sitemap": "skip", "crawlEntireDomain": false,
            "allowExternalLinks": false, "allowSubdomains": false, "ignoreRobotsTxt": false,
            "ignoreQueryParameters": false, "deduplicateSimilarURLs": true,
            "regexOnFullURL": false, "zeroDataRetention": false, "delay": 1,
            "maxConcurrency": 2, "scrapeOptions": {"formats": ["markdown"]},
            "origin": "python-sdk@4.54.0"
        }))
        .validate(&CrawlConfig::default())
        .unwrap();
        assert_eq!(plan.limit, 10);
        assert_eq!(plan.concurrency, 2);
        assert_eq!(plan.host_concurrency, 2);
        assert_eq!(plan.delay, Duration::from_secs(1));
        assert_eq!(plan.sitemap, SitemapMode::Skip);
        assert!(plan.obey_robots);
    }

    #[test]
    fn every_broken_rule_names_its_field() {
        let errs = request(json!({
            "url": "ftp://example.com", "limit": 0, "includePaths": ["("],
            "delay": -1, "maxConcurrency": 100000, "ignoreRobotsTxt": true,
            "scrapeOptions": {"formats": ["bogus"]}
        }))
        .validate(&CrawlConfig::default())
        .unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "url",
                "limit",
                "includePaths[0]",
                "delay",
                "maxConcurrency",
                "ignoreRobotsTxt",
                "scrapeOptions.formats[0]"
            ]
        );
    }

    #[test]
    fn ignoring_robots_needs_the_instance_to_permit_it() {
        let config = CrawlConfig {
            allow_ignore_robots: true,
            ..Default::default()
        };
        let plan = request(json!({"url": "http://a.test/", "ignoreRobotsTxt": true}))
            .validate(&config)
            .unwrap();
        assert!(!plan.obey_robots);
    }
}
