//! `trawl scrape` and `trawl crawl` as a user runs them: no server and no database, a
//! real site on loopback; documents on stdout or in `--out`, progress and errors on
//! stderr, and an exit status that says which.

use std::collections::HashSet;
use std::path::Path;

use serde_json::Value;
use tokio::process::Command;

use crate::helpers::{exit_and_output, isolated, trawl_bin};
use crate::site::TestSite;

/// The binary in an empty directory with a clean environment, allowed to fetch loopback
/// (where the test site is) as an operator would allow an intranet.
fn trawl(dir: &Path) -> Command {
    let mut cmd = Command::from(trawl_bin(dir));
    cmd.env("TRAWL_FETCH_ALLOW", "127.0.0.0/8");
    cmd
}

async fn run(cmd: &mut Command) -> (i32, String, String) {
    exit_and_output(cmd.output().await.expect("run trawl"))
}

fn page(site: &TestSite, n: usize) -> &Value {
    &site.manifest["public_pages"][n]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrape_prints_the_main_content_and_the_document_as_json() {
    let site = TestSite::start(5).await;
    let dir = tempfile::tempdir().unwrap();
    let url = site.url("/p/1.html");

    let (code, markdown, err) = run(trawl(dir.path()).args(["scrape", &url])).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        err.is_empty(),
        "nothing on stderr when all went well: {err}"
    );
    assert!(
        markdown.contains(page(&site, 1)["title"].as_str().unwrap()),
        "{markdown}"
    );
    for boilerplate in ["Nav 0", "Advertisement", "Footer"] {
        assert!(
            !markdown.contains(boilerplate),
            "{boilerplate} in {markdown}"
        );
    }

    let (code, full, _) = run(trawl(dir.path()).args(["scrape", &url, "--full-page"])).await;
    assert_eq!(code, 0);
    assert!(
        full.contains("Nav 0"),
        "the whole page keeps the navigation: {full}"
    );

    let (code, json, err) = run(trawl(dir.path()).args(["scrape", &url, "--format", "json"])).await;
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&json).expect("one JSON document");
    let meta = &doc["metadata"];
    assert_eq!(meta["title"], page(&site, 1)["title"]);
    assert_eq!(meta["description"], page(&site, 1)["description"]);
    assert_eq!(meta["language"], page(&site, 1)["lang"]);
    assert_eq!(meta["sourceURL"], url.as_str());
    assert_eq!(meta["statusCode"], 200);
    assert_eq!(doc["markdown"].as_str().unwrap().trim(), markdown.trim());
    assert!(
        doc["links"].as_array().is_some_and(|l| !l.is_empty()),
        "{doc}"
    );
    assert!(
        doc["analysis"]["wordCount"].as_u64().unwrap() > 100,
        "{doc}"
    );

    let (code, links, _) = run(trawl(dir.path()).args(["scrape", &url, "--format", "links"])).await;
    assert_eq!(code, 0);
    let links: Vec<&str> = links.lines().collect();
    assert!(links.contains(&site.url("/p/0.html").as_str()), "{links:?}");
    assert!(
        links
            .iter()
            .all(|l| (l.starts_with("http://") || l.starts_with("https://")) && !l.contains('#')),
        "{links:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrape_failures_print_one_line_with_their_code_and_exit_with_status_2() {
    let site = TestSite::start(2).await;
    let dir = tempfile::tempdir().unwrap();

    let (code, out, err) = run(trawl(dir.path())
        .env_remove("TRAWL_FETCH_ALLOW")
        .args(["scrape", &site.url("/p/1.html")]))
    .await;
    assert_eq!(code, 2);
    assert!(out.is_empty(), "{out}");
    assert!(err.starts_with("trawl: SCRAPE_BLOCKED_ADDRESS:"), "{err}");
    assert!(
        err.contains("TRAWL_FETCH_ALLOW"),
        "the refusal says what opens it: {err}"
    );
    assert_eq!(
        site.hits("/p/1.html"),
        0,
        "a refused address is never contacted"
    );

    let (code, out, err) = run(trawl(dir.path()).args(["scrape", "ftp://example.com/x"])).await;
    assert_eq!(code, 2);
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("URL: must be an absolute http or https URL"),
        "{err}"
    );

    let (code, _, err) = run(trawl(dir.path()).args(["scrape", &site.url("/teapot")])).await;
    assert_eq!(code, 2);
    assert_eq!(
        err.trim_end(),
        "trawl: SCRAPE_HTTP_ERROR: HTTP 418",
        "one line: {err}"
    );
}

