//! One pass of `extract` over a generated site in one mode, for instruction counts under
//! callgrind (repeatable when other work loads the machine, unlike wall-clock figures).
//!
//! usage: `valgrind --tool=callgrind target/release/examples/extract_profile SITE_DIR [main|whole|full]`

// The service's allocator (crates/trawl/src/main.rs): extraction is measured as it runs there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::Path;

use trawl_extract::{extract, ExtractOptions};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: extract_profile SITE_DIR [main|whole|full]");
        std::process::exit(2);
    };
    let opts = match args.next().as_deref().unwrap_or("main") {
        "main" => ExtractOptions {
            want_analysis: false,
            ..ExtractOptions::default()
        },
        "whole" => ExtractOptions {
            only_main_content: false,
            want_analysis: false,
            ..ExtractOptions::default()
        },
        "full" => ExtractOptions::default(),
        other => {
            eprintln!("unknown mode {other}: main, whole or full");
            std::process::exit(2);
        }
    };
    let dir = Path::new(&dir).join("p");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    paths.sort();
    let pages: Vec<(url::Url, String)> = paths
        .iter()
        .map(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            let url = url::Url::parse(&format!("http://127.0.0.1:8080/p/{name}")).expect("URL");
            (
                url,
                std::fs::read_to_string(p).expect("readable UTF-8 page"),
            )
        })
        .collect();
    let mut sink = 0usize;
    for (url, html) in &pages {
        let doc = extract(html, url, &opts);
        sink += doc.markdown.map_or(0, |m| m.len()) + doc.links.map_or(0, |l| l.len());
    }
    println!("{} pages, {sink} bytes out", pages.len());
}
