//! The cockpit's own precautions: the first line of defence before TWS's precautionary settings
//! (error 451) are the second. Each violation names the rule and the numbers; where the config
//! lets a rule be overridden the trader must type the override word.

use super::ticket::{MarketContext, OrderAction, OrderIntent, OrderType};
use chrono::{DateTime, TimeDelta, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// One precaution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Quantity per order above `max_quantity`.
    MaxQuantity,
    /// Notional per order above `max_notional` (or no price to value it, or not in USD).
    MaxNotional,
    /// Limit price further than `max_price_distance_pct` percent from the market.
    PriceDistancePct,
    /// Limit price further than `max_price_distance_ticks` ticks from the market.
    PriceDistanceTicks,
    /// More than `max_orders_per_minute` submissions in the last 60 seconds.
    OrdersPerMinute,
    /// A market order, or a limit price to be banded, needs a live quote younger than
    /// `max_quote_age_secs`.
    LiveQuote,
    /// The same order (contract, side, quantity, prices) sent within `duplicate_window_secs`.
    Duplicate,
    /// An entry sent without a stop loss attached (only with `require_stop`).
    StopRequired,
}

impl Rule {
    pub const ALL: [Rule; 8] = [
        Rule::MaxQuantity,
        Rule::MaxNotional,
        Rule::PriceDistancePct,
        Rule::PriceDistanceTicks,
        Rule::OrdersPerMinute,
        Rule::LiveQuote,
        Rule::Duplicate,
        Rule::StopRequired,
    ];

    /// The config name of the rule.
    pub fn name(self) -> &'static str {
        match self {
            Rule::MaxQuantity => "max_quantity",
            Rule::MaxNotional => "max_notional",
            Rule::PriceDistancePct => "price_distance_pct",
            Rule::PriceDistanceTicks => "price_distance_ticks",
            Rule::OrdersPerMinute => "orders_per_minute",
            Rule::LiveQuote => "live_quote",
            Rule::Duplicate => "duplicate",
            Rule::StopRequired => "stop_required",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The precautions config (`[trading.precautions]`). Every rule is on by default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Precautions {
    pub max_quantity: Decimal,
    /// In USD; orders in another currency are flagged (no FX conversion here).
    pub max_notional: Decimal,
    pub max_price_distance_pct: Decimal,
    pub max_price_distance_ticks: u32,
    pub max_orders_per_minute: u32,
    pub max_quote_age_secs: u64,
    pub duplicate_window_secs: u64,
    /// The word the trader types to override an overridable violation.
    pub override_word: String,
    /// Rules the override word may override. Rules not listed block outright.
    pub overridable: Vec<Rule>,
    /// Rules switched off.
    pub off: Vec<Rule>,
    /// Every new entry needs a stop loss attached (rule `stop_required`); off by default.
    pub require_stop: bool,
}

impl Default for Precautions {
    fn default() -> Self {
        Precautions {
            max_quantity: Decimal::from(1000),
            max_notional: Decimal::from(100_000),
            max_price_distance_pct: Decimal::from(5),
            max_price_distance_ticks: 500,
            max_orders_per_minute: 10,
            max_quote_age_secs: 5,
            duplicate_window_secs: 10,
            override_word: "OVERRIDE".to_string(),
            overridable: vec![
                Rule::MaxQuantity,
                Rule::MaxNotional,
                Rule::PriceDistancePct,
                Rule::PriceDistanceTicks,
                Rule::LiveQuote,
                Rule::Duplicate,
                Rule::StopRequired,
            ],
            off: Vec::new(),
            require_stop: false,
        }
    }
}

/// An order sent recently, for the rate and duplicate rules (the lead keeps the last minute's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentOrder {
    pub at: DateTime<Utc>,
    pub con_id: i32,
    pub action: OrderAction,
    pub quantity: Decimal,
    pub limit_price: Option<Decimal>,
    pub stop_price: Option<Decimal>,
}

impl RecentOrder {
    /// `intent` as sent at `at`.
    pub fn of(intent: &OrderIntent, at: DateTime<Utc>) -> Self {
        RecentOrder {
            at,
            con_id: intent.contract().con_id,
            action: intent.action(),
            quantity: intent.quantity(),
            limit_price: intent.limit_price(),
            stop_price: intent.stop_price(),
        }
    }

