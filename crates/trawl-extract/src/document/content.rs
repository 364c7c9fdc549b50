//! Which parts of a page are content: the pruning rules applied to every element, and the
//! choice of the main-content root(s).

use rustc_hash::{FxHashMap, FxHashSet};

use ego_tree::iter::Edge;
use ego_tree::{NodeId, NodeRef};
use html5ever::local_name;
use scraper::node::Element;
use scraper::{Html, Node, Selector};

use super::dom::{attr, is_html, key_attrs, style_hides};
use super::ExtractOptions;

/// What a class or id says about an element in main-content mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Named {
    /// Nothing known.
    Plain,
    /// Site chrome or furniture around the content: ads, share bars, bylines, tags,
    /// related stories, navigation, captions.
    Boilerplate,
    /// Reader comments and reviews: dropped whenever the page has anything else.
    Comments,
}

/// Class or id tokens that mark boilerplate only as the whole token.
fn boilerplate_token(token: &str) -> bool {
    matches!(
        token,
        "banner"
            | "modal"
            | "hidden"
            | "hide"
            | "d-none"
            | "is-hidden"
            | "screen-reader-text"
            | "sr-only"
            | "visually-hidden"
            | "visuallyhidden"
            | "skip-link"
            | "read-more"
            | "readmore"
            | "more-stories"
            | "more-from"
            | "most-read"
            | "mostread"
            | "most-popular"
            | "you-may-like"
            | "post-navigation"
            | "nav-links"
            | "postprofile"
            | "userinfo"
            | "usertitle"
            | "posthead"
            | "postfoot"
            | "action-bar"
            | "headerbar"
            | "createdby"
            | "tableofcontents"
            | "wp-caption-text"
            | "entry-utility"
            | "datepublished"
            | "datemodified"
            | "datecreated"
            | "publisher"
    )
}

/// Class or id parts (`-`/`_`-separated pieces of a token) that mark boilerplate: `ad-slot`,
/// `cookie-banner`, `entry-meta`, `share_bar`. Whole parts only, never substrings:
/// `header-image`, `shadow` or `load-more` must survive.
fn boilerplate_part(part: &str) -> bool {
    matches!(
        part,
        "ad" | "ads"
            | "adv"
            | "advert"
            | "adverts"
            | "advertisement"
            | "advertising"
            | "adsbygoogle"
            | "adslot"
            | "sponsor"
            | "sponsored"
            | "promo"
            | "promoted"
            | "cookie"
            | "cookies"
            | "consent"
            | "gdpr"
            | "popup"
            | "byline"
            | "dateline"
            | "share"
            | "sharing"
            | "sharebar"
            | "social"
            | "breadcrumb"
            | "breadcrumbs"
            | "crumbs"
            | "tags"
            | "tag"
            | "related"
            | "recirc"
            | "outbrain"
            | "taboola"
            | "newsletter"
            | "subscribe"
            | "signup"
            | "caption"
            | "credit"
            | "credits"
            | "meta"
            | "author"
            | "avatar"
            | "bio"
            | "signature"
            | "pagination"
            | "pager"
            | "pagenav"
            | "nav"
            | "navigation"
            | "navbar"
            | "menu"
            | "toolbar"
            | "sidebar"
            | "widget"
            | "footer"
            | "masthead"
            | "date"
            | "posted"
            | "published"
            | "updated"
            | "timestamp"
            | "kicker"
            | "eyebrow"
            | "label"
            | "labels"
            | "hits"
            | "rating"
            | "stars"
            | "price"
            | "stock"
            | "cart"
            | "basket"
            | "upsells"
            | "review"
            | "reviews"
            | "feedback"
            | "button"
            | "btn"
            | "cta"
            | "toc"
            | "recommended"
            | "recommendations"
            | "trending"
            | "popular"
            | "print"
            | "lightbox"
            | "overlay"
            | "infobox"
    )
}

/// Class or id parts that mark reader comments. (Not "review": critics' reviews are
/// articles; a shop's reviews fall to the boilerplate rule and its rescue.)
fn comments_part(part: &str) -> bool {
    matches!(
        part,
        "comment" | "comments" | "commentlist" | "respond" | "disqus" | "reply" | "replies"
    )
}

