//! Schedules as a team's API resource, the runs they fire, and what change tracking needs:
//! the previous run's copy of a page and each run's pages with their change status. The
//! scheduler's own half (due ticks, firing) is in [`super::jobs`].

mod postgres;
mod sqlite;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::cols::{Cols, Ids};
use super::jobs::{JobState, NewJob, NewSchedule, Schedule};
use super::{StoreError, StoreResult};

/// The run columns with page counts; `r` is `schedule_runs`, `j` the job if still there.
pub(super) const RUN_SELECT: &str =
    "SELECT r.job_id, r.schedule_id, r.scheduled_for, r.created_at, \
     j.state, j.finished_at, \
     (SELECT count(*) FROM documents d WHERE d.job_id = r.job_id) AS pages, \
     (SELECT count(*) FROM documents d WHERE d.job_id = r.job_id \
        AND d.change_status = 'new') AS new_pages, \
     (SELECT count(*) FROM documents d WHERE d.job_id = r.job_id \
        AND d.change_status = 'same') AS same_pages, \
     (SELECT count(*) FROM documents d WHERE d.job_id = r.job_id \
        AND d.change_status = 'changed') AS changed_pages, \
     (SELECT count(*) FROM removed_pages x WHERE x.job_id = r.job_id) \
       + (SELECT count(*) FROM documents d WHERE d.job_id = r.job_id \
        AND d.change_status = 'removed') AS removed_pages \
     FROM schedule_runs r LEFT JOIN jobs j ON j.id = r.job_id";

/// A [`RUN_SELECT`] row as a run.
fn run_from_row(row: &impl Ids) -> StoreResult<ScheduleRun> {
    Ok(ScheduleRun {
        job_id: row.uuid("job_id")?,
        schedule_id: row.uuid("schedule_id")?,
        scheduled_for: row.time("scheduled_for")?,
        created_at: row.time("created_at")?,
        state: row
            .opt_text("state")?
            .and_then(|s| s.parse::<JobState>().ok()),
        finished_at: row.opt_time("finished_at")?,
        pages: row.int("pages")?,
        new_pages: row.int("new_pages")?,
        same_pages: row.int("same_pages")?,
        changed_pages: row.int("changed_pages")?,
        removed_pages: row.int("removed_pages")?,
    })
}

/// A run's page with its change status; `id` as the backend read it.
fn run_page_from_row(row: &impl Cols, id: Uuid) -> StoreResult<RunPage> {
    Ok(RunPage {
        id,
        url: row.text("url")?,
        title: row.opt_text("title")?,
        status_code: row.opt_small("status_code")?,
        content_hash: row.opt_text("content_hash")?,
        change_status: row.opt_text("change_status")?,
        diff: row.opt_text("diff")?,
        fetched_at: row.time("fetched_at")?,
    })
}

fn removed_page_from_row(row: &impl Ids) -> StoreResult<RemovedPage> {
    Ok(RemovedPage {
        url: row.text("url")?,
        title: row.opt_text("title")?,
        previous_document_id: row.opt_uuid("previous_document_id")?,
    })
}

fn previous_page_from_row(row: &impl Cols) -> StoreResult<PreviousPage> {
    Ok(PreviousPage {
        content_hash: row.opt_text("content_hash")?,
        markdown: row.opt_text("markdown")?,
        status_code: row.opt_small("status_code")?,
    })
}

/// One tick of a schedule and what its job found. Counts are over the run's stored
/// pages; `state` is `None` once the job itself has expired.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScheduleRun {
    pub job_id: Uuid,
    pub schedule_id: Uuid,
    pub scheduled_for: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub state: Option<JobState>,
    pub finished_at: Option<DateTime<Utc>>,
    pub pages: i64,
    pub new_pages: i64,
    pub same_pages: i64,
    pub changed_pages: i64,
    /// Pages the previous run stored and this one did not.
    pub removed_pages: i64,
}

/// A page of a run with its change status against the previous run.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RunPage {
    pub id: Uuid,
    pub url: String,
    pub title: Option<String>,
    pub status_code: Option<i32>,
    pub content_hash: Option<String>,
    pub change_status: Option<String>,
    /// Unified diff of the Markdown, only when `changed`.
    pub diff: Option<String>,
    pub fetched_at: DateTime<Utc>,
}

