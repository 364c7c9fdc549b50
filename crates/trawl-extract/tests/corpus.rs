//! Main-content quality on the corpus of real-world page shapes (`tests/corpus`, made by
//! `tests/corpus/generate.py`), scored as `tests/corpus/score.rs` documents, beside the
//! whole page as a baseline. Fails when the means fall below the floors reached, or when any
//! page that has an article comes out (nearly) empty.
//!
//! `cargo test -p trawl-extract --test corpus -- --nocapture` prints every page's figures.

#[path = "corpus/score.rs"]
mod score;

use std::path::PathBuf;

use score::{load_corpus, markdown_words, score, tokens, Score};
use trawl_extract::{extract, ExtractOptions};
use url::Url;

/// Floors: the figures reached, rounded down, so a regression fails CI.
const MIN_F1: f64 = 0.99;
const MIN_PRECISION: f64 = 0.98;
/// Share of pages whose `metadata.headline` is exactly the headline the page shows.
const MIN_HEADLINE_ACCURACY: f64 = 0.95;
/// Below this share of the truth's tokens found, a page counts as an empty result.
const EMPTY_RECALL: f64 = 0.2;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/pages")
}

#[test]
fn main_content_scores_above_the_floor_with_no_empty_article() {
    let pages = load_corpus(&corpus_dir());
    assert!(pages.len() >= 150, "{} pages", pages.len());
    let url = Url::parse("https://www.example.com/news/2024/03/story.html").unwrap();
    let main = ExtractOptions::default();
    let whole = ExtractOptions {
        only_main_content: false,
        ..ExtractOptions::default()
    };
    let (mut ours, mut baseline, mut empty) = (Vec::new(), Vec::new(), Vec::new());
    println!(
        "{:<28} {:>6} {:>6} {:>6}   {:>8}",
        "page", "P", "R", "F1", "whole F1"
    );
    for page in &pages {
        let truth = tokens(&page.truth);
        let out = |opts| {
            let doc = extract(&page.html, &url, opts);
            tokens(&markdown_words(&doc.markdown.unwrap_or_default()))
        };
        let s = score(&out(&main), &truth);
        let b = score(&out(&whole), &truth);
        println!(
            "{:<28} {:>6.3} {:>6.3} {:>6.3}   {:>8.3}",
            page.name, s.precision, s.recall, s.f1, b.f1
        );
        if s.recall < EMPTY_RECALL {
            empty.push(page.name.clone());
        }
        ours.push(s);
        baseline.push(b);
    }
    let (o, b) = (Score::mean(&ours), Score::mean(&baseline));
    println!(
        "{} pages; main content: P {:.3} R {:.3} F1 {:.3}; whole page: P {:.3} R {:.3} F1 {:.3}; empty: {}",
        pages.len(),
        o.precision,
        o.recall,
        o.f1,
        b.precision,
        b.recall,
        b.f1,
        empty.len()
    );
    assert!(empty.is_empty(), "empty results: {empty:?}");
    assert!(o.f1 >= MIN_F1, "F1 {:.3} below {MIN_F1}", o.f1);
    assert!(
        o.precision >= MIN_PRECISION,
        "precision {:.3} below {MIN_PRECISION}",
        o.precision
    );
}

#[test]
fn the_headline_field_names_the_article_headline() {
    let pages = load_corpus(&corpus_dir());
    let url = Url::parse("https://www.example.com/news/2024/03/story.html").unwrap();
    let mut wrong = Vec::new();
    for page in &pages {
        let doc = extract(&page.html, &url, &ExtractOptions::default());
        let got = doc.metadata.headline.unwrap_or_default();
        if got != page.headline {
            wrong.push(format!(
                "{}: {got:?} (expected {:?})",
                page.name, page.headline
            ));
        }
    }
    let accuracy = 1.0 - wrong.len() as f64 / pages.len() as f64;
    println!(
        "headline right on {:.1}% of {} pages",
        accuracy * 100.0,
        pages.len()
    );
    for w in &wrong {
        println!("  {w}");
    }
    assert!(
        accuracy >= MIN_HEADLINE_ACCURACY,
        "headline accuracy {accuracy:.3} below {MIN_HEADLINE_ACCURACY}"
    );
}
