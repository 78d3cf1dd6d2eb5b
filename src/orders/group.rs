//! Orders with attached exits: a bracket (entry, take-profit limit, protective stop) or an
//! entry with one exit, as one [`GroupIntent`].
//!
//! The trader types each exit as an absolute price (`155.00`), an offset in ticks (`20t`) or a
//! percent (`2%`) from the entry price; [`Ticket::validate_group`] turns them into checked
//! legs: on the contract's tick, on the right side of the entry (a buy's target above its
//! entry and its stop below; reversed for a sell), the opposite side with the entry's
//! quantity. Exits are GTC: a protective stop must not expire at the close while the position
//! it protects is still open.
//!
//! On the wire (ibkr-behaviour.md §3.1): the entry goes first with `transmit=false`, each exit
//! with `parent_id` = the entry's order id and `transmit=false`, except the last leg, which
//! has `transmit=true` and releases the group. The gateway links the children of one parent
//! as an OCA group. Each leg's intent id is the group's id with a suffix ([`LegRole::leg_id`]).

use super::ticket::{
    on_the_tick, parse_decimal, FieldError, MarketContext, OrderAction, OrderIntent, OrderPrices, Ticket, TicketField,
    TimeInForce, Trailing,
};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What the stop-loss is: a plain stop at the price, or a trailing stop that starts at that
/// distance from the entry and follows the market.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopKind {
    #[default]
    Stop,
    Trail,
}

impl StopKind {
    pub const ALL: [StopKind; 2] = [StopKind::Stop, StopKind::Trail];

    /// The order type the stop-loss leg gets.
    pub fn code(self) -> &'static str {
        match self {
            StopKind::Stop => "STP",
            StopKind::Trail => "TRAIL",
        }
    }
}

/// A leg's place in its group (ordered as sent: entry, take profit, stop loss).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegRole {
    Entry,
    TakeProfit,
    StopLoss,
}

impl LegRole {
    pub const ALL: [LegRole; 3] = [LegRole::Entry, LegRole::TakeProfit, LegRole::StopLoss];

    /// The suffix of the leg's intent id.
    pub fn suffix(self) -> &'static str {
        match self {
            LegRole::Entry => "entry",
            LegRole::TakeProfit => "tp",
            LegRole::StopLoss => "sl",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LegRole::Entry => "entry",
            LegRole::TakeProfit => "take profit",
            LegRole::StopLoss => "stop loss",
        }
    }

    /// `<group id>.<suffix>`: the leg's intent id, carried in its `order_ref`.
    pub fn leg_id(self, group_id: &str) -> String {
        format!("{group_id}.{}", self.suffix())
    }

    /// The group id and role of a leg's intent id, if it is one. A leg modified later carries
    /// `<group>.<suffix>~<modification id>` and still belongs to its group.
    pub fn parse(intent_id: &str) -> Option<(&str, LegRole)> {
        let (group, suffix) = intent_id.rsplit_once('.')?;
        let suffix = suffix.split_once('~').map_or(suffix, |(s, _)| s);
        let role = LegRole::ALL.into_iter().find(|r| r.suffix() == suffix)?;
        (!group.is_empty()).then_some((group, role))
    }
}

impl fmt::Display for LegRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// An exit as typed, parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExitDistance {
    Price(Decimal),
    Ticks(Decimal),
    Percent(Decimal),
}

/// A validated entry with its exits. Only [`Ticket::validate_group`] makes one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupIntent {
    entry: OrderIntent,
    take_profit: Option<OrderIntent>,
    stop_loss: Option<OrderIntent>,
    /// The price the exits were computed and checked against (see [`entry_price`]).
    entry_price: Option<Decimal>,
}

impl GroupIntent {
    /// A group of one: an order without exits.
    pub fn single(entry: OrderIntent) -> Self {
        GroupIntent { entry, take_profit: None, stop_loss: None, entry_price: None }
    }

    pub fn entry(&self) -> &OrderIntent {
        &self.entry
    }
    pub fn take_profit(&self) -> Option<&OrderIntent> {
        self.take_profit.as_ref()
    }
    pub fn stop_loss(&self) -> Option<&OrderIntent> {
        self.stop_loss.as_ref()
    }
    pub fn entry_price(&self) -> Option<Decimal> {
        self.entry_price
    }

    /// Whether any exit is attached.
    pub fn has_exits(&self) -> bool {
        self.take_profit.is_some() || self.stop_loss.is_some()
    }

