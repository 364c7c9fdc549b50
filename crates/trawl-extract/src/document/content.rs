//! Which parts of a page are content: the pruning rules applied to every element, and the
//! choice of the main-content root(s).

use rustc_hash::{FxHashMap, FxHashSet};

use ego_tree::iter::Edge;
use ego_tree::{NodeId, NodeRef};
use html5ever::local_name;
use scraper::node::Element;
use scraper::{Html, Node, Selector};

use super::dom::{is_html, key_attrs, style_hides};
use super::ExtractOptions;

/// Class or id tokens that mark boilerplate when they are the whole token.
const BOILERPLATE_TOKENS: &[&str] = &[
    "banner",
    "popup",
    "modal",
    "share",
    "sharing",
    "social",
    "breadcrumb",
    "breadcrumbs",
    "sidebar",
    "newsletter",
    "subscribe",
];

/// Class or id tokens that mark boilerplate also as one `-`/`_` part of a token
/// (`ad-slot`, `cookie-banner`, `sponsored_links`), but never as a substring:
/// `header-image` or `shadow` must survive.
const BOILERPLATE_PARTS: &[&str] = &[
    "ad",
    "ads",
    "adv",
    "advert",
    "adverts",
    "advertisement",
    "advertising",
    "adsbygoogle",
    "adslot",
    "sponsor",
    "sponsored",
    "promo",
    "promoted",
    "cookie",
    "cookies",
    "consent",
    "gdpr",
    "popup",
];

/// ARIA landmarks that are never the main content.
const BOILERPLATE_ROLES: &[&str] = &[
    "navigation",
    "banner",
    "contentinfo",
    "complementary",
    "search",
    "dialog",
    "alertdialog",
    "menu",
    "menubar",
];

/// Decides which elements are dropped from the Markdown and the cleaned HTML.
pub(crate) struct Pruner {
    main_only: bool,
    excluded: FxHashSet<NodeId>,
}

impl Pruner {
    pub(crate) fn new(dom: &Html, opts: &ExtractOptions) -> Pruner {
        let mut excluded = FxHashSet::default();
        for selector in parse_selectors(&opts.exclude_tags) {
            excluded.extend(dom.select(&selector).map(|el| el.id()));
        }
        Pruner {
            main_only: opts.only_main_content,
            excluded,
        }
    }

    /// Whether `el` (the value of `node`) and everything below it is dropped.
    pub(crate) fn drops(&self, node: NodeRef<'_, Node>, el: &Element) -> bool {
        if always_dropped(el) {
            return true;
        }
        let attrs = key_attrs(el);
        if attrs.hidden || attrs.aria_hidden || attrs.style.is_some_and(style_hides) {
            return true;
        }
        if !self.excluded.is_empty() && self.excluded.contains(&node.id()) {
            return true;
        }
        if !self.main_only {
            return false;
        }
        match el.name.local {
            local_name!("nav")
            | local_name!("aside")
            | local_name!("footer")
            | local_name!("form")
            | local_name!("dialog")
            | local_name!("menu") => return true,
            local_name!("header") if !is_article_header(node) => return true,
            _ => {}
        }
        if attrs.role.is_some_and(|r| {
            BOILERPLATE_ROLES
                .iter()
                .any(|b| r.trim().eq_ignore_ascii_case(b))
        }) {
            return true;
        }
        attrs.class.is_some_and(has_boilerplate_token)
            || attrs.id.is_some_and(has_boilerplate_token)
    }
}

