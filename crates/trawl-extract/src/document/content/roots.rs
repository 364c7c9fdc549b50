//! The choice of the main-content root(s): landmarks compared on prose, else
//! readability-style scoring of blocks.

use ego_tree::iter::Edge;
use ego_tree::{NodeId, NodeRef};
use html5ever::local_name;
use rustc_hash::{FxHashMap, FxHashSet};
use scraper::node::Element;
use scraper::{Html, Node};

use super::{body_of, is_block, parse_selectors, Pruner};
use crate::document::dom::{attr, key_attrs};
use crate::document::ExtractOptions;

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
    /// Text not inside any block-level descendant: what readability would wrap into
    /// paragraphs (a div of bare text and `<br>`s, beside block children or not).
    inline_text: usize,
    /// `<br>`s among that inline text, which split it into paragraphs.
    inline_breaks: usize,
}

impl Stats {
    /// Text a reader reads rather than clicks.
    fn prose(&self) -> usize {
        self.text - self.link_text.min(self.text)
    }

    fn link_density(&self) -> f32 {
        if self.text == 0 {
            0.0
        } else {
            self.link_text as f32 / self.text as f32
        }
    }
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
    // Per open element: whether it is a `[role=main]` landmark.
    let mut landmarks: Vec<bool> = Vec::new();
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
                        top.inline_text += s.len();
                        // Only block scoring reads commas; landmark pages never count them.
                        if full {
                            top.commas += s.bytes().filter(|&b| b == b',').count();
                        }
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
                    match el.name.local {
                        local_name!("main") => out.mains.push(n),
                        local_name!("article") => out.articles.push(n),
                        local_name!("a") => link_depth += 1,
                        local_name!("br") => {
                            if let Some(top) = stack.last_mut() {
                                top.inline_breaks += 1;
                            }
                        }
                        _ => {}
                    }
                    let role_main = attr(el, &local_name!("role"))
                        .is_some_and(|r| r.trim().eq_ignore_ascii_case("main"));
                    if role_main {
                        out.mains.push(n);
                    }
                    if full {
                        out.elements.push(n);
                    }
                    landmarks.push(role_main);
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
                    let role_main = landmarks.pop().unwrap_or(false);
                    if let Some(parent) = stack.last_mut() {
                        parent.text += done.text;
                        parent.link_text += done.link_text;
                        parent.commas += done.commas;
                        if !is_block(el) {
                            parent.inline_text += done.inline_text;
                            parent.inline_breaks += done.inline_breaks;
                        }
                    }
                    let landmark = n == body
                        || matches!(el.name.local, local_name!("main") | local_name!("article"))
                        || role_main;
                    if full || landmark {
                        out.stats.insert(n.id(), done);
                    }
                }
            }
        }
    }
    out
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
    // Landmarks compete on prose, not on raw text: of two `[role=main]` sections, a list
    // of related links must not beat the article.
    let prose_of = |n: &NodeRef<'a, Node>| survey.stats.get(&n.id()).map_or(0, Stats::prose);

    if let Some(main) = first_max_by_key(&survey.mains, prose_of) {
        if substantial(&survey.stats, main, body_text) {
            return Some(narrow_to_article(main, &survey.articles, prose_of));
        }
    }
    if let Some(article) = pick_article(&survey.articles, prose_of) {
        if substantial(&survey.stats, article, body_text) {
            return Some(vec![article]);
        }
    }
    score_blocks(&self::survey(body, pruner, true), body)
}

/// A main landmark that holds one dominant `<article>` (most of its prose) beside
/// recirculation, author boxes and sign-up forms is narrowed to that article, keeping a
/// headline that sits outside it.
fn narrow_to_article<'a>(
    main: NodeRef<'a, Node>,
    articles: &[NodeRef<'a, Node>],
    prose_of: impl Fn(&NodeRef<'a, Node>) -> usize + Copy,
) -> Vec<NodeRef<'a, Node>> {
    let inside: Vec<NodeRef<'a, Node>> = articles
        .iter()
        .filter(|a| a.ancestors().any(|x| x == main))
        .copied()
        .collect();
    let Some(article) = first_max_by_key(&inside, prose_of) else {
        return vec![main];
    };
    let total: usize = inside.iter().map(prose_of).sum();
    if prose_of(&article) * 10 < prose_of(&main) * 6 || prose_of(&article) * 2 < total {
        return vec![main];
    }
    let is_h1 = |n: &NodeRef<'_, Node>| {
        n.value()
            .as_element()
            .is_some_and(|e| e.name.local == local_name!("h1"))
    };
    if article.descendants().any(|d| is_h1(&d)) {
        return vec![article];
    }
    // The first <h1> before the article, still inside the landmark.
    let headline = main
        .descendants()
        .take_while(|d| *d != article)
        .find(|d| is_h1(d));
    headline.into_iter().chain([article]).collect()
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
    // Dominant: half of all article text, or three times the runner-up (a story beside
    // many small teaser cards).
    let runner_up = articles
        .iter()
        .filter(|a| **a != biggest)
        .map(text_of)
        .max()
        .unwrap_or(0);
    if articles.len() == 1 || text_of(&biggest) * 2 >= total || text_of(&biggest) >= runner_up * 3 {
        return Some(biggest);
    }
    let first = articles[0];
    first
        .ancestors()
        .find(|anc| articles.iter().all(|a| a.ancestors().any(|x| x == *anc)))
}

