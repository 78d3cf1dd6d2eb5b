//! The protobuf codec (ibapi): body = `[i32 BE (id + 200)][protobuf]`.

use prost::Message;

use super::codec::{Codec, DecodeError, Outbound, Request};
use super::ids::{msg, req, PROTOBUF_OFFSET};
use super::messages as m;

#[derive(Debug, Default, Clone, Copy)]
pub struct ProtoCodec;

fn dec<T: Message + Default>(msg_id: i32, bytes: &[u8]) -> Result<T, DecodeError> {
    T::decode(bytes).map_err(|e| DecodeError::Protobuf { msg_id, what: e.to_string() })
}

fn req_id_of(bytes: &[u8]) -> Option<i32> {
    m::CancelByReqId::decode(bytes).ok().and_then(|c| c.req_id)
}

fn body(id: i32, message: &impl Message) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + message.encoded_len());
    out.extend_from_slice(&(id + PROTOBUF_OFFSET).to_be_bytes());
    // Encoding into a Vec cannot run out of capacity.
    message.encode_raw(&mut out);
    out
}

impl Codec for ProtoCodec {
    fn decode(&self, frame: &[u8]) -> Result<Request, DecodeError> {
        if frame.len() < 4 {
            return Err(DecodeError::NoMessageId(frame.len()));
        }
        let wire_id = i32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]);
        if wire_id <= PROTOBUF_OFFSET {
            return Err(DecodeError::NotProtobuf(wire_id));
        }
        let id = wire_id - PROTOBUF_OFFSET;
        let b = &frame[4..];
        let cancel = |b: &[u8]| -> Result<i32, DecodeError> { Ok(dec::<m::CancelByReqId>(id, b)?.req_id.unwrap_or(0)) };
        Ok(match id {
            req::START_API => Request::StartApi(dec(id, b)?),
            req::IDS => Request::Ids(dec(id, b)?),
            req::MANAGED_ACCOUNTS => Request::ManagedAccounts,
            req::CURRENT_TIME => Request::CurrentTime,
            req::ACCOUNT_SUMMARY => Request::AccountSummary(dec(id, b)?),
            req::CANCEL_ACCOUNT_SUMMARY => Request::CancelAccountSummary(cancel(b)?),
            req::ACCOUNT_DATA => Request::AccountUpdates(dec(id, b)?),
            req::POSITIONS => Request::Positions,
            req::CANCEL_POSITIONS => Request::CancelPositions,
            req::PNL => Request::PnL(dec(id, b)?),
            req::CANCEL_PNL => Request::CancelPnL(cancel(b)?),
            req::PNL_SINGLE => Request::PnLSingle(dec(id, b)?),
            req::CANCEL_PNL_SINGLE => Request::CancelPnLSingle(cancel(b)?),
            req::MARKET_DATA => Request::MarketData(dec(id, b)?),
            req::CANCEL_MARKET_DATA => Request::CancelMarketData(cancel(b)?),
            req::MARKET_DATA_TYPE => {
                Request::MarketDataType(dec::<m::MarketDataTypeRequest>(id, b)?.market_data_type.unwrap_or(1))
            }
            req::REAL_TIME_BARS => Request::RealTimeBars(dec(id, b)?),
            req::CANCEL_REAL_TIME_BARS => Request::CancelRealTimeBars(cancel(b)?),
            req::TICK_BY_TICK => Request::TickByTick(dec(id, b)?),
            req::CANCEL_TICK_BY_TICK => Request::CancelTickByTick(cancel(b)?),
            req::CONTRACT_DATA => Request::ContractData(dec(id, b)?),
            req::PLACE_ORDER => Request::PlaceOrder(dec(id, b)?),
            req::CANCEL_ORDER => Request::CancelOrder(dec(id, b)?),
            req::GLOBAL_CANCEL => {
                dec::<m::GlobalCancelRequest>(id, b)?;
                Request::GlobalCancel
            }
            req::OPEN_ORDERS => Request::OpenOrders,
            req::ALL_OPEN_ORDERS => Request::AllOpenOrders,
            req::AUTO_OPEN_ORDERS => {
                Request::AutoOpenOrders(dec::<m::AutoOpenOrdersRequest>(id, b)?.auto_bind.unwrap_or(false))
            }
            req::COMPLETED_ORDERS => {
                Request::CompletedOrders(dec::<m::CompletedOrdersRequest>(id, b)?.api_only.unwrap_or(false))
            }
            req::EXECUTIONS => Request::Executions(dec(id, b)?),
            req::HISTORICAL_DATA => Request::HistoricalData(dec(id, b)?),
            req::CANCEL_HISTORICAL_DATA => Request::CancelHistoricalData(cancel(b)?),
            req::HEAD_TIMESTAMP => Request::HeadTimestamp(dec(id, b)?),
            req::CANCEL_HEAD_TIMESTAMP => Request::CancelHeadTimestamp(cancel(b)?),
            req::MATCHING_SYMBOLS => Request::MatchingSymbols(dec(id, b)?),
            req::CURRENT_TIME_IN_MILLIS => Request::CurrentTimeInMillis,
            other if req::OTHER_CANCELS.contains(&other) => Request::OtherCancel(other),
            req::POSITIONS_MULTI => Request::PositionsMulti(dec(id, b)?),
            req::CANCEL_POSITIONS_MULTI => Request::CancelPositionsMulti(cancel(b)?),
            req::ACCOUNT_UPDATES_MULTI => Request::AccountUpdatesMulti(dec(id, b)?),
            req::CANCEL_ACCOUNT_UPDATES_MULTI => Request::CancelAccountUpdatesMulti(cancel(b)?),
            req::MARKET_RULE => Request::MarketRule(dec::<m::MarketRuleRequest>(id, b)?.market_rule_id.unwrap_or(0)),
            other => Request::Unsupported { msg_id: other, req_id: req_id_of(b) },
        })
    }

    fn encode(&mut self, out: &Outbound) -> Vec<u8> {
        match out {
            Outbound::Error(x) => body(msg::ERR_MSG, x),
            Outbound::NextValidId(x) => body(msg::NEXT_VALID_ID, x),
            Outbound::ManagedAccounts(x) => body(msg::MANAGED_ACCTS, x),
            Outbound::CurrentTime(x) => body(msg::CURRENT_TIME, x),
            Outbound::AccountSummary(x) => body(msg::ACCOUNT_SUMMARY, x),
            Outbound::AccountSummaryEnd(x) => body(msg::ACCOUNT_SUMMARY_END, x),
            Outbound::Position(x) => body(msg::POSITION_DATA, x),
            Outbound::PositionEnd => body(msg::POSITION_END, &m::Empty {}),
            Outbound::AccountValue(x) => body(msg::ACCT_VALUE, x),
            Outbound::PortfolioValue(x) => body(msg::PORTFOLIO_VALUE, x),
            Outbound::AccountUpdateTime(x) => body(msg::ACCT_UPDATE_TIME, x),
            Outbound::AccountDownloadEnd(x) => body(msg::ACCT_DOWNLOAD_END, x),
            Outbound::PnL(x) => body(msg::PNL, x),
            Outbound::PnLSingle(x) => body(msg::PNL_SINGLE, x),
            Outbound::TickPrice(x) => body(msg::TICK_PRICE, x),
            Outbound::TickSize(x) => body(msg::TICK_SIZE, x),
            Outbound::TickString(x) => body(msg::TICK_STRING, x),
            Outbound::TickGeneric(x) => body(msg::TICK_GENERIC, x),
            Outbound::MarketDataType(x) => body(msg::MARKET_DATA_TYPE, x),
            Outbound::TickReqParams(x) => body(msg::TICK_REQ_PARAMS, x),
            Outbound::TickSnapshotEnd(x) => body(msg::TICK_SNAPSHOT_END, x),
            Outbound::RealTimeBar(x) => body(msg::REAL_TIME_BARS, x),
            Outbound::TickByTick(x) => body(msg::TICK_BY_TICK, x),
            Outbound::ContractData(x) => body(msg::CONTRACT_DATA, x),
            Outbound::ContractDataEnd(x) => body(msg::CONTRACT_DATA_END, x),
            Outbound::OpenOrder(x) => body(msg::OPEN_ORDER, x),
            Outbound::OpenOrderEnd => body(msg::OPEN_ORDER_END, &m::Empty {}),
            Outbound::OrderStatus(x) => body(msg::ORDER_STATUS, x),
            Outbound::CompletedOrder(x) => body(msg::COMPLETED_ORDER, x),
            Outbound::CompletedOrdersEnd => body(msg::COMPLETED_ORDERS_END, &m::Empty {}),
            Outbound::ExecutionDetails(x) => body(msg::EXECUTION_DATA, x),
            Outbound::ExecutionDetailsEnd(x) => body(msg::EXECUTION_DATA_END, x),
            Outbound::CommissionReport(x) => body(msg::COMMISSION_REPORT, x),
            Outbound::HistoricalData(x) => body(msg::HISTORICAL_DATA, x),
            Outbound::HistoricalDataEnd(x) => body(msg::HISTORICAL_DATA_END, x),
            Outbound::HeadTimestamp(x) => body(msg::HEAD_TIMESTAMP, x),
            Outbound::SymbolSamples(x) => body(msg::SYMBOL_SAMPLES, x),
            Outbound::MarketRule(x) => body(msg::MARKET_RULE, x),
            Outbound::HistoricalDataUpdate(x) => body(msg::HISTORICAL_DATA_UPDATE, x),
            Outbound::CurrentTimeInMillis(x) => body(msg::CURRENT_TIME_IN_MILLIS, x),
            Outbound::PositionMulti(x) => body(msg::POSITION_MULTI, x),
            Outbound::PositionMultiEnd(x) => body(msg::POSITION_MULTI_END, x),
            Outbound::AccountUpdateMulti(x) => body(msg::ACCOUNT_UPDATE_MULTI, x),
            Outbound::AccountUpdateMultiEnd(x) => body(msg::ACCOUNT_UPDATE_MULTI_END, x),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_documented_frames() {
        let mut c = ProtoCodec;
        assert_eq!(c.encode(&Outbound::PositionEnd), vec![0, 0, 1, 6]);
        assert_eq!(
            c.encode(&Outbound::NextValidId(m::NextValidId { order_id: Some(100) })),
            vec![0, 0, 0, 0xd1, 0x08, 0x64]
        );
        let e = m::ErrorMessage { id: Some(-1), error_code: Some(2104), ..Default::default() };
        assert_eq!(
            c.encode(&Outbound::Error(e)),
            vec![0, 0, 0, 0xcc, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x18, 0xb8, 0x10]
        );
    }

    #[test]
    fn decodes_start_api_and_flags_unknown_ids() {
        let c = ProtoCodec;
        assert_eq!(
            c.decode(&[0, 0, 1, 0x0f, 0x08, 0x64]),
            Ok(Request::StartApi(m::StartApiRequest { client_id: Some(100), optional_capabilities: None }))
        );
        assert_eq!(
            c.decode(&[0, 0, 0x03, 0xe7, 0x08, 0x05]),
            Ok(Request::Unsupported { msg_id: 799, req_id: Some(5) })
        );
        assert_eq!(c.decode(&[0, 0, 0, 5]), Err(DecodeError::NotProtobuf(5)));
        assert!(matches!(c.decode(&[0, 0, 0, 0xcb, 0x12, 0xff]), Err(DecodeError::Protobuf { .. })));
    }
}
