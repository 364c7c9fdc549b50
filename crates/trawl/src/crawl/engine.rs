//! The crawl loop: a breadth-first frontier, deduplicated on normalised URLs, fetched by
//! up to `concurrency` tasks under per-host politeness, with every outcome streamed to a
//! [`CrawlSink`] in order.
//!
//! Resumability: a page's outcome and the links it added to the frontier travel in one
//! [`CrawlEvent::Page`], so a sink that writes each batch in one transaction always holds
//! a frontier consistent with the finished pages. After a crash the crawl restarts from
//! that state and fetches only what was not finished.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::hosts::Hosts;
use super::options::{CrawlPlan, SitemapMode};
use super::scope::Scope;
use crate::fetch::{FetchError, FetchOptions};
use crate::scrape::{extract_page, PageDocument, Scraper};
use trawl_extract::sitemap::{parse_sitemap, Sitemap};
use trawl_extract::urlnorm::{normalize, NormalizeOptions};

/// Sitemaps fetched per crawl at most (an index may point at many).
const MAX_SITEMAPS: usize = 50;
/// How deep sitemap indexes may nest.
const MAX_SITEMAP_DEPTH: u32 = 3;
/// Events a sink gets in one call at most.
const MAX_BATCH: usize = 256;
/// Finished pages waiting for the sink at most. Each holds its Markdown (~25 KB on the
/// bench site); a deeper queue only raised peak memory while the sink was busy, as the
/// fetchers then wait for it either way.
const QUEUED_EVENTS: usize = 2 * MAX_BATCH;

/// What happened during a crawl, in the order it happened.
#[derive(Debug, Clone)]
pub enum CrawlEvent {
    /// A URL joined the frontier without a page to credit (the start URL, sitemap URLs).
    Discovered { url: String, depth: u32 },
    /// A page was fetched and extracted; `discovered` are the new URLs it added.
    Page {
        url: String,
        depth: u32,
        document: Box<PageDocument>,
        content_hash: Option<String>,
        discovered: Vec<(String, u32)>,
        /// Links robots.txt disallows, found on this page; never fetched.
        blocked: Vec<String>,
    },
    /// A page could not be fetched or answered an HTTP error.
    Failed {
        url: String,
        depth: u32,
        code: &'static str,
        error: String,
    },
    /// robots.txt disallows the URL; it was not fetched.
    RobotsBlocked { url: String, depth: u32 },
}

/// Where a crawl's results go: the database for jobs, a JSON-lines file for the CLI.
#[async_trait]
pub trait CrawlSink: Send + Sync + 'static {
    /// Stores `events` (all or nothing, for a sink that can). An error stops the crawl.
    async fn write(&self, events: Vec<CrawlEvent>) -> anyhow::Result<()>;
}

/// A crawl's stored state, to continue after a crash.
#[derive(Debug, Clone, Default)]
pub struct Resume {
    /// Admitted but not finished, in admission order.
    pub queued: Vec<(String, u32)>,
    /// Finished: fetched, failed or blocked.
    pub finished: Vec<String>,
    pub completed: u64,
    pub failed: u64,
    pub robots_blocked: u64,
}

impl Resume {
    pub fn is_empty(&self) -> bool {
        self.queued.is_empty() && self.finished.is_empty()
    }
}

/// Live counters, for progress displays.
#[derive(Debug, Default)]
pub struct Progress {
    pub discovered: AtomicU64,
    pub completed: AtomicU64,
    pub failed: AtomicU64,
    pub robots_blocked: AtomicU64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CrawlSummary {
    pub discovered: u64,
    pub completed: u64,
    pub failed: u64,
    pub robots_blocked: u64,
    pub cancelled: bool,
}

/// What [`Crawler::admit`] did with a URL.
enum Admission {
    Admitted(String),
    /// robots.txt (already known for its host) disallows it: recorded, not fetched.
    Blocked(String),
    Rejected,
}

enum Outcome {
    Page(Box<crate::scrape::Scraped>),
    Failed(&'static str, String),
    Blocked,
}

/// One crawl, from plan to summary.
pub struct Crawler {
    plan: Arc<CrawlPlan>,
    scraper: Scraper,
    hosts: Arc<Hosts>,
    scope: Scope,
    norm: NormalizeOptions,
    progress: Arc<Progress>,
    frontier: VecDeque<(Url, u32)>,
    seen: HashSet<String>,
    /// URLs admitted so far that count toward `limit` (robots-blocked ones give their
    /// place back).
    admitted: u64,
    summary: CrawlSummary,
}

impl Crawler {
    pub fn new(
        plan: CrawlPlan,
        scraper: Scraper,
        user_agent: &str,
        progress: Arc<Progress>,
    ) -> Self {
        let hosts = Arc::new(Hosts::new(
            scraper.fetcher().clone(),
            user_agent.to_string(),
            plan.host_concurrency,
            plan.delay,
            plan.obey_robots,
        ));
        let scope = Scope::new(&plan);
        let norm = NormalizeOptions {
            ignore_query_parameters: plan.ignore_query_parameters,
        };
        Crawler {
            plan: Arc::new(plan),
            scraper,
            hosts,
            scope,
            norm,
            progress,
            frontier: VecDeque::new(),
            seen: HashSet::new(),
            admitted: 0,
            summary: CrawlSummary::default(),
        }
    }

