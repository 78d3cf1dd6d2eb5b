//! Stores built from scripted events, a fixed clock, and a readable text form of a buffer
//! for snapshots.

use super::{render, RenderContext, ViewState};
use crate::config::theme::Theme;
use crate::store::{
    BrokerEvent, DisconnectKind, Health, SessionEvent, Signal, SignalSide, Store, StoreEvent, StrategyEvent,
    SubsystemEvent, SubsystemStatus,
};
use chrono::{DateTime, TimeZone, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use rust_decimal::Decimal;
use std::str::FromStr;
use std::time::Duration;

pub const ACCOUNT: &str = "DU1234567";

/// The fixed clock: 2026-11-28 14:30:00 UTC plus `secs`.
pub fn t(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 14, 30, 0).single().expect("valid time") + chrono::Duration::seconds(secs)
}

/// "Now" in every rendering test.
pub fn now() -> DateTime<Utc> {
    t(60)
}

pub fn d(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal literal")
}

pub fn broker(store: &mut Store, secs: i64, event: BrokerEvent) {
    store.apply(t(secs), StoreEvent::Broker(event));
}

pub fn subsystem(store: &mut Store, secs: i64, id: &str, health: Health, detail: &str, errors: &[&str], ms: u64) {
    let status = SubsystemStatus {
        health,
        load_time: (ms > 0).then(|| Duration::from_millis(ms)),
        detail: detail.into(),
        errors: errors.iter().map(|e| (*e).to_string()).collect(),
        restarts: 0,
        since: t(secs),
    };
    store.apply(t(secs), StoreEvent::Subsystem(SubsystemEvent { id: id.into(), status }));
}

/// Just started: subsystems pending, nothing connected.
pub fn just_started() -> Store {
    let mut store = Store::new();
    subsystem(&mut store, 0, "config", Health::Ok, "embedded defaults", &[], 2);
    subsystem(&mut store, 0, "broker", Health::Pending, "starting", &[], 0);
    store
}

pub fn connecting(store: &mut Store, secs: i64, attempt: u32) {
    broker(
        store,
        secs,
        BrokerEvent::Connecting {
            address: "127.0.0.1:4710".into(),
            gateway_origin: "embedded (hosted here)".into(),
            client_id: 17,
            attempt,
        },
    );
}

/// Connected, the account summary partly in: reconciling.
pub fn reconciling() -> Store {
    let mut store = just_started();
    connecting(&mut store, 1, 1);
    broker(
        &mut store,
        2,
        BrokerEvent::Connected {
            server_version: 187,
            connection_time: Some("20261128 09:30:02 US/Eastern".into()),
            managed_accounts: vec![ACCOUNT.into()],
        },
    );
    account_value(&mut store, 3, "NetLiquidation", "1000123.45");
    store
}

pub fn account_value(store: &mut Store, secs: i64, tag: &str, value: &str) {
    broker(
        store,
        secs,
        BrokerEvent::AccountValue {
            account: ACCOUNT.into(),
            tag: tag.into(),
            value: value.into(),
            currency: "USD".into(),
        },
    );
}

pub fn position(store: &mut Store, secs: i64, con_id: i32, symbol: &str, qty: &str, avg: &str) {
    broker(
        store,
        secs,
        BrokerEvent::Position {
            account: ACCOUNT.into(),
            con_id,
            symbol: symbol.into(),
            currency: "USD".into(),
            quantity: d(qty),
            average_cost: Some(d(avg)),
        },
    );
}

pub fn portfolio(store: &mut Store, secs: i64, con_id: i32, symbol: &str, qty: &str, price: &str, value: &str) {
    broker(
        store,
        secs,
        BrokerEvent::Portfolio {
            account: ACCOUNT.into(),
            con_id,
            symbol: symbol.into(),
            currency: "USD".into(),
            quantity: d(qty),
            market_price: Some(d(price)),
            market_value: Some(d(value)),
            average_cost: None,
            unrealized_pnl: None,
            realized_pnl: None,
        },
    );
}

pub fn pnl_single(store: &mut Store, secs: i64, con_id: i32, unrealized: &str, daily: Option<&str>) {
    broker(
        store,
        secs,
        BrokerEvent::PnlSingle {
            account: ACCOUNT.into(),
            con_id,
            daily: daily.map(d),
            unrealized: Some(d(unrealized)),
            realized: None,
        },
    );
}

