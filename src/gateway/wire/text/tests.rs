//! The text codec against real ib_async frames (decode) and IB's field counts (encode).

use std::collections::HashMap;

use super::super::codec::{Codec, DecodeError, Outbound, Request};
use super::super::messages as m;
use super::{split_fields, TextCodec};

/// Request frames as ib_async 2.1.0 sends them at server version 178, captured byte for byte
/// with `tests/python/capture_requests.py`.
pub(super) mod frames {
    pub const START_API: &[u8] = b"71\x002\x007\0\0";
    pub const POSITIONS: &[u8] = b"61\x001\0";
    pub const OPEN_ORDERS: &[u8] = b"5\x001\0";
    pub const COMPLETED_ORDERS: &[u8] = b"99\x000\0";
    pub const ACCOUNT_UPDATES: &[u8] = b"6\x002\x001\0DU1234567\0";
    pub const ACCOUNT_UPDATES_MULTI: &[u8] = b"76\x001\x001\0DU1234567\0\x000\0";
    pub const EXECUTIONS: &[u8] = b"7\x003\x002\x000\0\0\0\0\0\0\0";
    pub const IDS: &[u8] = b"8\x001\x001\0";
    pub const MANAGED_ACCOUNTS: &[u8] = b"17\x001\0";
    pub const CURRENT_TIME: &[u8] = b"49\x001\0";
    pub const ACCOUNT_SUMMARY: &[u8] = b"62\x001\x00100\0All\0NetLiquidation,$LEDGER:ALL\0";
    pub const CANCEL_ACCOUNT_SUMMARY: &[u8] = b"63\x001\x00100\0";
    pub const ACCOUNT_UPDATES_OFF: &[u8] = b"6\x002\x000\0DU1234567\0";
    pub const CANCEL_POSITIONS: &[u8] = b"64\x001\0";
    pub const PNL: &[u8] = b"92\x00101\0DU1234567\0\0";
    pub const CANCEL_PNL: &[u8] = b"93\x00101\0";
    pub const PNL_SINGLE: &[u8] = b"94\x00102\0DU1234567\0\x00265598\0";
    pub const CANCEL_PNL_SINGLE: &[u8] = b"95\x00102\0";
    pub const MARKET_DATA: &[u8] =
        b"1\x0011\x00103\x000\0AAPL\0STK\0\x000.0\0\0\0SMART\0\0USD\0\0\x000\x00233\x000\x000\0\0";
    pub const CANCEL_MARKET_DATA: &[u8] = b"2\x002\x00103\0";
    pub const MARKET_DATA_TYPE: &[u8] = b"59\x001\x003\0";
    pub const REAL_TIME_BARS: &[u8] =
        b"50\x003\x00104\x000\0AAPL\0STK\0\x000.0\0\0\0SMART\0\0USD\0\0\x005\0MIDPOINT\x001\0\0";
    pub const CANCEL_REAL_TIME_BARS: &[u8] = b"51\x001\x00104\0";
    pub const TICK_BY_TICK: &[u8] = b"97\x00105\x000\0AAPL\0STK\0\x000.0\0\0\0SMART\0\0USD\0\0\0BidAsk\x000\x001\0";
    pub const CANCEL_TICK_BY_TICK: &[u8] = b"98\x00105\0";
    pub const CONTRACT_DETAILS: &[u8] = b"9\x008\x00106\x00265598\0\0\0\x000.0\0\0\0\0\0\0\0\x000\0\0\0\0";
    pub const PLACE_LMT: &[u8] = b"3\x00107\x000\0AAPL\0STK\0\x000.0\0\0\0SMART\0\0USD\0\0\0\0\0BUY\x0010\0LMT\x00150.25\0\0\0\0DU1234567\0O\x000\0ref-1\x001\x000\x000\x000\x000\x000\x000\x000\0\x000.0\0\0\0\0\0\0\x000\0\0-1\x000\0\0\x000\0\0\x000\x000\0\x000\0\0\0\0\0\x000\0\0\0\0\x000\0\0\0\0\0\0\0\0\0\0\x000\0\0\x000\x000\0\0\x000\0\x000\x000\x000\x000\0\0\0\0\0\0\x000\0\0\0\0\0\0\0\0\x000\x000\x000\x000\0\0\x000\0\0\0";
    pub const PLACE_MKT_WHAT_IF: &[u8] = b"3\x00108\x000\0AAPL\0STK\0\x000.0\0\0\0SMART\0\0USD\0\0\0\0\0SELL\x005\0MKT\0\0\0IOC\0\0\0O\x000\0\x001\x000\x000\x000\x000\x000\x001\x000\0\x000.0\0\0\0\0\0\0\x000\0\0-1\x000\0\0\x000\0\0\x000\x000\0\x000\0\0\0\0\0\x000\0\0\0\0\x000\0\0\0\0\0\0\0\0\0\0\x000\0\0\x000\x000\0\0\x001\0\x000\x000\x000\x000\0\0\0\0\0\0\x000\0\0\0\0\0\0\0\0\x000\x000\x000\x000\0\0\x000\0\0\0";
    pub const CANCEL_ORDER: &[u8] = b"4\x001\x00107\0\0";
    pub const GLOBAL_CANCEL: &[u8] = b"58\x001\0";
    pub const ALL_OPEN_ORDERS: &[u8] = b"16\x001\0";
    pub const AUTO_OPEN_ORDERS: &[u8] = b"15\x001\x001\0";
    pub const COMPLETED_ORDERS_API_ONLY: &[u8] = b"99\x001\0";
    pub const EXECUTIONS_FILTERED: &[u8] = b"7\x003\x00109\x007\0\0\0AAPL\0\0\0BUY\0";
    pub const HISTORICAL_DATA: &[u8] =
        b"20\x00110\x000\0AAPL\0STK\0\x000.0\0\0\0SMART\0\0USD\0\0\x000\0\x005 mins\x001 D\x001\0TRADES\x002\x000\0\0";
    pub const CANCEL_HISTORICAL_DATA: &[u8] = b"25\x001\x00110\0";
    pub const HEAD_TIMESTAMP: &[u8] =
        b"87\x00111\x000\0AAPL\0STK\0\x000.0\0\0\0SMART\0\0USD\0\0\x000\x001\0TRADES\x002\0";
    pub const CANCEL_HEAD_TIMESTAMP: &[u8] = b"90\x00111\0";
    pub const MATCHING_SYMBOLS: &[u8] = b"81\x00112\0AA\0";
    pub const MARKET_RULE: &[u8] = b"91\x0026\0";
    pub const POSITIONS_MULTI: &[u8] = b"74\x001\x00113\0DU1234567\0\0";
    pub const CANCEL_POSITIONS_MULTI: &[u8] = b"75\x001\x00113\0";
    pub const ACCOUNT_UPDATES_MULTI_2: &[u8] = b"76\x001\x00114\0DU1234567\0\x000\0";
    pub const CANCEL_ACCOUNT_UPDATES_MULTI: &[u8] = b"77\x001\x00114\0";
    pub const SCANNER_PARAMETERS: &[u8] = b"24\x001\0";
    pub const PLACE_BAG_ALGO_WHAT_IF: &[u8] = b"3\x00115\x000\0AAPL\0BAG\0\x000.0\0\0\0SMART\0\0USD\0\0\0\0\0BUY\x001\0LMT\x001.5\0\0\0\0\0O\x000\0\x001\x000\x000\x000\x000\x000\x000\x000\x002\x00265598\x001\0BUY\0SMART\x000\x000\0\0-1\x00272093\x001\0SELL\0SMART\x000\x000\0\0-1\x000\x001\0NonGuaranteed\x001\0\x000.0\0\0\0\0\0\0\x000\0\0-1\x000\0\0\x000\0\0\x000\x000\0\x000\0\0\0\0\0\x000\0\0\0\0\x000\0\0\0\0\0\0\0\0\0\0D\x000.5\x000\0\0\x000\x000\0Adaptive\x001\0adaptivePriority\0Normal\0\x001\0\x000\x000\x000\x000\0\0\0\0\0\0\x000\0\0\0\0\0\0\0\0\x000\x000\x000\x000\0\0\x000\0\0\0";
    /// PLACE_LMT at server version 176 (with faProfile).
    pub const PLACE_LMT_176: &[u8] = b"3\x00107\x000\0AAPL\0STK\0\x000.0\0\0\0SMART\0\0USD\0\0\0\0\0BUY\x0010\0LMT\x00150.25\0\0\0\0DU1234567\0O\x000\0ref-1\x001\x000\x000\x000\x000\x000\x000\x000\0\x000.0\0\0\0\0\0\0\0\x000\0\0-1\x000\0\0\x000\0\0\x000\x000\0\x000\0\0\0\0\0\x000\0\0\0\0\x000\0\0\0\0\0\0\0\0\0\0\x000\0\0\x000\x000\0\0\x000\0\x000\x000\x000\x000\0\0\0\0\0\0\x000\0\0\0\0\0\0\0\0\x000\x000\x000\x000\0\0\x000\0\0\0";
}

