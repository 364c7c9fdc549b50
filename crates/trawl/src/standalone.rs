//! `trawl scrape` and `trawl crawl`: the scraping engine straight from the command line,
//! with no server and no database. Output goes to stdout (or `--out`); progress and the
//! summary go to stderr.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::crawl::sink::JsonLinesSink;
use crate::crawl::{CrawlRequest, Crawler, Progress, SitemapMode};
use crate::error::FieldError;
use crate::fetch::{FetchError, Fetcher};
use crate::scrape::{ScrapeOptions, Scraper};

/// What `trawl scrape` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PrintFormat {
    Markdown,
    Html,
    RawHtml,
    Links,
    /// The whole document (Markdown, metadata, links, analysis) as JSON.
    Json,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ScrapeArgs {
    /// The page to scrape.
    pub url: String,
    #[arg(long, value_enum, default_value_t = PrintFormat::Markdown)]
    pub format: PrintFormat,
    /// Keep the whole page, not only its main content.
    #[arg(long)]
    pub full_page: bool,
    /// Total time for the fetch, in milliseconds.
    #[arg(long)]
    pub timeout: Option<u64>,
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
    /// Seconds between two requests to one host.
    #[arg(long)]
    pub delay: Option<f64>,
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
    /// Formats of each document (markdown, html, rawHtml, links, images, analysis).
    #[arg(long, value_delimiter = ',', default_value = "markdown")]
    pub formats: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SitemapArg {
    Include,
    Skip,
    Only,
}

fn field_errors(errors: Vec<FieldError>) -> anyhow::Error {
    let list: Vec<String> = errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.rule))
        .collect();
    anyhow::anyhow!("invalid options: {}", list.join("; "))
}

/// One line for a failed fetch: its code and message (which carries any hint).
fn fetch_failure(e: &FetchError) -> anyhow::Error {
    anyhow::anyhow!("{}: {e}", e.code())
}

pub async fn scrape(config: &Config, args: ScrapeArgs) -> anyhow::Result<()> {
    let url = crate::crawl::options::parse_http_url("url", &args.url)
        .map_err(|e| field_errors(vec![e]))?;
    let format_name = match args.format {
        PrintFormat::Markdown | PrintFormat::Json => "markdown",
        PrintFormat::Html => "html",
        PrintFormat::RawHtml => "rawHtml",
        PrintFormat::Links => "links",
    };
    let mut formats = vec![json!(format_name)];
    if args.format == PrintFormat::Json {
        formats.extend([json!("links"), json!("analysis")]);
    }
    let options = ScrapeOptions {
        formats: Some(formats),
        only_main_content: !args.full_page,
        timeout: args.timeout,
        ..Default::default()
    };
    let plan = options.validate("").map_err(field_errors)?;
    let scraper = Scraper::new(Fetcher::new(&config.fetch)?);
    let scraped = scraper
        .scrape(&url, &plan)
        .await
        .map_err(|e| fetch_failure(&e))?;
    let doc = scraped.document.for_formats(&plan);
    let mut out = std::io::stdout().lock();
    match args.format {
        PrintFormat::Markdown => writeln!(out, "{}", doc.markdown.unwrap_or_default())?,
        PrintFormat::Html => writeln!(out, "{}", doc.html.unwrap_or_default())?,
        PrintFormat::RawHtml => writeln!(out, "{}", doc.raw_html.unwrap_or_default())?,
        PrintFormat::Links => {
            for l in doc.links.unwrap_or_default() {
                writeln!(out, "{l}")?;
            }
        }
        PrintFormat::Json => {
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

pub async fn crawl(config: &Config, args: CrawlArgs) -> anyhow::Result<()> {
    let request = CrawlRequest {
        url: args.url.clone(),
        limit: Some(args.limit),
        max_discovery_depth: args.max_depth,
        include_paths: args.include.clone(),
        exclude_paths: args.exclude.clone(),
        crawl_entire_domain: args.entire_domain,
        allow_subdomains: args.subdomains,
        sitemap: match args.sitemap {
            SitemapArg::Include => SitemapMode::Include,
            SitemapArg::Skip => SitemapMode::Skip,
            SitemapArg::Only => SitemapMode::Only,
        },
        delay: args.delay,
        max_concurrency: args.concurrency,
        scrape_options: ScrapeOptions {
            formats: Some(
                args.formats
                    .iter()
                    .map(|f| Value::from(f.as_str()))
                    .collect(),
            ),
            only_main_content: !args.full_page,
            ..Default::default()
        },
        ..Default::default()
    };
    let plan = request.validate(&config.crawl).map_err(field_errors)?;
    let scrape_plan = plan.scrape.clone();
    let scraper = Scraper::new(Fetcher::new(&config.fetch)?);
    let progress = Arc::new(Progress::default());
    let crawler = Crawler::new(
        plan,
        scraper,
        &config.fetch.user_agent,
        Arc::clone(&progress),
    );
    let sink: Arc<dyn crate::crawl::CrawlSink> = match &args.out {
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
    let cancel = CancellationToken::new();
    {
        // Ctrl-C stops the crawl; what is done is kept.
        let cancel = cancel.clone();
        let stop = crate::app::shutdown_signal();
        tokio::spawn(async move {
            stop.await;
            cancel.cancel();
        });
    }
    let started = Instant::now();
    let reporter = tokio::spawn(report_progress(Arc::clone(&progress), started));
    let summary = crawler.run(sink, None, cancel).await;
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
    Ok(())
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
