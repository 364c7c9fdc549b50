//! One page: fetch it through the guarded [`Fetcher`], extract it with `trawl-extract`,
//! and shape the result as Firecrawl's v2 document.

pub mod bench;
pub mod job;
pub mod options;
pub mod writer;

use serde::{Deserialize, Serialize};
use url::Url;
use uuid::Uuid;

use crate::fetch::{ContentKind, FetchError, FetchOptions, FetchedPage, Fetcher};
use crate::store::crawl::StoredDocument;
pub use options::{Format, ScrapeOptions, ScrapePlan};
use trawl_extract::{Analysis, ExtractOptions, Metadata};

/// A scraped page in the shape Firecrawl's SDKs read; formats not asked for are absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PageDocument {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub markdown: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_html: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub images: Option<Vec<String>>,
    /// Trawl's analysis; present when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub analysis: Option<Analysis>,
    /// Title, description, language, `sourceURL`, `url`, `statusCode`, and the page's
    /// other meta tags.
    #[schema(value_type = Object)]
    pub metadata: Metadata,
    /// Something the caller should know about this page's content (Firecrawl's
    /// `warning`): e.g. that the page builds its content with JavaScript, which this
    /// instance does not run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

impl PageDocument {
    /// The document with only the formats `plan` asked for.
    pub fn for_formats(mut self, plan: &ScrapePlan) -> PageDocument {
        if !plan.wants(Format::Markdown) {
            self.markdown = None;
        }
        if !plan.wants(Format::Html) {
            self.html = None;
        }
        if !plan.wants(Format::RawHtml) {
            self.raw_html = None;
        }
        if !plan.wants(Format::Links) {
            self.links = None;
        }
        if !plan.wants(Format::Images) {
            self.images = None;
        }
        if !plan.wants(Format::Analysis) {
            self.analysis = None;
        }
        self
    }

    /// The page as every endpoint and webhook returns it (`/v2/scrape`, crawl and batch
    /// status, `/api/tasks/{id}/status`, `crawl.page` events): Firecrawl's document,
    /// whose metadata also carries `scrapeId` (the stored document's id), `creditsUsed`,
    /// `proxyUsed`, `cacheState`, and `error` when the page answered an HTTP error.
    /// Built here alone, so no endpoint's documents can be thinner than another's.
    pub fn to_response(&self, scrape_id: Uuid) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Some(m) = value
            .get_mut("metadata")
            .and_then(serde_json::Value::as_object_mut)
        {
            m.insert("scrapeId".into(), scrape_id.to_string().into());
            m.insert("creditsUsed".into(), 1.into());
            // Trawl fetches directly, with no proxy tier and no response cache.
            m.insert("proxyUsed".into(), "basic".into());
            m.insert("cacheState".into(), "miss".into());
            if let Some(status) = self.metadata.status_code.filter(|s| *s >= 400) {
                m.insert("error".into(), FetchError::Http(status).to_string().into());
            }
        }
        value
    }

    /// Rebuilds a stored page (see `crawl::sink::new_document`).
    pub fn from_stored(d: StoredDocument) -> PageDocument {
        let mut formats = match d.formats {
            serde_json::Value::Object(m) => m,
            _ => serde_json::Map::new(),
        };
        fn take<T: serde::de::DeserializeOwned>(
            m: &mut serde_json::Map<String, serde_json::Value>,
            k: &str,
        ) -> Option<T> {
            m.remove(k).and_then(|v| serde_json::from_value(v).ok())
        }
        PageDocument {
            html: take(&mut formats, "html"),
            raw_html: take(&mut formats, "rawHtml"),
            links: take(&mut formats, "links"),
            images: take(&mut formats, "images"),
            warning: take(&mut formats, "warning"),
            markdown: d.markdown,
            analysis: d.analysis.and_then(|a| serde_json::from_value(a).ok()),
            metadata: serde_json::from_value(d.metadata).unwrap_or_default(),
        }
    }
}

/// What a scrape produced: the document, and what a crawler needs besides.
#[derive(Debug, Clone)]
pub struct Scraped {
    pub document: PageDocument,
    /// Every link of the page, whether or not the caller asked for `links`.
    pub links: Vec<String>,
    pub final_url: Url,
    pub status: u16,
    pub retry_after: Option<u64>,
    /// Hex SHA-256 of the Markdown (change tracking, deduplication).
    pub content_hash: Option<String>,
}

/// Fetch + extract. Cheap to clone.
#[derive(Clone)]
pub struct Scraper {
    fetcher: Fetcher,
}

impl Scraper {
    pub fn new(fetcher: Fetcher) -> Self {
        Scraper { fetcher }
    }

    /// The HTTP client and SSRF guard under this scraper (webhooks deliver through it).
    pub fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }

    /// Fetches and extracts `url`. An HTTP error status is not an error here: the page
    /// comes back with its `statusCode` and the caller decides.
    pub async fn scrape(&self, url: &Url, plan: &ScrapePlan) -> Result<Scraped, FetchError> {
        let opts = FetchOptions {
            timeout: plan.timeout,
            headers: plan.headers.clone(),
            max_body_bytes: None,
            skip_tls_verification: plan.skip_tls_verification,
        };
        let page = self.fetcher.fetch(url, &opts).await?;
        extract_page(&page, plan)
    }
}

