//! Start-up shared by every command: logging, config, the embedded gateway, the broker task
//! and the strategy task, each registered with diagnostics. A part that fails is reported and
//! the rest still start.

use super::logging::{self, LogHandle};
use crate::broker::{self, BrokerCommand, BrokerSettings, OrderDesk, OrderDeskInbox, SharedJournal};
use crate::config::{BrokerMode, CliOverrides, Config, Paths};
use crate::diagnostics::{spawn_supervised, Reporter, RestartPolicy};
use crate::gateway::{self, GatewayConfig, GatewayError, GatewayHandle};
use crate::orders;
use crate::store::{BrokerEvent, SessionEvent, StoreEvent, TradingEvent};
use crate::strategy;
use chrono::Utc;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// How many events may queue between the tasks and the app before senders wait.
pub const EVENT_CHANNEL: usize = 4096;

/// Which session this process runs; it picks the client id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Trader,
    Monitor,
    /// `robo-tui snapshot`: the monitor's client id plus one, so it runs beside both.
    Snapshot,
}

#[derive(Debug, Clone)]
pub struct CoreOptions {
    pub config_path: Option<PathBuf>,
    pub overrides: CliOverrides,
    pub embedded_port: Option<u16>,
    pub session: SessionKind,
    /// Keep reconnecting (interactive) or stop at the first failure (`check`).
    pub reconnect: bool,
    /// Folders to use instead of the platform's (tests).
    pub paths: Option<Paths>,
}

/// Everything started, and the handles to stop it.
pub struct Core {
    pub config: Config,
    pub paths: Paths,
    pub events: mpsc::Receiver<StoreEvent>,
    pub events_tx: mpsc::Sender<StoreEvent>,
    pub broker: mpsc::Sender<BrokerCommand>,
    broker_task: JoinHandle<()>,
    /// The gateway this process hosts, now or after taking over from another robo-tui.
    pub gateway: GatewaySlot,
    pub log: LogHandle,
    /// The address the broker connects to.
    pub address: String,
    /// Bars and ticks for the strategy task.
    market: mpsc::Sender<strategy::MarketData>,
}

/// What only a trading session has: the order desk and the journal. A monitor (or `check`)
/// is started with [`Core::start`] and never holds one, so no path in it can send an order.
pub struct TradingDesk {
    pub desk: OrderDesk,
    /// `None` when the journal could not be opened (order entry is then disabled).
    pub journal: Option<SharedJournal>,
}

impl Core {
    /// Start a session that cannot trade (the monitor, `check`, `snapshot`).
    pub async fn start(options: CoreOptions) -> Core {
        Core::start_inner(options, None).await
    }

    /// Start a trading session: the core plus the order desk and journal.
    pub async fn start_trading(options: CoreOptions) -> (Core, TradingDesk) {
        let (desk, inbox) = OrderDesk::open();
        let mut journal = None;
        let core = Core::start_inner(options, Some((inbox, &mut journal))).await;
        (core, TradingDesk { desk, journal })
    }

