//! The listener, the market clock and the fault dispatcher: everything that runs beside the
//! sessions. State shared by all of them lives in [`Shared`].

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::engine::Engine;
use super::faults::{FaultCommand, FaultControl};
use super::market::STEP_MS;
use super::report;
use super::session;
use super::GatewayError;

/// State every task of one gateway shares.
pub struct Shared {
    engine: Mutex<Engine>,
    market_tx: watch::Sender<u64>,
    account_tx: watch::Sender<u64>,
    shutdown_tx: watch::Sender<bool>,
    down_until: watch::Sender<Option<Instant>>,
    pub faults: FaultControl,
    pacing: Mutex<(u64, u32)>,
    summary_tx: Option<mpsc::UnboundedSender<String>>,
    connections: AtomicU64,
    book: super::universe::AccountBook,
    /// Every PlaceOrder as it arrived on the wire, for tests that check what clients sent.
    received: Mutex<Vec<ReceivedOrder>>,
}

/// A PlaceOrder request as it arrived, before any validation.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedOrder {
    pub client_id: i32,
    pub order_id: Option<i32>,
    pub symbol: Option<String>,
    pub action: Option<String>,
    pub total_quantity: Option<String>,
    pub order_type: Option<String>,
    pub lmt_price: Option<f64>,
    pub aux_price: Option<f64>,
    pub tif: Option<String>,
    pub account: Option<String>,
    pub what_if: bool,
    /// 0 when the order names no parent.
    pub parent_id: i32,
    pub transmit: bool,
    pub oca_group: Option<String>,
    pub oca_type: i32,
}

impl Shared {
    /// Remember a PlaceOrder as it arrived.
    pub fn record_order(&self, order: ReceivedOrder) {
        self.received.lock().unwrap_or_else(|e| e.into_inner()).push(order);
    }

    pub fn engine(&self) -> MutexGuard<'_, Engine> {
        self.engine.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn market_rx(&self) -> watch::Receiver<u64> {
        self.market_tx.subscribe()
    }

    pub fn account_rx(&self) -> watch::Receiver<u64> {
        self.account_tx.subscribe()
    }

    pub fn shutdown_rx(&self) -> watch::Receiver<bool> {
        self.shutdown_tx.subscribe()
    }

    pub fn market_changed(&self) {
        self.market_tx.send_modify(|v| *v += 1);
    }

    pub fn account_changed(&self) {
        self.account_tx.send_modify(|v| *v += 1);
    }

    /// The market moved; with `account`, fills changed the accounts too.
    pub fn market_moved(&self, account: bool) {
        self.market_changed();
        if account {
            self.account_changed();
        }
    }

    /// A one-line event for the standalone command's stdout.
    pub fn summary(&self, line: String) {
        if let Some(tx) = &self.summary_tx {
            let _ = tx.send(line);
        }
    }

    /// Counts one request against the gateway-wide 50 msg/s budget: (count this second, second).
    pub fn pace(&self) -> (u32, u64) {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let mut p = self.pacing.lock().unwrap_or_else(|e| e.into_inner());
        if p.0 != now {
            *p = (now, 0);
        }
        p.1 += 1;
        (p.1, now)
    }
}

/// A running gateway.
pub struct GatewayHandle {
    local_addr: SocketAddr,
    control: FaultControl,
    shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
}

impl GatewayHandle {
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn control(&self) -> FaultControl {
        self.control.clone()
    }

    /// Client ids connected right now.
    pub fn client_ids(&self) -> Vec<i32> {
        self.shared.engine().client_ids()
    }

    /// Every PlaceOrder received so far, as it arrived on the wire.
    pub fn received_orders(&self) -> Vec<ReceivedOrder> {
        self.shared.received.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Every execution the gateway made today, oldest first.
    pub fn executions(&self) -> Vec<super::engine::ExecRecord> {
        self.shared.engine().executions().to_vec()
    }

    /// (bid, ask, last) of `symbol` now.
    pub fn quote(&self, symbol: &str) -> Option<(f64, f64, f64)> {
        use rust_decimal::prelude::ToPrimitive;
        let eng = self.shared.engine();
        let index = eng.universe.index_of_symbol(symbol)?;
        let q = eng.market.quote(index)?;
        Some((q.bid.to_f64()?, q.ask.to_f64()?, q.last.to_f64()?))
    }

    /// The simulated clock (epoch ms): the market's time, which DAY and GTD expiry follow.
    pub fn sim_time_ms(&self) -> i64 {
        self.shared.engine().market.sim_time_ms()
    }

    /// Status of an order as the gateway holds it ("Submitted", "Inactive", ...).
    pub fn order_status(&self, client_id: i32, order_id: i32) -> Option<&'static str> {
        self.shared
            .engine()
            .orders()
            .find(|o| o.client_id == client_id && o.order_id == order_id)
            .map(|o| o.status.as_str())
    }

