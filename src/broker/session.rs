//! One broker session loop: connect, subscribe, forward, and reconnect when the link goes.

use super::backoff::Backoff;
use super::convert::describe_connect_error;
use super::feeds::{self, Feed, FeedId, Feeds};
use super::orders::{self, OrderCommand, OrderDeskInbox, WireOrder};
use super::pacer::Pacer;
use crate::diagnostics::{error_chain, Reporter};
use crate::orders::JournalBody;
use crate::store::{BrokerEvent, DisconnectKind, StoreEvent, TradingEvent, SUMMARY_TAGS};
use chrono::Utc;
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use futures::StreamExt;
use ibapi::accounts::types::ContractId;
use ibapi::accounts::types::{AccountGroup, AccountId};
use ibapi::contracts::Contract;
use ibapi::market_data::realtime::WhatToShow;
use ibapi::orders::ExecutionFilter;
use ibapi::subscriptions::SubscriptionItem;
use ibapi::Client;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};

/// The journal, shared by the app (intents, statuses) and the order desk (submissions).
pub type SharedJournal = Arc<Mutex<crate::orders::Journal>>;

/// How long reconciliation may take before the connection is treated as unusable.
const RECONCILE_DEADLINE: Duration = Duration::from_secs(20);
/// How long a what-if or a contract lookup may take.
const DESK_DEADLINE: Duration = Duration::from_secs(5);

/// A data request that waits its turn in the pacer's window (see [`Pacer`]).
enum Paced {
    Quote {
        symbol: String,
        con_id: Option<i32>,
    },
    PositionPnl {
        account: String,
        con_id: i32,
    },
    /// Account updates (the portfolio) for the account.
    Portfolio(String),
    AccountPnl(String),
}

/// Cancels one subscription at the gateway (its feed then ends).
type CancelFeed = Box<dyn FnOnce() -> BoxFuture<'static, ()> + Send>;

/// A desk request in flight; it yields the events to send when it finishes.
type DeskWork<'a> = BoxFuture<'a, Vec<StoreEvent>>;

async fn next_order_command(desk: &mut Option<&mut OrderDeskInbox>) -> Option<OrderCommand> {
    match desk {
        Some(inbox) => inbox.rx.recv().await,
        None => std::future::pending().await,
    }
}

fn outcome(request: u64, result: Result<String, String>) -> StoreEvent {
    StoreEvent::Trading(TradingEvent::Outcome { request, result })
}

/// Carry out one order-desk command. Quick ones happen here; what-if and contract lookups
/// come back as work to poll alongside everything else.
#[allow(clippy::too_many_arguments)]
async fn desk_command<'a>(
    ids: OrderIds<'a>,
    pacer: &Pacer,
    command: OrderCommand,
    reconciled: bool,
    journal: Option<&SharedJournal>,
    client_id: i32,
    events: &mpsc::Sender<StoreEvent>,
) -> Option<DeskWork<'a>> {
    let client = ids.client;
    match command {
        OrderCommand::Resolve { symbol } => {
            let pacer = pacer.clone();
            Some(Box::pin(async move {
                let contract = Contract::stock(symbol.as_str()).build();
                pacer.acquire(1).await;
                let result = match timeout(DESK_DEADLINE, client.contract_details(&contract)).await {
                    Ok(Ok(details)) => match details.iter().find_map(orders::contract_info) {
                        Some(info) => Ok(info),
                        None => Err(format!("No security definition has been found for {symbol}")),
                    },
                    Ok(Err(error)) => Err(error.to_string()),
                    Err(_) => Err(format!("no answer to the contract lookup within {}s", DESK_DEADLINE.as_secs())),
                };
                vec![StoreEvent::Broker(BrokerEvent::ContractResolved { symbol, result })]
            }))
        }
        OrderCommand::WhatIf { request, order } => {
            let order_id = ids.next();
            let pacer = pacer.clone();
            Some(Box::pin(async move {
                let result = match order_id {
                    Ok(order_id) => {
                        pacer.acquire(1).await;
                        what_if(client, order_id, &order).await
                    }
                    Err(error) => Err(error),
                };
                vec![StoreEvent::Broker(BrokerEvent::WhatIf { request, result })]
            }))
        }
        OrderCommand::Place { request, order, modify } => {
            let result = place(ids, pacer, &order, modify, reconciled, journal, client_id).await;
            let mut out = Vec::new();
            if let Ok(order_id) = &result {
                out.push(StoreEvent::Broker(BrokerEvent::OrderSubmitted {
                    order_id: *order_id,
                    intent_id: order.intent_id.clone(),
                    terms: order.terms(),
                }));
            }
            out.push(outcome(request, result.map(|_| order.intent_id.clone())));
            for event in out {
                let _ = events.send(event).await;
            }
            None
        }
        OrderCommand::PlaceGroup { request, legs } => {
            place_group(ids, pacer, legs, request, reconciled, journal, client_id, events).await;
            None
        }
        OrderCommand::Cancel { order_id } => {
            pacer.acquire(1).await;
            if let Err(error) = client.cancel_order(order_id, "").await {
                let text = format!("cancel of order {order_id} not sent: {error}");
                let _ = events.send(StoreEvent::Broker(BrokerEvent::Notice { id: order_id, code: 0, text })).await;
            }
            None
        }
        OrderCommand::GlobalCancel => {
            pacer.acquire(1).await;
            if let Err(error) = client.global_cancel().await {
                let text = format!("global cancel not sent: {error}");
                let _ = events.send(StoreEvent::Broker(BrokerEvent::Notice { id: -1, code: 0, text })).await;
            }
            None
        }
    }
}

/// How far below this session's orders the gateway's order ids may be before robo-tui stops
/// skipping ahead and asks the trader to reset them.
const MAX_ID_SKIP: i32 = 100_000;

/// Order ids for this client: ibapi's counter, kept above every id of this client's orders
/// seen on the connection.
#[derive(Clone, Copy)]
struct OrderIds<'a> {
    client: &'a Client,
    floor: &'a AtomicI32,
}