/// Turns a fetched body into a document. Pure CPU work; no I/O.
pub fn extract_page(page: &FetchedPage, plan: &ScrapePlan) -> Result<Scraped, FetchError> {
    let text = match page.kind {
        ContentKind::Binary => {
            return Err(FetchError::UnsupportedContent(
                page.content_type
                    .clone()
                    .unwrap_or_else(|| "an unknown binary type".into()),
            ))
        }
        _ => page.text(),
    };
    let (mut document, links, content_hash) = match page.kind {
        ContentKind::Html => {
            let opts = ExtractOptions {
                only_main_content: plan.only_main_content,
                include_tags: plan.include_tags.clone(),
                exclude_tags: plan.exclude_tags.clone(),
                remove_base64_images: plan.remove_base64_images,
                want_markdown: true,
                want_html: plan.wants(Format::Html),
                // Links are always extracted: a crawler follows them.
                want_links: true,
                want_images: plan.wants(Format::Images),
                want_analysis: true,
            };
            let mut doc = trawl_extract::extract(&text, &page.final_url, &opts);
            let links = doc.links.take().unwrap_or_default();
            let hash = doc.analysis.as_ref().map(|a| a.content_hash.clone());
            let warning = shell_warning(&text, doc.markdown.as_deref());
            let document = PageDocument {
                markdown: doc.markdown,
                html: doc.html,
                raw_html: None,
                // Copied only when the caller asked for them.
                links: plan.wants(Format::Links).then(|| links.clone()),
                images: doc.images,
                analysis: doc.analysis,
                metadata: doc.metadata,
                warning,
            };
            (document, links, hash)
        }
        _ => {
            let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(text.as_bytes()));
            let document = PageDocument {
                markdown: Some(text.clone()),
                ..Default::default()
            };
            (document, Vec::new(), Some(hash))
        }
    };
    // Markdown and analysis are kept whatever was asked for: stored documents are
    // searched and compared on them. `for_formats` trims the answer.
    if plan.wants(Format::RawHtml) {
        document.raw_html = Some(text);
    }
    let m = &mut document.metadata;
    m.source_url = Some(page.requested_url.to_string());
    m.url = Some(page.final_url.to_string());
    m.status_code = Some(page.status);
    m.content_type = page.content_type.clone();
    Ok(Scraped {
        document,
        links,
        final_url: page.final_url.clone(),
        status: page.status,
        retry_after: page.retry_after,
        content_hash,
    })
}

/// Below this many characters of Markdown a page may be an empty shell.
const SHELL_TEXT: usize = 200;
/// Elements that single-page frameworks render into; empty in the served HTML.
const APP_ROOTS: &[&str] = &[
    "id=\"root\"",
    "id=\"app\"",
    "id=\"__next\"",
    "id=\"__nuxt\"",
    "id=\"svelte\"",
    "id=\"q-app\"",
    "ng-app",
    "ng-version",
    "data-reactroot",
    "data-server-rendered",
];

/// Firecrawl's `warning` for a page that builds its content with JavaScript: its
/// Markdown is (nearly) empty while its HTML holds scripts and an application root or a
/// `<noscript>` fallback. Until this instance renders pages, the caller learns why the
/// content is missing instead of getting a silent empty success.
pub fn shell_warning(html: &str, markdown: Option<&str>) -> Option<String> {
    let text = markdown.map_or(0, |m| m.split_whitespace().map(str::len).sum::<usize>());
    if text >= SHELL_TEXT {
        return None;
    }
    let lower = html.to_ascii_lowercase();
    let scripts = lower.matches("<script").count();
    let root = APP_ROOTS.iter().any(|r| lower.contains(r));
    let noscript = lower.contains("<noscript");
    (scripts > 0 && (root || noscript)).then(|| {
        "this page appears to build its content with JavaScript, which this instance does \
         not run: the Markdown may be empty or incomplete (see the README on rendering)"
            .to_string()
    })
}

#[cfg(test)]
mod shell_tests {
    use super::shell_warning;

    #[test]
    fn an_empty_app_root_with_scripts_is_a_shell() {
        let html =
            r#"<html><body><div id="root"></div><script src="/app.js"></script></body></html>"#;
        assert!(shell_warning(html, Some("")).is_some());
        let noscript = "<body><noscript>Enable JavaScript</noscript><script>go()</script></body>";
        assert!(shell_warning(noscript, Some("Enable JavaScript")).is_some());
    }

    #[test]
    fn a_page_with_its_text_or_without_scripts_is_not() {
        let words = "word ".repeat(100);
        let html = r#"<div id="root"><p>text</p></div><script src="/a.js"></script>"#;
        assert!(shell_warning(html, Some(&words)).is_none());
        assert!(shell_warning("<p>Short but static.</p>", Some("Short but static.")).is_none());
    }
}
