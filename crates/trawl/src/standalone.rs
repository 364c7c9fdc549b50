//! `trawl scrape`, `trawl crawl` and `trawl map`: the scraping engine straight from the
//! command line, with no server and no database. Output goes to stdout (or `--out`);
//! progress and the summary go to stderr.

mod flags;
mod reasons;

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use tokio_util::sync::CancellationToken;

use crate::cli::Exit;
use crate::config::Config;
use crate::crawl::map::MapRequest;
use crate::crawl::sink::JsonLinesSink;
use crate::crawl::{CrawlRequest, Crawler, Progress, SitemapMode};
use crate::fetch::{FetchError, Fetcher};
use crate::scrape::{ScrapeOptions, Scraper};
use flags::{api_formats, parse_duration, FetchFlags, FlagNames, Format};

#[derive(Debug, Clone, clap::Args)]
pub struct ScrapeArgs {
    /// The page to scrape.
    pub url: String,
    /// What to print.
    #[arg(long, value_enum, default_value_t = Format::Markdown)]
    pub format: Format,
    /// Keep the whole page, not only its main content.
    #[arg(long)]
    pub full_page: bool,
    /// Time limit for the fetch, with its unit: `1500ms`, `30s`.
    #[arg(long, value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    #[command(flatten)]
    pub fetch: FetchFlags,
}

#[derive(Debug, Clone, clap::Args)]
pub struct CrawlArgs {
    /// Where the crawl starts.
    pub url: String,
    /// Pages to crawl at most.
    #[arg(long, default_value_t = 100)]
    pub limit: u64,
    /// Write one document per line here instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Links deep from the start page, at most.
    #[arg(long)]
    pub max_depth: Option<u32>,
    /// Only follow paths matching this regex (repeatable).
    #[arg(long)]
    pub include: Vec<String>,
    /// Never follow paths matching this regex (repeatable).
    #[arg(long)]
    pub exclude: Vec<String>,
    /// Pages fetched at once.
    #[arg(long)]
    pub concurrency: Option<u32>,
    /// Least time between two requests to one host, with its unit: `500ms`, `2s`.
    #[arg(long, value_parser = parse_duration)]
    pub delay: Option<Duration>,
    #[arg(long, value_enum, default_value_t = SitemapArg::Include)]
    pub sitemap: SitemapArg,
    /// Follow links to the whole domain, not only below the start path.
    #[arg(long)]
    pub entire_domain: bool,
    /// Follow links to subdomains.
    #[arg(long)]
    pub subdomains: bool,
    /// Keep the whole page, not only its main content.
    #[arg(long)]
    pub full_page: bool,
    /// What each document holds, comma-separated (`json` is the whole document).
    #[arg(
        long,
        alias = "formats",
        value_enum,
        value_delimiter = ',',
        default_value = "markdown"
    )]
    pub format: Vec<Format>,
    /// Time limit for each page's fetch, with its unit: `1500ms`, `30s`.
    #[arg(long, value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    #[command(flatten)]
    pub fetch: FetchFlags,
}

