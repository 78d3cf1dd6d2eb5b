//! Builders of outbound messages from the broker's state: one place that knows how IB fills
//! each field.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use super::account::{Account, Metrics};
use super::clock;
use super::engine::ExecRecord;
use super::groups;
use super::orders::{OrderKind, SimOrder, TrailBy};
use super::universe::Instrument;
use super::wire::codec::Outbound;
use super::wire::messages as m;

pub fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// Quantity as IB writes decimals on the wire ("100", "0.5").
pub fn q(d: Decimal) -> String {
    d.normalize().to_string()
}

/// Money as account values carry it ("1000000.00").
pub fn money(d: Decimal) -> String {
    format!("{:.2}", d.round_dp(2))
}

pub fn error(id: i32, code: i32, text: &str) -> Outbound {
    Outbound::Error(m::ErrorMessage {
        id: Some(id),
        error_time: Some(clock::now_ms()),
        error_code: Some(code),
        error_msg: Some(text.to_string()),
        advanced_order_reject_json: None,
    })
}

/// The contract as IB echoes it in order, position and execution frames.
pub fn contract(inst: &Instrument) -> m::Contract {
    m::Contract {
        con_id: Some(inst.con_id),
        symbol: Some(inst.symbol.clone()),
        sec_type: Some(inst.sec_type.clone()),
        exchange: Some(inst.exchange.clone()),
        primary_exch: Some(inst.primary_exchange.clone()),
        currency: Some(inst.currency.clone()),
        local_symbol: Some(inst.symbol.clone()),
        trading_class: Some(trading_class(inst)),
        ..Default::default()
    }
}

fn trading_class(inst: &Instrument) -> String {
    match inst.primary_exchange.as_str() {
        "NASDAQ" => "NMS".into(),
        _ => inst.symbol.clone(),
    }
}

/// Regular hours of today and the next six days, weekends closed, in IB's format.
fn trading_hours(now_ms: i64) -> String {
    (0..7)
        .map(|d| {
            let day = clock::eastern_date(now_ms + d * 86_400_000);
            let weekday = chrono::NaiveDate::parse_from_str(&day, "%Y%m%d").map(|d| chrono::Datelike::weekday(&d));
            match weekday {
                Ok(chrono::Weekday::Sat | chrono::Weekday::Sun) => format!("{day}:CLOSED"),
                _ => format!("{day}:0930-{day}:1600"),
            }
        })
        .collect::<Vec<_>>()
        .join(";")
}

pub fn contract_details(req_id: i32, inst: &Instrument) -> Outbound {
    let hours = trading_hours(clock::now_ms());
    let mut c = contract(inst);
    c.exchange = Some("SMART".into());
    Outbound::ContractData(m::ContractData {
        req_id: Some(req_id),
        contract: Some(c),
        contract_details: Some(m::ContractDetails {
            market_name: Some(trading_class(inst)),
            min_tick: Some(q(inst.min_tick)),
            order_types: Some(super::orders::SERVED_ORDER_TYPES.into()),
            valid_exchanges: Some(format!("SMART,AMEX,NYSE,CBOE,ARCA,BATS,EDGX,IEX,{}", inst.primary_exchange)),
            price_magnifier: Some(1),
            long_name: Some(inst.long_name.clone()),
            industry: Some(inst.industry.clone()),
            category: Some(inst.category.clone()),
            subcategory: Some(inst.category.clone()),
            time_zone_id: Some("US/Eastern".into()),
            trading_hours: Some(hours.clone()),
            liquid_hours: Some(hours),
            agg_group: Some(1),
            market_rule_ids: Some("26,26,26,26,26,26,26,26".into()),
            stock_type: Some(inst.stock_type.clone()),
            min_size: Some("1".into()),
            size_increment: Some("1".into()),
            suggested_size_increment: Some("100".into()),
            ..Default::default()
        }),
    })
}

pub fn plain_state(status: &str) -> m::OrderState {
    m::OrderState { status: Some(status.to_string()), ..Default::default() }
}

/// OrderState of a what-if answer: margin before / change / after and the commission.
pub fn what_if_state(before: &Metrics, after: &Metrics, commission: Decimal) -> m::OrderState {
    m::OrderState {
        status: Some("PreSubmitted".into()),
        init_margin_before: Some(f(before.init_margin)),
        maint_margin_before: Some(f(before.maint_margin)),
        equity_with_loan_before: Some(f(before.equity_with_loan)),
        init_margin_change: Some(f(after.init_margin - before.init_margin)),
        maint_margin_change: Some(f(after.maint_margin - before.maint_margin)),
        equity_with_loan_change: Some(f(after.equity_with_loan - before.equity_with_loan)),
        init_margin_after: Some(f(after.init_margin)),
        maint_margin_after: Some(f(after.maint_margin)),
        equity_with_loan_after: Some(f(after.equity_with_loan)),
        commission_and_fees: Some(f(commission)),
        min_commission_and_fees: Some(f(commission)),
        max_commission_and_fees: Some(f(commission)),
        commission_and_fees_currency: Some("USD".into()),
        margin_currency: Some("USD".into()),
        ..Default::default()
    }
}

