//! The simulated IB Gateway: a loopback server that speaks the TWS API wire protocol (the
//! protobuf dialect at server version 226 for ibapi, the classic text dialect up to 178 for
//! ib_async and older clients, chosen per connection) and runs a seeded paper market and broker
//! behind it.
//!
//! It shares no types with the rest of the crate: it is the other side of the wire.
//!
//! Layout: `wire` (framing, handshake, hand-written prost messages, the per-connection codecs:
//! `proto` and `text`),
//! `session` (one connection: handshake, requests, subscriptions), `server` (listener, market
//! clock, fault dispatcher), `engine` (accounts, orders, executions; the single owner of
//! state), `market` (seeded random walk and 5-second bars), `orders` (validation and
//! matching), `groups` (transmit staging, parent/child, OCA), `trail` (trailing stops), `tif`
//! (DAY / GTD expiry), `account` (cash, positions, P&L, Reg-T margin), `history` (historical bars),
//! `report` (outbound messages from state), `persist` (`--state`), `faults` (knobs),
//! `universe` (assets), `cli` (`robo-tui gateway`).
//!
//! Requests answered: handshake and START_API, reqIds, managed accounts, current time (and in
//! millis), account summary (all tags, `$LEDGER`), account updates with portfolio, positions,
//! positions multi, account updates multi, PnL, PnL single, market data (streaming and
//! snapshot), market data type, real-time bars, tick-by-tick, contract details, historical
//! data (with keepUpToDate), head timestamp, matching symbols, market rule, place / modify /
//! cancel / global cancel, open / all open / completed orders, executions.
//!
//! Orders served: MKT, LMT, STP, STP LMT, TRAIL, TRAIL LIMIT with DAY, GTC, GTD and IOC;
//! parent/child (brackets) with `transmit` staging; OCA groups of types 1-3; what-if. Other
//! order types and IB algos are refused with 387, other TIFs with 201. Cancels stop their
//! subscription silently; other request types get error 321.

pub mod account;
pub mod cli;
pub mod clock;
pub mod engine;
pub mod error;
pub mod faults;
pub mod groups;
pub mod history;
pub mod market;
pub mod orders;
pub mod persist;
pub mod report;
pub mod rng;
pub mod server;
pub mod session;
pub mod subscriptions;
pub mod tif;
pub mod trail;
pub mod universe;
pub mod wire;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use rust_decimal::Decimal;

pub use cli::{run_standalone, GatewayArgs};
pub use error::GatewayError;
pub use faults::{FaultControl, FaultSpec, HandshakeStep};
pub use server::{GatewayHandle, ReceivedOrder};

/// How to run a gateway.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    pub bind: SocketAddr,
    /// Managed accounts, first is the default for orders without an account.
    pub accounts: Vec<String>,
    pub seed: u64,
    pub state_file: Option<PathBuf>,
    /// A universe file replacing the embedded `assets/universe.toml`.
    pub universe: Option<PathBuf>,
    /// Simulated seconds per real second; 0 freezes the market.
    pub speed: f64,
    /// Faults active from the start.
    pub faults: FaultSpec,
    /// Precautionary total value limit (error 451); `None` = the one in `assets/account.toml`.
    pub total_value_limit: Option<Decimal>,
    /// Allow a non-loopback bind address (the CLI sets it when `--bind` is given).
    pub allow_non_loopback: bool,
}

impl GatewayConfig {
    /// 127.0.0.1:port, account DU1234567, seed 1, speed 1.0, no state file.
    pub fn embedded(port: u16) -> Self {
        Self {
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
            accounts: vec!["DU1234567".to_string()],
            seed: 1,
            state_file: None,
            universe: None,
            speed: 1.0,
            faults: FaultSpec::default(),
            total_value_limit: None,
            allow_non_loopback: false,
        }
    }
}

/// Where the embedded gateway keeps its paper account: robo-tui's data folder.
pub fn default_state_file() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("robo-tui").join("gateway-state.json"))
}

/// Binds and spawns the gateway on the current tokio runtime.
pub async fn spawn(config: GatewayConfig) -> Result<GatewayHandle, GatewayError> {
    spawn_inner(config, None).await
}

pub(crate) async fn spawn_inner(
    config: GatewayConfig,
    summary_tx: Option<tokio::sync::mpsc::UnboundedSender<String>>,
) -> Result<GatewayHandle, GatewayError> {
    if !config.allow_non_loopback && !config.bind.ip().is_loopback() {
        return Err(GatewayError::NonLoopback(config.bind));
    }
    if config.accounts.is_empty() || config.accounts.iter().any(|a| a.trim().is_empty() || a.contains(',')) {
        return Err(GatewayError::BadConfig(format!("accounts {:?}: need one or more non-empty ids", config.accounts)));
    }
    if !(config.speed >= 0.0 && config.speed.is_finite()) {
        return Err(GatewayError::BadConfig(format!("speed {} must be a finite number >= 0", config.speed)));
    }
    let universe = match &config.universe {
        Some(path) => universe::Universe::load(path)?,
        None => universe::Universe::embedded()?,
    };
    let book = universe::AccountBook::embedded()?;
    let engine = engine::Engine::new(
        universe,
        &book,
        &config.accounts,
        config.seed,
        clock::now_ms(),
        config.state_file.clone(),
        config.total_value_limit,
    )?;
    let (control, commands) = FaultControl::new(Default::default());
    control.apply(&config.faults);
    server::start(config.bind, server::Parts { engine, speed: config.speed, control, commands, summary_tx, book }).await
}
