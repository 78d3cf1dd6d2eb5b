//! Trailing stops through ibapi: TRAIL by amount and by percent, TRAIL LIMIT with a limit
//! offset, driven by the `move` knob. The stop follows the last price in the favourable
//! direction only and is reported in OpenOrder's `trailStopPrice`.

use ibapi::orders::{Action, Order, OrderStatusKind, TimeInForce};

use super::brackets::{barrier, frozen, move_market, px, send, Watch};
use super::orders::order;
use super::{connect, start_with};

fn trail(action: Action, qty: f64, amount: Option<f64>, percent: Option<f64>) -> Order {
    Order { trailing_percent: percent, ..order(action, qty, "TRAIL", None, amount, TimeInForce::GoodTillCanceled) }
}

fn stop_of(w: &Watch, id: i32) -> Option<f64> {
    w.leg(id).open.and_then(|o| o.order.trail_stop_price)
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-6)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sell_trail_rises_with_the_market_never_falls_and_triggers_on_the_way_down() {
    let gw = start_with(frozen()).await;
    let client = connect(&gw, 1).await;
    let mut w = Watch::new(&client).await;
    let id = client.next_order_id();
    send(&client, id, "AAPL", &trail(Action::Sell, 10.0, Some(1.0), None)).await;
    let (_, _, last) = gw.quote("AAPL").expect("quote");
    w.until("stop at last - 1.00, waiting untriggered", |w| {
        close(stop_of(w, id), px(last, -100)) && w.status(id) == Some(OrderStatusKind::PreSubmitted)
    })
    .await;
    let open = w.leg(id).open.expect("open order");
    assert_eq!((open.order.order_type.as_str(), open.order.aux_price), ("TRAIL", Some(1.0)), "aux = the trail amount");
    // Up: the stop follows.
    move_market(&gw, "AAPL", 100).await;
    let (_, _, up) = gw.quote("AAPL").expect("quote");
    assert!(up > last);
    w.until("stop raised", |w| close(stop_of(w, id), px(up, -100))).await;
    // Down a little, not through the stop: the stop stays.
    move_market(&gw, "AAPL", -50).await;
    barrier(&client).await;
    let (_, _, dip) = gw.quote("AAPL").expect("quote");
    assert!(dip > px(up, -100) && dip < up, "{dip}");
    assert!(gw.executions().is_empty());
    // Down through the stop: it triggers and sells at the bid.
    move_market(&gw, "AAPL", -100).await;
    w.until("filled", |w| w.status(id) == Some(OrderStatusKind::Filled)).await;
    assert!(close(stop_of(&w, id), px(up, -100)), "the stop never fell: {:?}", stop_of(&w, id));
    let (_, shares, price) = w.execs[0];
    assert_eq!(shares, 10.0);
    assert!(price <= px(up, -100), "sold at {price}, at or below the stop");
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buy_trail_by_percent_falls_with_the_market_and_triggers_on_the_way_up() {
    let gw = start_with(frozen()).await;
    let client = connect(&gw, 1).await;
    let mut w = Watch::new(&client).await;
    let id = client.next_order_id();
    send(&client, id, "MSFT", &trail(Action::Buy, 3.0, None, Some(1.0))).await;
    let (_, _, last) = gw.quote("MSFT").expect("quote");
    // 1% above the last price, rounded up to the cent.
    let expected = (last * 1.01 * 100.0 - 1e-9).ceil() / 100.0;
    w.until("stop 1% above", |w| close(stop_of(w, id), expected)).await;
    assert_eq!(w.leg(id).open.expect("open").order.trailing_percent, Some(1.0));
    move_market(&gw, "MSFT", -500).await;
    let (_, _, down) = gw.quote("MSFT").expect("quote");
    let lowered = (down * 1.01 * 100.0 - 1e-9).ceil() / 100.0;
    w.until("stop lowered", |w| close(stop_of(w, id), lowered)).await;
    assert!(lowered < expected);
    move_market(&gw, "MSFT", 100).await;
    barrier(&client).await;
    assert!(gw.executions().is_empty(), "not yet through the stop");
    assert!(close(stop_of(&w, id), lowered), "a buy stop never rises");
    let ticks = ((lowered - gw.quote("MSFT").expect("quote").2) * 100.0).ceil() as i64 + 5;
    move_market(&gw, "MSFT", ticks).await;
    w.until("filled", |w| w.status(id) == Some(OrderStatusKind::Filled)).await;
    assert!(w.execs[0].2 >= lowered, "bought at or above the stop");
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trail_limit_becomes_a_limit_offset_from_its_stop() {
    let gw = start_with(frozen()).await;
    let client = connect(&gw, 1).await;
    let mut w = Watch::new(&client).await;
    let id = client.next_order_id();
    let o = Order {
        limit_price_offset: Some(0.10),
        ..order(Action::Sell, 10.0, "TRAIL LIMIT", None, Some(0.50), TimeInForce::GoodTillCanceled)
    };
    send(&client, id, "AAPL", &o).await;
    let (_, _, last) = gw.quote("AAPL").expect("quote");
    let stop = px(last, -50);
    w.until("stop at last - 0.50", |w| close(stop_of(w, id), stop)).await;
    let open = w.leg(id).open.expect("open order");
    assert_eq!(open.order.limit_price_offset, Some(0.10));
    assert!(close(open.order.limit_price, px(stop, -10)), "limit = stop - offset: {:?}", open.order.limit_price);
    // A gap down far through the limit: triggered, but the bid is below the limit: no fill.
    move_market(&gw, "AAPL", -300).await;
    w.until("triggered, working as a limit", |w| w.status(id) == Some(OrderStatusKind::Submitted)).await;
    barrier(&client).await;
    assert!(gw.executions().is_empty(), "a limit never sells below its price");
    // Back up to the limit: it fills at or above it.
    move_market(&gw, "AAPL", 300).await;
    w.until("filled", |w| w.status(id) == Some(OrderStatusKind::Filled)).await;
    assert!(w.execs[0].2 >= px(stop, -10) - 1e-9, "{:?}", w.execs);
    assert!(close(stop_of(&w, id), stop), "the stop froze at the trigger");
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trailing_stop_exit_starts_trailing_when_its_entry_fills() {
    use super::brackets::leg;
    let gw = start_with(frozen()).await;
    let client = connect(&gw, 1).await;
    let mut w = Watch::new(&client).await;
    let (_, ask, _) = gw.quote("AAPL").expect("quote");
    let (p, sl) = (client.next_order_id(), client.next_order_id());
    let gtc = TimeInForce::GoodTillCanceled;
    send(&client, p, "AAPL", &leg(order(Action::Buy, 10.0, "LMT", Some(px(ask, -100)), None, gtc), 0, false)).await;
    send(&client, sl, "AAPL", &leg(trail(Action::Sell, 10.0, Some(0.75), None), p, true)).await;
    w.until("held", |w| w.leg(sl).why_held == "child").await;
    assert_eq!(stop_of(&w, sl), None, "no stop while it waits for its entry");
    // The market falls to the entry: it fills, the exit starts 0.75 under the last price.
    move_market(&gw, "AAPL", -150).await;
    w.until("entry filled", |w| w.status(p) == Some(OrderStatusKind::Filled)).await;
    let (_, _, last) = gw.quote("AAPL").expect("quote");
    w.until("trailing from the fill", |w| close(stop_of(w, sl), px(last, -75))).await;
    move_market(&gw, "AAPL", 80).await;
    let (_, _, up) = gw.quote("AAPL").expect("quote");
    w.until("and following", |w| close(stop_of(w, sl), px(up, -75))).await;
    gw.shutdown().await;
}