    /// The legs in sending order: entry, take profit, stop loss (the last one transmits).
    pub fn legs(&self) -> Vec<(LegRole, &OrderIntent)> {
        let mut legs = vec![(LegRole::Entry, &self.entry)];
        if let Some(tp) = &self.take_profit {
            legs.push((LegRole::TakeProfit, tp));
        }
        if let Some(sl) = &self.stop_loss {
            legs.push((LegRole::StopLoss, sl));
        }
        legs
    }

    /// The loss if the stop is hit: |entry − stop| × quantity × multiplier (for a trailing
    /// stop, its starting distance). `None` without a stop or an entry price: it cannot be
    /// known. Slippage past a stop (a gap) is not in it.
    pub fn worst_case_loss(&self) -> Option<Decimal> {
        let stop = self.stop_loss.as_ref()?;
        let entry = self.entry_price?;
        let distance = match stop.prices() {
            OrderPrices::Stop { stop } | OrderPrices::StopLimit { stop, .. } => (entry - stop).abs(),
            OrderPrices::Trail { trail: Trailing::Amount(a) } => a,
            OrderPrices::Trail { trail: Trailing::Percent(p) } => entry.checked_mul(p)? / Decimal::ONE_HUNDRED,
            _ => return None,
        };
        distance.checked_mul(self.entry.quantity())?.checked_mul(self.entry.contract().multiplier)
    }

    /// The group's notional: the entry's (the exits close what it opens and never add to it).
    pub fn notional(&self) -> Option<Decimal> {
        self.entry.notional()
    }
}

/// One leg in words: `SELL 100 AAPL LMT 152.50 GTC`, `SELL 100 AAPL TRAIL 0.25 GTC`.
pub fn describe(leg: &OrderIntent) -> String {
    // Prices as a trader reads them: at least two decimals.
    let price = |p: Decimal| {
        let mut p = p.normalize();
        if p.scale() < 2 {
            p.rescale(2);
        }
        p
    };
    let mut s = format!(
        "{} {} {} {}",
        leg.action().code(),
        leg.quantity().normalize(),
        leg.contract().symbol,
        leg.order_type().code()
    );
    if let Some(stop) = leg.stop_price() {
        s.push_str(&format!(" stop {}", price(stop)));
    }
    if let Some(limit) = leg.limit_price() {
        s.push_str(&format!(" limit {}", price(limit)));
    }
    match leg.trailing() {
        Some(super::ticket::Trailing::Amount(amount)) => s.push_str(&format!(" trail {}", price(amount))),
        Some(percent) => s.push_str(&format!(" trail {percent}")),
        None => {}
    }
    if let Some(offset) = leg.limit_offset() {
        s.push_str(&format!(" offset {}", price(offset)));
    }
    s.push(' ');
    s.push_str(leg.tif().code());
    if let Some(at) = leg.good_till() {
        s.push_str(&format!(" till {} UTC", at.format(super::ticket::GOOD_TILL_FORMAT)));
    }
    if leg.outside_rth() {
        s.push_str(" outside RTH");
    }
    s
}

/// The price an entry's exits are measured from: its limit (LMT, STP LMT), its stop (STP), or
/// the market it would meet (MKT, the trailing types).
pub fn entry_price(intent: &OrderIntent, market: &MarketContext) -> Option<Decimal> {
    match intent.prices() {
        OrderPrices::Limit { limit } | OrderPrices::StopLimit { limit, .. } => Some(limit),
        OrderPrices::Stop { stop } => Some(stop),
        OrderPrices::Market | OrderPrices::Trail { .. } | OrderPrices::TrailLimit { .. } => {
            market.reference_price(intent.action())
        }
    }
}

fn opposite(action: OrderAction) -> OrderAction {
    match action {
        OrderAction::Buy => OrderAction::Sell,
        OrderAction::Sell => OrderAction::Buy,
    }
}