impl OrderIds<'_> {
    fn next(&self) -> Result<i32, String> {
        let floor = self.floor.load(Ordering::Relaxed);
        let mut id = self.client.next_order_id();
        if floor.saturating_sub(id) > MAX_ID_SKIP {
            return Err(format!(
                "the gateway's next order id {id} is far below this client's orders (up to {}): reset the API order \
                 ids in TWS / IB Gateway",
                floor
            ));
        }
        while id <= floor {
            id = self.client.next_order_id();
        }
        self.floor.fetch_max(id, Ordering::Relaxed);
        Ok(id)
    }
}

/// Journal the submission, then transmit. Nothing leaves unless the session is reconciled
/// and the journal holds the line.
async fn place(
    ids: OrderIds<'_>,
    pacer: &Pacer,
    order: &WireOrder,
    modify: Option<i32>,
    reconciled: bool,
    journal: Option<&SharedJournal>,
    client_id: i32,
) -> Result<i32, String> {
    if !reconciled {
        return Err("not sent: the connection is not live and reconciled".into());
    }
    let Some(journal) = journal else {
        return Err("not sent: no order journal".into());
    };
    let order_id = match modify {
        Some(order_id) => order_id,
        None => ids.next().map_err(|error| format!("not sent: {error}"))?,
    };
    let client = ids.client;
    let body = JournalBody::Submitted {
        intent_id: order.intent_id.clone(),
        order_id,
        client_id,
        account: order.account.clone(),
    };
    let written = match journal.lock() {
        Ok(mut journal) => journal.append(Utc::now(), body).map(|_| ()).map_err(|e| e.to_string()),
        Err(_) => Err("the journal lock is poisoned".to_string()),
    };
    written.map_err(|error| format!("not sent: the journal could not be written: {error}"))?;
    pacer.acquire(1).await;
    client
        .submit_order(order_id, &order.contract(), &order.ib_order(false))
        .await
        .map_err(|error| format!("not sent: {error}"))?;
    Ok(order_id)
}

/// A group's legs, entry first, each through [`place`] (journaled, then paced): the entry and
/// every exit but the last staged with `transmit=false`, the exits with the entry's order id
/// as `parent_id`, the last leg transmitting the group. If a leg cannot be sent, the legs
/// already staged are cancelled (they never worked) and the outcome says so.
#[allow(clippy::too_many_arguments)]
async fn place_group(
    ids: OrderIds<'_>,
    pacer: &Pacer,
    mut legs: Vec<WireOrder>,
    request: u64,
    reconciled: bool,
    journal: Option<&SharedJournal>,
    client_id: i32,
    events: &mpsc::Sender<StoreEvent>,
) {
    let last = legs.len().saturating_sub(1);
    let group_id = legs
        .first()
        .map(|l| crate::orders::LegRole::parse(&l.intent_id).map_or(l.intent_id.as_str(), |(g, _)| g).to_string())
        .unwrap_or_default();
    let mut parent = None;
    let mut placed = Vec::new();
    for (i, leg) in legs.iter_mut().enumerate() {
        leg.parent_id = parent;
        leg.transmit = i == last;
        match place(ids, pacer, leg, None, reconciled, journal, client_id).await {
            Ok(order_id) => {
                parent = parent.or(Some(order_id));
                placed.push(order_id);
                let submitted =
                    BrokerEvent::OrderSubmitted { order_id, intent_id: leg.intent_id.clone(), terms: leg.terms() };
                let _ = events.send(StoreEvent::Broker(submitted)).await;
            }
            Err(error) => {
                for order_id in placed.iter().rev() {
                    pacer.acquire(1).await;
                    let _ = ids.client.cancel_order(*order_id, "").await;
                }
                let cancelled = if placed.is_empty() {
                    String::new()
                } else {
                    let ids: Vec<String> = placed.iter().map(i32::to_string).collect();
                    format!("; the legs already staged ({}) were cancelled", ids.join(", "))
                };
                let text = format!("bracket {group_id}: leg {} {error}{cancelled}", leg.intent_id);
                let _ = events.send(outcome(request, Err(text))).await;
                return;
            }
        }
    }
    let _ = events.send(outcome(request, Ok(group_id))).await;
}

/// Ask for the gateway's what-if answer: an OpenOrder whose order state carries commission
/// and margins, or the gateway's refusal.
async fn what_if(client: &Client, order_id: i32, order: &WireOrder) -> Result<crate::store::WhatIf, String> {
    let mut answers = client
        .place_order(order_id, &order.contract(), &order.ib_order(true))
        .await
        .map_err(|error| error.to_string())?;
    let wait = async {
        while let Some(item) = answers.next().await {
            match item {
                Ok(SubscriptionItem::Data(ibapi::orders::PlaceOrder::OpenOrder(data))) => {
                    return Ok(orders::what_if(&data));
                }
                Ok(_) => continue,
                Err(ibapi::Error::Notice(notice)) => return Err(format!("{} {}", notice.code, notice.message)),
                Err(error) => return Err(error.to_string()),
            }
        }
        Err("the gateway ended the what-if without an answer".to_string())
    };
    timeout(DESK_DEADLINE, wait)
        .await
        .unwrap_or_else(|_| Err(format!("no what-if answer within {}s", DESK_DEADLINE.as_secs())))
}

use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::{timeout, Instant};