/// A page the schedule's previous run stored and a later run did not find.
#[derive(Debug, Clone, Serialize)]
pub struct RemovedPage {
    pub url: String,
    pub title: Option<String>,
    /// The previous run's copy.
    pub previous_document_id: Option<Uuid>,
}

/// What a run's end makes of each removed page: the webhook delivery to enqueue, if any.
pub type RemovedDeliveries<'a> = &'a (dyn Fn(&RemovedPage) -> Option<NewJob> + Send + Sync);

/// The previous run's copy of a page, to compare a new copy with.
#[derive(Debug, Clone)]
pub struct PreviousPage {
    pub content_hash: Option<String>,
    pub markdown: Option<String>,
    pub status_code: Option<i32>,
}

#[async_trait]
pub trait ScheduleStore {
    /// Creates a schedule; a name the team already uses is a `schedule_name_taken` conflict.
    async fn create_schedule(&self, s: &NewSchedule) -> StoreResult<Schedule>;

    async fn schedule_by_id(&self, team_id: Uuid, id: Uuid) -> StoreResult<Option<Schedule>>;

    /// The team's schedules, newest first; `cursor` is the last id of the previous page.
    async fn list_schedules(
        &self,
        team_id: Uuid,
        cursor: Option<Uuid>,
        limit: u32,
    ) -> StoreResult<Vec<Schedule>>;

    /// Replaces every editable field (the caller merged the patch and computed
    /// `next_run_at`); `None` when the team has no such schedule.
    async fn update_schedule(&self, id: Uuid, s: &NewSchedule) -> StoreResult<Option<Schedule>>;

    /// Deletes the schedule and its runs (not the documents they stored).
    async fn delete_schedule_by_id(&self, team_id: Uuid, id: Uuid) -> StoreResult<bool>;

    /// Pauses or resumes; a resume moves `next_run_at` so missed ticks do not all fire.
    async fn set_schedule_paused(
        &self,
        team_id: Uuid,
        id: Uuid,
        paused: bool,
        next_run_at: Option<DateTime<Utc>>,
    ) -> StoreResult<Option<Schedule>>;

    /// The schedule whose tick enqueued `job_id`, if any.
    async fn schedule_of_run(&self, job_id: Uuid) -> StoreResult<Option<Schedule>>;

    /// A schedule's runs, newest first; `cursor` is the last job id of the previous page.
    async fn schedule_runs(
        &self,
        schedule_id: Uuid,
        cursor: Option<Uuid>,
        limit: u32,
    ) -> StoreResult<Vec<ScheduleRun>>;

    /// One run of a schedule, if `job_id` is one.
    async fn schedule_run(
        &self,
        schedule_id: Uuid,
        job_id: Uuid,
    ) -> StoreResult<Option<ScheduleRun>>;

    /// The newest copy of `url` stored by an earlier run of the schedule than `job_id`.
    async fn previous_page(
        &self,
        schedule_id: Uuid,
        url: &str,
        job_id: Uuid,
    ) -> StoreResult<Option<PreviousPage>>;

    /// Records the pages that the run before `job_id` stored and `job_id` did not, with
    /// the deliveries `deliveries` makes for them, in one transaction. A URL this run
    /// tried and failed for a reason other than an HTTP status (timeout, connection,
    /// robots.txt) is not called removed: it is unknown. Returns only pages not recorded
    /// before, so a retried run's sweep sends nothing twice.
    ///
    /// The previous run's pages are found by job id, or, once that job expired and its
    /// documents lost their job id, as the schedule's pages fetched between the two runs.
    async fn record_removed_pages(
        &self,
        schedule_id: Uuid,
        job_id: Uuid,
        deliveries: RemovedDeliveries<'_>,
    ) -> StoreResult<Vec<RemovedPage>>;

    /// A run's pages in the order they were stored, then the pages it found removed
    /// (`change_status` `removed`, with the previous copy's id, title and URL).
    async fn run_pages(&self, job_id: Uuid, skip: u64, limit: u32) -> StoreResult<Vec<RunPage>>;
}

fn name_taken(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict {
            code: "schedule_name_taken",
            message: "the team already has a schedule with this name".into(),
        },
        _ => StoreError::Database(e),
    }
}
