//! Logs and metrics.
//!
//! Logs go through `tracing`: readable lines in development, JSON lines elsewhere, where
//! the fields of every enclosing span (the request id, method and route of the request
//! span) are lifted to the top level of each line so that a log shipper can index them.
//! With a log directory, lines also go to daily-rotated files plus an error-only file.
//!
//! Metrics use the `metrics` facade with a Prometheus recorder installed once per
//! process.

use std::fmt;
use std::io::IsTerminal;
use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{Config, LogFormat, Profile};

/// Keeps the background log writers alive; dropping it flushes them.
pub struct LogGuards(#[expect(dead_code, reason = "held only to flush on drop")] Vec<WorkerGuard>);

/// Installs the global subscriber. Safe to call more than once (later calls do nothing),
/// which the test suite relies on.
pub fn init_logging(config: &Config) -> LogGuards {
    let json = match config.log.format {
        LogFormat::Json => true,
        LogFormat::Pretty => false,
        LogFormat::Auto => config.env != Profile::Development,
    };
    let filter = || EnvFilter::new(&config.log.level);
    let mut guards = Vec::new();

    let (stdout, guard) = tracing_appender::non_blocking(std::io::stdout());
    guards.push(guard);
    let console = if json {
        tracing_subscriber::fmt::layer()
            .fmt_fields(JsonFields::new())
            .event_format(FlatJson)
            .with_writer(stdout)
            .with_filter(filter())
            .boxed()
    } else {
        tracing_subscriber::fmt::layer()
            .compact()
            .with_ansi(std::io::stdout().is_terminal())
            .with_writer(stdout)
            .with_filter(filter())
            .boxed()
    };

    let mut layers = vec![console];
    if let Some(dir) = &config.log.dir {
        let (all, g1) =
            tracing_appender::non_blocking(tracing_appender::rolling::daily(dir, "trawl.log"));
        let (errors, g2) = tracing_appender::non_blocking(tracing_appender::rolling::daily(
            dir,
            "trawl-error.log",
        ));
        guards.extend([g1, g2]);
        layers.push(
            tracing_subscriber::fmt::layer()
                .fmt_fields(JsonFields::new())
                .event_format(FlatJson)
                .with_writer(all)
                .with_filter(filter())
                .boxed(),
        );
        layers.push(
            tracing_subscriber::fmt::layer()
                .fmt_fields(JsonFields::new())
                .event_format(FlatJson)
                .with_writer(errors)
                .with_filter(tracing_subscriber::filter::LevelFilter::ERROR)
                .boxed(),
        );
    }
    let _ = tracing_subscriber::registry().with(layers).try_init();
    LogGuards(guards)
}

/// One JSON object per line: timestamp, level, target, message, the event's fields and
/// the fields of every enclosing span, all at the top level.
struct FlatJson;

impl<S, N> FormatEvent<S, N> for FlatJson
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut line = Map::new();
        line.insert(
            "timestamp".into(),
            chrono::Utc::now()
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
                .into(),
        );
        line.insert("level".into(), event.metadata().level().as_str().into());
        line.insert("target".into(), event.metadata().target().into());
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let ext = span.extensions();
                if let Some(fields) = ext.get::<FormattedFields<N>>() {
                    if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(fields) {
                        line.extend(map);
                    }
                }
            }
        }
        event.record(&mut JsonVisitor(&mut line));
        let text = serde_json::to_string(&line).map_err(|_| fmt::Error)?;
        writeln!(writer, "{text}")
    }
}

struct JsonVisitor<'a>(&'a mut Map<String, Value>);

impl Visit for JsonVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().into(), format!("{value:?}").into());
    }
}

/// The process-wide Prometheus recorder.
pub fn metrics() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Suffix("duration_seconds".into()),
                &[
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                    10.0, 30.0, 60.0,
                ],
            )
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Suffix("wait_seconds".into()),
                    &[
                        0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0, 60.0, 300.0,
                    ],
                )
            })
            .expect("bucket lists are non-empty")
            .build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder was installed first (an embedding program);
        // then our metrics go there instead, which is what that program wants.
        let _ = metrics::set_global_recorder(recorder);
        describe();
        handle
    })
}

fn describe() {
    metrics::describe_counter!(
        "trawl_http_requests_total",
        "HTTP requests by method, route template and status"
    );
    metrics::describe_histogram!(
        "trawl_http_request_duration_seconds",
        metrics::Unit::Seconds,
        "HTTP request latency by route template"
    );
    metrics::describe_gauge!(
        "trawl_db_pool_connections",
        "Database pool connections by state"
    );
    metrics::describe_counter!(
        "trawl_rate_limited_total",
        "Requests refused with 429, by rate-limit tier"
    );
    metrics::describe_counter!(
        "trawl_rate_limit_backend_errors_total",
        "Rate-limit checks the Redis backend could not answer"
    );
    process_collector().describe();
}

/// Process metrics (CPU, memory, file descriptors), read at each scrape.
pub fn process_collector() -> &'static metrics_process::Collector {
    static COLLECTOR: OnceLock<metrics_process::Collector> = OnceLock::new();
    COLLECTOR.get_or_init(|| metrics_process::Collector::new("trawl_"))
}
