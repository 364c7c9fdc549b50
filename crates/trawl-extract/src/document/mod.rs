//! HTML → [`Document`]: metadata, links, images, main content, Markdown, cleaned HTML and
//! analysis, all from one parse of the page.

mod analysis;
mod content;
mod dom;
mod html_out;
mod markdown;
mod scan;

use std::collections::BTreeMap;

use scraper::Html;
use serde::{Deserialize, Serialize};
use url::Url;

/// What [`extract`] should produce and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractOptions {
    /// Keep only the page's main content (drop navigation, headers, footers, sidebars, ads,
    /// cookie banners). Firecrawl's `onlyMainContent`; default `true`.
    pub only_main_content: bool,
    /// CSS selectors; when non-empty only matching elements are kept (and main-content
    /// detection is skipped: the caller has said what the content is).
    pub include_tags: Vec<String>,
    /// CSS selectors of elements to drop. Invalid selectors are ignored.
    pub exclude_tags: Vec<String>,
    /// Drop `data:` images from the Markdown, HTML and image list; default `true`.
    pub remove_base64_images: bool,
    /// Produce [`Document::markdown`]; default `true`.
    pub want_markdown: bool,
    /// Produce [`Document::html`]; default `false`.
    pub want_html: bool,
    /// Produce [`Document::links`]; default `true`.
    pub want_links: bool,
    /// Produce [`Document::images`]; default `false`.
    pub want_images: bool,
    /// Produce [`Document::analysis`]; default `true`.
    pub want_analysis: bool,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        ExtractOptions {
            only_main_content: true,
            include_tags: Vec::new(),
            exclude_tags: Vec::new(),
            remove_base64_images: true,
            want_markdown: true,
            want_html: false,
            want_links: true,
            want_images: false,
            want_analysis: true,
        }
    }
}

/// Everything extracted from one page. Fields the options did not ask for are `None`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// Page metadata, in Firecrawl's shape.
    pub metadata: Metadata,
    /// The (main) content as Markdown.
    pub markdown: Option<String>,
    /// The cleaned HTML of the (main) content, with absolute URLs.
    pub html: Option<String>,
    /// Absolute http(s) links from the whole page, deduplicated, without fragments, in
    /// document order. The whole page, not just the main content, so a crawler finds
    /// pages linked only from navigation.
    pub links: Option<Vec<String>>,
    /// Absolute image URLs from the whole page, deduplicated, in document order.
    pub images: Option<Vec<String>>,
    /// Statistics about the main content.
    pub analysis: Option<Analysis>,
}

/// Page metadata, serialised in Firecrawl's v2 `metadata` shape (camelCase, absent fields
/// omitted). Unrecognised `<meta>` tags go to [`Metadata::extra`] under their own names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    /// `<title>`, else `og:title`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The article's headline as the page shows it: the `<h1>` that matches the page's
    /// Open Graph title or `<title>`, else `og:title` (or `twitter:title`), else `<title>`,
    /// without a " | Site name" part. Not in Firecrawl's shape: Trawl's own field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headline: Option<String>,
    /// `<meta name=description>`, else `og:description`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `<html lang>` (trimmed, as written), else `Content-Language`, else detected from the
    /// text as an ISO 639-1 code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// `<link rel=canonical>`, absolute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canonical: Option<String>,
    /// `<meta name=keywords>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keywords: Option<String>,
    /// `<meta name=robots>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub robots: Option<String>,
    /// `<link rel=icon>` (or `shortcut icon`, `apple-touch-icon`), absolute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub favicon: Option<String>,
    /// `og:title`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub og_title: Option<String>,
    /// `og:description`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub og_description: Option<String>,
    /// `og:image`, absolute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub og_image: Option<String>,
    /// `og:url`, absolute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub og_url: Option<String>,
    /// `og:type`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub og_type: Option<String>,
    /// `og:site_name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub og_site_name: Option<String>,
    /// `og:locale`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub og_locale: Option<String>,
    /// `twitter:card`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub twitter_card: Option<String>,
    /// `twitter:title`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub twitter_title: Option<String>,
    /// `twitter:description`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub twitter_description: Option<String>,
    /// `twitter:image`, absolute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub twitter_image: Option<String>,
    /// `twitter:site`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub twitter_site: Option<String>,
    /// The URL the caller asked for; set by the service.
    #[serde(rename = "sourceURL", skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
    /// The URL finally fetched (after redirects); set by the service.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// HTTP status of the fetch; set by the service.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    /// `Content-Type` of the response; set by the service.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Every other `<meta name|property=… content=…>` (e.g. `og:image:width`,
    /// `article:published_time`, `author`), first value wins.
    #[serde(flatten)]
    pub extra: BTreeMap<String, String>,
}

