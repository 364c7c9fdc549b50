//! Hand-written pages of real-world shapes, each with the behaviour it pins down.

use std::path::PathBuf;

use trawl_extract::charset::decode_html;
use trawl_extract::{extract, Document, ExtractOptions};
use url::Url;

const PAGE_URL: &str = "https://example.com/path/page.html";

fn fixture_bytes(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn extract_with(name: &str, opts: &ExtractOptions) -> Document {
    let (html, _) = decode_html(&fixture_bytes(name), Some("text/html"));
    extract(&html, &Url::parse(PAGE_URL).unwrap(), opts)
}

/// A fixture decoded as if served without a charset, after checking the encoding found.
fn undeclared_doc(name: &str, expected_encoding: &str) -> Document {
    let (html, encoding) = decode_html(&fixture_bytes(name), None);
    assert_eq!(encoding, expected_encoding, "{name}");
    extract(
        &html,
        &Url::parse(PAGE_URL).unwrap(),
        &ExtractOptions::default(),
    )
}

fn doc(name: &str) -> Document {
    extract_with(
        name,
        &ExtractOptions {
            want_html: true,
            want_images: true,
            ..ExtractOptions::default()
        },
    )
}

fn md(d: &Document) -> &str {
    d.markdown.as_deref().expect("markdown was asked for")
}

fn links(d: &Document) -> &[String] {
    d.links.as_deref().expect("links were asked for")
}

fn assert_absent(markdown: &str, needles: &[&str]) {
    for needle in needles {
        assert!(
            !markdown.contains(needle),
            "{needle:?} leaked into:\n{markdown}"
        );
    }
}

fn assert_present(markdown: &str, needles: &[&str]) {
    for needle in needles {
        assert!(
            markdown.contains(needle),
            "{needle:?} missing from:\n{markdown}"
        );
    }
}

/// A fixture extracted with default options plus HTML and images, its Markdown checked for
/// the hygiene every page must meet.
fn clean_doc(name: &str) -> (Document, String) {
    let d = doc(name);
    let m = md(&d).to_owned();
    assert_clean(&m);
    (d, m)
}

/// Markdown hygiene every page must meet.
fn assert_clean(markdown: &str) {
    assert!(
        !markdown.contains("\n\n\n"),
        "more than one blank line in a row:\n{markdown}"
    );
    for line in markdown.lines() {
        assert_eq!(line, line.trim_end(), "trailing whitespace in {line:?}");
    }
}

#[test]
fn news_article_keeps_the_story_and_drops_site_chrome() {
    let (d, m) = clean_doc("news_article.html");
    let m = m.as_str();
    assert!(
        m.starts_with("# Harbour Bridge Reopens After Two-Year Repair\n"),
        "{m}"
    );
    assert_present(
        m,
        &[
            "![The restored bridge at dawn](https://example.com/media/bridge-800.jpg)",
            "Engineers replaced **all 212 rivets** on the main span",
            "original *Admiralty grey*.",
            "> “It is like getting an old friend back,” said harbourmaster Ellen Voss.",
            "## What changed",
        ],
    );
    assert_absent(
        m,
        &[
            "SeaView",
            "Sport",
            "Weather",
            "Subscribe",
            "Filed under",
            // The byline and the caption are not the story (issue 22).
            "Priya Natarajan",
            "Photo: Tom Reyes",
            "Related stories",
            "Privacy",
            "LDJSON-SECRET-HEADLINE",
            "TRACKING-SCRIPT-TEXT",
        ],
    );
    // The crawler still sees the navigation and related links.
    assert!(links(&d).contains(&"https://example.com/sport".to_owned()));
    assert!(links(&d).contains(&"https://example.com/news/2024/02/ferry-timetable".to_owned()));
}

#[test]
fn news_article_metadata_is_in_firecrawl_shape() {
    let d = doc("news_article.html");
    let meta = &d.metadata;
    assert_eq!(
        meta.title.as_deref(),
        Some("Harbour Bridge Reopens After Two-Year Repair | The Coastal Gazette")
    );
    assert_eq!(meta.language.as_deref(), Some("en-GB"));
    assert_eq!(
        meta.canonical.as_deref(),
        Some("https://gazette.example/news/2024/03/harbour-bridge-reopens")
    );
    assert_eq!(
        meta.og_image.as_deref(),
        Some("https://example.com/media/bridge-1200.jpg")
    );
    assert_eq!(
        meta.favicon.as_deref(),
        Some("https://example.com/favicon-32.png")
    );
    assert_eq!(
        meta.extra.get("author").map(String::as_str),
        Some("Priya Natarajan")
    );
    let json = serde_json::to_value(meta).unwrap();
    assert_eq!(
        json["ogTitle"],
        "Harbour Bridge Reopens After Two-Year Repair"
    );
    assert_eq!(json["article:published_time"], "2024-03-04T08:00:00Z");
    assert!(
        json.get("sourceURL").is_none(),
        "unset fields are omitted: {json}"
    );
    assert!(json.get("twitterCard").is_none());
}

#[test]
fn service_fields_serialise_with_firecrawl_names() {
    let mut d = doc("news_article.html");
    d.metadata.source_url = Some("https://example.com/a".into());
    d.metadata.url = Some("https://example.com/a/".into());
    d.metadata.status_code = Some(200);
    d.metadata.content_type = Some("text/html".into());
    let json = serde_json::to_value(&d.metadata).unwrap();
    assert_eq!(json["sourceURL"], "https://example.com/a");
    assert_eq!(json["url"], "https://example.com/a/");
    assert_eq!(json["statusCode"], 200);
    assert_eq!(json["contentType"], "text/html");
}

#[test]
fn documentation_page_keeps_code_blocks_with_languages_and_drops_sidebars() {
    let (d, m) = clean_doc("docs_page.html");
    let m = m.as_str();
    assert_present(
        m,
        &[
            "# Configuring workers",
            "Set `workers` in `quayside.toml` to change",
            "```toml\n[workers]\ncount = 4\nqueues = [\"default\", \"mail\"]\n```",
            "```bash\n$ quayside worker --count 4\nstarting 4 workers\n```",
            "| Option | Default | Meaning |\n| --- | --- | --- |\n| `count` | 2 | Number of worker processes |",
            "``let s = `tick`;``",
        ],
    );
    assert_absent(m, &["Installation", "On this page"]);
    assert!(links(&d).contains(&"https://example.com/docs/install".to_owned()));
}

#[test]
fn blog_with_sidebar_and_comments_keeps_only_the_post() {
    let (_, m) = clean_doc("blog_sidebar.html");
    let m = m.as_str();
    assert!(m.starts_with("## Ten years of allotment gardening"), "{m}");
    assert_present(
        m,
        &["plot 14", "### Lesson one: feed the soil", "leaf mould"],
    );
    assert_absent(m, &["Archives", "Blogroll", "Muddy Boots", "Great post"]);
}

#[test]
fn tables_become_gfm_pipe_tables_with_escaped_pipes_and_colspans() {
    let (_, m) = clean_doc("table_heavy.html");
    let m = m.as_str();
    assert_present(
        m,
        &[
            "Monthly rainfall, mm\n\n| Station | Jan | Feb | Notes |\n| --- | --- | --- | --- |",
            "| Northpoint | 112.4 | 98.0 | gauge A\\|B swapped |",
            "| Easthaven | missing |  | [details](https://example.com/stations/easthaven) |",
            "| Southmere | 87.1 | 91.3 | line one line two |",
            "Values are provisional.",
            // A table without <th> still gets its first row as the header GFM requires.
            "| Key | Value |\n| --- | --- |\n| Stations | 3 |",
        ],
    );
    // The layout table with a nested table is read as blocks, not as one huge cell.
    assert_present(m, &["Layout cell paragraph one.\n\n| inner | table |"]);
}

#[test]
fn base_href_governs_every_relative_url() {
    let d = doc("base_href.html");
    let m = md(&d);
    assert_present(
        m,
        &[
            "[guide](https://cdn.example.org/docs/v2/guide.html)",
            "[old guide](https://cdn.example.org/docs/v1/old.html)",
            "[root page](https://cdn.example.org/root.html)",
            "![Diagram](https://cdn.example.org/docs/v2/img/diagram.png)",
        ],
    );
    assert_eq!(
        d.metadata.canonical.as_deref(),
        Some("https://cdn.example.org/docs/v2/guide.html")
    );
    assert_eq!(
        links(&d),
        [
            "https://cdn.example.org/docs/v2/guide.html",
            "https://cdn.example.org/docs/v1/old.html",
            "https://cdn.example.org/root.html",
            "https://cdn.example.org/docs/v2/",
        ]
    );
    assert_eq!(
        d.images.as_deref().unwrap(),
        ["https://cdn.example.org/docs/v2/img/diagram.png"]
    );
}

#[test]
fn windows_1252_with_meta_charset_decodes() {
    let d = undeclared_doc("windows1252_meta.html", "windows-1252");
    assert_eq!(d.metadata.title.as_deref(), Some("Café crème à la fenêtre"));
    assert_present(
        md(&d),
        &["Le café crème coûte 3€ ; voilà «très» cher — naïve question."],
    );
}

#[test]
fn windows_1252_without_any_declaration_is_detected() {
    let (html, encoding) = decode_html(&fixture_bytes("windows1252_nometa.html"), None);
    assert_eq!(encoding, "windows-1252");
    assert!(html.contains("Café crème à la fenêtre"));
}

#[test]
fn shift_jis_with_http_equiv_meta_decodes() {
    let d = undeclared_doc("shift_jis_meta.html", "Shift_JIS");
    assert_eq!(d.metadata.title.as_deref(), Some("灯台の歴史"));
    assert_eq!(d.metadata.language.as_deref(), Some("ja"));
    assert_present(md(&d), &["この灯台は百年以上前に建てられました。"]);
}

#[test]
fn shift_jis_without_any_declaration_is_detected_and_language_guessed() {
    let d = undeclared_doc("shift_jis_nometa.html", "Shift_JIS");
    assert_eq!(d.metadata.title.as_deref(), Some("灯台の歴史"));
    assert_eq!(d.metadata.language.as_deref(), Some("ja"));
}

#[test]
fn content_type_header_charset_overrides_a_wrong_meta() {
    let bytes = fixture_bytes("windows1252_meta.html");
    let (html, encoding) = decode_html(&bytes, Some("text/html; charset=iso-8859-15"));
    assert_eq!(encoding, "ISO-8859-15");
    assert!(html.contains("Café"));
}

#[test]
fn missing_title_falls_back_to_og_title_and_description() {
    let d = doc("no_title_og.html");
    assert_eq!(
        d.metadata.title.as_deref(),
        Some("Only the Open Graph title")
    );
    assert_eq!(
        d.metadata.description.as_deref(),
        Some("Only the Open Graph description.")
    );
}

#[test]
fn page_with_no_title_and_no_meta_has_no_title_but_still_content() {
    let d = doc("no_title_at_all.html");
    assert_eq!(d.metadata.title, None);
    assert_eq!(d.metadata.description, None);
    assert_eq!(
        md(&d),
        "A bare page with neither a title element nor any meta tags at all, just this sentence."
    );
}

#[test]
fn relative_and_protocol_relative_links_resolve_and_non_http_are_skipped() {
    let d = doc("relative_links.html");
    assert_eq!(
        links(&d),
        [
            "https://example.com/",
            "https://example.com/about/",
            "https://example.com/path/sibling.html",
            "https://example.com/up.html",
            "https://example.com/path/here/deeper.html?x=1",
            "https://cdn.example.net/lib.js",
            "https://other.example.com/page",
            "https://example.com/path/page.html",
            "https://example.com/path/spaced.html",
        ]
    );
    let m = md(&d);
    assert_present(
        m,
        &[
            "[protocol relative](https://cdn.example.net/lib.js)",
            "[mail us](mailto:editor@example.com)",
            "script link",
            "no href",
        ],
    );
    assert_absent(m, &["javascript:", "[script link]", "Home", "About"]);
}

#[test]
fn protocol_relative_links_follow_an_http_page_scheme() {
    let html = r#"<main><a href="//cdn.example.net/x">x</a></main>"#;
    let d = extract(
        html,
        &Url::parse("http://plain.example/").unwrap(),
        &ExtractOptions::default(),
    );
    assert_eq!(links(&d), ["http://cdn.example.net/x"]);
}

#[test]
fn malformed_html_is_repaired_like_a_browser_would() {
    let (d, m) = clean_doc("malformed.html");
    let m = m.as_str();
    assert_eq!(d.metadata.title.as_deref(), Some("Broken markup"));
    assert_present(
        m,
        &[
            "# Still readable",
            "First paragraph is never closed\n\nSecond paragraph",
            "- one\n- two\n- three",
            "Stray closing tags do not break [the link](https://example.com/ok).",
            "| cell one | cell two |",
        ],
    );
}

#[test]
fn page_without_landmarks_falls_back_to_text_density_scoring() {
    let (_, m) = clean_doc("no_main_scoring.html");
    let m = m.as_str();
    assert_present(
        m,
        &[
            "two high tides",
            "inertia leaves a second bulge",
            "Spring tides, with the biggest range",
        ],
    );
    assert_absent(m, &["Neap tides", "Contact", "Copyright", "Terms"]);
}

#[test]
fn an_empty_main_element_does_not_hide_the_real_content() {
    let m = md(&doc("empty_main.html")).to_owned();
    assert_present(&m, &["server-rendered fallback", "clearly outweighs"]);
}

#[test]
fn listing_pages_keep_every_article_card() {
    let d = doc("listing_page.html");
    let m = md(&d);
    assert_present(
        m,
        &[
            "## [Leek and potato soup](https://example.com/r/1)",
            "## [Apple crumble](https://example.com/r/2)",
            "## [Fish pie](https://example.com/r/3)",
        ],
    );
    assert_absent(m, &["Home", "Recipes footer"]);
}

#[test]
fn cookie_banners_and_popups_are_dropped_but_lookalike_classes_survive() {
    let d = doc("cookie_banner.html");
    let m = md(&d);
    assert_absent(
        m,
        &["We use cookies", "Accept all", "GDPR notice", "newsletter"],
    );
    assert_present(
        m,
        &[
            "![Hero picture](https://example.com/img/hero.jpg)",
            "talks about shadows and loading spinners",
            "A longer lead paragraph",
        ],
    );
}

#[test]
fn hidden_elements_are_dropped_in_either_mode() {
    for only_main_content in [true, false] {
        let d = extract_with(
            "hidden_elements.html",
            &ExtractOptions {
                only_main_content,
                ..ExtractOptions::default()
            },
        );
        let m = md(&d);
        assert_present(
            m,
            &[
                "Visible paragraph one.",
                "Visible because display block.",
                "Visible with aria-hidden false.",
            ],
        );
        assert_absent(
            m,
            &[
                "Hidden by",
                "Hidden from",
                "SECRET-TOKEN",
                "prefilled@example.com",
                "OPTION-TEXT",
                "TEXTAREA-TEXT",
            ],
        );
    }
}

#[test]
fn base64_images_are_removed_unless_asked_to_keep_them() {
    let d = doc("base64_images.html");
    let m = md(&d);
    assert_absent(m, &["data:image", "![dot]"]);
    assert_present(
        m,
        &[
            "![Cliff](https://example.com/photos/cliff.jpg)",
            // A lazy-loading placeholder gives way to the real data-src.
            "![Lazy](https://example.com/photos/lazy.jpg)",
        ],
    );
    assert!(!d.html.as_deref().unwrap().contains("data:image"));
    assert_eq!(
        d.images.as_deref().unwrap(),
        [
            "https://example.com/photos/cliff.jpg",
            "https://example.com/photos/lazy.jpg"
        ]
    );

    let kept = extract_with(
        "base64_images.html",
        &ExtractOptions {
            remove_base64_images: false,
            want_images: true,
            ..ExtractOptions::default()
        },
    );
    assert_present(md(&kept), &["![dot](data:image/png;base64,iVBORw0KGgo"]);
    assert!(kept
        .images
        .unwrap()
        .iter()
        .any(|i| i.starts_with("data:image/png")));
}

#[test]
fn nested_lists_are_indented_under_their_items() {
    let (_, m) = clean_doc("nested_lists.html");
    let m = m.as_str();
    assert_present(
        m,
        &[
            "- Clothes\n  - Waterproof jacket\n  - Wool socks\n    1. Thick pair\n    2. Thin pair\n- Food\n- Maps\n\n  Paper, not phone.",
            "7. Seventh step\n8. Eighth step\n\nAfter the lists.",
        ],
    );
}

#[test]
fn blockquotes_nest_and_hold_paragraphs_and_lists() {
    let (_, m) = clean_doc("blockquote.html");
    let m = m.as_str();
    assert_present(
        m,
        &["As the keeper wrote:\n\n> The light must never go out.\n>\n> Not for storms, not for sleep.\n>\n> > Nested reply from the inspector.\n>\n> - Wick trimmed\n> - Oil filled\n\nEnd of the log."],
    );
}

#[test]
fn include_tags_keep_only_matching_elements() {
    let d = extract_with(
        "include_exclude.html",
        &ExtractOptions {
            include_tags: vec![".recipe".into(), "not a [valid selector".into()],
            ..ExtractOptions::default()
        },
    );
    let m = md(&d);
    assert_eq!(
        m,
        "## Soda bread\n\nFlour, buttermilk, soda, salt.\n\nTip: do not knead.\n\n## Scones\n\nFlour, butter, milk."
    );
    // Links still come from the whole page.
    assert_eq!(links(&d), ["https://example.com/a"]);
}

#[test]
fn exclude_tags_drop_matching_elements() {
    let d = extract_with(
        "include_exclude.html",
        &ExtractOptions {
            exclude_tags: vec![".tip".into(), "div.comments".into(), ".intro".into()],
            ..ExtractOptions::default()
        },
    );
    let m = md(&d);
    assert_present(m, &["## Soda bread", "## Scones"]);
    assert_absent(m, &["Tip:", "Comment:", "Intro"]);
}

#[test]
fn include_and_exclude_combine() {
    let d = extract_with(
        "include_exclude.html",
        &ExtractOptions {
            include_tags: vec![".recipe".into()],
            exclude_tags: vec![".tip".into()],
            ..ExtractOptions::default()
        },
    );
    assert_absent(md(&d), &["Tip:"]);
    assert_present(md(&d), &["Flour, buttermilk"]);
}

#[test]
fn whole_page_mode_keeps_navigation() {
    let d = extract_with(
        "include_exclude.html",
        &ExtractOptions {
            only_main_content: false,
            ..ExtractOptions::default()
        },
    );
    assert_present(
        md(&d),
        &["[Nav link A](https://example.com/a)", "Comment: lovely!"],
    );
}

#[test]
fn og_and_twitter_metadata_are_all_captured() {
    let d = doc("social_meta.html");
    // One comparison of the serialised form pins both the values and Firecrawl's key names.
    assert_eq!(
        serde_json::to_value(&d.metadata).unwrap(),
        serde_json::json!({
            "title": "Le phare de Pointe-Noire",
            "headline": "Le phare (OG)",
            "description": "Visite guidée du phare.",
            "language": "fr-CA",
            "canonical": "https://example.com/phare?ref=canon",
            "keywords": "phare, visite, Québec",
            "robots": "index, follow",
            "favicon": "https://example.com/favicon.ico",
            "ogTitle": "Le phare (OG)",
            "ogDescription": "Description OG",
            "ogImage": "https://img.example.ca/phare.jpg",
            "ogUrl": "https://example.com/phare",
            "ogType": "website",
            "ogSiteName": "Phares du Québec",
            "ogLocale": "fr_CA",
            "twitterCard": "summary_large_image",
            "twitterTitle": "Le phare (Twitter)",
            "twitterDescription": "Description Twitter",
            "twitterImage": "https://img.example.ca/phare-tw.jpg",
            "twitterSite": "@pharesqc",
            "og:image:width": "1200",
            "twitter:creator": "@gardien"
        })
    );
}

#[test]
fn german_page_without_lang_is_detected_as_german() {
    assert_eq!(
        doc("german_no_lang.html").metadata.language.as_deref(),
        Some("de")
    );
}

#[test]
fn french_page_without_lang_is_detected_as_french() {
    assert_eq!(
        doc("french_no_lang.html").metadata.language.as_deref(),
        Some("fr")
    );
}

#[test]
fn json_ld_scripts_styles_and_embeds_never_reach_the_markdown() {
    for only_main_content in [true, false] {
        let d = extract_with(
            "scripts_and_noise.html",
            &ExtractOptions {
                only_main_content,
                want_html: true,
                ..ExtractOptions::default()
            },
        );
        let m = md(&d);
        assert_eq!(m, "Real text before.\n\nReal text after.");
        let html = d.html.unwrap();
        for needle in [
            "JSONLD",
            "SCRIPT-IN-BODY",
            "NOSCRIPT",
            "TEMPLATE",
            "SVG-",
            "IFRAME",
            "STYLE-TEXT",
            "COMMENT",
        ] {
            assert!(!html.contains(needle), "{needle} in cleaned HTML: {html}");
        }
    }
}

#[test]
fn inline_formatting_is_converted_without_stray_markers() {
    let (_, m) = clean_doc("inline_formatting.html");
    let m = m.as_str();
    assert_present(
        m,
        &[
            "Plain **strong**, **bold**, *emphasis*, *italic*, ~~deleted~~, and `inline code`.",
            "**padded strong** then text, empty em, **double bold**.",
            "Line one\\\nLine two\n\nNew paragraph after two breaks.",
            "\n\n---\n\n",
            "[![Thumbnail](https://example.com/thumb.png)](https://example.com/pics) and an empty link.",
            "A [block inside a link](https://example.com/card) stays on one line.",
            "Non-breaking space and collapsed whitespace.",
            "## Heading with [a link](https://example.com/h) and *emphasis*",
        ],
    );
    assert_absent(m, &["****", "**)", "[]", "###"]);
}

#[test]
fn markdown_specials_in_text_are_escaped_but_not_overescaped() {
    let d = doc("escaping.html");
    let m = md(&d);
    assert_present(
        m,
        &[
            "\\# not a heading",
            "1\\. not a list",
            "\\- not a bullet",
            "\\> not a quote",
            "Use \\*stars\\* and \\_underscores\\_ and \\[brackets\\] and \\`backticks\\` literally.",
            "snake_case_words and 3 \\* 4 = 12 and a < b and \\<notatag> and C:\\\\path",
            "Price: $5 | 10% off #hashtag",
        ],
    );
}

#[test]
fn cleaned_html_holds_main_content_with_absolute_urls_and_no_handlers() {
    let html = r#"<html><body><nav>NAV</nav><main><p onclick="steal()" class="x">Hi <a href="/a">there</a> <img src="i.png" alt="i"></p><script>bad()</script></main></body></html>"#;
    let d = extract(
        html,
        &Url::parse(PAGE_URL).unwrap(),
        &ExtractOptions {
            want_html: true,
            ..ExtractOptions::default()
        },
    );
    assert_eq!(
        d.html.as_deref(),
        Some(
            r#"<main><p class="x">Hi <a href="https://example.com/a">there</a> <img alt="i" src="https://example.com/path/i.png"></p></main>"#
        )
    );
}

#[test]
fn analysis_counts_words_headings_links_and_keywords() {
    let d = doc("news_article.html");
    let a = d.analysis.as_ref().expect("analysis is on by default");
    assert!(a.word_count > 70 && a.word_count < 110, "{}", a.word_count);
    assert_eq!(a.reading_time_minutes, 1);
    let headings: Vec<(u8, &str)> = a
        .headings
        .iter()
        .map(|h| (h.level, h.text.as_str()))
        .collect();
    assert_eq!(
        headings,
        vec![
            (1, "Harbour Bridge Reopens After Two-Year Repair"),
            (2, "What changed")
        ]
    );
    assert_eq!(a.internal_links, 7);
    assert_eq!(a.external_links, 0);
    assert!(
        a.top_keywords.iter().any(|k| k.word == "bridge"),
        "{:?}",
        a.top_keywords
    );
    assert!(a.top_keywords.iter().all(|k| k.word != "the"));
    assert_eq!(a.content_hash.len(), 64);
    let json = serde_json::to_value(a).unwrap();
    assert!(json.get("wordCount").is_some() && json.get("topKeywords").is_some());
}

#[test]
fn the_content_hash_changes_with_the_content_only() {
    let url = Url::parse(PAGE_URL).unwrap();
    let opts = ExtractOptions::default();
    let a = extract(
        "<main><p>One text.</p></main><footer>1</footer>",
        &url,
        &opts,
    );
    let b = extract(
        "<main><p>One text.</p></main><footer>2</footer>",
        &url,
        &opts,
    );
    let c = extract("<main><p>Another text.</p></main>", &url, &opts);
    let hash = |d: &Document| d.analysis.as_ref().unwrap().content_hash.clone();
    assert_eq!(hash(&a), hash(&b));
    assert_ne!(hash(&a), hash(&c));
}

#[test]
fn unrequested_outputs_are_not_produced() {
    let d = extract_with(
        "news_article.html",
        &ExtractOptions {
            want_markdown: false,
            want_links: false,
            want_analysis: false,
            ..ExtractOptions::default()
        },
    );
    assert!(d.markdown.is_none() && d.links.is_none() && d.analysis.is_none());
    assert!(d.html.is_none() && d.images.is_none());
    assert!(d.metadata.title.is_some());
}

#[test]
fn deeply_nested_markup_does_not_overflow_the_stack() {
    // Deep enough that unbounded recursion would overflow the small stack below. (Not far
    // deeper: html5ever's tree builder is quadratic in nesting depth, ~2 s at 20,000.)
    let depth = 5_000;
    let html = format!(
        "<main>{}deep text{}</main>",
        "<div><span>".repeat(depth),
        "</span></div>".repeat(depth)
    );
    let opts = ExtractOptions {
        want_html: true,
        ..ExtractOptions::default()
    };
    // Half the 2 MiB stack of a tokio blocking thread, in an unoptimised build whose frames
    // are several times larger than a release build's.
    let d = std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(move || extract(&html, &Url::parse(PAGE_URL).unwrap(), &opts))
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(d.markdown.as_deref(), Some("deep text"));
    assert!(d.html.unwrap().contains("deep text"));
}

#[test]
fn empty_and_garbage_input_gives_an_empty_document() {
    let url = Url::parse(PAGE_URL).unwrap();
    for input in [
        "",
        "   ",
        "\u{0}\u{1}",
        "<<<>>>",
        "</div></p>",
        "<html><body></body></html>",
    ] {
        let d = extract(input, &url, &ExtractOptions::default());
        assert!(d.metadata.title.is_none(), "{input:?}");
        assert!(d.links.unwrap().is_empty());
    }
}

#[test]
fn equally_scored_candidates_resolve_to_the_first_in_document_order() {
    let m = md(&doc("tied_candidates.html")).to_owned();
    assert!(m.starts_with("Alpha paragraph"), "{m}");
}

/// Main-content Markdown of an inline page.
fn main_md(html: &str) -> String {
    let d = extract(
        html,
        &Url::parse(PAGE_URL).unwrap(),
        &ExtractOptions::default(),
    );
    d.markdown.unwrap_or_default()
}

const STORY: &str = "<p>The harbour bridge reopened on Monday after two years of repairs, ending a closure that had split the town in two.</p><p>Engineers replaced every rivet on the main span and repainted the ironwork, and the deck now carries a protected cycle lane.</p><p>Traders on both banks said footfall had already recovered, and the ferry will keep its summer timetable until October.</p>";

#[test]
fn an_ad_named_wrapper_holding_the_whole_page_is_kept() {
    for wrapper in [
        r#"<div class="Page-ad-margins">"#,
        r#"<div class="non-ad-column">"#,
        r#"<div id="ad_body">"#,
        r#"<div class="advertisement-pusher">"#,
    ] {
        let html = format!(
            r#"<body>{wrapper}<nav><a href="/">Home</a></nav><div class="post">{STORY}</div><div class="ad-slot">Advertisement</div></div></body>"#
        );
        let m = main_md(&html);
        assert_present(&m, &["harbour bridge reopened", "summer timetable"]);
        assert_absent(&m, &["Advertisement", "Home"]);
    }
}

#[test]
fn an_aspnet_form_around_the_body_is_kept() {
    let html = format!(
        r#"<body><form id="aspnetForm" method="post"><input type="hidden" name="__VIEWSTATE" value="x"><div id="ctl00_header"><a href="/">Home</a></div><div id="ctl00_main">{STORY}</div></form></body>"#
    );
    assert_present(
        &main_md(&html),
        &["harbour bridge reopened", "summer timetable"],
    );
}

#[test]
fn a_post_in_main_keeps_its_text_and_loses_its_comment_thread() {
    let comments: String = (0..40)
        .map(|i| format!(r#"<li class="comment"><b>Reader {i}</b><p>Great post number {i}, thanks for sharing it with us all.</p></li>"#))
        .collect();
    let html = format!(
        r#"<body><main><h1>Bridge reopens</h1>{STORY}<div id="comments"><h2>40 comments</h2><ol class="comment-list">{comments}</ol></div></main></body>"#
    );
    let m = main_md(&html);
    assert_present(&m, &["# Bridge reopens", "summer timetable"]);
    assert_absent(&m, &["Great post", "40 comments"]);
}

#[test]
fn of_two_role_main_sections_the_article_beats_a_longer_list_of_links() {
    let teasers: String = (0..15)
        .map(|i| format!(r#"<p><a href="/s/{i}">Another story about the town council and its long running budget dispute, part {i}</a></p>"#))
        .collect();
    let html = format!(
        r#"<body><section role="main">{teasers}</section><section role="main"><h1>Bridge reopens</h1>{STORY}</section></body>"#
    );
    let m = main_md(&html);
    assert_present(&m, &["harbour bridge reopened"]);
    assert_absent(&m, &["Another story"]);
}

#[test]
fn bare_text_with_breaks_beside_blocks_outscores_a_footer_address() {
    let html = r#"<body><div class="page"><div class="main"><h1>Bridge reopens</h1><div class="text">The harbour bridge reopened on Monday after two years of repairs, ending a closure that split the town.<br><br>Engineers replaced every rivet on the main span, repainted the ironwork, and widened the deck.<br><br><div class="img"><img src="/b.jpg" alt=""></div>Traders on both banks said footfall had recovered, and the ferry keeps its timetable.<br><br>The council will hold a street party on Saturday, with music, food stalls and fireworks.<br><br></div></div><div class="bottom"><p>Gazette Ltd, Harbour Street 1, Portmouth, PM1 1QT, United Kingdom.</p><p>Editorial office: open Monday to Friday from nine to five, closed on public holidays.</p><p>Registered in England and Wales under company number 1234567, VAT GB 123456789.</p></div></div></body>"#;
    let m = main_md(html);
    assert_present(&m, &["harbour bridge reopened", "street party"]);
    assert_absent(&m, &["Registered in England"]);
}

#[test]
fn include_tags_win_over_the_main_content_rules() {
    let html = r#"<body><main><div class="meta byline">By Ann on <time>4 March</time><aside>Side note</aside></div><p>Story.</p></main></body>"#;
    let d = extract(
        html,
        &Url::parse(PAGE_URL).unwrap(),
        &ExtractOptions {
            include_tags: vec![".byline".into()],
            ..ExtractOptions::default()
        },
    );
    assert_present(md(&d), &["By Ann on 4 March", "Side note"]);
}

#[test]
fn bylines_named_only_by_data_attributes_or_microdata_are_dropped() {
    let html = format!(
        r#"<body><main><h1>Bridge reopens</h1><div data-testid="byline"><span>Ann Lee, transport reporter</span></div><div data-component="caption-block"><p>The bridge at dawn, seen from the quay</p></div><span itemprop="datePublished">4 March 2024, 10:00 GMT</span>{STORY}</main></body>"#
    );
    let m = main_md(&html);
    assert_present(&m, &["harbour bridge reopened"]);
    assert_absent(&m, &["Ann Lee", "bridge at dawn", "10:00"]);
}

#[test]
fn short_furniture_lines_at_the_article_edges_go_but_short_lines_between_paragraphs_stay() {
    let html = format!(
        r#"<body><main><h1>Bridge reopens</h1><div>Transport</div><div>4 March 2024, 10:00</div><div>5 min read</div>{STORY}<p>Short line between.</p>{STORY}<div>Advertisement</div><span><div>Share</div></span></main></body>"#
    );
    let m = main_md(&html);
    assert_present(
        &m,
        &[
            "# Bridge reopens",
            "harbour bridge reopened",
            "Short line between.",
        ],
    );
    assert_absent(
        &m,
        &["Transport", "10:00", "min read", "Advertisement", "Share"],
    );
}