/// What the class or id `value` says, comments winning over other boilerplate.
fn named(value: &str) -> Named {
    let mut out = Named::Plain;
    let mut buf = [0u8; 48];
    for token in value.split_ascii_whitespace() {
        // Tokens longer than the buffer are generated names (hashes), not words.
        let Some(lower) = buf.get_mut(..token.len()) else {
            continue;
        };
        lower.copy_from_slice(token.as_bytes());
        lower.make_ascii_lowercase();
        let Ok(token) = std::str::from_utf8(lower) else {
            continue;
        };
        if boilerplate_token(token) {
            out = Named::Boilerplate;
        }
        for part in token.split(['-', '_']) {
            if comments_part(part) {
                return Named::Comments;
            }
            if boilerplate_part(part) {
                out = Named::Boilerplate;
            }
        }
    }
    out
}

#[cfg(test)]
fn has_boilerplate_token(value: &str) -> bool {
    named(value) != Named::Plain
}

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

/// Below this much text outside them (non-link bytes), comments are the page and stay.
const COMMENTS_ALONE: usize = 200;
/// How many pruned wrappers may be given back to the page, outermost first.
const MAX_RESCUES: usize = 8;

/// Decides which elements are dropped from the Markdown and the cleaned HTML.
pub(crate) struct Pruner {
    main_only: bool,
    excluded: FxHashSet<NodeId>,
    /// Elements dropped by the main-content rules, after the rescue of wrappers that hold
    /// the page (see [`Pruner::new`]); outermost only matters.
    dropped: FxHashSet<NodeId>,
    /// Whether `dropped` also holds every hard drop the content walks can meet.
    judged_all: bool,
}

/// One element a main-content rule would drop, seen in the survey pass.
struct Ruled {
    id: NodeId,
    kind: Named,
    /// The nearest ruled ancestor (index into the list).
    parent: Option<usize>,
    /// Non-link text below it, ruled descendants included.
    all_text: usize,
    /// Non-link text below it, ruled descendants left out.
    own_text: usize,
}

impl Pruner {
    /// Applies the exclude selectors and the main-content rules. A rule never removes the
    /// node that holds most of the page's text: ad-named wrappers around the whole page, an
    /// ASP.NET `<form>` around the body or a post whose category class says "advertising"
    /// are given back when they hold more text than everything left outside them.
    pub(crate) fn new(dom: &Html, opts: &ExtractOptions) -> Pruner {
        let mut excluded = FxHashSet::default();
        for selector in parse_selectors(&opts.exclude_tags) {
            excluded.extend(dom.select(&selector).map(|el| el.id()));
        }
        let mut pruner = Pruner {
            main_only: opts.only_main_content,
            excluded,
            dropped: FxHashSet::default(),
            judged_all: false,
        };
        // Include selectors say what the content is: no main-content rule second-guesses
        // them (only hidden, non-content and excluded elements go).
        if pruner.main_only && opts.include_tags.is_empty() {
            pruner.apply_rules(body_of(dom));
            pruner.judged_all = true;
        }
        pruner
    }