    fn same_order(&self, other: &RecentOrder) -> bool {
        self.con_id == other.con_id
            && self.action == other.action
            && self.quantity == other.quantity
            && self.limit_price == other.limit_price
            && self.stop_price == other.stop_price
    }

    fn describe(&self, symbol: &str) -> String {
        let mut s = format!("{} {} {symbol}", self.action.code(), self.quantity);
        if let Some(stop) = self.stop_price {
            s.push_str(&format!(" stop {stop}"));
        }
        if let Some(limit) = self.limit_price {
            s.push_str(&format!(" limit {limit}"));
        }
        s
    }
}

/// A broken precaution: the rule, the numbers, and whether the override word can pass it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    pub rule: Rule,
    pub message: String,
    pub overridable: bool,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.rule, self.message)
    }
}

/// Why an order with violations may not go.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Blocked {
    /// At least one violation may not be overridden; these are they.
    #[error("blocked: {}", list(.0))]
    NotOverridable(Vec<Violation>),
    /// Every violation may be overridden, but the word typed was not the override word.
    #[error("type {word} to override: {}", list(.violations))]
    OverrideWordRequired { word: String, violations: Vec<Violation> },
}

fn list(violations: &[Violation]) -> String {
    violations.iter().map(Violation::to_string).collect::<Vec<_>>().join("; ")
}

impl Precautions {
    /// Whether a rule is checked.
    pub fn is_on(&self, rule: Rule) -> bool {
        !self.off.contains(&rule) && (rule != Rule::StopRequired || self.require_stop)
    }

    /// Every rule on every leg of `group` (each leg's messages say which leg when it has
    /// exits), and the group's own: `stop_required`. Each leg counts for the rate rule as if
    /// the legs before it were sent, so a bracket needs room for all its legs.
    pub fn check_group(
        &self,
        group: &super::group::GroupIntent,
        market: &MarketContext,
        recent: &[RecentOrder],
        now: DateTime<Utc>,
    ) -> Vec<Violation> {
        let mut out = Vec::new();
        let mut recent = recent.to_vec();
        for (role, leg) in group.legs() {
            for mut v in self.check(leg, market, &recent, now) {
                if group.has_exits() {
                    v.message = format!("{role}: {}", v.message);
                }
                out.push(v);
            }
            recent.push(RecentOrder::of(leg, now));
        }
        if self.is_on(Rule::StopRequired) && group.stop_loss().is_none() {
            out.push(Violation {
                rule: Rule::StopRequired,
                message: "the entry has no stop loss attached (trading.precautions.require_stop)".into(),
                overridable: self.overridable.contains(&Rule::StopRequired),
            });
        }
        out
    }

    /// The rules that are checked, in a fixed order (for the journal's "checks passed").
    pub fn active_rules(&self) -> Vec<Rule> {
        Rule::ALL.into_iter().filter(|r| self.is_on(*r)).collect()
    }

    /// A config that would make the checks meaningless; the lead reports it as a config error.
    pub fn validate(&self) -> Result<(), String> {
        if self.override_word.trim().is_empty() {
            return Err("trading.precautions.override_word must not be empty".into());
        }
        let positive = [
            ("max_quantity", self.max_quantity),
            ("max_notional", self.max_notional),
            ("max_price_distance_pct", self.max_price_distance_pct),
            ("max_price_distance_ticks", Decimal::from(self.max_price_distance_ticks)),
            ("max_orders_per_minute", Decimal::from(self.max_orders_per_minute)),
            ("max_quote_age_secs", Decimal::from(self.max_quote_age_secs)),
            ("duplicate_window_secs", Decimal::from(self.duplicate_window_secs)),
        ];
        for (name, value) in positive {
            if value <= Decimal::ZERO {
                return Err(format!(
                    "trading.precautions.{name} must be positive, got {value} (use `off` to disable a rule)"
                ));
            }
        }
        Ok(())
    }

