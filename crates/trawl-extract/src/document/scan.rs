//! One pass over the whole page for what does not depend on the main content: metadata,
//! `<base href>`, links and images.

use std::collections::{BTreeMap, HashSet};

use html5ever::local_name;
use scraper::{Html, Node};
use url::Url;

use super::dom::{attr, collapse_ws, is_html, raw_text};
use super::Metadata;

/// Pages with thousands of `<meta>` tags should not bloat every stored document.
const MAX_EXTRA_META: usize = 64;

/// Raw findings of the scan, borrowed from the tree.
pub(crate) struct Scanned<'a> {
    /// `<base href>` resolved against the page URL, else the page URL.
    pub base: Url,
    lang: Option<&'a str>,
    content_language: Option<&'a str>,
    title: Option<String>,
    canonical: Option<&'a str>,
    icon: Option<&'a str>,
    touch_icon: Option<&'a str>,
    metas: Vec<(String, &'a str)>,
    hrefs: Vec<&'a str>,
    images: Vec<&'a str>,
}

pub(crate) fn scan<'a>(dom: &'a Html, page_url: &Url) -> Scanned<'a> {
    let mut base_href = None;
    let mut s = Scanned {
        base: page_url.clone(),
        lang: None,
        content_language: None,
        title: None,
        canonical: None,
        icon: None,
        touch_icon: None,
        metas: Vec::new(),
        hrefs: Vec::new(),
        images: Vec::new(),
    };
    for node in dom.tree.root().descendants() {
        let Node::Element(el) = node.value() else {
            continue;
        };
        if !is_html(el) {
            continue;
        }
        match el.name.local {
            local_name!("a") | local_name!("area") => {
                if let Some(href) = attr(el, &local_name!("href")) {
                    s.hrefs.push(href);
                }
            }
            local_name!("img") => {
                if let Some(src) = image_src(el) {
                    s.images.push(src);
                }
            }
            local_name!("html") if s.lang.is_none() => {
                s.lang = attr(el, &local_name!("lang"))
                    .or_else(|| {
                        el.attrs
                            .iter()
                            .find(|(n, _)| &*n.local == "xml:lang")
                            .map(|(_, v)| &**v)
                    })
                    .map(str::trim)
                    .filter(|l| !l.is_empty());
            }
            local_name!("title") if s.title.is_none() => {
                let mut text = String::new();
                raw_text(node, &mut text);
                let text = collapse_ws(&text);
                if !text.is_empty() {
                    s.title = Some(text);
                }
            }
            local_name!("base") if base_href.is_none() => {
                base_href = attr(el, &local_name!("href"));
            }
            local_name!("link") => {
                let (Some(rel), Some(href)) = (
                    attr(el, &local_name!("rel")),
                    attr(el, &local_name!("href")),
                ) else {
                    continue;
                };
                for token in rel.split_ascii_whitespace() {
                    if token.eq_ignore_ascii_case("canonical") {
                        s.canonical.get_or_insert(href);
                    } else if token.eq_ignore_ascii_case("icon") {
                        s.icon.get_or_insert(href);
                    } else if token.eq_ignore_ascii_case("apple-touch-icon") {
                        s.touch_icon.get_or_insert(href);
                    }
                }
            }
            local_name!("meta") => {
                let Some(content) = attr(el, &local_name!("content")) else {
                    continue;
                };
                if let Some(equiv) = attr(el, &local_name!("http-equiv")) {
                    if equiv.trim().eq_ignore_ascii_case("content-language") {
                        s.content_language =
                            content.split(',').map(str::trim).find(|l| !l.is_empty());
                    }
                    continue;
                }
                let key = attr(el, &local_name!("name"))
                    .or_else(|| attr(el, &local_name!("property")))
                    .or_else(|| attr(el, &local_name!("itemprop")));
                if let Some(key) = key
                    .map(str::trim)
                    .filter(|k| !k.is_empty() && k.len() <= 100)
                {
                    s.metas.push((key.to_ascii_lowercase(), content));
                }
            }
            _ => {}
        }
    }
    if let Some(base) = base_href.and_then(|b| page_url.join(b.trim()).ok()) {
        if matches!(base.scheme(), "http" | "https") {
            s.base = base;
        }
    }
    s
}