use frames::*;

fn decode(body: &[u8]) -> Request {
    TextCodec::new(178).decode(body).unwrap_or_else(|e| panic!("{e} in {:?}", String::from_utf8_lossy(body)))
}

fn aapl() -> m::Contract {
    m::Contract {
        con_id: Some(0),
        symbol: Some("AAPL".into()),
        sec_type: Some("STK".into()),
        strike: Some(0.0),
        exchange: Some("SMART".into()),
        currency: Some("USD".into()),
        ..Default::default()
    }
}

// ----- decode ------------------------------------------------------------------------------------

#[test]
fn decodes_the_startup_sync() {
    assert_eq!(
        decode(START_API),
        Request::StartApi(m::StartApiRequest { client_id: Some(7), optional_capabilities: None })
    );
    assert_eq!(decode(POSITIONS), Request::Positions);
    assert_eq!(decode(OPEN_ORDERS), Request::OpenOrders);
    assert_eq!(decode(COMPLETED_ORDERS), Request::CompletedOrders(false));
    assert_eq!(decode(COMPLETED_ORDERS_API_ONLY), Request::CompletedOrders(true));
    assert_eq!(
        decode(ACCOUNT_UPDATES),
        Request::AccountUpdates(m::AccountDataRequest { subscribe: Some(true), acct_code: Some("DU1234567".into()) })
    );
    assert_eq!(
        decode(ACCOUNT_UPDATES_OFF),
        Request::AccountUpdates(m::AccountDataRequest { subscribe: Some(false), acct_code: Some("DU1234567".into()) })
    );
    assert_eq!(
        decode(ACCOUNT_UPDATES_MULTI),
        Request::AccountUpdatesMulti(m::AccountUpdatesMultiRequest {
            req_id: Some(1),
            account: Some("DU1234567".into()),
            model_code: None,
            ledger_and_nlv: Some(false),
        })
    );
    assert_eq!(
        decode(EXECUTIONS),
        Request::Executions(m::ExecutionRequest {
            req_id: Some(2),
            execution_filter: Some(m::ExecutionFilter { client_id: Some(0), ..Default::default() }),
        })
    );
    assert_eq!(
        decode(EXECUTIONS_FILTERED),
        Request::Executions(m::ExecutionRequest {
            req_id: Some(109),
            execution_filter: Some(m::ExecutionFilter {
                client_id: Some(7),
                symbol: Some("AAPL".into()),
                side: Some("BUY".into()),
                ..Default::default()
            }),
        })
    );
    assert_eq!(decode(AUTO_OPEN_ORDERS), Request::AutoOpenOrders(true));
}

