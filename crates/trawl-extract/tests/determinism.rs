//! Same bytes and options give byte-identical output in every process (issue 26).
//!
//! std's `HashMap` seeds its hasher afresh in each process, so an output that depends on a
//! map's iteration order changes from run to run, not from call to call. The test therefore
//! re-runs itself as two child processes, each extracting the whole corpus (the fixtures,
//! the main-content corpus and a generated site) and writing every output, then compares
//! the two files byte for byte.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use trawl_extract::charset::decode_html;
use trawl_extract::{extract, ExtractOptions};
use url::Url;

/// Set in a child: the file it writes its outputs to.
const OUT_ENV: &str = "TRAWL_DETERMINISM_OUT";
/// Set in a child: the generated site to extract besides the checked-in pages.
const SITE_ENV: &str = "TRAWL_DETERMINISM_SITE";
const TEST_NAME: &str = "every_page_extracts_byte_identically_in_separate_processes";
const SITE_PAGES: usize = 100;

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.html` file below `dir`, sorted, so both children walk the same order.
fn html_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            html_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "html") {
            out.push(path);
        }
    }
}

fn corpus_files(site: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    html_files(&crate_dir().join("tests/fixtures"), &mut files);
    html_files(&crate_dir().join("tests/corpus"), &mut files);
    html_files(&site.join("p"), &mut files);
    files.sort();
    files
}

/// The option sets whose outputs are compared: the service default with every output on,
/// and the whole page.
fn option_sets() -> [ExtractOptions; 2] {
    let all = ExtractOptions {
        want_html: true,
        want_images: true,
        ..ExtractOptions::default()
    };
    let whole = ExtractOptions {
        only_main_content: false,
        ..all.clone()
    };
    [all, whole]
}

/// What one child writes: per page and option set, a header line and the document as
/// JSON (Markdown, HTML, metadata, links, images and analysis).
fn extract_all(site: &Path) -> String {
    let url = Url::parse("https://example.com/dir/page.html").unwrap();
    let mut out = String::new();
    for path in corpus_files(site) {
        let bytes = std::fs::read(&path).unwrap();
        let (html, _) = decode_html(&bytes, None);
        for (i, opts) in option_sets().iter().enumerate() {
            let doc = extract(&html, &url, opts);
            writeln!(out, "=== {} options#{i}", path.display()).unwrap();
            out.push_str(&serde_json::to_string(&doc).unwrap());
            out.push('\n');
        }
    }
    out
}

fn run_child(site: &Path, out: &Path) {
    let status = Command::new(std::env::current_exe().unwrap())
        .args([TEST_NAME, "--exact", "--test-threads=1", "--nocapture"])
        .env(OUT_ENV, out)
        .env(SITE_ENV, site)
        .stdout(Stdio::null())
        .status()
        .expect("the test binary re-runs itself");
    assert!(status.success(), "child extraction failed");
}

#[test]
fn every_page_extracts_byte_identically_in_separate_processes() {
    if let (Ok(out), Ok(site)) = (std::env::var(OUT_ENV), std::env::var(SITE_ENV)) {
        std::fs::write(out, extract_all(Path::new(&site))).unwrap();
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    let status = Command::new("python3")
        .arg(crate_dir().join("../../bench/site/mksite.py"))
        .arg(&site)
        .args(["--pages", &SITE_PAGES.to_string()])
        .status()
        .expect("python3 runs mksite.py");
    assert!(status.success());
    assert!(
        corpus_files(&site).len() > SITE_PAGES,
        "the corpus was found"
    );

    let (first, second) = (dir.path().join("first"), dir.path().join("second"));
    run_child(&site, &first);
    run_child(&site, &second);
    let first = std::fs::read_to_string(first).unwrap();
    let second = std::fs::read_to_string(second).unwrap();
    let mut page = "";
    for (a, b) in first.lines().zip(second.lines()) {
        if a.starts_with("=== ") {
            page = a;
        }
        assert_eq!(a, b, "outputs differ between processes at {page}");
    }
    assert_eq!(first.len(), second.len());
}