/// The order as IB echoes it. A trailing order carries its trailing amount in `auxPrice` (or
/// `trailingPercent`), its current stop in `trailStopPrice` (absent until it starts working
/// without one), and for TRAIL LIMIT the limit offset and the current limit price.
pub fn wire_order(o: &SimOrder) -> m::Order {
    let nonzero = |d: Decimal| (!d.is_zero()).then(|| f(d));
    let (aux_price, trailing_percent, trail_stop_price, lmt_price_offset, lmt_price) = match o.kind {
        OrderKind::Trail { trail, stop } | OrderKind::TrailLimit { trail, stop, .. } => {
            let (amount, pct) = match trail {
                TrailBy::Amount(a) => (Some(f(a)), None),
                TrailBy::Percent(p) => (None, Some(f(p))),
            };
            let offset = match o.kind {
                OrderKind::TrailLimit { offset, .. } => Some(f(offset)),
                _ => None,
            };
            let limit = if stop.is_zero() { None } else { o.limit_price().map(f) };
            (amount, pct, nonzero(stop), offset, limit)
        }
        _ => (o.stop_price().map(f), None, None, None, o.limit_price().map(f)),
    };
    m::Order {
        client_id: Some(o.client_id),
        order_id: Some(o.order_id),
        perm_id: Some(o.perm_id),
        parent_id: Some(o.parent_id),
        action: Some(o.action.clone()),
        total_quantity: Some(q(o.quantity)),
        order_type: Some(o.order_type().into()),
        lmt_price,
        aux_price,
        tif: Some(o.tif.as_str().into()),
        account: Some(o.account.clone()),
        trailing_percent,
        trail_stop_price,
        good_till_date: (!o.good_till.is_empty()).then(|| o.good_till.clone()),
        oca_group: (!o.oca_group.is_empty()).then(|| o.oca_group.clone()),
        oca_type: (!o.oca_group.is_empty()).then_some(groups::oca_type(o)),
        order_ref: (!o.order_ref.is_empty()).then(|| o.order_ref.clone()),
        transmit: Some(!o.staged),
        lmt_price_offset,
        filled_quantity: Some(q(o.filled)),
        ..Default::default()
    }
}

pub fn open_order(o: &SimOrder, inst: &Instrument, state: m::OrderState) -> Outbound {
    Outbound::OpenOrder(m::OpenOrder {
        order_id: Some(o.order_id),
        contract: Some(contract(inst)),
        order: Some(wire_order(o)),
        order_state: Some(state),
    })
}

pub fn order_status(o: &SimOrder) -> Outbound {
    Outbound::OrderStatus(m::OrderStatus {
        order_id: Some(o.order_id),
        status: Some(o.status.as_str().into()),
        filled: Some(q(o.filled)),
        remaining: Some(q(if o.status.is_open() || o.status == super::orders::Status::Filled {
            o.remaining()
        } else {
            Decimal::ZERO
        })),
        avg_fill_price: Some(f(o.avg_fill_price)),
        perm_id: Some(o.perm_id),
        parent_id: Some(o.parent_id),
        last_fill_price: Some(f(o.last_fill_price)),
        client_id: Some(o.client_id),
        why_held: o.why_held().map(str::to_string),
        mkt_cap_price: Some(0.0),
    })
}

pub fn completed_order(o: &SimOrder, inst: &Instrument) -> Outbound {
    let mut state = plain_state(o.status.as_str());
    state.completed_time = o.completed_time.clone();
    state.completed_status = o.completed_status.clone();
    Outbound::CompletedOrder(m::CompletedOrder {
        contract: Some(contract(inst)),
        order: Some(wire_order(o)),
        order_state: Some(state),
    })
}

pub fn execution(e: &ExecRecord, inst: &Instrument, req_id: i32) -> Outbound {
    Outbound::ExecutionDetails(m::ExecutionDetails {
        req_id: Some(req_id),
        contract: Some(contract(inst)),
        execution: Some(m::Execution {
            order_id: Some(e.order_id),
            exec_id: Some(e.exec_id.clone()),
            time: Some(clock::eastern_timestamp(e.time_ms)),
            acct_number: Some(e.account.clone()),
            exchange: Some(inst.primary_exchange.clone()),
            side: Some(e.side.exec_side().into()),
            shares: Some(q(e.shares)),
            price: Some(f(e.price)),
            perm_id: Some(e.perm_id),
            client_id: Some(e.client_id),
            is_liquidation: None,
            cum_qty: Some(q(e.cum_qty)),
            avg_price: Some(f(e.avg_price)),
            order_ref: (!e.order_ref.is_empty()).then(|| e.order_ref.clone()),
            last_liquidity: Some(2),
        }),
    })
}