/// Where and how the broker connects.
#[derive(Debug, Clone)]
pub struct BrokerSettings {
    /// `host:port`.
    pub address: String,
    /// "embedded (hosted here)", "embedded (hosted by another robo-tui)" or "external".
    pub origin: String,
    pub client_id: i32,
    pub connect_timeout: Duration,
    /// How often a liveness probe (`reqCurrentTime`) measures the round trip.
    pub probe_after: Duration,
    /// How long the probe may take before the connection counts as stale.
    pub probe_deadline: Duration,
    /// Reconnect forever (the cockpit) or give up after the first failure (`check`).
    pub reconnect: bool,
    /// Symbols to quote besides the positions' symbols.
    pub watchlist: Vec<String>,
    /// Tick-by-tick quotes for the watchlist and positions (the cockpit). Without them (the
    /// monitor) only the watchlist's 5-second bars are requested, for the strategies.
    pub quotes: bool,
    /// Per-subscription buffer in ibapi ([`CHANNEL_CAPACITY`] unless set; `None` is ibapi's 1024).
    pub channel_capacity: Option<usize>,
    /// After 1102 or a market data farm coming back, quotes that have not ticked within this
    /// long are requested again (the gateway may have lost them without saying so).
    pub verify_ticks_after: Duration,
    /// Paces every message the session sends. IB allows 50 a second for all clients of a
    /// gateway together and answers more with error 100 and a disconnect; clones share one
    /// budget, and [`Pacer::shared`] shares it with other robo-tui processes on the gateway.
    pub pacer: Pacer,
}

impl BrokerSettings {
    pub fn new(address: String, origin: String, client_id: i32, connect_timeout: Duration) -> Self {
        BrokerSettings {
            address,
            origin,
            client_id,
            connect_timeout,
            probe_after: Duration::from_secs(15),
            probe_deadline: Duration::from_secs(5),
            reconnect: true,
            watchlist: Vec::new(),
            quotes: true,
            channel_capacity: Some(CHANNEL_CAPACITY),
            pacer: Pacer::local(super::pacer::DEFAULT_BUDGET, super::pacer::Clock::Monotonic),
            verify_ticks_after: Duration::from_secs(5),
        }
    }
}

/// Requests to the broker task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrokerCommand {
    /// Disconnect cleanly and end the task.
    Shutdown,
}

/// How a connected session ended.
enum SessionEnd {
    Shutdown,
    Lost(String),
}

/// Run the broker task until `Shutdown` (or, with `reconnect: false`, the first failure).
pub async fn run(
    settings: BrokerSettings,
    events: mpsc::Sender<StoreEvent>,
    commands: &mut mpsc::Receiver<BrokerCommand>,
    mut desk: Option<&mut OrderDeskInbox>,
    journal: Option<SharedJournal>,
    reporter: Reporter,
) {
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
    let mut attempt = 0u32;
    // Across connections: a reconnect must never reuse an id this client already used.
    let highest_order_id = AtomicI32::new(0);
    loop {
        attempt += 1;
        send(
            &events,
            BrokerEvent::Connecting {
                address: settings.address.clone(),
                gateway_origin: settings.origin.clone(),
                client_id: settings.client_id,
                attempt,
            },
        )
        .await;
        reporter.pending(format!("connecting to {} (attempt {attempt})", settings.address));
        let started = Instant::now();
        let reached = tokio::select! {
            biased;
            command = commands.recv() => {
                if matches!(command, Some(BrokerCommand::Shutdown) | None) {
                    reporter.ok("stopped");
                    return;
                }
                continue;
            }
            reached = reach(&settings.address, settings.connect_timeout) => reached,
        };
        if let Err(failure) = reached {
            match retry_after(&settings, failure, attempt, &mut backoff, &events, commands, &reporter).await {
                Retry::Again => continue,
                Retry::Stop => return,
            }
        }
        send(&events, BrokerEvent::Handshaking { attempt }).await;
        let mut builder = Client::builder();
        if let Some(capacity) = settings.channel_capacity {
            builder = builder.channel_capacity(capacity);
        }
        // The pacer (not ibapi's limiter) paces every message, the connect's START_API included.
        settings.pacer.acquire(1).await;
        let connect = builder
            .address(settings.address.as_str())
            .client_id(settings.client_id)
            .tcp_no_delay(true)
            // robo-tui runs its own reconnect loop (with a deadline on every attempt).
            .max_reconnect_attempts(0)
            .connect_with_notice_stream();
        let outcome = tokio::select! {
            biased;
            command = commands.recv() => {
                if matches!(command, Some(BrokerCommand::Shutdown) | None) {
                    reporter.ok("stopped");
                    return;
                }
                continue;
            }
            outcome = timeout(settings.connect_timeout.saturating_sub(started.elapsed()), connect) => outcome,
        };
        let failure = match outcome {
            Ok(Ok((client, notices))) => {
                backoff.reset();
                attempt = 0;
                match connected(
                    &settings,
                    &client,
                    notices,
                    &events,
                    commands,
                    desk.as_deref_mut(),
                    journal.as_ref(),
                    &reporter,
                    &highest_order_id,
                )
                .await
                {
                    SessionEnd::Shutdown => {
                        client.disconnect().await;
                        reporter.ok("disconnected cleanly");
                        return;
                    }
                    SessionEnd::Lost(reason) => {
                        client.disconnect().await;
                        super::ConnectFailure { kind: DisconnectKind::Lost, reason, retry: true }
                    }
                }
            }
            Ok(Err(error)) => describe_connect_error(&error, settings.client_id),
            Err(_) => super::ConnectFailure {
                kind: DisconnectKind::Handshake,
                reason: format!(
                    "no answer within {}s: the gateway accepts connections but does not finish the handshake",
                    settings.connect_timeout.as_secs()
                ),
                retry: true,
            },
        };
        match retry_after(&settings, failure, attempt, &mut backoff, &events, commands, &reporter).await {
            Retry::Again => {}
            Retry::Stop => return,
        }
    }
}

enum Retry {
    Again,
    Stop,
}

