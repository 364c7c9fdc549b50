//! Small helpers over scraper's tree shared by the passes.

use ego_tree::iter::Edge;
use ego_tree::NodeRef;
use html5ever::{local_name, ns, LocalName};
use scraper::node::Element;
use scraper::Node;

/// Beyond this nesting depth the recursive writers stop following structure and emit plain
/// text: deep-nesting pages (hostile or broken) must not overflow a worker thread's stack.
pub(crate) const MAX_DEPTH: usize = 128;

/// The attributes the pruning rules look at, gathered in one scan of the attribute list.
#[derive(Default)]
pub(crate) struct KeyAttrs<'a> {
    pub class: Option<&'a str>,
    pub id: Option<&'a str>,
    pub style: Option<&'a str>,
    pub role: Option<&'a str>,
    /// What the page's own code calls the element, besides its class: `data-testid`,
    /// `data-component`, `itemprop` (the first found).
    pub component: Option<&'a str>,
    pub hidden: bool,
    pub aria_hidden: bool,
    pub input_hidden: bool,
}

pub(crate) fn key_attrs(el: &Element) -> KeyAttrs<'_> {
    let mut out = KeyAttrs::default();
    for (name, value) in &el.attrs {
        let value: &str = value;
        match name.local {
            local_name!("class") => out.class = Some(value),
            local_name!("id") => out.id = Some(value),
            local_name!("style") => out.style = Some(value),
            local_name!("role") => out.role = Some(value),
            local_name!("hidden") => out.hidden = true,
            local_name!("aria-hidden") => {
                out.aria_hidden = value.trim().eq_ignore_ascii_case("true")
            }
            local_name!("type") => out.input_hidden = value.trim().eq_ignore_ascii_case("hidden"),
            local_name!("itemprop") => {
                out.component.get_or_insert(value);
            }
            ref other if other.starts_with("data-") => {
                if matches!(&**other, "data-testid" | "data-component" | "data-module") {
                    out.component.get_or_insert(value);
                }
            }
            _ => {}
        }
    }
    out
}

/// An attribute value by (atom) name, without building a `QualName` as `Element::attr` does.
pub(crate) fn attr<'a>(el: &'a Element, name: &LocalName) -> Option<&'a str> {
    el.attrs
        .iter()
        .find(|(n, _)| n.local == *name)
        .map(|(_, v)| &**v)
}

pub(crate) fn is_html(el: &Element) -> bool {
    el.name.ns == ns!(html)
}

/// Whether an inline `style` hides the element.
pub(crate) fn style_hides(style: &str) -> bool {
    if !style.contains(':') {
        return false;
    }
    let compact: String = style
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    compact.contains("display:none") || compact.contains("visibility:hidden")
}

/// Appends the text below `node` (all of it, nothing pruned), without recursion.
pub(crate) fn raw_text(node: NodeRef<'_, Node>, out: &mut String) {
    for edge in node.traverse() {
        if let Edge::Open(n) = edge {
            match n.value() {
                Node::Text(t) => out.push_str(&t.text),
                Node::Element(el) if el.name.local == local_name!("br") => out.push('\n'),
                _ => {}
            }
        }
    }
}

/// Collapses runs of whitespace to one space and trims the ends.
pub(crate) fn collapse_ws(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}