    /// Runs the crawl to its end, its limit, or `cancel`. `resume` continues a crawl whose
    /// state was stored by an earlier run.
    pub async fn run(
        mut self,
        sink: Arc<dyn CrawlSink>,
        resume: Option<Resume>,
        cancel: CancellationToken,
    ) -> anyhow::Result<CrawlSummary> {
        // The writer stops the crawl through a child token, so a storage failure is not
        // mistaken for the caller's cancellation.
        let stop = cancel.child_token();
        let (tx, rx) = mpsc::channel::<CrawlEvent>(QUEUED_EVENTS);
        let writer = tokio::spawn(write_events(rx, sink, stop.clone()));
        let result = self.crawl(&tx, resume, &stop).await;
        drop(tx);
        let written = writer.await;
        result?;
        match written {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(e) => anyhow::bail!("crawl writer stopped: {e}"),
        }
        self.summary.cancelled = cancel.is_cancelled();
        Ok(self.summary)
    }

    async fn crawl(
        &mut self,
        tx: &mpsc::Sender<CrawlEvent>,
        resume: Option<Resume>,
        cancel: &CancellationToken,
    ) -> anyhow::Result<()> {
        match resume.filter(|r| !r.is_empty()) {
            Some(r) => self.restore(r),
            None => self.seed(tx, cancel).await?,
        }
        let mut tasks: JoinSet<(Url, u32, Outcome)> = JoinSet::new();
        loop {
            while tasks.len() < self.plan.concurrency && !cancel.is_cancelled() {
                let Some((url, depth)) = self.frontier.pop_front() else {
                    break;
                };
                let scraper = self.scraper.clone();
                let hosts = Arc::clone(&self.hosts);
                let plan = Arc::clone(&self.plan);
                tasks.spawn(async move {
                    let outcome = fetch_one(&scraper, &hosts, &plan, &url).await;
                    (url, depth, outcome)
                });
            }
            if tasks.is_empty() {
                break;
            }
            let joined = tokio::select! {
                () = cancel.cancelled() => {
                    // In-flight pages are dropped unfinished; a resumed crawl refetches them.
                    tasks.abort_all();
                    break;
                }
                joined = tasks.join_next() => joined,
            };
            let Some(joined) = joined else { continue };
            let (url, depth, outcome) = match joined {
                Ok(v) => v,
                Err(e) if e.is_panic() => anyhow::bail!("a crawl task panicked"),
                Err(_) => continue,
            };
            let event = self.settle(url, depth, outcome);
            if tx.send(event).await.is_err() {
                anyhow::bail!("the crawl's results could not be stored");
            }
        }
        Ok(())
    }

    fn restore(&mut self, r: Resume) {
        for url in r.finished {
            self.seen.insert(url);
        }
        for (url, depth) in r.queued {
            if let Ok(u) = Url::parse(&url) {
                if self.seen.insert(url) {
                    self.frontier.push_back((u, depth));
                }
            }
        }
        self.admitted = self.seen.len() as u64 - r.robots_blocked;
        self.summary.completed = r.completed;
        self.summary.failed = r.failed;
        self.summary.robots_blocked = r.robots_blocked;
        self.summary.discovered = self.seen.len() as u64;
        let p = &self.progress;
        p.discovered
            .store(self.summary.discovered, Ordering::Relaxed);
        p.completed.store(r.completed, Ordering::Relaxed);
        p.failed.store(r.failed, Ordering::Relaxed);
        p.robots_blocked.store(r.robots_blocked, Ordering::Relaxed);
    }