#[test]
fn decodes_ids_accounts_time_and_summary() {
    assert_eq!(decode(IDS), Request::Ids(m::IdsRequest { num_ids: Some(1) }));
    assert_eq!(decode(MANAGED_ACCOUNTS), Request::ManagedAccounts);
    assert_eq!(decode(CURRENT_TIME), Request::CurrentTime);
    assert_eq!(
        decode(ACCOUNT_SUMMARY),
        Request::AccountSummary(m::AccountSummaryRequest {
            req_id: Some(100),
            group: Some("All".into()),
            tags: Some("NetLiquidation,$LEDGER:ALL".into()),
        })
    );
    assert_eq!(decode(CANCEL_ACCOUNT_SUMMARY), Request::CancelAccountSummary(100));
    assert_eq!(decode(CANCEL_POSITIONS), Request::CancelPositions);
    assert_eq!(
        decode(PNL),
        Request::PnL(m::PnLRequest { req_id: Some(101), account: Some("DU1234567".into()), model_code: None })
    );
    assert_eq!(decode(CANCEL_PNL), Request::CancelPnL(101));
    assert_eq!(
        decode(PNL_SINGLE),
        Request::PnLSingle(m::PnLSingleRequest {
            req_id: Some(102),
            account: Some("DU1234567".into()),
            model_code: None,
            con_id: Some(265598),
        })
    );
    assert_eq!(decode(CANCEL_PNL_SINGLE), Request::CancelPnLSingle(102));
    assert_eq!(
        decode(POSITIONS_MULTI),
        Request::PositionsMulti(m::PositionsMultiRequest {
            req_id: Some(113),
            account: Some("DU1234567".into()),
            model_code: None,
        })
    );
    assert_eq!(decode(CANCEL_POSITIONS_MULTI), Request::CancelPositionsMulti(113));
    assert!(matches!(decode(ACCOUNT_UPDATES_MULTI_2), Request::AccountUpdatesMulti(r) if r.req_id == Some(114)));
    assert_eq!(decode(CANCEL_ACCOUNT_UPDATES_MULTI), Request::CancelAccountUpdatesMulti(114));
}

#[test]
fn decodes_market_data_requests_with_the_contract_block() {
    assert_eq!(
        decode(MARKET_DATA),
        Request::MarketData(m::MarketDataRequest {
            req_id: Some(103),
            contract: Some(aapl()),
            generic_tick_list: Some("233".into()),
            snapshot: Some(false),
            regulatory_snapshot: Some(false),
        })
    );
    assert_eq!(decode(CANCEL_MARKET_DATA), Request::CancelMarketData(103));
    assert_eq!(decode(MARKET_DATA_TYPE), Request::MarketDataType(3));
    assert_eq!(
        decode(REAL_TIME_BARS),
        Request::RealTimeBars(m::RealTimeBarsRequest {
            req_id: Some(104),
            contract: Some(aapl()),
            bar_size: Some(5),
            what_to_show: Some("MIDPOINT".into()),
            use_rth: Some(true),
        })
    );
    assert_eq!(decode(CANCEL_REAL_TIME_BARS), Request::CancelRealTimeBars(104));
    assert_eq!(
        decode(TICK_BY_TICK),
        Request::TickByTick(m::TickByTickRequest {
            req_id: Some(105),
            contract: Some(aapl()),
            tick_type: Some("BidAsk".into()),
            number_of_ticks: Some(0),
            ignore_size: Some(true),
        })
    );
    assert_eq!(decode(CANCEL_TICK_BY_TICK), Request::CancelTickByTick(105));
    assert_eq!(
        decode(CONTRACT_DETAILS),
        Request::ContractData(m::ContractDataRequest {
            req_id: Some(106),
            contract: Some(m::Contract { con_id: Some(265598), strike: Some(0.0), ..Default::default() }),
        })
    );
    assert_eq!(
        decode(HISTORICAL_DATA),
        Request::HistoricalData(m::HistoricalDataRequest {
            req_id: Some(110),
            contract: Some(aapl()),
            end_date_time: None,
            bar_size_setting: Some("5 mins".into()),
            duration: Some("1 D".into()),
            use_rth: Some(true),
            what_to_show: Some("TRADES".into()),
            format_date: Some(2),
            keep_up_to_date: Some(false),
        })
    );
    assert_eq!(decode(CANCEL_HISTORICAL_DATA), Request::CancelHistoricalData(110));
    assert_eq!(
        decode(HEAD_TIMESTAMP),
        Request::HeadTimestamp(m::HeadTimestampRequest {
            req_id: Some(111),
            contract: Some(aapl()),
            use_rth: Some(true),
            what_to_show: Some("TRADES".into()),
            format_date: Some(2),
        })
    );
    assert_eq!(decode(CANCEL_HEAD_TIMESTAMP), Request::CancelHeadTimestamp(111));
    assert_eq!(
        decode(MATCHING_SYMBOLS),
        Request::MatchingSymbols(m::MatchingSymbolsRequest { req_id: Some(112), pattern: Some("AA".into()) })
    );
    assert_eq!(decode(MARKET_RULE), Request::MarketRule(26));
}

fn placed(body: &[u8], version: i32) -> (i32, m::Contract, m::Order) {
    match TextCodec::new(version).decode(body) {
        Ok(Request::PlaceOrder(r)) => {
            (r.order_id.unwrap_or(0), r.contract.unwrap_or_default(), r.order.unwrap_or_default())
        }
        other => panic!("not a place order: {other:?}"),
    }
}