pub fn commission_report(e: &ExecRecord) -> Outbound {
    Outbound::CommissionReport(m::CommissionAndFeesReport {
        exec_id: Some(e.exec_id.clone()),
        commission_and_fees: Some(f(e.commission)),
        currency: Some("USD".into()),
        realized_pnl: Some(e.realized.map(f).unwrap_or(f64::MAX)),
        bond_yield: Some(f64::MAX),
        yield_redemption_date: None,
    })
}

/// IB's execution filter: every set field must match; time is "yyyymmdd hh:mm:ss" (at or after).
pub fn execution_matches(e: &ExecRecord, inst: &Instrument, filter: &m::ExecutionFilter) -> bool {
    let set = |s: &Option<String>| s.as_deref().filter(|s| !s.is_empty()).map(str::to_string);
    if let Some(c) = filter.client_id.filter(|&c| c != 0) {
        if c != e.client_id {
            return false;
        }
    }
    if let Some(a) = set(&filter.acct_code) {
        if a != e.account {
            return false;
        }
    }
    if let Some(s) = set(&filter.symbol) {
        if !s.eq_ignore_ascii_case(&inst.symbol) {
            return false;
        }
    }
    if let Some(s) = set(&filter.sec_type) {
        if !s.eq_ignore_ascii_case(&inst.sec_type) {
            return false;
        }
    }
    if let Some(s) = set(&filter.exchange) {
        if !s.eq_ignore_ascii_case(&inst.primary_exchange) && !s.eq_ignore_ascii_case("SMART") {
            return false;
        }
    }
    if let Some(s) = set(&filter.side) {
        let want = match s.to_ascii_uppercase().as_str() {
            "BUY" | "BOT" => "BOT",
            _ => "SLD",
        };
        if want != e.side.exec_side() {
            return false;
        }
    }
    if let Some(t) = set(&filter.time) {
        // "yyyymmdd hh:mm:ss [zone]" or "yyyymmdd-hh:mm:ss" (UTC): executions at or after it.
        let since = super::history::parse_end(&t, 0).unwrap_or(0);
        if e.time_ms / 1000 < since {
            return false;
        }
    }
    true
}

// ----- account data ----------------------------------------------------------------------------

/// Every standard account-summary tag, in TWS order.
pub const SUMMARY_TAGS: &[&str] = &[
    "AccountType",
    "NetLiquidation",
    "TotalCashValue",
    "SettledCash",
    "AccruedCash",
    "BuyingPower",
    "EquityWithLoanValue",
    "PreviousEquityWithLoanValue",
    "GrossPositionValue",
    "RegTEquity",
    "RegTMargin",
    "SMA",
    "InitMarginReq",
    "MaintMarginReq",
    "AvailableFunds",
    "ExcessLiquidity",
    "Cushion",
    "FullInitMarginReq",
    "FullMaintMarginReq",
    "FullAvailableFunds",
    "FullExcessLiquidity",
    "LookAheadNextChange",
    "LookAheadInitMarginReq",
    "LookAheadMaintMarginReq",
    "LookAheadAvailableFunds",
    "LookAheadExcessLiquidity",
    "HighestSeverity",
    "DayTradesRemaining",
    "Leverage",
];

/// (tag, value, currency) of one summary tag; `None` for unknown tags.
pub fn summary_value(tag: &str, a: &Account, mt: &Metrics, start_net_liq: Decimal) -> Option<(String, String)> {
    let usd = |d: Decimal| Some((money(d), "USD".to_string()));
    match tag {
        "AccountType" => Some((a.account_type.clone(), String::new())),
        "NetLiquidation" => usd(mt.net_liquidation),
        "TotalCashValue" | "SettledCash" => usd(mt.cash),
        "AccruedCash" => usd(Decimal::ZERO),
        "BuyingPower" => usd(mt.buying_power),
        "EquityWithLoanValue" | "RegTEquity" => usd(mt.equity_with_loan),
        "PreviousEquityWithLoanValue" | "PreviousDayEquityWithLoanValue" => usd(start_net_liq),
        "GrossPositionValue" => usd(mt.gross_position_value),
        "RegTMargin" | "InitMarginReq" | "FullInitMarginReq" | "LookAheadInitMarginReq" => usd(mt.init_margin),
        "SMA" => usd((mt.equity_with_loan - mt.init_margin).max(Decimal::ZERO)),
        "MaintMarginReq" | "FullMaintMarginReq" | "LookAheadMaintMarginReq" => usd(mt.maint_margin),
        "AvailableFunds" | "FullAvailableFunds" | "LookAheadAvailableFunds" => usd(mt.available_funds),
        "ExcessLiquidity" | "FullExcessLiquidity" | "LookAheadExcessLiquidity" => usd(mt.excess_liquidity),
        "Cushion" => Some((mt.cushion.round_dp(6).normalize().to_string(), String::new())),
        "LookAheadNextChange" => Some(("0".into(), String::new())),
        "HighestSeverity" => Some(("0".into(), String::new())),
        "DayTradesRemaining" => Some(("-1".into(), String::new())),
        "Leverage" => Some((mt.leverage.normalize().to_string(), String::new())),
        _ => None,
    }
}