/// Elements that never carry readable content, in either mode.
fn always_dropped(el: &Element) -> bool {
    if !is_html(el) {
        // SVG and MathML roots: SVG is drawing instructions; MathML text alone is garbled.
        return matches!(el.name.local, local_name!("svg") | local_name!("math"));
    }
    matches!(
        el.name.local,
        local_name!("script")
            | local_name!("style")
            | local_name!("noscript")
            | local_name!("template")
            | local_name!("iframe")
            | local_name!("frame")
            | local_name!("frameset")
            | local_name!("object")
            | local_name!("embed")
            | local_name!("applet")
            | local_name!("canvas")
            | local_name!("video")
            | local_name!("audio")
            | local_name!("source")
            | local_name!("track")
            | local_name!("input")
            | local_name!("select")
            | local_name!("option")
            | local_name!("optgroup")
            | local_name!("datalist")
            | local_name!("textarea")
            | local_name!("button")
            | local_name!("head")
            | local_name!("meta")
            | local_name!("link")
            | local_name!("title")
            | local_name!("base")
            | local_name!("param")
    )
}

/// A `<header>` inside an article or section (or the main landmark) introduces that
/// content (it usually holds the `<h1>`); one that holds navigation is the site's banner.
fn is_article_header(node: NodeRef<'_, Node>) -> bool {
    let holds_nav = node.descendants().any(|d| {
        d.value()
            .as_element()
            .is_some_and(|e| e.name.local == local_name!("nav"))
    });
    if holds_nav {
        return false;
    }
    node.ancestors().any(|a| {
        a.value().as_element().is_some_and(|e| {
            matches!(
                e.name.local,
                local_name!("article") | local_name!("main") | local_name!("section")
            ) || key_attrs(e)
                .role
                .is_some_and(|r| r.trim().eq_ignore_ascii_case("main"))
        })
    })
}

fn has_boilerplate_token(value: &str) -> bool {
    let listed = |list: &[&str], word: &str| list.iter().any(|b| b.eq_ignore_ascii_case(word));
    value.split_ascii_whitespace().any(|token| {
        listed(BOILERPLATE_TOKENS, token)
            || token
                .split(['-', '_'])
                .any(|part| listed(BOILERPLATE_PARTS, part))
    })
}

/// Parses CSS selectors, skipping invalid ones: a typo in one of several selectors should
/// not throw away the others.
pub(crate) fn parse_selectors(selectors: &[String]) -> Vec<Selector> {
    selectors
        .iter()
        .filter_map(|s| Selector::parse(s.trim()).ok())
        .collect()
}

/// The subtrees whose content goes into the Markdown and cleaned HTML, in document order.
pub(crate) fn select_roots<'a>(
    dom: &'a Html,
    pruner: &Pruner,
    opts: &ExtractOptions,
) -> Vec<NodeRef<'a, Node>> {
    if !opts.include_tags.is_empty() {
        return included_roots(dom, &opts.include_tags);
    }
    let body = body_of(dom);
    if !opts.only_main_content {
        return vec![body];
    }
    main_roots(body, pruner).unwrap_or_else(|| vec![body])
}

fn body_of(dom: &Html) -> NodeRef<'_, Node> {
    let root = dom.tree.root();
    root.descendants()
        .find(|n| {
            n.value()
                .as_element()
                .is_some_and(|e| e.name.local == local_name!("body") && is_html(e))
        })
        .unwrap_or(root)
}

/// Elements matching any include selector, outermost only, in document order.
fn included_roots<'a>(dom: &'a Html, include: &[String]) -> Vec<NodeRef<'a, Node>> {
    let mut matched = FxHashSet::default();
    for selector in parse_selectors(include) {
        matched.extend(dom.select(&selector).map(|el| el.id()));
    }
    let mut roots = Vec::new();
    let mut skip_until: Option<NodeId> = None;
    for edge in dom.tree.root().traverse() {
        match edge {
            Edge::Open(n) if skip_until.is_none() && matched.contains(&n.id()) => {
                roots.push(n);
                skip_until = Some(n.id());
            }
            Edge::Close(n) if skip_until == Some(n.id()) => skip_until = None,
            _ => {}
        }
    }
    roots
}

