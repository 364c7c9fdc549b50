//! `trawl bench-queue` (hidden): the figures `bench/queue/run.sh` prints. It measures, on
//! the configured (fresh) database, with one in-process worker:
//! - throughput: N no-op jobs enqueued in bulk while the worker runs, enqueue → completed;
//! - latency: enqueue → handler start, one job at a time on an idle queue;
//! - bloat: the throughput again after seeding finished jobs into the table.
//!
//! A benchmark, not a test: never run in CI.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::{handler_fn, JobRuntime, Jobs, Registry, RuntimeOptions};
use crate::config::Config;
use crate::store::jobs::{NewJob, DEFAULT_TEAM};
use crate::store::Store;

#[derive(Debug, Clone)]
pub struct BenchArgs {
    pub jobs: usize,
    pub latency_samples: usize,
    /// Finished jobs to seed before the second throughput run; 0 skips it.
    pub bloat: u64,
}

/// Enqueues in bulk statements of this many jobs.
const ENQUEUE_CHUNK: usize = 1000;

pub async fn run(config: Config, store: Arc<dyn Store>, args: BenchArgs) -> anyhow::Result<()> {
    store.migrate_up().await?;
    let backend = store.kind();
    let empty = throughput(&config, &store, args.jobs).await?;
    println!(
        "{backend}: {} no-op jobs enqueue→completed in {:.2}s = {:.0} jobs/s \
         (concurrency {}, batch {})",
        args.jobs,
        empty.as_secs_f64(),
        args.jobs as f64 / empty.as_secs_f64(),
        config.jobs.concurrency,
        config.jobs.batch_size
    );
    if args.latency_samples > 0 {
        let mut samples = latency(&config, &store, args.latency_samples).await?;
        samples.sort();
        let pct = |p: f64| samples[((samples.len() - 1) as f64 * p) as usize];
        println!(
            "{backend}: enqueue→start latency on an idle queue: p50 {:.2} ms, p90 {:.2} ms, \
             p99 {:.2} ms ({} samples)",
            ms(pct(0.5)),
            ms(pct(0.9)),
            ms(pct(0.99)),
            samples.len()
        );
    }
    if args.bloat > 0 {
        let t = Instant::now();
        store.seed_finished_jobs(args.bloat).await?;
        eprintln!(
            "{backend}: seeded {} finished jobs in {:.1}s",
            args.bloat,
            t.elapsed().as_secs_f64()
        );
        let bloated = throughput(&config, &store, args.jobs).await?;
        println!(
            "{backend}: with {} finished jobs in the table: {:.0} jobs/s = {:.0}% of the \
             empty table's",
            args.bloat,
            args.jobs as f64 / bloated.as_secs_f64(),
            100.0 * empty.as_secs_f64() / bloated.as_secs_f64()
        );
    }
    store.close().await;
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn bench_options() -> RuntimeOptions {
    RuntimeOptions {
        scheduler: false,
        maintenance: false,
        ..Default::default()
    }
}

async fn throughput(config: &Config, store: &Arc<dyn Store>, n: usize) -> anyhow::Result<Duration> {
    let done = Arc::new(AtomicUsize::new(0));
    let mut registry = Registry::new();
    let counter = done.clone();
    registry.register(
        "bench.noop",
        handler_fn(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
            async { Ok(Value::Null) }
        }),
    );
    let jobs = Jobs::new(store.clone(), registry, config);
    let runtime = JobRuntime::start(jobs.clone(), bench_options()).await;
    let started = Instant::now();
    let mut left = n;
    while left > 0 {
        let k = left.min(ENQUEUE_CHUNK);
        let batch = (0..k)
            .map(|_| NewJob::new(DEFAULT_TEAM, "bench.noop", json!({})))
            .collect();
        jobs.enqueue(batch).await?;
        left -= k;
    }
    // Every handler ran, then every outcome is written (nothing active is left).
    while done.load(Ordering::Relaxed) < n {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    loop {
        let stats = store.queue_stats().await?;
        if stats.depth.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let elapsed = started.elapsed();
    runtime.shutdown(Duration::from_secs(5)).await;
    Ok(elapsed)
}

async fn latency(
    config: &Config,
    store: &Arc<dyn Store>,
    samples: usize,
) -> anyhow::Result<Vec<Duration>> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Instant>();
    let mut registry = Registry::new();
    registry.register(
        "bench.ping",
        handler_fn(move |_| {
            let _ = tx.send(Instant::now());
            async { Ok(Value::Null) }
        }),
    );
    let jobs = Jobs::new(store.clone(), registry, config);
    let runtime = JobRuntime::start(jobs.clone(), bench_options()).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut out = Vec::with_capacity(samples);
    for _ in 0..samples {
        let sent = Instant::now();
        jobs.enqueue(vec![NewJob::new(DEFAULT_TEAM, "bench.ping", json!({}))])
            .await?;
        let started = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await?
            .ok_or_else(|| anyhow::anyhow!("worker stopped"))?;
        out.push(started - sent);
        // Let the outcome be written so the next sample meets an idle queue.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    runtime.shutdown(Duration::from_secs(5)).await;
    Ok(out)
}