    fn apply_rules(&mut self, body: NodeRef<'_, Node>) {
        let mut ruled: Vec<Ruled> = Vec::new();
        let mut hard: Vec<NodeId> = Vec::new();
        // Per open element: (non-link text below, non-link text outside ruled descendants,
        // index in `ruled` if ruled).
        let mut stack: Vec<(usize, usize, Option<usize>)> = vec![(0, 0, None)];
        let mut open_ruled: Vec<usize> = Vec::new();
        let mut skip_until: Option<NodeId> = None;
        let mut link_depth = 0usize;
        for edge in body.traverse() {
            if let Some(skip) = skip_until {
                if matches!(edge, Edge::Close(n) if n.id() == skip) {
                    skip_until = None;
                }
                continue;
            }
            match edge {
                Edge::Open(n) => match n.value() {
                    Node::Text(t) if link_depth == 0 => {
                        let len = t.text.trim().len();
                        if let Some(top) = stack.last_mut() {
                            top.0 += len;
                            top.1 += len;
                        }
                    }
                    Node::Element(el) => {
                        if n != body && self.hard_drops(n, el) {
                            hard.push(n.id());
                            skip_until = Some(n.id());
                            continue;
                        }
                        if el.name.local == local_name!("a") {
                            link_depth += 1;
                        }
                        let kind = if n == body { Named::Plain } else { rule(n, el) };
                        let index = (kind != Named::Plain).then(|| {
                            ruled.push(Ruled {
                                id: n.id(),
                                kind,
                                parent: open_ruled.last().copied(),
                                all_text: 0,
                                own_text: 0,
                            });
                            open_ruled.push(ruled.len() - 1);
                            ruled.len() - 1
                        });
                        stack.push((0, 0, index));
                    }
                    _ => {}
                },
                Edge::Close(n) => {
                    if let Node::Element(el) = n.value() {
                        if el.name.local == local_name!("a") {
                            link_depth = link_depth.saturating_sub(1);
                        }
                        let (all, own, index) = stack.pop().unwrap_or_default();
                        let parent = stack.last_mut();
                        match (index, parent) {
                            (Some(i), parent) => {
                                ruled[i].all_text = all;
                                ruled[i].own_text = own;
                                open_ruled.pop();
                                if let Some(p) = parent {
                                    p.0 += all;
                                }
                            }
                            (None, Some(p)) => {
                                p.0 += all;
                                p.1 += own;
                            }
                            (None, None) => stack.push((all, own, None)),
                        }
                    }
                }
            }
        }
        // What the page keeps with every rule applied.
        let mut kept = stack.first().map_or(0, |s| s.1);
        let mut rescued = vec![false; ruled.len()];
        for _ in 0..MAX_RESCUES {
            // The biggest dropped wrapper whose ruled ancestors have all been given back.
            let outermost = |i: &usize| {
                let mut p = ruled[*i].parent;
                while let Some(a) = p {
                    if !rescued[a] {
                        return false;
                    }
                    p = ruled[a].parent;
                }
                !rescued[*i]
            };
            // Wrappers first: comments are given back only to a page with nothing else.
            let biggest = |comments: bool| {
                (0..ruled.len())
                    .filter(|i| outermost(i) && (ruled[*i].kind == Named::Comments) == comments)
                    .max_by_key(|i| (ruled[*i].all_text, std::cmp::Reverse(*i)))
            };
            let wrapper = biggest(false).filter(|i| ruled[*i].all_text > kept);
            let comments =
                || biggest(true).filter(|i| kept < COMMENTS_ALONE && ruled[*i].all_text > kept);
            let Some(best) = wrapper.or_else(comments) else {
                break;
            };
            let r = &ruled[best];
            rescued[best] = true;
            kept += r.own_text;
        }
        self.dropped = ruled
            .iter()
            .zip(&rescued)
            .filter(|(_, rescued)| !**rescued)
            .map(|(r, _)| r.id)
            .chain(hard)
            .collect();
    }

    /// Drops that hold in either mode: non-content elements, hidden ones, excluded ones.
    fn hard_drops(&self, node: NodeRef<'_, Node>, el: &Element) -> bool {
        if always_dropped(el) {
            return true;
        }
        let attrs = key_attrs(el);
        if attrs.hidden || attrs.aria_hidden || attrs.style.is_some_and(style_hides) {
            return true;
        }
        !self.excluded.is_empty() && self.excluded.contains(&node.id())
    }

    /// Whether `el` (the value of `node`) and everything below it is dropped.
    pub(crate) fn drops(&self, node: NodeRef<'_, Node>, el: &Element) -> bool {
        if self.dropped.contains(&node.id()) {
            return true;
        }
        // When the content is found below the body, the rules pass has already judged
        // every element the walks can reach (they never enter a dropped subtree).
        !self.judged_all && self.hard_drops(node, el)
    }

