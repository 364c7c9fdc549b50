//! Single-thread extraction throughput on a site made by `shared/bench/mksite.py`, beside
//! htmd (HTML → Markdown alone) on the same pages in the same run.
//!
//! usage: `cargo run --release -p trawl-extract --example extract_bench -- SITE_DIR [ROUNDS]`

// The service's allocator (crates/trawl/src/main.rs): extraction is measured as it runs there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::Path;
use std::time::{Duration, Instant};

use trawl_extract::{extract, ExtractOptions};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: extract_bench SITE_DIR [ROUNDS]");
        std::process::exit(2);
    };
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(3);
    let pages = load_pages(Path::new(&dir).join("p").as_path());
    let bytes: usize = pages.iter().map(|(_, html)| html.len()).sum();
    println!(
        "{} pages, {:.1} MB, best of {rounds} rounds, one thread",
        pages.len(),
        bytes as f64 / 1e6
    );

    let lean = ExtractOptions {
        want_analysis: false,
        ..ExtractOptions::default()
    };
    let full = ExtractOptions::default();
    let whole_page = ExtractOptions {
        only_main_content: false,
        want_analysis: false,
        ..ExtractOptions::default()
    };

    let mut sink = 0usize;
    let ours = best_of(rounds, || {
        for (url, html) in &pages {
            let doc = extract(html, url, &lean);
            sink += doc.markdown.map_or(0, |m| m.len()) + doc.links.map_or(0, |l| l.len());
        }
    });
    let ours_full = best_of(rounds, || {
        for (url, html) in &pages {
            let doc = extract(html, url, &full);
            sink += doc.analysis.map_or(0, |a| a.word_count);
        }
    });
    let ours_whole = best_of(rounds, || {
        for (url, html) in &pages {
            sink += extract(html, url, &whole_page)
                .markdown
                .map_or(0, |m| m.len());
        }
    });
    let htmd = best_of(rounds, || {
        for (_, html) in &pages {
            sink += htmd::convert(html).map_or(0, |m| m.len());
        }
    });

    let report = |name: &str, t: Duration| {
        let secs = t.as_secs_f64();
        println!(
            "{name:<58} {:>8.0} pages/s {:>7.1} MB/s",
            pages.len() as f64 / secs,
            bytes as f64 / 1e6 / secs
        );
    };
    report(
        "trawl extract: markdown + metadata + links (main content)",
        ours,
    );
    report("trawl extract: + analysis (the service default)", ours_full);
    report(
        "trawl extract: markdown + metadata + links (whole page)",
        ours_whole,
    );
    report("peer htmd::convert: markdown only (whole page)", htmd);
    println!(
        "ratio ours/htmd (markdown + metadata + links vs markdown only): {:.2}",
        htmd.as_secs_f64() / ours.as_secs_f64()
    );
    // Keeps the optimiser from discarding the work.
    if sink == usize::MAX {
        println!("{sink}");
    }
}

fn best_of(rounds: usize, mut f: impl FnMut()) -> Duration {
    (0..rounds.max(1))
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn load_pages(dir: &Path) -> Vec<(url::Url, String)> {
    let mut pages = Vec::new();
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "html") {
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let url =
                url::Url::parse(&format!("http://127.0.0.1:8080/p/{name}")).expect("valid URL");
            let html = std::fs::read_to_string(&path).expect("readable UTF-8 page");
            pages.push((url, html));
        }
    }
    pages.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    pages
}