#[test]
fn decodes_place_order_head_by_index_and_walks_the_tail_to_what_if() {
    let (id, contract, order) = placed(PLACE_LMT, 178);
    assert_eq!(id, 107);
    assert_eq!(contract, aapl());
    assert_eq!(order.action.as_deref(), Some("BUY"));
    assert_eq!(order.total_quantity.as_deref(), Some("10"));
    assert_eq!(order.order_type.as_deref(), Some("LMT"));
    assert_eq!(order.lmt_price, Some(150.25));
    assert_eq!(order.aux_price, None);
    assert_eq!(order.tif, None, "empty tif is DAY");
    assert_eq!(order.account.as_deref(), Some("DU1234567"));
    assert_eq!(order.order_ref.as_deref(), Some("ref-1"));
    assert_eq!(order.transmit, Some(true));
    assert_eq!(order.outside_rth, Some(false));
    assert_eq!(order.what_if, Some(false));

    let (id, _, order) = placed(PLACE_MKT_WHAT_IF, 178);
    assert_eq!(id, 108);
    assert_eq!((order.action.as_deref(), order.order_type.as_deref()), (Some("SELL"), Some("MKT")));
    assert_eq!((order.lmt_price, order.tif.as_deref()), (None, Some("IOC")));
    assert_eq!((order.outside_rth, order.what_if), (Some(true), Some(true)));

    // Combo legs, smart-combo parameters, a hedge and algo parameters sit before whatIf.
    let (id, contract, order) = placed(PLACE_BAG_ALGO_WHAT_IF, 178);
    assert_eq!((id, contract.sec_type.as_deref()), (115, Some("BAG")));
    assert_eq!((order.lmt_price, order.what_if), (Some(1.5), Some(true)));

    // Below 177 the client sends faProfile; the walk follows the negotiated version.
    let (_, _, order) = placed(PLACE_LMT_176, 176);
    assert_eq!((order.lmt_price, order.what_if, order.model_code), (Some(150.25), Some(false), None));
    assert!(TextCodec::new(178).decode(PLACE_LMT_176).is_ok(), "the tail is walked, not checked");
}

#[test]
fn decodes_cancels_and_flags_unserved_and_unknown_ids() {
    assert_eq!(
        decode(CANCEL_ORDER),
        Request::CancelOrder(m::CancelOrderRequest {
            order_id: Some(107),
            order_cancel: Some(m::OrderCancel::default())
        })
    );
    assert_eq!(decode(GLOBAL_CANCEL), Request::GlobalCancel);
    assert_eq!(decode(ALL_OPEN_ORDERS), Request::AllOpenOrders);
    assert_eq!(decode(SCANNER_PARAMETERS), Request::Unsupported { msg_id: 24, req_id: None });
    assert_eq!(decode(b"22\x0042\x005\0"), Request::Unsupported { msg_id: 22, req_id: Some(42) });
    assert_eq!(decode(b"23\x001\x0042\0"), Request::OtherCancel(23));
    let c = TextCodec::new(178);
    assert_eq!(c.decode(b"999\x001\0"), Err(DecodeError::UnknownMessageId(999)));
    assert_eq!(c.decode(b"0\0"), Err(DecodeError::UnknownMessageId(0)));
    assert!(matches!(c.decode(b"hello\0"), Err(DecodeError::TextMessageId(_))));
    let e = c.decode(b"1\x0011\x00abc\0").expect_err("bad req id");
    assert!(matches!(e, DecodeError::TextField { msg_id: 1, index: 2, field: "reqId", .. }), "{e:?}");
    assert_eq!((e.code(), e.notice().starts_with("Error reading request.")), (320, true));
    assert_eq!(DecodeError::UnknownMessageId(999).code(), 505);
    let e = c.decode(b"62\x001\0").expect_err("truncated");
    assert!(e.to_string().contains("reqId") && e.to_string().contains("missing"), "{e}");
}

#[test]
fn every_truncation_of_every_real_frame_decodes_or_fails_cleanly() {
    let all: &[&[u8]] = &[
        START_API,
        POSITIONS,
        EXECUTIONS,
        ACCOUNT_SUMMARY,
        PNL_SINGLE,
        MARKET_DATA,
        REAL_TIME_BARS,
        TICK_BY_TICK,
        CONTRACT_DETAILS,
        PLACE_LMT,
        PLACE_MKT_WHAT_IF,
        PLACE_BAG_ALGO_WHAT_IF,
        HISTORICAL_DATA,
        HEAD_TIMESTAMP,
    ];
    for codec in [TextCodec::new(178), TextCodec::new(176), TextCodec::new(157)] {
        for frame in all {
            for cut in 0..frame.len() {
                let _ = codec.decode(&frame[..cut]);
                let mut garbled = frame.to_vec();
                garbled[cut] = b'x';
                let _ = codec.decode(&garbled);
            }
        }
    }
}

// ----- encode ------------------------------------------------------------------------------------

fn text(version: i32, o: &Outbound) -> String {
    split_fields(&TextCodec::new(version).encode(o)).join("|")
}

fn count(version: i32, o: &Outbound) -> usize {
    split_fields(&TextCodec::new(version).encode(o)).len()
}

fn contract_aapl() -> m::Contract {
    m::Contract {
        con_id: Some(265598),
        symbol: Some("AAPL".into()),
        sec_type: Some("STK".into()),
        exchange: Some("NASDAQ".into()),
        primary_exch: Some("NASDAQ".into()),
        currency: Some("USD".into()),
        local_symbol: Some("AAPL".into()),
        trading_class: Some("NMS".into()),
        ..Default::default()
    }
}

#[test]
fn handshake_replies_have_exactly_three_fields() {
    assert_eq!(text(178, &Outbound::NextValidId(m::NextValidId { order_id: Some(100) })), "9|1|100");
    assert_eq!(
        text(178, &Outbound::ManagedAccounts(m::ManagedAccounts { accounts_list: Some("DU1,DU2".into()) })),
        "15|1|DU1,DU2"
    );
    assert_eq!(text(178, &Outbound::CurrentTime(m::CurrentTime { current_time: Some(1767268800) })), "49|1|1767268800");
}

