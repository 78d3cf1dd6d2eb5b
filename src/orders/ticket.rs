//! The order ticket as the trader types it, and its validation into an [`OrderIntent`].
//!
//! [`Ticket`] holds the text fields exactly as typed. [`Ticket::validate`] either returns an
//! [`OrderIntent`] (typed, checked values; the only thing a wire order may be built from) or
//! every [`FieldError`] at once, each naming its field and what is wrong with the numbers.

use chrono::{DateTime, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

pub use super::group::StopKind;

/// BUY or SELL (the wire's `action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OrderAction {
    #[serde(rename = "BUY")]
    Buy,
    #[serde(rename = "SELL")]
    Sell,
}

impl OrderAction {
    /// The wire value: `BUY` or `SELL`.
    pub fn code(self) -> &'static str {
        match self {
            OrderAction::Buy => "BUY",
            OrderAction::Sell => "SELL",
        }
    }
}

/// The order types the ticket offers (the wire's `order_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OrderType {
    #[serde(rename = "MKT")]
    Market,
    #[serde(rename = "LMT")]
    Limit,
    #[serde(rename = "STP")]
    Stop,
    #[serde(rename = "STP LMT")]
    StopLimit,
    /// A stop that trails the market by an amount (`aux_price`) or a percent.
    #[serde(rename = "TRAIL")]
    Trail,
    /// A trailing stop that becomes a limit order `limit_price_offset` from the stop.
    #[serde(rename = "TRAIL LIMIT")]
    TrailLimit,
}

impl OrderType {
    pub const ALL: [OrderType; 6] = [
        OrderType::Market,
        OrderType::Limit,
        OrderType::Stop,
        OrderType::StopLimit,
        OrderType::Trail,
        OrderType::TrailLimit,
    ];

    /// The wire value: `MKT`, `LMT`, `STP`, `STP LMT`, `TRAIL` or `TRAIL LIMIT`.
    pub fn code(self) -> &'static str {
        match self {
            OrderType::Market => "MKT",
            OrderType::Limit => "LMT",
            OrderType::Stop => "STP",
            OrderType::StopLimit => "STP LMT",
            OrderType::Trail => "TRAIL",
            OrderType::TrailLimit => "TRAIL LIMIT",
        }
    }

    /// The type with wire value `code`, if the ticket offers it.
    pub fn from_code(code: &str) -> Option<OrderType> {
        OrderType::ALL.into_iter().find(|t| t.code() == code)
    }

    /// Needs the trailing amount or percent.
    pub fn needs_trail(self) -> bool {
        matches!(self, OrderType::Trail | OrderType::TrailLimit)
    }

    /// Needs the limit offset (TRAIL LIMIT).
    pub fn needs_limit_offset(self) -> bool {
        self == OrderType::TrailLimit
    }

    pub fn needs_limit(self) -> bool {
        matches!(self, OrderType::Limit | OrderType::StopLimit)
    }

    pub fn needs_stop(self) -> bool {
        matches!(self, OrderType::Stop | OrderType::StopLimit)
    }
}

/// The times in force the ticket offers (the wire's `tif`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TimeInForce {
    #[serde(rename = "DAY")]
    Day,
    #[serde(rename = "GTC")]
    Gtc,
    #[serde(rename = "IOC")]
    Ioc,
    /// Good till the date and time in the ticket's good-till field.
    #[serde(rename = "GTD")]
    Gtd,
}

impl TimeInForce {
    pub const ALL: [TimeInForce; 4] = [TimeInForce::Day, TimeInForce::Gtc, TimeInForce::Ioc, TimeInForce::Gtd];

    /// The wire value: `DAY`, `GTC`, `IOC` or `GTD`.
    pub fn code(self) -> &'static str {
        match self {
            TimeInForce::Day => "DAY",
            TimeInForce::Gtc => "GTC",
            TimeInForce::Ioc => "IOC",
            TimeInForce::Gtd => "GTD",
        }
    }

    /// The TIF with wire value `code` (`""` is DAY), if the ticket offers it.
    pub fn from_code(code: &str) -> Option<TimeInForce> {
        match code {
            "" => Some(TimeInForce::Day),
            code => TimeInForce::ALL.into_iter().find(|t| t.code() == code),
        }
    }
}

/// The format of the ticket's good-till field (UTC).
pub const GOOD_TILL_FORMAT: &str = "%Y%m%d %H:%M:%S";

/// The wire's `good_till_date` in UTC, as IB documents it (`yyyymmdd-hh:mm:ss`). A time with
/// a space and no zone would be read in the gateway's own time zone.
pub const GOOD_TILL_WIRE_FORMAT: &str = "%Y%m%d-%H:%M:%S";

/// How a trailing stop trails: by an amount in price units or by a percent of the price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trailing {
    Amount(Decimal),
    Percent(Decimal),
}

impl fmt::Display for Trailing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trailing::Amount(a) => write!(f, "{}", a.normalize()),
            Trailing::Percent(p) => write!(f, "{}%", p.normalize()),
        }
    }
}

/// A field of the ticket, so an error can be shown beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketField {
    Symbol,
    Action,
    Quantity,
    OrderType,
    LimitPrice,
    StopPrice,
    /// The trailing amount or percent (TRAIL, TRAIL LIMIT).
    Trail,
    /// TRAIL LIMIT's limit offset from the stop.
    LimitOffset,
    TimeInForce,
    /// GTD's date and time (UTC).
    GoodTill,
    OutsideRth,
    Account,
    /// The attached take-profit limit.
    TakeProfit,
    /// The attached protective stop.
    StopLoss,
    /// STP or TRAIL for the stop-loss.
    StopKind,
}

