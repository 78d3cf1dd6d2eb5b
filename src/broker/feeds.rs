//! Each ibapi subscription becomes a stream of [`Feed`] items, merged into one `SelectAll`
//! that the session loop polls: however many symbols are watched, the loop has one arm.

use super::convert::decimal_from_f64;
use crate::diagnostics::error_chain;
use crate::store::{BrokerEvent, MarketDataKind, TickField};
use chrono::{DateTime, Utc};
use futures::stream::{BoxStream, SelectAll};
use futures::StreamExt;
use ibapi::accounts::{AccountSummaryResult, AccountUpdate, PnL, PnLSingle, PositionUpdate};
use ibapi::contracts::tick_types::TickType;
use ibapi::market_data::realtime::{Bar, TickTypes};
use ibapi::market_data::MarketDataType;
use ibapi::subscriptions::SubscriptionItem;

/// What a subscription produced.
// An order's terms make the order events the largest; boxing them would allocate for every
// market-data tick that goes through here too.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Feed {
    /// A fact for the store.
    Event(BrokerEvent),
    /// The subscription's first snapshot is complete (End markers).
    Complete(FeedId),
    /// The subscription failed on its own; the connection is fine.
    Failed(FeedId, Vec<String>),
    /// The connection is gone.
    Lost(String),
    /// The session read this subscription too slowly and ibapi dropped its oldest frames (its
    /// buffer per subscription is bounded, [`super::session::CHANNEL_CAPACITY`]); the text
    /// says how many.
    Lagged(FeedId, String),
}

/// Which subscription an item came from (and the diagnostics subsystem it reports to).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FeedId {
    AccountSummary,
    Positions,
    Portfolio,
    Pnl,
    PnlSingle(i32),
    MarketData(String),
    Bars(String),
    /// The order update stream (all orders' statuses, fills, commissions).
    OrderUpdates,
    /// Reconciliation: all open orders, once.
    OpenOrders,
    /// Reconciliation: today's executions, once.
    Executions,
    /// Reconciliation: completed orders, once.
    CompletedOrders,
}

impl FeedId {
    pub fn subsystem(&self) -> String {
        match self {
            FeedId::AccountSummary => "subscription:account_summary".into(),
            FeedId::Positions => "subscription:positions".into(),
            FeedId::Portfolio => "subscription:portfolio".into(),
            FeedId::Pnl => "subscription:pnl".into(),
            FeedId::PnlSingle(_) => "subscription:pnl_single".into(),
            FeedId::MarketData(_) => "subscription:market_data".into(),
            FeedId::Bars(_) => "subscription:bars".into(),
            FeedId::OrderUpdates => "subscription:order_updates".into(),
            FeedId::OpenOrders => "reconcile:open_orders".into(),
            FeedId::Executions => "reconcile:executions".into(),
            FeedId::CompletedOrders => "reconcile:completed_orders".into(),
        }
    }
}

pub type Feeds = SelectAll<BoxStream<'static, Feed>>;

type Item<T> = Result<SubscriptionItem<T>, ibapi::Error>;

/// Wrap a subscription: data goes through `convert`; notices become notice events; the
/// connection dropping becomes `Lost`; any other error fails this feed only, and ends it.
pub fn feed<T, S, F>(id: FeedId, stream: S, convert: F) -> BoxStream<'static, Feed>
where
    T: Send + 'static,
    S: futures::Stream<Item = Item<T>> + Send + Unpin + 'static,
    F: FnMut(T) -> Vec<Feed> + Send + 'static,
{
    futures::stream::unfold(Some((stream, convert)), move |state| {
        let id = id.clone();
        async move {
            let (mut stream, mut convert) = state?;
            let item = stream.next().await?;
            let (out, keep) = match item {
                Ok(SubscriptionItem::Data(data)) => (convert(data), true),
                Ok(SubscriptionItem::Notice(n)) if n.code == ibapi::SUBSCRIPTION_LAG_CODE => {
                    (vec![Feed::Lagged(id.clone(), n.message)], true)
                }
                Ok(SubscriptionItem::Notice(n)) => {
                    let notice = BrokerEvent::Notice { id: n.request_id.unwrap_or(-1), code: n.code, text: n.message };
                    (vec![Feed::Event(notice)], true)
                }
                Err(ibapi::Error::ConnectionReset | ibapi::Error::ConnectionFailed | ibapi::Error::Shutdown) => {
                    (vec![Feed::Lost("the gateway closed the connection".into())], false)
                }
                Err(error) => (vec![Feed::Failed(id, error_chain(&error))], false),
            };
            Some((futures::stream::iter(out), keep.then_some((stream, convert))))
        }
    })
    .flatten()
    .boxed()
}

