//! One client connection: handshake, then requests in and replies and pushes out. A bad frame
//! ends this connection only.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rust_decimal::Decimal;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use super::clock;
use super::engine::{Engine, SessionEvent};
use super::faults::HandshakeStep;
use super::history;
use super::market::Quote;
use super::report::{self, f, q};
use super::server::Shared;
use super::wire::codec::{Codec, Outbound, Request};
use super::wire::frame::{put_frame, FrameDecoder, FrameError};
use super::wire::handshake::{choose_dialect, parse_version, reply_body, Dialect};
use super::wire::messages as m;
use super::wire::proto::ProtoCodec;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("socket: {0}")]
    Io(#[from] std::io::Error),
    #[error("framing: {0}")]
    Frame(#[from] FrameError),
    #[error("handshake: {0}")]
    Handshake(#[from] super::wire::handshake::HandshakeError),
    #[error("decode: {0}")]
    Decode(#[from] super::wire::codec::DecodeError),
}

/// Serves one accepted socket until it closes, the server shuts down or a fault ends it.
pub async fn serve(shared: Arc<Shared>, stream: TcpStream, peer: SocketAddr, conn_id: u64) {
    match run(shared.clone(), stream, peer, conn_id).await {
        Ok(()) => tracing::debug!(conn_id, %peer, "gateway: connection closed"),
        Err(e) => {
            tracing::info!(conn_id, %peer, error = %e, "gateway: connection ended");
            shared.summary(format!("conn {conn_id} {peer}: closed ({e})"));
        }
    }
}

async fn fill(rd: &mut OwnedReadHalf, dec: &mut FrameDecoder) -> Result<(), SessionError> {
    let n = rd.read_buf(dec.buffer_mut()).await?;
    if n == 0 {
        return Err(SessionError::Io(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "peer closed",
        )));
    }
    Ok(())
}

async fn next_frame(
    rd: &mut OwnedReadHalf,
    dec: &mut FrameDecoder,
) -> Result<Vec<u8>, SessionError> {
    loop {
        if let Some(f) = dec.next_frame()? {
            return Ok(f);
        }
        fill(rd, dec).await?;
    }
}

async fn write_frame(wr: &mut OwnedWriteHalf, body: &[u8]) -> Result<(), SessionError> {
    let mut out = Vec::with_capacity(body.len() + 4);
    put_frame(&mut out, body);
    wr.write_all(&out).await?;
    Ok(())
}

async fn run(
    shared: Arc<Shared>,
    stream: TcpStream,
    peer: SocketAddr,
    conn_id: u64,
) -> Result<(), SessionError> {
    stream.set_nodelay(true)?;
    let faults = shared.faults.settings();
    let close_at = |step| faults.close_at == Some(step);
    tracing::info!(conn_id, %peer, "gateway: accepted connection");
    shared.summary(format!("conn {conn_id} {peer}: accepted"));
    if close_at(HandshakeStep::OnAccept) {
        return Ok(());
    }
    let (mut rd, mut wr) = stream.into_split();
    if faults.silent {
        // Half-open: read and discard until the peer gives up.
        let mut sink = vec![0u8; 4096];
        while rd.read(&mut sink).await? > 0 {}
        return Ok(());
    }
    let mut dec = FrameDecoder::new(1);
    while !dec.take_api_prefix()? {
        fill(&mut rd, &mut dec).await?;
    }
    let version = parse_version(&next_frame(&mut rd, &mut dec).await?)?;
    let server_version = match choose_dialect(&version)? {
        Dialect::Protobuf(v) => v,
        Dialect::Text(v) => {
            tracing::warn!(
                conn_id,
                min = version.min,
                max = version.max,
                "gateway: text dialect (v{v}) is not served yet"
            );
            return Ok(());
        }
    };
    if close_at(HandshakeStep::AfterVersion) {
        return Ok(());
    }
    // Faults may announce another version or a zone the client does not know.
    let announced = faults.server_version.unwrap_or(server_version);
    let time = match &faults.time_zone {
        Some(zone) => {
            let stamp = clock::eastern_timestamp(clock::now_ms());
            format!("{} {zone}", stamp.trim_end_matches(" US/Eastern"))
        }
        None => clock::eastern_timestamp(clock::now_ms()),
    };
    write_frame(&mut wr, &reply_body(announced, &time)).await?;
    if close_at(HandshakeStep::AfterReply) {
        return Ok(());
    }
    dec.set_min_len(4);
    let codec: Box<dyn Codec> = Box::new(ProtoCodec);
    let client_id = loop {
        let frame = next_frame(&mut rd, &mut dec).await?;
        match codec.decode(&frame)? {
            Request::StartApi(s) => break s.client_id.unwrap_or(0),
            other => tracing::debug!(conn_id, ?other, "gateway: request before START_API ignored"),
        }
    };
    if close_at(HandshakeStep::AfterStartApi) {
        return Ok(());
    }
    let (tx, rx) = mpsc::unbounded_channel();
    let (registered, next_id, accounts) = {
        let mut eng = shared.engine();
        let ok = eng.register(client_id, conn_id, tx.clone());
        (ok, eng.next_valid_id(), eng.account_ids().join(","))
    };
    if !registered {
        tracing::info!(conn_id, client_id, "gateway: client id in use, sending 326");
        shared.summary(format!(
            "conn {conn_id}: client id {client_id} already in use -> 326, closed"
        ));
        let e = report::error(
            -1,
            326,
            "Unable to connect as the client id is already in use. Retry with a unique client id.",
        );
        write_frame(&mut wr, &codec.encode(&e)).await?;
        let _ = wr.shutdown().await;
        return Ok(());
    }
    let _guard = Registration {
        shared: shared.clone(),
        client_id,
        conn_id,
    };
    tracing::info!(conn_id, client_id, "gateway: client started API");
    shared.summary(format!(
        "conn {conn_id}: client id {client_id} connected (server version {server_version})"
    ));
    let mut session = Session::new(shared.clone(), client_id, codec, tx);
    session.push(&Outbound::NextValidId(m::NextValidId {
        order_id: Some(next_id),
    }));
    session.flush(&mut wr).await?;
    if close_at(HandshakeStep::AfterNextValidId) {
        return Ok(());
    }
    if faults.orders_at_connect {
        // Like TWS for a client with orders: open orders (then OpenOrderEnd) and today's
        // executions arrive during the handshake, where ibapi hands them to its startup callback.
        let replay = {
            let eng = shared.engine();
            let mut out = eng.open_order_reports(Some(client_id));
            out.push(Outbound::OpenOrderEnd);
            out.extend(eng.execution_replay(client_id));
            out
        };
        for o in replay {
            session.push(&o);
        }
    }
    session.push(&Outbound::ManagedAccounts(m::ManagedAccounts {
        accounts_list: Some(accounts),
    }));
    for code in [2104, 2106, 2158] {
        session.push(&report::error(-1, code, super::faults::notice_text(code)));
    }
    session.flush(&mut wr).await?;

    // Reader task: frames in over a bounded channel, so the main loop's select is cancel-safe.
    let (ftx, frx) = mpsc::channel::<Result<Vec<u8>, FrameError>>(256);
    let reader = tokio::spawn(async move {
        loop {
            match dec.next_frame() {
                Ok(Some(f)) => {
                    if ftx.send(Ok(f)).await.is_err() {
                        return;
                    }
                }
                Ok(None) => match rd.read_buf(dec.buffer_mut()).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                },
                Err(e) => {
                    let _ = ftx.send(Err(e)).await;
                    return;
                }
            }
        }
    });
    let result = session.main_loop(&mut wr, frx, rx).await;
    reader.abort();
    let _ = wr.shutdown().await;
    shared.summary(format!(
        "conn {conn_id}: client id {client_id} disconnected"
    ));
    result
}

/// Unregisters the client id when the session ends, however it ends.
struct Registration {
    shared: Arc<Shared>,
    client_id: i32,
    conn_id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.shared
            .engine()
            .unregister(self.client_id, self.conn_id);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TbtKind {
    Last,
    AllLast,
    BidAsk,
    MidPoint,
}

struct MktSub {
    index: usize,
    last: Quote,
}

struct BarSub {
    index: usize,
    what: String,
    last_seq: u64,
}

/// reqHistoricalData with keepUpToDate: the bar in progress, fed by the 5-second bars.
struct HistStreamSub {
    index: usize,
    bar_secs: i64,
    daily: bool,
    /// (bar start, open, high, low, close, volume, count)
    current: (i64, Decimal, Decimal, Decimal, Decimal, Decimal, i32),
    last_seq: u64,
}

struct TbtSub {
    index: usize,
    kind: TbtKind,
    trade_seq: u64,
    quote_seq: u64,
    mid: Decimal,
}

struct SummarySub {
    tags: Vec<String>,
    accounts: Vec<String>,
    sent: HashMap<(String, String, String), String>,
}

/// reqPositionsMulti: one account (or all) and what was sent.
struct PositionsMultiSub {
    account: Option<String>,
    sent: HashMap<(String, i32), (Decimal, Decimal)>,
}

/// reqAccountUpdatesMulti: one account (or all) and the values sent.
struct AccountMultiSub {
    account: Option<String>,
    sent: HashMap<(String, String, String), String>,
}

struct AccountUpdatesSub {
    account: String,
    values: HashMap<(String, String), String>,
    portfolio: HashMap<i32, (Decimal, Decimal, Decimal)>,
}

/// (daily, unrealized, realized) as last sent.
type PnlFigures = (Decimal, Decimal, Decimal);
/// (position, daily, unrealized, realized) as last sent.
type PnlSingleFigures = (Decimal, Decimal, Decimal, Decimal);

#[derive(Default)]
struct Subs {
    market: HashMap<i32, MktSub>,
    bars: HashMap<i32, BarSub>,
    hist_streams: HashMap<i32, HistStreamSub>,
    tbt: HashMap<i32, TbtSub>,
    summary: HashMap<i32, SummarySub>,
    positions: Option<HashMap<(String, i32), (Decimal, Decimal)>>,
    account_updates: Option<AccountUpdatesSub>,
    positions_multi: HashMap<i32, PositionsMultiSub>,
    account_multi: HashMap<i32, AccountMultiSub>,
    pnl: HashMap<i32, (String, Option<PnlFigures>)>,
    pnl_single: HashMap<i32, (String, i32, Option<PnlSingleFigures>)>,
}

struct Session {
    shared: Arc<Shared>,
    client_id: i32,
    codec: Box<dyn Codec>,
    out: Vec<u8>,
    subs: Subs,
    tx: mpsc::UnboundedSender<SessionEvent>,
    pacing_warned_at: Option<u64>,
}

impl Session {
    fn new(
        shared: Arc<Shared>,
        client_id: i32,
        codec: Box<dyn Codec>,
        tx: mpsc::UnboundedSender<SessionEvent>,
    ) -> Self {
        Self {
            shared,
            client_id,
            codec,
            out: Vec::with_capacity(8192),
            subs: Subs::default(),
            tx,
            pacing_warned_at: None,
        }
    }

    fn push(&mut self, o: &Outbound) {
        let body = self.codec.encode(o);
        put_frame(&mut self.out, &body);
    }

    async fn flush(&mut self, wr: &mut OwnedWriteHalf) -> Result<(), SessionError> {
        if !self.out.is_empty() {
            wr.write_all(&self.out).await?;
            self.out.clear();
        }
        Ok(())
    }

    async fn main_loop(
        &mut self,
        wr: &mut OwnedWriteHalf,
        mut frames: mpsc::Receiver<Result<Vec<u8>, FrameError>>,
        mut events: mpsc::UnboundedReceiver<SessionEvent>,
    ) -> Result<(), SessionError> {
        let mut market_rx = self.shared.market_rx();
        let mut account_rx = self.shared.account_rx();
        let mut shutdown = self.shared.shutdown_rx();
        let mut faults = self.shared.faults.watch();
        let mut timer = tokio::time::interval(Duration::from_secs(1));
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                _ = super::server::stopped(&mut shutdown) => return Ok(()),
                ev = events.recv() => match ev {
                    Some(SessionEvent::Send(o)) => {
                        if !self.stalled(&faults) { self.push(&o) }
                    }
                    Some(SessionEvent::SendLater(delay, o)) => {
                        let tx = self.tx.clone();
                        tokio::spawn(async move {
                            tokio::time::sleep(delay).await;
                            let _ = tx.send(SessionEvent::Send(o));
                        });
                    }
                    Some(SessionEvent::Raw(bytes)) => self.out.extend_from_slice(&bytes),
                    Some(SessionEvent::Close) | None => return Ok(()),
                },
                frame = frames.recv() => match frame {
                    Some(Ok(body)) => {
                        if self.stalled(&faults) {
                            continue;
                        }
                        let delay = faults.borrow().delay;
                        if let Some(d) = delay {
                            self.flush(wr).await?;
                            tokio::time::sleep(d).await;
                        }
                        if !self.on_frame(&body, &faults) {
                            self.flush(wr).await?;
                            return Ok(());
                        }
                    }
                    Some(Err(e)) => return Err(e.into()),
                    None => return Ok(()),
                },
                _ = market_rx.changed() => {
                    if !self.stalled(&faults) { self.on_market() }
                }
                _ = account_rx.changed() => {
                    if !self.stalled(&faults) { self.on_account() }
                }
                _ = timer.tick() => {
                    if !self.stalled(&faults) { self.on_account() }
                }
                _ = faults.changed() => {}
            }
            self.flush(wr).await?;
        }
    }

    fn stalled(&self, faults: &tokio::sync::watch::Receiver<super::faults::FaultSettings>) -> bool {
        faults.borrow().stall
    }

    /// Handles one request frame; false = close the connection.
    fn on_frame(
        &mut self,
        body: &[u8],
        faults: &tokio::sync::watch::Receiver<super::faults::FaultSettings>,
    ) -> bool {
        if faults.borrow().pacing {
            let (count, window) = self.shared.pace();
            if count > 50 {
                self.push(&report::error(
                    -1,
                    100,
                    &format!(
                        "Max rate of messages per second has been exceeded:max=50 rec={count} (1)"
                    ),
                ));
                self.shared.summary(format!(
                    "client {}: pacing violation ({count} msg/s) -> 100, disconnected",
                    self.client_id
                ));
                return false;
            }
            if count >= 45 && self.pacing_warned_at != Some(window) {
                self.pacing_warned_at = Some(window);
                self.push(&report::error(
                    -1,
                    0,
                    &format!("Warning: Approaching max rate of 50 messages per second ({count})"),
                ));
            }
        }
        match self.codec.decode(body) {
            Ok(req) => {
                tracing::info!(client_id = self.client_id, request = ?req, "gateway: request");
                self.handle(req);
                true
            }
            Err(e) => {
                tracing::warn!(client_id = self.client_id, error = %e, "gateway: undecodable request");
                self.push(&report::error(
                    -1,
                    321,
                    &format!("Error validating request.-'' : cause - {e}"),
                ));
                true
            }
        }
    }

    fn handle(&mut self, req: Request) {
        let shared = self.shared.clone();
        let client_id = self.client_id;
        match req {
            Request::StartApi(_) => {}
            Request::Ids(_) => {
                let id = shared.engine().next_valid_id();
                self.push(&Outbound::NextValidId(m::NextValidId {
                    order_id: Some(id),
                }));
            }
            Request::ManagedAccounts => {
                let list = shared.engine().account_ids().join(",");
                self.push(&Outbound::ManagedAccounts(m::ManagedAccounts {
                    accounts_list: Some(list),
                }));
            }
            Request::CurrentTime => {
                self.push(&Outbound::CurrentTime(m::CurrentTime {
                    current_time: Some(clock::now_ms() / 1000),
                }));
            }
            Request::AccountSummary(r) => {
                let req_id = r.req_id.unwrap_or(0);
                let tags: Vec<String> = r
                    .tags
                    .unwrap_or_default()
                    .split(',')
                    .map(|t| t.trim().to_string())
                    .filter(|t| !t.is_empty())
                    .collect();
                let group = r.group.unwrap_or_else(|| "All".into());
                let accounts: Vec<String> = {
                    let eng = shared.engine();
                    if group.eq_ignore_ascii_case("All") {
                        eng.account_ids().to_vec()
                    } else {
                        eng.account_ids()
                            .iter()
                            .filter(|a| **a == group)
                            .cloned()
                            .collect()
                    }
                };
                let mut sub = SummarySub {
                    tags,
                    accounts,
                    sent: HashMap::new(),
                };
                let rows = summary_diff(&shared.engine(), &mut sub);
                for (acct, tag, value, ccy) in rows {
                    self.push(&summary_msg(req_id, acct, tag, value, ccy));
                }
                self.push(&Outbound::AccountSummaryEnd(m::EndByReqId {
                    req_id: Some(req_id),
                }));
                self.subs.summary.insert(req_id, sub);
            }
            Request::CancelAccountSummary(id) => {
                self.subs.summary.remove(&id);
            }
            Request::Positions => {
                let mut sent = HashMap::new();
                let msgs = positions_diff(&shared.engine(), &mut sent, true);
                for o in msgs {
                    self.push(&o);
                }
                self.push(&Outbound::PositionEnd);
                self.subs.positions = Some(sent);
            }
            Request::CancelPositions => self.subs.positions = None,
            Request::AccountUpdates(r) => {
                if r.subscribe != Some(true) {
                    self.subs.account_updates = None;
                    return;
                }
                let account = {
                    let eng = shared.engine();
                    let wanted = r.acct_code.filter(|a| !a.is_empty());
                    match wanted {
                        Some(a) if eng.account(&a).is_some() => a,
                        Some(a) => {
                            drop(eng);
                            self.push(&report::error(-1, 321, &format!("Error validating request.-'bB' : cause - Invalid account code '{a}'")));
                            return;
                        }
                        None => eng.account_ids()[0].clone(),
                    }
                };
                let mut sub = AccountUpdatesSub {
                    account: account.clone(),
                    values: HashMap::new(),
                    portfolio: HashMap::new(),
                };
                let msgs = account_updates_diff(&shared.engine(), &mut sub);
                for o in msgs {
                    self.push(&o);
                }
                self.push(&Outbound::AccountDownloadEnd(m::AccountDataEnd {
                    account_name: Some(account),
                }));
                self.subs.account_updates = Some(sub);
            }
            Request::PnL(r) => {
                let req_id = r.req_id.unwrap_or(0);
                let account = r.account.unwrap_or_default();
                self.subs.pnl.insert(req_id, (account, None));
                self.push_pnl();
            }
            Request::CancelPnL(id) => {
                self.subs.pnl.remove(&id);
            }
            Request::PnLSingle(r) => {
                let req_id = r.req_id.unwrap_or(0);
                self.subs.pnl_single.insert(
                    req_id,
                    (r.account.unwrap_or_default(), r.con_id.unwrap_or(0), None),
                );
                self.push_pnl();
            }
            Request::CancelPnLSingle(id) => {
                self.subs.pnl_single.remove(&id);
            }
            Request::MarketData(r) => self.market_data(r),
            Request::CancelMarketData(id) => {
                self.subs.market.remove(&id);
            }
            Request::MarketDataType(_) => {}
            Request::RealTimeBars(r) => {
                let req_id = r.req_id.unwrap_or(0);
                let contract = r.contract.unwrap_or_default();
                let eng = shared.engine();
                match eng.resolve(&contract) {
                    Some(index) => {
                        let last_seq = eng.market.bar_seq();
                        drop(eng);
                        let what = r
                            .what_to_show
                            .unwrap_or_else(|| "TRADES".into())
                            .to_ascii_uppercase();
                        self.subs.bars.insert(
                            req_id,
                            BarSub {
                                index,
                                what,
                                last_seq,
                            },
                        );
                    }
                    None => {
                        drop(eng);
                        self.push(&no_security(req_id));
                    }
                }
            }
            Request::CancelRealTimeBars(id) => {
                self.subs.bars.remove(&id);
            }
            Request::TickByTick(r) => {
                let req_id = r.req_id.unwrap_or(0);
                let kind = match r.tick_type.as_deref().unwrap_or("") {
                    "Last" => TbtKind::Last,
                    "AllLast" => TbtKind::AllLast,
                    "BidAsk" => TbtKind::BidAsk,
                    "MidPoint" => TbtKind::MidPoint,
                    other => {
                        self.push(&report::error(
                            req_id,
                            10187,
                            &format!(
                                "Failed to request tick-by-tick data: unknown tick type {other:?}"
                            ),
                        ));
                        return;
                    }
                };
                let contract = r.contract.unwrap_or_default();
                let eng = shared.engine();
                match eng
                    .resolve(&contract)
                    .and_then(|i| eng.market.quote(i).map(|q| (i, q.clone())))
                {
                    Some((index, q)) => {
                        drop(eng);
                        self.subs.tbt.insert(
                            req_id,
                            TbtSub {
                                index,
                                kind,
                                trade_seq: q.trade_seq,
                                quote_seq: q.quote_seq,
                                mid: q.mid(),
                            },
                        );
                    }
                    None => {
                        drop(eng);
                        self.push(&no_security(req_id));
                    }
                }
            }
            Request::CancelTickByTick(id) => {
                self.subs.tbt.remove(&id);
            }
            Request::ContractData(r) => {
                let req_id = r.req_id.unwrap_or(0);
                let contract = r.contract.unwrap_or_default();
                let eng = shared.engine();
                let found = eng
                    .resolve(&contract)
                    .and_then(|i| eng.universe.get(i).cloned());
                drop(eng);
                match found {
                    Some(inst) => {
                        self.push(&report::contract_details(req_id, &inst));
                        self.push(&Outbound::ContractDataEnd(m::EndByReqId {
                            req_id: Some(req_id),
                        }));
                    }
                    None => self.push(&no_security(req_id)),
                }
            }
            Request::PlaceOrder(r) => {
                let o = r.order.clone().unwrap_or_default();
                shared.summary(format!(
                    "client {client_id}: PlaceOrder {} {} {} {} {}{}",
                    r.order_id.unwrap_or(0),
                    o.action.as_deref().unwrap_or("?"),
                    o.total_quantity.as_deref().unwrap_or("?"),
                    r.contract
                        .as_ref()
                        .and_then(|c| c.symbol.as_deref())
                        .unwrap_or("?"),
                    o.order_type.as_deref().unwrap_or("?"),
                    if o.what_if == Some(true) {
                        " (what-if)"
                    } else {
                        ""
                    }
                ));
                let changed = shared.engine().place_order(client_id, r);
                if changed.account {
                    shared.account_changed();
                    shared.market_changed();
                }
            }
            Request::CancelOrder(r) => {
                shared
                    .engine()
                    .cancel_order(client_id, r.order_id.unwrap_or(0));
                shared.account_changed();
            }
            Request::GlobalCancel => {
                shared.engine().global_cancel();
                shared.account_changed();
            }
            Request::OpenOrders | Request::AllOpenOrders => {
                let only = matches!(req, Request::OpenOrders).then_some(client_id);
                let msgs = shared.engine().open_order_reports(only);
                for o in msgs {
                    self.push(&o);
                }
                self.push(&Outbound::OpenOrderEnd);
            }
            Request::AutoOpenOrders(_) => {}
            Request::CompletedOrders(_) => {
                let msgs = shared.engine().completed_order_reports();
                for o in msgs {
                    self.push(&o);
                }
                self.push(&Outbound::CompletedOrdersEnd);
            }
            Request::Executions(r) => {
                let req_id = r.req_id.unwrap_or(0);
                let msgs = shared.engine().execution_reports(
                    client_id,
                    req_id,
                    &r.execution_filter.unwrap_or_default(),
                );
                for o in msgs {
                    self.push(&o);
                }
                self.push(&Outbound::ExecutionDetailsEnd(m::EndByReqId {
                    req_id: Some(req_id),
                }));
            }
            Request::HistoricalData(r) => self.historical_data(r),
            Request::CancelHistoricalData(id) => {
                self.subs.hist_streams.remove(&id);
            }
            Request::CancelHeadTimestamp(_) => {}
            Request::HeadTimestamp(r) => {
                let req_id = r.req_id.unwrap_or(0);
                let known = r
                    .contract
                    .as_ref()
                    .and_then(|c| shared.engine().resolve(c))
                    .is_some();
                if known {
                    // The simulated history reaches back five years.
                    let head = (clock::now_ms() / 1000) - 5 * 365 * 86_400;
                    let head = head - head.rem_euclid(86_400);
                    self.push(&Outbound::HeadTimestamp(m::HeadTimestamp {
                        req_id: Some(req_id),
                        head_timestamp: Some(head.to_string()),
                    }));
                } else {
                    self.push(&no_security(req_id));
                }
            }
            Request::MatchingSymbols(r) => {
                let req_id = r.req_id.unwrap_or(0);
                let pattern = r.pattern.unwrap_or_default().to_ascii_uppercase();
                let eng = shared.engine();
                let mut found: Vec<_> = eng
                    .universe
                    .instruments()
                    .iter()
                    .filter(|i| {
                        !pattern.is_empty()
                            && (i.symbol.starts_with(&pattern) || i.long_name.contains(&pattern))
                    })
                    .map(|i| m::ContractDescription {
                        contract: Some(report::contract(i)),
                        derivative_sec_types: Vec::new(),
                    })
                    .collect();
                drop(eng);
                found.truncate(16);
                self.push(&Outbound::SymbolSamples(m::SymbolSamples {
                    req_id: Some(req_id),
                    contract_descriptions: found,
                }));
            }
            Request::PositionsMulti(r) => {
                let req_id = r.req_id.unwrap_or(0);
                let account = r
                    .account
                    .filter(|a| !a.is_empty() && !a.eq_ignore_ascii_case("All"));
                let mut sub = PositionsMultiSub {
                    account,
                    sent: HashMap::new(),
                };
                let rows = positions_multi_diff(&shared.engine(), req_id, &mut sub);
                for o in rows {
                    self.push(&o);
                }
                self.push(&Outbound::PositionMultiEnd(m::EndByReqId {
                    req_id: Some(req_id),
                }));
                self.subs.positions_multi.insert(req_id, sub);
            }
            Request::CancelPositionsMulti(id) => {
                self.subs.positions_multi.remove(&id);
            }
            Request::AccountUpdatesMulti(r) => {
                let req_id = r.req_id.unwrap_or(0);
                let account = r
                    .account
                    .filter(|a| !a.is_empty() && !a.eq_ignore_ascii_case("All"));
                let mut sub = AccountMultiSub {
                    account,
                    sent: HashMap::new(),
                };
                let rows = account_multi_diff(&shared.engine(), req_id, &mut sub);
                for o in rows {
                    self.push(&o);
                }
                self.push(&Outbound::AccountUpdateMultiEnd(m::EndByReqId {
                    req_id: Some(req_id),
                }));
                self.subs.account_multi.insert(req_id, sub);
            }
            Request::CancelAccountUpdatesMulti(id) => {
                self.subs.account_multi.remove(&id);
            }
            Request::CurrentTimeInMillis => {
                self.push(&Outbound::CurrentTimeInMillis(m::CurrentTimeInMillis {
                    current_time_in_millis: Some(clock::now_ms()),
                }));
            }
            Request::OtherCancel(_) => {}
            Request::MarketRule(id) => {
                self.push(&Outbound::MarketRule(m::MarketRule {
                    market_rule_id: Some(id),
                    price_increments: vec![m::PriceIncrement {
                        low_edge: Some(0.0),
                        increment: Some(0.01),
                    }],
                }));
            }
            Request::Unsupported { msg_id, req_id } => {
                tracing::warn!(client_id, msg_id, "gateway: unsupported request type");
                let id = req_id.filter(|&r| r > 0).unwrap_or(-1);
                self.push(&report::error(
                    id,
                    321,
                    &format!("Error validating request.-'' : cause - Unsupported request type {msg_id} in this version of the gateway"),
                ));
            }
        }
    }

    /// reqHistoricalData: deterministic bars ending at the current price, then the window.
    fn historical_data(&mut self, r: m::HistoricalDataRequest) {
        let req_id = r.req_id.unwrap_or(0);
        let contract = r.contract.clone().unwrap_or_default();
        let bar = r.bar_size_setting.as_deref().and_then(history::bar_seconds);
        let duration = r.duration.as_deref().and_then(history::duration_seconds);
        let now_ms = clock::now_ms();
        let end = history::parse_end(r.end_date_time.as_deref().unwrap_or(""), now_ms);
        let (Some(bar), Some(duration), Some(end)) = (bar, duration, end) else {
            self.push(&report::error(
                req_id,
                321,
                "Error validating request.-'bP' : cause - Historical data query: invalid bar size, duration or end date",
            ));
            return;
        };
        let eng = self.shared.engine();
        let Some((inst, mark)) = eng
            .resolve(&contract)
            .and_then(|i| Some((eng.universe.get(i)?.clone(), eng.market.mark(i))))
        else {
            drop(eng);
            self.push(&no_security(req_id));
            return;
        };
        let seed = eng.seed();
        let inst_index = eng.universe.index_of_con_id(inst.con_id).unwrap_or(0);
        drop(eng);
        let count = usize::try_from((duration / bar).max(1)).unwrap_or(1);
        let bars = history::bars(
            inst.con_id,
            seed,
            mark,
            inst.min_tick,
            end.min(now_ms / 1000),
            bar,
            count,
        );
        let daily = bar >= 86_400;
        let wire_bars = bars
            .iter()
            .map(|b| m::HistoricalDataBar {
                date: Some(if daily {
                    clock::eastern_date(b.time * 1000)
                } else {
                    b.time.to_string()
                }),
                open: Some(f(b.open)),
                high: Some(f(b.high)),
                low: Some(f(b.low)),
                close: Some(f(b.close)),
                volume: Some(q(b.volume)),
                wap: Some(q(b.wap)),
                bar_count: Some(b.count),
            })
            .collect();
        let start = bars.first().map(|b| b.time).unwrap_or(end);
        if r.keep_up_to_date == Some(true) {
            if let Some(last) = bars.last() {
                let last_seq = self.shared.engine().market.bar_seq();
                let current = (
                    last.time,
                    last.open,
                    last.high,
                    last.low,
                    last.close,
                    last.volume,
                    last.count,
                );
                self.subs.hist_streams.insert(
                    req_id,
                    HistStreamSub {
                        index: inst_index,
                        bar_secs: bar,
                        daily,
                        current,
                        last_seq,
                    },
                );
            }
        }
        self.push(&Outbound::HistoricalData(m::HistoricalData {
            req_id: Some(req_id),
            historical_data_bars: wire_bars,
        }));
        self.push(&Outbound::HistoricalDataEnd(m::HistoricalDataEnd {
            req_id: Some(req_id),
            start_date_str: Some(clock::eastern_timestamp(start * 1000)),
            end_date_str: Some(clock::eastern_timestamp(end * 1000)),
        }));
    }

    fn market_data(&mut self, r: m::MarketDataRequest) {
        let req_id = r.req_id.unwrap_or(0);
        let contract = r.contract.unwrap_or_default();
        let eng = self.shared.engine();
        let Some((index, quote, tick)) = eng.resolve(&contract).and_then(|i| {
            Some((
                i,
                eng.market.quote(i)?.clone(),
                eng.universe.get(i)?.min_tick,
            ))
        }) else {
            drop(eng);
            self.push(&no_security(req_id));
            return;
        };
        drop(eng);
        let id = Some(req_id);
        self.push(&Outbound::MarketDataType(m::MarketDataType {
            req_id: id,
            market_data_type: Some(1),
        }));
        self.push(&Outbound::TickReqParams(m::TickReqParams {
            req_id: id,
            min_tick: Some(q(tick)),
            bbo_exchange: Some("9c0001".into()),
            snapshot_permissions: Some(3),
        }));
        for o in full_ticks(req_id, &quote) {
            self.push(&o);
        }
        if r.snapshot == Some(true) || r.regulatory_snapshot == Some(true) {
            self.push(&Outbound::TickSnapshotEnd(m::EndByReqId { req_id: id }));
        } else {
            self.subs
                .market
                .insert(req_id, MktSub { index, last: quote });
        }
    }

    fn on_market(&mut self) {
        let shared = self.shared.clone();
        let eng = shared.engine();
        let mut out = Vec::new();
        for (&req_id, sub) in self.subs.market.iter_mut() {
            let Some(qt) = eng.market.quote(sub.index) else {
                continue;
            };
            diff_ticks(req_id, &sub.last, qt, &mut out);
            sub.last = qt.clone();
        }
        for (&req_id, sub) in self.subs.bars.iter_mut() {
            for bar in eng.market.bars_since(sub.index, sub.last_seq) {
                let o = match sub.what.as_str() {
                    "MIDPOINT" => bar.mid,
                    "BID" => bar.bid,
                    "ASK" => bar.ask,
                    _ => bar.trades,
                };
                out.push(Outbound::RealTimeBar(m::RealTimeBarTick {
                    req_id: Some(req_id),
                    time: Some(bar.time),
                    open: Some(f(o.open)),
                    high: Some(f(o.high)),
                    low: Some(f(o.low)),
                    close: Some(f(o.close)),
                    volume: Some(q(bar.volume)),
                    wap: Some(q(bar.wap)),
                    count: Some(bar.count),
                }));
                sub.last_seq = sub.last_seq.max(bar.seq);
            }
        }
        for (&req_id, sub) in self.subs.hist_streams.iter_mut() {
            let mut changed = false;
            for bar in eng.market.bars_since(sub.index, sub.last_seq) {
                let bucket = bar.time - bar.time.rem_euclid(sub.bar_secs);
                let t = bar.trades;
                let c = &mut sub.current;
                if bucket == c.0 {
                    c.2 = c.2.max(t.high);
                    c.3 = c.3.min(t.low);
                    c.4 = t.close;
                    c.5 += bar.volume;
                    c.6 += bar.count;
                } else if bucket > c.0 {
                    *c = (
                        bucket, t.open, t.high, t.low, t.close, bar.volume, bar.count,
                    );
                }
                sub.last_seq = sub.last_seq.max(bar.seq);
                changed = true;
            }
            if changed {
                let c = sub.current;
                out.push(Outbound::HistoricalDataUpdate(m::HistoricalDataUpdate {
                    req_id: Some(req_id),
                    historical_data_bar: Some(m::HistoricalDataBar {
                        date: Some(if sub.daily {
                            clock::eastern_date(c.0 * 1000)
                        } else {
                            c.0.to_string()
                        }),
                        open: Some(f(c.1)),
                        high: Some(f(c.2)),
                        low: Some(f(c.3)),
                        close: Some(f(c.4)),
                        volume: Some(q(c.5)),
                        wap: Some(q(((c.2 + c.3 + c.4) / Decimal::from(3)).round_dp(4))),
                        bar_count: Some(c.6),
                    }),
                }));
            }
        }
        for (&req_id, sub) in self.subs.tbt.iter_mut() {
            let Some(qt) = eng.market.quote(sub.index) else {
                continue;
            };
            let time = Some(qt.last_time_ms / 1000);
            let now = Some(eng.market.sim_time_ms() / 1000);
            match sub.kind {
                TbtKind::Last | TbtKind::AllLast => {
                    if qt.trade_seq != sub.trade_seq {
                        sub.trade_seq = qt.trade_seq;
                        let exchange = eng
                            .universe
                            .get(sub.index)
                            .map(|i| i.primary_exchange.clone());
                        out.push(Outbound::TickByTick(m::TickByTickData {
                            req_id: Some(req_id),
                            tick_type: Some(if sub.kind == TbtKind::Last { 1 } else { 2 }),
                            tick: Some(m::TickByTickBody::Last(m::HistoricalTickLast {
                                time,
                                tick_attrib_last: Some(m::TickAttribLast {
                                    past_limit: Some(false),
                                    unreported: Some(false),
                                }),
                                price: Some(f(qt.last)),
                                size: Some(q(qt.last_size)),
                                exchange,
                                special_conditions: None,
                            })),
                        }));
                    }
                }
                TbtKind::BidAsk => {
                    if qt.quote_seq != sub.quote_seq {
                        sub.quote_seq = qt.quote_seq;
                        out.push(Outbound::TickByTick(m::TickByTickData {
                            req_id: Some(req_id),
                            tick_type: Some(3),
                            tick: Some(m::TickByTickBody::BidAsk(m::HistoricalTickBidAsk {
                                time: now,
                                tick_attrib_bid_ask: Some(m::TickAttribBidAsk {
                                    bid_past_low: Some(false),
                                    ask_past_high: Some(false),
                                }),
                                price_bid: Some(f(qt.bid)),
                                price_ask: Some(f(qt.ask)),
                                size_bid: Some(q(qt.bid_size)),
                                size_ask: Some(q(qt.ask_size)),
                            })),
                        }));
                    }
                }
                TbtKind::MidPoint => {
                    let mid = qt.mid();
                    if mid != sub.mid {
                        sub.mid = mid;
                        out.push(Outbound::TickByTick(m::TickByTickData {
                            req_id: Some(req_id),
                            tick_type: Some(4),
                            tick: Some(m::TickByTickBody::MidPoint(m::HistoricalTick {
                                time: now,
                                price: Some(f(mid)),
                                size: Some("0".into()),
                            })),
                        }));
                    }
                }
            }
        }
        drop(eng);
        for o in out {
            self.push(&o);
        }
    }

    /// Pushes whatever changed in account-level subscriptions.
    fn on_account(&mut self) {
        let shared = self.shared.clone();
        let mut out = Vec::new();
        {
            let eng = shared.engine();
            for (&req_id, sub) in self.subs.summary.iter_mut() {
                for (acct, tag, value, ccy) in summary_diff(&eng, sub) {
                    out.push(summary_msg(req_id, acct, tag, value, ccy));
                }
            }
            if let Some(sent) = self.subs.positions.as_mut() {
                out.extend(positions_diff(&eng, sent, false));
            }
            if let Some(sub) = self.subs.account_updates.as_mut() {
                out.extend(account_updates_diff(&eng, sub));
            }
            for (&req_id, sub) in self.subs.positions_multi.iter_mut() {
                out.extend(positions_multi_diff(&eng, req_id, sub));
            }
            for (&req_id, sub) in self.subs.account_multi.iter_mut() {
                out.extend(account_multi_diff(&eng, req_id, sub));
            }
        }
        for o in out {
            self.push(&o);
        }
        self.push_pnl();
    }

    fn push_pnl(&mut self) {
        let shared = self.shared.clone();
        let eng = shared.engine();
        let mut out = Vec::new();
        for (&req_id, (account, last)) in self.subs.pnl.iter_mut() {
            let Some(a) = eng.account(account) else {
                continue;
            };
            let mt = eng.metrics(a);
            let now = (
                mt.daily_pnl.round_dp(2),
                mt.unrealized_pnl.round_dp(2),
                mt.realized_pnl.round_dp(2),
            );
            if *last != Some(now) {
                *last = Some(now);
                out.push(Outbound::PnL(m::PnL {
                    req_id: Some(req_id),
                    daily_pnl: Some(f(now.0)),
                    unrealized_pnl: Some(f(now.1)),
                    realized_pnl: Some(f(now.2)),
                }));
            }
        }
        for (&req_id, (account, con_id, last)) in self.subs.pnl_single.iter_mut() {
            let Some(a) = eng.account(account) else {
                continue;
            };
            let mark = eng.mark_con_id(*con_id);
            let qty = a.quantity(*con_id);
            let (u, r, d) = a.position_pnl(*con_id, mark);
            let now = (qty, d.round_dp(2), u.round_dp(2), r.round_dp(2));
            if *last != Some(now) {
                *last = Some(now);
                out.push(Outbound::PnLSingle(m::PnLSingle {
                    req_id: Some(req_id),
                    position: Some(q(qty)),
                    daily_pnl: Some(f(now.1)),
                    unrealized_pnl: Some(f(now.2)),
                    realized_pnl: Some(f(now.3)),
                    value: Some(f((qty * mark).round_dp(2))),
                }));
            }
        }
        drop(eng);
        for o in out {
            self.push(&o);
        }
    }
}