impl TicketField {
    pub fn label(self) -> &'static str {
        match self {
            TicketField::Symbol => "symbol",
            TicketField::Action => "action",
            TicketField::Quantity => "quantity",
            TicketField::OrderType => "order type",
            TicketField::LimitPrice => "limit price",
            TicketField::StopPrice => "stop price",
            TicketField::Trail => "trail",
            TicketField::LimitOffset => "limit offset",
            TicketField::TimeInForce => "time in force",
            TicketField::GoodTill => "good till",
            TicketField::OutsideRth => "outside regular hours",
            TicketField::Account => "account",
            TicketField::TakeProfit => "take profit",
            TicketField::StopLoss => "stop loss",
            TicketField::StopKind => "stop loss type",
        }
    }
}

impl fmt::Display for TicketField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What is wrong with one field, in words that carry the numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: TicketField,
    pub message: String,
}

impl FieldError {
    pub(crate) fn new(field: TicketField, message: impl Into<String>) -> Self {
        FieldError { field, message: message.into() }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The ticket being edited: text as typed, choices as enums.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub symbol: String,
    pub action: OrderAction,
    pub quantity: String,
    pub order_type: OrderType,
    pub limit_price: String,
    pub stop_price: String,
    /// TRAIL / TRAIL LIMIT: an amount (`0.50`) or a percent (`1.5%`).
    pub trail: String,
    /// TRAIL LIMIT: how far the limit is from the stop.
    pub limit_offset: String,
    pub tif: TimeInForce,
    /// GTD: `YYYYMMDD HH:MM:SS` (UTC; the seconds may be left out).
    pub good_till: String,
    pub outside_rth: bool,
    pub account: String,
    /// Attached take-profit: a price (`155.00`), ticks (`20t`) or percent (`2%`) from the entry.
    pub take_profit: String,
    /// Attached stop-loss, in the same forms; empty for none.
    pub stop_loss: String,
    /// Whether the stop-loss is a plain stop or a trailing stop.
    pub stop_kind: StopKind,
}

impl Ticket {
    /// An empty ticket: DAY limit order, regular hours only.
    pub fn new(symbol: &str, action: OrderAction, account: &str) -> Self {
        Ticket {
            symbol: symbol.to_string(),
            action,
            quantity: String::new(),
            order_type: OrderType::Limit,
            limit_price: String::new(),
            stop_price: String::new(),
            trail: String::new(),
            limit_offset: String::new(),
            tif: TimeInForce::Day,
            good_till: String::new(),
            outside_rth: false,
            account: account.to_string(),
            take_profit: String::new(),
            stop_loss: String::new(),
            stop_kind: StopKind::Stop,
        }
    }

    /// Whether exits are attached (the ticket is a group, not a single order).
    pub fn has_exits(&self) -> bool {
        !self.take_profit.trim().is_empty() || !self.stop_loss.trim().is_empty()
    }
}

/// The resolved contract, from the gateway's contract details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractInfo {
    pub con_id: i32,
    pub symbol: String,
    pub exchange: String,
    pub currency: String,
    /// The contract's minimum price increment; a price off this tick is rejected (IB error 110).
    pub min_tick: Decimal,
    /// 1 for stocks.
    pub multiplier: Decimal,
}

/// What the ticket is validated and checked against; the lead fills it from the store.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MarketContext {
    /// `None` when the gateway has no contract for the ticket's symbol.
    pub contract: Option<ContractInfo>,
    /// The accounts the gateway reports (`managedAccounts`).
    pub managed_accounts: Vec<String>,
    pub bid: Option<Decimal>,
    pub ask: Option<Decimal>,
    pub last: Option<Decimal>,
    /// Time since the last quote update; `None` when no quote has arrived.
    pub quote_age: Option<Duration>,
    /// The quote is live market data (type 1), not delayed or frozen.
    pub quote_live: bool,
    /// The position held in this contract, for display.
    pub position: Option<Decimal>,
    /// The clock a good-till time must be after; `None` cannot check one.
    pub now: Option<DateTime<Utc>>,
}

impl MarketContext {
    /// The market price a `side` order would meet, for valuing and banding: the ask for a buy
    /// and the bid for a sell, else the last trade, else the other side.
    pub fn reference_price(&self, side: OrderAction) -> Option<Decimal> {
        let candidates = match side {
            OrderAction::Buy => [self.ask, self.last, self.bid],
            OrderAction::Sell => [self.bid, self.last, self.ask],
        };
        candidates.into_iter().flatten().find(|p| *p > Decimal::ZERO)
    }
}

/// The prices an order carries, by order type: a missing required price is unrepresentable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum OrderPrices {
    Market,
    Limit { limit: Decimal },
    Stop { stop: Decimal },
    StopLimit { stop: Decimal, limit: Decimal },
    Trail { trail: Trailing },
    TrailLimit { trail: Trailing, limit_offset: Decimal },
}

/// A validated order. Only [`Ticket::validate`] makes one, so every value in it has passed:
/// quantity a positive whole number, prices positive and on the contract's tick, the prices
/// the type needs present, the account one of the managed accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderIntent {
    contract: ContractInfo,
    action: OrderAction,
    quantity: Decimal,
    prices: OrderPrices,
    tif: TimeInForce,
    /// Some exactly when the TIF is GTD.
    good_till: Option<DateTime<Utc>>,
    outside_rth: bool,
    account: String,
    notional: Option<Decimal>,
}