    /// Admits `url` to the frontier if it is new, in scope, shallow enough, within the
    /// limit and not disallowed by robots.txt rules already known for its host.
    fn admit(&mut self, url: &Url, depth: u32, force: bool) -> Admission {
        if self.admitted >= self.plan.limit {
            return Admission::Rejected;
        }
        let url = normalize(url, &self.norm);
        let out_of_bounds = self.plan.max_depth.is_some_and(|max| depth > max)
            || !self.scope.follows(&self.plan, &url);
        if !force && out_of_bounds {
            return Admission::Rejected;
        }
        let key = url.to_string();
        if self.seen.contains(&key) {
            return Admission::Rejected;
        }
        self.seen.insert(key.clone());
        if let Some(robots) = self.hosts.cached_robots(&url) {
            if !robots.allowed(&url) {
                self.summary.robots_blocked += 1;
                self.progress.robots_blocked.fetch_add(1, Ordering::Relaxed);
                return Admission::Blocked(key);
            }
        }
        self.admitted += 1;
        self.summary.discovered += 1;
        self.progress.discovered.fetch_add(1, Ordering::Relaxed);
        self.frontier.push_back((url, depth));
        Admission::Admitted(key)
    }

    /// The start URL, then the sitemap's URLs (unless `sitemap: skip`).
    async fn seed(
        &mut self,
        tx: &mpsc::Sender<CrawlEvent>,
        cancel: &CancellationToken,
    ) -> anyhow::Result<()> {
        let start = self.plan.start.clone();
        // Knowing the start host's rules first lets every link be checked when found.
        tokio::select! {
            _ = self.hosts.robots(&start) => {}
            () = cancel.cancelled() => return Ok(()),
        }
        let mut events = Vec::new();
        let mut admit =
            |this: &mut Self, u: &Url, depth: u32, force: bool| match this.admit(u, depth, force) {
                Admission::Admitted(url) => events.push(CrawlEvent::Discovered { url, depth }),
                Admission::Blocked(url) => events.push(CrawlEvent::RobotsBlocked { url, depth }),
                Admission::Rejected => {}
            };
        for seed in std::iter::once(start.clone()).chain(self.plan.seeds.clone()) {
            admit(self, &seed, 0, true);
        }
        if self.plan.sitemap != SitemapMode::Skip {
            let urls = tokio::select! {
                urls = sitemap_urls(&self.scraper, &self.hosts, &start) => urls,
                () = cancel.cancelled() => Vec::new(),
            };
            for u in urls {
                admit(self, &u, 1, false);
            }
        }
        for e in events {
            if tx.send(e).await.is_err() {
                anyhow::bail!("the crawl's results could not be stored");
            }
        }
        Ok(())
    }

