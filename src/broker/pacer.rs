//! The pacer in front of every message a session sends: at most the budget in any sliding
//! one-second window (IB allows 50 a second for all clients of one gateway together, and
//! answers more with error 100 and a disconnect). Up to the budget goes at once; the next
//! message waits exactly until the oldest leaves the window. Cancels count like requests.
//!
//! The window is shared by every robo-tui process on the same gateway (see [`shared`]), so a
//! cockpit and its monitors resubscribing together after a reset stay inside one budget.

mod shared;
mod window;

pub use shared::runtime_dir;
pub use window::WINDOW;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use window::{Admit, Slot, SLOTS};

/// IB's 50 less headroom.
pub const DEFAULT_BUDGET: u32 = 45;
/// The highest budget config accepts (accounts with booster packs may be allowed more than 50).
pub const MAX_BUDGET: u32 = 200;

/// Where the pacer reads the time. The shared window needs a clock every process on the
/// machine agrees on; unit tests use tokio's (pausable) clock.
#[derive(Debug, Clone, Copy)]
pub enum Clock {
    /// `CLOCK_MONOTONIC`: system-wide, never jumps.
    Monotonic,
    /// Tokio's clock, counted from this instant (tests with a paused clock).
    Tokio(tokio::time::Instant),
}

impl Clock {
    fn now_ns(&self) -> u64 {
        match self {
            Clock::Monotonic => {
                let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
                // SAFETY: `ts` is a valid timespec to write; CLOCK_MONOTONIC always exists on Linux.
                unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
                let secs = u64::try_from(ts.tv_sec).unwrap_or(0);
                let nanos = u64::try_from(ts.tv_nsec).unwrap_or(0);
                secs.saturating_mul(1_000_000_000).saturating_add(nanos)
            }
            // Offset by a second so the first instant is never 0 (an empty slot).
            Clock::Tokio(base) => u64::try_from(base.elapsed().as_nanos()).unwrap_or(u64::MAX) + 1_000_000_000,
        }
    }
}

/// The log of recent messages: this process's own, or the file every process on the gateway
/// shares (with this process's own log as the fallback when the file cannot be used).
enum Log {
    Local(Mutex<Vec<Slot>>),
    Shared { window: shared::SharedWindow, fallback: Mutex<Vec<Slot>> },
}

/// What diagnostics shows about the pacer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacerStats {
    pub budget: u32,
    /// Messages in the window now, from every process sharing it.
    pub in_window: u32,
    /// Processes with a message in the window (1 when not shared).
    pub senders: usize,
    /// Messages waiting for their turn in this process.
    pub queued: usize,
    /// The longest any message of this process waited.
    pub longest_wait: Duration,
    /// Messages this process sent through the pacer.
    pub sent: u64,
    /// The shared window's file, if the budget is shared.
    pub shared: Option<PathBuf>,
    /// Why the budget is not (or not always) shared.
    pub problem: Option<String>,
}

impl PacerStats {
    /// One line for the diagnostics pane.
    pub fn describe(&self) -> String {
        let scope = match (&self.shared, self.senders) {
            (Some(_), n) if n > 1 => format!("shared by {n} processes"),
            (Some(_), _) => "shared with other robo-tui processes on this gateway".to_string(),
            (None, _) => "this process only".to_string(),
        };
        format!(
            "budget {}/s ({scope}) · {} sent in the last second · {} queued · longest wait {} ms",
            self.budget,
            self.in_window,
            self.queued,
            self.longest_wait.as_millis()
        )
    }
}

struct Inner {
    budget: AtomicU32,
    clock: Clock,
    log: Log,
    /// Requests take turns in the order they asked (tokio's mutex is fair).
    turn: tokio::sync::Mutex<()>,
    queued: AtomicUsize,
    longest_wait_ns: AtomicU64,
    sent: AtomicU64,
    pid: u32,
    problem: Mutex<Option<String>>,
}

/// Cheap to clone: clones share one budget.
#[derive(Clone)]
pub struct Pacer {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Pacer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pacer").field("budget", &self.budget()).finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Pacer {
    /// A pacer for this process alone.
    pub fn local(budget: u32, clock: Clock) -> Pacer {
        Pacer::build(budget, clock, Log::Local(Mutex::new(vec![Slot::default(); SLOTS])), None)
    }

    /// A pacer sharing its window with every robo-tui process on the gateway at `address`,
    /// through a file under `dir`. If the file cannot be used the pacer still paces this
    /// process, and says why the budget is not shared.
    pub fn shared(budget: u32, dir: &Path, address: &str) -> Pacer {
        match shared::SharedWindow::open(dir, address) {
            Ok(window) => Pacer::build(
                budget,
                Clock::Monotonic,
                Log::Shared { window, fallback: Mutex::new(vec![Slot::default(); SLOTS]) },
                None,
            ),
            Err(error) => {
                let problem = format!("cannot share the budget through {}: {error}", dir.display());
                tracing::warn!("{problem}");
                Pacer::build(
                    budget,
                    Clock::Monotonic,
                    Log::Local(Mutex::new(vec![Slot::default(); SLOTS])),
                    Some(problem),
                )
            }
        }
    }