/// Report a failed attempt or lost connection, then wait out the backoff (or, when the
/// failure cannot be retried, wait for shutdown).
async fn retry_after(
    settings: &BrokerSettings,
    failure: super::ConnectFailure,
    attempt: u32,
    backoff: &mut Backoff,
    events: &mpsc::Sender<StoreEvent>,
    commands: &mut mpsc::Receiver<BrokerCommand>,
    reporter: &Reporter,
) -> Retry {
    tracing::warn!(address = %settings.address, reason = %failure.reason, "broker connection failed");
    if !failure.retry || !settings.reconnect {
        reporter.failed(format!("cannot connect to {}", settings.address), vec![failure.reason.clone()]);
        send(
            events,
            BrokerEvent::Disconnected { kind: failure.kind, reason: failure.reason, next_try_at: None, attempt },
        )
        .await;
        // Stay alive for commands so the app can still shut down in order.
        while let Some(command) = commands.recv().await {
            if command == BrokerCommand::Shutdown {
                return Retry::Stop;
            }
        }
        return Retry::Stop;
    }
    let delay = backoff.next_delay();
    let next_try_at = Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
    reporter.degraded(format!("reconnecting in {:.1}s", delay.as_secs_f32()), vec![failure.reason.clone()]);
    send(
        events,
        BrokerEvent::Disconnected {
            kind: failure.kind,
            reason: failure.reason,
            next_try_at: Some(next_try_at),
            attempt,
        },
    )
    .await;
    tokio::select! {
        biased;
        command = commands.recv() => {
            if matches!(command, Some(BrokerCommand::Shutdown) | None) {
                return Retry::Stop;
            }
            Retry::Again
        }
        _ = tokio::time::sleep(delay) => Retry::Again,
    }
}

/// Frames ibapi buffers per data subscription (quotes, bars, summary, positions, portfolio,
/// P&L) before it drops the oldest and says so ([`Feed::Lagged`]); its order streams keep
/// their own larger floors. ibapi preallocates every slot (~120 B): its default of 1024 cost
/// about 2 ms of every connect (benches/vs_ib_async.sh) and ~9 MB for a 36-symbol universe.
/// The session reads every subscription as it arrives, so 256 frames is minutes of quotes;
/// if a whole-snapshot feed ever lags, the session reconnects and fetches it again.
pub const CHANNEL_CAPACITY: usize = 256;

/// Whether anything accepts TCP connections at `address` (the socket is closed at once):
/// tells "nothing listens" apart from "a gateway that does not finish the handshake".
async fn reach(address: &str, deadline: Duration) -> Result<(), super::ConnectFailure> {
    match timeout(deadline, tokio::net::TcpStream::connect(address)).await {
        Ok(Ok(_stream)) => Ok(()),
        Ok(Err(error)) => Err(describe_connect_error(&ibapi::Error::Io(error), 0)),
        Err(_) => Err(super::ConnectFailure {
            kind: DisconnectKind::Unreachable,
            reason: format!("no TCP answer from {address} within {}s", deadline.as_secs()),
            retry: true,
        }),
    }
}

async fn send(events: &mpsc::Sender<StoreEvent>, event: BrokerEvent) {
    // The app going away ends everything anyway; nothing to do with the error.
    let _ = events.send(StoreEvent::Broker(event)).await;
}

/// The subscriptions of one live connection and what they have delivered so far.
struct Subscriptions<'a> {
    client: &'a Client,
    events: &'a mpsc::Sender<StoreEvent>,
    reporter: &'a Reporter,
    feeds: Feeds,
    /// Diagnostics per subscription kind.
    reporters: HashMap<String, Reporter>,
    /// Symbols with market data (and bars) already requested.
    quoted: HashSet<String>,
    /// Contract ids with position P&L already requested.
    pnl_single: HashSet<(String, i32)>,
    /// Feeds whose first snapshot is in.
    complete: HashSet<FeedId>,
    /// Whether tick quotes are wanted (see [`BrokerSettings::quotes`]).
    quotes: bool,
    failed: HashSet<FeedId>,
    /// Cancels each symbol's market data and bar subscriptions (to request them again after
    /// 1101, one symbol at a time so the cancels stay inside the pacing budget).
    market_cancels: HashMap<String, Vec<CancelFeed>>,
    /// Data requests waiting for the main loop to be idle: the watchlist's quotes at connect,
    /// each position's quote and P&L, every quote again after 1101.
    to_request: std::collections::VecDeque<Paced>,
    paced_sent: usize,
    pacer: Pacer,
    /// When the pacer's window has room for the next queued request.
    paced_wake: Option<tokio::time::Instant>,
    /// When each quoted symbol last ticked.
    last_tick: HashMap<String, Instant>,
    /// A market data farm reported broken (2103) and has not come back yet.
    farm_broken: bool,
    /// This session's client id, and the highest order id of its orders seen so far: a new
    /// order always gets an id above it, even when the gateway hands out a lower NextValidId
    /// (an id in use would modify that order; a used one is rejected with 103).
    client_id: i32,
    highest_order_id: &'a AtomicI32,
}

impl<'a> Subscriptions<'a> {
    fn new(
        client: &'a Client,
        events: &'a mpsc::Sender<StoreEvent>,
        reporter: &'a Reporter,
        highest_order_id: &'a AtomicI32,
        pacer: Pacer,
    ) -> Self {
        Subscriptions {
            client,
            events,
            reporter,
            feeds: Feeds::new(),
            reporters: HashMap::new(),
            quoted: HashSet::new(),
            pnl_single: HashSet::new(),
            complete: HashSet::new(),
            failed: HashSet::new(),
            quotes: true,
            market_cancels: HashMap::new(),
            to_request: Default::default(),
            paced_sent: 0,
            pacer,
            paced_wake: None,
            last_tick: HashMap::new(),
            farm_broken: false,
            client_id: 0,
            highest_order_id,
        }
    }

    /// Notes the order ids of this client's orders as they pass.
    fn note_order_id(&mut self, event: &BrokerEvent) {
        let (order_id, client_id) = match event {
            BrokerEvent::OpenOrder { order_id, client_id, .. }
            | BrokerEvent::OrderStatus { order_id, client_id, .. }
            | BrokerEvent::Execution { order_id, client_id, .. } => (*order_id, *client_id),
            _ => return,
        };
        if client_id == self.client_id {
            self.highest_order_id.fetch_max(order_id, Ordering::Relaxed);
        }
    }