/// Ledger rows ($LEDGER, $LEDGER:USD, $LEDGER:ALL) for one currency label.
pub fn ledger_rows(mt: &Metrics, ccy: &str) -> Vec<(String, String, String)> {
    let row = |k: &str, v: Decimal| (k.to_string(), money(v), ccy.to_string());
    vec![
        row("CashBalance", mt.cash),
        row("TotalCashBalance", mt.cash),
        row("AccruedCash", Decimal::ZERO),
        row("StockMarketValue", mt.long_value + mt.short_value),
        row("NetLiquidationByCurrency", mt.net_liquidation),
        row("UnrealizedPnL", mt.unrealized_pnl),
        row("RealizedPnL", mt.realized_pnl),
        ("ExchangeRate".to_string(), "1.00".to_string(), ccy.to_string()),
    ]
}

/// The full summary for one account and a requested tag list.
pub fn summary_rows(
    tags: &[String],
    a: &Account,
    mt: &Metrics,
    start_net_liq: Decimal,
) -> Vec<(String, String, String)> {
    let mut rows = Vec::new();
    for tag in tags {
        match tag.as_str() {
            "$LEDGER" | "$LEDGER:USD" => rows.extend(ledger_rows(mt, "USD")),
            "$LEDGER:ALL" => {
                rows.extend(ledger_rows(mt, "BASE"));
                rows.extend(ledger_rows(mt, "USD"));
            }
            t => {
                if let Some((v, c)) = summary_value(t, a, mt, start_net_liq) {
                    rows.push((t.to_string(), v, c));
                }
            }
        }
    }
    rows
}

pub fn position(a: &Account, con_id: i32, inst: &Instrument) -> Outbound {
    let (qty, avg) = a.positions.get(&con_id).map(|h| (h.quantity, h.avg_cost)).unwrap_or_default();
    Outbound::Position(m::Position {
        account: Some(a.id.clone()),
        contract: Some(contract(inst)),
        position: Some(q(qty)),
        avg_cost: Some(f(avg)),
    })
}

pub fn portfolio(a: &Account, con_id: i32, inst: &Instrument, mark: Decimal) -> Outbound {
    let (qty, avg) = a.positions.get(&con_id).map(|h| (h.quantity, h.avg_cost)).unwrap_or_default();
    let (unrealized, realized, _) = a.position_pnl(con_id, mark);
    let mut c = contract(inst);
    c.exchange = Some(inst.primary_exchange.clone());
    Outbound::PortfolioValue(m::PortfolioValue {
        contract: Some(c),
        position: Some(q(qty)),
        market_price: Some(f(mark)),
        market_value: Some(f((qty * mark).round_dp(2))),
        average_cost: Some(f(avg)),
        unrealized_pnl: Some(f(unrealized.round_dp(2))),
        realized_pnl: Some(f(realized.round_dp(2))),
        account_name: Some(a.id.clone()),
    })
}

/// Key/value rows of reqAccountUpdates for one account.
pub fn account_values(a: &Account, mt: &Metrics, start_net_liq: Decimal) -> Vec<(String, String, String)> {
    let mut rows = vec![
        ("AccountCode".to_string(), a.id.clone(), String::new()),
        ("AccountReady".to_string(), "true".to_string(), String::new()),
        ("Currency".to_string(), "USD".to_string(), "USD".to_string()),
        ("RealCurrency".to_string(), "USD".to_string(), "USD".to_string()),
    ];
    for tag in SUMMARY_TAGS {
        if let Some((v, c)) = summary_value(tag, a, mt, start_net_liq) {
            rows.push((tag.to_string(), v, c));
        }
    }
    rows.extend(ledger_rows(mt, "BASE"));
    rows.extend(ledger_rows(mt, "USD"));
    rows
}

pub fn account_value(account: &str, (key, value, ccy): &(String, String, String)) -> Outbound {
    Outbound::AccountValue(m::AccountValue {
        key: Some(key.clone()),
        value: Some(value.clone()),
        currency: Some(ccy.clone()),
        account_name: Some(account.to_string()),
    })
}