    /// No pacing at all: every message goes at once (the control experiment in the tests,
    /// which shows what the pacer prevents).
    pub fn unlimited() -> Pacer {
        let pacer = Pacer::local(MAX_BUDGET, Clock::Monotonic);
        pacer.inner.budget.store(u32::MAX, Ordering::Relaxed);
        pacer
    }

    fn build(budget: u32, clock: Clock, log: Log, problem: Option<String>) -> Pacer {
        Pacer {
            inner: Arc::new(Inner {
                budget: AtomicU32::new(budget.clamp(1, MAX_BUDGET)),
                clock,
                log,
                turn: tokio::sync::Mutex::new(()),
                queued: AtomicUsize::new(0),
                longest_wait_ns: AtomicU64::new(0),
                sent: AtomicU64::new(0),
                pid: std::process::id(),
                problem: Mutex::new(problem),
            }),
        }
    }

    pub fn budget(&self) -> u32 {
        self.inner.budget.load(Ordering::Relaxed)
    }

    /// A new budget (from config) applies to the next message.
    pub fn set_budget(&self, budget: u32) {
        self.inner.budget.store(budget.clamp(1, MAX_BUDGET), Ordering::Relaxed);
    }

    /// Run `f` on the log; a shared log that fails falls back to this process's own.
    fn with_log<R>(&self, f: impl Fn(&mut [Slot]) -> R) -> R {
        match &self.inner.log {
            Log::Local(slots) => f(&mut lock(slots)),
            Log::Shared { window, fallback } => match window.with(&f) {
                Ok(result) => {
                    let mut noted = lock(&self.inner.problem);
                    if noted.is_some() {
                        tracing::info!("shared window {} usable again", window.path().display());
                        *noted = None;
                    }
                    result
                }
                Err(error) => {
                    let problem = format!("shared window {} unusable: {error}", window.path().display());
                    let mut noted = lock(&self.inner.problem);
                    if noted.as_deref() != Some(problem.as_str()) {
                        tracing::warn!("{problem}");
                        *noted = Some(problem);
                    }
                    f(&mut lock(fallback))
                }
            },
        }
    }

    /// Try to send `n` messages now: logs them and returns `Ok`, or says how long until there
    /// is room. Never waits (the session's loop uses it to keep serving while it waits).
    pub fn try_now(&self, n: u32) -> Result<(), Duration> {
        let now = self.inner.clock.now_ns();
        let budget = self.budget();
        let pid = self.inner.pid;
        match self.with_log(|slots| window::admit(slots, now, budget, n, pid, false)) {
            Admit::Now => {
                self.inner.sent.fetch_add(u64::from(n), Ordering::Relaxed);
                Ok(())
            }
            Admit::Wait(wait) => Err(wait),
        }
    }

    /// Wait for room for `n` messages, in turn with this process's other senders, and log
    /// them. Call just before sending.
    pub async fn acquire(&self, n: u32) {
        self.inner.queued.fetch_add(1, Ordering::Relaxed);
        let asked = self.inner.clock.now_ns();
        let mut waited = false;
        {
            let _turn = self.inner.turn.lock().await;
            while let Err(wait) = self.try_now(n) {
                waited = true;
                tokio::time::sleep(wait).await;
            }
        }
        if waited {
            let waited = self.inner.clock.now_ns().saturating_sub(asked);
            self.inner.longest_wait_ns.fetch_max(waited, Ordering::Relaxed);
        }
        self.inner.queued.fetch_sub(1, Ordering::Relaxed);
    }

    /// Count `n` messages something else already sent (ibapi's cancels when a subscription
    /// is dropped): they take room from the next ones.
    pub fn note_sent(&self, n: u32) {
        let now = self.inner.clock.now_ns();
        let budget = self.budget();
        let pid = self.inner.pid;
        self.with_log(|slots| window::admit(slots, now, budget, n, pid, true));
        self.inner.sent.fetch_add(u64::from(n), Ordering::Relaxed);
    }

    pub fn stats(&self) -> PacerStats {
        let now = self.inner.clock.now_ns();
        let (in_window, senders) = self.with_log(|slots| (window::in_window(slots, now), window::senders(slots, now)));
        PacerStats {
            budget: self.budget(),
            in_window,
            senders: senders.max(1),
            queued: self.inner.queued.load(Ordering::Relaxed),
            longest_wait: Duration::from_nanos(self.inner.longest_wait_ns.load(Ordering::Relaxed)),
            sent: self.inner.sent.load(Ordering::Relaxed),
            shared: match &self.inner.log {
                Log::Shared { window, .. } => Some(window.path().to_path_buf()),
                Log::Local(_) => None,
            },
            problem: lock(&self.inner.problem).clone(),
        }
    }
}

#[cfg(test)]
mod tests;