impl OrderIntent {
    pub fn contract(&self) -> &ContractInfo {
        &self.contract
    }
    pub fn action(&self) -> OrderAction {
        self.action
    }
    pub fn quantity(&self) -> Decimal {
        self.quantity
    }
    pub fn prices(&self) -> OrderPrices {
        self.prices
    }
    pub fn order_type(&self) -> OrderType {
        match self.prices {
            OrderPrices::Market => OrderType::Market,
            OrderPrices::Limit { .. } => OrderType::Limit,
            OrderPrices::Stop { .. } => OrderType::Stop,
            OrderPrices::StopLimit { .. } => OrderType::StopLimit,
            OrderPrices::Trail { .. } => OrderType::Trail,
            OrderPrices::TrailLimit { .. } => OrderType::TrailLimit,
        }
    }
    /// How a TRAIL / TRAIL LIMIT trails.
    pub fn trailing(&self) -> Option<Trailing> {
        match self.prices {
            OrderPrices::Trail { trail } | OrderPrices::TrailLimit { trail, .. } => Some(trail),
            _ => None,
        }
    }
    /// TRAIL LIMIT's `limit_price_offset`.
    pub fn limit_offset(&self) -> Option<Decimal> {
        match self.prices {
            OrderPrices::TrailLimit { limit_offset, .. } => Some(limit_offset),
            _ => None,
        }
    }
    /// GTD's expiry.
    pub fn good_till(&self) -> Option<DateTime<Utc>> {
        self.good_till
    }
    /// The wire's `lmt_price`.
    pub fn limit_price(&self) -> Option<Decimal> {
        match self.prices {
            OrderPrices::Limit { limit } | OrderPrices::StopLimit { limit, .. } => Some(limit),
            _ => None,
        }
    }
    /// The wire's `aux_price`.
    pub fn stop_price(&self) -> Option<Decimal> {
        match self.prices {
            OrderPrices::Stop { stop } | OrderPrices::StopLimit { stop, .. } => Some(stop),
            _ => None,
        }
    }
    pub fn tif(&self) -> TimeInForce {
        self.tif
    }
    pub fn outside_rth(&self) -> bool {
        self.outside_rth
    }
    pub fn account(&self) -> &str {
        &self.account
    }
    /// quantity × price × multiplier in the contract's currency, priced at the limit, else the
    /// stop, else the market reference; `None` when there is no price to value it at (or the
    /// product overflows).
    pub fn notional(&self) -> Option<Decimal> {
        self.notional
    }
    /// An exit leg of this order's group: the opposite `action`, the same contract, account,
    /// quantity and session flag, its own `prices` and `tif` (GTD is never given: no good-till
    /// time), valued at `reference`. Only the group module makes one, from values it checked.
    pub(crate) fn exit_leg(
        &self,
        action: OrderAction,
        prices: OrderPrices,
        tif: TimeInForce,
        reference: Option<Decimal>,
    ) -> OrderIntent {
        let notional =
            reference.and_then(|p| self.quantity.checked_mul(p)).and_then(|v| v.checked_mul(self.contract.multiplier));
        OrderIntent { action, prices, tif, good_till: None, notional, ..self.clone() }
    }
}

impl Ticket {
    /// Checks every field; all errors are returned together so each can be shown beside its
    /// field. Nothing is sent.
    pub fn validate(&self, market: &MarketContext) -> Result<OrderIntent, Vec<FieldError>> {
        let mut errors = Vec::new();

        let contract = check_contract(&self.symbol, market.contract.as_ref()).map_err(|e| errors.push(e)).ok();
        let quantity = check_quantity(&self.quantity).map_err(|e| errors.push(e)).ok();
        let tick = contract.map(|c| c.min_tick);
        let limit = check_price(TicketField::LimitPrice, &self.limit_price, self.order_type, tick)
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let stop = check_price(TicketField::StopPrice, &self.stop_price, self.order_type, tick)
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let trail = check_trail(&self.trail, self.order_type, tick).map_err(|e| errors.push(e)).ok().flatten();
        let limit_offset =
            check_limit_offset(&self.limit_offset, self.order_type, tick).map_err(|e| errors.push(e)).ok().flatten();
        let good_till =
            check_good_till(&self.good_till, self.tif, market.now).map_err(|e| errors.push(e)).ok().flatten();
        let account = check_account(&self.account, &market.managed_accounts).map_err(|e| errors.push(e)).ok();

        let (Some(contract), Some(quantity), Some(account)) = (contract, quantity, account) else {
            return Err(errors);
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let prices = match (self.order_type, limit, stop, trail, limit_offset) {
            (OrderType::Market, None, None, None, None) => OrderPrices::Market,
            (OrderType::Limit, Some(limit), None, None, None) => OrderPrices::Limit { limit },
            (OrderType::Stop, None, Some(stop), None, None) => OrderPrices::Stop { stop },
            (OrderType::StopLimit, Some(limit), Some(stop), None, None) => OrderPrices::StopLimit { stop, limit },
            (OrderType::Trail, None, None, Some(trail), None) => OrderPrices::Trail { trail },
            (OrderType::TrailLimit, None, None, Some(trail), Some(limit_offset)) => {
                OrderPrices::TrailLimit { trail, limit_offset }
            }
            // check_price reports every mismatch above; this arm is defensive.
            _ => {
                return Err(vec![FieldError::new(
                    TicketField::OrderType,
                    format!("order type {} does not fit the prices given", self.order_type.code()),
                )])
            }
        };
        let reference = match prices {
            OrderPrices::Limit { limit } | OrderPrices::StopLimit { limit, .. } => Some(limit),
            OrderPrices::Stop { stop } => Some(stop),
            // A trailing stop starts from the market.
            OrderPrices::Market | OrderPrices::Trail { .. } | OrderPrices::TrailLimit { .. } => {
                market.reference_price(self.action)
            }
        };
        let notional = reference.and_then(|p| quantity.checked_mul(p)).and_then(|v| v.checked_mul(contract.multiplier));
        Ok(OrderIntent {
            contract: contract.clone(),
            action: self.action,
            quantity,
            prices,
            tif: self.tif,
            good_till,
            outside_rth: self.outside_rth,
            account,
            notional,
        })
    }
}

/// The largest quantity or price a ticket accepts. Far beyond any real order, and small enough
/// that every product and quotient in the checks is exact in a `Decimal`.
pub const MAX_TICKET_NUMBER: Decimal = Decimal::from_parts(3_567_587_328, 232, 0, false, 0); // 1e12

impl Ticket {
    /// The notional as typed, to show while the ticket is still being edited (equal to the
    /// intent's once the ticket is valid): quantity × the price the order type uses (the
    /// market reference for MKT) × multiplier. `None` when any of those is missing or does
    /// not parse.
    pub fn preview_notional(&self, market: &MarketContext) -> Option<Decimal> {
        let contract = market.contract.as_ref()?;
        let number =
            |text: &str| parse_decimal(text.trim()).ok().filter(|n| *n > Decimal::ZERO && *n <= MAX_TICKET_NUMBER);
        let quantity = number(&self.quantity)?;
        let price = match self.order_type {
            OrderType::Limit | OrderType::StopLimit => number(&self.limit_price)?,
            OrderType::Stop => number(&self.stop_price)?,
            OrderType::Market | OrderType::Trail | OrderType::TrailLimit => market.reference_price(self.action)?,
        };
        quantity.checked_mul(price)?.checked_mul(contract.multiplier)
    }
}

fn check_contract<'a>(symbol: &str, contract: Option<&'a ContractInfo>) -> Result<&'a ContractInfo, FieldError> {
    let symbol = symbol.trim();
    if symbol.is_empty() {
        return Err(FieldError::new(TicketField::Symbol, "symbol required"));
    }
    let Some(contract) = contract else {
        return Err(FieldError::new(
            TicketField::Symbol,
            format!("unknown symbol {symbol}: the gateway has no contract for it"),
        ));
    };
    if !contract.symbol.eq_ignore_ascii_case(symbol) {
        return Err(FieldError::new(
            TicketField::Symbol,
            format!(
                "symbol {symbol} does not match the contract details ({}): wait for {symbol} to resolve",
                contract.symbol
            ),
        ));
    }
    if contract.min_tick <= Decimal::ZERO {
        return Err(FieldError::new(
            TicketField::Symbol,
            format!("symbol {symbol} has no usable minimum tick ({}) in its contract details", contract.min_tick),
        ));
    }
    if contract.multiplier <= Decimal::ZERO {
        return Err(FieldError::new(
            TicketField::Symbol,
            format!("symbol {symbol} has no usable multiplier ({}) in its contract details", contract.multiplier),
        ));
    }
    Ok(contract)
}

