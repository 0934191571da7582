//! The node's long-running tasks (projector, publisher, reactors, reminder scheduler) under
//! a supervisor: a task that panics is logged, counted and started again after a backoff,
//! and while it is down `/readyz` says so and names it. A panic must never leave a node
//! that looks healthy and no longer sends email.

use serde::Serialize;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;

/// The first wait before a restart; it doubles on each panic in a row, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// A task that ran this long before it panicked starts again after [`FIRST_BACKOFF`].
const STEADY: Duration = Duration::from_secs(300);

/// Where each supervised task stands, shared with `/readyz`.
#[derive(Clone, Default)]
pub struct TaskHealth(Arc<Mutex<BTreeMap<String, TaskState>>>);

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct TaskState {
    /// False between a panic and the restart.
    pub running: bool,
    pub restarts: u64,
    /// The last panic's message.
    pub last_panic: Option<String>,
}

impl TaskHealth {
    fn update(&self, name: &str, change: impl FnOnce(&mut TaskState)) {
        let mut tasks = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let state = tasks.entry(name.to_string()).or_insert(TaskState { running: false, restarts: 0, last_panic: None });
        change(state);
    }

    /// Every task's state, by name.
    pub fn snapshot(&self) -> BTreeMap<String, TaskState> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The tasks that are down (waiting to be started again after a panic).
    pub fn down(&self) -> Vec<String> {
        self.snapshot().into_iter().filter(|(_, state)| !state.running).map(|(name, _)| name).collect()
    }

    /// Whether the task `name` runs.
    pub fn is_running(&self, name: &str) -> bool {
        self.snapshot().get(name).is_some_and(|state| state.running)
    }
}

/// Runs the future `start` makes as task `name` until it ends by itself (at `shutdown`),
/// starting a new one each time one panics.
pub fn supervise<F, Fut>(name: impl Into<String>, health: TaskHealth, shutdown: CancellationToken, start: F) -> JoinHandle<()>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let name = name.into();
    tokio::spawn(async move {
        let mut backoff = FIRST_BACKOFF;
        loop {
            health.update(&name, |state| state.running = true);
            let started = tokio::time::Instant::now();
            let ended = tokio::spawn(start()).await;
            let Err(error) = ended else { break };
            if !error.is_panic() {
                break;
            }
            let message = projections::panic_message(error.into_panic());
            tracing::error!(task = %name, panic = %message, "a task panicked; it will be started again");
            metrics::counter!("veche_task_restarts_total", "task" => name.clone()).increment(1);
            health.update(&name, |state| {
                state.running = false;
                state.restarts += 1;
                state.last_panic = Some(message);
            });
            if started.elapsed() >= STEADY {
                backoff = FIRST_BACKOFF;
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test(start_paused = true)]
    async fn a_task_that_panics_is_reported_down_and_started_again() {
        let (health, shutdown) = (TaskHealth::default(), CancellationToken::new());
        let starts = Arc::new(AtomicU32::new(0));
        let counted = starts.clone();
        let token = shutdown.clone();
        let task = supervise("flaky", health.clone(), shutdown.clone(), move || {
            let (counted, token) = (counted.clone(), token.clone());
            async move {
                if counted.fetch_add(1, Ordering::SeqCst) == 0 {
                    panic!("first start fails");
                }
                token.cancelled().await;
            }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(health.down(), vec!["flaky".to_string()], "down between the panic and the restart");
        assert_eq!(health.snapshot()["flaky"].last_panic.as_deref(), Some("first start fails"));
        tokio::time::sleep(FIRST_BACKOFF).await;
        assert!(health.is_running("flaky"), "started again after the backoff");
        assert_eq!(starts.load(Ordering::SeqCst), 2);
        shutdown.cancel();
        task.await.unwrap();
        assert_eq!(health.snapshot()["flaky"].restarts, 1);
    }
}