fn no_security(req_id: i32) -> Outbound {
    report::error(
        req_id,
        200,
        "No security definition has been found for the request",
    )
}

fn summary_msg(
    req_id: i32,
    account: String,
    tag: String,
    value: String,
    currency: String,
) -> Outbound {
    Outbound::AccountSummary(m::AccountSummary {
        req_id: Some(req_id),
        account: Some(account),
        tag: Some(tag),
        value: Some(value),
        currency: Some(currency),
    })
}

/// Rows whose value changed since last sent (all rows the first time).
fn summary_diff(eng: &Engine, sub: &mut SummarySub) -> Vec<(String, String, String, String)> {
    let mut out = Vec::new();
    for id in &sub.accounts {
        let Some(a) = eng.account(id) else { continue };
        let mt = eng.metrics(a);
        let start = mt.net_liquidation - mt.daily_pnl;
        for (tag, value, ccy) in report::summary_rows(&sub.tags, a, &mt, start) {
            let key = (id.clone(), tag.clone(), ccy.clone());
            if sub.sent.get(&key) != Some(&value) {
                sub.sent.insert(key, value.clone());
                out.push((id.clone(), tag, value, ccy));
            }
        }
    }
    out
}

fn positions_diff(
    eng: &Engine,
    sent: &mut HashMap<(String, i32), (Decimal, Decimal)>,
    all: bool,
) -> Vec<Outbound> {
    let mut out = Vec::new();
    for a in eng.accounts() {
        for (&con_id, h) in &a.positions {
            let key = (a.id.clone(), con_id);
            let now = (h.quantity, h.avg_cost);
            if all || sent.get(&key) != Some(&now) {
                sent.insert(key, now);
                if let Some(inst) = eng.instrument_by_con_id(con_id) {
                    out.push(report::position(a, con_id, inst));
                }
            }
        }
    }
    out
}

