//! Fans market data out to the strategy instances by symbol, never waiting on any of them.

use super::market_data::MarketData;
use crate::diagnostics::Reporter;
use std::time::Duration;
use tokio::sync::mpsc::{self, error::TrySendError};

/// How often the router reports new drops.
pub const DROP_REPORT_EVERY: Duration = Duration::from_secs(1);

/// One instance's inbox, as the router sees it.
pub(crate) struct Route {
    symbol: String,
    wants_ticks: bool,
    inbox: mpsc::Sender<MarketData>,
    /// The instance's subsystem, for reporting drops.
    reporter: Reporter,
    dropped: u64,
    reported: u64,
}

impl Route {
    pub(crate) fn new(symbol: String, wants_ticks: bool, inbox: mpsc::Sender<MarketData>, reporter: Reporter) -> Self {
        Route { symbol, wants_ticks, inbox, reporter, dropped: 0, reported: 0 }
    }
}

/// Routes each bar (and each tick, to the instances that want ticks) to every instance on its
/// symbol with `try_send`: an instance that is behind, or down while it waits to restart, loses
/// data (counted, and reported Degraded) instead of holding up the others.
pub(crate) struct Router {
    routes: Vec<Route>,
}

impl Router {
    pub(crate) fn new(routes: Vec<Route>) -> Self {
        Router { routes }
    }

    /// Route until `input` closes, then drop the inboxes so the instances finish.
    pub(crate) async fn run(mut self, mut input: mpsc::Receiver<MarketData>) {
        let mut report = tokio::time::interval(DROP_REPORT_EVERY);
        report.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                data = input.recv() => match data {
                    Some(data) => self.route(data),
                    None => break,
                },
                _ = report.tick() => self.report_drops(),
            }
        }
        self.report_drops();
    }

    pub(crate) fn route(&mut self, data: MarketData) {
        let is_tick = matches!(data, MarketData::Tick(_));
        let symbol = data.symbol();
        for route in &mut self.routes {
            if !route.symbol.eq_ignore_ascii_case(symbol) || (is_tick && !route.wants_ticks) {
                continue;
            }
            match route.inbox.try_send(data.clone()) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => route.dropped += 1,
                // The instance has stopped for good (its output is gone): nothing to deliver to.
                Err(TrySendError::Closed(_)) => {}
            }
        }
    }

    /// Mark every instance that dropped data since the last report Degraded with its total.
    pub(crate) fn report_drops(&mut self) {
        for route in &mut self.routes {
            if route.dropped > route.reported {
                route.reported = route.dropped;
                route.reporter.degraded(
                    format!("dropped {} updates: the strategy is behind or restarting", route.dropped),
                    vec![format!("inbox full ({} queued)", route.inbox.max_capacity())],
                );
            }
        }
    }

    #[cfg(test)]
    pub(crate) fn dropped(&self) -> Vec<u64> {
        self.routes.iter().map(|r| r.dropped).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Health, StoreEvent};
    use crate::strategy::market_data::Tick;
    use crate::strategy::test_support::{bar, bar_time, d};

    fn route(
        symbol: &str,
        wants_ticks: bool,
        capacity: usize,
        tx: &mpsc::Sender<StoreEvent>,
    ) -> (Route, mpsc::Receiver<MarketData>) {
        let (inbox, rx) = mpsc::channel(capacity);
        let reporter = Reporter::register(format!("strategy:test:{symbol}"), tx.clone());
        (Route::new(symbol.into(), wants_ticks, inbox, reporter), rx)
    }

    fn closes(rx: &mut mpsc::Receiver<MarketData>) -> Vec<String> {
        let mut seen = Vec::new();
        while let Ok(data) = rx.try_recv() {
            seen.push(match data {
                MarketData::Bar(bar) => format!("bar {} {}", bar.symbol, bar.close),
                MarketData::Tick(tick) => format!("tick {} {}", tick.symbol, tick.price),
            });
        }
        seen
    }

    #[tokio::test]
    async fn routes_by_symbol_and_ticks_only_to_those_that_want_them() {
        let (events, _keep) = mpsc::channel(64);
        let (spy, mut spy_rx) = route("SPY", false, 8, &events);
        let (spy_ticks, mut spy_ticks_rx) = route("SPY", true, 8, &events);
        let (qqq, mut qqq_rx) = route("QQQ", false, 8, &events);
        let mut router = Router::new(vec![spy, spy_ticks, qqq]);
        router.route(bar("SPY", 0, "450").into());
        router.route(bar("qqq", 0, "380").into());
        router.route(Tick { symbol: "SPY".into(), time: bar_time(1), price: d("450.5") }.into());
        assert_eq!(closes(&mut spy_rx), vec!["bar SPY 450"]);
        assert_eq!(closes(&mut spy_ticks_rx), vec!["bar SPY 450", "tick SPY 450.5"]);
        assert_eq!(closes(&mut qqq_rx), vec!["bar qqq 380"]);
    }

    #[tokio::test]
    async fn a_full_inbox_drops_and_is_reported_degraded_without_blocking_the_others() {
        let (events, mut reports) = mpsc::channel(64);
        let (slow, _slow_rx_never_read) = route("SPY", false, 2, &events);
        let (fast, mut fast_rx) = route("SPY", false, 8, &events);
        let mut router = Router::new(vec![slow, fast]);
        for n in 0..5 {
            router.route(bar("SPY", n, "450").into());
        }
        assert_eq!(router.dropped(), vec![3, 0]);
        assert_eq!(closes(&mut fast_rx).len(), 5);

        router.report_drops();
        router.report_drops(); // nothing new: no second report
        let mut degraded = Vec::new();
        while let Ok(StoreEvent::Subsystem(event)) = reports.try_recv() {
            if event.status.health == Health::Degraded {
                degraded.push((event.id, event.status.detail));
            }
        }
        assert_eq!(
            degraded,
            vec![(
                "strategy:test:SPY".to_string(),
                "dropped 3 updates: the strategy is behind or restarting".to_string()
            )]
        );
    }
}