    fn reporter_for(&mut self, id: &FeedId) -> &Reporter {
        self.reporter_named(id.subsystem())
    }

    fn reporter_named(&mut self, name: String) -> &Reporter {
        let parent = self.reporter;
        self.reporters.entry(name.clone()).or_insert_with(|| parent.sibling(name))
    }

    /// Queue data requests; diagnostics shows them pending until all are sent.
    fn enqueue(&mut self, requests: impl IntoIterator<Item = Paced>) {
        self.to_request.extend(requests);
        self.report_queue();
    }

    fn report_queue(&mut self) {
        let queued = self.to_request.len();
        let sent = self.paced_sent;
        let reporter = self.reporter_named("data_requests".into());
        if queued > 0 {
            reporter.pending(format!("{queued} queued, {sent} sent (paced under IB's 50 messages a second)"));
        } else {
            reporter.ok(format!("all {sent} sent"));
        }
    }

    /// Add a subscription's stream, or report why the gateway refused it.
    fn add<T, S, F>(&mut self, id: FeedId, subscription: Result<S, ibapi::Error>, convert: F)
    where
        T: Send + 'static,
        S: futures::Stream<Item = Result<SubscriptionItem<T>, ibapi::Error>> + Send + Unpin + 'static,
        F: FnMut(T) -> Vec<Feed> + Send + 'static,
    {
        match subscription {
            Ok(stream) => {
                // Bars come every five seconds and position P&L when it changes: for those an
                // accepted request is a loaded subscription. The others load with their data.
                match &id {
                    FeedId::Bars(_) => {
                        let count = self.quoted.len();
                        self.reporter_for(&id).ok(format!("5-second bars requested for {count} symbols"));
                    }
                    FeedId::PnlSingle(_) => {
                        let count = self.pnl_single.len();
                        self.reporter_for(&id).ok(format!("requested for {count} positions"));
                    }
                    FeedId::OrderUpdates => self.reporter_for(&id).ok("listening for order updates"),
                    _ => self.reporter_for(&id).pending("waiting for the first data"),
                }
                self.feeds.push(feeds::feed(id, stream, convert));
            }
            Err(error) => {
                self.reporter_for(&id).failed("refused", error_chain(&error));
                self.failed.insert(id);
            }
        }
    }

    async fn open_account_feeds(&mut self, accounts: &[String]) {
        let client = self.client;
        self.pacer.acquire(1).await;
        let summary = client.account_summary(&AccountGroup("All".into()), SUMMARY_TAGS).await;
        self.add(FeedId::AccountSummary, summary, feeds::account_summary);
        self.pacer.acquire(1).await;
        self.add(FeedId::Positions, client.positions().await, feeds::positions);
        // The portfolio and account P&L are not needed to reconcile: they go first in the
        // paced queue, after the requests reconciliation waits for.
        match accounts.first() {
            Some(account) => {
                self.reporter_for(&FeedId::Portfolio).pending("queued");
                self.reporter_for(&FeedId::Pnl).pending("queued");
                self.enqueue([Paced::Portfolio(account.clone()), Paced::AccountPnl(account.clone())]);
            }
            None => {
                self.reporter_for(&FeedId::Portfolio).degraded("the gateway reported no managed account", Vec::new());
            }
        }
    }

    /// Market data and 5-second bars for a symbol, once per connection.
    /// Returns whether anything was requested (false: the symbol is quoted already).
    async fn quote(&mut self, symbol: &str, con_id: Option<i32>) -> bool {
        if !self.quoted.insert(symbol.to_string()) {
            return false;
        }
        // Requested again (after 1101): end the old subscriptions first. The pacer admitted
        // the cancels with the requests (see `cost`), symbol by symbol.
        for cancel in self.market_cancels.remove(symbol).unwrap_or_default() {
            cancel().await;
        }
        let mut contract = Contract::stock(symbol).build();
        if let Some(con_id) = con_id {
            contract.contract_id = con_id;
        }
        let client = self.client;
        if self.quotes {
            let ticks = client.market_data(&contract).subscribe().await;
            if let Ok(ticks) = &ticks {
                let ticks = ticks.clone();
                let cancel: CancelFeed = Box::new(move || Box::pin(async move { ticks.cancel().await }));
                self.market_cancels.entry(symbol.to_string()).or_default().push(cancel);
            }
            self.add(FeedId::MarketData(symbol.to_string()), ticks, feeds::market_data(symbol.to_string()));
        }
        let bars = client.realtime_bars(&contract).what_to_show(WhatToShow::Trades).subscribe().await;
        if let Ok(bars) = &bars {
            let bars = bars.clone();
            let cancel: CancelFeed = Box::new(move || Box::pin(async move { bars.cancel().await }));
            self.market_cancels.entry(symbol.to_string()).or_default().push(cancel);
        }
        self.add(FeedId::Bars(symbol.to_string()), bars, feeds::bars(symbol.to_string()));
        true
    }

    /// Position P&L for a contract, once per connection.
    async fn position_pnl(&mut self, account: &str, con_id: i32) -> bool {
        if !self.pnl_single.insert((account.to_string(), con_id)) {
            return false;
        }
        let pnl = self.client.pnl_single(&AccountId(account.to_string()), ContractId(con_id), None).await;
        self.add(FeedId::PnlSingle(con_id), pnl, feeds::pnl_single(account.to_string(), con_id));
        true
    }

