//! Property tests: random ticket inputs never yield an [`OrderIntent`] that breaks an
//! invariant, and every rejection names a field and a reason.

use super::testkit::{aapl, dec, market, now};
use super::ticket::{
    ContractInfo, MarketContext, OrderAction, OrderIntent, OrderType, Ticket, TimeInForce, Trailing, GOOD_TILL_FORMAT,
    MAX_TICKET_NUMBER,
};
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::str::FromStr;

/// Mostly plausible text, sometimes anything at all.
fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (1i64..5000).prop_map(|n| n.to_string()),
        4 => (1i64..100_000).prop_map(|n| Decimal::new(n * 5, 2).to_string()),
        3 => Just(String::new()),
        2 => (-5000i64..500_000, 0u32..6).prop_map(|(n, scale)| Decimal::new(n, scale).to_string()),
        1 => (-50i64..1).prop_map(|n| n.to_string()),
        1 => prop::sample::select(vec![
            " 10 ", "1e3", ".5", "5.", "+3", "-0", "1_000", "1,5", "0x10",
            "99999999999999999999999999999",
            "1000000000000",
            "1000000000000.01",
            "999999999999.99",
            "7922816251426433759354395033.5", "0.0000000000000000000000000001",
        ]).prop_map(str::to_string),
        1 => "[0-9.,+ e-]{0,12}",
        1 => any::<String>(),
    ]
}

fn contract() -> impl Strategy<Value = Option<ContractInfo>> {
    let tick = prop::sample::select(vec!["0.01", "0.01", "0.05", "0.0001", "1", "0.25", "0", "-0.01", "0.00000000001"]);
    let multiplier = prop::sample::select(vec!["1", "1", "1", "100", "0"]);
    let symbol = prop::sample::select(vec!["AAPL", "AAPL", "AAPL", "MSFT"]);
    prop_oneof![
        1 => Just(None),
        6 => Just(Some(aapl())),
        3 => (tick, multiplier, symbol).prop_map(|(t, m, s)| Some(ContractInfo {
            min_tick: dec(t),
            multiplier: dec(m),
            symbol: s.to_string(),
            ..aapl()
        })),
    ]
}

fn context() -> impl Strategy<Value = MarketContext> {
    let accounts = prop_oneof![
        3 => Just(vec!["DU111111", "DU222222"]),
        1 => prop::sample::subsequence(vec!["DU111111", "DU222222", "U333333"], 0..=3),
    ];
    let price = prop::option::of((1i64..1_000_000).prop_map(|n| Decimal::new(n, 2)));
    (contract(), accounts, price.clone(), price.clone(), price).prop_map(|(contract, accounts, bid, ask, last)| {
        MarketContext {
            contract,
            managed_accounts: accounts.into_iter().map(str::to_string).collect(),
            bid,
            ask,
            last,
            ..market()
        }
    })
}

fn ticket() -> impl Strategy<Value = Ticket> {
    let symbol = prop_oneof![
        8 => Just("AAPL".to_string()),
        1 => Just(" aapl ".to_string()),
        1 => Just("MSFT".to_string()),
        1 => any::<String>(),
    ];
    let account = prop_oneof![
        8 => Just("DU111111".to_string()),
        1 => Just(" DU222222".to_string()),
        1 => Just("U333333".to_string()),
        1 => any::<String>(),
    ];
    let tif = prop::sample::select(TimeInForce::ALL.to_vec());
    let action = prop::sample::select(vec![OrderAction::Buy, OrderAction::Sell]);
    // Usually a price where the type needs one and none where it does not; sometimes anything.
    let typed_prices = prop::sample::select(OrderType::ALL.to_vec()).prop_flat_map(|order_type| {
        let price = |needed: bool| {
            prop_oneof![
                3 => if needed {
                    (1i64..100_000).prop_map(|n| Decimal::new(n * 5, 2).to_string()).boxed()
                } else {
                    Just(String::new()).boxed()
                },
                2 => number_text().boxed(),
            ]
        };
        let trail = prop_oneof![
            3 => price(order_type.needs_trail()).boxed(),
            1 => (-5i64..120).prop_map(|n| format!("{}%", Decimal::new(n, 1))).boxed(),
        ];
        (
            Just(order_type),
            price(order_type.needs_limit()),
            price(order_type.needs_stop()),
            trail,
            price(order_type.needs_limit_offset()),
        )
    });
    let tif = tif.prop_flat_map(|tif| {
        let good_till = prop_oneof![
            3 => if tif == TimeInForce::Gtd {
                (-48i64..240).prop_map(|h| (now() + chrono::Duration::hours(h)).format(GOOD_TILL_FORMAT).to_string()).boxed()
            } else {
                Just(String::new()).boxed()
            },
            1 => prop::sample::select(vec!["", "20261128 15:00:01", "2026-11-29 10:00", "20261129 10:00", "x"]).prop_map(str::to_string).boxed(),
        ];
        (Just(tif), good_till)
    });
    let quantity = prop_oneof![6 => (1i64..2000).prop_map(|n| n.to_string()), 3 => number_text()];
    (symbol, action, quantity, typed_prices, tif, any::<bool>(), account).prop_map(
        |(
            symbol,
            action,
            quantity,
            (order_type, limit_price, stop_price, trail, limit_offset),
            (tif, good_till),
            outside_rth,
            account,
        )| Ticket {
            symbol,
            action,
            quantity,
            order_type,
            limit_price,
            stop_price,
            trail,
            limit_offset,
            tif,
            good_till,
            outside_rth,
            account,
            ..Ticket::new("", OrderAction::Buy, "")
        },
    )
}