#[derive(Debug, Clone, clap::Args)]
pub struct MapArgs {
    /// The site's start page.
    pub url: String,
    /// URLs to list at most.
    #[arg(long, default_value_t = crate::crawl::map::DEFAULT_LIMIT)]
    pub limit: u64,
    /// Only URLs containing this text.
    #[arg(long)]
    pub search: Option<String>,
    #[arg(long, value_enum, default_value_t = SitemapArg::Include)]
    pub sitemap: SitemapArg,
    /// List subdomains' URLs too.
    #[arg(long)]
    pub subdomains: bool,
    /// `links`: one URL per line; `json`: the API's `links` array, with titles.
    #[arg(long, value_enum, default_value_t = Format::Links)]
    pub format: Format,
    /// Time limit for the whole map, with its unit: `10s`, `1m`.
    #[arg(long, value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    #[command(flatten)]
    pub fetch: FetchFlags,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SitemapArg {
    Include,
    Skip,
    Only,
}

impl From<SitemapArg> for SitemapMode {
    fn from(arg: SitemapArg) -> SitemapMode {
        match arg {
            SitemapArg::Include => SitemapMode::Include,
            SitemapArg::Skip => SitemapMode::Skip,
            SitemapArg::Only => SitemapMode::Only,
        }
    }
}

/// Whole milliseconds, for the API's `timeout` fields.
fn millis(d: Option<Duration>) -> Option<u64> {
    d.map(|d| d.as_millis().try_into().unwrap_or(u64::MAX))
}

/// One line for a failed fetch: its code and message (which carries any hint).
fn fetch_failure(e: &FetchError) -> anyhow::Error {
    anyhow::anyhow!("{}: {e}", e.code())
}

pub async fn scrape(config: &Config, args: ScrapeArgs) -> anyhow::Result<()> {
    let names = FlagNames { lists: &[] };
    let url = crate::crawl::options::parse_http_url("url", &args.url)
        .map_err(|e| names.error(vec![e]))?;
    let options = ScrapeOptions {
        formats: Some(api_formats(&[args.format])),
        only_main_content: !args.full_page,
        timeout: millis(args.timeout),
        headers: args.fetch.header_map(),
        ..Default::default()
    };
    let plan = options.validate("").map_err(|e| names.error(e))?;
    let scraper = Scraper::new(Fetcher::new(&args.fetch.fetch_config(&config.fetch))?);
    let scraped = scraper
        .scrape(&url, &plan)
        .await
        .map_err(|e| fetch_failure(&e))?;
    let doc = scraped.document.for_formats(&plan);
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Markdown => writeln!(out, "{}", doc.markdown.unwrap_or_default())?,
        Format::Html => writeln!(out, "{}", doc.html.unwrap_or_default())?,
        Format::RawHtml => writeln!(out, "{}", doc.raw_html.unwrap_or_default())?,
        Format::Links | Format::Images => {
            let list = match args.format {
                Format::Links => doc.links,
                _ => doc.images,
            };
            for l in list.unwrap_or_default() {
                writeln!(out, "{l}")?;
            }
        }
        Format::Analysis => {
            serde_json::to_writer_pretty(&mut out, &doc.analysis)?;
            writeln!(out)?;
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
    }
    // The page an error status came with is still printed (it often says what went
    // wrong); the exit status and one line on stderr say it was an error.
    if scraped.status >= 400 {
        bail!("SCRAPE_HTTP_ERROR: HTTP {}", scraped.status);
    }
    Ok(())
}

pub async fn map(config: &Config, args: MapArgs) -> anyhow::Result<()> {
    let names = FlagNames { lists: &[] };
    if !matches!(args.format, Format::Links | Format::Json) {
        bail!("invalid options: --format: map prints `links` (one URL per line) or `json`");
    }
    // Through JSON, as the API reads it, so the request keeps the API's defaults.
    let request = MapRequest::from_json(&serde_json::json!({
        "url": args.url,
        "search": args.search,
        "sitemap": SitemapMode::from(args.sitemap),
        "includeSubdomains": args.subdomains,
        "limit": args.limit,
        "timeout": millis(args.timeout),
    }))
    .map_err(|e| names.error(vec![e]))?;
    let mut plan = request.validate().map_err(|e| names.error(e))?;
    if let Some(headers) = args.fetch.header_map() {
        let checked = ScrapeOptions {
            headers: Some(headers),
            ..Default::default()
        }
        .validate("")
        .map_err(|e| names.error(e))?;
        plan.headers = checked.headers;
    }
    let fetch = args.fetch.fetch_config(&config.fetch);
    let scraper = Scraper::new(Fetcher::new(&fetch)?);
    let links = crate::crawl::map::map_site(&scraper, &fetch.user_agent, &plan)
        .await
        .map_err(|e| fetch_failure(&e))?;
    let mut out = std::io::stdout().lock();
    if args.format == Format::Json {
        serde_json::to_writer_pretty(&mut out, &links)?;
        writeln!(out)?;
    } else {
        for link in &links {
            writeln!(out, "{}", link["url"].as_str().unwrap_or_default())?;
        }
    }
    eprintln!("{} URLs", links.len());
    Ok(())
}

pub async fn crawl(config: &Config, args: CrawlArgs) -> anyhow::Result<()> {
    let request = CrawlRequest {
        url: args.url.clone(),
        limit: Some(args.limit),
        max_discovery_depth: args.max_depth,
        include_paths: args.include.clone(),
        exclude_paths: args.exclude.clone(),
        crawl_entire_domain: args.entire_domain,
        allow_subdomains: args.subdomains,
        sitemap: args.sitemap.into(),
        delay: args.delay.map(|d| d.as_secs_f64()),
        max_concurrency: args.concurrency,
        scrape_options: ScrapeOptions {
            formats: Some(api_formats(&args.format)),
            only_main_content: !args.full_page,
            timeout: millis(args.timeout),
            headers: args.fetch.header_map(),
            ..Default::default()
        },
        ..Default::default()
    };
    let names = FlagNames {
        lists: &[
            ("includePaths", "--include", args.include.as_slice()),
            ("excludePaths", "--exclude", args.exclude.as_slice()),
        ],
    };
    let plan = request
        .validate(&config.crawl)
        .map_err(|e| names.error(e))?;
    let scrape_plan = plan.scrape.clone();
    let fetch = args.fetch.fetch_config(&config.fetch);
    let scraper = Scraper::new(Fetcher::new(&fetch)?);
    let progress = Arc::new(Progress::default());
    let crawler = Crawler::new(plan, scraper, &fetch.user_agent, Arc::clone(&progress));
    let out: Arc<dyn crate::crawl::CrawlSink> = match &args.out {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            Arc::new(JsonLinesSink::new(
                std::io::BufWriter::new(file),
                scrape_plan,
            ))
        }
        None => Arc::new(JsonLinesSink::new(
            std::io::BufWriter::new(std::io::stdout()),
            scrape_plan,
        )),
    };
    let tally = Arc::new(reasons::Reasons::new(out));
    let cancel = CancellationToken::new();
    let interrupted = tokio::spawn(stop_on_signal(cancel.clone()));
    let started = Instant::now();
    let reporter = tokio::spawn(report_progress(Arc::clone(&progress), started));
    let summary = crawler.run(tally.clone(), None, cancel).await;
    reporter.abort();
    let _ = reporter.await;
    let summary = summary?;
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "crawled {} pages in {secs:.1} s ({:.0} pages/s): {} failed, {} blocked by robots.txt, {} discovered{}",
        summary.completed,
        summary.completed as f64 / secs.max(1e-9),
        summary.failed,
        summary.robots_blocked,
        summary.discovered,
        if summary.cancelled { ", interrupted" } else { "" }
    );
    if summary.failed > 0 || summary.completed == 0 {
        for line in tally.lines() {
            eprintln!("  {line}");
        }
    }
    // Every line written is whole: the sink writes and flushes documents a batch at a
    // time, and the crawl has returned, so nothing is half-written.
    if summary.cancelled {
        // Only the signal task cancels, and it has returned or is about to.
        if let Some(status) = interrupted.await.ok().flatten() {
            return Err(Exit::quiet(status).into());
        }
    } else {
        interrupted.abort();
    }
    if summary.completed == 0 {
        return Err(Exit::new(1, "nothing was crawled").into());
    }
    Ok(())
}

