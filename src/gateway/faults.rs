//! Fault knobs for tests and demos: a cloneable control handle and the `--faults` spec parser.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;

use super::GatewayError;

/// Where to close a connection during the handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandshakeStep {
    /// Right after accept, before reading anything.
    OnAccept,
    /// After reading `API\0` and the version string, before replying.
    AfterVersion,
    /// After sending the version reply, before START_API.
    AfterReply,
    /// After receiving START_API, before NextValidId.
    AfterStartApi,
    /// After NextValidId, before ManagedAccounts.
    AfterNextValidId,
}

impl HandshakeStep {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "accept" => Self::OnAccept,
            "version" => Self::AfterVersion,
            "reply" => Self::AfterReply,
            "start-api" => Self::AfterStartApi,
            "next-valid-id" => Self::AfterNextValidId,
            _ => return None,
        })
    }
}

/// The knob settings sessions consult.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultSettings {
    pub refuse: bool,
    pub close_at: Option<HandshakeStep>,
    pub silent: bool,
    pub stall: bool,
    pub delay: Option<Duration>,
    pub pacing: bool,
    /// Announce this server version in the handshake instead of the negotiated one.
    pub server_version: Option<i32>,
    /// Put this zone name in the handshake's connection time instead of US/Eastern.
    pub time_zone: Option<String>,
    /// Right after the handshake, send the client's working orders and today's executions.
    pub orders_at_connect: bool,
}

/// A command that needs the server to act now.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultCommand {
    /// Send an ERR_MSG to every client: id -1 for global notices, or an order id.
    Notice {
        id: i32,
        code: i32,
        text: String,
    },
    /// Drop every connection, refuse for `down_for`, then come back with NextValidId + bump.
    Restart {
        down_for: Duration,
        id_bump: i32,
    },
    /// Write a frame with an impossible length prefix to every client (framing desync).
    CorruptFrame,
    /// Managed accounts for connections made from now on.
    SetAccounts(Vec<String>),
    /// The next order id handed out.
    SetNextValidId(i32),
    /// Executions limited to the size shown at the touch.
    PartialFills(bool),
    /// The next order status carries the f64::MAX sentinel in filled / remaining.
    SentinelNextStatus,
    SwallowNextOrder,
    DuplicateNextExecution,
    ReorderNextStatuses,
    LateNextCommission(Duration),
    /// 1100: IB's link is lost; order reports are lost until it comes back.
    LinkLost,
    /// 1101 (`data_lost`: market data subscriptions are gone) or 1102.
    LinkRestored {
        data_lost: bool,
    },
    /// Every client's market data subscriptions are forgotten without a notice (what a 1102
    /// "data maintained" sometimes hides).
    DropMarketData,
    /// Move a symbol's market by a number of ticks at once.
    MoveMarket {
        symbol: String,
        ticks: i64,
    },
    /// Move the simulated clock forward at once (DAY and GTD orders due by then expire).
    AdvanceClock(Duration),
}

#[derive(Debug)]
struct Inner {
    settings: watch::Sender<FaultSettings>,
    commands: tokio::sync::mpsc::UnboundedSender<FaultCommand>,
}

/// Cloneable handle to the gateway's fault knobs.
#[derive(Debug, Clone)]
pub struct FaultControl {
    inner: Arc<Mutex<Inner>>,
    settings_rx: watch::Receiver<FaultSettings>,
}

