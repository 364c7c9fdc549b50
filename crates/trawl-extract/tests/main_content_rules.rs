//! Main-content rules found on the second corpus batch, each pinned on a small page.

use trawl_extract::{extract, Document, ExtractOptions};
use url::Url;

fn main_content(html: &str) -> Document {
    let url = Url::parse("https://example.com/page").unwrap();
    extract(html, &url, &ExtractOptions::default())
}

fn markdown(html: &str) -> String {
    main_content(html).markdown.unwrap_or_default()
}

const PROSE: &str = "The council approved the plan to widen the coastal road after months of \
    debate, and the work is expected to start in the spring once the contracts are signed.";

fn paragraphs(n: usize) -> String {
    (0..n).map(|i| format!("<p>{i} {PROSE}</p>")).collect()
}

#[test]
fn forum_replies_marked_up_as_comments_stay_when_shaped_like_the_first_post() {
    let post = |prop: &str, text: &str| {
        format!(
            r#"<div itemprop="{prop}" class="topic-body crawler-post"><span class="creator">sam</span>
            <div class="post" itemprop="text"><p>{text}</p></div></div>"#
        )
    };
    let html = format!(
        r#"<html><body><nav><a href="/">Home</a></nav><div id="main-outlet" role="main">
        <h1>Why does the worker stall?</h1>{}{}{}{}</div></body></html>"#,
        post(
            "mainEntity",
            "The worker stalls every night at two, with nothing in the logs at all."
        ),
        post(
            "comment",
            "Check the retry limit first, it was lowered in the last release of the tool."
        ),
        post(
            "comment",
            "Same here, raising the timeout fixed it for me after a couple of restarts."
        ),
        post(
            "comment",
            "Thanks both, the timeout was the cause and it runs through the night now."
        ),
    );
    let md = markdown(&html);
    for reply in [
        "Check the retry limit",
        "raising the timeout",
        "Thanks both",
    ] {
        assert!(md.contains(reply), "{reply:?} missing from:\n{md}");
    }
}

#[test]
fn an_h1_whose_class_names_a_date_is_still_the_headline() {
    let html = format!(
        r#"<html><body><article><div class="post-header"><h1 class="post-title published">Harbour wall
        repairs begin</h1></div>{}</article></body></html>"#,
        paragraphs(3)
    );
    assert!(markdown(&html).contains("# Harbour wall repairs begin"));
}

#[test]
fn a_teaser_headline_inside_a_heading_survives_its_span_class() {
    let html = format!(
        r#"<html><body><main>{}<ul><li><h3><a href="/a"><span class="u-faux-block-link__cta">Bridge
        reopens after two years</span></a></h3><div class="standfirst">{PROSE}</div></li></ul></main>
        </body></html>"#,
        paragraphs(2)
    );
    assert!(markdown(&html).contains("Bridge reopens after two years"));
}

#[test]
fn print_display_utilities_on_a_wrapper_do_not_drop_the_title() {
    let html = format!(
        r#"<html><body><main><div class="govuk-grid-row gem-print-columns-none"><h1>Apply for a
        permit</h1><p class="lead">How to apply for a parking permit in the old town.</p></div>
        <div class="govuk-grid-row">{}</div></main></body></html>"#,
        paragraphs(3)
    );
    let md = markdown(&html);
    assert!(md.contains("# Apply for a permit"), "{md}");
    assert!(md.contains("parking permit in the old town"), "{md}");
}

#[test]
fn a_block_of_only_a_linked_section_title_stays() {
    let teasers: String = (0..4)
        .map(|i| {
            format!(r#"<li><h3><a href="/p/{i}">Story {i} headline</a></h3><p>{PROSE}</p></li>"#)
        })
        .collect();
    let html = format!(
        r#"<html><body><main><section><div class="fc-container__header"><h2><a href="/politics">
        Politics</a></h2></div><ul>{teasers}</ul></section></main></body></html>"#
    );
    assert!(markdown(&html).contains("Politics"));
}

#[test]
fn a_short_paragraph_in_a_table_cell_is_not_edge_furniture() {
    let html = format!(
        r#"<html><body><article><h1>Drying rack</h1>{}<table><tr><th>Weight</th><td><p>8.4
        kg</p></td></tr></table></article></body></html>"#,
        paragraphs(3)
    );
    assert!(markdown(&html).contains("8.4 kg"));
}

#[test]
fn a_thread_whose_items_alternate_their_first_class_is_dropped() {
    let items: String = (0..8)
        .map(|i| {
            format!(
                r##"<div class="c-{} item"><div class="who"><span>Reader {i}</span></div>
                <div class="said"><p>Comment number {i} says the figures do not add up.</p></div>
                <div class="acts"><a href="#up">Like</a></div></div>"##,
                i % 3
            )
        })
        .collect();
    let html = format!(
        r#"<html><body><main><article><h1>Budget approved</h1>{}</article>
        <section class="conversation"><div class="stream">{items}</div></section></main></body></html>"#,
        paragraphs(4)
    );
    let md = markdown(&html);
    assert!(md.contains("Budget approved"), "{md}");
    assert!(!md.contains("Comment number"), "{md}");
}

#[test]
fn the_headline_leaves_out_a_permalink_mark() {
    let html = format!(
        r##"<html><head><title>Install guide - Tool docs</title></head><body><main><h1>Install
        guide<a class="headerlink" href="#top">#</a></h1>{}</main></body></html>"##,
        paragraphs(2)
    );
    let doc = main_content(&html);
    assert_eq!(doc.metadata.headline.as_deref(), Some("Install guide"));
}
