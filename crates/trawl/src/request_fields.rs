//! Every field of Firecrawl's v2 request bodies (scrape, crawl, map, batch scrape), and
//! what this instance does with it. Nothing is accepted and ignored: a field is either
//! honoured (the endpoint's own parsing reads it and acts on it), a client label the SDKs
//! stamp on every request, or unsupported, in which case any value that asks for
//! something is refused with a 400 naming the field and saying why. A field Firecrawl does
//! not define is refused too, as Firecrawl's own server does, so a misspelt option never
//! passes silently.
//!
//! The tables are the one place this is decided; `tests/api/firecrawl_fields.rs` walks the
//! SDKs' request schemas against them.

use serde_json::{Map, Value};

use crate::error::FieldError;

/// Which request body a set of fields belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// `/v2/scrape`: answered at once, and may be kept out of the store.
    Scrape,
    /// A scrape that runs as a job (`/api/tasks/scrape`, a `scrape` job or schedule):
    /// its page is stored to be read back.
    StoredScrape,
    Crawl,
    Map,
    Batch,
}

impl Body {
    fn name(self) -> &'static str {
        match self {
            Body::Scrape | Body::StoredScrape => "scrape",
            Body::Crawl => "crawl",
            Body::Map => "map",
            Body::Batch => "batch scrape",
        }
    }
}

/// What this instance does with one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Read and acted on (its value is validated by the endpoint's own parsing).
    Honoured,
    /// A client label (`origin`, `integration`): names the caller, asks for nothing.
    Label,
    /// Not available here: only a value that asks for nothing passes.
    Unsupported { neutral: Neutral, why: &'static str },
}

/// The values of an unsupported field that ask for nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Neutral {
    /// `null` only.
    Null,
    /// `null` or `false`.
    False,
    /// `null` or `true`.
    True,
    /// `null`, or an empty list or object.
    Empty,
    /// `null` or `0`.
    Zero,
    /// `null` or one of these strings.
    OneOf(&'static [&'static str]),
}

impl Neutral {
    fn allows(self, v: &Value) -> bool {
        match (self, v) {
            (_, Value::Null) => true,
            (Neutral::False, Value::Bool(false)) => true,
            (Neutral::True, Value::Bool(true)) => true,
            (Neutral::Empty, Value::Array(a)) => a.is_empty(),
            (Neutral::Empty, Value::Object(o)) => o.is_empty(),
            (Neutral::Zero, Value::Number(n)) => n.as_f64() == Some(0.0),
            (Neutral::OneOf(ok), Value::String(s)) => ok.contains(&s.as_str()),
            _ => false,
        }
    }
}

const NO_BROWSER: &str = "it needs a browser, and this instance fetches pages without \
     rendering them (see the README)";
const NO_LLM: &str = "it needs a language model, which this instance does not have";
const NO_PROXY: &str = "this instance fetches directly from its own network, with no proxy \
     pool or choice of country";
const CLOUD_ONLY: &str = "it is a feature of Firecrawl's cloud service";

const fn unsupported(neutral: Neutral, why: &'static str) -> Rule {
    Rule::Unsupported { neutral, why }
}

/// The fields of a scrape's options: `/v2/scrape`'s body (beside `url`), a crawl's
/// `scrapeOptions`, and a batch's top level.
pub const SCRAPE_OPTIONS: &[(&str, Rule)] = &[
    ("formats", Rule::Honoured),
    ("onlyMainContent", Rule::Honoured),
    ("includeTags", Rule::Honoured),
    ("excludeTags", Rule::Honoured),
    ("headers", Rule::Honoured),
    ("timeout", Rule::Honoured),
    ("removeBase64Images", Rule::Honoured),
    // Pages are always fetched fresh, so an answer is never older than `maxAge`.
    ("maxAge", Rule::Honoured),
    // `false`: the page is returned and not stored.
    ("storeInCache", Rule::Honoured),
    ("zeroDataRetention", Rule::Honoured),
    ("skipTlsVerification", Rule::Honoured),
    // Nothing but the page itself is ever fetched, so no ad is loaded either way, and
    // every fetch takes the fast path.
    ("blockAds", Rule::Honoured),
    ("fastMode", Rule::Honoured),
    (
        "proxy",
        unsupported(Neutral::OneOf(&["basic", "auto"]), NO_PROXY),
    ),
    ("waitFor", unsupported(Neutral::Zero, NO_BROWSER)),
    ("mobile", unsupported(Neutral::False, NO_BROWSER)),
    ("actions", unsupported(Neutral::Empty, NO_BROWSER)),
    (
        "parsers",
        unsupported(
            Neutral::Empty,
            "this instance does not parse PDFs or images yet",
        ),
    ),
    ("location", unsupported(Neutral::Null, NO_PROXY)),
    (
        "minAge",
        unsupported(
            Neutral::Null,
            "this instance keeps no page cache to answer from",
        ),
    ),
    ("useMock", unsupported(Neutral::Null, CLOUD_ONLY)),
    ("lockdown", unsupported(Neutral::False, CLOUD_ONLY)),
    ("checkPromptInjection", unsupported(Neutral::False, NO_LLM)),
    ("redactPII", unsupported(Neutral::False, NO_LLM)),
    ("threatProtection", unsupported(Neutral::Null, CLOUD_ONLY)),
    ("auditMetadata", unsupported(Neutral::Null, CLOUD_ONLY)),
    ("profile", unsupported(Neutral::Null, NO_BROWSER)),
    ("domainTools", unsupported(Neutral::False, CLOUD_ONLY)),
    ("toolDetail", unsupported(Neutral::Null, CLOUD_ONLY)),
    ("origin", Rule::Label),
    ("integration", Rule::Label),
];