    async fn start_inner(options: CoreOptions, trading: Option<(OrderDeskInbox, &mut Option<SharedJournal>)>) -> Core {
        let paths = options.paths.clone().unwrap_or_else(Paths::discover);
        let (events_tx, events) = mpsc::channel(EVENT_CHANNEL);

        // Config comes first (it names the log level) but is reported once logging is up.
        let config_reporter = Reporter::register("config", events_tx.clone());
        let user_file =
            options.config_path.clone().or_else(|| paths.config_file.exists().then(|| paths.config_file.clone()));
        let loaded = match &user_file {
            Some(path) => Config::load(path).map(|c| (c, format!("{} over the defaults", path.display()))),
            None => Config::defaults().map(|c| (c, "embedded defaults (no user file)".to_string())),
        };
        let (mut config, config_outcome) = match loaded {
            Ok((config, detail)) => (config, Ok(detail)),
            Err(error) => (Config::defaults().unwrap_or_else(|_| unreachable_defaults()), Err(error.to_string())),
        };
        config.apply_overrides(&options.overrides);
        if let Some(port) = options.embedded_port {
            config.broker.embedded_port = port;
        }

        let logging_reporter = Reporter::register("logging", events_tx.clone());
        let log = logging::init(&paths.log_dir, &config.log.level);
        match (&log.error, &log.file) {
            (Some(error), _) => logging_reporter.degraded("logging to memory only", vec![error.clone()]),
            (None, Some(file)) => logging_reporter.ok(format!("{}", file.display())),
            (None, None) => logging_reporter.degraded("no log file", Vec::new()),
        }
        match config_outcome {
            Ok(detail) => config_reporter.ok(detail),
            Err(error) => config_reporter.failed("using the embedded defaults instead", vec![error]),
        }
        tracing::info!(version = env!("CARGO_PKG_VERSION"), "robo-tui starting");

        let gateway_reporter = Reporter::register("gateway", events_tx.clone());
        let (address, origin, gateway) = match config.broker.mode {
            BrokerMode::External => {
                let address = format!("{}:{}", config.broker.host, config.broker.port);
                gateway_reporter.ok(format!("external gateway at {address} (nothing hosted here)"));
                (address, "external".to_string(), None)
            }
            BrokerMode::Embedded => host_embedded(&config, &paths, &gateway_reporter).await,
        };
        let joined = gateway.is_none() && config.broker.mode == BrokerMode::Embedded;
        let gateway: GatewaySlot = std::sync::Arc::new(tokio::sync::Mutex::new(gateway));
        if joined {
            let state_file = paths.data_dir.join("gateway-state.json");
            tokio::spawn(keep_gateway(
                config.broker.embedded_port,
                state_file,
                gateway_reporter.clone(),
                gateway.clone(),
            ));
        }

        let client_id = match options.session {
            SessionKind::Trader => config.broker.client_id,
            SessionKind::Monitor => config.broker.monitor_client_id,
            SessionKind::Snapshot => config.broker.monitor_client_id + 1,
        };
        let mut settings = BrokerSettings::new(
            address.clone(),
            origin,
            client_id,
            Duration::from_secs(config.broker.connect_timeout_secs),
        );
        settings.reconnect = options.reconnect;
        settings.watchlist = config.watchlist.clone();
        // One budget for every robo-tui process on this gateway.
        settings.pacer =
            broker::Pacer::shared(config.broker.messages_per_second, &broker::pacer::runtime_dir(), &address);
        if options.session == SessionKind::Monitor {
            // The monitor shows no quotes: it asks only for the bars its strategies read, and
            // keeps ibapi's buffers small (it is the always-on, cheap view).
            let mut symbols: Vec<String> = config
                .strategies
                .iter()
                .filter_map(|s| s.symbol.as_ref())
                .map(|s| s.trim().to_ascii_uppercase())
                .collect();
            symbols.sort();
            symbols.dedup();
            settings.watchlist = symbols;
            settings.quotes = false;
            settings.channel_capacity = Some(128);
        }
        let session = if trading.is_some() { orders::SessionKind::Trading } else { orders::SessionKind::Monitor };
        let configured = TradingEvent::Configured {
            session,
            allow_live: config.trading.allow_live,
            precautions: config.trading.precautions.clone(),
        };
        let _ = events_tx.send(StoreEvent::Trading(configured)).await;
        let (inbox, journal) = match trading {
            Some((inbox, slot)) => {
                let journal = open_journal(&paths, &events_tx).await;
                *slot = journal.clone();
                (Some(inbox), journal)
            }
            None => (None, None),
        };
        let (broker, commands) = mpsc::channel(16);
        let broker_reporter = Reporter::register("broker", events_tx.clone());
        let broker_task = spawn_broker(settings, events_tx.clone(), commands, inbox, journal, broker_reporter);

        let strategy_reporter = Reporter::register("strategy", events_tx.clone());
        let (specs, rejected) = strategy::parse_strategies(config.strategies.clone());
        let configured = SessionEvent::Configured { watchlist: config.watchlist.clone(), strategies: specs.len() };
        let _ = events_tx.send(StoreEvent::Session(configured)).await;
        let (market, market_rx) = mpsc::channel(strategy::INPUT_CAPACITY);
        tokio::spawn(strategy::run(specs, rejected, market_rx, events_tx.clone(), strategy_reporter));

        Core { config, paths, events, events_tx, broker, broker_task, gateway, log, address, market }
    }

    /// Hand market data the strategies need to the strategy task. Never waits: when the
    /// strategies are behind, the bar is dropped (the strategy task reports drops).
    pub fn route(&self, event: &StoreEvent) {
        if let StoreEvent::Broker(BrokerEvent::Bar { symbol, time, open, high, low, close, volume }) = event {
            let bar = strategy::Bar {
                symbol: symbol.clone(),
                time: *time,
                open: *open,
                high: *high,
                low: *low,
                close: *close,
                volume: *volume,
            };
            let _ = self.market.try_send(bar.into());
        }
    }

    /// Disconnect the broker cleanly, then stop the gateway if this process hosts it.
    pub async fn shutdown(self) {
        let _ = self.broker.send(BrokerCommand::Shutdown).await;
        if tokio::time::timeout(Duration::from_secs(3), self.broker_task).await.is_err() {
            tracing::warn!("broker task did not stop within 3s");
        }
        if let Some(gateway) = self.gateway.lock().await.take() {
            gateway.shutdown().await;
        }
        tracing::info!("robo-tui stopped");
    }
}