/// Every invariant a wire order relies on.
fn assert_sound(t: &Ticket, m: &MarketContext, intent: &OrderIntent) -> Result<(), TestCaseError> {
    let contract = m.contract.as_ref().ok_or_else(|| TestCaseError::fail("intent without a contract"))?;
    prop_assert_eq!(intent.contract(), contract);
    prop_assert!(contract.symbol.eq_ignore_ascii_case(t.symbol.trim()));
    prop_assert!(contract.min_tick > Decimal::ZERO && contract.multiplier > Decimal::ZERO);

    let q = intent.quantity();
    prop_assert!(q > Decimal::ZERO && q.fract().is_zero() && q <= MAX_TICKET_NUMBER, "quantity {}", q);
    prop_assert_eq!(Decimal::from_str(t.quantity.trim().trim_start_matches('+')).ok(), Some(q), "quantity changed");

    prop_assert_eq!(intent.order_type(), t.order_type);
    prop_assert_eq!(intent.limit_price().is_some(), t.order_type.needs_limit());
    prop_assert_eq!(intent.stop_price().is_some(), t.order_type.needs_stop());
    for (price, typed) in [(intent.limit_price(), &t.limit_price), (intent.stop_price(), &t.stop_price)] {
        if let Some(p) = price {
            prop_assert!(p > Decimal::ZERO);
            prop_assert!(p <= MAX_TICKET_NUMBER);
            // Independent of the validator's method: a whole number of ticks, exactly.
            let ticks = p / contract.min_tick;
            prop_assert!(
                ticks.fract().is_zero() && ticks * contract.min_tick == p,
                "{} off the {} tick",
                p,
                contract.min_tick
            );
            let typed = typed.trim().trim_start_matches('+');
            let typed = if typed.ends_with('.') { format!("{typed}0") } else { typed.to_string() };
            prop_assert_eq!(Decimal::from_str(&typed).ok(), Some(p), "price changed");
        }
    }
    prop_assert_eq!(intent.trailing().is_some(), t.order_type.needs_trail());
    prop_assert_eq!(intent.limit_offset().is_some(), t.order_type.needs_limit_offset());
    match intent.trailing() {
        Some(Trailing::Amount(a)) => {
            prop_assert!(a > Decimal::ZERO && (a / contract.min_tick).fract().is_zero(), "trail {} off the tick", a)
        }
        Some(Trailing::Percent(p)) => prop_assert!(p > Decimal::ZERO && p < Decimal::ONE_HUNDRED, "trail {}%", p),
        None => {}
    }
    if let Some(offset) = intent.limit_offset() {
        prop_assert!(offset > Decimal::ZERO && (offset / contract.min_tick).fract().is_zero());
    }
    prop_assert_eq!(intent.good_till().is_some(), t.tif == TimeInForce::Gtd);
    if let (Some(at), Some(now)) = (intent.good_till(), m.now) {
        prop_assert!(at > now, "good till {} not after {}", at, now);
    }
    prop_assert!(m.managed_accounts.iter().any(|a| a == intent.account()));
    prop_assert_eq!(intent.account(), t.account.trim());
    prop_assert_eq!(intent.tif(), t.tif);
    prop_assert_eq!(intent.outside_rth(), t.outside_rth);
    prop_assert_eq!(intent.action(), t.action);
    if let Some(n) = intent.notional() {
        prop_assert!(n > Decimal::ZERO);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_tickets_never_make_an_unsound_intent(t in ticket(), m in context()) {
        match t.validate(&m) {
            Ok(intent) => {
                assert_sound(&t, &m, &intent)?;
                prop_assert_eq!(t.preview_notional(&m), intent.notional());
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty(), "a rejection must give a reason");
                for e in &errors {
                    prop_assert!(!e.message.trim().is_empty());
                    prop_assert!(e.message.contains(e.field.label()), "{:?} does not name its field", e);
                }
            }
        }
    }

    /// Well-formed inputs: accepted exactly when the rules say so.
    #[test]
    fn well_formed_tickets_are_accepted_exactly_when_valid(
        qty in -3i64..3000,
        order_type in prop::sample::select(OrderType::ALL.to_vec()),
        limit_cents in prop::option::of(-100i64..100_000),
        stop_cents in prop::option::of(-100i64..100_000),
        trail_cents in prop::option::of(-10i64..500),
        offset_cents in prop::option::of(-10i64..500),
        tick in prop::sample::select(vec!["0.01", "0.05", "0.25"]),
        account in prop::sample::select(vec!["DU111111", "DU999999"]),
    ) {
        let mut m = market();
        if let Some(c) = m.contract.as_mut() {
            c.min_tick = dec(tick);
        }
        let text = |c: Option<i64>| c.map(|c| Decimal::new(c, 2).to_string()).unwrap_or_default();
        let t = Ticket {
            quantity: qty.to_string(),
            order_type,
            limit_price: text(limit_cents),
            stop_price: text(stop_cents),
            ..Ticket::new("AAPL", OrderAction::Buy, account)
        };
        let tick = dec(tick);
        let price_ok = |c: Option<i64>, needed: bool| match (c, needed) {
            (None, false) => true,
            (Some(c), true) => c > 0 && (Decimal::new(c, 2) % tick).is_zero(),
            _ => false,
        };
        let t = Ticket {
            trail: text(trail_cents),
            limit_offset: text(offset_cents),
            ..t
        };
        let expected = qty > 0
            && price_ok(trail_cents, order_type.needs_trail())
            && price_ok(offset_cents, order_type.needs_limit_offset())
            && price_ok(limit_cents, order_type.needs_limit())
            && price_ok(stop_cents, order_type.needs_stop())
            && account == "DU111111";
        let result = t.validate(&m);
        prop_assert_eq!(result.is_ok(), expected, "{:?}", result);
    }

    /// Random exits on random entries: whatever validates has its exits on the opposite side,
    /// with the entry's quantity, on the tick, on the right side of the entry, GTC; and every
    /// rejection names its field.
    #[test]
    fn random_brackets_never_put_an_exit_on_the_wrong_side(
        buy in any::<bool>(),
        entry_cents in 100i64..100_000,
        tp in prop_oneof![
            Just(String::new()),
            (1i64..500).prop_map(|n| format!("{n}t")),
            (1i64..300).prop_map(|n| format!("{}%", Decimal::new(n, 2))),
            (-100i64..200_000).prop_map(|c| Decimal::new(c, 2).to_string()),
            any::<String>(),
        ],
        sl in prop_oneof![
            Just(String::new()),
            (1i64..20_000).prop_map(|n| format!("{n} ticks")),
            (1i64..300).prop_map(|n| format!("{}%", Decimal::new(n, 1))),
            (-100i64..200_000).prop_map(|c| Decimal::new(c, 2).to_string()),
            any::<String>(),
        ],
        trail in any::<bool>(),
        tick in prop::sample::select(vec!["0.01", "0.05", "0.25"]),
    ) {
        let mut m = market();
        if let Some(c) = m.contract.as_mut() {
            c.min_tick = dec(tick);
        }
        let tick = dec(tick);
        let side = if buy { OrderAction::Buy } else { OrderAction::Sell };
        let entry = (Decimal::new(entry_cents, 2) / tick).floor() * tick;
        prop_assume!(entry > Decimal::ZERO);
        let t = Ticket {
            quantity: "10".into(),
            limit_price: entry.to_string(),
            take_profit: tp,
            stop_loss: sl,
            stop_kind: if trail { crate::orders::StopKind::Trail } else { crate::orders::StopKind::Stop },
            ..Ticket::new("AAPL", side, "DU111111")
        };
        match t.validate_group(&m) {
            Ok(g) => {
                let above = |p: Decimal| if buy { p > entry } else { p < entry };
                for (_, leg) in g.legs().into_iter().skip(1) {
                    prop_assert_ne!(leg.action(), side);
                    prop_assert_eq!(leg.quantity(), dec("10"));
                    prop_assert_eq!(leg.tif(), TimeInForce::Gtc);
                    prop_assert_eq!(leg.account(), "DU111111");
                }
                if let Some(tp) = g.take_profit() {
                    let p = tp.limit_price().expect("a take profit is a limit");
                    prop_assert!(above(p), "target {} on the wrong side of {}", p, entry);
                    prop_assert!((p / tick).fract().is_zero(), "target {} off the tick", p);
                }
                if let Some(sl) = g.stop_loss() {
                    match (sl.stop_price(), sl.trailing()) {
                        (Some(p), None) => {
                            prop_assert!(!above(p) && p != entry && p > Decimal::ZERO, "stop {} vs {}", p, entry);
                            prop_assert!((p / tick).fract().is_zero(), "stop {} off the tick", p);
                        }
                        (None, Some(Trailing::Amount(a))) => {
                            prop_assert!(a > Decimal::ZERO && (a / tick).fract().is_zero(), "trail {}", a)
                        }
                        (None, Some(Trailing::Percent(p))) => prop_assert!(p > Decimal::ZERO && p < Decimal::ONE_HUNDRED),
                        other => prop_assert!(false, "a stop loss without a stop: {:?}", other),
                    }
                    let loss = g.worst_case_loss().expect("a stop with an entry price has a worst case");
                    prop_assert!(loss > Decimal::ZERO);
                }
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for e in &errors {
                    prop_assert!(e.message.contains(e.field.label()), "{:?} does not name its field", e);
                }
            }
        }
    }
}
