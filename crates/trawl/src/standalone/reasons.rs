//! Why pages failed, for the summary `trawl crawl` prints: each error code with its
//! count and one example.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::crawl::{CrawlEvent, CrawlSink};

#[derive(Debug, Clone)]
struct Reason {
    count: u64,
    url: String,
    error: String,
}

/// Passes every event on to `inner` and remembers the failures by code.
pub struct Reasons {
    inner: Arc<dyn CrawlSink>,
    seen: Mutex<BTreeMap<&'static str, Reason>>,
}

impl Reasons {
    pub fn new(inner: Arc<dyn CrawlSink>) -> Reasons {
        Reasons {
            inner,
            seen: Mutex::default(),
        }
    }

    /// One line per code, the most frequent first:
    /// `SCRAPE_HTTP_ERROR ×3, e.g. http://…/a (HTTP 404)`.
    pub fn lines(&self) -> Vec<String> {
        let seen = self.seen.lock().expect("reasons lock");
        let mut reasons: Vec<(&&str, &Reason)> = seen.iter().collect();
        reasons.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(b.0)));
        reasons
            .into_iter()
            .map(|(code, r)| {
                let hint = match *code {
                    "SCRAPE_BLOCKED_ADDRESS" => {
                        "; private and loopback addresses are refused, TRAWL_FETCH_ALLOW opens them"
                    }
                    "ROBOTS_BLOCKED" => "; robots.txt disallows it",
                    _ => "",
                };
                format!("{code} ×{}, e.g. {} ({}{hint})", r.count, r.url, r.error)
            })
            .collect()
    }
}

#[async_trait]
impl CrawlSink for Reasons {
    async fn write(&self, events: Vec<CrawlEvent>) -> anyhow::Result<()> {
        {
            let mut seen = self.seen.lock().expect("reasons lock");
            let mut note = |code: &'static str, url: &String, error: &str| {
                seen.entry(code)
                    .and_modify(|r| r.count += 1)
                    .or_insert_with(|| Reason {
                        count: 1,
                        url: url.clone(),
                        error: error.to_string(),
                    });
            };
            for event in &events {
                match event {
                    CrawlEvent::Failed {
                        url, code, error, ..
                    } => note(code, url, error.as_str()),
                    CrawlEvent::RobotsBlocked { url, .. } => {
                        note("ROBOTS_BLOCKED", url, "not fetched")
                    }
                    CrawlEvent::Page { blocked, .. } => {
                        for url in blocked {
                            note("ROBOTS_BLOCKED", url, "not fetched");
                        }
                    }
                    CrawlEvent::Discovered { .. } => {}
                }
            }
        }
        self.inner.write(events).await
    }
}