fn documents(jsonl: &str) -> Vec<Value> {
    jsonl
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is one JSON document"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_writes_one_api_shaped_document_per_line_and_a_summary() {
    let site = TestSite::start(30).await;
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("results.jsonl");

    let (code, out, err) = run(trawl(dir.path()).args([
        "crawl",
        &site.url("/p/0.html"),
        "--limit",
        "12",
        "--entire-domain",
        "--out",
        out_file.to_str().unwrap(),
    ]))
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty(), "documents go to --out, not stdout: {out}");
    assert!(err.contains("crawled 12 pages in"), "{err}");
    assert!(err.contains("): 0 failed,"), "{err}");

    let docs = documents(&std::fs::read_to_string(&out_file).unwrap());
    assert_eq!(docs.len(), 12);
    let titles: std::collections::HashMap<String, &Value> = site.manifest["public_pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (site.url(p["path"].as_str().unwrap()), &p["title"]))
        .collect();
    let mut seen = HashSet::new();
    for doc in &docs {
        let meta = &doc["metadata"];
        let url = meta["sourceURL"].as_str().expect("metadata.sourceURL");
        assert!(seen.insert(url.to_string()), "{url} written twice");
        assert!(!url.contains("/private/"), "robots.txt disallows {url}");
        assert_eq!(meta["statusCode"], 200, "{url}");
        assert_eq!(meta["url"], url, "{url}");
        if let Some(title) = titles.get(url) {
            assert_eq!(&meta["title"], *title, "{url}");
        }
        assert!(
            !doc["markdown"].as_str().unwrap_or_default().is_empty(),
            "{url}"
        );
    }
    assert_eq!(site.hits("/robots.txt"), 1);

    // Without --out the same lines go to stdout.
    let (code, out, err) = run(trawl(dir.path()).args([
        "crawl",
        &site.url("/p/0.html"),
        "--limit",
        "3",
        "--entire-domain",
        "--formats",
        "markdown,links",
    ]))
    .await;
    assert_eq!(code, 0, "{err}");
    let docs = documents(&out);
    assert_eq!(docs.len(), 3);
    assert!(docs.iter().all(|d| d["links"].is_array()), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_prints_plain_progress_lines_when_stderr_is_not_a_terminal() {
    let site = TestSite::start(20).await;
    let dir = tempfile::tempdir().unwrap();
    // A quarter second between requests to the host: ten pages take over two seconds, the
    // interval of the progress lines.
    let (code, out, err) = run(trawl(dir.path()).args([
        "crawl",
        &site.url("/p/0.html"),
        "--limit",
        "10",
        "--entire-domain",
        "--delay",
        "250ms",
    ]))
    .await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(documents(&out).len(), 10);
    let progress: Vec<&str> = err.lines().filter(|l| l.starts_with("crawl: ")).collect();
    assert!(!progress.is_empty(), "no progress line in {err}");
    for line in &progress {
        assert!(
            line.contains(" done / ")
                && line.contains(" discovered, ")
                && line.contains(" pages/s, "),
            "{line}"
        );
    }
    assert!(
        !err.contains('\r') && !err.contains('\u{1b}'),
        "no bar drawing off a terminal: {err:?}"
    );
    assert!(
        err.lines().last().unwrap().starts_with("crawled 10 pages"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_refuses_bad_options_naming_each_field() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) =
        run(trawl(dir.path()).args(["crawl", "not a url", "--limit", "0", "--include", "("])).await;
    assert_eq!(code, 2);
    assert!(out.is_empty(), "{out}");
    assert!(err.starts_with("trawl: invalid options: "), "{err}");
    for flag in ["URL: ", "--limit: ", "--include \"(\": "] {
        assert!(err.contains(flag), "{flag} not named in {err}");
    }
    assert!(
        !err.contains("includePaths"),
        "the flag, not the API field: {err}"
    );
}

/// Runs a ten-page crawl (two and a half seconds) on a pseudo-terminal with `TERM` set to
/// `term`, and returns what was drawn there.
async fn crawl_on_a_terminal(site: &TestSite, term: Option<&str>) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("results.jsonl");
    let command = format!(
        "{} crawl {} --limit 10 --entire-domain --delay 250ms --out {}",
        env!("CARGO_BIN_EXE_trawl"),
        site.url("/p/0.html"),
        out_file.display()
    );
    // `script` (Debian's essential bsdutils) runs the crawl on a pseudo-terminal and
    // copies what is drawn there to its own stdout.
    let mut cmd = Command::from(isolated("script", dir.path()));
    cmd.args(["-qec", &command, "/dev/null"])
        .env("TRAWL_FETCH_ALLOW", "127.0.0.0/8");
    if let Some(term) = term {
        cmd.env("TERM", term);
    }
    let drawn = cmd
        .output()
        .await
        .expect("`script` runs (Debian package bsdutils)");
    let drawn = String::from_utf8_lossy(&drawn.stdout).into_owned();
    assert!(drawn.contains("crawled 10 pages"), "{drawn:?}");
    assert_eq!(
        documents(&std::fs::read_to_string(&out_file).unwrap()).len(),
        10
    );
    drawn
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_draws_a_progress_bar_on_a_terminal_and_lines_where_it_cannot_draw() {
    let site = TestSite::start(20).await;

    let drawn = crawl_on_a_terminal(&site, Some("xterm")).await;
    assert!(
        drawn.contains(" done / ") && drawn.contains(" pages/s, "),
        "{drawn:?}"
    );
    assert!(
        drawn.contains("\u{1b}["),
        "the bar is redrawn in place: {drawn:?}"
    );
    assert!(
        !drawn.contains("crawl: "),
        "no plain lines under the bar: {drawn:?}"
    );

    // A terminal without TERM cannot be drawn on: the plain lines stand in.
    let drawn = crawl_on_a_terminal(&site, None).await;
    assert!(drawn.contains("crawl: "), "no progress at all: {drawn:?}");
    assert!(!drawn.contains("\u{1b}["), "{drawn:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_that_crawls_nothing_prints_each_reason_with_an_example_and_exits_1() {
    let site = TestSite::start(3).await;
    let dir = tempfile::tempdir().unwrap();
    let start = site.url("/p/0.html");

    // Loopback is not opened: the start page is refused before any request.
    let (code, out, err) = run(trawl(dir.path())
        .env_remove("TRAWL_FETCH_ALLOW")
        .args(["crawl", &start, "--limit", "5"]))
    .await;
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("crawled 0 pages"), "{err}");
    assert!(
        err.contains(&format!("SCRAPE_BLOCKED_ADDRESS ×1, e.g. {start} ("))
            && err.contains("TRAWL_FETCH_ALLOW"),
        "{err}"
    );
    assert_eq!(
        err.lines().last(),
        Some("trawl: nothing was crawled"),
        "{err}"
    );

    // A start page that answers an error status.
    let missing = site.url("/nowhere.html");
    let (code, out, err) =
        run(trawl(dir.path()).args(["crawl", &missing, "--sitemap", "skip"])).await;
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains(&format!("×1, e.g. {missing} (")) && err.contains("404"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_a_crawl_with_status_130_and_only_whole_lines_written() {
    let site = TestSite::start(40).await;
    let dir = tempfile::tempdir().unwrap();
    let mut child = trawl(dir.path())
        .args([
            "crawl",
            &site.url("/p/0.html"),
            "--limit",
            "40",
            "--entire-domain",
            "--delay",
            "150ms",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = tokio::io::BufReader::new(child.stdout.take().unwrap());
    let mut written = String::new();
    // Three documents in, press Ctrl-C.
    while written.lines().count() < 3 {
        let n = tokio::io::AsyncBufReadExt::read_line(&mut stdout, &mut written)
            .await
            .unwrap();
        assert!(n > 0, "the crawl ended before three documents: {written}");
    }
    let pid = child.id().unwrap().to_string();
    let sent = tokio::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .await
        .unwrap();
    assert!(sent.success());
    tokio::io::AsyncReadExt::read_to_string(&mut stdout, &mut written)
        .await
        .unwrap();
    let out = child.wait_with_output().await.unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(
        written.ends_with('\n'),
        "the last line is whole: {written:?}"
    );
    let docs = documents(&written);
    assert!(docs.len() >= 3 && docs.len() < 40, "{}", docs.len());
    assert!(err.contains(", interrupted"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrape_crawl_and_map_share_one_vocabulary_and_errors_name_the_flag() {
    let site = TestSite::start(6).await;
    let dir = tempfile::tempdir().unwrap();
    let page = site.url("/p/1.html");

    // One spelling of each format everywhere; the API's spelling is accepted too.
    let (code, raw, err) =
        run(trawl(dir.path()).args(["scrape", &page, "--format", "raw-html"])).await;
    assert_eq!(code, 0, "{err}");
    assert!(raw.contains("<html"), "{raw}");
    let (code, same, _) =
        run(trawl(dir.path()).args(["scrape", &page, "--format", "rawHtml"])).await;
    assert_eq!((code, &same), (0, &raw));
    let (code, out, err) = run(trawl(dir.path()).args([
        "crawl",
        &page,
        "--limit",
        "2",
        "--entire-domain",
        "--format",
        "raw-html,links",
    ]))
    .await;
    assert_eq!(code, 0, "{err}");
    for doc in documents(&out) {
        assert!(
            doc["rawHtml"].is_string() && doc["links"].is_array(),
            "{doc}"
        );
        assert!(doc.get("markdown").is_none(), "{doc}");
    }
    let (code, _, err) =
        run(trawl(dir.path()).args(["scrape", &page, "--format", "rawhtml"])).await;
    assert_eq!(code, 2);
    assert!(
        err.contains("'--format <FORMAT>'") && err.contains("raw-html"),
        "{err}"
    );

    // Durations carry their unit; a bare number is refused, not guessed.
    let (code, _, err) = run(trawl(dir.path()).args(["crawl", &page, "--delay", "2"])).await;
    assert_eq!(code, 2);
    assert!(
        err.contains("--delay") && err.contains("2ms or 2s"),
        "{err}"
    );
    let (code, _, err) = run(trawl(dir.path()).args(["crawl", &page, "--concurrency", "0"])).await;
    assert_eq!(code, 2);
    assert!(err.contains("--concurrency: must be between"), "{err}");
    let (code, _, err) = run(trawl(dir.path()).args(["scrape", &page, "--timeout", "1ms"])).await;
    assert_eq!(code, 2);
    assert!(
        err.contains("--timeout: ") && !err.contains("scrapeOptions"),
        "{err}"
    );

    // --header and --user-agent reach the site.
    let (code, seen, err) = run(trawl(dir.path()).args([
        "scrape",
        &site.url("/headers"),
        "--format",
        "raw-html",
        "--header",
        "X-Trawl-Test: one",
        "-H",
        "Accept-Language: fr",
        "--user-agent",
        "OpsBot/2.0",
    ]))
    .await;
    assert_eq!(code, 0, "{err}");
    let seen: Value = serde_json::from_str(seen.trim()).expect("the site echoes headers as JSON");
    assert_eq!(seen["x-trawl-test"], "one", "{seen}");
    assert_eq!(seen["accept-language"], "fr", "{seen}");
    assert_eq!(seen["user-agent"], "OpsBot/2.0", "{seen}");
    let (code, _, err) =
        run(trawl(dir.path()).args(["scrape", &page, "--header", "nocolon"])).await;
    assert_eq!(code, 2);
    assert!(
        err.contains("--header") && err.contains("Name: value"),
        "{err}"
    );

    // `trawl map` lists the site's URLs, one per line or as the API's JSON.
    let (code, out, err) =
        run(trawl(dir.path()).args(["map", &site.url("/"), "--user-agent", "OpsBot/2.0"])).await;
    assert_eq!(code, 0, "{err}");
    let urls: Vec<&str> = out.lines().collect();
    assert!(urls.contains(&page.as_str()), "{out}");
    assert!(urls.iter().all(|u| u.starts_with(&site.base)), "{out}");
    let (code, out, err) =
        run(trawl(dir.path()).args(["map", &site.url("/"), "--format", "json", "--limit", "3"]))
            .await;
    assert_eq!(code, 0, "{err}");
    let links: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(links.len(), 3, "{out}");
    assert!(links.iter().all(|l| l["url"].is_string()), "{out}");
    let (code, _, err) =
        run(trawl(dir.path()).args(["map", &site.url("/"), "--format", "markdown"])).await;
    assert_eq!(code, 2);
    assert!(err.contains("--format"), "{err}");
    let (code, _, err) =
        run(trawl(dir.path()).args(["map", "ftp://example.com/", "--limit", "0"])).await;
    assert_eq!(code, 2);
    assert!(err.contains("URL: ") && err.contains("--limit: "), "{err}");
}
