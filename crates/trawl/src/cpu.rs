//! CPU-heavy work done on behalf of one request (compiling its patterns and selectors)
//! runs on one thread of its own, at a lower priority than request handling: a flood of
//! costly requests then queues behind itself, each bounded by its own budget, instead of
//! taking every core from the requests around it.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::OnceLock;

use tokio::sync::oneshot;

/// How far below the process the thread runs, in nice steps.
const LOW_PRIORITY_NICE: i32 = 10;
const MAX_NICE: i32 = 19;

type Work = Box<dyn FnOnce() + Send>;

/// Runs `work` on the low-priority thread and waits for its result without holding an
/// async worker. `None` if the work panicked.
pub async fn at_low_priority<T, F>(work: F) -> Option<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (tx, rx) = oneshot::channel();
    let job: Work = Box::new(move || {
        let _ = tx.send(catch_unwind(AssertUnwindSafe(work)).ok());
    });
    queue().send(job).ok()?;
    rx.await.ok().flatten()
}

fn queue() -> &'static mpsc::Sender<Work> {
    static QUEUE: OnceLock<mpsc::Sender<Work>> = OnceLock::new();
    QUEUE.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Work>();
        std::thread::Builder::new()
            .name("trawl-validate".into())
            .spawn(move || {
                lower_priority();
                for job in rx {
                    job();
                }
            })
            .expect("spawn the validation thread");
        tx
    })
}

/// Lowers the calling thread's priority. Failing to is harmless (the work then runs at
/// normal priority), so it is ignored.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        // On Linux the "process" of setpriority(2) given a thread id is that thread alone.
        let me = rustix::thread::gettid();
        let now = rustix::process::getpriority_process(Some(me)).unwrap_or(0);
        let _ =
            rustix::process::setpriority_process(Some(me), (now + LOW_PRIORITY_NICE).min(MAX_NICE));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_runs_in_order_and_a_panic_is_contained() {
        assert_eq!(at_low_priority(|| 2 + 2).await, Some(4));
        assert_eq!(at_low_priority(|| -> i32 { panic!("boom") }).await, None);
        // The thread survives the panic.
        let name = at_low_priority(|| std::thread::current().name().map(str::to_string)).await;
        assert_eq!(name.flatten().as_deref(), Some("trawl-validate"));
    }
}