impl FaultControl {
    pub(crate) fn new(initial: FaultSettings) -> (Self, tokio::sync::mpsc::UnboundedReceiver<FaultCommand>) {
        let (tx, rx) = watch::channel(initial);
        let (ctx, crx) = tokio::sync::mpsc::unbounded_channel();
        (Self { inner: Arc::new(Mutex::new(Inner { settings: tx, commands: ctx })), settings_rx: rx }, crx)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn modify(&self, f: impl FnOnce(&mut FaultSettings)) {
        self.lock().settings.send_modify(f);
    }

    fn command(&self, c: FaultCommand) {
        let _ = self.lock().commands.send(c);
    }

    pub fn settings(&self) -> FaultSettings {
        self.settings_rx.borrow().clone()
    }

    pub(crate) fn watch(&self) -> watch::Receiver<FaultSettings> {
        self.settings_rx.clone()
    }

    /// Refuse connections (the listener is closed: clients see ECONNREFUSED).
    pub fn set_refuse(&self, on: bool) {
        self.modify(|s| s.refuse = on);
    }

    /// Accept, then close at `step` of the handshake (`None` = normal handshakes).
    pub fn set_close_at(&self, step: Option<HandshakeStep>) {
        self.modify(|s| s.close_at = step);
    }

    /// Accept and never send a byte (half-open gateway).
    pub fn set_silent(&self, on: bool) {
        self.modify(|s| s.silent = on);
    }

    /// Stop answering requests (and pushing data) while keeping sockets open.
    pub fn set_stall(&self, on: bool) {
        self.modify(|s| s.stall = on);
    }

    /// Delay every reply by `delay` (`None` = no delay).
    pub fn set_delay(&self, delay: Option<Duration>) {
        self.modify(|s| s.delay = delay);
    }

    /// Enforce the 50 messages a second limit (code 0 near it, error 100 and disconnect above).
    pub fn set_pacing(&self, on: bool) {
        self.modify(|s| s.pacing = on);
    }

    /// Send notice `code` with id -1 (global) to every client.
    pub fn notice(&self, code: i32) {
        self.notice_for(-1, code, None);
    }

    /// Send notice `code` for `id` (an order id, or -1) with IB's text or `text`.
    pub fn notice_for(&self, id: i32, code: i32, text: Option<&str>) {
        let text = text.map(str::to_string).unwrap_or_else(|| notice_text(code).to_string());
        self.command(FaultCommand::Notice { id, code, text });
    }

    /// Drop every connection and come back after `down_for` with NextValidId raised by `id_bump`.
    pub fn restart(&self, down_for: Duration, id_bump: i32) {
        self.command(FaultCommand::Restart { down_for, id_bump });
    }

    /// Announce `version` in the handshake (`None` = negotiate normally).
    pub fn set_server_version(&self, version: Option<i32>) {
        self.modify(|s| s.server_version = version);
    }

    /// Use `zone` in the handshake's connection time (`None` = US/Eastern).
    pub fn set_time_zone(&self, zone: Option<&str>) {
        let zone = zone.map(str::to_string);
        self.modify(|s| s.time_zone = zone);
    }

    /// Send every client a frame with a bogus length prefix.
    pub fn corrupt_frame(&self) {
        self.command(FaultCommand::CorruptFrame);
    }

    /// Managed accounts reported to connections made from now on.
    pub fn set_accounts(&self, accounts: &[&str]) {
        self.command(FaultCommand::SetAccounts(accounts.iter().map(|a| a.to_string()).collect()));
    }

    /// The next order id the gateway hands out.
    pub fn set_next_valid_id(&self, id: i32) {
        self.command(FaultCommand::SetNextValidId(id));
    }

    /// Fill orders in executions of at most the size shown at the touch (partial fills).
    pub fn set_partial_fills(&self, on: bool) {
        self.command(FaultCommand::PartialFills(on));
    }

    /// The next order status carries `1.7976931348623157E308` in filled and remaining.
    pub fn sentinel_next_status(&self) {
        self.command(FaultCommand::SentinelNextStatus);
    }

    /// Send working orders and today's executions right after each handshake.
    pub fn set_orders_at_connect(&self, on: bool) {
        self.modify(|s| s.orders_at_connect = on);
    }

    pub fn swallow_next_order(&self) {
        self.command(FaultCommand::SwallowNextOrder);
    }

    pub fn duplicate_next_execution(&self) {
        self.command(FaultCommand::DuplicateNextExecution);
    }

    pub fn reorder_next_statuses(&self) {
        self.command(FaultCommand::ReorderNextStatuses);
    }

    pub fn late_next_commission(&self, delay: Duration) {
        self.command(FaultCommand::LateNextCommission(delay));
    }

    /// IB's link goes down: notice 1100, and order reports (fills included) are lost until
    /// [`FaultControl::link_restored`].
    pub fn link_lost(&self) {
        self.command(FaultCommand::LinkLost);
    }

    /// IB's link is back: 1101 (market data subscriptions lost) or 1102 (data maintained).
    pub fn link_restored(&self, data_lost: bool) {
        self.command(FaultCommand::LinkRestored { data_lost });
    }

    /// Forget every client's market data subscriptions, silently.
    pub fn drop_market_data(&self) {
        self.command(FaultCommand::DropMarketData);
    }

    /// Move `symbol`'s market by `ticks` now (resting orders it crosses fill).
    pub fn move_market(&self, symbol: &str, ticks: i64) {
        self.command(FaultCommand::MoveMarket { symbol: symbol.to_ascii_uppercase(), ticks });
    }

    /// Move the simulated clock forward by `by` now: DAY orders past their session's close and
    /// GTD orders past their date expire. Prices do not move.
    pub fn advance_clock(&self, by: Duration) {
        self.command(FaultCommand::AdvanceClock(by));
    }

    /// Applies a `--faults` spec (see [`parse_spec`]).
    pub fn apply(&self, spec: &FaultSpec) {
        let s = spec.settings.clone();
        self.modify(|cur| *cur = s);
        for c in &spec.commands {
            self.command(c.clone());
        }
    }
}

/// IB's text for the notices the knobs can send.
pub fn notice_text(code: i32) -> &'static str {
    match code {
        0 => "Warning: Approaching max rate of 50 messages per second (45)",
        100 => "Max rate of messages per second has been exceeded:max=50 rec=51 (1)",
        1100 => "Connectivity between IB and Trader Workstation has been lost.",
        1101 => "Connectivity between IB and Trader Workstation has been restored - data lost.",
        1102 => "Connectivity between IB and Trader Workstation has been restored - data maintained.",
        1300 => "TWS socket port has been reset and this connection is being dropped. Please reconnect on port 4002",
        2103 => "Market data farm connection is broken:usfarm",
        2104 => "Market data farm connection is OK:usfarm",
        2105 => "HMDS data farm connection is broken:ushmds",
        2106 => "HMDS data farm connection is OK:ushmds",
        2157 => "Sec-def data farm connection is broken:secdefnj",
        2158 => "Sec-def data farm connection is OK:secdefnj",
        10167 => "Requested market data is not subscribed. Displaying delayed market data.",
        10349 => "Order TIF was set to DAY based on order preset.",
        399 => "Order Message:\nWarning: your order will not be placed at the exchange until 2026-11-30 09:30:00 US/Eastern.",
        321 => "Error validating request.-'bN' : cause - The API interface is currently in Read-Only mode.",
        202 => "Order Canceled - reason:",
        _ => "Simulated notice",
    }
}