    /// Next order id the gateway would hand out.
    pub fn next_valid_id(&self) -> i32 {
        self.shared.engine().next_valid_id()
    }

    /// Stops accepting, closes every session and waits for the gateway's tasks.
    pub async fn shutdown(mut self) {
        self.signal_shutdown();
        for mut t in std::mem::take(&mut self.tasks) {
            // Tasks stop at the signal; never let a stuck one hang the caller.
            if tokio::time::timeout(Duration::from_secs(5), &mut t).await.is_err() {
                tracing::warn!("gateway: a task did not stop in time; aborting it");
                t.abort();
            }
        }
    }

    fn signal_shutdown(&self) {
        self.shared.shutdown_tx.send_replace(true);
        self.shared.engine().close_all();
    }
}

impl Drop for GatewayHandle {
    /// Dropping the handle stops the gateway too (without waiting for its tasks).
    fn drop(&mut self) {
        self.signal_shutdown();
    }
}

pub(crate) struct Parts {
    pub engine: Engine,
    pub speed: f64,
    pub control: FaultControl,
    pub commands: mpsc::UnboundedReceiver<FaultCommand>,
    pub summary_tx: Option<mpsc::UnboundedSender<String>>,
    pub book: super::universe::AccountBook,
}

pub(crate) async fn start(bind: SocketAddr, mut parts: Parts) -> Result<GatewayHandle, GatewayError> {
    parts.engine.set_summary(parts.summary_tx.clone());
    let listener = TcpListener::bind(bind).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => GatewayError::AddrInUse(bind),
        _ => GatewayError::Io { what: format!("binding {bind}"), source: e },
    })?;
    let local_addr = listener
        .local_addr()
        .map_err(|source| GatewayError::Io { what: format!("reading the bound address of {bind}"), source })?;
    let (market_tx, _) = watch::channel(0u64);
    let (account_tx, _) = watch::channel(0u64);
    let (shutdown_tx, _) = watch::channel(false);
    let (down_until, _) = watch::channel(None);
    let shared = Arc::new(Shared {
        engine: Mutex::new(parts.engine),
        market_tx,
        account_tx,
        shutdown_tx,
        down_until,
        faults: parts.control.clone(),
        pacing: Mutex::new((0, 0)),
        summary_tx: parts.summary_tx,
        connections: AtomicU64::new(0),
        book: parts.book,
        received: Mutex::new(Vec::new()),
    });
    shared.summary(format!("listening on {local_addr}"));
    tracing::info!(%local_addr, "gateway: listening");
    let tasks = vec![
        tokio::spawn(accept_loop(shared.clone(), listener, local_addr)),
        tokio::spawn(market_clock(shared.clone(), parts.speed)),
        tokio::spawn(fault_dispatcher(shared.clone(), parts.commands)),
    ];
    Ok(GatewayHandle { local_addr, control: parts.control, shared, tasks })
}

