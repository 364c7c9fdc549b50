//! Crawls of a real generated site: robots.txt obeyed, every page once, limits and
//! filters, politeness, retries, cancellation, crawls as jobs, and resuming after a crash.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;
use trawl::config::{CrawlConfig, FetchConfig};
use trawl::crawl::sink::{self, StoreSink};
use trawl::crawl::{
    CrawlEvent, CrawlHandler, CrawlRequest, CrawlSink, CrawlSummary, Crawler, Progress, Resume,
};
use trawl::fetch::Fetcher;
use trawl::jobs::{JobRuntime, Jobs, Registry, RuntimeOptions};
use trawl::scrape::{PageDocument, Scraper};
use trawl::store::crawl::CrawlBatch;
use trawl::store::documents::DocumentQuery;
use trawl::store::jobs::{JobLookup, JobState, NewJob, DEFAULT_TEAM};
use trawl::store::{self, Store};
use uuid::Uuid;

use crate::both_backends;
use crate::helpers::*;
use crate::site::TestSite;

fn scraper() -> Scraper {
    Scraper::new(
        Fetcher::new(&FetchConfig {
            allow: vec!["127.0.0.0/8".into()],
            ..Default::default()
        })
        .unwrap(),
    )
}

fn crawler(request: Value) -> Crawler {
    let plan = serde_json::from_value::<CrawlRequest>(request)
        .unwrap()
        .validate(&CrawlConfig::default())
        .unwrap();
    Crawler::new(
        plan,
        scraper(),
        "TrawlBot/test",
        Arc::new(Progress::default()),
    )
}

/// Keeps every event, as the CLI's JSON-lines output would.
#[derive(Default)]
struct Collect {
    events: Mutex<Vec<CrawlEvent>>,
}

#[async_trait]
impl CrawlSink for Collect {
    async fn write(&self, events: Vec<CrawlEvent>) -> anyhow::Result<()> {
        self.events.lock().unwrap().extend(events);
        Ok(())
    }
}

impl Collect {
    /// (url, title) of every page event.
    fn pages(&self) -> Vec<(String, Option<String>)> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                CrawlEvent::Page { url, document, .. } => {
                    Some((url.clone(), document.metadata.title.clone()))
                }
                _ => None,
            })
            .collect()
    }
}

async fn run(c: Crawler) -> (CrawlSummary, Arc<Collect>) {
    let sink = Arc::new(Collect::default());
    let summary = c
        .run(sink.clone(), None, CancellationToken::new())
        .await
        .unwrap();
    (summary, sink)
}