#[test]
fn err_msg_has_the_advanced_reject_field_from_166() {
    let e = Outbound::Error(m::ErrorMessage {
        id: Some(-1),
        error_time: Some(1),
        error_code: Some(2104),
        error_msg: Some("Market data farm connection is OK:usfarm".into()),
        advanced_order_reject_json: None,
    });
    let body = TextCodec::new(178).encode(&e);
    assert_eq!(body, b"4\x002\x00-1\x002104\x00Market data farm connection is OK:usfarm\x00\x00".to_vec());
    assert_eq!(count(178, &e), 6);
    assert_eq!(count(165, &e), 5);
}

#[test]
fn account_messages_match_the_worked_frames() {
    let pos = Outbound::Position(m::Position {
        account: Some("DU1234567".into()),
        contract: Some(contract_aapl()),
        position: Some("100".into()),
        avg_cost: Some(150.25),
    });
    assert_eq!(text(178, &pos), "61|3|DU1234567|265598|AAPL|STK||0.0|||NASDAQ|USD|AAPL|NMS|100|150.25");
    assert_eq!(count(178, &pos), 16);
    let mut c = contract_aapl();
    c.exchange = Some("SMART".into());
    let pf = Outbound::PortfolioValue(m::PortfolioValue {
        contract: Some(c),
        position: Some("100".into()),
        market_price: Some(151.0),
        market_value: Some(15100.0),
        average_cost: Some(150.25),
        unrealized_pnl: Some(75.0),
        realized_pnl: Some(0.0),
        account_name: Some("DU1234567".into()),
    });
    assert_eq!(
        text(178, &pf),
        "7|8|265598|AAPL|STK||0.0|||NASDAQ|USD|AAPL|NMS|100|151.0|15100.0|150.25|75.0|0.0|DU1234567",
        "the exchange slot carries the primary exchange"
    );
    assert_eq!(count(178, &pf), 20);
    let value = Outbound::AccountValue(m::AccountValue {
        key: Some("NetLiquidation".into()),
        value: Some("100000.00".into()),
        currency: Some("USD".into()),
        account_name: Some("DU1234567".into()),
    });
    assert_eq!(text(178, &value), "6|2|NetLiquidation|100000.00|USD|DU1234567");
    let time = Outbound::AccountUpdateTime(m::AccountUpdateTime { time_stamp: Some("12:00".into()) });
    assert_eq!(text(178, &time), "8|1|12:00");
    let end = Outbound::AccountDownloadEnd(m::AccountDataEnd { account_name: Some("DU1234567".into()) });
    assert_eq!(text(178, &end), "54|1|DU1234567");
    let summary = Outbound::AccountSummary(m::AccountSummary {
        req_id: Some(9),
        account: Some("DU1234567".into()),
        tag: Some("NetLiquidation".into()),
        value: Some("100000.00".into()),
        currency: Some("USD".into()),
    });
    assert_eq!(text(178, &summary), "63|1|9|DU1234567|NetLiquidation|100000.00|USD");
    let multi = Outbound::AccountUpdateMulti(m::AccountUpdateMulti {
        req_id: Some(9),
        account: Some("DU1234567".into()),
        model_code: None,
        key: Some("NetLiquidation".into()),
        value: Some("100000.00".into()),
        currency: Some("USD".into()),
    });
    assert_eq!(text(178, &multi), "73|1|9|DU1234567||NetLiquidation|100000.00|USD");
    let pnl = Outbound::PnL(m::PnL {
        req_id: Some(9),
        daily_pnl: Some(12.5),
        unrealized_pnl: Some(75.0),
        realized_pnl: Some(0.0),
    });
    assert_eq!(text(178, &pnl), "94|9|12.5|75.0|0.0");
    let single = Outbound::PnLSingle(m::PnLSingle {
        req_id: Some(9),
        position: Some("100".into()),
        daily_pnl: Some(1.0),
        unrealized_pnl: Some(2.0),
        realized_pnl: None,
        value: Some(15100.0),
    });
    assert_eq!(text(178, &single), "95|9|100|1.0|2.0||15100.0");
    let pm = Outbound::PositionMulti(m::PositionMulti {
        req_id: Some(9),
        account: Some("DU1234567".into()),
        contract: Some(contract_aapl()),
        position: Some("100".into()),
        avg_cost: Some(150.25),
        model_code: None,
    });
    assert_eq!(count(178, &pm), 18);
}