async fn accept_loop(shared: Arc<Shared>, listener: TcpListener, addr: SocketAddr) {
    let mut listener = Some(listener);
    let mut shutdown = shared.shutdown_rx();
    let mut faults = shared.faults.watch();
    let mut down = shared.down_until.subscribe();
    loop {
        let down_until = *down.borrow();
        let is_down = down_until.is_some_and(|t| t > Instant::now());
        let refuse = faults.borrow().refuse || is_down;
        if refuse && listener.is_some() {
            tracing::info!(%addr, "gateway: listener closed (refusing connections)");
            shared.summary("refusing connections".into());
            listener = None;
        }
        if !refuse && listener.is_none() {
            match TcpListener::bind(addr).await {
                Ok(l) => {
                    tracing::info!(%addr, "gateway: listening again");
                    shared.summary(format!("listening again on {addr}"));
                    listener = Some(l);
                }
                Err(e) => {
                    tracing::warn!(%addr, error = %e, "gateway: rebind failed, retrying");
                    tokio::select! {
                        _ = stopped(&mut shutdown) => return,
                        _ = tokio::time::sleep(Duration::from_millis(50)) => continue,
                    }
                }
            }
        }
        let wake = down_until.filter(|_| is_down).unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        tokio::select! {
            _ = stopped(&mut shutdown) => return,
            _ = faults.changed() => continue,
            _ = down.changed() => continue,
            _ = tokio::time::sleep_until(wake), if is_down => continue,
            accepted = async {
                match listener.as_ref() {
                    Some(l) => l.accept().await,
                    None => std::future::pending().await,
                }
            } => match accepted {
                Ok((stream, peer)) => {
                    let conn_id = shared.connections.fetch_add(1, Ordering::Relaxed) + 1;
                    tokio::spawn(session::serve(shared.clone(), stream, peer, conn_id));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "gateway: accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
    }
}

/// Most market steps taken in one wake of the clock (bounds how long it holds the engine).
const MAX_STEPS_PER_WAKE: u32 = 64;

/// Advances the simulated market: `speed` simulated seconds per real second; 0 freezes it.
async fn market_clock(shared: Arc<Shared>, speed: f64) {
    let mut shutdown = shared.shutdown_rx();
    if !(speed > 0.0 && speed.is_finite()) {
        let _ = stopped(&mut shutdown).await;
        return;
    }
    let period_ms = (STEP_MS as f64 / speed).clamp(1.0, STEP_MS as f64);
    let mut interval = tokio::time::interval(Duration::from_micros((period_ms * 1000.0) as u64));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last = Instant::now();
    let mut owed_ms = 0.0f64;
    loop {
        tokio::select! {
            _ = stopped(&mut shutdown) => return,
            _ = interval.tick() => {}
        }
        let now = Instant::now();
        owed_ms += now.duration_since(last).as_secs_f64() * 1000.0 * speed;
        last = now;
        let mut steps = 0;
        let mut account = false;
        {
            let mut eng = shared.engine();
            while owed_ms >= STEP_MS as f64 && steps < MAX_STEPS_PER_WAKE {
                account |= eng.step_market().account;
                owed_ms -= STEP_MS as f64;
                steps += 1;
            }
        }
        if steps == MAX_STEPS_PER_WAKE {
            // Faster than the machine can simulate: run as fast as it can instead of holding
            // the engine (and starving the sessions) to catch up.
            owed_ms = 0.0;
        }
        if steps > 0 {
            shared.market_moved(account);
        }
    }
}

async fn fault_dispatcher(shared: Arc<Shared>, mut commands: mpsc::UnboundedReceiver<FaultCommand>) {
    let mut shutdown = shared.shutdown_rx();
    loop {
        let cmd = tokio::select! {
            _ = stopped(&mut shutdown) => return,
            c = commands.recv() => match c { Some(c) => c, None => return },
        };
        tracing::info!(command = ?cmd, "gateway: fault");
        shared.summary(format!("fault: {cmd:?}"));
        match cmd {
            FaultCommand::Notice { id, code, text } => {
                let eng = shared.engine();
                let owner = (id >= 0).then(|| eng.orders().find(|o| o.order_id == id).map(|o| o.client_id)).flatten();
                let msg = report::error(id, code, &text);
                match owner {
                    Some(client_id) => eng.send_to(client_id, msg),
                    None => eng.broadcast(msg),
                }
            }
            FaultCommand::Restart { down_for, id_bump } => {
                shared.down_until.send_replace(Some(Instant::now() + down_for));
                let mut eng = shared.engine();
                eng.close_all();
                eng.bump_next_valid_id(id_bump);
            }
            FaultCommand::CorruptFrame => shared.engine().broadcast_raw(&[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1]),
            FaultCommand::SetAccounts(ids) => {
                let book = shared.book.clone();
                shared.engine().set_managed_accounts(&ids, &book);
            }
            FaultCommand::SetNextValidId(id) => shared.engine().set_next_valid_id(id),
            FaultCommand::PartialFills(on) => shared.engine().partial_fills = on,
            FaultCommand::SentinelNextStatus => shared.engine().faults.sentinel_next_status = true,
            FaultCommand::SwallowNextOrder => shared.engine().faults.swallow_next = true,
            FaultCommand::DuplicateNextExecution => shared.engine().faults.duplicate_next_execution = true,
            FaultCommand::ReorderNextStatuses => shared.engine().faults.reorder_next_statuses = true,
            FaultCommand::LateNextCommission(d) => shared.engine().faults.late_next_commission = Some(d),
            FaultCommand::LinkLost => {
                let mut eng = shared.engine();
                eng.link_down = true;
                eng.broadcast(report::error(-1, 1100, super::faults::notice_text(1100)));
            }
            FaultCommand::LinkRestored { data_lost } => {
                let code = if data_lost { 1101 } else { 1102 };
                let mut eng = shared.engine();
                eng.link_down = false;
                eng.broadcast(report::error(-1, code, super::faults::notice_text(code)));
            }
            FaultCommand::DropMarketData => {
                shared.engine().broadcast_session(super::engine::SessionEvent::DropMarketData)
            }
            FaultCommand::AdvanceClock(by) => {
                let changed = shared.engine().advance_clock(i64::try_from(by.as_millis()).unwrap_or(i64::MAX / 2));
                shared.market_moved(changed.account);
            }
            FaultCommand::MoveMarket { symbol, ticks } => {
                let changed = shared.engine().shift_market(&symbol, ticks);
                match changed {
                    Some(changed) => shared.market_moved(changed.account),
                    None => shared.summary(format!("fault: move: no instrument {symbol}")),
                }
            }
        }
    }
}

/// Completes once the gateway is shutting down, including when it already is.
pub(crate) async fn stopped(rx: &mut watch::Receiver<bool>) {
    // A closed channel means the gateway is gone: stop too.
    let _ = rx.wait_for(|stop| *stop).await;
}
