//! Telling that a worker's process is gone without waiting for its heartbeat to go silent.
//!
//! A worker registers a process key, `boot_id/pid-namespace/pid/start-time`. Another node
//! on the same kernel boot and in the same pid namespace can read `/proc/<pid>/stat`: no
//! such process, or one with another start time (the pid was reused), means the worker
//! died. Anywhere else (another host, another container) the key says nothing and the
//! heartbeat decides. Workers of this very process are alive while they are registered
//! in [`LIVE`], so several runtimes in one process (the tests) never rescue each other.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use uuid::Uuid;

/// Workers running in this process.
static LIVE: Mutex<Option<HashSet<Uuid>>> = Mutex::new(None);

pub(crate) fn register_live(id: Uuid) {
    LIVE.lock()
        .expect("lock")
        .get_or_insert_with(HashSet::new)
        .insert(id);
}

pub(crate) fn unregister_live(id: Uuid) {
    if let Some(set) = LIVE.lock().expect("lock").as_mut() {
        set.remove(&id);
    }
}

fn is_live_here(id: Uuid) -> bool {
    LIVE.lock()
        .expect("lock")
        .as_ref()
        .is_some_and(|s| s.contains(&id))
}

struct Identity {
    /// `boot_id/pid-namespace`: where a pid means the same thing.
    space: String,
    pid: u32,
    start: u64,
}

/// This process's identity; `None` where `/proc` does not tell it (not Linux).
fn own() -> Option<&'static Identity> {
    static OWN: OnceLock<Option<Identity>> = OnceLock::new();
    OWN.get_or_init(|| {
        let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
        let ns = std::fs::read_link("/proc/self/ns/pid").ok()?;
        let pid = std::process::id();
        Some(Identity {
            space: format!("{}/{}", boot.trim(), ns.display()),
            pid,
            start: start_time(pid)?,
        })
    })
    .as_ref()
}

/// Field 22 of `/proc/<pid>/stat` (start time in clock ticks after boot); `None` when
/// the process is gone or a zombie.
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?;
    if state == "Z" || state == "X" {
        return None;
    }
    // `state` was field 3; the start time is field 22.
    fields.nth(18)?.parse().ok()
}

/// The key this process registers its workers with.
pub(crate) fn own_key() -> Option<String> {
    own().map(|o| format!("{}/{}/{}", o.space, o.pid, o.start))
}

/// Whether the worker `id` registered with `key` is certainly dead. False whenever this
/// node cannot tell (another host or namespace, no key, not Linux).
pub(crate) fn is_gone(id: Uuid, key: Option<&str>) -> bool {
    let (Some(me), Some(key)) = (own(), key) else {
        return false;
    };
    let mut parts = key.rsplitn(3, '/');
    let (Some(start), Some(pid), Some(space)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let (Ok(start), Ok(pid)) = (start.parse::<u64>(), pid.parse::<u32>()) else {
        return false;
    };
    if space != me.space {
        return false;
    }
    if pid == me.pid && start == me.start {
        return !is_live_here(id);
    }
    start_time(pid) != Some(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_processes_key_is_alive_only_for_its_registered_workers() {
        let Some(key) = own_key() else { return };
        let (mine, stale) = (Uuid::now_v7(), Uuid::now_v7());
        register_live(mine);
        assert!(!is_gone(mine, Some(&key)));
        assert!(
            is_gone(stale, Some(&key)),
            "a worker this process no longer runs"
        );
        unregister_live(mine);
        assert!(is_gone(mine, Some(&key)));
    }

    #[test]
    fn a_finished_process_is_gone_and_an_unknown_space_is_not_judged() {
        let Some(key) = own_key() else { return };
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        let start = start_time(pid);
        child.wait().unwrap();
        let space = key.rsplitn(3, '/').nth(2).unwrap().to_string();
        let dead = format!("{space}/{pid}/{}", start.unwrap_or(1));
        assert!(is_gone(Uuid::now_v7(), Some(&dead)));
        let elsewhere = format!("other-boot/pid:[1]/{pid}/1");
        assert!(!is_gone(Uuid::now_v7(), Some(&elsewhere)));
        assert!(!is_gone(Uuid::now_v7(), None));
        // The same pid with another start time is a reused pid: the old worker is gone.
        let me = std::process::id();
        let reused = format!("{space}/{me}/1");
        assert!(is_gone(Uuid::now_v7(), Some(&reused)));
    }
}