#[test]
fn market_data_messages_match_the_worked_frames() {
    let bid = Outbound::TickPrice(m::TickPrice {
        req_id: Some(9),
        tick_type: Some(1),
        price: Some(150.1),
        size: Some("300".into()),
        attr_mask: Some(1),
    });
    assert_eq!(text(178, &bid), "1|6|9|1|150.1|300|1");
    let close = Outbound::TickPrice(m::TickPrice {
        req_id: Some(9),
        tick_type: Some(9),
        price: Some(150.0),
        size: None,
        attr_mask: Some(0),
    });
    assert_eq!(text(178, &close), "1|6|9|9|150.0||0", "TICK_PRICE has 7 fields even without a size");
    let vol = Outbound::TickSize(m::TickSize { req_id: Some(9), tick_type: Some(8), size: Some("123456".into()) });
    assert_eq!(text(178, &vol), "2|6|9|8|123456");
    let s =
        Outbound::TickString(m::TickString { req_id: Some(9), tick_type: Some(45), value: Some("1767268800".into()) });
    assert_eq!(text(178, &s), "46|6|9|45|1767268800");
    let g = Outbound::TickGeneric(m::TickGeneric { req_id: Some(9), tick_type: Some(49), value: Some(0.0) });
    assert_eq!(text(178, &g), "45|6|9|49|0.0");
    let ty = Outbound::MarketDataType(m::MarketDataType { req_id: Some(9), market_data_type: Some(1) });
    assert_eq!(text(178, &ty), "58|1|9|1");
    let params = Outbound::TickReqParams(m::TickReqParams {
        req_id: Some(9),
        min_tick: Some("0.01".into()),
        bbo_exchange: Some("9c0001".into()),
        snapshot_permissions: Some(3),
    });
    assert_eq!(text(178, &params), "81|9|0.01|9c0001|3");
    assert_eq!(text(178, &Outbound::TickSnapshotEnd(m::EndByReqId { req_id: Some(9) })), "57|1|9");
    let bar = Outbound::RealTimeBar(m::RealTimeBarTick {
        req_id: Some(9),
        time: Some(1767268800),
        open: Some(1.0),
        high: Some(2.0),
        low: Some(0.5),
        close: Some(1.5),
        volume: Some("1000".into()),
        wap: Some("1.25".into()),
        count: Some(10),
    });
    assert_eq!(text(178, &bar), "50|3|9|1767268800|1.0|2.0|0.5|1.5|1000|1.25|10");
    let last = Outbound::TickByTick(m::TickByTickData {
        req_id: Some(9),
        tick_type: Some(1),
        tick: Some(m::TickByTickBody::Last(m::HistoricalTickLast {
            time: Some(1767268800),
            tick_attrib_last: Some(m::TickAttribLast { past_limit: Some(false), unreported: Some(true) }),
            price: Some(150.11),
            size: Some("10".into()),
            exchange: Some("NASDAQ".into()),
            special_conditions: None,
        })),
    });
    assert_eq!(text(178, &last), "99|9|1|1767268800|150.11|10|2|NASDAQ|");
    let bid_ask = Outbound::TickByTick(m::TickByTickData {
        req_id: Some(9),
        tick_type: Some(3),
        tick: Some(m::TickByTickBody::BidAsk(m::HistoricalTickBidAsk {
            time: Some(1767268800),
            tick_attrib_bid_ask: Some(m::TickAttribBidAsk { bid_past_low: Some(true), ask_past_high: Some(false) }),
            price_bid: Some(150.1),
            price_ask: Some(150.12),
            size_bid: Some("300".into()),
            size_ask: Some("200".into()),
        })),
    });
    assert_eq!(text(178, &bid_ask), "99|9|3|1767268800|150.1|150.12|300|200|1");
    let mid = Outbound::TickByTick(m::TickByTickData {
        req_id: Some(9),
        tick_type: Some(4),
        tick: Some(m::TickByTickBody::MidPoint(m::HistoricalTick {
            time: Some(1767268800),
            price: Some(150.11),
            size: Some("0".into()),
        })),
    });
    assert_eq!(text(178, &mid), "99|9|4|1767268800|150.11");
}

fn contract_details() -> Outbound {
    let mut c = contract_aapl();
    c.exchange = Some("SMART".into());
    let hours = "20260101:0930-20260101:1600".to_string();
    Outbound::ContractData(m::ContractData {
        req_id: Some(9),
        contract: Some(c),
        contract_details: Some(m::ContractDetails {
            market_name: Some("NMS".into()),
            min_tick: Some("0.01".into()),
            order_types: Some("LMT,MKT".into()),
            valid_exchanges: Some("SMART,NASDAQ".into()),
            price_magnifier: Some(1),
            long_name: Some("APPLE INC".into()),
            industry: Some("Technology".into()),
            category: Some("Computers".into()),
            subcategory: Some("Computers".into()),
            time_zone_id: Some("US/Eastern".into()),
            trading_hours: Some(hours.clone()),
            liquid_hours: Some(hours),
            agg_group: Some(1),
            market_rule_ids: Some("26,26".into()),
            stock_type: Some("COMMON".into()),
            min_size: Some("1".into()),
            size_increment: Some("1".into()),
            suggested_size_increment: Some("100".into()),
            ..Default::default()
        }),
    })
}

#[test]
fn contract_data_matches_the_worked_frame_and_older_layouts() {
    let cd = contract_details();
    assert_eq!(
        text(178, &cd),
        "10|9|AAPL|STK||0.0||SMART|USD|AAPL|NMS|NMS|265598|0.01||LMT,MKT|SMART,NASDAQ|1|0|APPLE INC|NASDAQ||Technology|\
         Computers|Computers|US/Eastern|20260101:0930-20260101:1600|20260101:0930-20260101:1600|||0|1|||26,26||COMMON|1|1|100"
    );
    assert_eq!(count(178, &cd), 40);
    // 163: version field and mdSizeMultiplier, suggestedSizeIncrement alone.
    let old = split_fields(&TextCodec::new(163).encode(&cd));
    assert_eq!((old.len(), old[1].as_str(), old[15].as_str(), old[39].as_str()), (40, "8", "1", "100"));
    assert_eq!(count(160, &cd), 39);
    let mut with_ids = cd.clone();
    if let Outbound::ContractData(d) = &mut with_ids {
        if let Some(details) = d.contract_details.as_mut() {
            details.sec_id_list = HashMap::from([("ISIN".to_string(), "US0378331005".to_string())]);
        }
    }
    let f = split_fields(&TextCodec::new(178).encode(&with_ids));
    assert_eq!((f.len(), f[30].as_str(), f[31].as_str(), f[32].as_str()), (42, "1", "ISIN", "US0378331005"));
    assert_eq!(text(178, &Outbound::ContractDataEnd(m::EndByReqId { req_id: Some(9) })), "52|1|9");
}

fn plain_order() -> m::Order {
    m::Order {
        client_id: Some(5),
        order_id: Some(7),
        perm_id: Some(9001),
        action: Some("BUY".into()),
        total_quantity: Some("10".into()),
        order_type: Some("LMT".into()),
        lmt_price: Some(150.25),
        tif: Some("DAY".into()),
        account: Some("DU1234567".into()),
        transmit: Some(true),
        filled_quantity: Some("0".into()),
        ..Default::default()
    }
}

