//! Document retention: the maintenance loop deletes stored documents older than their
//! team's retention (its own setting, else `TRAWL_DOCUMENTS_RETENTION`), in bounded
//! batches so the store's other writers are never held up for long. Every node that runs
//! maintenance runs it; deleting the same old rows twice is harmless.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::Jobs;
use crate::store::{Store, StoreResult};

/// Documents deleted per statement.
const BATCH: u32 = 500;

/// The retention in force for a team: its own (`Some(0)` keeps forever), else the
/// instance's (0 keeps).
fn effective(own: Option<i64>, instance_secs: u64) -> Option<Duration> {
    let secs = match own {
        Some(s) => u64::try_from(s).unwrap_or(0),
        None => instance_secs,
    };
    (secs > 0).then(|| Duration::from_secs(secs))
}

/// One pass over every team; returns how many documents went.
pub async fn expire_documents(
    store: &dyn Store,
    instance_secs: u64,
    stop: &CancellationToken,
) -> StoreResult<u64> {
    let mut total = 0;
    for (team, own) in store.team_retentions().await? {
        let Some(keep) = effective(own, instance_secs) else {
            continue;
        };
        let before =
            chrono::Utc::now() - chrono::Duration::from_std(keep).unwrap_or(chrono::Duration::MAX);
        loop {
            let n = store.delete_documents_before(team, before, BATCH).await?;
            total += n;
            if n < u64::from(BATCH) || stop.is_cancelled() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    if total > 0 {
        tracing::info!(deleted = total, "documents past their retention deleted");
        metrics::counter!("trawl_documents_expired_total").increment(total);
    }
    Ok(total)
}

/// Runs [`expire_documents`] every sweep interval until `stop`.
pub async fn run(jobs: Jobs, stop: CancellationToken) {
    let every = Duration::from_secs(jobs.config.sweep_interval_secs.max(1));
    loop {
        if let Err(e) = expire_documents(
            jobs.store.as_ref(),
            jobs.config.documents_retention_secs,
            &stop,
        )
        .await
        {
            tracing::warn!(error = %e, "document retention pass failed");
        }
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(every) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::effective;
    use std::time::Duration;

    #[test]
    fn a_teams_own_retention_wins_and_zero_keeps() {
        assert_eq!(effective(None, 0), None);
        assert_eq!(effective(None, 60), Some(Duration::from_secs(60)));
        assert_eq!(effective(Some(0), 60), None);
        assert_eq!(effective(Some(30), 0), Some(Duration::from_secs(30)));
    }
}
