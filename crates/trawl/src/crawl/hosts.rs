//! Per-host state of one crawl: robots.txt (fetched once, shared by every task that
//! needs it) and politeness (requests in flight and the gap between them).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use url::Url;

use crate::fetch::{FetchError, FetchOptions, Fetcher, RedirectCheck};
use trawl_extract::robots::Robots;

/// robots.txt is small; a slow host must not hold the crawl up for the page timeout.
const ROBOTS_TIMEOUT: Duration = Duration::from_secs(10);
/// `Crawl-delay` values above this are capped: a minute per page would stall a crawl.
const MAX_CRAWL_DELAY: Duration = Duration::from_secs(30);

struct Host {
    robots: tokio::sync::OnceCell<Arc<Robots>>,
    permits: Arc<Semaphore>,
    /// When the next request to this host may start (only used with a delay).
    next_slot: Mutex<Instant>,
}

pub struct Hosts {
    fetcher: Fetcher,
    user_agent: String,
    per_host: usize,
    delay: Duration,
    obey_robots: bool,
    hosts: Mutex<HashMap<String, Arc<Host>>>,
}

/// Held while a request to a host is in flight.
pub struct Slot {
    _permit: OwnedSemaphorePermit,
}

fn origin_key(url: &Url) -> String {
    url[..url::Position::BeforePath].to_string()
}

impl Hosts {
    pub fn new(
        fetcher: Fetcher,
        user_agent: String,
        per_host: usize,
        delay: Duration,
        obey_robots: bool,
    ) -> Self {
        Hosts {
            fetcher,
            user_agent,
            per_host: per_host.max(1),
            delay,
            obey_robots,
            hosts: Mutex::new(HashMap::new()),
        }
    }

    fn host(&self, url: &Url) -> Arc<Host> {
        let mut map = self.hosts.lock().expect("hosts lock");
        Arc::clone(map.entry(origin_key(url)).or_insert_with(|| {
            Arc::new(Host {
                robots: tokio::sync::OnceCell::new(),
                permits: Arc::new(Semaphore::new(self.per_host)),
                next_slot: Mutex::new(Instant::now()),
            })
        }))
    }

    /// The robots.txt rules for `url`'s origin, fetched on first use. Following Google: a
    /// 4xx means no rules, a 5xx means keep out. A robots.txt that cannot be fetched at all
    /// (DNS, refused address) allows everything, so the page's own fetch reports the real
    /// cause instead of a misleading robots block.
    pub async fn robots(&self, url: &Url) -> Arc<Robots> {
        if !self.obey_robots {
            return Arc::new(Robots::allow_all());
        }
        let host = self.host(url);
        host.robots
            .get_or_init(|| async {
                let Ok(robots_url) = url.join("/robots.txt") else {
                    return Arc::new(Robots::allow_all());
                };
                let opts = FetchOptions {
                    timeout: Some(ROBOTS_TIMEOUT),
                    headers: Vec::new(),
                    max_body_bytes: Some(512 * 1024),
                    ..FetchOptions::default()
                };
                let robots = match self.fetcher.fetch(&robots_url, &opts).await {
                    Ok(page) if (200..300).contains(&page.status) => {
                        Robots::parse(&self.user_agent, &page.body)
                    }
                    Ok(page) if page.status >= 500 => Robots::disallow_all(),
                    Ok(_) | Err(_) => Robots::allow_all(),
                };
                Arc::new(robots)
            })
            .await
            .clone()
    }

    /// The robots.txt rules for `url`'s origin if they were fetched already, so links can
    /// be checked when they are found instead of taking a place in the frontier.
    pub fn cached_robots(&self, url: &Url) -> Option<Arc<Robots>> {
        if !self.obey_robots {
            return None;
        }
        let map = self.hosts.lock().expect("hosts lock");
        map.get(&origin_key(url))?.robots.get().cloned()
    }

    /// Waits for a free request slot on `url`'s host, and for the host's delay (the
    /// larger of the crawl's delay and robots.txt's `Crawl-delay`) since the last one.
    pub async fn acquire(&self, url: &Url, robots: &Robots) -> Slot {
        let host = self.host(url);
        let permit = Arc::clone(&host.permits)
            .acquire_owned()
            .await
            .expect("host semaphore is never closed");
        let crawl_delay = robots
            .crawl_delay()
            .map(|d| Duration::from_secs_f32(d).min(MAX_CRAWL_DELAY))
            .unwrap_or_default();
        let gap = self.delay.max(crawl_delay);
        if !gap.is_zero() {
            let wait_until = {
                let mut next = host.next_slot.lock().expect("slot lock");
                let now = Instant::now();
                let at = (*next).max(now);
                *next = at + gap;
                at
            };
            tokio::time::sleep_until(wait_until).await;
        }
        Slot { _permit: permit }
    }
}

/// A crawl follows a redirect only where robots.txt allows: the target's host may differ
/// from the page's, and even on the same host the new path was never checked.
#[async_trait::async_trait]
impl RedirectCheck for Hosts {
    async fn check(&self, next: &Url) -> Result<(), FetchError> {
        if self.robots(next).await.allowed(next) {
            Ok(())
        } else {
            Err(FetchError::RobotsBlocked)
        }
    }
}
