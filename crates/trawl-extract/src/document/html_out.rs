//! Cleaned HTML: the content roots serialised without pruned elements, event-handler
//! attributes or relative URLs.

use ego_tree::NodeRef;
use html5ever::local_name;
use scraper::node::Element;
use scraper::Node;
use url::Url;

use super::content::Pruner;
use super::dom::MAX_DEPTH;
use super::scan::image_src;
use super::ExtractOptions;

pub(crate) fn serialize(
    roots: &[NodeRef<'_, Node>],
    pruner: &Pruner,
    base: &Url,
    opts: &ExtractOptions,
) -> String {
    let mut s = Serializer {
        out: String::new(),
        pruner,
        base,
        remove_base64_images: opts.remove_base64_images,
    };
    for root in roots {
        match root.value() {
            Node::Element(el) => s.element(*root, el, 0),
            _ => s.children(*root, 0),
        }
    }
    s.out
}

struct Serializer<'a> {
    out: String,
    pruner: &'a Pruner,
    base: &'a Url,
    remove_base64_images: bool,
}

impl Serializer<'_> {
    fn children(&mut self, node: NodeRef<'_, Node>, depth: usize) {
        for child in node.children() {
            match child.value() {
                Node::Text(t) => escape(&mut self.out, &t.text, false),
                Node::Element(el) if !self.pruner.drops(child, el) => {
                    if depth >= MAX_DEPTH {
                        // Too deep to recurse safely: keep the text, drop the structure.
                        for d in child.descendants() {
                            if let Node::Text(t) = d.value() {
                                escape(&mut self.out, &t.text, false);
                            }
                        }
                    } else {
                        self.element(child, el, depth + 1);
                    }
                }
                _ => {}
            }
        }
    }

    fn element(&mut self, node: NodeRef<'_, Node>, el: &Element, depth: usize) {
        let name = &*el.name.local;
        let img_src = if el.name.local == local_name!("img") {
            let src = image_src(el).and_then(|s| self.base.join(s).ok());
            match src {
                Some(u) if u.scheme() == "data" && self.remove_base64_images => return,
                Some(u) => Some(u),
                None => return,
            }
        } else {
            None
        };
        self.out.push('<');
        self.out.push_str(name);
        for (attr_name, value) in &el.attrs {
            let attr = &*attr_name.local;
            // Event handlers are script; srcset holds relative URLs we do not rewrite.
            if attr.starts_with("on") || attr == "srcset" || attr == "style" {
                continue;
            }
            let value: &str = value;
            let value = match attr {
                "src" if img_src.is_some() => continue,
                "href" | "src" | "poster" | "action" => match self.base.join(value.trim()) {
                    Ok(u) => String::from(u),
                    Err(_) => value.to_owned(),
                },
                _ => value.to_owned(),
            };
            self.out.push(' ');
            self.out.push_str(attr);
            self.out.push_str("=\"");
            escape(&mut self.out, &value, true);
            self.out.push('"');
        }
        if let Some(src) = img_src {
            self.out.push_str(" src=\"");
            escape(&mut self.out, src.as_str(), true);
            self.out.push('"');
        }
        self.out.push('>');
        if is_void(el) {
            return;
        }
        self.children(node, depth);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }
}

fn is_void(el: &Element) -> bool {
    matches!(
        el.name.local,
        local_name!("area")
            | local_name!("base")
            | local_name!("br")
            | local_name!("col")
            | local_name!("embed")
            | local_name!("hr")
            | local_name!("img")
            | local_name!("input")
            | local_name!("link")
            | local_name!("meta")
            | local_name!("param")
            | local_name!("source")
            | local_name!("track")
            | local_name!("wbr")
    )
}

fn escape(out: &mut String, s: &str, attribute: bool) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' if !attribute => out.push_str("&lt;"),
            '>' if !attribute => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\u{a0}' => out.push_str("&nbsp;"),
            _ => out.push(c),
        }
    }
}