fn positions_multi_diff(eng: &Engine, req_id: i32, sub: &mut PositionsMultiSub) -> Vec<Outbound> {
    let mut out = Vec::new();
    for a in eng
        .accounts()
        .filter(|a| sub.account.as_ref().is_none_or(|w| *w == a.id))
    {
        for (&con_id, h) in &a.positions {
            let key = (a.id.clone(), con_id);
            let now = (h.quantity, h.avg_cost);
            if sub.sent.get(&key) == Some(&now) {
                continue;
            }
            sub.sent.insert(key, now);
            if let Some(inst) = eng.instrument_by_con_id(con_id) {
                out.push(Outbound::PositionMulti(m::PositionMulti {
                    req_id: Some(req_id),
                    account: Some(a.id.clone()),
                    contract: Some(report::contract(inst)),
                    position: Some(q(h.quantity)),
                    avg_cost: Some(f(h.avg_cost)),
                    model_code: None,
                }));
            }
        }
    }
    out
}

fn account_multi_diff(eng: &Engine, req_id: i32, sub: &mut AccountMultiSub) -> Vec<Outbound> {
    let mut out = Vec::new();
    for a in eng
        .accounts()
        .filter(|a| sub.account.as_ref().is_none_or(|w| *w == a.id))
    {
        let mt = eng.metrics(a);
        let start = mt.net_liquidation - mt.daily_pnl;
        for (key, value, ccy) in report::account_values(a, &mt, start) {
            let k = (a.id.clone(), key.clone(), ccy.clone());
            if sub.sent.get(&k) == Some(&value) {
                continue;
            }
            sub.sent.insert(k, value.clone());
            out.push(Outbound::AccountUpdateMulti(m::AccountUpdateMulti {
                req_id: Some(req_id),
                account: Some(a.id.clone()),
                model_code: None,
                key: Some(key),
                value: Some(value),
                currency: Some(ccy),
            }));
        }
    }
    out
}