    /// Records an outcome and turns it into the event the sink stores.
    fn settle(&mut self, url: Url, depth: u32, outcome: Outcome) -> CrawlEvent {
        let key = url.to_string();
        match outcome {
            Outcome::Page(scraped) => {
                let mut discovered = Vec::new();
                let mut blocked = Vec::new();
                // A redirect's target is the same page under another name.
                let final_key = normalize(&scraped.final_url, &self.norm).to_string();
                self.seen.insert(final_key);
                if self.plan.follow_links && self.plan.sitemap != SitemapMode::Only {
                    for link in &scraped.links {
                        if let Ok(u) = Url::parse(link) {
                            match self.admit(&u, depth + 1, false) {
                                Admission::Admitted(k) => discovered.push((k, depth + 1)),
                                Admission::Blocked(k) => blocked.push(k),
                                Admission::Rejected => {}
                            }
                        }
                    }
                }
                self.summary.completed += 1;
                self.progress.completed.fetch_add(1, Ordering::Relaxed);
                let scraped = *scraped;
                CrawlEvent::Page {
                    url: key,
                    depth,
                    document: Box::new(scraped.document),
                    content_hash: scraped.content_hash,
                    discovered,
                    blocked,
                }
            }
            Outcome::Failed(code, error) => {
                self.summary.failed += 1;
                self.progress.failed.fetch_add(1, Ordering::Relaxed);
                CrawlEvent::Failed {
                    url: key,
                    depth,
                    code,
                    error,
                }
            }
            Outcome::Blocked => {
                // A blocked URL gives its place under the limit to one that can be fetched.
                self.admitted = self.admitted.saturating_sub(1);
                self.summary.robots_blocked += 1;
                self.progress.robots_blocked.fetch_add(1, Ordering::Relaxed);
                CrawlEvent::RobotsBlocked { url: key, depth }
            }
        }
    }
}

/// Fetches one page under robots and politeness rules, retrying 429/503 after
/// `Retry-After` and transient network errors with a short backoff.
async fn fetch_one(scraper: &Scraper, hosts: &Hosts, plan: &CrawlPlan, url: &Url) -> Outcome {
    let robots = hosts.robots(url).await;
    if !robots.allowed(url) {
        return Outcome::Blocked;
    }
    let opts = FetchOptions {
        timeout: plan.scrape.timeout,
        headers: plan.scrape.headers.clone(),
        max_body_bytes: None,
        skip_tls_verification: plan.scrape.skip_tls_verification,
    };
    let mut attempt = 0;
    loop {
        let slot = hosts.acquire(url, &robots).await;
        let fetched = scraper
            .fetcher()
            .fetch_checked(url, &opts, Some(hosts))
            .await;
        drop(slot);
        let retry_in = match &fetched {
            Ok(p) if matches!(p.status, 429 | 503) => {
                Some(Duration::from_secs(p.retry_after.unwrap_or(1).min(30)))
            }
            Err(FetchError::Timeout(_) | FetchError::Connection) => {
                Some(Duration::from_millis(250 << attempt))
            }
            _ => None,
        };
        if let Some(wait) = retry_in {
            if attempt < plan.max_retries {
                attempt += 1;
                tokio::time::sleep(wait).await;
                continue;
            }
        }
        return match fetched {
            // A redirect led where robots.txt disallows.
            Err(FetchError::RobotsBlocked) => Outcome::Blocked,
            Err(e) => Outcome::Failed(e.code(), e.to_string()),
            Ok(page) if page.status >= 400 => Outcome::Failed(
                FetchError::Http(page.status).code(),
                FetchError::Http(page.status).to_string(),
            ),
            Ok(page) => match extract_page(&page, &plan.scrape) {
                Ok(scraped) => Outcome::Page(Box::new(scraped)),
                Err(e) => Outcome::Failed(e.code(), e.to_string()),
            },
        };
    }
}

/// Page URLs from robots.txt `Sitemap:` lines and `/sitemap.xml`, following indexes.
pub async fn sitemap_urls(scraper: &Scraper, hosts: &Hosts, start: &Url) -> Vec<Url> {
    let robots = hosts.robots(start).await;
    let mut queue: VecDeque<(Url, u32)> = robots
        .sitemaps()
        .iter()
        .filter_map(|s| start.join(s).ok())
        .map(|u| (u, 0))
        .collect();
    if let Ok(default) = start.join("/sitemap.xml") {
        if !queue.iter().any(|(u, _)| *u == default) {
            queue.push_back((default, 0));
        }
    }
    let opts = FetchOptions {
        timeout: Some(Duration::from_secs(30)),
        headers: Vec::new(),
        max_body_bytes: Some(50 * 1024 * 1024),
        ..FetchOptions::default()
    };
    let mut fetched = HashSet::new();
    let mut pages = Vec::new();
    while let Some((sitemap, depth)) = queue.pop_front() {
        if fetched.len() >= MAX_SITEMAPS || !fetched.insert(sitemap.to_string()) {
            continue;
        }
        let Ok(page) = scraper.fetcher().fetch(&sitemap, &opts).await else {
            continue;
        };
        if page.status != 200 {
            continue;
        }
        match parse_sitemap(&page.body) {
            Ok(Sitemap::UrlSet(urls)) => {
                pages.extend(urls.iter().filter_map(|u| sitemap.join(u.trim()).ok()));
            }
            Ok(Sitemap::Index(children)) if depth < MAX_SITEMAP_DEPTH => {
                for c in children {
                    if let Ok(u) = sitemap.join(c.trim()) {
                        queue.push_back((u, depth + 1));
                    }
                }
            }
            _ => {}
        }
    }
    pages
}

/// Drains the event channel into the sink in batches, in order.
async fn write_events(
    mut rx: mpsc::Receiver<CrawlEvent>,
    sink: Arc<dyn CrawlSink>,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        if let Err(e) = sink.write(std::mem::take(&mut batch)).await {
            // Stop the crawl: without its results there is no point fetching more.
            cancel.cancel();
            return Err(e);
        }
    }
    Ok(())
}