/// Text statistics of one element's visible (unpruned) subtree.
#[derive(Default, Clone, Copy)]
struct Stats {
    text: usize,
    link_text: usize,
    commas: usize,
    /// Has an element child that is itself a block (readability turns divs without
    /// such children into paragraphs).
    block_child: bool,
}

/// One pass over the visible tree: per-element stats and the landmark candidates.
struct Survey<'a> {
    stats: FxHashMap<NodeId, Stats>,
    mains: Vec<NodeRef<'a, Node>>,
    articles: Vec<NodeRef<'a, Node>>,
    /// Elements in document order (for scoring).
    elements: Vec<NodeRef<'a, Node>>,
}

/// With `full` false only the landmarks' and the body's stats are kept: that is all the
/// common case (a page with `<main>` or `<article>`) needs, and it spares a map insert per
/// element.
fn survey<'a>(body: NodeRef<'a, Node>, pruner: &Pruner, full: bool) -> Survey<'a> {
    let mut out = Survey {
        stats: FxHashMap::default(),
        mains: Vec::new(),
        articles: Vec::new(),
        elements: Vec::new(),
    };
    // Explicit stack instead of recursion: see `MAX_DEPTH`.
    let mut stack: Vec<Stats> = vec![Stats::default()];
    let mut skip_until: Option<NodeId> = None;
    let mut link_depth = 0usize;
    for edge in body.traverse() {
        if skip_until.is_some() {
            if let Edge::Close(n) = edge {
                if skip_until == Some(n.id()) {
                    skip_until = None;
                }
            }
            continue;
        }
        match edge {
            Edge::Open(n) => match n.value() {
                Node::Text(t) => {
                    let s = t.text.trim();
                    if let Some(top) = stack.last_mut() {
                        top.text += s.len();
                        // A byte count: `matches(',')` is a searcher per text node.
                        top.commas += s.bytes().filter(|&b| b == b',').count();
                        if link_depth > 0 {
                            top.link_text += s.len();
                        }
                    }
                }
                Node::Element(el) => {
                    if n != body && pruner.drops(n, el) {
                        skip_until = Some(n.id());
                        continue;
                    }
                    if is_block(el) {
                        if let Some(top) = stack.last_mut() {
                            top.block_child = true;
                        }
                    }
                    match el.name.local {
                        local_name!("main") => out.mains.push(n),
                        local_name!("article") => out.articles.push(n),
                        local_name!("a") => link_depth += 1,
                        _ => {}
                    }
                    if key_attrs(el)
                        .role
                        .is_some_and(|r| r.trim().eq_ignore_ascii_case("main"))
                    {
                        out.mains.push(n);
                    }
                    if full {
                        out.elements.push(n);
                    }
                    stack.push(Stats::default());
                }
                _ => {}
            },
            Edge::Close(n) => {
                if let Node::Element(el) = n.value() {
                    if el.name.local == local_name!("a") {
                        link_depth = link_depth.saturating_sub(1);
                    }
                    let done = stack.pop().unwrap_or_default();
                    if let Some(parent) = stack.last_mut() {
                        parent.text += done.text;
                        parent.link_text += done.link_text;
                        parent.commas += done.commas;
                    }
                    let landmark = n == body
                        || matches!(el.name.local, local_name!("main") | local_name!("article"))
                        || out.mains.contains(&n);
                    if full || landmark {
                        out.stats.insert(n.id(), done);
                    }
                }
            }
        }
    }
    out
}

fn is_block(el: &Element) -> bool {
    matches!(
        el.name.local,
        local_name!("p")
            | local_name!("div")
            | local_name!("section")
            | local_name!("article")
            | local_name!("main")
            | local_name!("table")
            | local_name!("ul")
            | local_name!("ol")
            | local_name!("dl")
            | local_name!("pre")
            | local_name!("blockquote")
            | local_name!("h1")
            | local_name!("h2")
            | local_name!("h3")
            | local_name!("h4")
            | local_name!("h5")
            | local_name!("h6")
            | local_name!("figure")
    )
}