fn check_quantity(text: &str) -> Result<Decimal, FieldError> {
    let field = TicketField::Quantity;
    let text = text.trim();
    if text.is_empty() {
        return Err(FieldError::new(field, "quantity required"));
    }
    let qty = parse_decimal(text).map_err(|why| FieldError::new(field, format!("quantity {why}, got {text:?}")))?;
    if qty <= Decimal::ZERO {
        return Err(FieldError::new(field, format!("quantity must be positive, got {text}")));
    }
    if qty > MAX_TICKET_NUMBER {
        return Err(FieldError::new(
            field,
            format!("quantity {text} is above {MAX_TICKET_NUMBER}, the most a ticket accepts"),
        ));
    }
    if !qty.fract().is_zero() {
        return Err(FieldError::new(field, format!("quantity must be a whole number of shares, got {text}")));
    }
    Ok(qty.normalize())
}

/// A price field: required, forbidden or absent depending on the order type; when present,
/// positive and on the tick (the tick is known only when the contract is).
fn check_price(
    field: TicketField,
    text: &str,
    order_type: OrderType,
    tick: Option<Decimal>,
) -> Result<Option<Decimal>, FieldError> {
    let text = text.trim();
    let needed = match field {
        TicketField::LimitPrice => order_type.needs_limit(),
        _ => order_type.needs_stop(),
    };
    let name = field.label();
    match (needed, text.is_empty()) {
        (false, true) => return Ok(None),
        (false, false) => {
            return Err(FieldError::new(
                field,
                format!("{name} is not used by {} orders: clear it or change the order type", order_type.code()),
            ))
        }
        (true, true) => return Err(FieldError::new(field, format!("{name} required for {}", order_type.code()))),
        (true, false) => {}
    }
    on_the_tick(field, text, tick)
}

/// A positive number on the tick (`text` trimmed and not empty), named after `field`.
pub(super) fn on_the_tick(
    field: TicketField,
    text: &str,
    tick: Option<Decimal>,
) -> Result<Option<Decimal>, FieldError> {
    let name = field.label();
    let price = parse_decimal(text).map_err(|why| FieldError::new(field, format!("{name} {why}, got {text:?}")))?;
    if price <= Decimal::ZERO {
        return Err(FieldError::new(field, format!("{name} must be positive, got {text}")));
    }
    let Some(tick) = tick else {
        // The symbol error explains this; the price cannot be checked without a contract.
        return Err(FieldError::new(field, format!("{name} cannot be checked: no contract details (tick size) yet")));
    };
    if price > MAX_TICKET_NUMBER {
        return Err(FieldError::new(
            field,
            format!("{name} {text} is above {MAX_TICKET_NUMBER}, the most a ticket accepts"),
        ));
    }
    if tick.scale() > 10 {
        return Err(FieldError::new(field, format!("{name} cannot be checked: tick {tick} is finer than 10 decimals")));
    }
    let off_tick = |nearest: String| {
        FieldError::new(field, format!("{name} {text} is not on the {} tick{nearest}", tick.normalize()))
    };
    match price.checked_rem(tick) {
        // Confirmed by multiplying back, so an inexact remainder can never pass a price.
        Some(r) if r.is_zero() && on_tick(price, tick) => Ok(Some(price.normalize())),
        Some(r) => {
            // The neighbours on the tick; left out if they cannot be computed (absurd sizes).
            let below = price.checked_sub(r);
            let above = below.and_then(|b| b.checked_add(tick));
            match (below, above) {
                (Some(b), Some(a)) => Err(off_tick(format!(" (nearest {} or {})", b.normalize(), a.normalize()))),
                _ => Err(off_tick(String::new())),
            }
        }
        None => Err(FieldError::new(field, format!("{name} {text} is too large"))),
    }
}