/// `20t` / `20 ticks`, `2%`, or a price.
fn parse_exit(field: TicketField, text: &str, tick: Option<Decimal>) -> Result<ExitDistance, FieldError> {
    let name = field.label();
    let forms = "a price (151.00), ticks from the entry (20t) or a percent from the entry (1.5%)";
    if let Some(number) = text.strip_suffix('%') {
        let p = parse_decimal(number.trim())
            .map_err(|_| FieldError::new(field, format!("{name} must be {forms}, got {text:?}")))?;
        if p <= Decimal::ZERO || p >= Decimal::ONE_HUNDRED {
            return Err(FieldError::new(field, format!("{name} percent must be above 0% and below 100%, got {text}")));
        }
        return Ok(ExitDistance::Percent(p.normalize()));
    }
    let ticks = text.strip_suffix("ticks").or_else(|| text.strip_suffix("tick")).or_else(|| text.strip_suffix('t'));
    if let Some(number) = ticks {
        let n = parse_decimal(number.trim())
            .map_err(|_| FieldError::new(field, format!("{name} must be {forms}, got {text:?}")))?;
        if n <= Decimal::ZERO || !n.fract().is_zero() || n > Decimal::from(1_000_000) {
            return Err(FieldError::new(
                field,
                format!("{name} ticks must be a whole number from 1 to 1000000, got {text}"),
            ));
        }
        return Ok(ExitDistance::Ticks(n.normalize()));
    }
    if parse_decimal(text).is_err() {
        return Err(FieldError::new(field, format!("{name} must be {forms}, got {text:?}")));
    }
    match on_the_tick(field, text, tick)? {
        Some(price) => Ok(ExitDistance::Price(price)),
        None => Err(FieldError::new(field, format!("{name} required"))),
    }
}

/// Rounds to the nearest tick (half away from zero).
fn to_tick(price: Decimal, tick: Decimal) -> Option<Decimal> {
    let ticks = price.checked_div(tick)?.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    ticks.checked_mul(tick).map(|p| p.normalize())
}

/// Which way from the entry an exit lies: +1 above, −1 below.
fn direction(role: LegRole, side: OrderAction) -> Decimal {
    match (role, side) {
        (LegRole::TakeProfit, OrderAction::Buy) | (LegRole::StopLoss, OrderAction::Sell) => Decimal::ONE,
        _ => Decimal::NEGATIVE_ONE,
    }
}

/// The exit's price from its distance, checked to lie on the right side of the entry.
fn exit_price(
    field: TicketField,
    role: LegRole,
    distance: ExitDistance,
    entry: &OrderIntent,
    entry_price: Option<Decimal>,
) -> Result<Decimal, FieldError> {
    let name = field.label();
    let tick = entry.contract().min_tick;
    let side = entry.action();
    let Some(at) = entry_price else {
        return Err(FieldError::new(
            field,
            format!(
                "{name} cannot be checked: no entry price (a {} order with no quote yet)",
                entry.order_type().code()
            ),
        ));
    };
    let sign = direction(role, side);
    let price = match distance {
        ExitDistance::Price(p) => Some(p),
        ExitDistance::Ticks(n) => n.checked_mul(tick).and_then(|d| d.checked_mul(sign)).and_then(|d| at.checked_add(d)),
        ExitDistance::Percent(p) => at
            .checked_mul(p)
            .map(|d| d / Decimal::ONE_HUNDRED * sign)
            .and_then(|d| at.checked_add(d))
            .and_then(|raw| to_tick(raw, tick)),
    }
    .ok_or_else(|| FieldError::new(field, format!("{name} is too large")))?;
    let where_ = if sign > Decimal::ZERO { "above" } else { "below" };
    let wrong_side = if sign > Decimal::ZERO { price <= at } else { price >= at };
    if wrong_side {
        return Err(FieldError::new(
            field,
            format!("{name} {} must be {where_} the entry {} for a {}", price.normalize(), at.normalize(), side.code()),
        ));
    }
    if price <= Decimal::ZERO {
        return Err(FieldError::new(field, format!("{name} {} is not a positive price", price.normalize())));
    }
    Ok(price.normalize())
}

