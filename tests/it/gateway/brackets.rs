//! Brackets, staging and OCA groups through ibapi: `parentId` and `transmit`, children held
//! until the parent fills and sized by its fill, a parent's cancel taking its children along,
//! OCA types 1-3, and a child naming no known parent refused.

use std::collections::HashMap;

use ibapi::orders::{Action, OcaType, Order, OrderData, OrderStatusKind, OrderUpdate, TimeInForce};
use ibapi::prelude::*;
use robo_tui::gateway::{FaultSpec, GatewayConfig, GatewayHandle};

use super::orders::{order, place, Seen};
use super::{connect, start_with, within};

pub fn frozen() -> GatewayConfig {
    let mut c = GatewayConfig::embedded(0);
    c.speed = 0.0;
    c
}

/// One order as the client last heard of it.
#[derive(Debug, Clone, Default)]
pub struct Leg {
    pub status: Option<OrderStatusKind>,
    pub filled: f64,
    pub remaining: f64,
    pub why_held: String,
    pub parent_id: i32,
    pub open: Option<OrderData>,
    pub statuses: Vec<OrderStatusKind>,
    pub notices: Vec<i32>,
}

/// Everything `order_update_stream` says, per order id.
pub struct Watch {
    sub: Subscription<OrderUpdate>,
    pub legs: HashMap<i32, Leg>,
    pub execs: Vec<(i32, f64, f64)>,
}

impl Watch {
    pub async fn new(client: &Client) -> Self {
        let sub = within("order updates", client.order_update_stream()).await.expect("stream");
        Watch { sub, legs: HashMap::new(), execs: Vec::new() }
    }

    pub fn leg(&self, id: i32) -> Leg {
        self.legs.get(&id).cloned().unwrap_or_default()
    }

    pub fn status(&self, id: i32) -> Option<OrderStatusKind> {
        self.legs.get(&id).and_then(|l| l.status.clone())
    }

    pub fn filled_of(&self, id: i32) -> f64 {
        self.execs.iter().filter(|e| e.0 == id).map(|e| e.1).sum()
    }

    /// Reads updates until `done` holds (the global timeout bounds it).
    pub async fn until(&mut self, what: &str, done: impl Fn(&Self) -> bool) {
        while !done(self) {
            match within(what, self.sub.next()).await {
                Some(Ok(SubscriptionItem::Data(u))) => self.apply(u),
                Some(Ok(SubscriptionItem::Notice(n))) => {
                    self.legs.entry(n.request_id.unwrap_or(-1)).or_default().notices.push(n.code)
                }
                Some(Err(ibapi::Error::Notice(n))) => {
                    self.legs.entry(n.request_id.unwrap_or(-1)).or_default().notices.push(n.code)
                }
                other => panic!("{what}: order stream ended: {other:?}"),
            }
        }
    }

    fn apply(&mut self, u: OrderUpdate) {
        match u {
            OrderUpdate::OrderStatus(s) => {
                let leg = self.legs.entry(s.order_id).or_default();
                leg.status = Some(s.status.clone());
                leg.statuses.push(s.status);
                leg.filled = s.filled;
                leg.remaining = s.remaining;
                leg.why_held = s.why_held.clone();
                leg.parent_id = s.parent_id;
            }
            OrderUpdate::OpenOrder(d) => {
                let id = d.order_id;
                self.legs.entry(id).or_default().open = Some(d);
            }
            OrderUpdate::ExecutionData(e) => {
                self.execs.push((e.execution.order_id, e.execution.shares, e.execution.price))
            }
            _ => {}
        }
    }
}

/// A leg of a group: `parent_id` 0 for none.
pub fn leg(base: Order, parent_id: i32, transmit: bool) -> Order {
    Order { parent_id, transmit, ..base }
}

/// Sends `o` without a subscription (updates arrive on the watch).
pub async fn send(client: &Client, id: i32, symbol: &str, o: &Order) {
    let contract = Contract::stock(symbol).build();
    within("submit", client.submit_order(id, &contract, o)).await.expect("sent");
}