const SCRAPE: &[(&str, Rule)] = &[("url", Rule::Honoured)];

const CRAWL: &[(&str, Rule)] = &[
    ("url", Rule::Honoured),
    ("limit", Rule::Honoured),
    ("maxDiscoveryDepth", Rule::Honoured),
    ("includePaths", Rule::Honoured),
    ("excludePaths", Rule::Honoured),
    ("regexOnFullURL", Rule::Honoured),
    ("allowSubdomains", Rule::Honoured),
    ("allowExternalLinks", Rule::Honoured),
    ("crawlEntireDomain", Rule::Honoured),
    ("sitemap", Rule::Honoured),
    ("ignoreQueryParameters", Rule::Honoured),
    ("ignoreRobotsTxt", Rule::Honoured),
    (
        "deduplicateSimilarURLs",
        unsupported(
            Neutral::True,
            "this instance always deduplicates URLs after normalising them",
        ),
    ),
    ("delay", Rule::Honoured),
    ("maxConcurrency", Rule::Honoured),
    ("webhook", Rule::Honoured),
    ("scrapeOptions", Rule::Honoured),
    (
        "zeroDataRetention",
        unsupported(Neutral::False, STORED_PAGES),
    ),
    ("prompt", unsupported(Neutral::Null, NO_LLM)),
    (
        "robotsUserAgent",
        unsupported(
            Neutral::Null,
            "robots.txt is read for this instance's own user agent",
        ),
    ),
    ("origin", Rule::Label),
    ("integration", Rule::Label),
];

/// A crawl's or batch's pages are stored to be read back with its status: these options
/// of a single scrape cannot be honoured there.
const STORED_PAGES: &str = "a crawl's or batch's pages are stored to be read back; scrape \
     pages one at a time with /v2/scrape to keep them out of the store";
const JOB_PAGE_OPTIONS: &[(&str, Rule)] = &[
    ("storeInCache", unsupported(Neutral::True, STORED_PAGES)),
    (
        "zeroDataRetention",
        unsupported(Neutral::False, STORED_PAGES),
    ),
];

/// [`SCRAPE_OPTIONS`] as a crawl's `scrapeOptions` or a batch's top level reads them.
fn job_page_options() -> Vec<(&'static str, Rule)> {
    let mut all = JOB_PAGE_OPTIONS.to_vec();
    all.extend(
        SCRAPE_OPTIONS
            .iter()
            .filter(|(name, _)| !JOB_PAGE_OPTIONS.iter().any(|(n, _)| n == name)),
    );
    all
}

const BATCH: &[(&str, Rule)] = &[
    ("urls", Rule::Honoured),
    ("ignoreInvalidURLs", Rule::Honoured),
    ("maxConcurrency", Rule::Honoured),
    ("webhook", Rule::Honoured),
    (
        "appendToId",
        unsupported(
            Neutral::Null,
            "a batch cannot be extended once started; start another",
        ),
    ),
];

const MAP: &[(&str, Rule)] = &[
    ("url", Rule::Honoured),
    ("search", Rule::Honoured),
    ("sitemap", Rule::Honoured),
    ("includeSubdomains", Rule::Honoured),
    ("ignoreQueryParameters", Rule::Honoured),
    ("limit", Rule::Honoured),
    ("timeout", Rule::Honoured),
    ("location", unsupported(Neutral::Null, NO_PROXY)),
    ("threatProtection", unsupported(Neutral::Null, CLOUD_ONLY)),
    ("auditMetadata", unsupported(Neutral::Null, CLOUD_ONLY)),
    ("origin", Rule::Label),
    ("integration", Rule::Label),
];

/// The fields of a webhook given as an object.
const WEBHOOK: &[(&str, Rule)] = &[
    ("url", Rule::Honoured),
    ("headers", Rule::Honoured),
    ("metadata", Rule::Honoured),
    ("events", Rule::Honoured),
];