/// A landmark is trusted when it holds a fair share of the page's visible text; an empty
/// `<main>` filled by scripts, or a tiny one, must not hide the real content.
fn substantial(
    stats: &FxHashMap<NodeId, Stats>,
    node: NodeRef<'_, Node>,
    body_text: usize,
) -> bool {
    let text = stats.get(&node.id()).map_or(0, |s| s.text);
    text > 0 && (text * 4 >= body_text || text >= 1000)
}

fn main_roots<'a>(body: NodeRef<'a, Node>, pruner: &Pruner) -> Option<Vec<NodeRef<'a, Node>>> {
    let survey = survey(body, pruner, false);
    let body_text = survey.stats.get(&body.id()).map_or(0, |s| s.text);
    let text_of = |n: &NodeRef<'a, Node>| survey.stats.get(&n.id()).map_or(0, |s| s.text);

    if let Some(main) = first_max_by_key(&survey.mains, text_of) {
        if substantial(&survey.stats, main, body_text) {
            return Some(vec![main]);
        }
    }
    if let Some(article) = pick_article(&survey.articles, text_of) {
        if substantial(&survey.stats, article, body_text) {
            return Some(vec![article]);
        }
    }
    score_blocks(&self::survey(body, pruner, true), body)
}

/// The first of `nodes` with the greatest key: ties go to document order (`max_by_key`
/// would pick the last).
fn first_max_by_key<'a>(
    nodes: &[NodeRef<'a, Node>],
    key: impl Fn(&NodeRef<'a, Node>) -> usize,
) -> Option<NodeRef<'a, Node>> {
    let mut best: Option<(NodeRef<'a, Node>, usize)> = None;
    for node in nodes {
        let k = key(node);
        if best.is_none_or(|(_, b)| k > b) {
            best = Some((*node, k));
        }
    }
    best.map(|(n, _)| n)
}

/// One dominant article, or else the nearest ancestor of them all (a listing page).
fn pick_article<'a>(
    articles: &[NodeRef<'a, Node>],
    text_of: impl Fn(&NodeRef<'a, Node>) -> usize + Copy,
) -> Option<NodeRef<'a, Node>> {
    let biggest = first_max_by_key(articles, text_of)?;
    let total: usize = articles.iter().map(text_of).sum();
    if articles.len() == 1 || text_of(&biggest) * 2 >= total {
        return Some(biggest);
    }
    let first = articles[0];
    first
        .ancestors()
        .find(|anc| articles.iter().all(|a| a.ancestors().any(|x| x == *anc)))
}

/// Readability-style scoring for pages without landmarks: paragraphs give points to their
/// ancestors, link-heavy blocks are discounted, and the best block's siblings that look
/// like content join it.
fn score_blocks<'a>(
    survey: &Survey<'a>,
    body: NodeRef<'a, Node>,
) -> Option<Vec<NodeRef<'a, Node>>> {
    let mut scores: FxHashMap<NodeId, f32> = FxHashMap::default();
    for node in &survey.elements {
        let Some(el) = node.value().as_element() else {
            continue;
        };
        let Some(stats) = survey.stats.get(&node.id()) else {
            continue;
        };
        let paragraph_like = match el.name.local {
            local_name!("p")
            | local_name!("pre")
            | local_name!("td")
            | local_name!("blockquote") => true,
            local_name!("div") | local_name!("section") => !stats.block_child,
            _ => false,
        };
        if !paragraph_like || stats.text < 25 {
            continue;
        }
        let points = 1.0 + stats.commas as f32 + (stats.text as f32 / 100.0).min(3.0);
        for (level, ancestor) in node.ancestors().take(5).enumerate() {
            let Some(anc_el) = ancestor.value().as_element() else {
                break;
            };
            let divider = match level {
                0 => 1.0,
                1 => 2.0,
                l => l as f32 * 3.0,
            };
            *scores
                .entry(ancestor.id())
                .or_insert_with(|| initial_score(anc_el)) += points / divider;
            if ancestor == body {
                break;
            }
        }
    }
    let link_density = |id: &NodeId| {
        survey.stats.get(id).map_or(0.0, |s| {
            if s.text == 0 {
                0.0
            } else {
                s.link_text as f32 / s.text as f32
            }
        })
    };
    // Candidates are read in document order, never in the map's order, and a later one
    // must score strictly higher: equal scores resolve the same way in every process.
    let mut best: Option<(NodeRef<'a, Node>, f32)> = None;
    for node in &survey.elements {
        let Some(score) = scores.get(&node.id()) else {
            continue;
        };
        let score = score * (1.0 - link_density(&node.id()));
        if best.is_none_or(|(_, b)| score > b) {
            best = Some((*node, score));
        }
    }
    let (top, top_score) = best?;
    if top == body {
        return Some(vec![body]);
    }
    let Some(parent) = top.parent() else {
        return Some(vec![top]);
    };
    let threshold = (top_score * 0.2).max(10.0);
    let mut roots = Vec::new();
    for sibling in parent.children() {
        if sibling == top {
            roots.push(sibling);
            continue;
        }
        let Some(el) = sibling.value().as_element() else {
            continue;
        };
        let Some(stats) = survey.stats.get(&sibling.id()) else {
            continue;
        };
        let density = link_density(&sibling.id());
        let scored = scores.get(&sibling.id()).map(|s| s * (1.0 - density));
        let joins = scored.is_some_and(|s| s >= threshold)
            || (el.name.local == local_name!("p") && stats.text > 80 && density < 0.25);
        if joins {
            roots.push(sibling);
        }
    }
    Some(roots)
}

