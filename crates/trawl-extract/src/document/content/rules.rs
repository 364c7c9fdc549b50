//! The main-content rules for one element: what its tag, role and names (class, id,
//! data attributes, microdata) say it is, and which elements never carry content.

use ego_tree::NodeRef;
use html5ever::local_name;
use scraper::node::Element;
use scraper::Node;

use super::is_block;
use crate::document::dom::{is_html, key_attrs, KeyAttrs};

/// What a class or id says about an element in main-content mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Named {
    /// Nothing known.
    Plain,
    /// Site chrome or furniture around the content: ads, share bars, bylines, tags,
    /// related stories, navigation, captions.
    Boilerplate,
    /// Reader comments: dropped whenever the page has anything else.
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
        if display_utility(token) {
            continue;
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

/// Tokens that say on which media an element shows (`d-print-none`, `hidden-print`,
/// `gem-print-columns-none`, `visible-mobile-only`): layout utilities that wrap content as
/// often as chrome, so their "print" or "mobile" says nothing about the element.
fn display_utility(token: &str) -> bool {
    let (mut media, mut display) = (false, false);
    for part in token.split(['-', '_']) {
        media |= matches!(part, "print" | "mobile" | "desktop" | "tablet" | "screen");
        display |= matches!(
            part,
            "none"
                | "hidden"
                | "hide"
                | "only"
                | "show"
                | "visible"
                | "block"
                | "columns"
                | "inline"
        );
    }
    media && display
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

/// The main-content rule for one (visible) element.
pub(super) fn rule(node: NodeRef<'_, Node>, el: &Element, attrs: &KeyAttrs<'_>) -> Named {
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
    if attrs.role.is_some_and(|r| {
        BOILERPLATE_ROLES
            .iter()
            .any(|b| r.trim().eq_ignore_ascii_case(b))
    }) {
        return Named::Boilerplate;
    }
    let names = [attrs.class, attrs.id, attrs.component].map(|v| v.map_or(Named::Plain, named));
    let named = if names.contains(&Named::Comments) {
        Named::Comments
    } else if names.contains(&Named::Boilerplate) {
        Named::Boilerplate
    } else {
        return Named::Plain;
    };
    // A headline is never furniture, whatever its classes say (`h1.post-title.published`,
    // `u-faux-block-link__cta` around a teaser's headline inside its `<h3>`).
    if el.name.local == local_name!("h1") || (!is_block(el) && in_heading(node)) {
        return Named::Plain;
    }
    // Replies shaped like the post they answer (a forum's posts, marked up as comments by
    // schema.org microdata) are the thread, not comments under an article.
    if named == Named::Comments && alike_plain_sibling(node, el, attrs) {
        return Named::Plain;
    }
    named
}

fn is_heading(el: &Element) -> bool {
    matches!(
        el.name.local,
        local_name!("h1")
            | local_name!("h2")
            | local_name!("h3")
            | local_name!("h4")
            | local_name!("h5")
            | local_name!("h6")
    )
}

/// Whether an inline element sits inside a heading (a few levels up at most).
fn in_heading(node: NodeRef<'_, Node>) -> bool {
    node.ancestors()
        .take(4)
        .filter_map(|a| a.value().as_element())
        .take_while(|e| !is_block(e) || is_heading(e))
        .any(is_heading)
}

/// Whether a sibling with the same tag and classes carries no comment name.
fn alike_plain_sibling(node: NodeRef<'_, Node>, el: &Element, attrs: &KeyAttrs<'_>) -> bool {
    let Some(class) = attrs.class.filter(|c| !c.trim().is_empty()) else {
        return false;
    };
    let Some(parent) = node.parent() else {
        return false;
    };
    parent.children().any(|sibling| {
        sibling != node
            && sibling.value().as_element().is_some_and(|s| {
                let sa = key_attrs(s);
                s.name.local == el.name.local
                    && sa.class == Some(class)
                    && [sa.class, sa.id, sa.component]
                        .iter()
                        .all(|v| v.is_none_or(|v| named(v) != Named::Comments))
            })
    })
}

/// Elements that never carry readable content, in either mode.
pub(super) fn always_dropped(el: &Element) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::dom::style_hides;

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
