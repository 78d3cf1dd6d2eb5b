//! Property tests of the matching engine and the account model.

use std::collections::HashMap;

use proptest::prelude::*;
use robo_tui::gateway::account::{commission, Account};
use robo_tui::gateway::engine::Engine;
use robo_tui::gateway::universe::{AccountBook, Universe};
use robo_tui::gateway::wire::messages as m;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

#[derive(Debug, Clone)]
enum Op {
    Place { inst: usize, buy: bool, qty: u32, kind: u8, offset: i32, tif: u8, second_account: bool },
    Step(u8),
    Cancel(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0usize..36, any::<bool>(), 1u32..400, 0u8..4, -30i32..30, 0u8..3, any::<bool>()).prop_map(
            |(inst, buy, qty, kind, offset, tif, second_account)| Op::Place { inst, buy, qty, kind, offset, tif, second_account }
        ),
        2 => (1u8..40).prop_map(Op::Step),
        1 => (0usize..64).prop_map(Op::Cancel),
    ]
}

const ACCOUNTS: [&str; 2] = ["DU1234567", "DU7654321"];

fn engine(seed: u64) -> Engine {
    let universe = Universe::embedded().expect("universe");
    let book = AccountBook::embedded().expect("accounts");
    let ids: Vec<String> = ACCOUNTS.iter().map(|s| s.to_string()).collect();
    Engine::new(universe, &book, &ids, seed, 1_795_876_200_000, None, None).expect("engine")
}

