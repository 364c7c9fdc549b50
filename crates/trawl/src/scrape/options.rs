//! Scrape options as Firecrawl's v2 API names them. Unknown fields are accepted and
//! ignored (SDKs send many we have no use for); the ones we know are validated, and every
//! broken rule names its field.

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
    /// Milliseconds. Accepted for compatibility; there is no browser to wait in.
    pub wait_for: u64,
    /// Milliseconds for the whole fetch.
    pub timeout: Option<u64>,
    pub remove_base64_images: bool,
}

impl Default for ScrapeOptions {
    fn default() -> Self {
        ScrapeOptions {
            formats: None,
            only_main_content: true,
            include_tags: Vec::new(),
            exclude_tags: Vec::new(),
            headers: None,
            wait_for: 0,
            timeout: None,
            remove_base64_images: true,
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
            } else if self.wait_for > t / 2 {
                errors.push(FieldError::new(
                    format!("{prefix}waitFor"),
                    "must be at most half of timeout",
                ));
            }
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
    }

    #[test]
    fn formats_accept_strings_and_typed_objects_and_ignore_unknown_fields() {
        let plan = options(json!({
            "formats": ["markdown", {"type": "rawHtml"}, "links", "links"],
            "mobile": false, "storeInCache": true, "origin": "python-sdk@4.54.0"
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
    fn a_bad_selector_timeout_and_wait_are_each_reported() {
        let errs = options(json!({
            "includeTags": ["article", "[[["], "timeout": 500
        }))
        .validate("")
        .unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["includeTags[1]", "timeout"]);
        let errs = options(json!({"timeout": 4000, "waitFor": 3000}))
            .validate("")
            .unwrap_err();
        assert_eq!(errs[0].field, "waitFor");
    }
}