    /// Drops link-dense blocks (more than half link text) inside the content `roots`: breadcrumbs, tag lists, author
    /// links, share bars, "read more" lines and teaser lists that carry no telling name.
    /// Headings stay (a listing's headlines are links), and a root that is itself mostly
    /// links (a link directory) is left whole.
    pub(crate) fn drop_link_dense(&mut self, roots: &[NodeRef<'_, Node>]) {
        if !self.main_only {
            return;
        }
        for root in roots {
            let mut found = Vec::new();
            let mut headings = Vec::new();
            let mut prose: FxHashMap<NodeId, usize> =
                FxHashMap::with_capacity_and_hasher(256, Default::default());
            // Per open element: (text, link text, candidate).
            let mut stack: Vec<(usize, usize, Option<NodeId>)> = vec![(0, 0, None)];
            let mut skip_until: Option<NodeId> = None;
            let mut link_depth = 0usize;
            for edge in root.traverse() {
                if let Some(skip) = skip_until {
                    if matches!(edge, Edge::Close(n) if n.id() == skip) {
                        skip_until = None;
                    }
                    continue;
                }
                match edge {
                    Edge::Open(n) => match n.value() {
                        Node::Text(t) => {
                            let len = t.text.trim().len();
                            if let Some(top) = stack.last_mut() {
                                top.0 += len;
                                if link_depth > 0 {
                                    top.1 += len;
                                }
                            }
                        }
                        Node::Element(el) => {
                            if n != *root && self.drops(n, el) {
                                skip_until = Some(n.id());
                                continue;
                            }
                            // Blocks inside a link belong to it, not candidates of their own.
                            let candidate =
                                (n != *root && link_depth == 0 && link_dense_candidate(el))
                                    .then(|| n.id());
                            if el.name.local == local_name!("a") {
                                link_depth += 1;
                            }
                            stack.push((0, 0, candidate));
                        }
                        _ => {}
                    },
                    Edge::Close(n) => {
                        if let Node::Element(el) = n.value() {
                            if el.name.local == local_name!("a") {
                                link_depth = link_depth.saturating_sub(1);
                            }
                            let (text, links, candidate) = stack.pop().unwrap_or_default();
                            prose.insert(n.id(), text - links.min(text));
                            if matches!(
                                el.name.local,
                                local_name!("h2")
                                    | local_name!("h3")
                                    | local_name!("h4")
                                    | local_name!("h5")
                                    | local_name!("h6")
                            ) {
                                headings.push(n);
                            }
                            if let Some(id) = candidate {
                                if text > 0 && links * 2 > text {
                                    found.push(id);
                                }
                            }
                            match stack.last_mut() {
                                Some(parent) => {
                                    parent.0 += text;
                                    parent.1 += links;
                                }
                                None => stack.push((text, links, None)),
                            }
                        }
                    }
                }
            }
            let (text, links, _) = stack.first().copied().unwrap_or_default();
            if links * 2 < text {
                self.dropped.extend(found);
            }
            self.drop_threads(*root, &prose, text - links.min(text));
            self.drop_orphan_headings(&headings);
        }
    }

    /// Drops headings left with nothing under them once what they introduced is gone
    /// ("Related stories" over a dropped list, "42 comments" over a dropped thread, "Leave
    /// a reply" over a dropped form).
    fn drop_orphan_headings(&mut self, headings: &[NodeRef<'_, Node>]) {
        for heading in headings {
            let mut introduced = 0;
            let mut orphan = true;
            for sibling in heading.next_siblings() {
                match sibling.value() {
                    Node::Text(t) if !t.trim().is_empty() => orphan = false,
                    Node::Element(el) => {
                        if matches!(
                            el.name.local,
                            local_name!("h1")
                                | local_name!("h2")
                                | local_name!("h3")
                                | local_name!("h4")
                                | local_name!("h5")
                                | local_name!("h6")
                        ) {
                            break;
                        }
                        introduced += 1;
                        if !self.drops(sibling, el) {
                            orphan = false;
                        }
                    }
                    _ => {}
                }
                if !orphan {
                    break;
                }
            }
            if orphan && introduced > 0 {
                self.dropped.insert(heading.id());
            }
        }
    }

    /// Drops reader threads that carry no telling name: three or more alike siblings (same
    /// tag and class), each a small block with furniture beside its text (a name, a date, a
    /// reply link), next to an article that stands on its own. Repeated blocks that are the
    /// page (a forum thread, a listing) or that are the article's own paragraphs stay.
    fn drop_threads(
        &mut self,
        root: NodeRef<'_, Node>,
        prose: &FxHashMap<NodeId, usize>,
        root_prose: usize,
    ) {
        let prose_of = |n: &NodeRef<'_, Node>| prose.get(&n.id()).copied().unwrap_or(0);
        let mut kids = Vec::new();
        for node in root.descendants() {
            if !prose.contains_key(&node.id())
                || node
                    .children()
                    .filter(|c| c.value().is_element())
                    .nth(THREAD_ITEMS - 1)
                    .is_none()
            {
                continue;
            }
            kids.clear();
            kids.extend(node.children().filter_map(|c| {
                let el = c.value().as_element()?;
                // The first class names the kind ("post bg1", "post bg2"; "comment even").
                let kind =
                    attr(el, &local_name!("class")).and_then(|c| c.split_ascii_whitespace().next());
                Some(((el.name.local.clone(), kind), c))
            }));
            kids.sort_by(|a, b| a.0.cmp(&b.0));
            for group in kids.chunk_by(|a, b| a.0 == b.0) {
                if group.len() < THREAD_ITEMS {
                    continue;
                }
                // Cheapest tests first: most groups are an article's paragraphs or rows.
                let total: usize = group.iter().map(|(_, n)| prose_of(n)).sum();
                if total == 0
                    || total / group.len() > THREAD_ITEM_PROSE
                    || root_prose.saturating_sub(total) < THREAD_ARTICLE_PROSE
                    || group.iter().any(|(_, n)| holds_title(*n))
                {
                    continue;
                }
                let furnished = group
                    .iter()
                    .filter(|(_, n)| furnished(*n, self, &prose_of))
                    .count();
                if furnished * 4 < group.len() * 3 {
                    continue;
                }
                // A thread is one run of items; notes or figures spread between the
                // article's paragraphs are not.
                let members: Vec<NodeId> = group.iter().map(|(_, n)| n.id()).collect();
                if !is_one_run(node, &members, &prose_of) {
                    continue;
                }
                self.dropped.extend(group.iter().map(|(_, n)| n.id()));
            }
        }
    }
}

/// Whether `members` (children of `parent`) follow one another, with nothing that holds
/// prose between them.
fn is_one_run(
    parent: NodeRef<'_, Node>,
    members: &[NodeId],
    prose_of: &dyn Fn(&NodeRef<'_, Node>) -> usize,
) -> bool {
    let (mut started, mut ended) = (false, false);
    for child in parent.children().filter(|c| c.value().is_element()) {
        if members.contains(&child.id()) {
            if ended {
                return false;
            }
            started = true;
        } else if started && prose_of(&child) > 0 {
            ended = true;
        }
    }
    true
}

/// A comment's name or date line: shorter than this many bytes of (non-link) text.
const SHORT_FURNITURE: usize = 60;

/// Alike siblings that may be a reader thread (or a product's reviews).
const THREAD_ITEMS: usize = 3;
/// A thread's items are short: at most this much prose each on average.
const THREAD_ITEM_PROSE: usize = 450;
/// The article beside a thread: at least this much prose outside it.
const THREAD_ARTICLE_PROSE: usize = 400;

/// A block holding a block of text and furniture beside it: a name (inline or a short
/// block), a date or meta line the rules already pruned, or a block with a link or avatar.
/// A paragraph wrapped in a `<div>` is not.
fn furnished(
    item: NodeRef<'_, Node>,
    pruner: &Pruner,
    prose_of: &dyn Fn(&NodeRef<'_, Node>) -> usize,
) -> bool {
    let mut node = item;
    loop {
        let mut elements = node.children().filter(|c| c.value().is_element());
        match (elements.next(), elements.next()) {
            (Some(only), None) if !has_own_text(node) => node = only,
            _ => break,
        }
    }
    // The text is the longest visible block; furniture is anything else beside it.
    let text_len = |n: NodeRef<'_, Node>| prose_of(&n);
    let mut text: Option<(NodeId, usize)> = None;
    for child in node.children() {
        if let Some(el) = child.value().as_element() {
            if is_block(el) && !pruner.drops(child, el) {
                let len = text_len(child);
                if text.is_none_or(|(_, l)| len > l) {
                    text = Some((child.id(), len));
                }
            }
        }
    }
    let Some((text_id, _)) = text else {
        return false;
    };
    node.children().any(|child| {
        let Some(el) = child.value().as_element() else {
            return false;
        };
        if child.id() == text_id {
            return false;
        }
        let linked = child.descendants().any(|d| {
            d.value()
                .as_element()
                .is_some_and(|e| matches!(e.name.local, local_name!("a") | local_name!("img")))
        });
        pruner.drops(child, el) || !is_block(el) || linked || text_len(child) < SHORT_FURNITURE
    })
}

fn has_own_text(node: NodeRef<'_, Node>) -> bool {
    node.children()
        .any(|c| c.value().as_text().is_some_and(|t| !t.trim().is_empty()))
}

/// Whether a block holds a title-level heading (sections and teasers do, comments do not).
fn holds_title(node: NodeRef<'_, Node>) -> bool {
    node.descendants().any(|d| {
        d.value().as_element().is_some_and(|e| {
            matches!(
                e.name.local,
                local_name!("h1") | local_name!("h2") | local_name!("h3")
            )
        })
    })
}

/// Blocks that may be dropped for being mostly links.
fn link_dense_candidate(el: &Element) -> bool {
    matches!(
        el.name.local,
        local_name!("p")
            | local_name!("div")
            | local_name!("section")
            | local_name!("ul")
            | local_name!("ol")
            | local_name!("dl")
            | local_name!("li")
            | local_name!("span")
            | local_name!("table")
    )
}

/// The main-content rule for one (visible) element.
fn rule(node: NodeRef<'_, Node>, el: &Element) -> Named {
    match el.name.local {
        local_name!("nav")
        | local_name!("aside")
        | local_name!("footer")
        | local_name!("form")
        | local_name!("dialog")
        | local_name!("menu")
        | local_name!("address")
        | local_name!("figcaption")
        | local_name!("time") => return Named::Boilerplate,
        local_name!("header") if !is_article_header(node) => return Named::Boilerplate,
        _ => {}
    }
    let attrs = key_attrs(el);
    if attrs.role.is_some_and(|r| {
        BOILERPLATE_ROLES
            .iter()
            .any(|b| r.trim().eq_ignore_ascii_case(b))
    }) {
        return Named::Boilerplate;
    }
    let names = [attrs.class, attrs.id, attrs.component].map(|v| v.map_or(Named::Plain, named));
    if names.contains(&Named::Comments) {
        Named::Comments
    } else if names.contains(&Named::Boilerplate) {
        Named::Boilerplate
    } else {
        Named::Plain
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
                        if !is_block(el) {
                            parent.inline_text += done.inline_text;
                            parent.inline_breaks += done.inline_breaks;
                        }
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
            | local_name!("header")
            | local_name!("footer")
            | local_name!("nav")
            | local_name!("aside")
            | local_name!("form")
            | local_name!("address")
            | local_name!("table")
            | local_name!("tbody")
            | local_name!("thead")
            | local_name!("tr")
            | local_name!("td")
            | local_name!("th")
            | local_name!("ul")
            | local_name!("ol")
            | local_name!("li")
            | local_name!("dl")
            | local_name!("dt")
            | local_name!("dd")
            | local_name!("pre")
            | local_name!("blockquote")
            | local_name!("h1")
            | local_name!("h2")
            | local_name!("h3")
            | local_name!("h4")
            | local_name!("h5")
            | local_name!("h6")
            | local_name!("figure")
            | local_name!("center")
            | local_name!("fieldset")
            | local_name!("details")
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
