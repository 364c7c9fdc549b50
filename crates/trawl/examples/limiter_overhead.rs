//! The in-memory rate limiter's own cost per request: `RateLimiter::check` on a budget
//! that never runs out, over many callers, as the middleware calls it. Run with
//! `cargo run --release --example limiter_overhead` (bench/edge/run.sh does).

use std::time::Instant;

use trawl::config::RateLimitConfig;
use trawl::edge::rate_limit::{RateLimiter, Tier};

const CALLERS: usize = 10_000;
const ROUNDS: usize = 200;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut config = RateLimitConfig::default();
    config.tiers.scrape = "1000000000/min".parse().expect("policy");
    let limiter = RateLimiter::new(&config, None);
    let callers: Vec<String> = (0..CALLERS).map(|i| format!("k:{i:032x}")).collect();
    // Warm up: every caller has a key in the map, as on a busy server.
    for c in &callers {
        limiter
            .check(Tier::Scrape, None, c)
            .await
            .expect("memory never fails");
    }
    let start = Instant::now();
    let mut allowed = 0usize;
    for _ in 0..ROUNDS {
        for c in &callers {
            if let Ok(Some(d)) = limiter.check(Tier::Scrape, None, c).await {
                allowed += usize::from(d.allowed);
            }
        }
    }
    let n = CALLERS * ROUNDS;
    let per = start.elapsed().as_nanos() as f64 / n as f64;
    assert_eq!(allowed, n, "the budget never runs out here");
    println!("in-memory limiter: {n} checks over {CALLERS} callers, {per:.0} ns per check (target <= 2000 ns)");
}