/// Waits until the gateway has handled everything `client` sent before (requests are handled
/// in order on one connection).
pub async fn barrier(client: &Client) {
    within("server time", client.server_time()).await.expect("server time");
}

/// Moves `symbol` by `ticks` through the `move` knob and waits until the gateway has done it.
pub async fn move_market(gw: &GatewayHandle, symbol: &str, ticks: i64) {
    let before = gw.quote(symbol).expect("quote");
    gw.control().move_market(symbol, ticks);
    for _ in 0..1000 {
        if gw.quote(symbol) != Some(before) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    panic!("the move of {symbol} by {ticks} never happened");
}

/// The price `cents` away from `base`, on the cent grid.
pub fn px(base: f64, cents: i64) -> f64 {
    ((base * 100.0).round() + cents as f64) / 100.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exits_wait_for_their_entry_even_when_crossed_and_go_with_its_cancel() {
    let gw = start_with(frozen()).await;
    let client = connect(&gw, 1).await;
    let mut w = Watch::new(&client).await;
    let (_, ask, _) = gw.quote("AAPL").expect("quote");
    let (p, tp, sl) = (client.next_order_id(), client.next_order_id(), client.next_order_id());
    let gtc = TimeInForce::GoodTillCanceled;
    send(&client, p, "AAPL", &leg(order(Action::Buy, 10.0, "LMT", Some(px(ask, -500)), None, gtc.clone()), 0, false))
        .await;
    send(&client, tp, "AAPL", &leg(order(Action::Sell, 10.0, "LMT", Some(px(ask, 50)), None, gtc.clone()), p, false))
        .await;
    send(&client, sl, "AAPL", &leg(order(Action::Sell, 10.0, "STP", None, Some(px(ask, -200)), gtc), p, true)).await;
    w.until("the bracket working", |w| {
        w.status(p) == Some(OrderStatusKind::Submitted)
            && w.status(tp) == Some(OrderStatusKind::PreSubmitted)
            && w.status(sl) == Some(OrderStatusKind::PreSubmitted)
    })
    .await;
    for id in [tp, sl] {
        let l = w.leg(id);
        assert_eq!((l.why_held.as_str(), l.parent_id), ("child", p), "{id}: {l:?}");
    }
    assert_eq!(w.leg(p).statuses.first(), Some(&OrderStatusKind::Inactive), "staged until the last leg");
    assert_eq!(w.leg(tp).statuses.first(), Some(&OrderStatusKind::Inactive));
    assert_eq!(w.leg(sl).statuses, vec![OrderStatusKind::PreSubmitted], "the last leg transmits at once");
    // The target's price is crossed (bid above it), then the stop's (last below it): neither
    // works before the entry has filled.
    move_market(&gw, "AAPL", 100).await;
    barrier(&client).await;
    move_market(&gw, "AAPL", -400).await;
    barrier(&client).await;
    assert!(gw.executions().is_empty(), "an exit filled before its entry: {:?}", gw.executions());
    // Cancelling the parent cancels both children.
    // Dropped at once, so the statuses come to the watch.
    drop(within("cancel", client.cancel_order(p, "")).await.expect("cancel sent"));
    w.until("all cancelled", |w| [p, tp, sl].iter().all(|id| w.status(*id) == Some(OrderStatusKind::Cancelled))).await;
    assert!(gw.executions().is_empty());
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_fill_activates_both_exits_and_the_targets_fill_cancels_the_stop() {
    let gw = start_with(frozen()).await;
    let client = connect(&gw, 1).await;
    let mut w = Watch::new(&client).await;
    let (_, ask, _) = gw.quote("AAPL").expect("quote");
    let (p, tp, sl) = (client.next_order_id(), client.next_order_id(), client.next_order_id());
    let day = TimeInForce::Day;
    // A marketable entry: it fills as the last leg transmits the group.
    send(&client, p, "AAPL", &leg(order(Action::Buy, 10.0, "LMT", Some(px(ask, 50)), None, day.clone()), 0, false))
        .await;
    send(&client, tp, "AAPL", &leg(order(Action::Sell, 10.0, "LMT", Some(px(ask, 100)), None, day.clone()), p, false))
        .await;
    send(&client, sl, "AAPL", &leg(order(Action::Sell, 10.0, "STP", None, Some(px(ask, -100)), day), p, true)).await;
    w.until("entry filled, exits working", |w| {
        w.status(p) == Some(OrderStatusKind::Filled)
            && w.status(tp) == Some(OrderStatusKind::Submitted)
            && w.leg(sl).why_held.is_empty()
            && w.leg(sl).open.as_ref().is_some_and(|o| o.order_state.status == OrderStatusKind::PreSubmitted)
    })
    .await;
    assert_eq!(w.filled_of(p), 10.0);
    // The stop works untriggered (PreSubmitted, nothing held), the target rests.
    assert_eq!(w.status(sl), Some(OrderStatusKind::PreSubmitted));
    assert!(w.leg(tp).statuses.contains(&OrderStatusKind::PreSubmitted), "held before the fill: {:?}", w.leg(tp));
    // The market rises through the target: it fills and the stop is cancelled (OCA).
    move_market(&gw, "AAPL", 200).await;
    w.until("target filled, stop cancelled", |w| {
        w.status(tp) == Some(OrderStatusKind::Filled) && w.status(sl) == Some(OrderStatusKind::Cancelled)
    })
    .await;
    assert_eq!(w.filled_of(tp), 10.0);
    assert_eq!(w.filled_of(sl), 0.0);
    w.until("the stop's 202", |w| w.leg(sl).notices.contains(&202)).await;
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staged_group_without_its_final_transmit_stays_inactive() {
    let gw = start_with(frozen()).await;
    let client = connect(&gw, 1).await;
    let mut w = Watch::new(&client).await;
    let (_, ask, _) = gw.quote("MSFT").expect("quote");
    let (p, tp) = (client.next_order_id(), client.next_order_id());
    let day = TimeInForce::Day;
    // Marketable at once, were it transmitted.
    send(&client, p, "MSFT", &leg(order(Action::Buy, 5.0, "LMT", Some(px(ask, 100)), None, day.clone()), 0, false))
        .await;
    send(&client, tp, "MSFT", &leg(order(Action::Sell, 5.0, "LMT", Some(px(ask, -100)), None, day), p, false)).await;
    w.until("both inactive", |w| {
        w.status(p) == Some(OrderStatusKind::Inactive) && w.status(tp) == Some(OrderStatusKind::Inactive)
    })
    .await;
    move_market(&gw, "MSFT", -50).await;
    move_market(&gw, "MSFT", 100).await;
    barrier(&client).await;
    assert!(gw.executions().is_empty(), "a staged order worked");
    assert!(w.leg(p).open.as_ref().is_some_and(|o| !o.order.transmit), "OpenOrder says not transmitted");
    // The open orders list both, still inactive.
    drop(w);
    let mut open = within("open", client.open_orders()).await.expect("open orders");
    let mut rows = Vec::new();
    while let Some(item) = within("open order", open.next()).await {
        if let Ok(SubscriptionItem::Data(Orders::OrderData(d))) = item {
            rows.push((d.order_id, d.order_state.status));
        }
    }
    rows.sort_by_key(|r| r.0);
    assert_eq!(rows, vec![(p, OrderStatusKind::Inactive), (tp, OrderStatusKind::Inactive)]);
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_entry_fill_sizes_the_exits_by_it() {
    let mut config = frozen();
    config.faults =
        FaultSpec { commands: vec![robo_tui::gateway::faults::FaultCommand::PartialFills(true)], ..Default::default() };
    let gw = start_with(config).await;
    let client = connect(&gw, 1).await;
    let mut w = Watch::new(&client).await;
    let (_, ask, _) = gw.quote("F").expect("quote");
    let (p, tp, sl) = (client.next_order_id(), client.next_order_id(), client.next_order_id());
    let day = TimeInForce::Day;
    // 5,000 shares against at most 1,000 shown at the ask: the entry fills in part.
    send(&client, p, "F", &leg(order(Action::Buy, 5000.0, "LMT", Some(px(ask, 1)), None, day.clone()), 0, false)).await;
    send(&client, tp, "F", &leg(order(Action::Sell, 5000.0, "LMT", Some(px(ask, 30)), None, day.clone()), p, false))
        .await;
    send(&client, sl, "F", &leg(order(Action::Sell, 5000.0, "STP", None, Some(px(ask, -300)), day), p, true)).await;
    w.until("a partial entry fill", |w| w.filled_of(p) > 0.0 && w.status(tp) == Some(OrderStatusKind::Submitted)).await;
    let entry = w.filled_of(p);
    assert!(entry < 5000.0, "partial: {entry}");
    // The market leaves the entry's limit behind and crosses the target: the target sells what
    // the entry bought, no more, however many passes the market makes.
    move_market(&gw, "F", 40).await;
    for _ in 0..12 {
        move_market(&gw, "F", 1).await;
    }
    barrier(&client).await;
    w.until("target filled up to the entry", |w| w.filled_of(tp) == entry).await;
    assert_eq!(w.filled_of(p), entry, "the entry did not fill further");
    // The stop is reduced by the target's fill (OCA reduce) and has nothing left to protect.
    w.until("stop reduced", |w| w.leg(sl).open.as_ref().is_some_and(|o| o.order.total_quantity == 5000.0 - entry))
        .await;
    assert!(matches!(w.status(sl), Some(OrderStatusKind::PreSubmitted)), "{:?}", w.leg(sl));
    let sold: f64 = w.execs.iter().filter(|e| e.0 != p).map(|e| e.1).sum();
    assert_eq!(sold, entry, "exits never sell more than the entry bought");
    gw.shutdown().await;
}

/// Two sell limits in one OCA group of `ty`, both crossed by one move. (filled of a, of b).
async fn oca_pair(ty: OcaType, qty_a: f64, qty_b: f64, b_far: bool) -> (f64, f64, Watch, i32, i32) {
    let gw = start_with(frozen()).await;
    let client = connect(&gw, 1).await;
    let mut w = Watch::new(&client).await;
    let (bid, _, _) = gw.quote("AAPL").expect("quote");
    let (a, b) = (client.next_order_id(), client.next_order_id());
    let mut oa = order(Action::Sell, qty_a, "LMT", Some(px(bid, 10)), None, TimeInForce::Day);
    let mut ob =
        order(Action::Sell, qty_b, "LMT", Some(px(bid, if b_far { 1000 } else { 10 })), None, TimeInForce::Day);
    for o in [&mut oa, &mut ob] {
        o.oca_group = format!("grp-{ty:?}");
        o.oca_type = ty;
    }
    send(&client, a, "AAPL", &oa).await;
    send(&client, b, "AAPL", &ob).await;
    w.until("both working", |w| {
        w.status(a) == Some(OrderStatusKind::Submitted) && w.status(b) == Some(OrderStatusKind::Submitted)
    })
    .await;
    move_market(&gw, "AAPL", 50).await;
    w.until("a filled", |w| w.status(a) == Some(OrderStatusKind::Filled)).await;
    barrier(&client).await;
    let execs = gw.executions();
    let of = |id: i32| {
        execs.iter().filter(|e| e.order_id == id).map(|e| e.shares.to_string().parse::<f64>().unwrap_or(0.0)).sum()
    };
    let r = (of(a), of(b));
    gw.shutdown().await;
    (r.0, r.1, w, a, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oca_type_1_cancels_the_others_on_a_fill() {
    let (a, b, mut w, _, id_b) = oca_pair(OcaType::CancelWithBlock, 10.0, 10.0, true).await;
    assert_eq!((a, b), (10.0, 0.0));
    w.until("b cancelled", |w| w.status(id_b) == Some(OrderStatusKind::Cancelled)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oca_type_2_reduces_the_others_with_block() {
    // b far away: reduced by a's 4, still working for 6.
    let (a, b, mut w, _, id_b) = oca_pair(OcaType::ReduceWithBlock, 4.0, 10.0, true).await;
    assert_eq!((a, b), (4.0, 0.0));
    w.until("b reduced", |w| w.leg(id_b).open.as_ref().is_some_and(|o| o.order.total_quantity == 6.0)).await;
    assert_eq!(w.status(id_b), Some(OrderStatusKind::Submitted));
    // Both crossed by one move: with block, b is reduced before it can fill, the group never
    // sells more than its largest member.
    let (a, b, _, _, _) = oca_pair(OcaType::ReduceWithBlock, 4.0, 10.0, false).await;
    assert_eq!((a, b), (4.0, 6.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oca_type_3_reduces_without_block_so_one_move_can_overfill() {
    let (a, b, _, _, _) = oca_pair(OcaType::ReduceWithoutBlock, 4.0, 10.0, false).await;
    assert_eq!((a, b), (4.0, 10.0), "without block both fill on the same move");
    let (a, b, mut w, _, id_b) = oca_pair(OcaType::ReduceWithoutBlock, 4.0, 10.0, true).await;
    assert_eq!((a, b), (4.0, 0.0));
    w.until("b reduced", |w| w.leg(id_b).open.as_ref().is_some_and(|o| o.order.total_quantity == 6.0)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_of_an_unknown_parent_is_refused_with_10006() {
    let gw = start_with(frozen()).await;
    let client = connect(&gw, 1).await;
    let id = client.next_order_id();
    let child = leg(order(Action::Sell, 10.0, "LMT", Some(500.0), None, TimeInForce::Day), id + 1000, true);
    let seen = place(&client, id, "AAPL", &child).await;
    assert_eq!(seen, vec![Seen::Error(10006)]);
    barrier(&client).await;
    let mut open = within("open", client.open_orders()).await.expect("open orders");
    assert!(
        !matches!(within("end", open.next()).await, Some(Ok(SubscriptionItem::Data(Orders::OrderData(_))))),
        "nothing was placed"
    );
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_a_working_stop_keeps_it_in_its_bracket() {
    let gw = start_with(frozen()).await;
    let client = connect(&gw, 1).await;
    let mut w = Watch::new(&client).await;
    let (_, ask, _) = gw.quote("AAPL").expect("quote");
    let (p, tp, sl) = (client.next_order_id(), client.next_order_id(), client.next_order_id());
    let gtc = TimeInForce::GoodTillCanceled;
    let stop = |price: f64| leg(order(Action::Sell, 10.0, "STP", None, Some(price), gtc.clone()), p, true);
    send(&client, p, "AAPL", &leg(order(Action::Buy, 10.0, "LMT", Some(px(ask, 50)), None, gtc.clone()), 0, false))
        .await;
    send(&client, tp, "AAPL", &leg(order(Action::Sell, 10.0, "LMT", Some(px(ask, 100)), None, gtc.clone()), p, false))
        .await;
    send(&client, sl, "AAPL", &stop(px(ask, -300))).await;
    w.until("exits working", |w| w.status(tp) == Some(OrderStatusKind::Submitted)).await;
    // The everyday modify: the same id, the stop moved up.
    send(&client, sl, "AAPL", &stop(px(ask, -100))).await;
    w.until("stop moved", |w| w.leg(sl).open.as_ref().is_some_and(|o| o.order.aux_price == Some(px(ask, -100)))).await;
    let open = w.leg(sl).open.expect("open");
    assert_eq!((open.order.parent_id, open.order_state.status), (p, OrderStatusKind::PreSubmitted));
    // Still one OCA group with the target: the target's fill cancels the moved stop.
    move_market(&gw, "AAPL", 200).await;
    w.until("target filled, stop cancelled", |w| {
        w.status(tp) == Some(OrderStatusKind::Filled) && w.status(sl) == Some(OrderStatusKind::Cancelled)
    })
    .await;
    gw.shutdown().await;
}