/// Statistics about the main content.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Analysis {
    /// Words in the main content's text.
    pub word_count: usize,
    /// `ceil(words / 230)`, at least 1 when there is any text.
    pub reading_time_minutes: u32,
    /// Headings of the main content, in order.
    pub headings: Vec<Heading>,
    /// Links (from the whole page) to the page's own host.
    pub internal_links: usize,
    /// Links (from the whole page) to other hosts.
    pub external_links: usize,
    /// The ten most frequent words of three or more letters, English, German and French
    /// stopwords left out; ties broken alphabetically.
    pub top_keywords: Vec<Keyword>,
    /// Hex SHA-256 of the Markdown, to tell whether content changed between scrapes.
    pub content_hash: String,
}

/// One heading of the main content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heading {
    /// 1 for `<h1>` … 6 for `<h6>`.
    pub level: u8,
    /// The heading's text, whitespace collapsed.
    pub text: String,
}

/// A frequent word of the main content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Keyword {
    /// The word, lower-cased.
    pub word: String,
    /// How often it occurs.
    pub count: usize,
}

/// Extracts a [`Document`] from `html`, fetched from `page_url`.
///
/// Relative URLs resolve against `<base href>` when present (and http(s)), else `page_url`.
/// Never fails: malformed HTML is repaired by the HTML5 parser like a browser would.
pub fn extract(html: &str, page_url: &Url, opts: &ExtractOptions) -> Document {
    let dom = Html::parse_document(html);
    let scanned = scan::scan(&dom, page_url);
    let base = &scanned.base;

    let mut metadata = scanned.metadata();
    let links = scanned.links(opts.want_links || opts.want_analysis);

    let need_text = metadata.language.is_none() || opts.want_analysis;
    let mut pruner = content::Pruner::new(&dom, opts);
    let roots = content::select_roots(&dom, &pruner, opts);
    if opts.include_tags.is_empty() {
        pruner.drop_link_dense(&roots);
    }

    let rendered = if opts.want_markdown || need_text {
        Some(markdown::render(&roots, &pruner, base, opts, need_text))
    } else {
        None
    };

    if metadata.language.is_none() {
        metadata.language = rendered
            .as_ref()
            .and_then(|r| analysis::detect_language(&r.text));
    }

    let html_out = opts
        .want_html
        .then(|| html_out::serialize(&roots, &pruner, base, opts));

    let analysis = match (&rendered, opts.want_analysis) {
        (Some(r), true) => Some(analysis::analyse(r, &links, page_url)),
        _ => None,
    };

    let images = opts
        .want_images
        .then(|| scanned.images(opts.remove_base64_images));

    Document {
        metadata,
        markdown: rendered.filter(|_| opts.want_markdown).map(|r| r.markdown),
        html: html_out,
        links: opts.want_links.then_some(links),
        images,
        analysis,
    }
}

/// Whether `selector` parses as a CSS selector that `include_tags`/`exclude_tags` can use,
/// so a service can refuse a bad one with a clear error instead of ignoring it.
pub fn is_valid_selector(selector: &str) -> bool {
    scraper::Selector::parse(selector.trim()).is_ok()
}