fn private_hits(site: &TestSite) -> usize {
    site.all_hits()
        .iter()
        .filter(|(p, _)| p.starts_with("/private/"))
        .map(|(_, n)| n)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crawl_fetches_every_public_page_once_and_no_disallowed_one() {
    let site = TestSite::start(60).await;
    let (summary, sink) = run(crawler(json!({"url": site.url("/"), "limit": 1000}))).await;
    // index.html and the 60 pages; each page links one private page, all disallowed.
    assert_eq!(summary.completed, 61, "{summary:?}");
    assert_eq!(summary.failed, 0, "{summary:?}");
    assert_eq!(summary.robots_blocked, 60, "{summary:?}");
    assert_eq!(private_hits(&site), 0, "robots.txt was not obeyed");
    assert_eq!(
        site.hits("/robots.txt"),
        1,
        "robots.txt is fetched once per host"
    );
    for path in site.public_paths() {
        assert_eq!(site.hits(&path), 1, "{path} fetched more than once");
    }
    let pages = sink.pages();
    let unique: HashSet<_> = pages.iter().map(|(u, _)| u.clone()).collect();
    assert_eq!(unique.len(), pages.len(), "a page was emitted twice");
    let titles: HashMap<String, Option<String>> = pages.into_iter().collect();
    for page in site.manifest["public_pages"].as_array().unwrap() {
        let url = site.url(page["path"].as_str().unwrap());
        assert_eq!(
            titles[&url].as_deref(),
            page["title"].as_str(),
            "title of {url}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_limit_and_the_depth_bound_the_crawl() {
    let site = TestSite::start(40).await;
    let (summary, sink) = run(crawler(json!({"url": site.url("/"), "limit": 10}))).await;
    assert_eq!(summary.completed, 10, "{summary:?}");
    assert_eq!(sink.pages().len(), 10);

    let (summary, _) = run(crawler(json!({
        "url": site.url("/p/0.html"), "maxDiscoveryDepth": 0, "sitemap": "skip"
    })))
    .await;
    assert_eq!(summary.completed, 1, "{summary:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn include_and_exclude_paths_decide_what_is_followed() {
    let site = TestSite::start(40).await;
    let (summary, sink) = run(crawler(json!({
        "url": site.url("/"), "includePaths": ["^/p/1"], "excludePaths": ["^/p/1[0-9]\\.html$"]
    })))
    .await;
    let mut urls: Vec<String> = sink.pages().into_iter().map(|(u, _)| u).collect();
    urls.sort();
    // Of /p/1*.html (from the sitemap and links), /p/1[0-9].html are excluded; the
    // start page is always fetched.
    assert_eq!(urls, [site.url("/"), site.url("/p/1.html")]);
    assert_eq!(summary.completed, 2, "{summary:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_page_is_fetched_again_after_retry_after() {
    let site = TestSite::start(1).await;
    let started = Instant::now();
    let (summary, sink) = run(crawler(
        json!({"url": site.url("/flaky"), "sitemap": "skip"}),
    ))
    .await;
    assert_eq!(summary.completed, 1, "{summary:?}");
    assert_eq!(sink.pages()[0].1.as_deref(), Some("Flaky"));
    assert_eq!(site.hits("/flaky"), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After ignored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_per_host_delay_spaces_requests() {
    let site = TestSite::start(10).await;
    let started = Instant::now();
    let (summary, _) = run(crawler(json!({
        "url": site.url("/p/0.html"), "limit": 4, "delay": 0.2, "sitemap": "skip",
        "crawlEntireDomain": true
    })))
    .await;
    assert_eq!(summary.completed, 4, "{summary:?}");
    // robots.txt, then four pages, each at least 200 ms after the previous one.
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_stops_a_crawl_within_a_second() {
    let site = TestSite::start(50).await;
    let c = crawler(json!({"url": site.url("/"), "delay": 0.5, "maxConcurrency": 1}));
    let cancel = CancellationToken::new();
    let task = tokio::spawn(c.run(Arc::new(Collect::default()), None, cancel.clone()));
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let at = Instant::now();
    cancel.cancel();
    let summary = task.await.unwrap().unwrap();
    assert!(at.elapsed() < Duration::from_secs(1), "{:?}", at.elapsed());
    assert!(summary.cancelled);
    assert!(summary.completed < 50, "{summary:?}");
}

/// Stores through the real store, but fails (like a crash) on the `fail_at`-th write.
struct CrashingSink {
    inner: StoreSink,
    writes: AtomicUsize,
    fail_at: usize,
}

#[async_trait]
impl CrawlSink for CrashingSink {
    async fn write(&self, events: Vec<CrawlEvent>) -> anyhow::Result<()> {
        if self.writes.fetch_add(1, Ordering::SeqCst) + 1 == self.fail_at {
            anyhow::bail!("the process died");
        }
        self.inner.write(events).await
    }
}

async fn new_crawl_job(store: &Arc<dyn Store>, payload: Value) -> Uuid {
    store
        .enqueue(&[NewJob::new(DEFAULT_TEAM, "crawl", payload)])
        .await
        .unwrap()[0]
        .id
}

both_backends! {
    async fn a_scrape_job_stores_its_page_as_a_document_of_the_job(backend: Backend) {
        let site = TestSite::start(3).await;
        let db = TestDb::new(backend).await.unwrap();
        let config = test_config(&db, &[("TRAWL_FETCH_ALLOW", "127.0.0.0/8"), ("TRAWL_JOBS_POLL_MS", "50")]);
        let store = store::connect(&config).await.unwrap();
        store.migrate_up().await.unwrap();
        let registry = trawl::app::job_registry(&config).unwrap();
        let jobs = Jobs::new(store.clone(), registry, &config);
        let url = site.url("/p/2.html");
        let id = store
            .enqueue(&[NewJob::new(DEFAULT_TEAM, "scrape", json!({"url": url, "formats": ["markdown", "links"]}))])
            .await
            .unwrap()[0]
            .id;
        let rt = JobRuntime::start(jobs, RuntimeOptions { scheduler: false, ..Default::default() }).await;
        let deadline = Instant::now() + Duration::from_secs(20);
        let job = loop {
            if let JobLookup::Found(j) = store.get_job(id).await.unwrap() {
                if j.state.is_finished() {
                    break j;
                }
            }
            assert!(Instant::now() < deadline, "the scrape job did not finish");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        rt.shutdown(Duration::from_secs(1)).await;
        assert_eq!(job.state, JobState::Succeeded, "{job:#?}");
        let result = job.result.unwrap();
        assert_eq!(result["statusCode"], 200);
        assert_eq!(result["title"], site.manifest["public_pages"][2]["title"]);
        let docs = store.job_documents(id, 0, 10).await.unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].url, url);
        assert!(docs[0].markdown.as_deref().unwrap().starts_with("# Page 2"));
        assert!(docs[0].formats["links"].is_array());
        store.close().await;
    }

    async fn a_crashed_crawl_resumes_without_fetching_finished_pages_again(backend: Backend) {
        let site = TestSite::start(40).await;
        let db = TestDb::new(backend).await.unwrap();
        let config = test_config(&db, &[]);
        let store = store::connect(&config).await.unwrap();
        store.migrate_up().await.unwrap();
        let request = json!({"url": site.url("/"), "maxConcurrency": 1});
        let job = new_crawl_job(&store, request.clone()).await;

        let sink = Arc::new(CrashingSink {
            inner: StoreSink::new(store.clone(), job, DEFAULT_TEAM),
            writes: AtomicUsize::new(0),
            fail_at: 8,
        });
        let first = crawler(request.clone())
            .run(sink, None, CancellationToken::new())
            .await;
        assert!(first.is_err(), "the crash must stop the crawl");
        let stored = store.crawl_frontier(job).await.unwrap();
        assert!(stored.counts.done > 0 && !stored.queued.is_empty(), "{:?}", stored.counts);
        let done_before: Vec<String> = {
            let docs = store.job_documents(job, 0, 1000).await.unwrap();
            docs.into_iter().map(|d| d.url).collect()
        };
        assert_eq!(done_before.len() as u64, stored.counts.done);

        let resume = Resume {
            queued: stored.queued,
            finished: stored.finished,
            completed: stored.counts.done,
            failed: stored.counts.failed,
            robots_blocked: stored.counts.blocked,
        };
        let summary = crawler(request)
            .run(
                Arc::new(StoreSink::new(store.clone(), job, DEFAULT_TEAM)),
                Some(resume),
                CancellationToken::new(),
            )
            .await
            .unwrap();
        assert_eq!(summary.completed, 41, "{summary:?}");
        for url in &done_before {
            let path = url::Url::parse(url).unwrap().path().to_string();
            assert_eq!(site.hits(&path), 1, "{path} was fetched again after the crash");
        }
        assert_eq!(store.job_document_count(job).await.unwrap(), 41);
        assert_eq!(private_hits(&site), 0);
        let counts = store.crawl_counts(job).await.unwrap();
        assert_eq!((counts.done, counts.queued, counts.blocked), (41, 0, 40), "{counts:?}");
        store.close().await;
    }

    async fn a_crawl_job_stores_each_page_with_its_frontier_and_errors(backend: Backend) {
        let site = TestSite::start(30).await;
        let db = TestDb::new(backend).await.unwrap();
        let config = test_config(&db, &[("TRAWL_FETCH_ALLOW", "127.0.0.0/8"), ("TRAWL_JOBS_POLL_MS", "50")]);
        let store = store::connect(&config).await.unwrap();
        store.migrate_up().await.unwrap();
        let mut registry = Registry::new();
        registry.register(
            "crawl",
            Arc::new(CrawlHandler::new(
                Scraper::new(Fetcher::new(&config.fetch).unwrap()),
                Arc::new(config.clone()),
            )),
        );
        let jobs = Jobs::new(store.clone(), registry, &config);
        let job = new_crawl_job(&store, json!({
            "url": site.url("/"), "scrapeOptions": {"formats": ["markdown", "links"]}
        }))
        .await;
        let rt = JobRuntime::start(
            jobs,
            RuntimeOptions {
                scheduler: false,
                maintenance: false,
                ..Default::default()
            },
        )
        .await;
        let deadline = Instant::now() + Duration::from_secs(30);
        let finished = loop {
            if let JobLookup::Found(j) = store.get_job(job).await.unwrap() {
                if j.state.is_finished() {
                    break j;
                }
            }
            assert!(Instant::now() < deadline, "the crawl job did not finish");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        rt.shutdown(Duration::from_secs(1)).await;
        assert_eq!(finished.state, JobState::Succeeded, "{finished:#?}");
        assert_eq!(finished.result.as_ref().unwrap()["completed"], 31);
        let docs = store.job_documents(job, 0, 100).await.unwrap();
        assert_eq!(docs.len(), 31);
        let start = docs.iter().find(|d| d.url == site.url("/")).expect("the start page");
        assert!(start.formats["links"].as_array().is_some_and(|l| !l.is_empty()));
        assert!(docs.iter().all(|d| d.markdown.is_some() && d.metadata["statusCode"] == 200));
        let page_docs = store.job_documents(job, 30, 100).await.unwrap();
        assert_eq!(page_docs.len(), 1, "skip pages through the documents");
        let failures = store.crawl_failures(job, 100).await.unwrap();
        assert_eq!(failures.len(), 30);
        assert!(failures.iter().all(|f| f.url.contains("/private/")));
        store.close().await;
    }

    async fn a_recrawled_page_is_searchable_by_its_new_words_only_and_gone_once_deleted(backend: Backend) {
        let db = TestDb::new(backend).await.unwrap();
        let config = test_config(&db, &[]);
        let store = store::connect(&config).await.unwrap();
        store.migrate_up().await.unwrap();
        let job = new_crawl_job(&store, json!({"url": "http://127.0.0.1:9/"})).await;
        let url = "http://127.0.0.1:9/a.html";
        let page = |words: &str| {
            let mut doc = PageDocument {
                markdown: Some(format!("# Heading\n\n{words}")),
                ..Default::default()
            };
            doc.metadata.title = Some("A page".into());
            sink::new_document(url, doc, None)
        };
        let search = |word: &str| DocumentQuery {
            team_id: DEFAULT_TEAM,
            text: Some(word.into()),
            limit: 10,
            ..Default::default()
        };
        for words in ["zebras graze quietly", "penguins swim fast"] {
            let batch = CrawlBatch {
                documents: vec![page(words)],
                ..Default::default()
            };
            store.crawl_write(job, DEFAULT_TEAM, &batch).await.unwrap();
        }
        assert!(store.query_documents(&search("zebras")).await.unwrap().is_empty());
        let found = store.query_documents(&search("penguins")).await.unwrap();
        assert_eq!(found.len(), 1);
        assert!(store.delete_document(DEFAULT_TEAM, found[0].id).await.unwrap());
        assert!(store.query_documents(&search("penguins")).await.unwrap().is_empty());
        store.close().await;
    }
}