/// A request that answers once and ends: the end of the stream completes the feed.
pub fn one_shot<T, S, F>(id: FeedId, stream: S, convert: F) -> BoxStream<'static, Feed>
where
    T: Send + 'static,
    S: futures::Stream<Item = Item<T>> + Send + Unpin + 'static,
    F: FnMut(T) -> Vec<Feed> + Send + 'static,
{
    // After a failure the session ignores the trailing Complete (a failed query is a
    // failure, never an empty answer).
    let done = id.clone();
    feed(id, stream, convert).chain(futures::stream::once(async move { Feed::Complete(done) })).boxed()
}

pub fn account_summary(data: AccountSummaryResult) -> Vec<Feed> {
    match data {
        AccountSummaryResult::Summary(s) => vec![Feed::Event(BrokerEvent::AccountValue {
            account: s.account,
            tag: s.tag,
            value: s.value,
            currency: s.currency,
        })],
        AccountSummaryResult::End => {
            vec![Feed::Event(BrokerEvent::AccountSummaryEnd), Feed::Complete(FeedId::AccountSummary)]
        }
    }
}

pub fn positions(data: PositionUpdate) -> Vec<Feed> {
    match data {
        PositionUpdate::Position(p) => match decimal_from_f64(p.position) {
            Some(quantity) => vec![Feed::Event(BrokerEvent::Position {
                account: p.account,
                con_id: p.contract.contract_id,
                symbol: p.contract.symbol.0,
                currency: p.contract.currency.0,
                quantity,
                average_cost: decimal_from_f64(p.average_cost),
            })],
            None => vec![Feed::Failed(FeedId::Positions, vec![format!("position without a quantity: {p:?}")])],
        },
        PositionUpdate::PositionEnd => vec![Feed::Event(BrokerEvent::PositionsEnd), Feed::Complete(FeedId::Positions)],
    }
}

pub fn portfolio(account: String) -> impl FnMut(AccountUpdate) -> Vec<Feed> + Send + 'static {
    move |data| match data {
        AccountUpdate::PortfolioValue(p) => {
            let Some(quantity) = decimal_from_f64(p.position) else { return Vec::new() };
            vec![Feed::Event(BrokerEvent::Portfolio {
                account: p.account.unwrap_or_else(|| account.clone()),
                con_id: p.contract.contract_id,
                symbol: p.contract.symbol.0,
                currency: p.contract.currency.0,
                quantity,
                market_price: decimal_from_f64(p.market_price),
                market_value: decimal_from_f64(p.market_value),
                average_cost: decimal_from_f64(p.average_cost),
                unrealized_pnl: decimal_from_f64(p.unrealized_pnl),
                realized_pnl: decimal_from_f64(p.realized_pnl),
            })]
        }
        AccountUpdate::End => vec![Feed::Complete(FeedId::Portfolio)],
        // Account values here repeat the summary's figures; the summary owns them.
        AccountUpdate::AccountValue(_) | AccountUpdate::UpdateTime(_) => vec![Feed::Event(BrokerEvent::Heartbeat)],
    }
}

pub fn pnl(account: String) -> impl FnMut(PnL) -> Vec<Feed> + Send + 'static {
    let mut first = true;
    move |p| {
        let mut out = vec![Feed::Event(BrokerEvent::Pnl {
            account: account.clone(),
            daily: decimal_from_f64(p.daily_pnl),
            unrealized: p.unrealized_pnl.and_then(decimal_from_f64),
            realized: p.realized_pnl.and_then(decimal_from_f64),
        })];
        if std::mem::take(&mut first) {
            out.push(Feed::Complete(FeedId::Pnl));
        }
        out
    }
}

pub fn pnl_single(account: String, con_id: i32) -> impl FnMut(PnLSingle) -> Vec<Feed> + Send + 'static {
    move |p| {
        vec![Feed::Event(BrokerEvent::PnlSingle {
            account: account.clone(),
            con_id,
            daily: decimal_from_f64(p.daily_pnl),
            unrealized: decimal_from_f64(p.unrealized_pnl),
            realized: decimal_from_f64(p.realized_pnl),
        })]
    }
}