    /// Handle one item; `Err` means the connection is gone.
    async fn handle(&mut self, item: Feed) -> Result<(), String> {
        match item {
            Feed::Event(event) => {
                self.note_order_id(&event);
                if let BrokerEvent::Tick { symbol, .. } = &event {
                    if let Some(at) = self.last_tick.get_mut(symbol) {
                        *at = Instant::now();
                    } else {
                        self.last_tick.insert(symbol.clone(), Instant::now());
                    }
                }
                let position = match &event {
                    BrokerEvent::Position { account, con_id, symbol, quantity, .. } if !quantity.is_zero() => {
                        Some((account.clone(), *con_id, symbol.clone()))
                    }
                    _ => None,
                };
                send(self.events, event).await;
                if let Some((account, con_id, symbol)) = position {
                    let mut requests = Vec::new();
                    if !self.pnl_single.contains(&(account.clone(), con_id)) {
                        requests.push(Paced::PositionPnl { account, con_id });
                    }
                    if self.quotes && !self.quoted.contains(&symbol) {
                        requests.push(Paced::Quote { symbol, con_id: Some(con_id) });
                    }
                    if !requests.is_empty() {
                        self.enqueue(requests);
                    }
                }
            }
            Feed::Complete(id) if self.failed.contains(&id) => {}
            Feed::Complete(id) => {
                let detail = match &id {
                    FeedId::MarketData(_) => format!("streaming for {} symbols", self.quoted.len()),
                    _ => "streaming".to_string(),
                };
                self.reporter_for(&id).ok(detail);
                self.complete.insert(id);
            }
            // Without the order update stream, order state can no longer be trusted: a new
            // connection reconciles it from scratch.
            Feed::Failed(FeedId::OrderUpdates, errors) => {
                self.reporter_for(&FeedId::OrderUpdates).failed("order update stream failed", errors.clone());
                return Err(format!(
                    "the order update stream failed ({}); reconnecting to reconcile",
                    errors.join("; ")
                ));
            }
            Feed::Failed(id, errors) => {
                if let FeedId::MarketData(symbol) | FeedId::Bars(symbol) = &id {
                    let text = errors.first().cloned().unwrap_or_default();
                    send(self.events, BrokerEvent::QuoteProblem { symbol: symbol.clone(), text }).await;
                    let what = match &id {
                        FeedId::Bars(_) => "bars",
                        _ => "market data",
                    };
                    self.reporter_for(&id).degraded(format!("{what} for {symbol} refused"), errors);
                } else {
                    self.reporter_for(&id).failed("stream failed", errors);
                }
                self.failed.insert(id);
            }
            Feed::Lost(reason) => return Err(reason),
            Feed::Lagged(id, text) => match id {
                // Every tick, bar and P&L update carries current values: the next one repairs
                // what was dropped.
                FeedId::MarketData(_) | FeedId::Bars(_) | FeedId::Pnl | FeedId::PnlSingle(_) => {
                    self.reporter_for(&id).degraded("fell behind: older updates were dropped", vec![text]);
                }
                // Positions, the portfolio, the summary and the order streams must be whole: a
                // new connection fetches them again from the start.
                _ => {
                    self.reporter_for(&id).degraded("fell behind: updates were dropped", vec![text.clone()]);
                    return Err(format!(
                        "fell behind the gateway on {} ({text}); reconnecting to fetch it whole",
                        id.subsystem()
                    ));
                }
            },
        }
        Ok(())
    }

    /// Open orders, executions and completed orders as the gateway reports them, plus the
    /// order update stream that carries every later change.
    async fn open_order_feeds(&mut self) {
        let client = self.client;
        self.add(FeedId::OrderUpdates, client.order_update_stream().await, orders::order_updates);
        self.fetch_order_state().await;
    }

    /// Ask for all open orders, today's executions and completed orders (each answers once).
    async fn fetch_order_state(&mut self) {
        let client = self.client;
        for id in [FeedId::OpenOrders, FeedId::Executions, FeedId::CompletedOrders] {
            self.complete.remove(&id);
            self.failed.remove(&id);
        }
        self.pacer.acquire(1).await;
        let open = client.all_open_orders().await.map(|s| feeds::one_shot(FeedId::OpenOrders, s, orders::orders));
        self.add_stream(FeedId::OpenOrders, open);
        self.pacer.acquire(1).await;
        let executions = client
            .executions(ExecutionFilter::default())
            .await
            .map(|s| feeds::one_shot(FeedId::Executions, s, orders::executions));
        self.add_stream(FeedId::Executions, executions);
        self.pacer.acquire(1).await;
        let completed =
            client.completed_orders(false).await.map(|s| feeds::one_shot(FeedId::CompletedOrders, s, orders::orders));
        self.add_stream(FeedId::CompletedOrders, completed);
    }

    /// Add an already wrapped feed, or report why the gateway refused the request.
    fn add_stream(&mut self, id: FeedId, stream: Result<futures::stream::BoxStream<'static, Feed>, ibapi::Error>) {
        match stream {
            Ok(stream) => {
                self.reporter_for(&id).pending("waiting for the gateway's answer");
                self.feeds.push(stream);
            }
            Err(error) => {
                self.reporter_for(&id).failed("refused", error_chain(&error));
                self.failed.insert(id);
            }
        }
    }

    /// Fetch open orders, executions and completed orders again; with `resubscribe`, also
    /// request market data and bars again for every quoted symbol.
    async fn reconcile_again(&mut self, resubscribe: bool, watchlist: &[String]) {
        self.fetch_order_state().await;
        if resubscribe {
            // After 1101 the gateway no longer serves the market data: every quoted symbol is
            // requested again (its old subscriptions cancelled first).
            let mut held: Vec<String> = self.quoted.drain().filter(|s| !watchlist.contains(s)).collect();
            held.sort();
            self.enqueue(watchlist.iter().cloned().chain(held).map(|symbol| Paced::Quote { symbol, con_id: None }));
        }
    }

    /// Quotes silent since `since` are requested again; returns their symbols.
    fn requote_silent(&mut self, since: Instant) -> Vec<String> {
        if !self.quotes {
            // Bars only (the monitor): nothing ticks to tell a lost subscription by.
            return Vec::new();
        }
        let mut silent: Vec<String> = self
            .quoted
            .iter()
            .filter(|symbol| self.last_tick.get(*symbol).is_none_or(|at| *at < since))
            .cloned()
            .collect();
        silent.sort();
        for symbol in &silent {
            self.quoted.remove(symbol);
        }
        self.enqueue(silent.iter().map(|symbol| Paced::Quote { symbol: symbol.clone(), con_id: None }));
        silent
    }