pub fn signal(store: &mut Store, secs: i64, symbol: &str, side: SignalSide, strength: &str, reason: &str) {
    let signal = Signal {
        at: t(secs),
        symbol: symbol.into(),
        strategy: "sma_cross".into(),
        side,
        strength: d(strength),
        reason: reason.into(),
    };
    store.apply(t(secs), StoreEvent::Strategy(StrategyEvent::Signal(signal)));
}

/// Live with a full account, three positions (one still without a price), farms, notices,
/// signals and every subsystem Ok.
pub fn live_with_data() -> Store {
    let mut store = reconciling();
    for (tag, value) in [
        ("TotalCashValue", "985012.10"),
        ("SettledCash", "985012.10"),
        ("BuyingPower", "3940048.40"),
        ("AvailableFunds", "985012.10"),
        ("ExcessLiquidity", "990000.00"),
        ("EquityWithLoanValue", "1000123.45"),
        ("GrossPositionValue", "15111.35"),
        ("InitMarginReq", "15111.35"),
        ("MaintMarginReq", "10123.45"),
        ("Cushion", "0.98988"),
        ("DayTradesRemaining", "3"),
    ] {
        account_value(&mut store, 4, tag, value);
    }
    broker(&mut store, 4, BrokerEvent::AccountSummaryEnd);
    position(&mut store, 5, 265598, "AAPL", "100", "150.25");
    position(&mut store, 5, 756733, "SPY", "-10", "452.10");
    position(&mut store, 5, 4815747, "NVDA", "2.5", "480");
    broker(&mut store, 5, BrokerEvent::PositionsEnd);
    portfolio(&mut store, 6, 265598, "AAPL", "100", "151", "15100");
    portfolio(&mut store, 6, 756733, "SPY", "-10", "453.35", "-4533.50");
    pnl_single(&mut store, 7, 265598, "75", Some("20.5"));
    pnl_single(&mut store, 7, 756733, "-12.5", None);
    broker(
        &mut store,
        7,
        BrokerEvent::Pnl {
            account: ACCOUNT.into(),
            daily: Some(d("20.5")),
            unrealized: Some(d("62.5")),
            realized: None,
        },
    );
    broker(&mut store, 8, BrokerEvent::Reconciled);
    broker(
        &mut store,
        8,
        BrokerEvent::Notice { id: -1, code: 2104, text: "Market data farm connection is OK:usfarm".into() },
    );
    broker(
        &mut store,
        9,
        BrokerEvent::Notice { id: -1, code: 2106, text: "HMDS data farm connection is OK:ushmds".into() },
    );
    broker(
        &mut store,
        10,
        BrokerEvent::Notice { id: -1, code: 2158, text: "Sec-def data farm connection is OK:secdefnj".into() },
    );
    store.apply(t(0), StoreEvent::Session(SessionEvent::Configured { watchlist: vec![], strategies: 1 }));
    signal(&mut store, 30, "AAPL", SignalSide::Buy, "0.82", "fast SMA crossed above slow");
    signal(&mut store, 45, "SPY", SignalSide::Sell, "0.4", "fast SMA crossed below slow");
    subsystem(&mut store, 2, "broker", Health::Ok, "connected to 127.0.0.1:4710", &[], 12);
    subsystem(&mut store, 1, "gateway", Health::Ok, "hosted on 127.0.0.1:4710", &[], 35);
    subsystem(&mut store, 1, "theme", Health::Ok, "dark", &[], 1);
    subsystem(&mut store, 5, "subscription:positions", Health::Ok, "streaming", &[], 3);
    broker(&mut store, 58, BrokerEvent::Heartbeat);
    store
}

/// Failed: the gateway could not start and the connection is down with its reason.
pub fn failed() -> Store {
    let mut store = just_started();
    subsystem(
        &mut store,
        1,
        "gateway",
        Health::Failed,
        "could not host the gateway",
        &["cannot bind 127.0.0.1:4710", "Address already in use (os error 98)"],
        4,
    );
    subsystem(
        &mut store,
        1,
        "theme",
        Health::Degraded,
        "using the built-in dark theme instead",
        &["no theme named \"neon\""],
        1,
    );
    connecting(&mut store, 1, 1);
    broker(
        &mut store,
        3,
        BrokerEvent::Disconnected {
            kind: DisconnectKind::Unreachable,
            reason: "connection refused by 127.0.0.1:4710".into(),
            next_try_at: None,
            attempt: 1,
        },
    );
    subsystem(&mut store, 3, "broker", Health::Failed, "not connected", &["connection refused by 127.0.0.1:4710"], 0);
    store
}

