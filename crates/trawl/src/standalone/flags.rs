//! The flags `trawl scrape`, `crawl` and `map` share, in one vocabulary: the same
//! `--format` names, durations with their unit (`500ms`, `2s`), `--header 'Name: value'`
//! and `--user-agent`; and errors that name the flag the user typed, not the API field
//! it became.

use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::config::FetchConfig;
use crate::error::FieldError;

/// What a command prints (`scrape`) or keeps in each document (`crawl`). `raw-html` is
/// the spelling; the API's `rawHtml` is accepted too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Markdown,
    Html,
    #[value(alias = "rawHtml", alias = "raw_html")]
    RawHtml,
    Links,
    Images,
    Analysis,
    /// The whole document: Markdown, metadata, links and analysis.
    Json,
}

impl Format {
    /// The API's names of the formats this one asks the scraper for.
    pub fn api_names(self) -> &'static [&'static str] {
        match self {
            Format::Markdown => &["markdown"],
            Format::Html => &["html"],
            Format::RawHtml => &["rawHtml"],
            Format::Links => &["links"],
            Format::Images => &["images"],
            Format::Analysis => &["analysis"],
            Format::Json => &["markdown", "links", "analysis"],
        }
    }
}

/// The API's format list for `formats`, without repeats.
pub fn api_formats(formats: &[Format]) -> Vec<Value> {
    let mut names: Vec<&str> = Vec::new();
    for name in formats.iter().flat_map(|f| f.api_names()) {
        if !names.contains(name) {
            names.push(name);
        }
    }
    names.into_iter().map(|n| json!(n)).collect()
}

/// Flags every fetching command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct FetchFlags {
    /// Send this request header, as `'Name: value'` (repeatable). Headers go to the
    /// page's own origin only, never across a redirect to another one.
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE", value_parser = parse_header)]
    pub headers: Vec<(String, String)>,
    /// The User-Agent to send, and to look up in robots.txt.
    #[arg(long, value_name = "TEXT")]
    pub user_agent: Option<String>,
}

impl FetchFlags {
    /// The request headers as the API's `headers` object.
    pub fn header_map(&self) -> Option<Map<String, Value>> {
        (!self.headers.is_empty()).then(|| {
            self.headers
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect()
        })
    }

    /// The fetcher's settings with `--user-agent` applied.
    pub fn fetch_config(&self, base: &FetchConfig) -> FetchConfig {
        let mut config = base.clone();
        if let Some(agent) = &self.user_agent {
            config.user_agent = agent.clone();
        }
        config
    }
}

/// `Name: value` (spaces around either are dropped).
fn parse_header(raw: &str) -> Result<(String, String), String> {
    let (name, value) = raw
        .split_once(':')
        .ok_or_else(|| "expected 'Name: value'".to_string())?;
    let (name, value) = (name.trim(), value.trim());
    if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(format!("{name:?} is not a valid header name"));
    }
    if reqwest::header::HeaderValue::from_str(value).is_err() {
        return Err("the value has characters a header cannot carry".into());
    }
    Ok((name.to_string(), value.to_string()))
}

/// A duration with its unit: `500ms`, `2s`, `1.5s`, `1m`. A bare number is refused
/// rather than guessed, because the API counts seconds where the settings count
/// milliseconds.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let split = raw
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("{raw:?} is not a duration such as 500ms or 2s"))?;
    let seconds = match unit.trim() {
        "ms" => number / 1000.0,
        "s" => number,
        "m" | "min" => number * 60.0,
        "" => return Err(format!("give a unit: {raw}ms or {raw}s")),
        other => return Err(format!("unknown unit {other:?}; use ms, s or m")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("{raw:?} is out of range"))
}

/// How a command's flags map onto the API fields its request is checked under.
pub struct FlagNames<'a> {
    /// `(API field, flag, the values given)` for repeatable flags, so that an error
    /// quotes the value at fault.
    pub lists: &'a [(&'a str, &'a str, &'a [String])],
}

impl FlagNames<'_> {
    /// `scrapeOptions.timeout` → `--timeout`, `includePaths[1]` → `--include "(x"`.
    fn flag(&self, field: &str) -> String {
        let field = field.strip_prefix("scrapeOptions.").unwrap_or(field);
        for (api, flag, values) in self.lists {
            if let Some(rest) = field.strip_prefix(api) {
                let value = rest
                    .strip_prefix('[')
                    .and_then(|r| r.strip_suffix(']'))
                    .and_then(|i| i.parse::<usize>().ok())
                    .and_then(|i| values.get(i));
                return match value {
                    Some(v) => format!("{flag} {v:?}"),
                    None => flag.to_string(),
                };
            }
        }
        let (head, rest) = field.split_once('.').unwrap_or((field, ""));
        let flag = match head.split('[').next().unwrap_or(head) {
            "url" => "URL",
            "limit" => "--limit",
            "maxDiscoveryDepth" => "--max-depth",
            "maxConcurrency" => "--concurrency",
            "delay" => "--delay",
            "timeout" => "--timeout",
            "formats" => "--format",
            "search" => "--search",
            "headers" => return format!("--header {rest:?}"),
            other => other,
        };
        flag.to_string()
    }

    /// One error listing every broken rule, each under its flag.
    pub fn error(&self, errors: Vec<FieldError>) -> anyhow::Error {
        let list: Vec<String> = errors
            .iter()
            .map(|e| format!("{}: {}", self.flag(&e.field), e.rule))
            .collect();
        anyhow::anyhow!("invalid options: {}", list.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_need_a_unit_and_take_ms_s_and_m() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("0.25s"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert!(parse_duration("2").unwrap_err().contains("2ms or 2s"));
        assert!(parse_duration("2h").unwrap_err().contains("unit"));
        assert!(parse_duration("fast").is_err());
    }

    #[test]
    fn headers_are_name_colon_value() {
        assert_eq!(
            parse_header("Accept-Language:  fr "),
            Ok(("Accept-Language".into(), "fr".into()))
        );
        assert!(parse_header("no colon").is_err());
        assert!(parse_header("bad name: x").is_err());
    }

    #[test]
    fn api_fields_are_reported_under_their_flags() {
        let include = vec!["ok".to_string(), "(".to_string()];
        let names = FlagNames {
            lists: &[("includePaths", "--include", include.as_slice())],
        };
        let err = names.error(vec![
            FieldError::new("url", "must be an absolute http or https URL"),
            FieldError::new("includePaths[1]", "must be a valid regex"),
            FieldError::new("scrapeOptions.timeout", "must be between"),
            FieldError::new("maxConcurrency", "must be between"),
        ]);
        assert_eq!(
            err.to_string(),
            "invalid options: URL: must be an absolute http or https URL; \
             --include \"(\": must be a valid regex; --timeout: must be between; \
             --concurrency: must be between"
        );
    }
}