    /// Every violation of the active rules by `intent` in `market`, given the orders sent in
    /// the last minute (at least; older ones are ignored) and the current time.
    pub fn check(
        &self,
        intent: &OrderIntent,
        market: &MarketContext,
        recent: &[RecentOrder],
        now: DateTime<Utc>,
    ) -> Vec<Violation> {
        let mut out = Vec::new();
        let mut violate = |rule: Rule, message: String| {
            if self.is_on(rule) {
                out.push(Violation { rule, message, overridable: self.overridable.contains(&rule) });
            }
        };

        if intent.quantity() > self.max_quantity {
            violate(
                Rule::MaxQuantity,
                format!("quantity {} is above the maximum of {} per order", intent.quantity(), self.max_quantity),
            );
        }

        let currency = &intent.contract().currency;
        match intent.notional() {
            None => violate(Rule::MaxNotional, "no price to value the order at: the notional is unknown".into()),
            Some(_) if currency != "USD" => violate(
                Rule::MaxNotional,
                format!("the order is in {currency}; the notional limit of {} is in USD", self.max_notional),
            ),
            Some(n) if n > self.max_notional => violate(
                Rule::MaxNotional,
                format!("notional {} USD is above the maximum of {} USD per order", n.round_dp(2), self.max_notional),
            ),
            Some(_) => {}
        }

        let max_age = Duration::from_secs(self.max_quote_age_secs);
        let fresh = market.quote_live && market.quote_age.is_some_and(|age| age <= max_age);
        let staleness = || match (market.quote_live, market.quote_age) {
            (_, None) => "there is no quote".to_string(),
            (false, Some(_)) => "the quote is not live (delayed or frozen)".to_string(),
            (true, Some(age)) => format!("the quote is {} s old (max {} s)", age.as_secs(), self.max_quote_age_secs),
        };
        if intent.order_type() == OrderType::Market && !fresh {
            violate(Rule::LiveQuote, format!("a market order needs a live quote: {}", staleness()));
        }

        if let Some(limit) = intent.limit_price() {
            let side = intent.action();
            let side_name = match side {
                OrderAction::Buy => "ask",
                OrderAction::Sell => "bid",
            };
            match market.reference_price(side) {
                Some(reference) if fresh => {
                    let distance = (limit - reference).abs();
                    let pct = distance.checked_mul(Decimal::ONE_HUNDRED).and_then(|d| d.checked_div(reference));
                    match pct {
                        Some(pct) if pct > self.max_price_distance_pct => violate(
                            Rule::PriceDistancePct,
                            format!(
                                "limit {limit} is {}% from the market ({side_name} {reference}); max {}%",
                                pct.round_dp(2),
                                self.max_price_distance_pct
                            ),
                        ),
                        Some(_) => {}
                        None => violate(Rule::PriceDistancePct, format!("limit {limit} is too far to measure")),
                    }
                    let tick = intent.contract().min_tick;
                    match distance.checked_div(tick) {
                        Some(ticks) if ticks > Decimal::from(self.max_price_distance_ticks) => violate(
                            Rule::PriceDistanceTicks,
                            format!(
                                "limit {limit} is {} ticks of {} from the market ({side_name} {reference}); max {} ticks",
                                ticks.round_dp(1).normalize(),
                                tick.normalize(),
                                self.max_price_distance_ticks
                            ),
                        ),
                        Some(_) => {}
                        None => violate(Rule::PriceDistanceTicks, format!("limit {limit} is too far to measure")),
                    }
                }
                Some(_) => violate(
                    Rule::LiveQuote,
                    format!("the limit price cannot be checked against the market: {}", staleness()),
                ),
                None => violate(
                    Rule::LiveQuote,
                    "the limit price cannot be checked against the market: there is no quote".to_string(),
                ),
            }
        }

        let window_start = now - TimeDelta::seconds(60);
        let in_window = recent.iter().filter(|r| r.at > window_start && r.at <= now).count();
        if in_window >= self.max_orders_per_minute as usize {
            violate(
                Rule::OrdersPerMinute,
                format!("{in_window} orders sent in the last minute; max {} a minute", self.max_orders_per_minute),
            );
        }

        let window =
            i64::try_from(self.duplicate_window_secs).ok().and_then(TimeDelta::try_seconds).unwrap_or(TimeDelta::MAX);
        let this = RecentOrder::of(intent, now);
        let twin =
            recent.iter().filter(|r| r.at <= now && now - r.at < window && r.same_order(&this)).max_by_key(|r| r.at);
        if let Some(twin) = twin {
            violate(
                Rule::Duplicate,
                format!(
                    "the same order ({}) was sent {} s ago (duplicate window {} s)",
                    this.describe(&intent.contract().symbol),
                    (now - twin.at).num_seconds(),
                    self.duplicate_window_secs
                ),
            );
        }
        out
    }

