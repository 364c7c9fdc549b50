//! Which parts of a page are content: the pruning rules applied to every element, and the
//! choice of the main-content root(s).

mod pruner;
mod roots;
mod rules;

use ego_tree::NodeRef;
use html5ever::local_name;
use scraper::node::Element;
use scraper::{Html, Node, Selector};

use super::dom::is_html;

pub(crate) use pruner::Pruner;
pub(crate) use roots::select_roots;

/// Parses CSS selectors, skipping invalid ones: a typo in one of several selectors should
/// not throw away the others.
pub(crate) fn parse_selectors(selectors: &[String]) -> Vec<Selector> {
    selectors
        .iter()
        .filter_map(|s| Selector::parse(s.trim()).ok())
        .collect()
}
/// The `<body>` (the parser always makes one), else the document root.
pub(super) fn body_of(dom: &Html) -> NodeRef<'_, Node> {
    let root = dom.tree.root();
    root.descendants()
        .find(|n| {
            n.value()
                .as_element()
                .is_some_and(|e| e.name.local == local_name!("body") && is_html(e))
        })
        .unwrap_or(root)
}

/// Block-level elements: they start and end a paragraph of running text.
pub(super) fn is_block(el: &Element) -> bool {
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