fn tick_field(tick: TickType) -> Option<TickField> {
    Some(match tick {
        TickType::Bid | TickType::DelayedBid => TickField::Bid,
        TickType::Ask | TickType::DelayedAsk => TickField::Ask,
        TickType::Last | TickType::DelayedLast => TickField::Last,
        TickType::Close | TickType::DelayedClose => TickField::Close,
        TickType::High | TickType::DelayedHigh => TickField::High,
        TickType::Low | TickType::DelayedLow => TickField::Low,
        TickType::Open | TickType::DelayedOpen => TickField::Open,
        TickType::Volume | TickType::DelayedVolume => TickField::Volume,
        TickType::BidSize | TickType::DelayedBidSize => TickField::BidSize,
        TickType::AskSize | TickType::DelayedAskSize => TickField::AskSize,
        TickType::LastSize | TickType::DelayedLastSize => TickField::LastSize,
        _ => return None,
    })
}

pub fn market_data(symbol: String) -> impl FnMut(TickTypes) -> Vec<Feed> + Send + 'static {
    let mut first = true;
    move |tick| {
        let tick_event = |tick_type: TickType, value: f64| {
            let field = tick_field(tick_type)?;
            let value = decimal_from_f64(value)?;
            // -1 is "no price" on some ticks.
            if value.is_sign_negative() {
                return None;
            }
            Some(Feed::Event(BrokerEvent::Tick { symbol: symbol.clone(), field, value }))
        };
        let mut out: Vec<Feed> = match tick {
            TickTypes::Price(p) => tick_event(p.tick_type, p.price).into_iter().collect(),
            TickTypes::Size(s) => tick_event(s.tick_type, s.size).into_iter().collect(),
            TickTypes::PriceSize(ps) => tick_event(ps.price_tick_type, ps.price)
                .into_iter()
                .chain(tick_event(ps.size_tick_type, ps.size))
                .collect(),
            TickTypes::MarketDataType(kind) => {
                let kind = match kind {
                    MarketDataType::Realtime => Some(MarketDataKind::Live),
                    MarketDataType::Frozen => Some(MarketDataKind::Frozen),
                    MarketDataType::Delayed => Some(MarketDataKind::Delayed),
                    MarketDataType::DelayedFrozen => Some(MarketDataKind::DelayedFrozen),
                    _ => None,
                };
                kind.map(|kind| Feed::Event(BrokerEvent::MarketDataType { symbol: symbol.clone(), kind }))
                    .into_iter()
                    .collect()
            }
            _ => Vec::new(),
        };
        if !out.is_empty() && std::mem::take(&mut first) {
            out.push(Feed::Complete(FeedId::MarketData(symbol.clone())));
        }
        out
    }
}

pub fn bars(symbol: String) -> impl FnMut(Bar) -> Vec<Feed> + Send + 'static {
    move |bar| {
        let values = (
            decimal_from_f64(bar.open),
            decimal_from_f64(bar.high),
            decimal_from_f64(bar.low),
            decimal_from_f64(bar.close),
            decimal_from_f64(bar.volume),
        );
        let (Some(open), Some(high), Some(low), Some(close), volume) = values else { return Vec::new() };
        let time = DateTime::<Utc>::from_timestamp(bar.date.unix_timestamp(), 0).unwrap_or_else(Utc::now);
        vec![Feed::Event(BrokerEvent::Bar {
            symbol: symbol.clone(),
            time,
            open,
            high,
            low,
            close,
            volume: volume.unwrap_or_default(),
        })]
    }
}

#[cfg(test)]
mod lag_tests {
    use super::*;

    fn notice(code: i32, message: &str) -> Item<u32> {
        Ok(SubscriptionItem::Notice(ibapi::Notice {
            request_id: Some(7),
            code,
            message: message.into(),
            error_time: None,
            advanced_order_reject_json: String::new(),
        }))
    }

    #[tokio::test]
    async fn a_lag_notice_is_told_apart_from_other_notices_and_the_feed_goes_on() {
        let items = vec![
            notice(ibapi::SUBSCRIPTION_LAG_CODE, "300 frames dropped"),
            notice(2104, "farm ok"),
            Ok(SubscriptionItem::Data(1)),
        ];
        let stream = futures::stream::iter(items);
        let out: Vec<Feed> =
            feed(FeedId::Positions, stream, |_| vec![Feed::Complete(FeedId::Positions)]).collect().await;
        assert!(matches!(&out[0], Feed::Lagged(FeedId::Positions, text) if text.contains("300")), "{out:?}");
        assert!(matches!(&out[1], Feed::Event(BrokerEvent::Notice { code: 2104, .. })), "{out:?}");
        assert!(matches!(&out[2], Feed::Complete(FeedId::Positions)), "the feed goes on after a lag: {out:?}");
    }
}