fn open_order(state: m::OrderState) -> Outbound {
    Outbound::OpenOrder(m::OpenOrder {
        order_id: Some(7),
        contract: Some(contract_aapl()),
        order: Some(plain_order()),
        order_state: Some(state),
    })
}

#[test]
fn open_order_has_127_fields_for_a_plain_order_with_client_and_perm_ids() {
    let o = open_order(m::OrderState { status: Some("Submitted".into()), ..Default::default() });
    let f = split_fields(&TextCodec::new(178).encode(&o));
    assert_eq!(f.len(), 127);
    assert_eq!(f[..3], ["5", "7", "265598"]);
    assert_eq!(f[13..19], ["BUY", "10", "LMT", "150.25", "", "DAY"]);
    assert_eq!(
        (f[20].as_str(), f[24].as_str(), f[25].as_str()),
        ("DU1234567", "5", "9001"),
        "account, clientId, permId"
    );
    // Group 7 starts after 13 + 21 + 29 + 10 + 3 + 7 fields: solicited, whatIf, status.
    assert_eq!(f[83..86], ["0", "0", "Submitted"]);
    assert_eq!(count(177, &o), 127);
    assert_eq!(count(176, &o), 128, "faProfile below 177");
    assert_eq!(count(169, &o), 123, "no PEG offsets below 170");
    assert_eq!(count(157, &o), 120, "no duration, postToAts, autoCancelParent below 159/160/162");
    // A what-if answer: whatIf set and the margins as numbers.
    let w = open_order(m::OrderState {
        status: Some("PreSubmitted".into()),
        init_margin_before: Some(100.0),
        init_margin_change: Some(50.5),
        commission_and_fees: Some(1.0),
        ..Default::default()
    });
    let f = split_fields(&TextCodec::new(178).encode(&w));
    assert_eq!(
        (f.len(), f[84].as_str(), f[86].as_str(), f[89].as_str(), f[95].as_str()),
        (127, "1", "100.0", "50.5", "1.0")
    );
}

#[test]
fn completed_order_has_96_fields_for_a_plain_order() {
    let o = Outbound::CompletedOrder(m::CompletedOrder {
        contract: Some(contract_aapl()),
        order: Some(plain_order()),
        order_state: Some(m::OrderState {
            status: Some("Filled".into()),
            completed_time: Some("20260101 12:00:01 US/Eastern".into()),
            completed_status: Some("Filled".into()),
            ..Default::default()
        }),
    });
    let f = split_fields(&TextCodec::new(178).encode(&o));
    assert_eq!(f.len(), 96);
    assert_eq!((f[0].as_str(), f[1].as_str(), f[23].as_str()), ("101", "265598", "9001"), "no order id; permId");
    assert_eq!(f[89..91], ["20260101 12:00:01 US/Eastern", "Filled"]);
    assert_eq!(count(176, &o), 97);
    assert_eq!(text(178, &Outbound::CompletedOrdersEnd), "102");
}

#[test]
fn order_status_execution_and_commission_layouts() {
    let status = Outbound::OrderStatus(m::OrderStatus {
        order_id: Some(7),
        status: Some("Submitted".into()),
        filled: Some("0".into()),
        remaining: Some("10".into()),
        avg_fill_price: Some(0.0),
        perm_id: Some(9001),
        parent_id: Some(0),
        last_fill_price: Some(0.0),
        client_id: Some(5),
        why_held: None,
        mkt_cap_price: None,
    });
    assert_eq!(text(178, &status), "3|7|Submitted|0|10|0.0|9001|0|0.0|5||");
    let exec = Outbound::ExecutionDetails(m::ExecutionDetails {
        req_id: Some(-1),
        contract: Some(contract_aapl()),
        execution: Some(m::Execution {
            order_id: Some(7),
            exec_id: Some("0000e1.01".into()),
            time: Some("20260101 12:00:01 US/Eastern".into()),
            acct_number: Some("DU1234567".into()),
            exchange: Some("NASDAQ".into()),
            side: Some("BOT".into()),
            shares: Some("10".into()),
            price: Some(150.25),
            perm_id: Some(9001),
            client_id: Some(5),
            is_liquidation: None,
            cum_qty: Some("10".into()),
            avg_price: Some(150.25),
            order_ref: None,
            last_liquidity: Some(2),
        }),
    });
    let f = split_fields(&TextCodec::new(178).encode(&exec));
    assert_eq!(f.len(), 32);
    assert_eq!(
        f[14..27],
        [
            "0000e1.01",
            "20260101 12:00:01 US/Eastern",
            "DU1234567",
            "NASDAQ",
            "BOT",
            "10",
            "150.25",
            "9001",
            "5",
            "0",
            "10",
            "150.25",
            ""
        ]
    );
    assert_eq!((f[30].as_str(), f[31].as_str()), ("2", "0"), "lastLiquidity, pendingPriceRevision");
    assert_eq!(count(177, &exec), 31, "no pendingPriceRevision below 178");
    let comm = Outbound::CommissionReport(m::CommissionAndFeesReport {
        exec_id: Some("0000e1.01".into()),
        commission_and_fees: Some(1.0),
        currency: Some("USD".into()),
        realized_pnl: Some(f64::MAX),
        bond_yield: Some(f64::MAX),
        yield_redemption_date: None,
    });
    assert_eq!(text(178, &comm), "59|1|0000e1.01|1.0|USD|||");
    assert_eq!(count(178, &comm), 8);
    assert_eq!(text(178, &Outbound::ExecutionDetailsEnd(m::EndByReqId { req_id: Some(9) })), "55|1|9");
    assert_eq!(text(178, &Outbound::OpenOrderEnd), "53|1");
    assert_eq!(text(178, &Outbound::PositionEnd), "62|1");
}