fn cents(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// Runs `ops`; returns the engine and the ids placed.
fn run(seed: u64, ops: &[Op], partial: bool) -> (Engine, Vec<i32>) {
    let mut e = engine(seed);
    e.partial_fills = partial;
    let mut ids = Vec::new();
    let mut next_id = 1;
    for op in ops {
        match op {
            Op::Place { inst, buy, qty, kind, offset, tif, second_account } => {
                let Some(i) = e.universe.get(*inst % e.universe.len()).cloned() else {
                    continue;
                };
                let idx = e.universe.index_of_con_id(i.con_id).expect("index");
                let q = e.market.quote(idx).expect("quote").clone();
                let tick = Decimal::new(1, 2);
                let around = |base: Decimal| cents((base + tick * Decimal::from(*offset)).max(tick));
                let (ty, lmt, aux) = match kind {
                    0 => ("MKT", None, None),
                    1 => ("LMT", Some(around(q.mid().round_dp(2))), None),
                    2 => ("STP", None, Some(around(q.last))),
                    _ => ("STP LMT", Some(around(q.last)), Some(around(q.last))),
                };
                let order = m::Order {
                    action: Some(if *buy { "BUY" } else { "SELL" }.into()),
                    total_quantity: Some(qty.to_string()),
                    order_type: Some(ty.into()),
                    lmt_price: lmt,
                    aux_price: aux,
                    tif: Some(["DAY", "GTC", "IOC"][*tif as usize].into()),
                    account: Some(ACCOUNTS[usize::from(*second_account)].into()),
                    transmit: Some(true),
                    ..Default::default()
                };
                let req = m::PlaceOrderRequest {
                    order_id: Some(next_id),
                    contract: Some(m::Contract {
                        symbol: Some(i.symbol.clone()),
                        sec_type: Some("STK".into()),
                        currency: Some("USD".into()),
                        ..Default::default()
                    }),
                    order: Some(order),
                };
                e.place_order(1, req);
                ids.push(next_id);
                next_id += 1;
            }
            Op::Step(n) => {
                for _ in 0..*n {
                    e.step_market();
                }
            }
            Op::Cancel(k) => {
                if !ids.is_empty() {
                    let id = ids[k % ids.len()];
                    e.cancel_order(1, id);
                }
            }
        }
    }
    (e, ids)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn fills_positions_cash_and_net_liquidation_stay_consistent(
        seed in 0u64..1000,
        ops in proptest::collection::vec(op(), 1..60),
        partial in any::<bool>(),
    ) {
        let start = engine(seed);
        let (e, _) = run(seed, &ops, partial);
        // No order fills beyond its quantity; executions add up to what each order reports.
        let mut exec_by_order: HashMap<i32, (Decimal, Decimal, usize)> = HashMap::new();
        for x in e.executions() {
            let entry = exec_by_order.entry(x.order_id).or_default();
            entry.0 += x.shares;
            entry.1 += x.commission;
            entry.2 += 1;
            if !partial {
                prop_assert_eq!(x.commission, commission(x.shares, x.price));
            }
            prop_assert!(x.price > Decimal::ZERO);
            prop_assert!(x.commission >= Decimal::ZERO);
        }
        for o in e.orders() {
            prop_assert!(o.filled <= o.quantity, "order {} filled {} of {}", o.order_id, o.filled, o.quantity);
            let (shares, fees, count) = exec_by_order.get(&o.order_id).copied().unwrap_or_default();
            prop_assert_eq!(shares, o.filled);
            prop_assert_eq!(fees, o.commission_paid);
            if !partial {
                prop_assert!(count <= 1, "without partial fills an order executes once");
            }
            // The schedule applies to the order as a whole: however many executions, the
            // order never pays more than USD 0.005 a share or the USD 1.00 minimum.
            let cap = (Decimal::new(5, 3) * o.filled).max(Decimal::ONE);
            prop_assert!(fees <= cap, "order {} paid {} for {} shares", o.order_id, fees, o.filled);
        }
        for acct in ACCOUNTS {
            let before = start.account(acct).expect("account");
            let after = e.account(acct).expect("account");
            // Positions equal the starting positions plus the sum of fills.
            let mut expected: HashMap<i32, Decimal> = before.positions.iter().map(|(c, h)| (*c, h.quantity)).collect();
            let mut cash = before.cash;
            for x in e.executions().iter().filter(|x| x.account == acct) {
                let signed = if x.side.exec_side() == "BOT" { x.shares } else { -x.shares };
                *expected.entry(x.con_id).or_default() += signed;
                cash -= signed * x.price + x.commission;
            }
            for (con_id, qty) in &expected {
                prop_assert_eq!(after.quantity(*con_id), *qty, "position in {} of {}", con_id, acct);
            }
            // Cash moves only by trades and their commissions.
            prop_assert_eq!(after.cash, cash);
            // Net liquidation is cash plus the market value of positions.
            let mt = e.metrics(after);
            let value: Decimal = after.positions.iter().map(|(c, h)| h.quantity * e.mark_con_id(*c)).sum();
            prop_assert_eq!(mt.net_liquidation, after.cash + value);
            // It moved only by price changes and commissions: replay the moves.
            let start_value: Decimal = before.positions.iter().map(|(c, h)| h.quantity * e.mark_con_id(*c)).sum();
            let fills_value: Decimal = e
                .executions()
                .iter()
                .filter(|x| x.account == acct)
                .map(|x| {
                    let signed = if x.side.exec_side() == "BOT" { x.shares } else { -x.shares };
                    signed * (e.mark_con_id(x.con_id) - x.price) - x.commission
                })
                .sum();
            prop_assert_eq!(mt.net_liquidation, before.cash + start_value + fills_value);
        }
    }

    #[test]
    fn same_seed_same_run(seed in 0u64..1000, ops in proptest::collection::vec(op(), 1..40)) {
        let (a, _) = run(seed, &ops, true);
        let (b, _) = run(seed, &ops, true);
        let key = |e: &Engine| e.executions().iter().map(|x| (x.order_id, x.con_id, x.shares, x.price, x.commission)).collect::<Vec<_>>();
        prop_assert_eq!(key(&a), key(&b));
        for i in 0..a.market.len() {
            prop_assert_eq!(a.market.quote(i), b.market.quote(i));
        }
    }

    #[test]
    fn account_pnl_identity(fills in proptest::collection::vec((any::<bool>(), 1u32..500, 100i64..20_000), 1..40), mark in 100i64..20_000) {
        let mut a = Account::new("DU1", "INDIVIDUAL", Decimal::from(1_000_000), &[]);
        for (buy, qty, px) in &fills {
            let qty = Decimal::from(*qty);
            let px = Decimal::new(*px, 2);
            let signed = if *buy { qty } else { -qty };
            a.apply_fill(7, signed, px, commission(qty, px));
        }
        let mark = Decimal::new(mark, 2);
        let mt = a.metrics(&|_| mark);
        // Total P&L (realized + unrealized) equals the change in net liquidation.
        let total = mt.realized_pnl + mt.unrealized_pnl;
        let change = mt.net_liquidation - Decimal::from(1_000_000);
        prop_assert!((total - change).abs() < Decimal::new(1, 6), "total {} change {}", total, change);
        prop_assert_eq!(mt.daily_pnl, change);
        prop_assert!(mt.buying_power >= Decimal::ZERO);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Arbitrary order fields (any strings, any doubles) never panic the engine, and a
    /// rejected ticket changes nothing.
    #[test]
    fn arbitrary_tickets_are_rejected_or_accepted_never_panic(
        action in prop_oneof![Just("BUY".to_string()), Just("SELL".to_string()), ".{0,6}"],
        qty in prop_oneof![Just("100".to_string()), "[0-9eE.+-]{0,32}", ".{0,8}"],
        ty in prop_oneof![Just("MKT".to_string()), Just("LMT".to_string()), Just("STP LMT".to_string()), ".{0,8}"],
        lmt in proptest::option::of(any::<f64>()),
        aux in proptest::option::of(any::<f64>()),
        tif in prop_oneof![Just("DAY".to_string()), Just("IOC".to_string()), ".{0,4}"],
        symbol in prop_oneof![Just("AAPL".to_string()), "[A-Z]{0,5}"],
        con_id in proptest::option::of(any::<i32>()),
        order_id in any::<i32>(),
    ) {
        let mut e = engine(1);
        let before: Vec<_> = ACCOUNTS.iter().map(|a| e.account(a).cloned()).collect();
        let req = m::PlaceOrderRequest {
            order_id: Some(order_id),
            contract: Some(m::Contract { con_id, symbol: Some(symbol), ..Default::default() }),
            order: Some(m::Order {
                action: Some(action),
                total_quantity: Some(qty),
                order_type: Some(ty),
                lmt_price: lmt,
                aux_price: aux,
                tif: Some(tif),
                ..Default::default()
            }),
        };
        e.place_order(1, req);
        for _ in 0..3 {
            e.step_market();
        }
        if e.orders().count() == 0 {
            let after: Vec<_> = ACCOUNTS.iter().map(|a| e.account(a).cloned()).collect();
            prop_assert_eq!(before, after, "a rejected ticket changed an account");
        }
        for o in e.orders() {
            prop_assert!(o.filled <= o.quantity);
        }
    }
}

// ----- brackets ----------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Path {
    Step(u8),
    Shift(i16),
    CancelEntry,
    CancelTarget,
}

fn path() -> impl Strategy<Value = Path> {
    prop_oneof![
        4 => (1u8..30).prop_map(Path::Step),
        4 => (-120i16..120).prop_map(Path::Shift),
        1 => Just(Path::CancelEntry),
        1 => Just(Path::CancelTarget),
    ]
}

#[derive(Debug, Clone)]
struct Bracket {
    inst: usize,
    buy: bool,
    qty: u32,
    /// Entry: MKT (None) or LMT this many ticks from the mid (positive = more marketable).
    entry: Option<i32>,
    target_ticks: u32,
    stop_ticks: u32,
    /// The stop as a TRAIL of that many ticks instead of a STP.
    trail: bool,
    /// A named OCA group of this type for the exits (0 = the bracket's own).
    oca: u8,
}

fn bracket() -> impl Strategy<Value = Bracket> {
    (0usize..36, any::<bool>(), 1u32..3000, proptest::option::of(-40i32..40), 1u32..80, 1u32..80, any::<bool>(), 0u8..4)
        .prop_map(|(inst, buy, qty, entry, target_ticks, stop_ticks, trail, oca)| Bracket {
            inst,
            buy,
            qty,
            entry,
            target_ticks,
            stop_ticks,
            trail,
            oca,
        })
}

fn request(id: i32, symbol: &str, o: m::Order) -> m::PlaceOrderRequest {
    m::PlaceOrderRequest {
        order_id: Some(id),
        contract: Some(m::Contract {
            symbol: Some(symbol.into()),
            sec_type: Some("STK".into()),
            currency: Some("USD".into()),
            ..Default::default()
        }),
        order: Some(o),
    }
}

/// Places `b` as three legs (entry, target, stop; the stop transmits) with ids 1, 2, 3.
fn place_bracket(e: &mut Engine, b: &Bracket) {
    let Some(i) = e.universe.get(b.inst % e.universe.len()).cloned() else { return };
    let idx = e.universe.index_of_con_id(i.con_id).expect("index");
    let q = e.market.quote(idx).expect("quote").clone();
    let tick = i.min_tick;
    let at = |base: Decimal, ticks: i64| cents((base + tick * Decimal::from(ticks)).max(tick));
    let (entry_side, exit_side, dir) = if b.buy { ("BUY", "SELL", 1i64) } else { ("SELL", "BUY", -1i64) };
    let entry = m::Order {
        action: Some(entry_side.into()),
        total_quantity: Some(b.qty.to_string()),
        order_type: Some(if b.entry.is_some() { "LMT" } else { "MKT" }.into()),
        lmt_price: b.entry.map(|t| at(q.mid().round_dp(2), dir * i64::from(t))),
        tif: Some("GTC".into()),
        transmit: None,
        ..Default::default()
    };
    let reference = q.mid().round_dp(2);
    let exit = |ty: &str| m::Order {
        action: Some(exit_side.into()),
        total_quantity: Some(b.qty.to_string()),
        order_type: Some(ty.into()),
        tif: Some("GTC".into()),
        parent_id: Some(1),
        oca_group: (b.oca > 0).then(|| "exits".to_string()),
        oca_type: (b.oca > 0).then_some(i32::from(b.oca)),
        ..Default::default()
    };
    let target = m::Order { lmt_price: Some(at(reference, dir * i64::from(b.target_ticks))), ..exit("LMT") };
    let stop = if b.trail {
        m::Order { aux_price: Some(cents(tick * Decimal::from(b.stop_ticks))), transmit: Some(true), ..exit("TRAIL") }
    } else {
        m::Order { aux_price: Some(at(reference, -dir * i64::from(b.stop_ticks))), transmit: Some(true), ..exit("STP") }
    };
    e.place_order(1, request(1, &i.symbol, entry));
    e.place_order(1, request(2, &i.symbol, target));
    e.place_order(1, request(3, &i.symbol, stop));
}

/// The bracket invariants: an exit never works or fills while its entry has none; the exits
/// never close more than the entry opened; once the entry has a fill the stop is working,
/// filled, or cancelled because the target filled (or the whole group went unfilled).
fn check_bracket(e: &Engine) -> Result<(), TestCaseError> {
    let get = |id: i32| e.orders().find(|o| o.order_id == id).cloned();
    let (Some(entry), Some(target), Some(stop)) = (get(1), get(2), get(3)) else {
        // Refused (e.g. margin): nothing of the group may work then.
        prop_assert!(e.orders().all(|o| !o.status.is_working() || o.parent_id == 0));
        return Ok(());
    };
    for exit in [&target, &stop] {
        if entry.filled.is_zero() {
            prop_assert!(exit.filled.is_zero(), "exit {} filled before its entry", exit.order_id);
            prop_assert!(
                !exit.status.is_working() || exit.held,
                "exit {} works ({:?}, held {}) before its entry filled",
                exit.order_id,
                exit.status,
                exit.held
            );
        }
    }
    prop_assert!(target.filled + stop.filled <= entry.filled, "exits closed more than the entry opened");
    if !entry.filled.is_zero() {
        let stop_ok = (stop.status.is_working() && !stop.held)
            || !stop.filled.is_zero()
            || (stop.completed_status.as_deref() == Some("Cancelled by OCA") && !target.filled.is_zero());
        prop_assert!(
            stop_ok,
            "entry filled {} but the stop is {:?} ({:?}), target filled {}",
            entry.filled,
            stop.status,
            stop.completed_status,
            target.filled
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn a_brackets_exits_never_work_ahead_of_its_entry_and_its_stop_protects_every_fill(
        seed in 0u64..1000,
        b in bracket(),
        paths in proptest::collection::vec(path(), 1..40),
        partial in any::<bool>(),
    ) {
        let mut e = engine(seed);
        e.partial_fills = partial;
        place_bracket(&mut e, &b);
        check_bracket(&e)?;
        let symbol = e.universe.get(b.inst % e.universe.len()).map(|i| i.symbol.clone()).unwrap_or_default();
        for p in &paths {
            match p {
                Path::Step(n) => {
                    for _ in 0..*n {
                        e.step_market();
                    }
                }
                Path::Shift(t) => {
                    e.shift_market(&symbol, i64::from(*t));
                }
                Path::CancelEntry => {
                    e.cancel_order(1, 1);
                }
                Path::CancelTarget => {
                    e.cancel_order(1, 2);
                }
            }
            check_bracket(&e)?;
        }
    }
}
