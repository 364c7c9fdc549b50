//! Scrape options as Firecrawl's v2 API names them. Which fields exist and which values
//! this instance refuses is [`crate::request_fields`]'s to say (handlers check a body
//! there first); the ones read here are validated, and every broken rule names its field.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::FieldError;

/// An output the caller can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Format {
    Markdown,
    Html,
    RawHtml,
    Links,
    Images,
    /// Trawl's own: word count, reading time, outline, link counts, keywords, hash.
    Analysis,
}

impl Format {
    fn parse(name: &str) -> Option<Format> {
        Some(match name {
            "markdown" => Format::Markdown,
            "html" => Format::Html,
            "rawHtml" | "raw_html" | "raw-html" => Format::RawHtml,
            "links" => Format::Links,
            "images" => Format::Images,
            "analysis" => Format::Analysis,
            _ => return None,
        })
    }
}

/// Firecrawl formats this server knows of but cannot produce (they need a browser or a
/// language model); asking for one is a clear 400 rather than a silently missing field.
const UNSUPPORTED_FORMATS: &[&str] = &[
    "screenshot",
    "summary",
    "json",
    "changeTracking",
    "branding",
    "product",
    "menu",
    "audio",
    "video",
    "query",
    "question",
    "highlights",
];

/// The body of `POST /v2/scrape` minus `url`, and a crawl's `scrapeOptions`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ScrapeOptions {
    /// Strings or `{"type": …}` objects; validated by [`ScrapeOptions::validate`].
    pub formats: Option<Vec<Value>>,
    pub only_main_content: bool,
    pub include_tags: Vec<String>,
    pub exclude_tags: Vec<String>,
    pub headers: Option<serde_json::Map<String, Value>>,
    /// Milliseconds for the whole fetch.
    pub timeout: Option<u64>,
    pub remove_base64_images: bool,
    /// Milliseconds a cached answer may be old. Pages are always fetched fresh, which
    /// satisfies any bound; only its type and sign are checked.
    pub max_age: Option<i64>,
    /// `false`: the page is returned and not stored.
    pub store_in_cache: bool,
    /// Nothing of the request is stored, and nothing but ids and counts is logged.
    pub zero_data_retention: bool,
    /// Accept the site's certificate without verifying it (Firecrawl's option; the
    /// address is still checked by the SSRF guard). Absent: verify.
    pub skip_tls_verification: bool,
    /// Both values are honoured as they are: no ad or other subresource is ever loaded,
    /// and every fetch takes the fast path.
    pub block_ads: bool,
    pub fast_mode: bool,
}

impl Default for ScrapeOptions {
    fn default() -> Self {
        ScrapeOptions {
            formats: None,
            only_main_content: true,
            include_tags: Vec::new(),
            exclude_tags: Vec::new(),
            headers: None,
            timeout: None,
            remove_base64_images: true,
            max_age: None,
            store_in_cache: true,
            zero_data_retention: false,
            skip_tls_verification: false,
            block_ads: true,
            fast_mode: false,
        }
    }
}

/// Validated options, ready for [`super::Scraper`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScrapePlan {
    pub formats: Vec<Format>,
    pub only_main_content: bool,
    pub include_tags: Vec<String>,
    pub exclude_tags: Vec<String>,
    pub headers: Vec<(String, String)>,
    pub timeout: Option<Duration>,
    pub remove_base64_images: bool,
    /// Whether the page may be stored (`storeInCache`, and not `zeroDataRetention`).
    pub store: bool,
    pub zero_data_retention: bool,
    pub skip_tls_verification: bool,
}

impl Default for ScrapePlan {
    fn default() -> Self {
        ScrapeOptions::default()
            .validate("")
            .expect("the defaults are valid")
    }
}

impl ScrapePlan {
    pub fn wants(&self, f: Format) -> bool {
        self.formats.contains(&f)
    }
}

/// At most this many `includeTags` (and as many `excludeTags`),
pub const MAX_SELECTORS: usize = 100;
/// of at most this many bytes in all.
pub const MAX_SELECTOR_BYTES: usize = 4 * 1024;

pub const MIN_TIMEOUT_MS: u64 = 1_000;
pub const MAX_TIMEOUT_MS: u64 = 300_000;