    /// Send the next queued request. The main loop does this only when nothing else is
    /// ready, so paced data requests never hold up reconciliation or the order desk.
    async fn request_next(&mut self) {
        self.paced_wake = None;
        let cost = self.to_request.front().map_or(0, |next| self.cost(next));
        if let Err(wait) = self.pacer.try_now(cost) {
            // No room yet: the main loop comes back when the oldest message leaves the window.
            self.paced_wake = Some(tokio::time::Instant::now() + wait);
            return;
        }
        let sent = match self.to_request.pop_front() {
            Some(Paced::Quote { symbol, con_id }) => self.quote(&symbol, con_id).await,
            Some(Paced::PositionPnl { account, con_id }) => self.position_pnl(&account, con_id).await,
            Some(Paced::Portfolio(account)) => {
                let updates = self.client.account_updates(&AccountId(account.clone())).await;
                self.add(FeedId::Portfolio, updates, feeds::portfolio(account));
                true
            }
            Some(Paced::AccountPnl(account)) => {
                let pnl = self.client.pnl(&AccountId(account.clone()), None).await;
                self.add(FeedId::Pnl, pnl, feeds::pnl(account));
                true
            }
            None => return,
        };
        self.paced_sent += usize::from(sent);
        self.report_queue();
        // Until reconciled, let the runtime poll the socket before the next request: every
        // send completes at once, so the loop would otherwise write the whole queue before
        // ibapi's reader runs, and reconciliation's answers (which gate order entry) would
        // wait behind the last quote request. Once reconciled, the queue goes out in one go
        // (interleaving costs more context switches than it saves).
        if !self.reconciled() {
            tokio::task::yield_now().await;
        }
    }

    /// Messages a queued request sends (0 when it is a repeat that sends nothing).
    fn cost(&self, request: &Paced) -> u32 {
        match request {
            Paced::Quote { symbol, .. } if self.quoted.contains(symbol) => 0,
            Paced::Quote { symbol, .. } => {
                let cancels = self.market_cancels.get(symbol).map_or(0, Vec::len);
                u32::try_from(cancels).unwrap_or(u32::MAX).saturating_add(1 + u32::from(self.quotes))
            }
            Paced::PositionPnl { account, con_id } if self.pnl_single.contains(&(account.clone(), *con_id)) => 0,
            Paced::PositionPnl { .. } | Paced::Portfolio(_) | Paced::AccountPnl(_) => 1,
        }
    }

    /// What reconciliation still waits for.
    fn unreconciled(&self) -> Vec<String> {
        let data = [FeedId::AccountSummary, FeedId::Positions]
            .into_iter()
            .filter(|id| !self.complete.contains(id) && !self.failed.contains(id));
        // A failed order query is a failure, never an empty answer: these must complete.
        let orders = [FeedId::OpenOrders, FeedId::Executions, FeedId::CompletedOrders]
            .into_iter()
            .filter(|id| !self.complete.contains(id));
        data.chain(orders).map(|id| id.subsystem()).collect()
    }

    /// Live once the first summary batch and position snapshot are in (or their
    /// subscriptions failed, which diagnostics shows) and the gateway's open orders,
    /// executions and completed orders have all arrived.
    fn reconciled(&self) -> bool {
        self.unreconciled().is_empty()
    }
}

