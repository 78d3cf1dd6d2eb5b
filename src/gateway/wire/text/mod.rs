//! The classic text dialect of the TWS API (ib_async 2.x and other pre-protobuf clients).
//!
//! A frame body is a list of UTF-8 fields, each terminated by `\0`, the message id first as
//! decimal text. Most messages carry a version field after the id; a few (tick-by-tick, PnL,
//! place order, ...) lost it in later server versions. Unset numbers travel as `""`, booleans as
//! `0`/`1`.
//!
//! The codec is built for the server version negotiated with the client (at most
//! [`super::handshake::TEXT_SERVER_VERSION`], 178) and keeps it: layouts that changed between
//! ib_async's floor (157) and 178 follow the thresholds in [`sv`]. Below 157 the 157 layouts are
//! used, which no client of that age would read correctly; such clients are out of scope.

mod decode;
mod encode;
mod fields;
#[cfg(test)]
mod tests;

use super::codec::{Codec, DecodeError, Outbound, Request};
use super::messages as m;

/// Server versions at which a text layout changes (only those between ib_async's floor, 157,
/// and 178 matter here).
pub mod sv {
    /// OPEN_ORDER carries `duration` (ib_async reads it from 159).
    pub const DURATION: i32 = 159;
    /// OPEN_ORDER carries `postToAts`.
    pub const POST_TO_ATS: i32 = 160;
    /// OPEN_ORDER carries `autoCancelParent`.
    pub const AUTO_CANCEL_PARENT: i32 = 162;
    /// CONTRACT_DATA sends `suggestedSizeIncrement` alone (163 only).
    pub const SUGGESTED_SIZE_INCREMENT: i32 = 163;
    /// CONTRACT_DATA drops its version field and `mdSizeMultiplier`, adds min size and increments.
    pub const SIZE_RULES: i32 = 164;
    /// ERR_MSG ends with `advancedOrderRejectJson`.
    pub const ADVANCED_ORDER_REJECT: i32 = 166;
    /// OPEN_ORDER / COMPLETED_ORDER carry the PEG BEST / PEG MID offsets.
    pub const PEGBEST_PEGMID_OFFSETS: i32 = 170;
    /// SYMBOL_SAMPLES carries description and issuer id.
    pub const BOND_ISSUERID: i32 = 176;
    /// `faProfile` leaves OPEN_ORDER, COMPLETED_ORDER and PLACE_ORDER.
    pub const FA_PROFILE_DESUPPORT: i32 = 177;
    /// EXECUTION_DATA ends with `pendingPriceRevision`.
    pub const PENDING_PRICE_REVISION: i32 = 178;
}

/// The text codec of one connection.
#[derive(Debug)]
pub struct TextCodec {
    version: i32,
    /// Historical bars waiting for their end marker: at these versions HISTORICAL_DATA carries
    /// the bars and the start and end dates in one message.
    pending_bars: Option<m::HistoricalData>,
}

impl TextCodec {
    /// A codec for the negotiated server version.
    pub fn new(version: i32) -> Self {
        Self { version, pending_bars: None }
    }

    pub fn version(&self) -> i32 {
        self.version
    }
}

impl Codec for TextCodec {
    fn decode(&self, body: &[u8]) -> Result<Request, DecodeError> {
        decode::request(self.version, body)
    }

    fn encode(&mut self, msg: &Outbound) -> Vec<u8> {
        match msg {
            Outbound::HistoricalData(bars) => {
                self.pending_bars = Some(bars.clone());
                Vec::new()
            }
            Outbound::HistoricalDataEnd(end) => {
                let bars = self.pending_bars.take().filter(|b| b.req_id == end.req_id);
                encode::historical_data(end, bars.as_ref())
            }
            other => encode::outbound(self.version, other),
        }
    }
}

/// Splits a body the way ib_async does: on `\0`, dropping the empty piece after the last one.
pub fn split_fields(body: &[u8]) -> Vec<String> {
    fields::split(body).into_iter().map(|f| f.into_owned()).collect()
}