impl Ticket {
    /// Validates the ticket and its attached exits together; every error at once, each
    /// naming its field. Without exits the group holds the entry alone.
    pub fn validate_group(&self, market: &MarketContext) -> Result<GroupIntent, Vec<FieldError>> {
        let entry = self.validate(market);
        let tick = market.contract.as_ref().map(|c| c.min_tick).filter(|t| *t > Decimal::ZERO);
        let mut errors = entry.as_ref().err().cloned().unwrap_or_default();
        let tp_text = self.take_profit.trim();
        let sl_text = self.stop_loss.trim();
        let tp = (!tp_text.is_empty())
            .then(|| parse_exit(TicketField::TakeProfit, tp_text, tick))
            .transpose()
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let sl = (!sl_text.is_empty())
            .then(|| parse_exit(TicketField::StopLoss, sl_text, tick))
            .transpose()
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let Ok(entry) = entry else { return Err(errors) };
        if tp.is_none() && sl.is_none() {
            return if errors.is_empty() { Ok(GroupIntent::single(entry)) } else { Err(errors) };
        }
        let at = entry_price(&entry, market);
        let exit_side = opposite(entry.action());
        let take_profit = tp.and_then(|distance| {
            exit_price(TicketField::TakeProfit, LegRole::TakeProfit, distance, &entry, at)
                .map_err(|e| errors.push(e))
                .ok()
                .map(|limit| entry.exit_leg(exit_side, OrderPrices::Limit { limit }, TimeInForce::Gtc, Some(limit)))
        });
        let stop_loss = sl.and_then(|distance| {
            let prices = match (self.stop_kind, distance) {
                // A trailing percent trails by that percent: no price to compute.
                (StopKind::Trail, ExitDistance::Percent(p)) => Ok(OrderPrices::Trail { trail: Trailing::Percent(p) }),
                (kind, distance) => {
                    exit_price(TicketField::StopLoss, LegRole::StopLoss, distance, &entry, at).map(|stop| match kind {
                        StopKind::Stop => OrderPrices::Stop { stop },
                        StopKind::Trail => OrderPrices::Trail {
                            trail: Trailing::Amount(at.map(|a| (a - stop).abs()).unwrap_or_default().normalize()),
                        },
                    })
                }
            };
            prices.map_err(|e| errors.push(e)).ok().map(|prices| {
                let reference = match prices {
                    OrderPrices::Stop { stop } => Some(stop),
                    _ => at,
                };
                entry.exit_leg(exit_side, prices, TimeInForce::Gtc, reference)
            })
        });
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(GroupIntent { entry, take_profit, stop_loss, entry_price: at })
    }

