//! The dialect-neutral view of traffic: decoded requests in, messages out. One codec per
//! connection turns them into bytes: [`super::proto::ProtoCodec`] for ibapi's protobuf dialect,
//! [`super::text::TextCodec`] for classic text clients such as ib_async. The engine, the market
//! and the account model only ever see these types, so both dialects share them.

use super::messages as m;

/// A request decoded from a client frame. Variants mirror the wire messages, so their sizes
/// differ; requests are handled one at a time, never stored in bulk.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum Request {
    StartApi(m::StartApiRequest),
    Ids(m::IdsRequest),
    ManagedAccounts,
    CurrentTime,
    AccountSummary(m::AccountSummaryRequest),
    CancelAccountSummary(i32),
    AccountUpdates(m::AccountDataRequest),
    Positions,
    CancelPositions,
    PnL(m::PnLRequest),
    CancelPnL(i32),
    PnLSingle(m::PnLSingleRequest),
    CancelPnLSingle(i32),
    MarketData(m::MarketDataRequest),
    CancelMarketData(i32),
    MarketDataType(i32),
    RealTimeBars(m::RealTimeBarsRequest),
    CancelRealTimeBars(i32),
    TickByTick(m::TickByTickRequest),
    CancelTickByTick(i32),
    ContractData(m::ContractDataRequest),
    PlaceOrder(m::PlaceOrderRequest),
    CancelOrder(m::CancelOrderRequest),
    GlobalCancel,
    OpenOrders,
    AllOpenOrders,
    AutoOpenOrders(bool),
    CompletedOrders(bool),
    Executions(m::ExecutionRequest),
    HistoricalData(m::HistoricalDataRequest),
    CancelHistoricalData(i32),
    HeadTimestamp(m::HeadTimestampRequest),
    CancelHeadTimestamp(i32),
    MatchingSymbols(m::MatchingSymbolsRequest),
    MarketRule(i32),
    PositionsMulti(m::PositionsMultiRequest),
    CancelPositionsMulti(i32),
    AccountUpdatesMulti(m::AccountUpdatesMultiRequest),
    CancelAccountUpdatesMulti(i32),
    CurrentTimeInMillis,
    /// A cancel of a request type the gateway does not serve (no reply, as IB).
    OtherCancel(i32),
    /// A request type the gateway does not serve; `req_id` if the body had one at tag 1.
    Unsupported {
        msg_id: i32,
        req_id: Option<i32>,
    },
}

/// A message for the client.
#[derive(Debug, Clone, PartialEq)]
pub enum Outbound {
    Error(m::ErrorMessage),
    NextValidId(m::NextValidId),
    ManagedAccounts(m::ManagedAccounts),
    CurrentTime(m::CurrentTime),
    AccountSummary(m::AccountSummary),
    AccountSummaryEnd(m::EndByReqId),
    Position(m::Position),
    PositionEnd,
    AccountValue(m::AccountValue),
    PortfolioValue(m::PortfolioValue),
    AccountUpdateTime(m::AccountUpdateTime),
    AccountDownloadEnd(m::AccountDataEnd),
    PnL(m::PnL),
    PnLSingle(m::PnLSingle),
    TickPrice(m::TickPrice),
    TickSize(m::TickSize),
    TickString(m::TickString),
    TickGeneric(m::TickGeneric),
    MarketDataType(m::MarketDataType),
    TickReqParams(m::TickReqParams),
    TickSnapshotEnd(m::EndByReqId),
    RealTimeBar(m::RealTimeBarTick),
    TickByTick(m::TickByTickData),
    ContractData(m::ContractData),
    ContractDataEnd(m::EndByReqId),
    OpenOrder(m::OpenOrder),
    OpenOrderEnd,
    OrderStatus(m::OrderStatus),
    CompletedOrder(m::CompletedOrder),
    CompletedOrdersEnd,
    ExecutionDetails(m::ExecutionDetails),
    ExecutionDetailsEnd(m::EndByReqId),
    CommissionReport(m::CommissionAndFeesReport),
    HistoricalData(m::HistoricalData),
    HistoricalDataEnd(m::HistoricalDataEnd),
    HeadTimestamp(m::HeadTimestamp),
    SymbolSamples(m::SymbolSamples),
    MarketRule(m::MarketRule),
    PositionMulti(m::PositionMulti),
    PositionMultiEnd(m::EndByReqId),
    AccountUpdateMulti(m::AccountUpdateMulti),
    AccountUpdateMultiEnd(m::EndByReqId),
    CurrentTimeInMillis(m::CurrentTimeInMillis),
    HistoricalDataUpdate(m::HistoricalDataUpdate),
}

/// Why a frame could not be decoded into a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("frame of {0} bytes is too short for a message id")]
    NoMessageId(usize),
    #[error("message id {0} is not a protobuf message id (must be above 200)")]
    NotProtobuf(i32),
    #[error("message {msg_id}: protobuf decode failed: {what}")]
    Protobuf { msg_id: i32, what: String },
    /// Text dialect: the first field is not a message id.
    #[error("message id {0:?} is not a number")]
    TextMessageId(String),
    /// Text dialect: an id that is no TWS API request at the negotiated version.
    #[error("unknown message id {0}")]
    UnknownMessageId(i32),
    /// Text dialect: a field is missing or does not parse.
    #[error("message {msg_id}: field {index} ({field}) {what}")]
    TextField { msg_id: i32, index: usize, field: &'static str, what: String },
}

impl DecodeError {
    /// IB's error code for the client: 505 for an unknown message id, 320 for a text request
    /// that cannot be read, 321 for a protobuf body that does not decode.
    pub fn code(&self) -> i32 {
        match self {
            DecodeError::TextMessageId(_) | DecodeError::UnknownMessageId(_) => 505,
            DecodeError::TextField { .. } => 320,
            DecodeError::NoMessageId(_) | DecodeError::NotProtobuf(_) | DecodeError::Protobuf { .. } => 321,
        }
    }

    /// The error text IB would send with [`Self::code`].
    pub fn notice(&self) -> String {
        match self.code() {
            505 => format!("Fatal Error: Unknown message id. ({self})"),
            320 => format!("Error reading request. {self}"),
            _ => format!("Error validating request.-'' : cause - {self}"),
        }
    }
}

/// Turns frame bodies into requests and messages into frame bodies, for one dialect.
///
/// `encode` takes `&mut self` because a dialect may merge messages: the text dialect at server
/// version 178 carries historical bars and their end marker in one frame, so its codec holds
/// the bars until the end arrives. An empty body means "no frame of its own in this dialect";
/// the session sends nothing for it.
pub trait Codec: Send + Sync {
    fn decode(&self, body: &[u8]) -> Result<Request, DecodeError>;
    fn encode(&mut self, msg: &Outbound) -> Vec<u8>;
}