/// The broker runs supervised: a panic is reported and the task restarted; the UI lives on.
fn spawn_broker(
    settings: BrokerSettings,
    events: mpsc::Sender<StoreEvent>,
    commands: mpsc::Receiver<BrokerCommand>,
    inbox: Option<OrderDeskInbox>,
    journal: Option<SharedJournal>,
    reporter: Reporter,
) -> JoinHandle<()> {
    let inbox = std::sync::Arc::new(tokio::sync::Mutex::new(inbox));
    // The command receiver outlives any one run, so a restarted run picks it up again.
    let commands = std::sync::Arc::new(tokio::sync::Mutex::new(commands));
    let policy = RestartPolicy::Backoff { initial: Duration::from_secs(1), max: Duration::from_secs(30) };
    spawn_supervised(reporter, policy, move |reporter| {
        let settings = settings.clone();
        let events = events.clone();
        let commands = commands.clone();
        let inbox = inbox.clone();
        let journal = journal.clone();
        async move {
            let mut commands = commands.lock().await;
            let mut inbox = inbox.lock().await;
            broker::run(settings, events, &mut commands, inbox.as_mut(), journal, reporter).await;
            Ok::<(), String>(())
        }
    })
}

/// Open today's order journal in the data folder. When it cannot be opened, order entry is
/// disabled and diagnostics says why; nothing else is affected.
async fn open_journal(paths: &Paths, events: &mpsc::Sender<StoreEvent>) -> Option<SharedJournal> {
    let reporter = Reporter::register("journal", events.clone());
    let dir = paths.data_dir.join("journal");
    let run_id = format!("run-{}-{}", Utc::now().format("%Y%m%dT%H%M%S"), std::process::id());
    match orders::Journal::open(&dir, &run_id, Utc::now()) {
        Ok(journal) => {
            reporter.ok(format!("{}", dir.display()));
            Some(std::sync::Arc::new(std::sync::Mutex::new(journal)))
        }
        Err(error) => {
            let reason = format!("journal unwritable: {error}");
            reporter.failed("order entry disabled", vec![reason.clone()]);
            let _ = events.send(StoreEvent::Trading(TradingEvent::Journal(Some(reason)))).await;
            None
        }
    }
}

/// The embedded gateway this process hosts, if it does.
pub type GatewaySlot = std::sync::Arc<tokio::sync::Mutex<Option<GatewayHandle>>>;

/// While another robo-tui hosts the embedded gateway, watch its port; when the host has gone
/// (nothing answers), take over hosting from the same state file so every robo-tui on the
/// machine reconnects to the same paper account. Binding is atomic, so when several wait, one
/// wins and the others keep watching.
async fn keep_gateway(port: u16, state_file: std::path::PathBuf, reporter: Reporter, slot: GatewaySlot) {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    // Spread the watchers out a little.
    let offset = Duration::from_millis(u64::from(std::process::id() % 500));
    loop {
        tokio::time::sleep(Duration::from_secs(1) + offset).await;
        // Probe by binding, not by connecting: the host's gateway sees no traffic from us.
        if std::net::TcpListener::bind(address).is_err() {
            continue;
        }
        let mut config = GatewayConfig::embedded(port);
        config.state_file = Some(state_file.clone());
        match gateway::spawn(config).await {
            Ok(handle) => {
                tracing::info!(%address, "the gateway's host exited; hosting the simulated IB Gateway here now");
                reporter
                    .ok(format!("took over hosting the simulated IB Gateway on {address} (the previous host exited)"));
                *slot.lock().await = Some(handle);
                return;
            }
            Err(GatewayError::AddrInUse(_)) => continue,
            Err(error) => {
                reporter.degraded("could not take over hosting the gateway", crate::diagnostics::error_chain(&error));
            }
        }
    }
}

/// Host the simulated gateway on loopback, or join the one another robo-tui already hosts.
async fn host_embedded(config: &Config, paths: &Paths, reporter: &Reporter) -> (String, String, Option<GatewayHandle>) {
    let port = config.broker.embedded_port;
    let mut gateway_config = GatewayConfig::embedded(port);
    gateway_config.state_file = Some(paths.data_dir.join("gateway-state.json"));
    match gateway::spawn(gateway_config).await {
        Ok(handle) => {
            let address = handle.local_addr().to_string();
            reporter.ok(format!("simulated IB Gateway hosted here on {address}"));
            (address, "embedded (hosted here)".to_string(), Some(handle))
        }
        Err(GatewayError::AddrInUse(addr)) => {
            let address = SocketAddr::from(([127, 0, 0, 1], addr.port())).to_string();
            reporter.ok(format!("joining the simulated IB Gateway another robo-tui hosts on {address}"));
            (address, "embedded (hosted by another robo-tui)".to_string(), None)
        }
        Err(error) => {
            let address = format!("127.0.0.1:{port}");
            reporter.failed("could not start the simulated IB Gateway", crate::diagnostics::error_chain(&error));
            (address, "embedded (failed to start)".to_string(), None)
        }
    }
}

/// The embedded defaults are tested to parse; if they somehow did not, nothing can run.
fn unreachable_defaults() -> Config {
    panic!("the embedded default config does not parse: this is a build defect")
}
