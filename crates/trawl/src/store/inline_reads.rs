//! Point reads of the SQLite file on the calling thread.
//!
//! sqlx runs every SQLite connection on a thread of its own and passes each query and
//! each row across channels, so a primary-key lookup costs two thread wake-ups and a
//! pool checkout, several times the lookup itself: profiling `GET /api/v1/jobs/{id}`
//! showed most of its time in the kernel's scheduler. Reading one row of a WAL database
//! takes microseconds and never waits for a writer, so the hottest point reads run here,
//! synchronously, on read-only connections with no busy timeout. Anything unusual (the
//! database busy with recovery, an error, a row not found) answers `None` and the caller
//! asks the pool as before, so this is only ever a faster path to the same answer.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

/// Idle connections kept; more are opened under a burst and closed after it.
const MAX_IDLE: usize = 8;

pub struct InlineReads {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl InlineReads {
    /// Reads of the database file at `path`; `None` for an in-memory database, which
    /// another connection could not see.
    pub fn new(path: &Path) -> Option<Self> {
        let name = path.to_string_lossy();
        if name.is_empty() || name == ":memory:" || name.starts_with("file::memory:") {
            return None;
        }
        Some(InlineReads {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
        })
    }

    /// Runs `read` on an idle read-only connection. `None` when it failed for any
    /// reason; the reason is logged at debug level because the caller's fallback
    /// answers the request either way.
    pub fn read<T>(&self, read: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Option<T> {
        let conn = match self.take() {
            Ok(conn) => conn,
            Err(e) => {
                tracing::debug!(error = %e, "inline read: cannot open the database");
                return None;
            }
        };
        let out = read(&conn);
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
        drop(idle);
        out.map_err(|e| tracing::debug!(error = %e, "inline read failed; using the pool"))
            .ok()
    }

    fn take(&self) -> rusqlite::Result<Connection> {
        if let Some(conn) = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop() {
            return Ok(conn);
        }
        // NO_MUTEX: a connection is used by one thread at a time, guarded by `idle`.
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // Never wait on this thread: a busy database goes to the pool, which may.
        conn.busy_timeout(Duration::ZERO)?;
        Ok(conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_in_memory_database_has_no_inline_reads() {
        assert!(InlineReads::new(Path::new(":memory:")).is_none());
        assert!(InlineReads::new(Path::new("")).is_none());
        assert!(InlineReads::new(Path::new("data/trawl.db")).is_some());
    }

    #[test]
    fn reads_see_committed_rows_and_failures_answer_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode=WAL; CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('a');",
            )
            .unwrap();
        let reads = InlineReads::new(&path).unwrap();
        let read = |r: &InlineReads| {
            r.read(|c| c.query_row("SELECT group_concat(v) FROM t", [], |row| row.get(0)))
        };
        assert_eq!(read(&reads), Some("a".to_string()));
        writer.execute("INSERT INTO t VALUES ('b')", []).unwrap();
        // The idle connection is reused and sees the new commit.
        assert_eq!(read(&reads), Some("a,b".to_string()));
        assert_eq!(reads.idle.lock().unwrap().len(), 1);
        // Read-only: a write fails, and failure is None, not a panic.
        assert_eq!(reads.read(|c| c.execute("DELETE FROM t", [])), None);
        assert_eq!(
            reads.read(|c| c.query_row("SELECT nope FROM t", [], |r| r.get::<_, i64>(0))),
            None
        );
    }
}
