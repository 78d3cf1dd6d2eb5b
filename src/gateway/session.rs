//! One client connection: handshake, then requests in and replies and pushes out. A bad frame
//! ends this connection only.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use super::clock;
use super::engine::SessionEvent;
use super::faults::HandshakeStep;
use super::report;
use super::server::Shared;
use super::subscriptions::*;

mod feeds;
use super::wire::codec::{Codec, Outbound, Request};
use super::wire::frame::{put_frame, FrameDecoder, FrameError};
use super::wire::handshake::{choose_dialect, parse_version, reply_body, Dialect};
use super::wire::messages as m;
use super::wire::proto::ProtoCodec;
use super::wire::text::TextCodec;

/// One frame as the reader task hands it over: its body and the pacing
/// count `(messages so far in this wall-clock second, that second)` taken as
/// it arrived.
type ArrivedFrame = Result<(Vec<u8>, (u32, u64)), FrameError>;

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
        return Err(SessionError::Io(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "peer closed")));
    }
    Ok(())
}

async fn next_frame(rd: &mut OwnedReadHalf, dec: &mut FrameDecoder) -> Result<Vec<u8>, SessionError> {
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

async fn run(shared: Arc<Shared>, stream: TcpStream, peer: SocketAddr, conn_id: u64) -> Result<(), SessionError> {
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
    // One codec per connection, chosen from the client's range; everything behind it (engine,
    // market, accounts, subscriptions) is shared by both dialects.
    let (server_version, mut codec, min_len, dialect): (i32, Box<dyn Codec>, usize, &str) =
        match choose_dialect(&version)? {
            Dialect::Protobuf(v) => (v, Box::new(ProtoCodec), 4, "protobuf"),
            // A text body is at least a message id and its NUL ("80\0" is three bytes).
            Dialect::Text(v) => (v, Box::new(TextCodec::new(v)), 1, "text"),
        };
    tracing::info!(
        conn_id,
        min = version.min,
        max = version.max,
        server_version,
        dialect,
        "gateway: version negotiated"
    );
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
    dec.set_min_len(min_len);
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
        shared.summary(format!("conn {conn_id}: client id {client_id} already in use -> 326, closed"));
        let e = report::error(
            -1,
            326,
            "Unable to connect as the client id is already in use. Retry with a unique client id.",
        );
        write_frame(&mut wr, &codec.encode(&e)).await?;
        let _ = wr.shutdown().await;
        return Ok(());
    }
    let _guard = Registration { shared: shared.clone(), client_id, conn_id };
    tracing::info!(conn_id, client_id, "gateway: client started API");
    shared.summary(format!(
        "conn {conn_id}: client id {client_id} connected ({dialect}, server version {server_version})"
    ));
    let mut session = Session::new(shared.clone(), client_id, codec, tx);
    session.push(&Outbound::NextValidId(m::NextValidId { order_id: Some(next_id) }));
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
    session.push(&Outbound::ManagedAccounts(m::ManagedAccounts { accounts_list: Some(accounts) }));
    for code in [2104, 2106, 2158] {
        session.push(&report::error(-1, code, super::faults::notice_text(code)));
    }
    session.flush(&mut wr).await?;

    // Reader task: frames in over a bounded channel, so the main loop's select is cancel-safe.
    // Each frame counts against the gateway-wide message rate as it arrives (as IB counts),
    // not when the main loop gets to it.
    let (ftx, frx) = mpsc::channel::<ArrivedFrame>(256);
    let pacing = shared.clone();
    let reader = tokio::spawn(async move {
        loop {
            match dec.next_frame() {
                Ok(Some(f)) => {
                    if ftx.send(Ok((f, pacing.pace()))).await.is_err() {
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
    shared.summary(format!("conn {conn_id}: client id {client_id} disconnected"));
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
        self.shared.engine().unregister(self.client_id, self.conn_id);
    }
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
        // Empty: the message has no frame of its own in this dialect.
        if !body.is_empty() {
            put_frame(&mut self.out, &body);
        }
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
        mut frames: mpsc::Receiver<ArrivedFrame>,
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
                        if matches!(&o, Outbound::Error(e) if e.error_code == Some(1101)) {
                            self.subs.drop_market_data();
                        }
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
                    Some(SessionEvent::DropMarketData) => self.subs.drop_market_data(),
                    Some(SessionEvent::Close) | None => return Ok(()),
                },
                frame = frames.recv() => match frame {
                    Some(Ok((body, pace))) => {
                        if self.stalled(&faults) {
                            continue;
                        }
                        let delay = faults.borrow().delay;
                        if let Some(d) = delay {
                            self.flush(wr).await?;
                            tokio::time::sleep(d).await;
                        }
                        if !self.on_frame(&body, pace, &faults) {
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
        (count, window): (u32, u64),
        faults: &tokio::sync::watch::Receiver<super::faults::FaultSettings>,
    ) -> bool {
        if faults.borrow().pacing {
            if count > 50 {
                self.push(&report::error(
                    -1,
                    100,
                    &format!("Max rate of messages per second has been exceeded:max=50 rec={count} (1)"),
                ));
                self.shared.summary(format!(
                    "client {}: pacing violation ({count} msg/s) -> 100, disconnected",
                    self.client_id
                ));
                return false;
            }
            // "Approaching" past 90% of the limit (46 and up in one second).
            if count > 45 && self.pacing_warned_at != Some(window) {
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
                tracing::debug!(client_id = self.client_id, request = ?req, "gateway: request");
                self.handle(req);
                true
            }
            Err(e) => {
                tracing::warn!(client_id = self.client_id, error = %e, "gateway: undecodable request");
                self.push(&report::error(-1, e.code(), &e.notice()));
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
                self.push(&Outbound::NextValidId(m::NextValidId { order_id: Some(id) }));
            }
            Request::ManagedAccounts => {
                let list = shared.engine().account_ids().join(",");
                self.push(&Outbound::ManagedAccounts(m::ManagedAccounts { accounts_list: Some(list) }));
            }
            Request::CurrentTime => {
                self.push(&Outbound::CurrentTime(m::CurrentTime { current_time: Some(clock::now_ms() / 1000) }));
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
                        eng.account_ids().iter().filter(|a| **a == group).cloned().collect()
                    }
                };
                let mut sub = SummarySub { tags, accounts, sent: HashMap::new() };
                let rows = summary_diff(&shared.engine(), &mut sub);
                for (acct, tag, value, ccy) in rows {
                    self.push(&summary_msg(req_id, acct, tag, value, ccy));
                }
                self.push(&Outbound::AccountSummaryEnd(m::EndByReqId { req_id: Some(req_id) }));
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
                            self.push(&report::error(
                                -1,
                                321,
                                &format!("Error validating request.-'bB' : cause - Invalid account code '{a}'"),
                            ));
                            return;
                        }
                        None => eng.account_ids()[0].clone(),
                    }
                };
                let mut sub =
                    AccountUpdatesSub { account: account.clone(), values: HashMap::new(), portfolio: HashMap::new() };
                let msgs = account_updates_diff(&shared.engine(), &mut sub);
                for o in msgs {
                    self.push(&o);
                }
                self.push(&Outbound::AccountDownloadEnd(m::AccountDataEnd { account_name: Some(account) }));
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
                self.subs.pnl_single.insert(req_id, (r.account.unwrap_or_default(), r.con_id.unwrap_or(0), None));
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
                        let what = r.what_to_show.unwrap_or_else(|| "TRADES".into()).to_ascii_uppercase();
                        self.subs.bars.insert(req_id, BarSub { index, what, last_seq });
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
                            &format!("Failed to request tick-by-tick data: unknown tick type {other:?}"),
                        ));
                        return;
                    }
                };
                let contract = r.contract.unwrap_or_default();
                let eng = shared.engine();
                match eng.resolve(&contract).and_then(|i| eng.market.quote(i).map(|q| (i, q.clone()))) {
                    Some((index, q)) => {
                        drop(eng);
                        self.subs.tbt.insert(
                            req_id,
                            TbtSub { index, kind, trade_seq: q.trade_seq, quote_seq: q.quote_seq, mid: q.mid() },
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
                let found = eng.resolve(&contract).and_then(|i| eng.universe.get(i).cloned());
                drop(eng);
                match found {
                    Some(inst) => {
                        self.push(&report::contract_details(req_id, &inst));
                        self.push(&Outbound::ContractDataEnd(m::EndByReqId { req_id: Some(req_id) }));
                    }
                    None => self.push(&no_security(req_id)),
                }
            }
            Request::PlaceOrder(r) => {
                let o = r.order.clone().unwrap_or_default();
                shared.record_order(super::server::ReceivedOrder {
                    client_id,
                    order_id: r.order_id,
                    symbol: r.contract.as_ref().and_then(|c| c.symbol.clone()),
                    action: o.action.clone(),
                    total_quantity: o.total_quantity.clone(),
                    order_type: o.order_type.clone(),
                    lmt_price: o.lmt_price,
                    aux_price: o.aux_price,
                    tif: o.tif.clone(),
                    account: o.account.clone(),
                    what_if: o.what_if == Some(true),
                    parent_id: o.parent_id.unwrap_or(0),
                    transmit: o.transmit == Some(true),
                    oca_group: o.oca_group.clone().filter(|g| !g.is_empty()),
                    oca_type: o.oca_type.unwrap_or(0),
                });
                shared.summary(format!(
                    "client {client_id}: PlaceOrder {} {} {} {} {}{}",
                    r.order_id.unwrap_or(0),
                    o.action.as_deref().unwrap_or("?"),
                    o.total_quantity.as_deref().unwrap_or("?"),
                    r.contract.as_ref().and_then(|c| c.symbol.as_deref()).unwrap_or("?"),
                    o.order_type.as_deref().unwrap_or("?"),
                    if o.what_if == Some(true) { " (what-if)" } else { "" }
                ));
                let changed = shared.engine().place_order(client_id, r);
                if changed.account {
                    shared.account_changed();
                    shared.market_changed();
                }
            }
            Request::CancelOrder(r) => {
                shared.engine().cancel_order(client_id, r.order_id.unwrap_or(0));
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
                let msgs =
                    shared.engine().execution_reports(client_id, req_id, &r.execution_filter.unwrap_or_default());
                for o in msgs {
                    self.push(&o);
                }
                self.push(&Outbound::ExecutionDetailsEnd(m::EndByReqId { req_id: Some(req_id) }));
            }
            Request::HistoricalData(r) => self.historical_data(r),
            Request::CancelHistoricalData(id) => {
                self.subs.hist_streams.remove(&id);
            }
            Request::CancelHeadTimestamp(_) => {}
            Request::HeadTimestamp(r) => {
                let req_id = r.req_id.unwrap_or(0);
                let known = r.contract.as_ref().and_then(|c| shared.engine().resolve(c)).is_some();
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
                        !pattern.is_empty() && (i.symbol.starts_with(&pattern) || i.long_name.contains(&pattern))
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
                let account = r.account.filter(|a| !a.is_empty() && !a.eq_ignore_ascii_case("All"));
                let mut sub = PositionsMultiSub { account, sent: HashMap::new() };
                let rows = positions_multi_diff(&shared.engine(), req_id, &mut sub);
                for o in rows {
                    self.push(&o);
                }
                self.push(&Outbound::PositionMultiEnd(m::EndByReqId { req_id: Some(req_id) }));
                self.subs.positions_multi.insert(req_id, sub);
            }
            Request::CancelPositionsMulti(id) => {
                self.subs.positions_multi.remove(&id);
            }
            Request::AccountUpdatesMulti(r) => {
                let req_id = r.req_id.unwrap_or(0);
                let account = r.account.filter(|a| !a.is_empty() && !a.eq_ignore_ascii_case("All"));
                let mut sub = AccountMultiSub { account, sent: HashMap::new() };
                let rows = account_multi_diff(&shared.engine(), req_id, &mut sub);
                for o in rows {
                    self.push(&o);
                }
                self.push(&Outbound::AccountUpdateMultiEnd(m::EndByReqId { req_id: Some(req_id) }));
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
                    price_increments: vec![m::PriceIncrement { low_edge: Some(0.0), increment: Some(0.01) }],
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
}