/// Whether a field is needed (`Some(true)`), must be empty (`Some(false)` with a reason when
/// it is not), or is fine empty: the common shape of the optional fields.
fn needed_or_unused(field: TicketField, text: &str, needed: bool, by: &str) -> Result<bool, FieldError> {
    let name = field.label();
    match (needed, text.is_empty()) {
        (false, true) => Ok(false),
        (false, false) => Err(FieldError::new(field, format!("{name} is not used by {by}: clear it or change it"))),
        (true, true) => Err(FieldError::new(field, format!("{name} required for {by}"))),
        (true, false) => Ok(true),
    }
}

/// The trailing amount (on the tick) or percent (`1.5%`: above 0, below 100).
fn check_trail(text: &str, order_type: OrderType, tick: Option<Decimal>) -> Result<Option<Trailing>, FieldError> {
    let field = TicketField::Trail;
    let text = text.trim();
    if !needed_or_unused(field, text, order_type.needs_trail(), &format!("{} orders", order_type.code()))? {
        return Ok(None);
    }
    if let Some(number) = text.strip_suffix('%') {
        let number = number.trim();
        let percent = parse_decimal(number)
            .map_err(|why| FieldError::new(field, format!("trailing percent {why}, got {text:?}")))?;
        if percent <= Decimal::ZERO || percent >= Decimal::ONE_HUNDRED {
            return Err(FieldError::new(
                field,
                format!("trailing percent must be above 0% and below 100%, got {text}"),
            ));
        }
        return Ok(Some(Trailing::Percent(percent.normalize())));
    }
    Ok(on_the_tick(field, text, tick)?.map(Trailing::Amount))
}

fn check_limit_offset(text: &str, order_type: OrderType, tick: Option<Decimal>) -> Result<Option<Decimal>, FieldError> {
    let field = TicketField::LimitOffset;
    let text = text.trim();
    if !needed_or_unused(field, text, order_type.needs_limit_offset(), &format!("{} orders", order_type.code()))? {
        return Ok(None);
    }
    on_the_tick(field, text, tick)
}

/// GTD's date and time: `YYYYMMDD HH:MM:SS` or `YYYYMMDD HH:MM`, UTC, after `now`.
fn check_good_till(
    text: &str,
    tif: TimeInForce,
    now: Option<DateTime<Utc>>,
) -> Result<Option<DateTime<Utc>>, FieldError> {
    let field = TicketField::GoodTill;
    let text = text.trim();
    if !needed_or_unused(field, text, tif == TimeInForce::Gtd, &format!("time in force {}", tif.code()))? {
        return Ok(None);
    }
    let at = NaiveDateTime::parse_from_str(text, GOOD_TILL_FORMAT)
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y%m%d %H:%M"))
        .map_err(|_| {
            FieldError::new(
                field,
                format!("good till must be YYYYMMDD HH:MM:SS (UTC), e.g. 20261128 21:00:00, got {text:?}"),
            )
        })?
        .and_utc();
    let Some(now) = now else {
        return Err(FieldError::new(field, "good till cannot be checked: no clock"));
    };
    if at <= now {
        return Err(FieldError::new(
            field,
            format!(
                "good till {} UTC is not in the future (now {} UTC)",
                at.format(GOOD_TILL_FORMAT),
                now.format(GOOD_TILL_FORMAT)
            ),
        ));
    }
    Ok(Some(at))
}

/// `price` is a whole number of ticks, checked exactly: the quotient is whole and times the
/// tick gives the price back.
pub(super) fn on_tick(price: Decimal, tick: Decimal) -> bool {
    price.checked_div(tick).filter(|q| q.fract().is_zero()).and_then(|q| q.checked_mul(tick)) == Some(price)
}

fn check_account(account: &str, managed: &[String]) -> Result<String, FieldError> {
    let account = account.trim();
    if account.is_empty() {
        return Err(FieldError::new(TicketField::Account, "account required"));
    }
    if managed.iter().any(|m| m == account) {
        Ok(account.to_string())
    } else if managed.is_empty() {
        Err(FieldError::new(TicketField::Account, format!("account {account}: the gateway reported no accounts")))
    } else {
        Err(FieldError::new(
            TicketField::Account,
            format!("account {account} is not one of the managed accounts ({})", managed.join(", ")),
        ))
    }
}

