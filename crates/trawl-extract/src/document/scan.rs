//! One pass over the whole page for what does not depend on the main content: metadata,
//! `<base href>`, links and images.

use std::collections::{BTreeMap, HashSet};

use html5ever::local_name;
use rustc_hash::FxHashSet;
use scraper::{Html, Node};
use url::Url;

use super::dom::{attr, collapse_ws, is_html, raw_text};
use super::Metadata;

/// Pages with thousands of `<meta>` tags should not bloat every stored document.
const MAX_EXTRA_META: usize = 64;
/// Headline candidates: a page rarely has more than a logo, a headline and a widget title.
const MAX_H1S: usize = 8;
/// What separates a headline from the site's name in a `<title>`.
const TITLE_SEPARATORS: &[&str] = &[
    " | ", " - ", " – ", " — ", " :: ", " · ", " • ", " » ", " / ", " ~ ",
];

/// Raw findings of the scan, borrowed from the tree.
pub(crate) struct Scanned<'a> {
    /// `<base href>` resolved against the page URL, else the page URL.
    pub base: Url,
    lang: Option<&'a str>,
    content_language: Option<&'a str>,
    title: Option<String>,
    /// Texts of the first `<h1>`s, for the headline.
    h1s: Vec<String>,
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
        h1s: Vec::new(),
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
            local_name!("h1") if s.h1s.len() < MAX_H1S => {
                let mut text = String::new();
                raw_text(node, &mut text);
                // Documentation generators end headings with a permalink mark.
                let text = collapse_ws(&text)
                    .trim_end_matches(['#', '¶', '§', '\u{200b}', ' '])
                    .to_owned();
                if !text.is_empty() && text.len() <= 500 {
                    s.h1s.push(text);
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

/// The article's headline: the `<h1>` that matches the page's own titles (a logo or widget
/// `<h1>` does not), else the Open Graph (or Twitter) title, else `<title>`, each without a
/// " | Site name" part, else the first `<h1>`.
fn headline(
    h1s: &[String],
    social: Option<&str>,
    title: Option<&str>,
    site: Option<&str>,
) -> Option<String> {
    let raw_title = title;
    let social = social.map(|t| strip_site(t, site));
    let title = title.map(|t| strip_site(t, site));
    let references: Vec<Vec<String>> = [social, title].into_iter().flatten().map(words).collect();
    // A short headline ("News | Site") is the whole first part of the raw title.
    let segments: Vec<&str> = raw_title
        .map(|t| {
            let mut parts = vec![t];
            for sep in TITLE_SEPARATORS {
                parts = parts.iter().flat_map(|p| p.split(sep)).collect();
            }
            parts.into_iter().map(str::trim).collect()
        })
        .unwrap_or_default();
    let mut best: Option<(&String, f32)> = None;
    for h1 in h1s {
        let h1_words = words(h1);
        let mut score = references
            .iter()
            .map(|r| overlap(&h1_words, r) * overlap(r, &h1_words))
            .fold(0.0, f32::max);
        let leads_title = segments.len() > 1 && segments[0].eq_ignore_ascii_case(h1);
        if leads_title && site.is_none_or(|site| !site.trim().eq_ignore_ascii_case(h1)) {
            score = score.max(0.9);
        }
        if score >= 0.5 && best.is_none_or(|(_, b)| score > b) {
            best = Some((h1, score));
        }
    }
    if let Some((h1, _)) = best {
        return Some(h1.clone());
    }
    social
        .or(title)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .or_else(|| h1s.first().cloned())
}

/// Lower-cased alphanumeric words.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The share of `a`'s words found in `b`.
fn overlap(a: &[String], b: &[String]) -> f32 {
    if a.is_empty() {
        return 0.0;
    }
    a.iter().filter(|w| b.contains(w)).count() as f32 / a.len() as f32
}

/// `title` without the site's name: the named site at either end, else up to two short
/// trailing parts ("Headline | Section | Site") after a separator.
fn strip_site<'t>(title: &'t str, site: Option<&str>) -> &'t str {
    let title = title.trim();
    let site = site.map(str::trim).filter(|s| !s.is_empty());
    for sep in TITLE_SEPARATORS {
        if let Some(site) = site {
            if let Some((head, tail)) = title.rsplit_once(sep) {
                if tail.trim().eq_ignore_ascii_case(site) && !head.trim().is_empty() {
                    return head.trim();
                }
            }
            if let Some((head, tail)) = title.split_once(sep) {
                if head.trim().eq_ignore_ascii_case(site) && !tail.trim().is_empty() {
                    return tail.trim();
                }
            }
        }
    }
    let mut out = title;
    for _ in 0..2 {
        let cut = TITLE_SEPARATORS
            .iter()
            .filter_map(|sep| out.rfind(sep).map(|i| (i, sep.len())))
            .max();
        let Some((i, len)) = cut else {
            break;
        };
        let (head, tail) = (out[..i].trim(), out[i + len..].trim());
        if tail.split_whitespace().count() > 4 || head.split_whitespace().count() < 2 {
            break;
        }
        out = head;
    }
    out
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
        m.headline = headline(
            &self.h1s,
            m.og_title.as_deref().or(m.twitter_title.as_deref()),
            m.title.as_deref(),
            m.og_site_name.as_deref(),
        );
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
        let mut seen: FxHashSet<String> =
            FxHashSet::with_capacity_and_hasher(self.hrefs.len(), Default::default());
        // Navigation repeats the same hrefs: each is resolved once.
        let mut hrefs_seen: FxHashSet<&str> =
            FxHashSet::with_capacity_and_hasher(self.hrefs.len(), Default::default());
        let mut out = Vec::with_capacity(self.hrefs.len());
        for href in &self.hrefs {
            let href = href.trim();
            if !hrefs_seen.insert(href) {
                continue;
            }
            let Ok(mut url) = self.base.join(href) else {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn h(
        h1s: &[&str],
        social: Option<&str>,
        title: Option<&str>,
        site: Option<&str>,
    ) -> Option<String> {
        let h1s: Vec<String> = h1s.iter().map(|s| s.to_string()).collect();
        headline(&h1s, social, title, site)
    }

    #[test]
    fn site_names_are_stripped_from_titles() {
        assert_eq!(
            strip_site("Bridge reopens | The Gazette", Some("The Gazette")),
            "Bridge reopens"
        );
        assert_eq!(
            strip_site("The Gazette - Bridge reopens", Some("the gazette")),
            "Bridge reopens"
        );
        assert_eq!(
            strip_site("Bridge reopens after repair – Gazette", None),
            "Bridge reopens after repair"
        );
        assert_eq!(
            strip_site("Configuring workers — Tool 2.4 documentation", None),
            "Configuring workers"
        );
        assert_eq!(
            strip_site("Big news | Press | Northwind Energy", None),
            "Big news"
        );
        assert_eq!(strip_site("No separator here", None), "No separator here");
        // A long tail is part of the headline, not a site name.
        assert_eq!(
            strip_site(
                "Storm warning - what the new rules mean for drivers this winter",
                None
            ),
            "Storm warning - what the new rules mean for drivers this winter"
        );
    }

    #[test]
    fn the_headline_is_the_h1_that_matches_the_titles_not_the_logo() {
        assert_eq!(
            h(
                &["The Gazette", "Bridge reopens after repair"],
                None,
                Some("Bridge reopens after repair | The Gazette"),
                None
            )
            .as_deref(),
            Some("Bridge reopens after repair")
        );
        assert_eq!(
            h(
                &["Valley Herald"],
                Some("Bridge reopens"),
                Some("Bridge reopens | Valley Herald"),
                None
            )
            .as_deref(),
            Some("Bridge reopens")
        );
        assert_eq!(
            h(&[], None, Some("Page title - Site"), None).as_deref(),
            Some("Page title")
        );
        assert_eq!(
            h(&["Only heading"], None, None, None).as_deref(),
            Some("Only heading")
        );
        assert_eq!(h(&[], None, None, None), None);
    }
}
