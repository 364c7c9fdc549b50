//! Cron schedules stored in the database. Every node runs the same loop; a tick is fired
//! by whichever node moves `next_run_at` first (a conditional UPDATE in the transaction
//! that enqueues the job), so it fires exactly once however many nodes there are. The
//! next tick is computed from the database's "now", so ticks missed while every node was
//! down fire once on recovery, not once each.

use std::time::Duration;

use chrono::{DateTime, Utc};
use croner::parser::{CronParser, Seconds};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::Jobs;
use crate::config::Config;
use crate::store::jobs::{NewJob, NewSchedule, Schedule, DEFAULT_TEAM};
use crate::store::{Store, StoreResult};

/// The schedule `TRAWL_SCHEDULE_SCRAPE_URL` creates on the default team.
pub const BUILTIN_SCRAPE: &str = "builtin:scrape-url";

/// How often each node looks for due schedules.
const POLL: Duration = Duration::from_millis(250);

/// Parses a 5-field (`min hour dom month dow`) or 6-field (with seconds first) cron
/// expression.
/// Longest cron expression accepted (request input: parsing and searching for the next
/// tick cost time in proportion to it).
pub const MAX_CRON_LEN: usize = 128;

pub fn parse_cron(expr: &str) -> Result<croner::Cron, String> {
    if expr.len() > MAX_CRON_LEN {
        return Err(format!("must be at most {MAX_CRON_LEN} characters"));
    }
    CronParser::builder()
        .seconds(Seconds::Optional)
        .build()
        .parse(expr)
        .map_err(|e| format!("not a valid cron expression ({e})"))
}

pub fn parse_timezone(tz: &str) -> Result<chrono_tz::Tz, String> {
    tz.parse::<chrono_tz::Tz>()
        .map_err(|_| format!("not a known time zone: {tz:?} (e.g. UTC, Europe/Paris)"))
}

/// The first tick strictly after `after`, in the schedule's time zone.
pub fn next_tick(cron: &str, tz: &str, after: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let cron = parse_cron(cron)?;
    let tz = parse_timezone(tz)?;
    cron.find_next_occurrence(&after.with_timezone(&tz), false)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("no next tick: {e}"))
}

/// Creates, updates or removes the built-in scrape schedule to match the configuration.
pub async fn ensure_builtin(store: &dyn Store, config: &Config) -> StoreResult<Option<Schedule>> {
    let Some(url) = &config.schedule.scrape_url else {
        store.delete_schedule(DEFAULT_TEAM, BUILTIN_SCRAPE).await?;
        return Ok(None);
    };
    let cron = &config.schedule.cron;
    let tz = &config.schedule.timezone;
    // Validated with the configuration, so this cannot fail here.
    let next = next_tick(cron, tz, Utc::now()).map_err(|e| anyhow::anyhow!(e))?;
    let schedule = store
        .upsert_schedule(&NewSchedule {
            team_id: DEFAULT_TEAM,
            name: BUILTIN_SCRAPE.into(),
            cron: cron.clone(),
            timezone: tz.clone(),
            kind: "scrape".into(),
            payload: json!({ "url": url.as_str() }),
            next_run_at: next,
            webhook: None,
        })
        .await?;
    Ok(Some(schedule))
}

/// Fires every due schedule once; returns how many ticks this node fired.
pub async fn fire_due(jobs: &Jobs) -> StoreResult<usize> {
    let (due, now) = jobs.store.due_schedules(100).await?;
    let mut fired = 0;
    for s in due {
        let next = match next_tick(&s.cron, &s.timezone, now) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(schedule = %s.id, error = %e, "schedule cannot tick");
                continue;
            }
        };
        let tick = s.next_run_at;
        let mut job = NewJob::new(s.team_id, s.kind.clone(), s.payload.clone())
            .unique_key(format!("schedule:{}:{}", s.id, tick.timestamp_millis()));
        jobs.prepare(std::slice::from_mut(&mut job));
        if jobs.store.fire_schedule(s.id, tick, next, &job).await? {
            fired += 1;
            tracing::info!(schedule = %s.id, name = %s.name, %tick, %next, "schedule fired");
        }
    }
    Ok(fired)
}

pub(crate) async fn run(jobs: Jobs, stop: CancellationToken) {
    loop {
        if let Err(e) = fire_due(&jobs).await {
            tracing::warn!(error = %e, "scheduler pass failed");
        }
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_and_six_field_hourly_expressions_agree() {
        let at = DateTime::parse_from_rfc3339("2026-01-01T10:20:30Z")
            .unwrap()
            .with_timezone(&Utc);
        let five = next_tick("0 * * * *", "UTC", at).unwrap();
        let six = next_tick("0 0 * * * *", "UTC", at).unwrap();
        assert_eq!(five, six);
        assert_eq!(five.to_rfc3339(), "2026-01-01T11:00:00+00:00");
    }

    #[test]
    fn ticks_follow_the_schedules_time_zone() {
        let at = DateTime::parse_from_rfc3339("2026-07-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        // 09:00 in Paris is 07:00 UTC in summer.
        let next = next_tick("0 9 * * *", "Europe/Paris", at).unwrap();
        assert_eq!(next.to_rfc3339(), "2026-07-01T07:00:00+00:00");
    }

    #[test]
    fn bad_expressions_and_zones_are_refused() {
        assert!(parse_cron("every hour").is_err());
        assert!(parse_timezone("Mars/Olympus").is_err());
    }
}