/// Parses a plain decimal as a trader types it: digits with at most one point and an optional
/// sign; no exponents, separators or spaces. The error completes "quantity …, got …".
pub(super) fn parse_decimal(text: &str) -> Result<Decimal, &'static str> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let points = digits.bytes().filter(|b| *b == b'.').count();
    let has_digit = digits.bytes().any(|b| b.is_ascii_digit());
    if !has_digit || points > 1 || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err("must be a number");
    }
    let mut normalised = String::with_capacity(digits.len() + 3);
    if negative {
        normalised.push('-');
    }
    if digits.starts_with('.') {
        normalised.push('0');
    }
    normalised.push_str(digits);
    if digits.ends_with('.') {
        normalised.push('0');
    }
    Decimal::from_str_exact(&normalised).map_err(|_| "has too many digits")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::testkit::{dec, market};

    fn ticket(qty: &str, order_type: OrderType, limit: &str, stop: &str) -> Ticket {
        Ticket {
            quantity: qty.into(),
            order_type,
            limit_price: limit.into(),
            stop_price: stop.into(),
            ..Ticket::new("AAPL", OrderAction::Buy, "DU111111")
        }
    }

    fn errors(t: &Ticket) -> Vec<FieldError> {
        t.validate(&market()).expect_err("ticket should be rejected")
    }

    #[test]
    fn a_limit_buy_becomes_an_intent_with_its_notional() {
        let intent = ticket("100", OrderType::Limit, "150.05", "").validate(&market()).unwrap();
        assert_eq!(intent.quantity(), dec("100"));
        assert_eq!(intent.prices(), OrderPrices::Limit { limit: dec("150.05") });
        assert_eq!(intent.limit_price(), Some(dec("150.05")));
        assert_eq!(intent.stop_price(), None);
        assert_eq!(intent.notional(), Some(dec("15005")));
        assert_eq!(intent.account(), "DU111111");
        assert_eq!(intent.order_type().code(), "LMT");
    }

    #[test]
    fn every_type_carries_exactly_its_prices() {
        let m = market();
        let mkt = ticket("10", OrderType::Market, "", "").validate(&m).unwrap();
        assert_eq!(mkt.prices(), OrderPrices::Market);
        // A market buy is valued at the ask.
        assert_eq!(mkt.notional(), Some(dec("1500.20")));
        let stp = ticket("10", OrderType::Stop, "", "140").validate(&m).unwrap();
        assert_eq!(stp.prices(), OrderPrices::Stop { stop: dec("140") });
        assert_eq!(stp.notional(), Some(dec("1400")));
        let stp_lmt = ticket("10", OrderType::StopLimit, "141", "140").validate(&m).unwrap();
        assert_eq!(stp_lmt.prices(), OrderPrices::StopLimit { stop: dec("140"), limit: dec("141") });
        assert_eq!(stp_lmt.notional(), Some(dec("1410")));
    }

    #[test]
    fn a_market_sell_is_valued_at_the_bid_and_none_without_quotes() {
        let mut t = ticket("10", OrderType::Market, "", "");
        t.action = OrderAction::Sell;
        assert_eq!(t.validate(&market()).unwrap().notional(), Some(dec("1499.80")));
        let quiet = MarketContext { bid: None, ask: None, last: None, ..market() };
        assert_eq!(t.validate(&quiet).unwrap().notional(), None);
    }

    #[test]
    fn notional_includes_the_multiplier() {
        let mut m = market();
        if let Some(c) = m.contract.as_mut() {
            c.multiplier = dec("100");
        }
        let intent = ticket("2", OrderType::Limit, "3.50", "").validate(&m).unwrap();
        assert_eq!(intent.notional(), Some(dec("700")));
    }

    #[test]
    fn quantity_errors_say_what_was_typed() {
        let cases = [
            ("", "quantity required"),
            ("10.5", "quantity must be a whole number of shares, got 10.5"),
            ("0", "quantity must be positive, got 0"),
            ("-5", "quantity must be positive, got -5"),
            ("abc", "quantity must be a number, got \"abc\""),
            ("1e3", "quantity must be a number, got \"1e3\""),
            ("1,000", "quantity must be a number, got \"1,000\""),
            ("1_000", "quantity must be a number, got \"1_000\""),
            (
                "99999999999999999999999999999999",
                "quantity has too many digits, got \"99999999999999999999999999999999\"",
            ),
        ];
        for (typed, expected) in cases {
            let errs = errors(&ticket(typed, OrderType::Limit, "150", ""));
            assert_eq!(errs, vec![FieldError::new(TicketField::Quantity, expected)], "typed {typed:?}");
        }
    }

    #[test]
    fn a_whole_quantity_with_trailing_zeros_is_accepted_and_normalised() {
        let intent = ticket(" 10.00 ", OrderType::Limit, "150", "").validate(&market()).unwrap();
        assert_eq!(intent.quantity().to_string(), "10");
    }

    #[test]
    fn prices_off_the_tick_name_the_tick_and_the_neighbours() {
        let errs = errors(&ticket("10", OrderType::Limit, "150.123", ""));
        assert_eq!(
            errs,
            vec![FieldError::new(
                TicketField::LimitPrice,
                "limit price 150.123 is not on the 0.01 tick (nearest 150.12 or 150.13)"
            )]
        );
        let mut m = market();
        if let Some(c) = m.contract.as_mut() {
            c.min_tick = dec("0.05");
        }
        let errs = ticket("10", OrderType::Stop, "", "10.02").validate(&m).unwrap_err();
        assert_eq!(errs[0].message, "stop price 10.02 is not on the 0.05 tick (nearest 10 or 10.05)");
    }

    #[test]
    fn absurd_numbers_are_refused_before_any_arithmetic() {
        assert_eq!(MAX_TICKET_NUMBER, dec("1000000000000"));
        let errs = errors(&ticket("10", OrderType::Limit, "7922816251426433759354395033.5", ""));
        assert_eq!(
            errs[0].message,
            "limit price 7922816251426433759354395033.5 is above 1000000000000, the most a ticket accepts"
        );
        let errs = errors(&ticket("1000000000001", OrderType::Limit, "1", ""));
        assert_eq!(errs[0].message, "quantity 1000000000001 is above 1000000000000, the most a ticket accepts");
        // At the bounds everything is exact and the notional fits.
        let intent = ticket("1000000000000", OrderType::Limit, "1000000000000", "").validate(&market()).unwrap();
        assert_eq!(intent.notional(), Some(dec("1000000000000000000000000")));
        let mut m = market();
        if let Some(c) = m.contract.as_mut() {
            c.min_tick = dec("0.03");
        }
        let errs = ticket("1", OrderType::Limit, "999999999999.98", "").validate(&m).unwrap_err();
        assert_eq!(
            errs[0].message,
            "limit price 999999999999.98 is not on the 0.03 tick (nearest 999999999999.96 or 999999999999.99)"
        );
    }

    #[test]
    fn the_notional_is_previewed_while_typing() {
        let m = market();
        // The quantity is not whole yet, so the ticket is invalid, but the value shows.
        assert_eq!(ticket("10.5", OrderType::Limit, "150", "").preview_notional(&m), Some(dec("1575")));
        assert_eq!(ticket("10", OrderType::Market, "", "").preview_notional(&m), Some(dec("1500.20")));
        assert_eq!(ticket("10", OrderType::Stop, "", "140").preview_notional(&m), Some(dec("1400")));
        assert_eq!(ticket("", OrderType::Limit, "150", "").preview_notional(&m), None);
        assert_eq!(ticket("10", OrderType::Limit, "abc", "").preview_notional(&m), None);
        assert_eq!(ticket("10", OrderType::Limit, "150", "").preview_notional(&MarketContext::default()), None);
    }

    #[test]
    fn on_tick_is_exact() {
        assert!(on_tick(dec("150.05"), dec("0.05")));
        assert!(!on_tick(dec("150.051"), dec("0.05")));
        assert!(on_tick(dec("999999999999.99"), dec("0.01")));
        assert!(!on_tick(dec("7922816251426433759354395033.5"), dec("0.03")));
    }

    #[test]
    fn required_and_unused_prices_are_reported_per_type() {
        let errs = errors(&ticket("10", OrderType::Limit, "", ""));
        assert_eq!(errs, vec![FieldError::new(TicketField::LimitPrice, "limit price required for LMT")]);
        let errs = errors(&ticket("10", OrderType::StopLimit, "", ""));
        assert_eq!(
            errs,
            vec![
                FieldError::new(TicketField::LimitPrice, "limit price required for STP LMT"),
                FieldError::new(TicketField::StopPrice, "stop price required for STP LMT"),
            ]
        );
        let errs = errors(&ticket("10", OrderType::Stop, "", ""));
        assert_eq!(errs, vec![FieldError::new(TicketField::StopPrice, "stop price required for STP")]);
        let errs = errors(&ticket("10", OrderType::Market, "150", ""));
        assert_eq!(errs[0].field, TicketField::LimitPrice);
        assert_eq!(errs[0].message, "limit price is not used by MKT orders: clear it or change the order type");
    }

    #[test]
    fn negative_and_zero_prices_are_refused() {
        let errs = errors(&ticket("10", OrderType::Limit, "-1", ""));
        assert_eq!(errs[0].message, "limit price must be positive, got -1");
        let errs = errors(&ticket("10", OrderType::Stop, "", "0.00"));
        assert_eq!(errs[0].message, "stop price must be positive, got 0.00");
    }

    #[test]
    fn an_unknown_symbol_is_an_error_on_the_symbol() {
        let m = MarketContext { contract: None, ..market() };
        let mut t = ticket("10", OrderType::Market, "", "");
        t.symbol = "XYZ".into();
        let errs = t.validate(&m).unwrap_err();
        assert_eq!(
            errs,
            vec![FieldError::new(TicketField::Symbol, "unknown symbol XYZ: the gateway has no contract for it")]
        );
        // Contract details for another symbol (the ticket changed, details not yet resolved).
        let errs = t.validate(&market()).unwrap_err();
        assert_eq!(errs[0].message, "symbol XYZ does not match the contract details (AAPL): wait for XYZ to resolve");
        t.symbol = "  ".into();
        assert_eq!(t.validate(&market()).unwrap_err()[0].message, "symbol required");
    }

    #[test]
    fn a_symbol_is_matched_without_regard_to_case() {
        let mut t = ticket("10", OrderType::Market, "", "");
        t.symbol = "aapl".into();
        assert!(t.validate(&market()).is_ok());
    }

    #[test]
    fn a_contract_without_a_tick_cannot_be_traded() {
        let mut m = market();
        if let Some(c) = m.contract.as_mut() {
            c.min_tick = Decimal::ZERO;
        }
        let errs = ticket("10", OrderType::Market, "", "").validate(&m).unwrap_err();
        assert_eq!(errs[0].message, "symbol AAPL has no usable minimum tick (0) in its contract details");
    }

    #[test]
    fn the_account_must_be_a_managed_one() {
        let mut t = ticket("10", OrderType::Market, "", "");
        t.account = "DU999".into();
        let errs = t.validate(&market()).unwrap_err();
        assert_eq!(
            errs,
            vec![FieldError::new(
                TicketField::Account,
                "account DU999 is not one of the managed accounts (DU111111, DU222222)"
            )]
        );
        t.account = String::new();
        assert_eq!(t.validate(&market()).unwrap_err()[0].message, "account required");
    }

    #[test]
    fn all_errors_are_reported_at_once() {
        let t = Ticket {
            symbol: "XYZ".into(),
            quantity: "1.5".into(),
            order_type: OrderType::Limit,
            limit_price: "".into(),
            account: "U123".into(),
            ..Ticket::new("", OrderAction::Sell, "")
        };
        let fields: Vec<_> = t.validate(&MarketContext::default()).unwrap_err().iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            vec![TicketField::Symbol, TicketField::Quantity, TicketField::LimitPrice, TicketField::Account]
        );
    }

    fn trail(order_type: OrderType, trail: &str, offset: &str) -> Ticket {
        Ticket { trail: trail.into(), limit_offset: offset.into(), ..ticket("10", order_type, "", "") }
    }

    #[test]
    fn trailing_stops_take_an_amount_on_the_tick_or_a_percent() {
        let m = market();
        let amount = trail(OrderType::Trail, "0.50", "").validate(&m).unwrap();
        assert_eq!(amount.prices(), OrderPrices::Trail { trail: Trailing::Amount(dec("0.5")) });
        assert_eq!(amount.order_type().code(), "TRAIL");
        assert_eq!(amount.stop_price(), None, "a trailing amount is not a stop price");
        // Valued at the market (the ask for a buy), where the trail starts.
        assert_eq!(amount.notional(), Some(dec("1500.20")));
        let percent = trail(OrderType::Trail, " 1.5% ", "").validate(&m).unwrap();
        assert_eq!(percent.trailing(), Some(Trailing::Percent(dec("1.5"))));
        let limit = trail(OrderType::TrailLimit, "0.25", "0.10").validate(&m).unwrap();
        assert_eq!(
            limit.prices(),
            OrderPrices::TrailLimit { trail: Trailing::Amount(dec("0.25")), limit_offset: dec("0.1") }
        );
        assert_eq!(limit.order_type().code(), "TRAIL LIMIT");
        assert_eq!(limit.limit_offset(), Some(dec("0.1")));
    }

    #[test]
    fn trailing_errors_name_the_field_and_the_numbers() {
        let cases = [
            (trail(OrderType::Trail, "", ""), TicketField::Trail, "trail required for TRAIL orders"),
            (
                trail(OrderType::Trail, "0.005", ""),
                TicketField::Trail,
                "trail 0.005 is not on the 0.01 tick (nearest 0 or 0.01)",
            ),
            (trail(OrderType::Trail, "-1", ""), TicketField::Trail, "trail must be positive, got -1"),
            (
                trail(OrderType::Trail, "100%", ""),
                TicketField::Trail,
                "trailing percent must be above 0% and below 100%, got 100%",
            ),
            (
                trail(OrderType::Trail, "0%", ""),
                TicketField::Trail,
                "trailing percent must be above 0% and below 100%, got 0%",
            ),
            (trail(OrderType::Trail, "x%", ""), TicketField::Trail, "trailing percent must be a number, got \"x%\""),
            (
                trail(OrderType::TrailLimit, "0.25", ""),
                TicketField::LimitOffset,
                "limit offset required for TRAIL LIMIT orders",
            ),
            (
                trail(OrderType::Trail, "0.25", "0.10"),
                TicketField::LimitOffset,
                "limit offset is not used by TRAIL orders: clear it or change it",
            ),
            (
                trail(OrderType::Limit, "0.25", ""),
                TicketField::Trail,
                "trail is not used by LMT orders: clear it or change it",
            ),
        ];
        for (t, field, message) in cases {
            let t = if t.order_type == OrderType::Limit { Ticket { limit_price: "150".into(), ..t } } else { t };
            assert_eq!(errors(&t), vec![FieldError::new(field, message)], "{t:?}");
        }
        // A stop price on a TRAIL is refused, not silently dropped.
        let t = Ticket { stop_price: "140".into(), ..trail(OrderType::Trail, "1", "") };
        assert_eq!(errors(&t)[0].field, TicketField::StopPrice);
    }

    fn gtd(at: &str) -> Ticket {
        Ticket { tif: TimeInForce::Gtd, good_till: at.into(), ..ticket("10", OrderType::Limit, "150", "") }
    }

    #[test]
    fn gtd_needs_a_future_utc_time() {
        // The clock is 2026-11-28 15:00:00 UTC.
        let m = market();
        let intent = gtd("20261128 21:00:00").validate(&m).unwrap();
        assert_eq!(intent.tif().code(), "GTD");
        assert_eq!(intent.good_till().map(|t| t.to_rfc3339()), Some("2026-11-28T21:00:00+00:00".into()));
        assert_eq!(
            gtd("20261129 09:30").validate(&m).unwrap().good_till().map(|t| t.to_rfc3339()),
            Some("2026-11-29T09:30:00+00:00".into())
        );
        let cases = [
            ("", "good till required for time in force GTD"),
            ("20261128 15:00:00", "good till 20261128 15:00:00 UTC is not in the future (now 20261128 15:00:00 UTC)"),
            (
                "2026-11-29 10:00",
                "good till must be YYYYMMDD HH:MM:SS (UTC), e.g. 20261128 21:00:00, got \"2026-11-29 10:00\"",
            ),
            (
                "20261340 10:00:00",
                "good till must be YYYYMMDD HH:MM:SS (UTC), e.g. 20261128 21:00:00, got \"20261340 10:00:00\"",
            ),
        ];
        for (typed, message) in cases {
            assert_eq!(errors(&gtd(typed)), vec![FieldError::new(TicketField::GoodTill, message)], "{typed:?}");
        }
        let no_clock = MarketContext { now: None, ..market() };
        assert_eq!(
            gtd("20261128 21:00:00").validate(&no_clock).unwrap_err()[0].message,
            "good till cannot be checked: no clock"
        );
        // A good-till time on a DAY order is refused, not ignored.
        let day = Ticket { tif: TimeInForce::Day, ..gtd("20261128 21:00:00") };
        assert_eq!(
            errors(&day),
            vec![FieldError::new(
                TicketField::GoodTill,
                "good till is not used by time in force DAY: clear it or change it"
            )]
        );
        assert_eq!(ticket("10", OrderType::Limit, "150", "").validate(&m).unwrap().good_till(), None);
    }

    #[test]
    fn codes_round_trip() {
        for t in OrderType::ALL {
            assert_eq!(OrderType::from_code(t.code()), Some(t));
        }
        for t in TimeInForce::ALL {
            assert_eq!(TimeInForce::from_code(t.code()), Some(t));
        }
        assert_eq!(TimeInForce::from_code(""), Some(TimeInForce::Day));
        assert_eq!(OrderType::from_code("MIT"), None);
    }

    #[test]
    fn decimal_parsing_accepts_only_plain_numbers() {
        assert_eq!(parse_decimal("5."), Ok(dec("5")));
        assert_eq!(parse_decimal(".5"), Ok(dec("0.5")));
        assert_eq!(parse_decimal("+7"), Ok(dec("7")));
        for bad in ["", ".", "-", "1.2.3", " 1", "0x10", "NaN", "inf", "١٢"] {
            assert!(parse_decimal(bad).is_err(), "{bad:?} should not parse");
        }
    }
}