/// Readability-style scoring for pages without landmarks: paragraphs (and runs of bare
/// text) give points to their ancestors, link-heavy blocks are discounted, several close
/// runners-up lift the choice to their common ancestor (a forum thread's posts), and the
/// best block's siblings that look like content join it.
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
        let points = match el.name.local {
            local_name!("p") | local_name!("pre") | local_name!("blockquote") => {
                if stats.text < 25 {
                    continue;
                }
                1.0 + stats.commas as f32 + (stats.text as f32 / 100.0).min(3.0)
            }
            _ if stats.inline_text >= 25 && el.name.local != local_name!("a") => {
                // Bare text split by `<br><br>` reads as that many paragraphs.
                let paragraphs = (stats.inline_breaks / 2 + 1) as f32;
                let per = stats.inline_text as f32 / paragraphs;
                let commas = stats.commas as f32 * stats.inline_text as f32 / stats.text as f32;
                paragraphs * (1.0 + (per / 100.0).min(3.0)) + commas
            }
            _ => continue,
        };
        let points = points * (1.0 - stats.link_density());
        let starts_here = !matches!(
            el.name.local,
            local_name!("p") | local_name!("pre") | local_name!("blockquote")
        );
        let ancestors = starts_here
            .then_some(*node)
            .into_iter()
            .chain(node.ancestors());
        for (level, ancestor) in ancestors.take(5).enumerate() {
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
    let link_density = |id: &NodeId| survey.stats.get(id).map_or(0.0, Stats::link_density);
    // Candidates are read in document order, never in the map's order, and a later one
    // must score strictly higher: equal scores resolve the same way in every process.
    let mut ranked: Vec<(NodeRef<'a, Node>, f32)> = Vec::new();
    for node in &survey.elements {
        if let Some(score) = scores.get(&node.id()) {
            ranked.push((*node, score * (1.0 - link_density(&node.id()))));
        }
    }
    let mut best: Option<(NodeRef<'a, Node>, f32)> = None;
    for (node, score) in &ranked {
        if best.is_none_or(|(_, b)| *score > b) {
            best = Some((*node, *score));
        }
    }
    let (mut top, top_score) = best?;
    // Three or more blocks scoring close to the best (posts of a thread, sections of a
    // long page) are one content: take their nearest common ancestor.
    let alike = |n: &NodeRef<'a, Node>| {
        let (Some(a), Some(b)) = (n.value().as_element(), top.value().as_element()) else {
            return false;
        };
        a.name.local == b.name.local && key_attrs(a).class == key_attrs(b).class
    };
    let close: Vec<NodeRef<'a, Node>> = ranked
        .iter()
        .filter(|(n, s)| *s >= top_score * 0.6 && *n != top && alike(n))
        .map(|(n, _)| *n)
        .filter(|n| !n.ancestors().any(|a| a == top) && !top.ancestors().any(|a| a == *n))
        .collect();
    if close.len() >= 2 {
        if let Some(common) = top
            .ancestors()
            .find(|anc| close.iter().all(|c| c.ancestors().any(|x| x == *anc)))
        {
            top = common;
        }
    }
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
        let paragraph = el.name.local == local_name!("p") && stats.text > 80 && density < 0.25;
        // The headline often sits in its own block beside the body.
        let headline = stats.text > 0
            && stats.text < 300
            && density < 0.5
            && sibling.descendants().any(|d| {
                d.value()
                    .as_element()
                    .is_some_and(|e| e.name.local == local_name!("h1"))
            });
        let joins = scored.is_some_and(|s| s >= threshold) || paragraph || headline;
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