pub fn log_tail() -> Vec<String> {
    vec![
        "14:30:00 INFO robo-tui starting".to_string(),
        "14:30:01 INFO gateway listening on 127.0.0.1:4710".to_string(),
        "14:30:02 WARN market data farm usfarm reconnecting".to_string(),
        "14:30:08 INFO reconciled DU1234567".to_string(),
    ]
}

/// Render the whole cockpit at `width`x`height` with `theme`.
pub fn render_cockpit(store: &Store, view: &ViewState, theme: &Theme, width: u16, height: u16) -> Buffer {
    let area = Rect::new(0, 0, width, height);
    let mut buf = Buffer::empty(area);
    let tail = log_tail();
    let ctx = RenderContext { now: now(), theme, log_tail: &tail };
    render(area, &mut buf, store, view, &ctx);
    buf
}

/// The buffer's text, one line per row, trailing spaces trimmed.
pub fn text(buf: &Buffer) -> String {
    crate::ui::text::buffer_text(buf)
}

fn color_name(color: Color) -> String {
    match color {
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(i) => format!("{i}"),
        other => format!("{other:?}"),
    }
}

fn style_name(cell: &ratatui::buffer::Cell) -> String {
    let mut parts = Vec::new();
    if cell.fg != Color::Reset {
        parts.push(format!("fg={}", color_name(cell.fg)));
    }
    if cell.bg != Color::Reset {
        parts.push(format!("bg={}", color_name(cell.bg)));
    }
    let modifier = cell.modifier;
    for (flag, name) in [
        (Modifier::BOLD, "bold"),
        (Modifier::DIM, "dim"),
        (Modifier::ITALIC, "italic"),
        (Modifier::UNDERLINED, "underlined"),
        (Modifier::REVERSED, "reversed"),
    ] {
        if modifier.contains(flag) {
            parts.push(name.to_string());
        }
    }
    parts.join(" ")
}

/// The text, then each row's runs of styled cells (`r3 c2-14 fg=Cyan bold "text"`), so a
/// snapshot shows what a theme does to each part.
pub fn text_with_styles(buf: &Buffer) -> String {
    let mut out = text(buf);
    out.push_str("--- styles (row, columns, style, text) ---\n");
    let area = buf.area;
    for y in area.top()..area.bottom() {
        let mut x = area.left();
        while x < area.right() {
            let name = style_name(&buf[(x, y)]);
            let start = x;
            let mut content = String::new();
            while x < area.right() && style_name(&buf[(x, y)]) == name {
                content.push_str(buf[(x, y)].symbol());
                x += 1;
            }
            let trimmed = content.trim();
            if !name.is_empty() && !trimmed.is_empty() {
                out.push_str(&format!("r{y} c{start}-{} {name} {trimmed:?}\n", x - 1));
            }
        }
    }
    out
}

/// The session may trade (paper): order entry is enabled while live and reconciled.
pub fn trading_session(store: &mut Store) {
    let configured = crate::store::TradingEvent::Configured {
        session: crate::orders::SessionKind::Trading,
        allow_live: false,
        precautions: crate::orders::Precautions::default(),
    };
    store.apply(t(1), StoreEvent::Trading(configured));
}

pub fn tick(store: &mut Store, secs: i64, symbol: &str, field: crate::store::TickField, value: &str) {
    broker(store, secs, BrokerEvent::Tick { symbol: symbol.into(), field, value: d(value) });
}

pub fn bar(store: &mut Store, secs: i64, symbol: &str, close: &str) {
    let close = d(close);
    broker(
        store,
        secs,
        BrokerEvent::Bar {
            symbol: symbol.into(),
            time: t(secs),
            open: close,
            high: close,
            low: close,
            close,
            volume: d("100"),
        },
    );
}

/// `live_with_data` with a watchlist (AAPL, MSFT, ZZZZ, QQQ): AAPL live and up with bars,
/// MSFT delayed and down, ZZZZ without a security definition, QQQ not arrived yet; SPY and
/// NVDA come from the positions.
pub fn with_quotes() -> Store {
    use crate::store::{MarketDataKind, TickField};
    let mut store = live_with_data();
    let watchlist = vec!["AAPL".into(), "MSFT".into(), "ZZZZ".into(), "QQQ".into()];
    store.apply(t(0), StoreEvent::Session(SessionEvent::Configured { watchlist, strategies: 1 }));
    for (field, value) in [
        (TickField::Close, "150.00"),
        (TickField::Bid, "151.00"),
        (TickField::Ask, "151.02"),
        (TickField::Last, "151.01"),
        (TickField::Volume, "1234567"),
    ] {
        tick(&mut store, 50, "AAPL", field, value);
    }
    broker(&mut store, 50, BrokerEvent::MarketDataType { symbol: "AAPL".into(), kind: MarketDataKind::Live });
    for (i, close) in ["150.10", "150.40", "150.20", "150.80", "151.00", "151.01"].iter().enumerate() {
        bar(&mut store, 30 + 5 * i as i64, "AAPL", close);
    }
    tick(&mut store, 40, "MSFT", TickField::Close, "420.00");
    tick(&mut store, 40, "MSFT", TickField::Last, "415.80");
    broker(&mut store, 40, BrokerEvent::MarketDataType { symbol: "MSFT".into(), kind: MarketDataKind::Delayed });
    broker(
        &mut store,
        41,
        BrokerEvent::QuoteProblem {
            symbol: "ZZZZ".into(),
            text: "200 No security definition has been found for the request".into(),
        },
    );
    store
}