    /// The exit prices as typed would come out, for the ticket to show beside the fields while
    /// editing: `(take profit, stop loss)`, each `None` when it cannot be computed.
    pub fn preview_exits(&self, market: &MarketContext) -> (Option<Decimal>, Option<Decimal>) {
        let Ok(group) = self.validate_group(market) else { return (None, None) };
        let tp = group.take_profit().and_then(|l| l.limit_price());
        let sl = group.stop_loss().and_then(|l| match l.prices() {
            OrderPrices::Stop { stop } => Some(stop),
            OrderPrices::Trail { trail: Trailing::Amount(a) } => {
                let at = group.entry_price()?;
                Some(if l.action() == OrderAction::Sell { at - a } else { at + a })
            }
            _ => None,
        });
        (tp, sl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::testkit::{dec, market};
    use crate::orders::OrderType;

    /// BUY 100 AAPL LMT 150.00 with exits as typed.
    fn bracket(side: OrderAction, tp: &str, sl: &str, kind: StopKind) -> Ticket {
        Ticket {
            quantity: "100".into(),
            limit_price: "150.00".into(),
            take_profit: tp.into(),
            stop_loss: sl.into(),
            stop_kind: kind,
            ..Ticket::new("AAPL", side, "DU111111")
        }
    }

    fn errors(t: &Ticket) -> Vec<FieldError> {
        t.validate_group(&market()).expect_err("should be refused")
    }

    #[test]
    fn a_buy_bracket_has_its_exits_on_the_opposite_side_with_the_entry_quantity() {
        let g = bracket(OrderAction::Buy, "155.00", "148.50", StopKind::Stop).validate_group(&market()).unwrap();
        assert_eq!(g.entry().action(), OrderAction::Buy);
        let tp = g.take_profit().unwrap();
        let sl = g.stop_loss().unwrap();
        assert_eq!(
            (tp.action(), tp.quantity(), tp.prices()),
            (OrderAction::Sell, dec("100"), OrderPrices::Limit { limit: dec("155") })
        );
        assert_eq!(
            (sl.action(), sl.quantity(), sl.prices()),
            (OrderAction::Sell, dec("100"), OrderPrices::Stop { stop: dec("148.5") })
        );
        assert_eq!((tp.tif(), sl.tif()), (TimeInForce::Gtc, TimeInForce::Gtc), "exits outlive the day");
        assert_eq!(tp.account(), "DU111111");
        assert_eq!(g.entry_price(), Some(dec("150")));
        // 1.50 × 100 × 1
        assert_eq!(g.worst_case_loss(), Some(dec("150")));
        assert_eq!(g.legs().iter().map(|(r, _)| *r).collect::<Vec<_>>(), LegRole::ALL.to_vec());
    }

    #[test]
    fn offsets_in_ticks_and_percent_are_measured_from_the_entry_by_side() {
        let m = market();
        let buy = bracket(OrderAction::Buy, "20t", "1%", StopKind::Stop).validate_group(&m).unwrap();
        assert_eq!(buy.take_profit().unwrap().limit_price(), Some(dec("150.2")));
        assert_eq!(buy.stop_loss().unwrap().stop_price(), Some(dec("148.5")));
        let sell = bracket(OrderAction::Sell, "2%", "15 ticks", StopKind::Stop).validate_group(&m).unwrap();
        assert_eq!(sell.take_profit().unwrap().action(), OrderAction::Buy);
        assert_eq!(sell.take_profit().unwrap().limit_price(), Some(dec("147")));
        assert_eq!(sell.stop_loss().unwrap().stop_price(), Some(dec("150.15")));
        // A percent off the tick is rounded to the nearest tick: 150 × 0.333% = 0.4995 → 150.50.
        let odd = bracket(OrderAction::Buy, "0.333%", "", StopKind::Stop).validate_group(&m).unwrap();
        assert_eq!(odd.take_profit().unwrap().limit_price(), Some(dec("150.5")));
        assert_eq!(odd.stop_loss(), None);
        assert_eq!(odd.worst_case_loss(), None, "no stop: the worst case cannot be known");
    }

    #[test]
    fn a_market_entry_measures_from_the_quote_and_cannot_without_one() {
        let mut t = bracket(OrderAction::Buy, "10t", "10t", StopKind::Stop);
        t.order_type = OrderType::Market;
        t.limit_price.clear();
        let g = t.validate_group(&market()).unwrap();
        assert_eq!(g.entry_price(), Some(dec("150.02")), "a buy meets the ask");
        assert_eq!(g.take_profit().unwrap().limit_price(), Some(dec("150.12")));
        let quiet = MarketContext { bid: None, ask: None, last: None, ..market() };
        let errs = t.validate_group(&quiet).unwrap_err();
        assert_eq!(
            errs,
            vec![
                FieldError::new(
                    TicketField::TakeProfit,
                    "take profit cannot be checked: no entry price (a MKT order with no quote yet)"
                ),
                FieldError::new(
                    TicketField::StopLoss,
                    "stop loss cannot be checked: no entry price (a MKT order with no quote yet)"
                ),
            ]
        );
    }

    #[test]
    fn exits_on_the_wrong_side_are_refused_naming_the_side() {
        assert_eq!(
            errors(&bracket(OrderAction::Buy, "149.00", "151.00", StopKind::Stop)),
            vec![
                FieldError::new(TicketField::TakeProfit, "take profit 149 must be above the entry 150 for a BUY"),
                FieldError::new(TicketField::StopLoss, "stop loss 151 must be below the entry 150 for a BUY"),
            ]
        );
        assert_eq!(
            errors(&bracket(OrderAction::Sell, "150.00", "", StopKind::Stop)),
            vec![FieldError::new(TicketField::TakeProfit, "take profit 150 must be below the entry 150 for a SELL")]
        );
        let fine = bracket(OrderAction::Buy, "", "200t", StopKind::Stop).validate_group(&market()).unwrap();
        assert_eq!(fine.stop_loss().unwrap().stop_price(), Some(dec("148")));
    }

    #[test]
    fn exit_text_errors_say_what_forms_are_accepted() {
        let forms = "a price (151.00), ticks from the entry (20t) or a percent from the entry (1.5%)";
        let cases = [
            ("abc", TicketField::TakeProfit, format!("take profit must be {forms}, got \"abc\"")),
            (
                "155.005",
                TicketField::TakeProfit,
                "take profit 155.005 is not on the 0.01 tick (nearest 155 or 155.01)".to_string(),
            ),
            (
                "2.5t",
                TicketField::TakeProfit,
                "take profit ticks must be a whole number from 1 to 1000000, got 2.5t".to_string(),
            ),
            (
                "0t",
                TicketField::TakeProfit,
                "take profit ticks must be a whole number from 1 to 1000000, got 0t".to_string(),
            ),
            (
                "150%",
                TicketField::TakeProfit,
                "take profit percent must be above 0% and below 100%, got 150%".to_string(),
            ),
            ("-3", TicketField::TakeProfit, "take profit must be positive, got -3".to_string()),
        ];
        for (typed, field, message) in cases {
            assert_eq!(
                errors(&bracket(OrderAction::Buy, typed, "", StopKind::Stop)),
                vec![FieldError::new(field, message)],
                "{typed}"
            );
        }
        // The stop loss far enough to go below zero.
        assert_eq!(
            errors(&bracket(OrderAction::Buy, "", "15001t", StopKind::Stop)),
            vec![FieldError::new(TicketField::StopLoss, "stop loss -0.01 is not a positive price")]
        );
        // Entry errors and exit errors come together.
        let mut t = bracket(OrderAction::Buy, "x", "", StopKind::Stop);
        t.quantity = "0".into();
        let fields: Vec<_> = errors(&t).iter().map(|e| e.field).collect();
        assert_eq!(fields, vec![TicketField::Quantity, TicketField::TakeProfit]);
    }

    #[test]
    fn a_trailing_stop_loss_trails_by_its_distance_from_the_entry() {
        let m = market();
        let g = bracket(OrderAction::Buy, "", "148.00", StopKind::Trail).validate_group(&m).unwrap();
        let sl = g.stop_loss().unwrap();
        assert_eq!(sl.prices(), OrderPrices::Trail { trail: Trailing::Amount(dec("2")) });
        assert_eq!(sl.order_type().code(), "TRAIL");
        assert_eq!(g.worst_case_loss(), Some(dec("200")));
        let pct = bracket(OrderAction::Buy, "", "2%", StopKind::Trail).validate_group(&m).unwrap();
        assert_eq!(pct.stop_loss().unwrap().trailing(), Some(Trailing::Percent(dec("2"))));
        assert_eq!(pct.worst_case_loss(), Some(dec("300")));
        let ticks = bracket(OrderAction::Sell, "", "25t", StopKind::Trail).validate_group(&m).unwrap();
        assert_eq!(ticks.stop_loss().unwrap().trailing(), Some(Trailing::Amount(dec("0.25"))));
        assert_eq!(ticks.stop_loss().unwrap().action(), OrderAction::Buy);
        // The preview shows where a trailing amount starts; a trailing percent has no fixed price.
        assert_eq!(
            bracket(OrderAction::Buy, "", "148.00", StopKind::Trail).preview_exits(&m),
            (None, Some(dec("148")))
        );
        assert_eq!(bracket(OrderAction::Buy, "", "2%", StopKind::Trail).preview_exits(&m), (None, None));
    }

    #[test]
    fn without_exits_the_group_is_the_order_alone() {
        let g = bracket(OrderAction::Buy, " ", "", StopKind::Trail).validate_group(&market()).unwrap();
        assert!(!g.has_exits());
        assert_eq!(g.legs().len(), 1);
        assert_eq!(g.entry(), &bracket(OrderAction::Buy, "", "", StopKind::Stop).validate(&market()).unwrap());
    }

    #[test]
    fn legs_are_described_in_words() {
        let g = bracket(OrderAction::Buy, "152.50", "25t", StopKind::Trail).validate_group(&market()).unwrap();
        let text: Vec<String> = g.legs().iter().map(|(_, l)| describe(l)).collect();
        assert_eq!(
            text,
            vec![
                "BUY 100 AAPL LMT limit 150.00 DAY",
                "SELL 100 AAPL LMT limit 152.50 GTC",
                "SELL 100 AAPL TRAIL trail 0.25 GTC"
            ]
        );
    }

    #[test]
    fn leg_ids_carry_the_group_id() {
        assert_eq!(LegRole::StopLoss.leg_id("rt-1"), "rt-1.sl");
        assert_eq!(
            LegRole::parse("rt-20261127T150000123-1f2e-1.tp"),
            Some(("rt-20261127T150000123-1f2e-1", LegRole::TakeProfit))
        );
        assert_eq!(LegRole::parse("rt-1.sl~rt-1-7"), Some(("rt-1", LegRole::StopLoss)));
        assert_eq!(LegRole::parse("rt-1"), None);
        assert_eq!(LegRole::parse(".entry"), None);
        assert_eq!(LegRole::parse("rt-1.xx"), None);
    }
}
