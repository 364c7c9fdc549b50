//! DOM → Markdown (CommonMark + GFM tables and strikethrough), walking the already-parsed
//! tree instead of re-parsing as general converters do.
//!
//! The writer defers everything that depends on what comes next: the space between words,
//! paragraph breaks, line prefixes of quotes and list items, and opening emphasis/link
//! markers. So `<b> x </b>` becomes `**x**`, empty elements leave no `****` behind, and no
//! line ends in spaces.

use ego_tree::iter::Edge;
use ego_tree::NodeRef;
use html5ever::local_name;
use scraper::node::Element;
use scraper::Node;
use url::Url;

use super::content::Pruner;
use super::dom::{attr, collapse_ws, MAX_DEPTH};
use super::scan::image_src;
use super::{ExtractOptions, Heading};

/// The Markdown of the content plus what the analysis needs from the same walk.
pub(crate) struct Rendered {
    pub markdown: String,
    /// Prose text (code excluded), words separated by single spaces; empty unless asked for.
    pub text: String,
    pub headings: Vec<Heading>,
    /// Words of `text`.
    pub word_count: usize,
}

struct Ctx<'a> {
    pruner: &'a Pruner,
    base: &'a Url,
    remove_base64_images: bool,
}

pub(crate) fn render(
    roots: &[NodeRef<'_, Node>],
    pruner: &Pruner,
    base: &Url,
    opts: &ExtractOptions,
    collect_text: bool,
) -> Rendered {
    let ctx = Ctx {
        pruner,
        base,
        remove_base64_images: opts.remove_base64_images,
    };
    let mut w = Writer::new(&ctx, collect_text);
    for root in roots {
        match root.value() {
            Node::Element(el) => {
                w.block_break(2);
                w.element(*root, el, 0);
                w.block_break(2);
            }
            _ => w.children(*root, 0),
        }
    }
    Rendered {
        markdown: w.out,
        text: w.text.unwrap_or_default(),
        headings: w.headings,
        word_count: w.words,
    }
}

/// One level of line prefix: a blockquote's `> ` or a list item's marker and indentation.
struct Seg {
    first: String,
    rest: String,
    first_done: bool,
    item: bool,
}

struct Writer<'c, 'a> {
    ctx: &'c Ctx<'a>,
    out: String,
    segs: Vec<Seg>,
    /// Line breaks owed before the next content: 1 = new line, 2 = blank line.
    breaks: u8,
    space: bool,
    hard_break: bool,
    /// Opening markers (`**`, `[`, `## `) not yet written because no content followed yet.
    open: String,
    /// Inside a heading, link or table cell: block structure collapses to spaces.
    inline_only: u32,
    line_start: bool,
    strong: u32,
    em: u32,
    del: u32,
    link: u32,
    text: Option<String>,
    words: usize,
    headings: Vec<Heading>,
}

impl<'c, 'a> Writer<'c, 'a> {
    fn new(ctx: &'c Ctx<'a>, collect_text: bool) -> Self {
        Writer {
            ctx,
            out: String::new(),
            segs: Vec::new(),
            breaks: 0,
            space: false,
            hard_break: false,
            open: String::new(),
            inline_only: 0,
            line_start: true,
            strong: 0,
            em: 0,
            del: 0,
            link: 0,
            text: collect_text.then(String::new),
            words: 0,
            headings: Vec::new(),
        }
    }

    // ---- low-level output -------------------------------------------------------------

    /// Settles owed breaks, prefixes, spaces and opening markers before content is written;
    /// returns whether the content starts a line (so line-start syntax must be escaped).
    fn begin(&mut self) -> bool {
        if self.out.is_empty() {
            self.write_prefix();
            self.line_start = true;
        } else if self.breaks > 0 {
            for _ in 1..self.breaks {
                self.out.push('\n');
                self.write_blank_prefix();
            }
            self.out.push('\n');
            self.write_prefix();
            self.line_start = true;
        } else if self.hard_break && !self.line_start {
            self.out.push_str("\\\n");
            self.write_prefix();
            self.line_start = true;
        } else if self.space && !self.line_start {
            self.out.push(' ');
        }
        self.breaks = 0;
        self.space = false;
        self.hard_break = false;
        let at_start = self.line_start && self.open.is_empty();
        if !self.open.is_empty() {
            self.out.push_str(&self.open);
            self.open.clear();
        }
        self.line_start = false;
        at_start
    }

    fn write_prefix(&mut self) {
        for seg in &mut self.segs {
            if seg.first_done {
                self.out.push_str(&seg.rest);
            } else {
                self.out.push_str(&seg.first);
                seg.first_done = true;
            }
        }
    }

    fn write_blank_prefix(&mut self) {
        let start = self.out.len();
        // A quote or item that has not started yet does not own the blank line before it.
        for seg in self.segs.iter().filter(|s| s.first_done) {
            self.out.push_str(&seg.rest);
        }
        let trimmed = self.out[start..].trim_end().len();
        self.out.truncate(start + trimmed);
    }

    fn newline_with_prefix(&mut self) {
        self.out.push('\n');
        for seg in &self.segs {
            self.out.push_str(&seg.rest);
        }
    }

    fn block_break(&mut self, n: u8) {
        if self.inline_only > 0 {
            self.space = true;
            return;
        }
        // A list item whose marker is not out yet has already asked for its own line.
        if self.out.is_empty() || self.segs.last().is_some_and(|s| s.item && !s.first_done) {
            return;
        }
        self.breaks = self.breaks.max(n);
        self.space = false;
        self.hard_break = false;
    }

    /// Closes a deferred opener: if nothing was written since `mark`, the opener vanishes.
    fn close(&mut self, mark: usize, suffix: &str) {
        if self.open.len() > mark {
            self.open.truncate(mark);
        } else {
            self.out.push_str(suffix);
        }
    }

    fn text(&mut self, s: &str) {
        let after_lead = s.trim_start();
        if after_lead.len() < s.len() {
            self.space = true;
        }
        let body = after_lead.trim_end();
        let trailing_space = body.len() < after_lead.len();
        if !body.is_empty() {
            let first_end = body.find(char::is_whitespace).unwrap_or(body.len());
            self.word(&body[..first_end]);
            self.more_words(&body[first_end..]);
        }
        if trailing_space {
            self.space = true;
        }
    }

    /// The words of a text node after its first, `rest` starting with whitespace. Nothing
    /// can be owed between two of them but one space, so plain ASCII words separated by
    /// single spaces (most running text) are copied in one piece.
    fn more_words(&mut self, rest: &str) {
        // One branch-free pass: this runs over nearly every byte of a page's text.
        let (mut plain, mut spaces, mut after_space) = (true, 0, false);
        for &b in rest.as_bytes() {
            let space = b == b' ';
            plain &= PLAIN[usize::from(b)] && !(space && after_space);
            spaces += usize::from(space);
            after_space = space;
        }
        if plain {
            self.out.push_str(rest);
            if let Some(text) = self.text.as_mut() {
                text.push_str(rest);
                self.words += spaces;
            }
            return;
        }
        for word in rest.split_whitespace() {
            self.space = true;
            self.word(word);
        }
    }

    fn word(&mut self, word: &str) {
        let separated = self.space || self.breaks > 0 || self.hard_break;
        let at_start = self.begin();
        escape_into(&mut self.out, word, at_start);
        if let Some(text) = self.text.as_mut() {
            if text.is_empty() || separated {
                self.words += 1;
                if !text.is_empty() {
                    text.push(' ');
                }
            }
            text.push_str(word);
        }
    }

    // ---- tree walking -----------------------------------------------------------------

    fn children(&mut self, node: NodeRef<'_, Node>, depth: usize) {
        for child in node.children() {
            self.walk(child, depth + 1);
        }
    }

    fn walk(&mut self, node: NodeRef<'_, Node>, depth: usize) {
        match node.value() {
            Node::Text(t) => self.text(&t.text),
            Node::Element(el) => {
                if self.ctx.pruner.drops(node, el) {
                    return;
                }
                if depth >= MAX_DEPTH {
                    let mut s = String::new();
                    self.visible_text(node, &mut s);
                    self.text(&s);
                    return;
                }
                self.element(node, el, depth);
            }
            _ => {}
        }
    }

    fn element(&mut self, node: NodeRef<'_, Node>, el: &Element, depth: usize) {
        match el.name.local {
            local_name!("h1") => self.heading(node, 1, depth),
            local_name!("h2") => self.heading(node, 2, depth),
            local_name!("h3") => self.heading(node, 3, depth),
            local_name!("h4") => self.heading(node, 4, depth),
            local_name!("h5") => self.heading(node, 5, depth),
            local_name!("h6") => self.heading(node, 6, depth),
            local_name!("ul") | local_name!("menu") => self.list(node, el, false, depth),
            local_name!("ol") => self.list(node, el, true, depth),
            local_name!("li") => self.item(node, "- ".to_owned(), true, depth),
            local_name!("pre") => self.code_block(node, el),
            local_name!("code") | local_name!("kbd") | local_name!("samp") | local_name!("tt") => {
                self.inline_code(node)
            }
            local_name!("blockquote") => self.quote(node, depth),
            local_name!("table") => self.table(node, depth),
            local_name!("a") => self.link(node, el, depth),
            local_name!("img") => self.image(el),
            local_name!("br") => self.br(),
            local_name!("hr") => self.hr(),
            local_name!("strong") | local_name!("b") => self.wrap(node, depth, Wrap::Strong),
            local_name!("em") | local_name!("i") => self.wrap(node, depth, Wrap::Em),
            local_name!("del") | local_name!("s") | local_name!("strike") => {
                self.wrap(node, depth, Wrap::Del)
            }
            local_name!("p")
            | local_name!("div")
            | local_name!("section")
            | local_name!("article")
            | local_name!("main")
            | local_name!("header")
            | local_name!("footer")
            | local_name!("nav")
            | local_name!("aside")
            | local_name!("address")
            | local_name!("figure")
            | local_name!("figcaption")
            | local_name!("details")
            | local_name!("summary")
            | local_name!("center")
            | local_name!("hgroup")
            | local_name!("fieldset")
            | local_name!("legend")
            | local_name!("form")
            | local_name!("dl")
            | local_name!("dt")
            | local_name!("dd")
            | local_name!("body")
            | local_name!("html")
            | local_name!("tr")
            | local_name!("td")
            | local_name!("th")
            | local_name!("thead")
            | local_name!("tbody")
            | local_name!("tfoot")
            | local_name!("caption")
            | local_name!("dialog") => {
                self.block_break(2);
                self.children(node, depth);
                self.block_break(2);
            }
            _ => self.children(node, depth),
        }
    }

    fn heading(&mut self, node: NodeRef<'_, Node>, level: u8, depth: usize) {
        self.block_break(2);
        if self.inline_only > 0 {
            self.children(node, depth);
            return;
        }
        let mark = self.open.len();
        for _ in 0..level {
            self.open.push('#');
        }
        self.open.push(' ');
        let text_start = self.text.as_ref().map(String::len);
        self.inline_only += 1;
        self.children(node, depth);
        self.inline_only -= 1;
        self.close(mark, "");
        if let (Some(text), Some(start)) = (self.text.as_ref(), text_start) {
            let heading = text[start..].trim();
            if !heading.is_empty() {
                self.headings.push(Heading {
                    level,
                    text: heading.to_owned(),
                });
            }
        }
        self.block_break(2);
    }

    fn list(&mut self, node: NodeRef<'_, Node>, el: &Element, ordered: bool, depth: usize) {
        let nested = self.segs.iter().any(|s| s.item);
        self.block_break(if nested { 1 } else { 2 });
        let mut n: u64 = if ordered {
            attr(el, &local_name!("start"))
                .and_then(|s| s.trim().parse::<u64>().ok())
                .unwrap_or(1)
        } else {
            1
        };
        let mut first = true;
        for child in node.children() {
            let is_item = child.value().as_element().is_some_and(|c| {
                c.name.local == local_name!("li") && !self.ctx.pruner.drops(child, c)
            });
            if is_item && self.inline_only == 0 {
                // CommonMark allows at most nine digits in an ordered list marker.
                let marker = if ordered {
                    format!("{}. ", n.min(999_999_999))
                } else {
                    "- ".to_owned()
                };
                self.item(child, marker, first, depth + 1);
                first = false;
                n += 1;
            } else {
                self.walk(child, depth + 1);
            }
        }
        self.block_break(2);
    }

    fn item(&mut self, node: NodeRef<'_, Node>, marker: String, first: bool, depth: usize) {
        if self.inline_only > 0 {
            self.space = true;
            self.children(node, depth);
            self.space = true;
            return;
        }
        let pending_item = self.segs.last().is_some_and(|s| s.item && !s.first_done);
        if first || self.out.is_empty() || pending_item {
            self.block_break(1);
        } else {
            // Items of one list sit on consecutive lines even after a loose item.
            self.breaks = 1;
            self.space = false;
            self.hard_break = false;
        }
        let rest = " ".repeat(marker.len());
        self.segs.push(Seg {
            first: marker,
            rest,
            first_done: false,
            item: true,
        });
        self.children(node, depth);
        self.segs.pop();
    }

    fn quote(&mut self, node: NodeRef<'_, Node>, depth: usize) {
        self.block_break(2);
        if self.inline_only > 0 {
            self.children(node, depth);
            return;
        }
        self.segs.push(Seg {
            first: "> ".to_owned(),
            rest: "> ".to_owned(),
            first_done: false,
            item: false,
        });
        self.children(node, depth);
        self.segs.pop();
        self.block_break(2);
    }

    fn code_block(&mut self, node: NodeRef<'_, Node>, el: &Element) {
        let mut code = String::new();
        self.visible_text(node, &mut code);
        if self.inline_only > 0 {
            self.write_inline_code(&collapse_ws(&code));
            return;
        }
        let code = code.strip_prefix('\n').unwrap_or(&code).trim_end();
        if code.trim().is_empty() {
            return;
        }
        let lang = code_language(node, el);
        let fence = "`".repeat(longest_run(code, '`').max(2) + 1);
        self.block_break(2);
        self.begin();
        self.out.push_str(&fence);
        self.out.push_str(&lang);
        for line in code.lines() {
            self.newline_with_prefix();
            let line = line.trim_end();
            if line.is_empty() {
                let trimmed = self.out.trim_end_matches(' ').len();
                self.out.truncate(trimmed);
            }
            self.out.push_str(line);
        }
        self.newline_with_prefix();
        self.out.push_str(&fence);
        self.block_break(2);
    }

    fn inline_code(&mut self, node: NodeRef<'_, Node>) {
        let mut code = String::new();
        self.visible_text(node, &mut code);
        self.write_inline_code(&collapse_ws(&code));
    }

    fn write_inline_code(&mut self, code: &str) {
        if code.is_empty() {
            return;
        }
        let fence = "`".repeat(longest_run(code, '`') + 1);
        let pad = if code.starts_with('`') || code.ends_with('`') {
            " "
        } else {
            ""
        };
        self.begin();
        self.out.push_str(&fence);
        self.out.push_str(pad);
        self.out.push_str(code);
        self.out.push_str(pad);
        self.out.push_str(&fence);
    }

    fn link(&mut self, node: NodeRef<'_, Node>, el: &Element, depth: usize) {
        let dest = attr(el, &local_name!("href")).and_then(|h| self.link_destination(h));
        let Some(dest) = dest.filter(|_| self.link == 0) else {
            self.children(node, depth);
            return;
        };
        self.link += 1;
        self.inline_only += 1;
        let mark = self.open.len();
        self.open.push('[');
        self.children(node, depth);
        self.inline_only -= 1;
        self.link -= 1;
        if self.open.len() > mark {
            self.open.truncate(mark);
        } else {
            self.out.push_str("](");
            push_destination(&mut self.out, &dest);
            self.out.push(')');
        }
    }

    fn link_destination(&self, href: &str) -> Option<Url> {
        let href = href.trim();
        if href.is_empty() {
            return None;
        }
        let url = self.ctx.base.join(href).ok()?;
        matches!(url.scheme(), "http" | "https" | "mailto" | "tel" | "ftp").then_some(url)
    }

    fn image(&mut self, el: &Element) {
        let Some(src) = image_src(el) else {
            return;
        };
        let Ok(url) = self.ctx.base.join(src) else {
            return;
        };
        match url.scheme() {
            "http" | "https" => {}
            "data" if !self.ctx.remove_base64_images => {}
            _ => return,
        }
        let alt = attr(el, &local_name!("alt"))
            .map(collapse_ws)
            .unwrap_or_default();
        self.begin();
        self.out.push_str("![");
        for c in alt.chars() {
            if matches!(c, '[' | ']' | '\\') {
                self.out.push('\\');
            }
            self.out.push(c);
        }
        self.out.push_str("](");
        push_destination(&mut self.out, &url);
        self.out.push(')');
    }

    fn br(&mut self) {
        if self.inline_only > 0 {
            self.space = true;
        } else if self.hard_break {
            // `<br><br>` is how many pages separate paragraphs.
            self.block_break(2);
        } else if !self.out.is_empty() && self.breaks == 0 {
            self.hard_break = true;
        }
    }

    fn hr(&mut self) {
        if self.inline_only > 0 {
            return;
        }
        self.block_break(2);
        self.begin();
        self.out.push_str("---");
        self.block_break(2);
    }

    fn wrap(&mut self, node: NodeRef<'_, Node>, depth: usize, kind: Wrap) {
        let (counter, marker) = match kind {
            Wrap::Strong => (&mut self.strong, "**"),
            Wrap::Em => (&mut self.em, "*"),
            Wrap::Del => (&mut self.del, "~~"),
        };
        // Nested identical emphasis (`<b><b>x</b></b>`) would print `****x****`.
        if *counter > 0 {
            self.children(node, depth);
            return;
        }
        *counter += 1;
        let mark = self.open.len();
        self.open.push_str(marker);
        self.children(node, depth);
        self.close(mark, marker);
        match kind {
            Wrap::Strong => self.strong -= 1,
            Wrap::Em => self.em -= 1,
            Wrap::Del => self.del -= 1,
        }
    }

    fn table(&mut self, node: NodeRef<'_, Node>, depth: usize) {
        let rows = table_rows(node);
        let nested = node.descendants().skip(1).any(|d| {
            d.value()
                .as_element()
                .is_some_and(|e| e.name.local == local_name!("table"))
        });
        let mut grid: Vec<Vec<String>> = Vec::with_capacity(rows.len());
        if !nested && self.inline_only == 0 {
            for row in &rows {
                let mut cells = Vec::new();
                for cell in row.children() {
                    let Some(el) = cell.value().as_element() else {
                        continue;
                    };
                    if !matches!(el.name.local, local_name!("td") | local_name!("th"))
                        || self.ctx.pruner.drops(cell, el)
                    {
                        continue;
                    }
                    let span = attr(el, &local_name!("colspan"))
                        .and_then(|s| s.trim().parse::<usize>().ok())
                        .unwrap_or(1)
                        .clamp(1, 64);
                    cells.push(self.cell(cell, depth));
                    cells.extend(std::iter::repeat_n(String::new(), span - 1));
                }
                grid.push(cells);
            }
        }
        let columns = grid.iter().map(Vec::len).max().unwrap_or(0);
        // Layout tables (nested, or a single column) read better as plain blocks.
        if nested || self.inline_only > 0 || columns < 2 {
            self.block_break(2);
            self.children(node, depth);
            self.block_break(2);
            return;
        }
        grid.retain(|row| row.iter().any(|c| !c.is_empty()));
        if grid.is_empty() {
            return;
        }
        if let Some(caption) = node.children().find(|c| {
            c.value()
                .as_element()
                .is_some_and(|e| e.name.local == local_name!("caption"))
        }) {
            self.walk(caption, depth + 1);
        }
        self.block_break(2);
        self.begin();
        for (i, row) in grid.iter().enumerate() {
            if i > 0 {
                self.newline_with_prefix();
            }
            self.out.push('|');
            for c in 0..columns {
                self.out.push(' ');
                self.out.push_str(row.get(c).map_or("", String::as_str));
                self.out.push_str(" |");
            }
            if i == 0 {
                self.newline_with_prefix();
                self.out.push('|');
                for _ in 0..columns {
                    self.out.push_str(" --- |");
                }
            }
        }
        self.block_break(2);
    }

    /// Renders one table cell on a single line, with `|` escaped.
    fn cell(&mut self, cell: NodeRef<'_, Node>, depth: usize) -> String {
        let mut sub = Writer::new(self.ctx, self.text.is_some());
        sub.inline_only = 1;
        sub.children(cell, depth + 1);
        if let (Some(text), Some(cell_text)) = (self.text.as_mut(), sub.text.as_ref()) {
            self.words += sub.words;
            if !cell_text.is_empty() {
                if !text.is_empty() {
                    text.push(' ');
                }
                text.push_str(cell_text);
            }
        }
        let mut out = String::with_capacity(sub.out.len());
        let mut escaped = false;
        for c in sub.out.chars() {
            match c {
                '|' if !escaped => out.push_str("\\|"),
                '\n' => out.push(' '),
                _ => out.push(c),
            }
            escaped = c == '\\' && !escaped;
        }
        out
    }

    /// Text below `node` minus pruned elements, without recursion; `<br>` becomes `\n`.
    fn visible_text(&self, node: NodeRef<'_, Node>, out: &mut String) {
        let mut skip_until = None;
        for edge in node.traverse() {
            match edge {
                Edge::Open(n) if skip_until.is_none() => match n.value() {
                    Node::Text(t) => out.push_str(&t.text),
                    Node::Element(el) if n != node && self.ctx.pruner.drops(n, el) => {
                        skip_until = Some(n.id());
                    }
                    Node::Element(el) if el.name.local == local_name!("br") => out.push('\n'),
                    _ => {}
                },
                Edge::Close(n) if skip_until == Some(n.id()) => skip_until = None,
                _ => {}
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Wrap {
    Strong,
    Em,
    Del,
}

/// `tr` elements of this table (directly or through `thead`/`tbody`/`tfoot`), not of
/// tables nested in it.
fn table_rows<'a>(table: NodeRef<'a, Node>) -> Vec<NodeRef<'a, Node>> {
    let mut rows = Vec::new();
    for child in table.children() {
        let Some(el) = child.value().as_element() else {
            continue;
        };
        match el.name.local {
            local_name!("tr") => rows.push(child),
            local_name!("thead") | local_name!("tbody") | local_name!("tfoot") => {
                rows.extend(child.children().filter(|r| {
                    r.value()
                        .as_element()
                        .is_some_and(|e| e.name.local == local_name!("tr"))
                }));
            }
            _ => {}
        }
    }
    rows
}

/// The language of a code block from `class="language-xx"` (or `lang-xx`) on the `<pre>`
/// or on its `<code>` child.
fn code_language(node: NodeRef<'_, Node>, el: &Element) -> String {
    let code_child = node
        .children()
        .filter_map(|c| c.value().as_element())
        .find(|e| e.name.local == local_name!("code"));
    for candidate in std::iter::once(el).chain(code_child) {
        let Some(class) = attr(candidate, &local_name!("class")) else {
            continue;
        };
        for token in class.split_ascii_whitespace() {
            let lang = token
                .strip_prefix("language-")
                .or_else(|| token.strip_prefix("lang-"));
            if let Some(lang) = lang {
                let clean: String = lang
                    .chars()
                    .filter(|c| {
                        c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '#' | '.' | '-')
                    })
                    .collect();
                if !clean.is_empty() {
                    return clean;
                }
            }
        }
    }
    String::new()
}

fn longest_run(s: &str, ch: char) -> usize {
    let mut best = 0;
    let mut run = 0;
    for c in s.chars() {
        if c == ch {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

/// Writes a link destination; parentheses are percent-encoded so they cannot end it early.
fn push_destination(out: &mut String, url: &Url) {
    let url = url.as_str();
    // Most URLs need no escape: copied in one piece.
    if !url.bytes().any(|b| matches!(b, b'(' | b')' | b' ')) {
        out.push_str(url);
        return;
    }
    for c in url.chars() {
        match c {
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            ' ' => out.push_str("%20"),
            _ => out.push(c),
        }
    }
}

/// Bytes that running text can hold and still be copied as it is: ASCII other than
/// Markdown's specials and whitespace other than the space.
static PLAIN: [bool; 256] = {
    let mut plain = [false; 256];
    let mut b = 0;
    while b < 128 {
        let byte = b as u8;
        plain[b] = !is_special(byte) && !matches!(byte, b'\t'..=b'\r');
        b += 1;
    }
    plain
};

/// Bytes that may need a backslash in running text.
const fn is_special(b: u8) -> bool {
    matches!(b, b'\\' | b'*' | b'_' | b'`' | b'[' | b']' | b'<')
}

/// Writes one word of text, escaping only what Markdown would otherwise misread.
fn escape_into(out: &mut String, word: &str, at_line_start: bool) {
    let bytes = word.as_bytes();
    if at_line_start {
        let first = bytes[0];
        let all_same_punct = bytes.iter().all(|&b| b == first);
        match first {
            b'>' => out.push('\\'),
            b'#' if all_same_punct => out.push('\\'),
            b'-' | b'+' | b'=' if all_same_punct => out.push('\\'),
            b'0'..=b'9' => {
                let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
                if digits + 1 == bytes.len() && matches!(bytes[digits], b'.' | b')') {
                    out.push_str(&word[..digits]);
                    out.push('\\');
                    out.push_str(&word[digits..]);
                    return;
                }
            }
            _ => {}
        }
    }
    if !bytes.iter().copied().any(is_special) {
        out.push_str(word);
        return;
    }
    let mut prev: Option<char> = None;
    let mut chars = word.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' | '*' | '`' | '[' | ']' => out.push('\\'),
            // Intraword underscores (snake_case) never make emphasis in CommonMark.
            '_' => {
                let inside = prev.is_some_and(char::is_alphanumeric)
                    && chars.peek().copied().is_some_and(char::is_alphanumeric);
                if !inside {
                    out.push('\\');
                }
            }
            // Only `<` that could open a tag or autolink needs escaping.
            '<' if chars
                .peek()
                .is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?')) =>
            {
                out.push('\\')
            }
            _ => {}
        }
        out.push(c);
        prev = Some(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(word: &str, start: bool) -> String {
        let mut s = String::new();
        escape_into(&mut s, word, start);
        s
    }

    #[test]
    fn ordinary_words_are_not_escaped() {
        assert_eq!(esc("hello,", false), "hello,");
        assert_eq!(esc("snake_case_name", false), "snake_case_name");
        assert_eq!(esc("a<1", false), "a<1");
        assert_eq!(esc("x<=y", false), "x<=y");
        assert_eq!(esc("#hashtag", true), "#hashtag");
        assert_eq!(esc("2024", true), "2024");
    }

    #[test]
    fn markdown_specials_are_escaped() {
        assert_eq!(esc("*bold*", false), "\\*bold\\*");
        assert_eq!(esc("_private", false), "\\_private");
        assert_eq!(esc("[x]", false), "\\[x\\]");
        assert_eq!(esc("`tick`", false), "\\`tick\\`");
        assert_eq!(esc("<div>", false), "\\<div>");
        assert_eq!(esc("back\\slash", false), "back\\\\slash");
    }

    #[test]
    fn line_start_syntax_is_escaped_only_at_line_start() {
        assert_eq!(esc("#", true), "\\#");
        assert_eq!(esc("##", true), "\\##");
        assert_eq!(esc(">", true), "\\>");
        assert_eq!(esc("-", true), "\\-");
        assert_eq!(esc("---", true), "\\---");
        assert_eq!(esc("1.", true), "1\\.");
        assert_eq!(esc("12)", true), "12\\)");
        assert_eq!(esc("1.", false), "1.");
        assert_eq!(esc("-", false), "-");
    }

    /// Markdown and word count of `<p>{body}</p>` as main content.
    fn paragraph(body: &str) -> (String, usize) {
        let html = format!("<html lang=en><body><main><p>{body}</p></main></body></html>");
        let url = Url::parse("https://example.test/").unwrap();
        let d = crate::extract(&html, &url, &ExtractOptions::default());
        (d.markdown.unwrap(), d.analysis.unwrap().word_count)
    }

    #[test]
    fn running_text_renders_alike_whatever_its_whitespace() {
        let plain = paragraph("Start of a plain sentence with eight words.");
        assert_eq!(
            plain,
            ("Start of a plain sentence with eight words.".to_string(), 8)
        );
        assert_eq!(
            paragraph("  Start  of a\n plain\tsentence with   eight words.\r\n"),
            plain
        );
        assert_eq!(
            paragraph("Start of a plain sentence with\u{a0}eight words."),
            plain
        );
        assert_eq!(
            paragraph("Start of *a* plain_ish sentence [with] eight words."),
            (
                "Start of \\*a\\* plain_ish sentence \\[with\\] eight words.".to_string(),
                8
            )
        );
    }

    #[test]
    fn destinations_keep_parentheses_from_closing_links() {
        let mut s = String::new();
        push_destination(
            &mut s,
            &Url::parse("https://en.example/wiki/Foo_(bar)").unwrap(),
        );
        assert_eq!(s, "https://en.example/wiki/Foo_%28bar%29");
    }
}