pub fn terms(
    account: &str,
    symbol: &str,
    action: &str,
    qty: &str,
    order_type: &str,
    limit: Option<&str>,
) -> crate::store::OrderTerms {
    crate::store::OrderTerms {
        account: account.into(),
        symbol: symbol.into(),
        con_id: 265598,
        action: action.into(),
        quantity: d(qty),
        order_type: order_type.into(),
        limit_price: limit.map(d),
        stop_price: None,
        trail_stop_price: None,
        tif: "DAY".into(),
        outside_rth: false,
        order_ref: String::new(),
    }
}

/// `with_quotes` in a trading session with orders: #11 AAPL partly filled with a commission,
/// #12 rejected with code 201, #13 sent 10 s ago and never acknowledged (UNCONFIRMED), #40
/// from another client (id 5).
pub fn with_orders() -> Store {
    let mut store = with_quotes();
    trading_session(&mut store);
    let submitted = |store: &mut Store, secs, order_id, terms| {
        broker(store, secs, BrokerEvent::OrderSubmitted { order_id, intent_id: format!("intent-{order_id}"), terms });
    };
    submitted(&mut store, 20, 11, terms(ACCOUNT, "AAPL", "BUY", "100", "LMT", Some("151.05")));
    broker(
        &mut store,
        21,
        BrokerEvent::OrderStatus {
            order_id: 11,
            client_id: 17,
            perm_id: Some(9001),
            status: "Submitted".into(),
            filled: Some(d("0")),
            remaining: Some(d("100")),
        },
    );
    broker(
        &mut store,
        22,
        BrokerEvent::Execution {
            exec_id: "0001.01".into(),
            order_id: 11,
            client_id: 17,
            account: ACCOUNT.into(),
            symbol: "AAPL".into(),
            side: "BOT".into(),
            shares: d("40"),
            price: d("151.02"),
            time: "20261128 14:30:22".into(),
        },
    );
    broker(
        &mut store,
        23,
        BrokerEvent::Commission {
            exec_id: "0001.01".into(),
            amount: Some(d("1.00")),
            currency: "USD".into(),
            realized_pnl: None,
        },
    );
    submitted(&mut store, 30, 12, terms(ACCOUNT, "MSFT", "SELL", "10", "MKT", None));
    broker(
        &mut store,
        31,
        BrokerEvent::Notice {
            id: 12,
            code: 201,
            text: "Order rejected - reason: YOUR ORDER IS NOT ACCEPTED. IN ORDER TO OBTAIN THE DESIRED POSITION".into(),
        },
    );
    submitted(&mut store, 50, 13, terms(ACCOUNT, "SPY", "SELL", "5", "LMT", Some("455.00")));
    broker(
        &mut store,
        45,
        BrokerEvent::OpenOrder {
            order_id: 40,
            client_id: 5,
            perm_id: Some(9040),
            terms: terms(ACCOUNT, "NVDA", "BUY", "3", "LMT", Some("470.00")),
            status: "PreSubmitted".into(),
        },
    );
    store
}

pub const SECOND_ACCOUNT: &str = "DU7654321";