/// A parsed `--faults` option.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultSpec {
    pub settings: FaultSettings,
    pub commands: Vec<FaultCommand>,
}

fn duration(spec: &str, v: &str) -> Result<Duration, GatewayError> {
    let bad = || GatewayError::BadFaultSpec {
        spec: spec.to_string(),
        what: format!("{v:?} is not a duration like 250ms, 2s, 5m or 7h"),
    };
    let (num, unit) = v.find(|c: char| !c.is_ascii_digit()).map(|i| v.split_at(i)).unwrap_or((v, "ms"));
    let n: u64 = num.parse().map_err(|_| bad())?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n.saturating_mul(60))),
        "h" => Ok(Duration::from_secs(n.saturating_mul(3600))),
        _ => Err(bad()),
    }
}

/// Parses `refuse,silent,stall,pacing,delay=200ms,close-at=start-api,notice=1100,
/// notice=202@5,swallow-order,dup-exec,reorder-status,late-commission=2s,restart=3s,
/// server-version=200,timezone=Some Standard Time,corrupt,accounts=DU1+U2,
/// next-valid-id=1500000000,partial-fills,sentinel-status,orders-at-connect,link-lost,
/// link-restored=data-lost|maintained,move=AAPL:-50,drop-market-data,advance=7h`.
pub fn parse_spec(spec: &str) -> Result<FaultSpec, GatewayError> {
    let mut out = FaultSpec::default();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (key, value) = item.split_once('=').map(|(k, v)| (k, Some(v))).unwrap_or((item, None));
        let need = || {
            value.ok_or_else(|| GatewayError::BadFaultSpec {
                spec: spec.to_string(),
                what: format!("{key} needs a value"),
            })
        };
        match key {
            "refuse" => out.settings.refuse = true,
            "silent" => out.settings.silent = true,
            "stall" => out.settings.stall = true,
            "pacing" => out.settings.pacing = true,
            "delay" => out.settings.delay = Some(duration(spec, need()?)?),
            "close-at" => {
                let v = need()?;
                out.settings.close_at = Some(HandshakeStep::parse(v).ok_or_else(|| GatewayError::BadFaultSpec {
                    spec: spec.to_string(),
                    what: format!("unknown handshake step {v:?} (accept, version, reply, start-api, next-valid-id)"),
                })?);
            }
            "notice" => {
                let v = need()?;
                let (code, id) = v.split_once('@').unwrap_or((v, "-1"));
                let bad = || GatewayError::BadFaultSpec { spec: spec.to_string(), what: format!("bad notice {v:?}") };
                let code: i32 = code.parse().map_err(|_| bad())?;
                let id: i32 = id.parse().map_err(|_| bad())?;
                out.commands.push(FaultCommand::Notice { id, code, text: notice_text(code).into() });
            }
            "restart" => out.commands.push(FaultCommand::Restart { down_for: duration(spec, need()?)?, id_bump: 1000 }),
            "server-version" => {
                let v = need()?;
                out.settings.server_version = Some(v.parse().map_err(|_| GatewayError::BadFaultSpec {
                    spec: spec.to_string(),
                    what: format!("bad server version {v:?}"),
                })?);
            }
            "timezone" => out.settings.time_zone = Some(need()?.to_string()),
            "corrupt" => out.commands.push(FaultCommand::CorruptFrame),
            "partial-fills" => out.commands.push(FaultCommand::PartialFills(true)),
            "sentinel-status" => out.commands.push(FaultCommand::SentinelNextStatus),
            "orders-at-connect" => out.settings.orders_at_connect = true,
            "accounts" => {
                let list: Vec<String> = need()?.split('+').map(str::to_string).filter(|a| !a.is_empty()).collect();
                out.commands.push(FaultCommand::SetAccounts(list));
            }
            "next-valid-id" => {
                let v = need()?;
                out.commands.push(FaultCommand::SetNextValidId(v.parse().map_err(|_| GatewayError::BadFaultSpec {
                    spec: spec.to_string(),
                    what: format!("bad order id {v:?}"),
                })?));
            }
            "link-lost" => out.commands.push(FaultCommand::LinkLost),
            "drop-market-data" => out.commands.push(FaultCommand::DropMarketData),
            "link-restored" => {
                let data_lost = match value {
                    None | Some("maintained") => false,
                    Some("data-lost") => true,
                    Some(v) => {
                        return Err(GatewayError::BadFaultSpec {
                            spec: spec.to_string(),
                            what: format!("link-restored={v:?}: say data-lost or maintained"),
                        })
                    }
                };
                out.commands.push(FaultCommand::LinkRestored { data_lost });
            }
            "move" => {
                let v = need()?;
                let bad = || GatewayError::BadFaultSpec {
                    spec: spec.to_string(),
                    what: format!("move={v:?} is not SYMBOL:TICKS like AAPL:-50"),
                };
                let (symbol, ticks) = v.split_once(':').ok_or_else(bad)?;
                let ticks: i64 = ticks.parse().map_err(|_| bad())?;
                if symbol.is_empty() {
                    return Err(bad());
                }
                out.commands.push(FaultCommand::MoveMarket { symbol: symbol.to_ascii_uppercase(), ticks });
            }
            "advance" => out.commands.push(FaultCommand::AdvanceClock(duration(spec, need()?)?)),
            "swallow-order" => out.commands.push(FaultCommand::SwallowNextOrder),
            "dup-exec" => out.commands.push(FaultCommand::DuplicateNextExecution),
            "reorder-status" => out.commands.push(FaultCommand::ReorderNextStatuses),
            "late-commission" => out.commands.push(FaultCommand::LateNextCommission(duration(spec, need()?)?)),
            other => {
                return Err(GatewayError::BadFaultSpec {
                    spec: spec.to_string(),
                    what: format!("unknown knob {other:?}"),
                })
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_knob() {
        let s = parse_spec("refuse,silent,stall,pacing,delay=200ms,close-at=start-api,notice=1100,notice=202@5,swallow-order,dup-exec,reorder-status,late-commission=2s,restart=3s")
            .expect("parses");
        assert!(s.settings.refuse && s.settings.silent && s.settings.stall && s.settings.pacing);
        assert_eq!(s.settings.delay, Some(Duration::from_millis(200)));
        assert_eq!(s.settings.close_at, Some(HandshakeStep::AfterStartApi));
        assert_eq!(s.commands.len(), 7);
        assert!(s.commands.contains(&FaultCommand::Notice { id: 5, code: 202, text: notice_text(202).into() }));
        assert!(s.commands.contains(&FaultCommand::LateNextCommission(Duration::from_secs(2))));
    }

    #[test]
    fn parses_protocol_knobs() {
        let s = parse_spec(
            "server-version=200,timezone=Some Standard Time,corrupt,accounts=DU1+U2,next-valid-id=1500000000",
        )
        .expect("parses");
        assert_eq!(s.settings.server_version, Some(200));
        assert_eq!(s.settings.time_zone.as_deref(), Some("Some Standard Time"));
        assert!(s.commands.contains(&FaultCommand::CorruptFrame));
        assert!(s.commands.contains(&FaultCommand::SetAccounts(vec!["DU1".into(), "U2".into()])));
        assert!(s.commands.contains(&FaultCommand::SetNextValidId(1_500_000_000)));
        let s = parse_spec("partial-fills,sentinel-status,orders-at-connect").expect("parses");
        assert!(s.settings.orders_at_connect);
        assert!(s.commands.contains(&FaultCommand::PartialFills(true)));
        assert!(s.commands.contains(&FaultCommand::SentinelNextStatus));
    }

    #[test]
    fn parses_link_and_market_knobs() {
        let s = parse_spec("link-lost,link-restored=data-lost,link-restored,move=aapl:-50,drop-market-data,advance=7h")
            .expect("parses");
        assert_eq!(
            s.commands,
            vec![
                FaultCommand::LinkLost,
                FaultCommand::LinkRestored { data_lost: true },
                FaultCommand::LinkRestored { data_lost: false },
                FaultCommand::MoveMarket { symbol: "AAPL".into(), ticks: -50 },
                FaultCommand::DropMarketData,
                FaultCommand::AdvanceClock(Duration::from_secs(7 * 3600)),
            ]
        );
        let e = parse_spec("move=AAPL").expect_err("bad").to_string();
        assert!(e.contains("AAPL") && e.contains("SYMBOL:TICKS"), "{e}");
        let e = parse_spec("link-restored=soon").expect_err("bad").to_string();
        assert!(e.contains("soon"), "{e}");
    }

    #[test]
    fn bad_specs_name_the_problem() {
        let e = parse_spec("delay=fast").expect_err("bad").to_string();
        assert!(e.contains("fast"), "{e}");
        let e = parse_spec("explode").expect_err("bad").to_string();
        assert!(e.contains("explode"), "{e}");
        let e = parse_spec("close-at=never").expect_err("bad").to_string();
        assert!(e.contains("never"), "{e}");
    }
}