fn account_updates_diff(eng: &Engine, sub: &mut AccountUpdatesSub) -> Vec<Outbound> {
    let mut out = Vec::new();
    let Some(a) = eng.account(&sub.account) else {
        return out;
    };
    let mt = eng.metrics(a);
    let start = mt.net_liquidation - mt.daily_pnl;
    let mut changed = false;
    for row in report::account_values(a, &mt, start) {
        let key = (row.0.clone(), row.2.clone());
        if sub.values.get(&key) != Some(&row.1) {
            sub.values.insert(key, row.1.clone());
            out.push(report::account_value(&a.id, &row));
            changed = true;
        }
    }
    for (&con_id, h) in &a.positions {
        let mark = eng.mark_con_id(con_id);
        let now = (h.quantity, h.avg_cost, mark);
        if sub.portfolio.get(&con_id) != Some(&now) {
            sub.portfolio.insert(con_id, now);
            if let Some(inst) = eng.instrument_by_con_id(con_id) {
                out.push(report::portfolio(a, con_id, inst, mark));
                changed = true;
            }
        }
    }
    if changed {
        out.push(Outbound::AccountUpdateTime(m::AccountUpdateTime {
            time_stamp: Some(clock::eastern_hhmm(clock::now_ms())),
        }));
    }
    out
}