    /// Decides whether an order with these violations may go. `Ok` carries the violations the
    /// override word passed (to journal as overridden); empty when there were none.
    pub fn accept_overrides(&self, violations: &[Violation], typed: &str) -> Result<Vec<Violation>, Blocked> {
        if violations.is_empty() {
            return Ok(Vec::new());
        }
        let hard: Vec<Violation> = violations.iter().filter(|v| !v.overridable).cloned().collect();
        if !hard.is_empty() {
            return Err(Blocked::NotOverridable(hard));
        }
        let word = self.override_word.trim();
        if !word.is_empty() && typed.trim() == word {
            Ok(violations.to_vec())
        } else {
            Err(Blocked::OverrideWordRequired { word: word.to_string(), violations: violations.to_vec() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::testkit::{dec, market};
    use crate::orders::ticket::Ticket;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 15, 0, 0).unwrap()
    }

    fn intent(qty: &str, order_type: OrderType, limit: &str, stop: &str, m: &MarketContext) -> OrderIntent {
        let t = Ticket {
            quantity: qty.into(),
            order_type,
            limit_price: limit.into(),
            stop_price: stop.into(),
            ..Ticket::new("AAPL", OrderAction::Buy, "DU111111")
        };
        t.validate(m).unwrap()
    }

    fn bracket(qty: &str, tp: &str, sl: &str) -> crate::orders::GroupIntent {
        let t = Ticket {
            quantity: qty.into(),
            limit_price: "150.00".into(),
            take_profit: tp.into(),
            stop_loss: sl.into(),
            ..Ticket::new("AAPL", OrderAction::Buy, "DU111111")
        };
        t.validate_group(&market()).unwrap()
    }

    #[test]
    fn every_leg_is_checked_and_names_itself() {
        let m = market();
        let p = Precautions::default();
        assert_eq!(p.check_group(&bracket("100", "151", "149"), &m, &[], now()), vec![]);
        // 1500 shares: every leg is above max_quantity and says which it is.
        let v = p.check_group(&bracket("1500", "151", "149"), &m, &[], now());
        let quantity: Vec<&str> =
            v.iter().filter(|v| v.rule == Rule::MaxQuantity).map(|v| v.message.as_str()).collect();
        assert_eq!(
            quantity,
            vec![
                "entry: quantity 1500 is above the maximum of 1000 per order",
                "take profit: quantity 1500 is above the maximum of 1000 per order",
                "stop loss: quantity 1500 is above the maximum of 1000 per order",
            ]
        );
        // A target far from the market breaks the band on its own leg.
        let v = p.check_group(&bracket("10", "200", "149"), &m, &[], now());
        assert_eq!(rules(&v), vec![Rule::PriceDistancePct, Rule::PriceDistanceTicks]);
        assert!(v[0].message.starts_with("take profit: limit 200 is "), "{}", v[0].message);
    }

    #[test]
    fn the_rate_rule_counts_every_leg() {
        let m = market();
        let p = Precautions { max_orders_per_minute: 3, ..Precautions::default() };
        let g = bracket("10", "151", "149");
        assert_eq!(p.check_group(&g, &m, &[], now()), vec![], "three legs fit in three a minute");
        let one = RecentOrder { quantity: dec("1"), ..RecentOrder::of(g.entry(), now()) };
        let v = p.check_group(&g, &m, &[one], now());
        assert_eq!(rules(&v), vec![Rule::OrdersPerMinute]);
        assert!(!v[0].overridable);
        assert!(v[0].message.starts_with("stop loss: 3 orders sent in the last minute"), "{}", v[0].message);
    }

    #[test]
    fn stop_required_is_off_unless_configured() {
        let m = market();
        let g = bracket("10", "151", "");
        assert_eq!(Precautions::default().check_group(&g, &m, &[], now()), vec![]);
        assert!(!Precautions::default().active_rules().contains(&Rule::StopRequired));
        let p = Precautions { require_stop: true, ..Precautions::default() };
        let v = p.check_group(&g, &m, &[], now());
        assert_eq!(rules(&v), vec![Rule::StopRequired]);
        assert!(v[0].overridable);
        assert_eq!(p.check_group(&bracket("10", "", "149"), &m, &[], now()), vec![]);
        let single = crate::orders::GroupIntent::single(intent("10", OrderType::Limit, "150", "", &m));
        assert_eq!(rules(&p.check_group(&single, &m, &[], now())), vec![Rule::StopRequired]);
    }

    fn rules(v: &[Violation]) -> Vec<Rule> {
        v.iter().map(|v| v.rule).collect()
    }

    #[test]
    fn an_ordinary_order_passes_every_rule() {
        let m = market();
        let p = Precautions::default();
        assert_eq!(p.check(&intent("100", OrderType::Limit, "150.00", "", &m), &m, &[], now()), vec![]);
        assert_eq!(p.check(&intent("100", OrderType::Market, "", "", &m), &m, &[], now()), vec![]);
        assert_eq!(p.check(&intent("100", OrderType::Stop, "", "140", &m), &m, &[], now()), vec![]);
    }

    #[test]
    fn quantity_and_notional_limits_carry_the_numbers() {
        let m = market();
        let p = Precautions::default();
        let v = p.check(&intent("1001", OrderType::Limit, "150", "", &m), &m, &[], now());
        assert_eq!(
            v,
            vec![
                Violation {
                    rule: Rule::MaxQuantity,
                    message: "quantity 1001 is above the maximum of 1000 per order".into(),
                    overridable: true
                },
                Violation {
                    rule: Rule::MaxNotional,
                    message: "notional 150150 USD is above the maximum of 100000 USD per order".into(),
                    overridable: true
                },
            ]
        );
        // Exactly at the limits passes.
        let at = p.check(&intent("1000", OrderType::Limit, "100", "", &m), &m, &[], now());
        assert!(!rules(&at).contains(&Rule::MaxQuantity) && !rules(&at).contains(&Rule::MaxNotional), "{at:?}");
    }

    #[test]
    fn an_order_not_in_usd_is_flagged_for_notional() {
        let mut m = market();
        if let Some(c) = m.contract.as_mut() {
            c.currency = "EUR".into();
        }
        let v = Precautions::default().check(&intent("1", OrderType::Limit, "150", "", &m), &m, &[], now());
        assert_eq!(v[0].message, "the order is in EUR; the notional limit of 100000 is in USD");
    }

    #[test]
    fn a_limit_too_far_from_the_ask_breaks_both_bands() {
        let m = market();
        let v = Precautions::default().check(&intent("10", OrderType::Limit, "165.00", "", &m), &m, &[], now());
        assert_eq!(rules(&v), vec![Rule::PriceDistancePct, Rule::PriceDistanceTicks]);
        assert_eq!(v[0].message, "limit 165 is 9.99% from the market (ask 150.02); max 5%");
        assert_eq!(v[1].message, "limit 165 is 1498 ticks of 0.01 from the market (ask 150.02); max 500 ticks");
        // A sell is measured from the bid.
        let mut t = Ticket::new("AAPL", OrderAction::Sell, "DU111111");
        t.quantity = "10".into();
        t.limit_price = "140.00".into();
        let sell = t.validate(&m).unwrap();
        let v = Precautions::default().check(&sell, &m, &[], now());
        assert_eq!(v[0].message, "limit 140 is 6.65% from the market (bid 149.98); max 5%");
    }

    #[test]
    fn the_tick_band_can_fire_alone() {
        let m = market();
        let p = Precautions { max_price_distance_ticks: 100, ..Precautions::default() };
        let v = p.check(&intent("10", OrderType::Limit, "152.00", "", &m), &m, &[], now());
        assert_eq!(rules(&v), vec![Rule::PriceDistanceTicks]);
    }

    #[test]
    fn market_orders_need_a_fresh_live_quote() {
        let p = Precautions::default();
        let cases = [
            (MarketContext { quote_age: Some(Duration::from_secs(6)), ..market() }, "the quote is 6 s old (max 5 s)"),
            (MarketContext { quote_live: false, ..market() }, "the quote is not live (delayed or frozen)"),
            (MarketContext { quote_age: None, ..market() }, "there is no quote"),
        ];
        for (m, why) in cases {
            let v = p.check(&intent("10", OrderType::Market, "", "", &m), &m, &[], now());
            assert_eq!(
                v,
                vec![Violation {
                    rule: Rule::LiveQuote,
                    message: format!("a market order needs a live quote: {why}"),
                    overridable: true
                }]
            );
        }
        // Exactly at the age limit is still fresh.
        let m = MarketContext { quote_age: Some(Duration::from_secs(5)), ..market() };
        assert!(p.check(&intent("10", OrderType::Market, "", "", &m), &m, &[], now()).is_empty());
    }

    #[test]
    fn a_market_order_without_any_price_fails_closed_on_notional_too() {
        let m = MarketContext { bid: None, ask: None, last: None, quote_age: None, ..market() };
        let v = Precautions::default().check(&intent("10", OrderType::Market, "", "", &m), &m, &[], now());
        assert_eq!(rules(&v), vec![Rule::MaxNotional, Rule::LiveQuote]);
    }

    #[test]
    fn a_limit_price_against_a_stale_quote_cannot_be_banded() {
        let m = MarketContext { quote_live: false, ..market() };
        let v = Precautions::default().check(&intent("10", OrderType::Limit, "150", "", &m), &m, &[], now());
        assert_eq!(
            v,
            vec![Violation {
                rule: Rule::LiveQuote,
                message:
                    "the limit price cannot be checked against the market: the quote is not live (delayed or frozen)"
                        .into(),
                overridable: true
            }]
        );
    }

    #[test]
    fn the_rate_limit_counts_only_the_last_minute_and_is_not_overridable() {
        let m = market();
        let p = Precautions { max_orders_per_minute: 3, ..Precautions::default() };
        let i = intent("10", OrderType::Limit, "150", "", &m);
        // Other orders (a different quantity), so the duplicate rule stays out of it.
        let other = |secs_ago: i64| RecentOrder {
            quantity: dec("11"),
            ..RecentOrder::of(&i, now() - TimeDelta::seconds(secs_ago))
        };
        assert!(p.check(&i, &m, &[other(60), other(59), other(10)], now()).is_empty());
        let three = [other(59), other(10), other(0)];
        let v = p.check(&i, &m, &three, now());
        assert_eq!(
            v,
            vec![Violation {
                rule: Rule::OrdersPerMinute,
                message: "3 orders sent in the last minute; max 3 a minute".into(),
                overridable: false
            }]
        );
        assert!(matches!(p.accept_overrides(&v, "OVERRIDE"), Err(Blocked::NotOverridable(_))));
    }

    #[test]
    fn the_same_order_again_within_the_window_is_a_duplicate() {
        let m = market();
        let p = Precautions::default();
        let i = intent("100", OrderType::StopLimit, "151", "150", &m);
        let v = p.check(&i, &m, &[RecentOrder::of(&i, now() - TimeDelta::seconds(3))], now());
        assert_eq!(
            v,
            vec![Violation {
                rule: Rule::Duplicate,
                message: "the same order (BUY 100 AAPL stop 150 limit 151) was sent 3 s ago (duplicate window 10 s)"
                    .into(),
                overridable: true
            }]
        );
        // Absurd windows from the config do not panic.
        for secs in [u64::MAX, i64::MAX as u64] {
            let wide = Precautions { duplicate_window_secs: secs, ..Precautions::default() };
            assert_eq!(wide.check(&i, &m, &[RecentOrder::of(&i, now() - TimeDelta::days(3))], now()).len(), 1);
        }
        // Outside the window, or any field different: not a duplicate.
        assert!(p.check(&i, &m, &[RecentOrder::of(&i, now() - TimeDelta::seconds(10))], now()).is_empty());
        let base = RecentOrder::of(&i, now() - TimeDelta::seconds(1));
        let variants = [
            RecentOrder { con_id: 1, ..base.clone() },
            RecentOrder { action: OrderAction::Sell, ..base.clone() },
            RecentOrder { quantity: dec("101"), ..base.clone() },
            RecentOrder { limit_price: Some(dec("151.01")), ..base.clone() },
            RecentOrder { stop_price: None, ..base.clone() },
        ];
        for other in variants {
            assert!(p.check(&i, &m, std::slice::from_ref(&other), now()).is_empty(), "{other:?}");
        }
    }

    #[test]
    fn rules_switched_off_are_not_checked() {
        let m = market();
        let p = Precautions { off: vec![Rule::MaxQuantity, Rule::MaxNotional], ..Precautions::default() };
        assert!(p.check(&intent("5000", OrderType::Limit, "150", "", &m), &m, &[], now()).is_empty());
        assert_eq!(
            p.active_rules(),
            vec![
                Rule::PriceDistancePct,
                Rule::PriceDistanceTicks,
                Rule::OrdersPerMinute,
                Rule::LiveQuote,
                Rule::Duplicate
            ]
        );
    }

    #[test]
    fn overrides_need_the_exact_word_and_only_pass_overridable_rules() {
        let p = Precautions::default();
        let soft = Violation { rule: Rule::MaxQuantity, message: "q".into(), overridable: true };
        let hard = Violation { rule: Rule::OrdersPerMinute, message: "r".into(), overridable: false };
        assert_eq!(p.accept_overrides(&[], ""), Ok(vec![]));
        assert_eq!(p.accept_overrides(std::slice::from_ref(&soft), " OVERRIDE "), Ok(vec![soft.clone()]));
        let wrong = p.accept_overrides(std::slice::from_ref(&soft), "override").unwrap_err();
        assert_eq!(wrong.to_string(), "type OVERRIDE to override: max_quantity: q");
        let blocked = p.accept_overrides(&[soft.clone(), hard.clone()], "OVERRIDE").unwrap_err();
        assert_eq!(blocked, Blocked::NotOverridable(vec![hard]));
        assert_eq!(blocked.to_string(), "blocked: orders_per_minute: r");
        // An empty override word in the config never matches.
        let empty = Precautions { override_word: String::new(), ..Precautions::default() };
        assert!(empty.accept_overrides(std::slice::from_ref(&soft), "").is_err());
    }

    #[test]
    fn the_config_parses_with_defaults_and_refuses_unknown_keys() {
        let p: Precautions =
            toml::from_str("max_quantity = 50\nmax_price_distance_pct = 2.5\noff = [\"orders_per_minute\"]").unwrap();
        assert_eq!(p.max_quantity, dec("50"));
        assert_eq!(p.max_price_distance_pct, dec("2.5"));
        assert_eq!(p.off, vec![Rule::OrdersPerMinute]);
        assert_eq!(p.max_notional, dec("100000"));
        assert_eq!(p.override_word, "OVERRIDE");
        let err = toml::from_str::<Precautions>("max_qty = 5").unwrap_err();
        assert!(err.to_string().contains("unknown field `max_qty`"), "{err}");
        let err = toml::from_str::<Precautions>("off = [\"everything\"]").unwrap_err();
        assert!(err.to_string().contains("unknown variant `everything`"), "{err}");
    }

    #[test]
    fn validate_refuses_meaningless_limits() {
        assert_eq!(Precautions::default().validate(), Ok(()));
        let zero = Precautions { max_orders_per_minute: 0, ..Precautions::default() };
        assert_eq!(
            zero.validate(),
            Err("trading.precautions.max_orders_per_minute must be positive, got 0 (use `off` to disable a rule)"
                .into())
        );
        let blank = Precautions { override_word: "  ".into(), ..Precautions::default() };
        assert!(blank.validate().is_err());
    }
}