/// Every field of `body` with its rule (a batch's own fields, then the scrape options
/// beside them).
pub fn fields(body: Body) -> Vec<(&'static str, Rule)> {
    let own: &[(&str, Rule)] = match body {
        Body::Scrape | Body::StoredScrape => SCRAPE,
        Body::Crawl => CRAWL,
        Body::Map => MAP,
        Body::Batch => BATCH,
    };
    let mut all = own.to_vec();
    let options = match body {
        Body::Scrape => SCRAPE_OPTIONS.to_vec(),
        Body::Batch | Body::StoredScrape => job_page_options(),
        Body::Crawl | Body::Map => Vec::new(),
    };
    all.extend(
        options
            .into_iter()
            .filter(|(name, _)| !own.iter().any(|(n, _)| n == name)),
    );
    all
}

/// Checks the field names (and unsupported values) of a request body; the values of
/// honoured fields are the endpoint's own parsing's to check. One error per offending
/// field, in the body's order.
pub fn check(body: Body, value: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Value::Object(map) = value {
        check_object(body.name(), &fields(body), map, "", &mut errors);
        if body == Body::Crawl {
            if let Some(Value::Object(options)) = map.get("scrapeOptions") {
                let table = job_page_options();
                check_object("crawl", &table, options, "scrapeOptions.", &mut errors);
            }
        }
        if body != Body::Map {
            if let Some(Value::Object(hook)) = map.get("webhook") {
                check_object(body.name(), WEBHOOK, hook, "webhook.", &mut errors);
            }
        }
    }
    errors
}

fn check_object(
    endpoint: &str,
    table: &[(&str, Rule)],
    map: &Map<String, Value>,
    prefix: &str,
    errors: &mut Vec<FieldError>,
) {
    for (key, v) in map {
        let field = format!("{prefix}{key}");
        match table.iter().find(|(name, _)| name == key) {
            None => errors.push(FieldError::new(
                field,
                format!("is not a field of Firecrawl's v2 {endpoint} request; check its spelling"),
            )),
            Some((_, Rule::Unsupported { neutral, why })) if !neutral.allows(v) => errors.push(
                FieldError::new(field, format!("is not supported by this instance: {why}")),
            ),
            Some(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields_of(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn the_python_sdks_defaults_all_pass() {
        // What firecrawl-py sends as soon as any scrape option is set.
        let body = json!({
            "url": "https://example.com", "onlyMainContent": true, "mobile": false,
            "skipTlsVerification": true, "removeBase64Images": true, "fastMode": false,
            "blockAds": true, "maxAge": 14_400_000, "storeInCache": true,
            "origin": "python-sdk@4.50.0"
        });
        assert!(check(Body::Scrape, &body).is_empty());
        let crawl = json!({
            "url": "https://example.com", "sitemap": "include", "ignoreQueryParameters": false,
            "deduplicateSimilarURLs": true, "crawlEntireDomain": false,
            "allowExternalLinks": false, "allowSubdomains": false, "ignoreRobotsTxt": false,
            "regexOnFullURL": false, "zeroDataRetention": false,
            "scrapeOptions": body.as_object().unwrap().iter()
                .filter(|(k, _)| *k != "url").map(|(k, v)| (k.clone(), v.clone()))
                .collect::<Map<_, _>>(),
            "webhook": {"url": "https://hook.example/x", "events": ["page"], "headers": {}, "metadata": {}},
        });
        assert!(
            check(Body::Crawl, &crawl).is_empty(),
            "{:?}",
            check(Body::Crawl, &crawl)
        );
    }

    #[test]
    fn values_that_ask_for_something_missing_are_refused_with_the_reason() {
        let body = json!({
            "url": "https://example.com", "waitFor": 1000, "mobile": true,
            "actions": [{"type": "wait", "milliseconds": 1}], "proxy": "stealth",
            "location": {"country": "DE"}, "actions2": 1
        });
        let errors = check(Body::Scrape, &body);
        assert_eq!(
            fields_of(&errors),
            ["actions", "actions2", "location", "mobile", "proxy", "waitFor"]
        );
        assert!(errors[0].rule.contains("browser"), "{:?}", errors[0]);
        assert!(errors[1].rule.contains("not a field"), "{:?}", errors[1]);
        let neutral = json!({"url": "x", "waitFor": 0, "mobile": false, "actions": [],
            "proxy": "basic", "location": null, "parsers": []});
        assert!(check(Body::Scrape, &neutral).is_empty());
    }

    #[test]
    fn nested_scrape_options_and_webhook_objects_are_checked_with_their_path() {
        let body = json!({
            "url": "https://example.com", "prompt": "only blog posts",
            "scrapeOptions": {"waitFor": 500, "formats": ["markdown"]},
            "webhook": {"url": "https://hook.example/", "secret": "x"}
        });
        assert_eq!(
            fields_of(&check(Body::Crawl, &body)),
            ["prompt", "scrapeOptions.waitFor", "webhook.secret"]
        );
    }

    #[test]
    fn a_batch_takes_scrape_options_at_its_top_level() {
        let body = json!({"urls": ["https://example.com"], "formats": ["links"],
            "onlyMainContent": false, "appendToId": "x", "origin": "js-sdk@4.42.0"});
        assert_eq!(fields_of(&check(Body::Batch, &body)), ["appendToId"]);
    }
}