impl ScrapeOptions {
    /// Checks every known field; `prefix` names where these options sit in the request
    /// (`""` for a scrape, `"scrapeOptions."` inside a crawl).
    pub fn validate(&self, prefix: &str) -> Result<ScrapePlan, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut formats = Vec::new();
        match &self.formats {
            None => formats.push(Format::Markdown),
            Some(list) if list.is_empty() => errors.push(FieldError::new(
                format!("{prefix}formats"),
                "must name at least one format",
            )),
            Some(list) => {
                for (i, item) in list.iter().enumerate() {
                    let field = format!("{prefix}formats[{i}]");
                    let name = match item {
                        Value::String(s) => Some(s.as_str()),
                        Value::Object(o) => o.get("type").and_then(Value::as_str),
                        _ => None,
                    };
                    match name {
                        None => errors.push(FieldError::new(
                            field,
                            "must be a format name or an object with a \"type\"",
                        )),
                        Some(n) => match Format::parse(n) {
                            Some(f) if !formats.contains(&f) => formats.push(f),
                            Some(_) => {}
                            None if UNSUPPORTED_FORMATS.contains(&n) => {
                                errors.push(FieldError::new(
                                    field,
                                    format!("format \"{n}\" is not supported by this server"),
                                ))
                            }
                            None => errors.push(FieldError::new(
                                field,
                                "must be one of markdown, html, rawHtml, links, images, analysis",
                            )),
                        },
                    }
                }
            }
        }
        for (name, list) in [
            ("includeTags", &self.include_tags),
            ("excludeTags", &self.exclude_tags),
        ] {
            // Selectors are parsed here and matched against every element of every
            // page, so request input may only ask for a bounded amount of that work.
            if list.len() > MAX_SELECTORS {
                errors.push(FieldError::new(
                    format!("{prefix}{name}"),
                    format!("must hold at most {MAX_SELECTORS} selectors"),
                ));
                continue;
            }
            if list.iter().map(String::len).sum::<usize>() > MAX_SELECTOR_BYTES {
                errors.push(FieldError::new(
                    format!("{prefix}{name}"),
                    format!("must hold at most {MAX_SELECTOR_BYTES} bytes of selectors in all"),
                ));
                continue;
            }
            if let Some(i) = list
                .iter()
                .position(|sel| !trawl_extract::is_valid_selector(sel))
            {
                errors.push(FieldError::new(
                    format!("{prefix}{name}[{i}]"),
                    "must be a valid CSS selector",
                ));
            }
        }
        let mut headers = Vec::new();
        if let Some(map) = &self.headers {
            for (k, v) in map {
                match v.as_str() {
                    Some(v)
                        if reqwest::header::HeaderName::from_bytes(k.as_bytes()).is_ok()
                            && reqwest::header::HeaderValue::from_str(v).is_ok() =>
                    {
                        headers.push((k.clone(), v.to_string()))
                    }
                    _ => errors.push(FieldError::new(
                        format!("{prefix}headers.{k}"),
                        "must be a valid header name with a string value",
                    )),
                }
            }
        }
        if let Some(t) = self.timeout {
            if !(MIN_TIMEOUT_MS..=MAX_TIMEOUT_MS).contains(&t) {
                errors.push(FieldError::new(
                    format!("{prefix}timeout"),
                    format!("must be between {MIN_TIMEOUT_MS} and {MAX_TIMEOUT_MS} milliseconds"),
                ));
            }
        }
        if self.max_age.is_some_and(|a| a < 0) {
            errors.push(FieldError::new(
                format!("{prefix}maxAge"),
                "must be a non-negative number of milliseconds",
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ScrapePlan {
            formats,
            only_main_content: self.only_main_content,
            include_tags: self.include_tags.clone(),
            exclude_tags: self.exclude_tags.clone(),
            headers,
            timeout: self.timeout.map(Duration::from_millis),
            remove_base64_images: self.remove_base64_images,
            store: self.store_in_cache && !self.zero_data_retention,
            zero_data_retention: self.zero_data_retention,
            skip_tls_verification: self.skip_tls_verification,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn options(v: Value) -> ScrapeOptions {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn defaults_ask_for_main_content_markdown() {
        let plan = ScrapeOptions::default().validate("").unwrap();
        assert_eq!(plan.formats, vec![Format::Markdown]);
        assert!(plan.only_main_content);
        assert!(plan.remove_base64_images);
        assert!(plan.store && !plan.zero_data_retention && !plan.skip_tls_verification);
    }

    #[test]
    fn either_privacy_option_keeps_the_page_out_of_the_store() {
        let plan = options(json!({"storeInCache": false}))
            .validate("")
            .unwrap();
        assert!(!plan.store && !plan.zero_data_retention);
        let plan = options(json!({"zeroDataRetention": true}))
            .validate("")
            .unwrap();
        assert!(!plan.store && plan.zero_data_retention);
    }

    #[test]
    fn formats_accept_strings_and_typed_objects() {
        let plan = options(json!({
            "formats": ["markdown", {"type": "rawHtml"}, "links", "links"],
            "storeInCache": true
        }))
        .validate("")
        .unwrap();
        assert_eq!(
            plan.formats,
            vec![Format::Markdown, Format::RawHtml, Format::Links]
        );
    }

    #[test]
    fn an_unsupported_format_is_named_with_its_index() {
        let errs = options(json!({"formats": ["markdown", "screenshot"]}))
            .validate("scrapeOptions.")
            .unwrap_err();
        assert_eq!(errs[0].field, "scrapeOptions.formats[1]");
        assert!(errs[0].rule.contains("screenshot"), "{:?}", errs[0]);
    }

    #[test]
    fn a_bad_selector_timeout_and_max_age_are_each_reported() {
        let errs = options(json!({
            "includeTags": ["article", "[[["], "timeout": 500
        }))
        .validate("")
        .unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["includeTags[1]", "timeout"]);
        let errs = options(json!({"maxAge": -1})).validate("").unwrap_err();
        assert_eq!(errs[0].field, "maxAge");
    }
}
