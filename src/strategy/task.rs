//! The strategy task: one supervised tokio task per configured strategy, fed by the router.

use super::market_data::MarketData;
use super::router::{Route, Router};
use super::spec::{StrategyConfigError, StrategySpec};
use super::strategy::{Strategy, StrategyError};
use crate::diagnostics::{spawn_supervised, Reporter, RestartPolicy};
use crate::store::{StoreEvent, StrategyEvent};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, Mutex};

/// A suggested capacity for the channel that feeds [`run`]. The app should `try_send` into it
/// (the router drains it without waiting on any strategy, so it only fills if the router task
/// is starved) rather than let the event loop wait on strategies.
pub const INPUT_CAPACITY: usize = 1024;

/// How many updates wait for one instance before the router starts dropping (about 20 minutes
/// of 5-second bars).
pub const INBOX_CAPACITY: usize = 256;

/// A failed instance restarts after 1 s, doubling up to 30 s.
pub const RESTART_POLICY: RestartPolicy =
    RestartPolicy::Backoff { initial: Duration::from_secs(1), max: Duration::from_secs(30) };

/// Makes a fresh strategy (indicators empty) for each start and restart.
pub(crate) type Factory = Arc<dyn Fn() -> Box<dyn Strategy> + Send + Sync>;

/// One strategy instance to run.
pub(crate) struct Instance {
    pub(crate) id: String,
    pub(crate) symbol: String,
    pub(crate) factory: Factory,
}

/// Run the configured strategies until `input` closes.
///
/// - Each spec runs as its own supervised task, registered with diagnostics as `spec.id`
///   (`strategy:sma_cross:SPY`): Pending while its indicators warm up, Ok once running, Failed
///   with the error or panic message when it stops, then restarted with fresh state after a
///   backoff ([`RESTART_POLICY`]); the others keep running.
/// - Each rejected row is reported Failed under its own id with the validation message.
/// - `reporter` (the `strategy` subsystem) gets a summary: Ok with the number running, or
///   Degraded when a row was rejected.
/// - Signals go to `events` as `StoreEvent::Strategy(StrategyEvent::Signal(..))`, stamped with
///   the bar's time, symbol and the strategy's name.
pub async fn run(
    specs: Vec<StrategySpec>,
    rejected: Vec<StrategyConfigError>,
    input: mpsc::Receiver<MarketData>,
    events: mpsc::Sender<StoreEvent>,
    reporter: Reporter,
) {
    for error in &rejected {
        reporter.sibling(error.id.clone()).failed("not started: invalid [[strategy]] row", vec![error.to_string()]);
    }
    let instances = specs
        .into_iter()
        .map(|spec| Instance {
            id: spec.id.clone(),
            symbol: spec.symbol.clone(),
            factory: Arc::new(move || spec.build()),
        })
        .collect();
    run_instances(instances, rejected.len(), input, events, reporter, RESTART_POLICY).await;
}

pub(crate) async fn run_instances(
    instances: Vec<Instance>,
    rejected: usize,
    input: mpsc::Receiver<MarketData>,
    events: mpsc::Sender<StoreEvent>,
    reporter: Reporter,
    policy: RestartPolicy,
) {
    let running = instances.len();
    let mut routes = Vec::with_capacity(running);
    let mut supervisors = Vec::with_capacity(running);
    for Instance { id, symbol, factory } in instances {
        let (inbox_tx, inbox_rx) = mpsc::channel(INBOX_CAPACITY);
        // The receiver outlives each run of the instance, so a restart picks up where the router
        // is, and updates that came while it was down are not lost (up to the inbox's capacity).
        let inbox = Arc::new(Mutex::new(inbox_rx));
        let instance_reporter = reporter.sibling(id);
        routes.push(Route::new(symbol, factory().wants_ticks(), inbox_tx, instance_reporter.clone()));
        let events = events.clone();
        supervisors.push(spawn_supervised(instance_reporter, policy, move |reporter| {
            run_instance(factory.clone(), inbox.clone(), events.clone(), reporter)
        }));
    }
    match (running, rejected) {
        (0, 0) => reporter.ok("no strategies configured"),
        (_, 0) => reporter.ok(format!("{running} running")),
        _ => reporter.degraded(
            format!("{running} running, {rejected} rejected"),
            vec![format!("{rejected} [[strategy]] row(s) did not validate: see their entries")],
        ),
    }
    Router::new(routes).run(input).await;
    for supervisor in supervisors {
        let _ = supervisor.await;
    }
}

/// One life of one instance: a fresh strategy reading the shared inbox until it closes. The
/// update that made it fail has already been taken from the inbox, so a bad bar is not replayed
/// into the next life.
async fn run_instance(
    factory: Factory,
    inbox: Arc<Mutex<mpsc::Receiver<MarketData>>>,
    events: mpsc::Sender<StoreEvent>,
    reporter: Reporter,
) -> Result<(), StrategyError> {
    let mut strategy = factory();
    // Never contended: the previous life has ended (and released it) before this one starts.
    let mut inbox = inbox.lock().await;
    // Loaded and waiting for enough bars: that is a working strategy, not a pending one.
    reporter.ok(format!("{}: warming up", strategy.name()));
    let mut ready = false;
    while let Some(data) = inbox.recv().await {
        let (at, symbol, draft) = match &data {
            MarketData::Bar(bar) => (bar.time, bar.symbol.as_str(), strategy.on_bar(bar)?),
            MarketData::Tick(tick) => (tick.time, tick.symbol.as_str(), strategy.on_tick(tick)?),
        };
        if !ready && strategy.is_ready() {
            ready = true;
            reporter.ok(format!("{}: running", strategy.name()));
        }
        if let Some(draft) = draft {
            let signal = draft.into_signal(at, symbol, strategy.name());
            if events.send(StoreEvent::Strategy(StrategyEvent::Signal(signal))).await.is_err() {
                // The app has gone: nobody is left to signal.
                return Ok(());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
