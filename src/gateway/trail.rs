//! Trailing stops: where a TRAIL / TRAIL LIMIT order's stop starts and how it follows the last
//! price, in the favourable direction only (a sell's stop rises with the market and never
//! falls; a buy's falls and never rises), on the contract's tick grid.

use rust_decimal::Decimal;

use super::orders::{OrderKind, Side, SimOrder, TrailBy};

/// The stop `trail` away from `last`, rounded to the tick away from the market (a sell's down,
/// a buy's up), never below one tick.
pub fn stop_for(trail: TrailBy, side: Side, last: Decimal, tick: Decimal) -> Decimal {
    let distance = match trail {
        TrailBy::Amount(a) => a,
        TrailBy::Percent(p) => last * p / Decimal::ONE_HUNDRED,
    };
    let raw = match side {
        Side::Sell => last - distance,
        Side::Buy => last + distance,
    };
    let ticks = raw / tick;
    let ticks = match side {
        Side::Sell => ticks.floor(),
        Side::Buy => ticks.ceil(),
    };
    (ticks * tick).max(tick).normalize()
}

/// Moves an untriggered trailing order's stop after the market printed `last`; true if it moved.
/// A stop of zero (none given by the client) starts at `last` and the trail.
pub fn follow(o: &mut SimOrder, last: Decimal, tick: Decimal) -> bool {
    if o.triggered || last <= Decimal::ZERO {
        return false;
    }
    let side = o.side;
    let (OrderKind::Trail { trail, stop } | OrderKind::TrailLimit { trail, stop, .. }) = &mut o.kind else {
        return false;
    };
    let candidate = stop_for(*trail, side, last, tick);
    let better = stop.is_zero()
        || match side {
            Side::Sell => candidate > *stop,
            Side::Buy => candidate < *stop,
        };
    if better {
        *stop = candidate;
    }
    better
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(c: i64) -> Decimal {
        Decimal::new(c, 2)
    }

    #[test]
    fn stops_round_away_from_the_market() {
        let tick = d(1);
        assert_eq!(stop_for(TrailBy::Amount(d(50)), Side::Sell, d(10000), tick), d(9950));
        assert_eq!(stop_for(TrailBy::Amount(d(50)), Side::Buy, d(10000), tick), d(10050));
        // 1% of 123.45 = 1.2345: a sell's stop 122.2155 -> 122.21, a buy's 124.6845 -> 124.69.
        assert_eq!(stop_for(TrailBy::Percent(Decimal::ONE), Side::Sell, d(12345), tick), d(12221));
        assert_eq!(stop_for(TrailBy::Percent(Decimal::ONE), Side::Buy, d(12345), tick), d(12469));
    }
}
