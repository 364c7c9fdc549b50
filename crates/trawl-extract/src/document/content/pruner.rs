//! Which elements are dropped: the rules applied once per page with the rescue of
//! wrappers that hold the page, then link-dense blocks, reader threads and orphaned
//! headings inside the chosen content.

use ego_tree::iter::Edge;
use ego_tree::{NodeId, NodeRef};
use html5ever::{local_name, LocalName};
use rustc_hash::{FxHashMap, FxHashSet};
use scraper::node::Element;
use scraper::{Html, Node};

use super::rules::{always_dropped, rule, Named};
use super::{body_of, is_block, parse_selectors};
use crate::document::dom::{attr, key_attrs, raw_text, style_hides, KeyAttrs};
use crate::document::ExtractOptions;

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

/// One element a main-content rule would drop, seen in the rules pass.
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
                        // One scan of the attribute list serves both the hard drops and
                        // the rules.
                        let attrs = key_attrs(el);
                        if n != body && self.hard_drops_with(n, el, &attrs) {
                            hard.push(n.id());
                            skip_until = Some(n.id());
                            continue;
                        }
                        if el.name.local == local_name!("a") {
                            link_depth += 1;
                        }
                        let kind = if n == body {
                            Named::Plain
                        } else {
                            rule(n, el, &attrs)
                        };
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
        always_dropped(el) || self.hard_drops_with(node, el, &key_attrs(el))
    }

    fn hard_drops_with(&self, node: NodeRef<'_, Node>, el: &Element, attrs: &KeyAttrs<'_>) -> bool {
        if always_dropped(el) {
            return true;
        }
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
            let mut leaves = Vec::new();
            // Elements in document order with whether they have enough element children to
            // hold a thread: `drop_threads` looks at those alone.
            let mut parents: Vec<(NodeRef<'_, Node>, bool)> = Vec::new();
            let mut stack: Vec<OpenBlock> = vec![OpenBlock::new(None, usize::MAX)];
            let mut skip_until: Option<NodeId> = None;
            let mut link_depth = 0usize;
            let mut heading_depth = 0usize;
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
                                top.text += len;
                                if link_depth > 0 {
                                    top.links += len;
                                }
                                if heading_depth > 0 {
                                    top.headed += len;
                                }
                            }
                        }
                        Node::Element(el) => {
                            if let Some(parent) = stack.last_mut() {
                                parent.kids += 1;
                            }
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
                            heading_depth += usize::from(is_title(el));
                            if is_block(el) {
                                if let Some(parent) = stack.last_mut() {
                                    parent.holds_block = true;
                                }
                            }
                            parents.push((n, false));
                            stack.push(OpenBlock::new(candidate, parents.len() - 1));
                        }
                        _ => {}
                    },
                    Edge::Close(n) => {
                        if let Node::Element(el) = n.value() {
                            if el.name.local == local_name!("a") {
                                link_depth = link_depth.saturating_sub(1);
                            }
                            heading_depth -= usize::from(is_title(el)).min(heading_depth);
                            let OpenBlock {
                                text,
                                links,
                                candidate,
                                holds_block,
                                kids,
                                index,
                                headed,
                            } = stack
                                .pop()
                                .unwrap_or_else(|| OpenBlock::new(None, usize::MAX));
                            prose.insert(n.id(), text - links.min(text));
                            if let Some(parent) = parents.get_mut(index) {
                                parent.1 = kids >= THREAD_ITEMS;
                            }
                            if is_block(el) && !holds_block && text > 0 {
                                leaves.push((n, text - links.min(text)));
                            }
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
                                // A block of linked headlines (a section's title) stays
                                // like the headings themselves; a link inside a heading
                                // ("[edit]") does not.
                                let headline_block = heading_depth == 0 && headed == text;
                                if text > 0 && links * 2 > text && !headline_block {
                                    found.push(id);
                                }
                            }
                            match stack.last_mut() {
                                Some(parent) => {
                                    parent.text += text;
                                    parent.links += links;
                                    parent.headed += headed;
                                }
                                None => stack.push(OpenBlock {
                                    text,
                                    links,
                                    candidate: None,
                                    holds_block,
                                    kids,
                                    index: usize::MAX,
                                    headed,
                                }),
                            }
                        }
                    }
                }
            }
            let (text, links) = stack.first().map_or((0, 0), |b| (b.text, b.links));
            if links * 2 < text {
                self.dropped.extend(found);
            }
            let parents = parents
                .iter()
                .filter(|(_, enough)| *enough)
                .map(|(n, _)| *n);
            self.drop_threads(parents, &prose, text - links.min(text));
            self.drop_orphan_headings(&headings);
            self.trim_edges(*root, &leaves);
        }
    }

    /// Drops the short lines before the article's first paragraph and after its last one
    /// (kickers, datelines, "5 min read", "Advertisement", "Share", credits): a line under
    /// `EDGE_LINE` bytes with no sentence punctuation, not a heading, list item or cell.
    /// Between paragraphs short lines stay, as jusText keeps short text between good text.
    fn trim_edges(&mut self, root: NodeRef<'_, Node>, leaves: &[(NodeRef<'_, Node>, usize)]) {
        let visible: Vec<(NodeRef<'_, Node>, usize)> = leaves
            .iter()
            .filter(|(n, _)| {
                !n.ancestors()
                    .take_while(|a| *a != root)
                    .chain([*n])
                    .any(|a| self.dropped.contains(&a.id()))
            })
            .copied()
            .collect();
        let long = |(_, prose): &(NodeRef<'_, Node>, usize)| *prose >= LONG_PARAGRAPH;
        let (Some(first), Some(last)) = (
            visible.iter().position(long),
            visible.iter().rposition(long),
        ) else {
            return;
        };
        for (i, (node, prose)) in visible.iter().enumerate() {
            if (first..=last).contains(&i) || *prose >= EDGE_LINE {
                continue;
            }
            // A paragraph inside a table cell is part of the cell, not a line of its own
            // ("8.4 kg" in a specification table).
            let in_cell = node.ancestors().take_while(|a| *a != root).any(|a| {
                a.value().as_element().is_some_and(|e| {
                    matches!(
                        e.name.local,
                        local_name!("td") | local_name!("th") | local_name!("dd")
                    )
                })
            });
            if in_cell {
                continue;
            }
            let Some(el) = node.value().as_element() else {
                continue;
            };
            if matches!(
                el.name.local,
                local_name!("h1")
                    | local_name!("h2")
                    | local_name!("h3")
                    | local_name!("h4")
                    | local_name!("h5")
                    | local_name!("h6")
                    | local_name!("li")
                    | local_name!("td")
                    | local_name!("th")
                    | local_name!("dt")
                    | local_name!("dd")
                    | local_name!("pre")
            ) {
                continue;
            }
            let mut text = String::new();
            raw_text(*node, &mut text);
            let sentence = text
                .trim_end()
                .ends_with(['.', '!', '?', '。', '！', '？', ':', ';']);
            if !sentence {
                self.dropped.insert(node.id());
            }
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
    /// `parents` are the visible elements of the content with at least `THREAD_ITEMS`
    /// element children, in document order.
    fn drop_threads<'a>(
        &mut self,
        parents: impl Iterator<Item = NodeRef<'a, Node>>,
        prose: &FxHashMap<NodeId, usize>,
        root_prose: usize,
    ) {
        // A thread needs an article beside it.
        if root_prose <= THREAD_ARTICLE_PROSE {
            return;
        }
        let prose_of = |n: &NodeRef<'_, Node>| prose.get(&n.id()).copied().unwrap_or(0);
        let mut kids = Vec::new();
        for node in parents {
            kids.clear();
            kids.extend(node.children().filter_map(|c| {
                let el = c.value().as_element()?;
                // The first class names the kind ("post bg1", "post bg2"; "comment even").
                let kind =
                    attr(el, &local_name!("class")).and_then(|c| c.split_ascii_whitespace().next());
                Some(((el.name.local.clone(), kind), c))
            }));
            kids.sort_by(|a, b| a.0.cmp(&b.0));
            let is_thread = |group: &[Kid<'_>]| {
                if group.len() < THREAD_ITEMS {
                    return false;
                }
                // Cheapest tests first: most groups are an article's paragraphs or rows.
                let total: usize = group.iter().map(|(_, n)| prose_of(n)).sum();
                if total == 0
                    || total / group.len() > THREAD_ITEM_PROSE
                    || root_prose.saturating_sub(total) < THREAD_ARTICLE_PROSE
                    || group.iter().any(|(_, n)| holds_title(*n))
                {
                    return false;
                }
                let furnished = group
                    .iter()
                    .filter(|(_, n)| furnished(*n, self, &prose_of))
                    .count();
                if furnished * 4 < group.len() * 3 {
                    return false;
                }
                // A thread is one run of items; notes or figures spread between the
                // article's paragraphs are not.
                let members: Vec<NodeId> = group.iter().map(|(_, n)| n.id()).collect();
                is_one_run(node, &members, &prose_of)
            };
            let mut threads: Vec<NodeId> = Vec::new();
            for group in kids.chunk_by(|a, b| a.0 == b.0) {
                if is_thread(group) {
                    threads.extend(group.iter().map(|(_, n)| n.id()));
                }
            }
            if threads.is_empty() {
                // Items whose first class alternates ("c-0 item", "c-1 item") are one
                // thread of one tag.
                for group in kids.chunk_by(|a, b| a.0 .0 == b.0 .0) {
                    let mixed = group.windows(2).any(|w| w[0].0 .1 != w[1].0 .1);
                    if mixed && is_thread(group) {
                        threads.extend(group.iter().map(|(_, n)| n.id()));
                    }
                }
            }
            self.dropped.extend(threads);
        }
    }
}

/// One open element of the link-density walk.
struct OpenBlock {
    /// Text below it.
    text: usize,
    /// Link text below it.
    links: usize,
    /// Itself, when it may be dropped for being mostly links.
    candidate: Option<NodeId>,
    /// Whether it holds a block-level element.
    holds_block: bool,
    /// Its element children.
    kids: usize,
    /// Its index in the walk's list of parents.
    index: usize,
    /// Text below it inside title-level headings.
    headed: usize,
}

impl OpenBlock {
    fn new(candidate: Option<NodeId>, index: usize) -> OpenBlock {
        OpenBlock {
            text: 0,
            links: 0,
            candidate,
            holds_block: false,
            kids: 0,
            index,
            headed: 0,
        }
    }
}

/// A child in the thread search: (tag, first class) and the node.
type Kid<'a> = ((LocalName, Option<&'a str>), NodeRef<'a, Node>);

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

/// A paragraph of running text: at least this many bytes of non-link text.
const LONG_PARAGRAPH: usize = 100;
/// A furniture line at the article's edges: shorter than this many bytes of non-link text.
const EDGE_LINE: usize = 40;

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

/// Title-level headings: a section's or a teaser's title (a forum's `<h4>` user names are
/// not).
fn is_title(el: &Element) -> bool {
    matches!(
        el.name.local,
        local_name!("h1") | local_name!("h2") | local_name!("h3")
    )
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