/// Everything a live connection does, until it is lost or shut down.
#[allow(clippy::too_many_arguments)]
async fn connected(
    settings: &BrokerSettings,
    client: &Client,
    mut notices: ibapi::subscriptions::NoticeStream,
    events: &mpsc::Sender<StoreEvent>,
    commands: &mut mpsc::Receiver<BrokerCommand>,
    mut desk: Option<&mut OrderDeskInbox>,
    journal: Option<&SharedJournal>,
    reporter: &Reporter,
    highest_order_id: &AtomicI32,
) -> SessionEnd {
    let accounts: Vec<String> = client.handshake_managed_accounts().to_vec();
    send(
        events,
        BrokerEvent::Connected {
            server_version: client.server_version(),
            // Shown in UTC, like every other time in the cockpit.
            connection_time: client
                .connection_time()
                .and_then(|t| chrono::DateTime::<Utc>::from_timestamp(t.unix_timestamp(), 0))
                .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string()),
            managed_accounts: accounts.clone(),
        },
    )
    .await;
    reporter.ok(format!("connected to {} (server version {})", settings.address, client.server_version()));
    // A zone ibapi does not know leaves the connection time unknown (ibapi logs its name).
    let zone = reporter.sibling("gateway_time_zone");
    if client.time_zone().is_some() {
        zone.ok("known to ibapi");
    } else {
        zone.degraded(
            "the gateway's time zone is unknown: connection time not shown",
            vec!["ibapi's log names the zone; map it with IBAPI_TIMEZONE_ALIASES=name=IANA-name".into()],
        );
    }

    let mut subscriptions = Subscriptions::new(client, events, reporter, highest_order_id, settings.pacer.clone());
    let pacing = reporter.sibling("pacer");
    pacing.ok(settings.pacer.stats().describe());
    let mut pacing_timer = tokio::time::interval(Duration::from_secs(1));
    pacing_timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    subscriptions.quotes = settings.quotes;
    subscriptions.client_id = settings.client_id;
    // Orders and executions first: they are what reconciliation waits for.
    subscriptions.open_order_feeds().await;
    subscriptions.open_account_feeds(&accounts).await;
    subscriptions
        .enqueue(settings.watchlist.iter().map(|symbol| Paced::Quote { symbol: symbol.clone(), con_id: None }));

    let mut reconciled = false;
    let reconcile_deadline = tokio::time::sleep(RECONCILE_DEADLINE);
    tokio::pin!(reconcile_deadline);
    let mut pending: FuturesUnordered<DeskWork<'_>> = FuturesUnordered::new();
    // The first round trip is measured a moment after connect, not behind the connect's own
    // paced requests (it would measure the queue, not the gateway).
    let first_probe = tokio::time::Instant::now() + settings.probe_after.min(Duration::from_secs(1));
    let mut probe_timer = tokio::time::interval_at(first_probe, settings.probe_after);
    probe_timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut probe: Option<Probe<'_>> = None;
    // (since, check at): quotes silent since `since` are requested again at `check at`.
    let mut verify_ticks: Option<(Instant, Instant)> = None;

    loop {
        if !reconciled && subscriptions.reconciled() {
            reconciled = true;
            send(events, BrokerEvent::Reconciled).await;
        }
        tokio::select! {
            biased;
            command = commands.recv() => {
                if matches!(command, Some(BrokerCommand::Shutdown) | None) {
                    return SessionEnd::Shutdown;
                }
            }
            notice = notices.next() => {
                let Some(notice) = notice else {
                    return SessionEnd::Lost("the connection's notice stream closed".into());
                };
                send(events, BrokerEvent::Notice {
                    id: notice.request_id.unwrap_or(-1),
                    code: notice.code,
                    text: notice.message.clone(),
                }).await;
                // IB's link came back: what happened meanwhile must be fetched again before
                // order entry opens (1101 also lost the market data subscriptions).
                if matches!(notice.code, 1101 | 1102) {
                    reconciled = false;
                    send(events, BrokerEvent::Reconciling).await;
                    reconcile_deadline.as_mut().reset(tokio::time::Instant::now() + RECONCILE_DEADLINE);
                    subscriptions.reconcile_again(notice.code == 1101, &settings.watchlist).await;
                }
                // "Data maintained" (1102) or a market data farm back after breaking: make sure
                // the quotes really tick again, else request them again.
                let data_back = match notice.code {
                    2103 => {
                        subscriptions.farm_broken = true;
                        false
                    }
                    2104 => std::mem::take(&mut subscriptions.farm_broken),
                    1102 => true,
                    _ => false,
                };
                if data_back {
                    // Ticks the gateway sent before the notice can still be on their way (they
                    // come on other channels than the notice): only a tick after a short
                    // settling time proves a subscription is alive.
                    let now = Instant::now();
                    let settle = (settings.verify_ticks_after / 4).min(Duration::from_millis(250));
                    verify_ticks = Some((now + settle, now + settings.verify_ticks_after));
                }
            }
            _ = &mut reconcile_deadline, if !reconciled => {
                let missing = subscriptions.unreconciled().join(", ");
                return SessionEnd::Lost(format!(
                    "reconciliation did not finish within {}s (still waiting for {missing})",
                    RECONCILE_DEADLINE.as_secs()
                ));
            }
            command = next_order_command(&mut desk) => {
                let Some(command) = command else { continue };
                let ids = OrderIds { client, floor: highest_order_id };
                let work =
                    desk_command(ids, &settings.pacer, command, reconciled, journal, settings.client_id, events).await;
                if let Some(work) = work {
                    pending.push(work);
                }
            }
            Some(done) = pending.next(), if !pending.is_empty() => {
                for event in done {
                    let _ = events.send(event).await;
                }
            }
            Some(item) = subscriptions.feeds.next(), if !subscriptions.feeds.is_empty() => {
                if let Err(reason) = subscriptions.handle(item).await {
                    return SessionEnd::Lost(reason);
                }
            }
            (sent, result) = async { probe.as_mut().expect("guarded by is_some").await }, if probe.is_some() => {
                probe = None;
                match result {
                    Ok(Ok(_)) => {
                        let micros = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
                        send(events, BrokerEvent::RoundTrip { micros }).await;
                    }
                    Ok(Err(error)) => return SessionEnd::Lost(format!("liveness probe failed: {error}")),
                    Err(_) => {
                        let reason = format!(
                            "stale: no answer to the liveness probe within {}s",
                            settings.probe_deadline.as_secs_f32()
                        );
                        send(events, BrokerEvent::Stale { reason: reason.clone() }).await;
                        return SessionEnd::Lost(reason);
                    }
                }
            }
            _ = probe_timer.tick(), if probe.is_none() => {
                // Measure the round trip and prove the gateway still answers.
                let deadline = settings.probe_deadline;
                let pacer = settings.pacer.clone();
                probe = Some(Box::pin(async move {
                    pacer.acquire(1).await;
                    let sent = Instant::now();
                    let answer = timeout(deadline, client.server_time()).await.map(|reply| reply.map(|_| ()));
                    (sent, answer)
                }));
            }
            _ = async { if let Some((_, at)) = verify_ticks { tokio::time::sleep_until(at).await } }, if verify_ticks.is_some() => {
                let since = verify_ticks.take().map(|(since, _)| since).unwrap_or_else(Instant::now);
                let silent = subscriptions.requote_silent(since);
                if !silent.is_empty() {
                    send(events, BrokerEvent::Notice {
                        id: -1,
                        code: 0,
                        text: format!(
                            "no ticks within {}s of the data coming back: requesting {} again",
                            settings.verify_ticks_after.as_secs_f32(),
                            silent.join(", ")
                        ),
                    }).await;
                }
            }
            _ = pacing_timer.tick() => {
                let stats = settings.pacer.stats();
                match &stats.problem {
                    Some(problem) => pacing.degraded(stats.describe(), vec![problem.clone()]),
                    None => pacing.ok(stats.describe()),
                }
            }
            _ = async {
                if let Some(at) = subscriptions.paced_wake {
                    tokio::time::sleep_until(at).await;
                }
            }, if !subscriptions.to_request.is_empty() => {
                subscriptions.request_next().await;
            }
        }
    }
}

type ProbeResult = Result<Result<(), ibapi::Error>, tokio::time::error::Elapsed>;
/// A `reqCurrentTime` in flight: when it was sent and what came back.
type Probe<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = (Instant, ProbeResult)> + Send + 'a>>;
