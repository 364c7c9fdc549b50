//! Main-content quality and speed on the corpus (`tests/corpus/pages`), beside the whole
//! page and, when given, another extractor's outputs scored the same way.
//!
//! usage: `cargo run --release -p trawl-extract --example corpus_bench -- [ROUNDS] [NAME=DIR]...`
//! where each DIR holds one `PAGE.txt` per corpus page (see `bench/extract/run.sh`).

// The service's allocator (crates/trawl/src/main.rs): extraction is measured as it runs there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../tests/corpus/score.rs"]
mod score;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use score::{load_corpus, markdown_words, score, tokens, Page, Score};
use trawl_extract::{extract, ExtractOptions};
use url::Url;

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    let rounds: usize = args
        .next_if(|a| a.parse::<usize>().is_ok())
        .and_then(|a| a.parse().ok())
        .unwrap_or(3);
    let others: Vec<(String, PathBuf)> = args
        .filter_map(|a| {
            let (name, dir) = a.split_once('=')?;
            Some((name.to_owned(), PathBuf::from(dir)))
        })
        .collect();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/pages");
    let pages = load_corpus(&dir);
    let url = Url::parse("https://www.example.com/news/2024/03/story.html").unwrap();
    let main = ExtractOptions {
        want_analysis: false,
        ..ExtractOptions::default()
    };
    let whole = ExtractOptions {
        only_main_content: false,
        ..main.clone()
    };

    let run = |opts: &ExtractOptions| -> (Vec<String>, Duration) {
        let mut outputs = Vec::new();
        let mut best = Duration::MAX;
        for _ in 0..rounds.max(1) {
            let start = Instant::now();
            outputs = pages
                .iter()
                .map(|p| extract(&p.html, &url, opts).markdown.unwrap_or_default())
                .collect();
            best = best.min(start.elapsed());
        }
        (outputs, best)
    };
    let (ours, ours_time) = run(&main);
    let (whole_out, _) = run(&whole);

    println!(
        "{} corpus pages; token F1 (bag of words, mean per page); pages/s on one thread, best of {rounds}",
        pages.len()
    );
    report("trawl main content", &pages, &ours, true, Some(ours_time));
    report("whole page (baseline)", &pages, &whole_out, true, None);
    let headlines = pages
        .iter()
        .filter(|p| extract(&p.html, &url, &main).metadata.headline.as_deref() == Some(&p.headline))
        .count();
    println!(
        "trawl metadata.headline right on {headlines} of {} pages",
        pages.len()
    );
    for (name, dir) in &others {
        let outputs: Vec<String> = pages
            .iter()
            .map(|p| {
                std::fs::read_to_string(dir.join(format!("{}.txt", p.name))).unwrap_or_default()
            })
            .collect();
        report(name, &pages, &outputs, false, None);
    }
}

/// Pages numbered from here on are the second batch, written after the rules and scored
/// apart so that the rules' fit to the first batch shows.
const SECOND_BATCH: u32 = 223;

fn batch_of(page: &Page) -> usize {
    let number: u32 = page
        .name
        .split('-')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    usize::from(number >= SECOND_BATCH)
}

fn report(name: &str, pages: &[Page], outputs: &[String], markdown: bool, time: Option<Duration>) {
    // All pages, then the first and the second batch.
    let mut scores: [Vec<Score>; 3] = Default::default();
    let mut empty = [0usize; 3];
    for (page, out) in pages.iter().zip(outputs) {
        let text = if markdown {
            markdown_words(out)
        } else {
            out.clone()
        };
        let s = score(&tokens(&text), &tokens(&page.truth));
        for set in [0, 1 + batch_of(page)] {
            if s.recall < 0.2 {
                empty[set] += 1;
            }
            scores[set].push(s);
        }
    }
    let speed = time.map_or(String::new(), |t| {
        format!("  {:>6.0} pages/s", pages.len() as f64 / t.as_secs_f64())
    });
    for (set, label) in ["all", "batch 1", "batch 2"].iter().enumerate() {
        let m = Score::mean(&scores[set]);
        let speed = if set == 0 { speed.as_str() } else { "" };
        println!(
            "{:<44} F1 {:.3}  P {:.3}  R {:.3}  empty {}{speed}",
            format!("{name} ({label}, {} pages)", scores[set].len()),
            m.f1,
            m.precision,
            m.recall,
            empty[set]
        );
    }
}