/// Cancels the crawl on SIGINT (Ctrl-C) or SIGTERM, and gives the exit status a shell
/// expects after it: 128 + the signal's number.
async fn stop_on_signal(cancel: CancellationToken) -> Option<u8> {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return None;
    };
    let status = tokio::select! {
        _ = int.recv() => 130,
        _ = term.recv() => 143,
    };
    cancel.cancel();
    Some(status)
}

/// A progress bar on a terminal; a plain line every two seconds otherwise.
async fn report_progress(progress: Arc<Progress>, started: Instant) {
    let line = || {
        let done = progress.completed.load(Ordering::Relaxed);
        let failed = progress.failed.load(Ordering::Relaxed);
        let blocked = progress.robots_blocked.load(Ordering::Relaxed);
        let discovered = progress.discovered.load(Ordering::Relaxed);
        let rate = done as f64 / started.elapsed().as_secs_f64().max(1e-9);
        (done + failed + blocked, discovered, format!(
            "{done} done / {discovered} discovered, {rate:.0} pages/s, {failed} errors, {blocked} blocked"
        ))
    };
    // indicatif draws only where it can (a terminal that is not `TERM=dumb` or unset);
    // anywhere else the plain lines keep the progress visible.
    let bar = indicatif::ProgressBar::new(0);
    if !bar.is_hidden() {
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        loop {
            let (finished, discovered, msg) = line();
            bar.set_length(discovered);
            bar.set_position(finished);
            bar.set_message(msg);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    } else {
        loop {
            tokio::time::sleep(Duration::from_secs(2)).await;
            eprintln!("crawl: {}", line().2);
        }
    }
}
