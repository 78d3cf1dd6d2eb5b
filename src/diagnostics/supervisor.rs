//! Run a subsystem's task so that an error or a panic is reported, never propagated.

use super::reporter::Reporter;
use std::any::Any;
use std::future::Future;
use std::time::Duration;
use tokio::task::JoinHandle;

/// What to do when a supervised task ends with an error or a panic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartPolicy {
    /// Report Failed and stay down.
    Never,
    /// Restart after a backoff that doubles from `initial` up to `max`.
    Backoff { initial: Duration, max: Duration },
}

/// Spawn `make()` as a supervised task. When the task returns `Err` or panics, the reporter
/// marks the subsystem Failed with the error chain (or the panic message); with a restart
/// policy the task is started again after a backoff. A task that returns `Ok` ends supervision.
pub fn spawn_supervised<F, Fut, E>(mut reporter: Reporter, policy: RestartPolicy, mut make: F) -> JoinHandle<()>
where
    F: FnMut(Reporter) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    tokio::spawn(async move {
        let mut delay = match policy {
            RestartPolicy::Backoff { initial, .. } => initial,
            RestartPolicy::Never => Duration::ZERO,
        };
        loop {
            let outcome = tokio::spawn(make(reporter.clone())).await;
            let errors = match outcome {
                Ok(Ok(())) => return,
                Ok(Err(error)) => vec![error.to_string()],
                Err(join) if join.is_panic() => vec![format!("panicked: {}", panic_message(join.into_panic()))],
                Err(_) => vec!["task was cancelled".to_string()],
            };
            match policy {
                RestartPolicy::Never => {
                    reporter.failed("stopped", errors);
                    return;
                }
                RestartPolicy::Backoff { max, .. } => {
                    reporter.failed(format!("restarting in {}s", delay.as_secs_f32()), errors);
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(max);
                    reporter.restart();
                }
            }
        }
    })
}

/// The text of a panic payload.
pub fn panic_message(payload: Box<dyn Any + Send>) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "unknown panic payload".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Health, StoreEvent};
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    use tokio::sync::mpsc;

    async fn next_health(rx: &mut mpsc::Receiver<StoreEvent>) -> (Health, Vec<String>, u32) {
        loop {
            match rx.recv().await {
                Some(StoreEvent::Subsystem(event)) if event.status.health != Health::Pending => {
                    return (event.status.health, event.status.errors, event.status.restarts)
                }
                Some(_) => continue,
                None => panic!("channel closed"),
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_panicking_task_is_reported_and_restarted_with_backoff() {
        let (tx, mut rx) = mpsc::channel(64);
        let runs = Arc::new(AtomicU32::new(0));
        let counter = runs.clone();
        let reporter = Reporter::register("strategy:sma", tx);
        let policy = RestartPolicy::Backoff { initial: Duration::from_secs(1), max: Duration::from_secs(4) };
        spawn_supervised(reporter, policy, move |reporter| {
            let counter = counter.clone();
            async move {
                if counter.fetch_add(1, Ordering::SeqCst) < 2 {
                    panic!("division by zero in indicator");
                }
                reporter.ok("running");
                Ok::<(), String>(())
            }
        });
        let (health, errors, restarts) = next_health(&mut rx).await;
        assert_eq!(health, Health::Failed);
        assert_eq!(errors, vec!["panicked: division by zero in indicator".to_string()]);
        assert_eq!(restarts, 0);
        let (health, _, restarts) = next_health(&mut rx).await;
        assert_eq!((health, restarts), (Health::Failed, 1));
        let (health, _, restarts) = next_health(&mut rx).await;
        assert_eq!((health, restarts), (Health::Ok, 2));
        assert_eq!(runs.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn an_error_without_restart_is_failed_with_its_message() {
        let (tx, mut rx) = mpsc::channel(64);
        let reporter = Reporter::register("theme", tx);
        let handle = spawn_supervised(reporter, RestartPolicy::Never, |_| async {
            Err::<(), _>("themes/x.toml: line 3".to_string())
        });
        handle.await.expect("supervisor ends");
        let (health, errors, _) = next_health(&mut rx).await;
        assert_eq!(health, Health::Failed);
        assert_eq!(errors, vec!["themes/x.toml: line 3".to_string()]);
    }
}