/// A block's starting score from its tag and its class/id names (readability's weights).
fn initial_score(el: &Element) -> f32 {
    let tag = match el.name.local {
        local_name!("div") | local_name!("article") | local_name!("section") => 5.0,
        local_name!("pre") | local_name!("td") | local_name!("blockquote") => 3.0,
        local_name!("address") | local_name!("ol") | local_name!("ul") | local_name!("dl") => -3.0,
        local_name!("th") | local_name!("h1") | local_name!("h2") | local_name!("h3") => -5.0,
        _ => 0.0,
    };
    let attrs = key_attrs(el);
    let mut weight = 0.0;
    for value in [attrs.class, attrs.id].into_iter().flatten() {
        let value = value.to_ascii_lowercase();
        const POSITIVE: &[&str] = &[
            "article", "body", "content", "entry", "main", "page", "post", "text", "blog", "story",
        ];
        const NEGATIVE: &[&str] = &[
            "comment", "meta", "footer", "footnote", "masthead", "menu", "related", "shoutbox",
            "sidebar", "widget", "nav", "share", "tags",
        ];
        if POSITIVE.iter().any(|p| value.contains(p)) {
            weight += 25.0;
        }
        if NEGATIVE.iter().any(|n| value.contains(n)) {
            weight -= 25.0;
        }
    }
    tag + weight
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boilerplate_tokens_match_whole_tokens_and_parts_not_substrings() {
        assert!(has_boilerplate_token("ad"));
        assert!(has_boilerplate_token("x ad-slot y"));
        assert!(has_boilerplate_token("cookie-banner"));
        assert!(has_boilerplate_token("sponsored_links"));
        assert!(has_boilerplate_token("Banner"));
        assert!(!has_boilerplate_token("header-image"));
        assert!(!has_boilerplate_token("shadow"));
        assert!(!has_boilerplate_token("load-more bad-request"));
        assert!(!has_boilerplate_token("hero-banner"));
    }

    #[test]
    fn inline_styles_that_hide_are_recognised() {
        assert!(style_hides("display: none"));
        assert!(style_hides("color:red; DISPLAY :NONE;"));
        assert!(style_hides("visibility:hidden"));
        assert!(!style_hides("display:block"));
    }
}
