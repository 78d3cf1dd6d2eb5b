//! A trading session as the cockpit runs it (broker task with order desk and journal, store,
//! Trader), minus the terminal, against a simulated gateway: shared by the order and
//! resilience tests.

use chrono::Utc;
use robo_tui::app::core::TradingDesk;
use robo_tui::app::trading::{TradeRequest, Trader};
use robo_tui::broker::{self, BrokerCommand, BrokerSettings, OrderDesk};
use robo_tui::diagnostics::Reporter;
use robo_tui::gateway::{self, GatewayConfig, GatewayHandle};
use robo_tui::orders::{Journal, Precautions, SessionKind, Ticket};
use robo_tui::store::{Store, StoreEvent, TradingEvent};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tempfile::TempDir;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// A trading session as the cockpit runs it, minus the terminal.
pub struct Session {
    pub gateway: GatewayHandle,
    pub store: Store,
    pub trader: Trader,
    events: mpsc::Receiver<StoreEvent>,
    stop: mpsc::Sender<BrokerCommand>,
    task: JoinHandle<()>,
    pub journal_dir: TempDir,
    request: u64,
}

impl Session {
    pub async fn start(accounts: &[&str], precautions: Precautions) -> Session {
        let mut config = GatewayConfig::embedded(0);
        config.accounts = accounts.iter().map(|a| a.to_string()).collect();
        Session::start_with(config, precautions).await
    }

    pub async fn start_with(config: GatewayConfig, precautions: Precautions) -> Session {
        Session::start_tuned(config, precautions, |_| {}).await
    }

    /// As `start_with`, with the broker's settings adjusted (probe timings, deadlines).
    pub async fn start_tuned(
        config: GatewayConfig,
        precautions: Precautions,
        tune: impl FnOnce(&mut BrokerSettings),
    ) -> Session {
        let gateway = gateway::spawn(config).await.expect("gateway starts");
        let journal_dir = tempfile::tempdir().expect("temp dir");
        let journal = Journal::open(journal_dir.path(), "test-run", Utc::now()).expect("journal opens");
        let journal = Arc::new(Mutex::new(journal));
        let (desk, mut inbox) = OrderDesk::open();
        let (tx, events) = mpsc::channel(4096);
        let (stop, mut commands) = mpsc::channel(4);
        let reporter = Reporter::register("broker", tx.clone());
        let mut settings =
            BrokerSettings::new(gateway.local_addr().to_string(), "test".into(), 17, Duration::from_secs(5));
        settings.watchlist = vec!["AAPL".into(), "SPY".into()];
        tune(&mut settings);
        let shared = journal.clone();
        let task = tokio::spawn(async move {
            broker::run(settings, tx, &mut commands, Some(&mut inbox), Some(shared), reporter).await;
        });
        let trader = Trader::new(TradingDesk { desk, journal: Some(journal) }, journal_dir.path(), Utc::now());
        let mut store = Store::new();
        let configured = TradingEvent::Configured { session: SessionKind::Trading, allow_live: false, precautions };
        store.apply(Utc::now(), StoreEvent::Trading(configured));
        Session { gateway, store, trader, events, stop, task, journal_dir, request: 0 }
    }

    /// Apply events (journalling order facts as the cockpit does) until `done` holds.
    pub async fn until(&mut self, what: &str, done: impl Fn(&Store) -> bool) {
        let waited = tokio::time::timeout(Duration::from_secs(20), async {
            while !done(&self.store) {
                let Some(event) = self.events.recv().await else { break };
                let now = Utc::now();
                let failure = self.trader.journal_event(&event, &self.store, now);
                self.store.apply(now, event);
                if let Some(failure) = failure {
                    self.store.apply(now, failure);
                }
            }
        })
        .await;
        assert!(
            waited.is_ok() && done(&self.store),
            "never got {what}; trading: {:#?}\norders: {:#?}\nnotices: {:#?}",
            self.store.trading,
            self.store.orders,
            self.store.connection.notices
        );
    }

    /// Apply whatever arrives during `window` (journalled as the cockpit does).
    pub async fn drain(&mut self, window: Duration) {
        let deadline = tokio::time::Instant::now() + window;
        while let Ok(Some(event)) = tokio::time::timeout_at(deadline, self.events.recv()).await {
            let now = Utc::now();
            let failure = self.trader.journal_event(&event, &self.store, now);
            self.store.apply(now, event);
            if let Some(failure) = failure {
                self.store.apply(now, failure);
            }
        }
    }

    pub fn request(&mut self, request: TradeRequest) {
        let now = Utc::now();
        for event in self.trader.handle(request, &self.store, now) {
            self.store.apply(now, event);
        }
    }

    pub fn next_request(&mut self) -> u64 {
        self.request += 1;
        self.request
    }

    /// Resolve, preview (what-if) and transmit a ticket; returns the request's outcome.
    pub async fn place(&mut self, ticket: Ticket, modify: Option<i32>, override_word: &str) -> Result<String, String> {
        let symbol = ticket.symbol.clone();
        self.request(TradeRequest::Resolve { symbol: symbol.clone() });
        self.until("the contract", |s| s.trading.contracts.contains_key(&symbol)).await;
        let request = self.next_request();
        self.request(TradeRequest::Preview { request, ticket: Box::new(ticket.clone()), modify });
        self.until("the what-if answer", |s| s.trading.what_if.as_ref().is_some_and(|w| w.request == request)).await;
        self.request(TradeRequest::Transmit {
            request,
            ticket: Box::new(ticket),
            modify,
            override_word: override_word.into(),
            typed_account: String::new(),
        });
        self.until("the outcome", |s| s.trading.outcome.as_ref().is_some_and(|o| o.request == request)).await;
        self.store.trading.outcome.as_ref().map(|o| o.result.clone()).expect("outcome")
    }

    /// Today's journal as the session wrote it.
    pub fn journal_day(&self) -> robo_tui::orders::DayRead {
        Journal::read_day(self.journal_dir.path(), Utc::now().date_naive()).expect("journal reads")
    }

    pub fn journal_kinds(&self) -> Vec<String> {
        self.journal_day()
            .entries
            .iter()
            .map(|e| {
                serde_json::to_value(&e.body)
                    .ok()
                    .and_then(|v| v["kind"].as_str().map(str::to_string))
                    .unwrap_or_default()
            })
            .collect()
    }

    pub async fn stop(self) {
        let _ = self.stop.send(BrokerCommand::Shutdown).await;
        let _ = tokio::time::timeout(Duration::from_secs(5), self.task).await;
        self.gateway.shutdown().await;
    }
}