#[test]
fn historical_bars_travel_with_their_end_in_one_frame() {
    let mut c = TextCodec::new(178);
    let bar = |t: &str, close: f64| m::HistoricalDataBar {
        date: Some(t.into()),
        open: Some(1.0),
        high: Some(2.0),
        low: Some(0.5),
        close: Some(close),
        volume: Some("100".into()),
        wap: Some("1.25".into()),
        bar_count: Some(3),
    };
    let bars = m::HistoricalData {
        req_id: Some(9),
        historical_data_bars: vec![bar("1767268800", 1.5), bar("1767269100", 1.75)],
    };
    assert!(c.encode(&Outbound::HistoricalData(bars)).is_empty(), "held until the end marker");
    let end = m::HistoricalDataEnd {
        req_id: Some(9),
        start_date_str: Some("20260101 06:00:00 US/Eastern".into()),
        end_date_str: Some("20260101 07:00:00 US/Eastern".into()),
    };
    let f = split_fields(&c.encode(&Outbound::HistoricalDataEnd(end.clone())));
    assert_eq!(f.len(), 5 + 2 * 8);
    assert_eq!(f[..6], ["17", "9", "20260101 06:00:00 US/Eastern", "20260101 07:00:00 US/Eastern", "2", "1767268800"]);
    assert_eq!(f[13..], ["1767269100", "1.0", "2.0", "0.5", "1.75", "100", "1.25", "3"]);
    // An end without bars is an empty answer, not a stale one.
    assert_eq!(split_fields(&c.encode(&Outbound::HistoricalDataEnd(end))).len(), 5);
    let update = Outbound::HistoricalDataUpdate(m::HistoricalDataUpdate {
        req_id: Some(9),
        historical_data_bar: Some(bar("1767268800", 1.5)),
    });
    assert_eq!(text(178, &update), "90|9|3|1767268800|1.0|1.5|2.0|0.5|1.25|100", "close before high, as TWS sends it");
    assert!(c
        .encode(&Outbound::CurrentTimeInMillis(m::CurrentTimeInMillis { current_time_in_millis: Some(1) }))
        .is_empty());
}

#[test]
fn symbol_samples_market_rule_and_head_timestamp() {
    let samples = Outbound::SymbolSamples(m::SymbolSamples {
        req_id: Some(9),
        contract_descriptions: vec![m::ContractDescription {
            contract: Some(contract_aapl()),
            derivative_sec_types: vec!["OPT".into(), "WAR".into()],
        }],
    });
    assert_eq!(text(178, &samples), "79|9|1|265598|AAPL|STK|NASDAQ|USD|2|OPT|WAR||");
    assert_eq!(text(175, &samples), "79|9|1|265598|AAPL|STK|NASDAQ|USD|2|OPT|WAR");
    let rule = Outbound::MarketRule(m::MarketRule {
        market_rule_id: Some(26),
        price_increments: vec![m::PriceIncrement { low_edge: Some(0.0), increment: Some(0.01) }],
    });
    assert_eq!(text(178, &rule), "93|26|1|0.0|0.01");
    let head = Outbound::HeadTimestamp(m::HeadTimestamp { req_id: Some(9), head_timestamp: Some("1609459200".into()) });
    assert_eq!(text(178, &head), "88|9|1609459200");
}

/// ib_async 2.1.0's PLACE_ORDER at 178 for a bracket child: SELL 10 TRAIL LIMIT trailing 0.50
/// from 149.50 with a 0.10 limit offset, GTD, OCA group "exits" of type 2, parent 106, not
/// transmitted.
const PLACE_TRAIL_LIMIT_CHILD: &[u8] = b"3\x00109\x00265598\x00AAPL\x00STK\x00\x000.0\x00\x00\x00SMART\x00\x00USD\x00\x00\x00\x00\x00SELL\x0010\x00TRAIL LIMIT\x00\x000.5\x00GTD\x00exits\x00DU1234567\x00O\x000\x00\x000\x00106\x000\x000\x000\x000\x000\x000\x00\x000.0\x00\x0020261208 16:30:00 US/Eastern\x00\x00\x00\x00\x000\x00\x00-1\x002\x00\x00\x000\x00\x00\x000\x000\x00\x000\x00\x00\x00\x00\x00\x000\x00\x00\x00\x00\x000\x00\x00149.5\x00\x00\x00\x00\x00\x00\x00\x00\x000\x00\x00\x000\x000\x00\x00\x000\x00\x000\x000\x000\x000\x00\x00\x000.1\x00\x00\x00\x000\x00\x00\x00\x00\x00\x00\x00\x00\x000\x000\x000\x000\x00\x00\x000\x00\x00\x00\x00";

#[test]
fn decodes_the_group_trailing_and_tif_fields_of_place_order() {
    let (id, _, o) = placed(PLACE_TRAIL_LIMIT_CHILD, 178);
    assert_eq!(id, 109);
    assert_eq!((o.order_type.as_deref(), o.aux_price, o.lmt_price), (Some("TRAIL LIMIT"), Some(0.5), None));
    assert_eq!((o.trail_stop_price, o.trailing_percent, o.lmt_price_offset), (Some(149.5), None, Some(0.1)));
    assert_eq!((o.tif.as_deref(), o.good_till_date.as_deref()), (Some("GTD"), Some("20261208 16:30:00 US/Eastern")));
    assert_eq!((o.oca_group.as_deref(), o.oca_type), (Some("exits"), Some(2)));
    assert_eq!((o.parent_id, o.transmit), (Some(106), Some(false)));
    assert_eq!((o.algo_strategy, o.what_if), (None, Some(false)));
    // A plain limit order has none of them.
    let (_, _, o) = placed(PLACE_LMT, 178);
    assert_eq!((o.lmt_price_offset, o.trail_stop_price, o.oca_group, o.oca_type), (None, None, None, Some(0)));
}