/// Two managed accounts, each with its own position and order.
pub fn two_accounts() -> Store {
    let mut store = just_started();
    connecting(&mut store, 1, 1);
    broker(
        &mut store,
        2,
        BrokerEvent::Connected {
            server_version: 187,
            connection_time: None,
            managed_accounts: vec![ACCOUNT.into(), SECOND_ACCOUNT.into()],
        },
    );
    trading_session(&mut store);
    for (account, net_liq) in
        [(ACCOUNT, ["1000000", "1000100", "1000050"]), (SECOND_ACCOUNT, ["50000", "49000", "48000"])]
    {
        for (i, value) in net_liq.iter().enumerate() {
            broker(
                &mut store,
                3 + i as i64,
                BrokerEvent::AccountValue {
                    account: account.into(),
                    tag: "NetLiquidation".into(),
                    value: (*value).into(),
                    currency: "USD".into(),
                },
            );
        }
    }
    broker(&mut store, 6, BrokerEvent::AccountSummaryEnd);
    for (account, con_id, symbol) in [(ACCOUNT, 265598, "AAPL"), (SECOND_ACCOUNT, 76792991, "TSLA")] {
        broker(
            &mut store,
            7,
            BrokerEvent::Position {
                account: account.into(),
                con_id,
                symbol: symbol.into(),
                currency: "USD".into(),
                quantity: d("10"),
                average_cost: Some(d("100")),
            },
        );
        broker(
            &mut store,
            8,
            BrokerEvent::OrderSubmitted {
                order_id: con_id % 1000,
                intent_id: format!("intent-{symbol}"),
                terms: terms(account, symbol, "SELL", "10", "LMT", Some("200")),
            },
        );
    }
    broker(&mut store, 8, BrokerEvent::PositionsEnd);
    broker(&mut store, 9, BrokerEvent::Reconciled);
    store
}

/// Render one pane with `view` (its selection, the shown account, sort and filter).
pub fn render_pane_view(
    store: &Store,
    view: &ViewState,
    pane: super::PaneId,
    theme: &Theme,
    width: u16,
    height: u16,
) -> Buffer {
    let area = Rect::new(0, 0, width, height);
    let mut buf = Buffer::empty(area);
    let tail = log_tail();
    let ctx = super::panes::PaneCtx {
        store,
        theme,
        now: now(),
        log_tail: &tail,
        focused: view.focus == pane,
        view: view.pane(pane),
        cockpit: view,
    };
    super::panes::render(pane, area, &mut buf, &ctx);
    buf
}

/// The line of `text` that contains `needle`.
pub fn line_with<'a>(text: &'a str, needle: &str) -> &'a str {
    text.lines().find(|l| l.contains(needle)).unwrap_or_else(|| panic!("no line with {needle:?} in\n{text}"))
}

/// `with_orders` plus a bracket `rt-9` on SPY: entry #21 BUY 10 LMT 450.00 filled, its take
/// profit #22 SELL LMT 460.00 and stop loss #23 SELL STP 445.00 working.
pub fn with_bracket() -> Store {
    let mut store = with_orders();
    let leg = |action: &str, order_type: &str, limit: Option<&str>, stop: Option<&str>, leg: &str| {
        let mut t = terms(ACCOUNT, "SPY", action, "10", order_type, limit);
        t.stop_price = stop.map(d);
        t.order_ref = format!("rt-9.{leg}");
        t.tif = if leg == "entry" { "DAY".into() } else { "GTC".into() };
        t
    };
    for (secs, id, terms) in [
        (40, 21, leg("BUY", "LMT", Some("450.00"), None, "entry")),
        (40, 22, leg("SELL", "LMT", Some("460.00"), None, "tp")),
        (40, 23, leg("SELL", "STP", None, Some("445.00"), "sl")),
    ] {
        let intent_id = terms.order_ref.clone();
        broker(&mut store, secs, BrokerEvent::OrderSubmitted { order_id: id, intent_id, terms });
    }
    let status = |store: &mut Store, secs, order_id, status: &str, filled: &str, remaining: &str| {
        broker(
            store,
            secs,
            BrokerEvent::OrderStatus {
                order_id,
                client_id: 17,
                perm_id: Some(9100 + i64::from(order_id)),
                status: status.into(),
                filled: Some(d(filled)),
                remaining: Some(d(remaining)),
            },
        );
    };
    status(&mut store, 41, 22, "PreSubmitted", "0", "10");
    status(&mut store, 41, 23, "PreSubmitted", "0", "10");
    status(&mut store, 41, 21, "Submitted", "0", "10");
    broker(
        &mut store,
        42,
        BrokerEvent::Execution {
            exec_id: "0009.01".into(),
            order_id: 21,
            client_id: 17,
            account: ACCOUNT.into(),
            symbol: "SPY".into(),
            side: "BOT".into(),
            shares: d("10"),
            price: d("450.00"),
            time: "20261128 14:30:42".into(),
        },
    );
    status(&mut store, 42, 21, "Filled", "10", "0");
    status(&mut store, 43, 22, "Submitted", "0", "10");
    status(&mut store, 43, 23, "Submitted", "0", "10");
    store
}