/// The image URL of an `<img>`: lazy-loading pages put the real one in `data-src` and a
/// placeholder (often a `data:` GIF) in `src`.
pub(crate) fn image_src(el: &scraper::node::Element) -> Option<&str> {
    let src = attr(el, &local_name!("src"))
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let lazy = el
        .attrs
        .iter()
        .find(|(n, _)| &*n.local == "data-src")
        .map(|(_, v)| v.trim())
        .filter(|s| !s.is_empty());
    match (src, lazy) {
        (Some(s), Some(l)) if s.starts_with("data:") => Some(l),
        (None, l) => l,
        (s, _) => s,
    }
}

impl Scanned<'_> {
    fn resolve(&self, href: &str) -> Option<String> {
        self.base.join(href.trim()).ok().map(String::from)
    }

    /// Builds Firecrawl-shaped metadata; `language` is left for detection when undeclared.
    pub(crate) fn metadata(&self) -> Metadata {
        let mut m = Metadata {
            title: self.title.clone(),
            language: self.lang.or(self.content_language).map(str::to_owned),
            canonical: self.canonical.and_then(|c| self.resolve(c)),
            favicon: self.icon.or(self.touch_icon).and_then(|i| self.resolve(i)),
            ..Metadata::default()
        };
        let mut extra = BTreeMap::new();
        for (key, content) in &self.metas {
            let content = collapse_ws(content);
            if content.is_empty() {
                continue;
            }
            let slot = match key.as_str() {
                "description" => &mut m.description,
                "keywords" => &mut m.keywords,
                "robots" => &mut m.robots,
                "og:title" => &mut m.og_title,
                "og:description" => &mut m.og_description,
                "og:image" | "og:image:url" => &mut m.og_image,
                "og:url" => &mut m.og_url,
                "og:type" => &mut m.og_type,
                "og:site_name" => &mut m.og_site_name,
                "og:locale" => &mut m.og_locale,
                "twitter:card" => &mut m.twitter_card,
                "twitter:title" => &mut m.twitter_title,
                "twitter:description" => &mut m.twitter_description,
                "twitter:image" | "twitter:image:src" => &mut m.twitter_image,
                "twitter:site" => &mut m.twitter_site,
                _ => {
                    if extra.len() < MAX_EXTRA_META {
                        extra.entry(key.clone()).or_insert(content);
                    }
                    continue;
                }
            };
            if slot.is_none() {
                *slot = Some(content);
            }
        }
        for url_field in [&mut m.og_image, &mut m.og_url, &mut m.twitter_image] {
            if let Some(v) = url_field.take() {
                *url_field = self.resolve(&v).or(Some(v));
            }
        }
        if m.title.is_none() {
            m.title = m.og_title.clone().or_else(|| m.twitter_title.clone());
        }
        if m.description.is_none() {
            m.description = m
                .og_description
                .clone()
                .or_else(|| m.twitter_description.clone());
        }
        m.extra = extra;
        m
    }

    /// Absolute http(s) links without fragments, deduplicated, in document order.
    pub(crate) fn links(&self, wanted: bool) -> Vec<String> {
        if !wanted {
            return Vec::new();
        }
        let mut seen = HashSet::with_capacity(self.hrefs.len());
        let mut out = Vec::with_capacity(self.hrefs.len());
        for href in &self.hrefs {
            let Ok(mut url) = self.base.join(href.trim()) else {
                continue;
            };
            if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
                continue;
            }
            url.set_fragment(None);
            let url = String::from(url);
            if seen.insert(url.clone()) {
                out.push(url);
            }
        }
        out
    }

    /// Absolute image URLs, deduplicated; `data:` images only when not removed.
    pub(crate) fn images(&self, remove_base64: bool) -> Vec<String> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for src in &self.images {
            let Ok(url) = self.base.join(src) else {
                continue;
            };
            let keep = match url.scheme() {
                "http" | "https" => true,
                "data" => !remove_base64,
                _ => false,
            };
            let url = String::from(url);
            if keep && seen.insert(url.clone()) {
                out.push(url);
            }
        }
        out
    }
}