fn tick_price(req_id: i32, tick_type: i32, price: Decimal, size: Option<Decimal>) -> Outbound {
    Outbound::TickPrice(m::TickPrice {
        req_id: Some(req_id),
        tick_type: Some(tick_type),
        price: Some(f(price)),
        size: size.map(q),
        attr_mask: Some(if matches!(tick_type, 1 | 2) { 1 } else { 0 }),
    })
}

fn tick_size(req_id: i32, tick_type: i32, size: Decimal) -> Outbound {
    Outbound::TickSize(m::TickSize {
        req_id: Some(req_id),
        tick_type: Some(tick_type),
        size: Some(q(size)),
    })
}

/// Everything a fresh market-data subscription gets.
fn full_ticks(req_id: i32, qt: &Quote) -> Vec<Outbound> {
    vec![
        tick_price(req_id, 1, qt.bid, Some(qt.bid_size)),
        tick_size(req_id, 0, qt.bid_size),
        tick_price(req_id, 2, qt.ask, Some(qt.ask_size)),
        tick_size(req_id, 3, qt.ask_size),
        tick_price(req_id, 4, qt.last, Some(qt.last_size)),
        tick_size(req_id, 5, qt.last_size),
        tick_size(req_id, 8, qt.volume),
        tick_price(req_id, 6, qt.high, None),
        tick_price(req_id, 7, qt.low, None),
        tick_price(req_id, 9, qt.close, None),
        tick_price(req_id, 14, qt.open, None),
        Outbound::TickString(m::TickString {
            req_id: Some(req_id),
            tick_type: Some(45),
            value: Some((qt.last_time_ms / 1000).to_string()),
        }),
        Outbound::TickGeneric(m::TickGeneric {
            req_id: Some(req_id),
            tick_type: Some(49),
            value: Some(0.0),
        }),
    ]
}

/// Ticks for what changed between two quotes.
fn diff_ticks(req_id: i32, old: &Quote, new: &Quote, out: &mut Vec<Outbound>) {
    if new.bid != old.bid {
        out.push(tick_price(req_id, 1, new.bid, Some(new.bid_size)));
    } else if new.bid_size != old.bid_size {
        out.push(tick_size(req_id, 0, new.bid_size));
    }
    if new.ask != old.ask {
        out.push(tick_price(req_id, 2, new.ask, Some(new.ask_size)));
    } else if new.ask_size != old.ask_size {
        out.push(tick_size(req_id, 3, new.ask_size));
    }
    if new.trade_seq != old.trade_seq {
        out.push(tick_price(req_id, 4, new.last, Some(new.last_size)));
        out.push(tick_size(req_id, 8, new.volume));
        out.push(Outbound::TickString(m::TickString {
            req_id: Some(req_id),
            tick_type: Some(45),
            value: Some((new.last_time_ms / 1000).to_string()),
        }));
    }
    if new.high != old.high {
        out.push(tick_price(req_id, 6, new.high, None));
    }
    if new.low != old.low {
        out.push(tick_price(req_id, 7, new.low, None));
    }
}
