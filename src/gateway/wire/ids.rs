//! Message ids of the TWS API (the protobuf dialect adds 200 on the wire).

/// Offset added to every message id in the protobuf dialect.
pub const PROTOBUF_OFFSET: i32 = 200;

/// Client -> server.
pub mod req {
    pub const MARKET_DATA: i32 = 1;
    pub const CANCEL_MARKET_DATA: i32 = 2;
    pub const PLACE_ORDER: i32 = 3;
    pub const CANCEL_ORDER: i32 = 4;
    pub const OPEN_ORDERS: i32 = 5;
    pub const ACCOUNT_DATA: i32 = 6;
    pub const EXECUTIONS: i32 = 7;
    pub const IDS: i32 = 8;
    pub const CONTRACT_DATA: i32 = 9;
    pub const AUTO_OPEN_ORDERS: i32 = 15;
    pub const ALL_OPEN_ORDERS: i32 = 16;
    pub const MANAGED_ACCOUNTS: i32 = 17;
    pub const CURRENT_TIME: i32 = 49;
    pub const REAL_TIME_BARS: i32 = 50;
    pub const CANCEL_REAL_TIME_BARS: i32 = 51;
    pub const GLOBAL_CANCEL: i32 = 58;
    pub const MARKET_DATA_TYPE: i32 = 59;
    pub const POSITIONS: i32 = 61;
    pub const ACCOUNT_SUMMARY: i32 = 62;
    pub const CANCEL_ACCOUNT_SUMMARY: i32 = 63;
    pub const CANCEL_POSITIONS: i32 = 64;
    pub const START_API: i32 = 71;
    pub const PNL: i32 = 92;
    pub const CANCEL_PNL: i32 = 93;
    pub const PNL_SINGLE: i32 = 94;
    pub const CANCEL_PNL_SINGLE: i32 = 95;
    pub const TICK_BY_TICK: i32 = 97;
    pub const CANCEL_TICK_BY_TICK: i32 = 98;
    pub const COMPLETED_ORDERS: i32 = 99;
    pub const HISTORICAL_DATA: i32 = 20;
    pub const CANCEL_HISTORICAL_DATA: i32 = 25;
    pub const MATCHING_SYMBOLS: i32 = 81;
    pub const HEAD_TIMESTAMP: i32 = 87;
    pub const CANCEL_HEAD_TIMESTAMP: i32 = 90;
    pub const MARKET_RULE: i32 = 91;
    pub const POSITIONS_MULTI: i32 = 74;
    pub const CANCEL_POSITIONS_MULTI: i32 = 75;
    pub const ACCOUNT_UPDATES_MULTI: i32 = 76;
    pub const CANCEL_ACCOUNT_UPDATES_MULTI: i32 = 77;
    pub const CURRENT_TIME_IN_MILLIS: i32 = 105;
    /// Cancels of request types the gateway does not serve: accepted silently, as IB does.
    pub const OTHER_CANCELS: &[i32] = &[
        11,  // market depth
        13,  // news bulletins
        23,  // scanner subscription
        53,  // fundamental data
        56,  // implied volatility
        57,  // option price
        89,  // histogram data
        101, // WSH metadata
        103, // WSH event data
        106, // contract data
        107, // historical ticks
    ];
}

/// Server -> client.
pub mod msg {
    pub const TICK_PRICE: i32 = 1;
    pub const TICK_SIZE: i32 = 2;
    pub const ORDER_STATUS: i32 = 3;
    pub const ERR_MSG: i32 = 4;
    pub const OPEN_ORDER: i32 = 5;
    pub const ACCT_VALUE: i32 = 6;
    pub const PORTFOLIO_VALUE: i32 = 7;
    pub const ACCT_UPDATE_TIME: i32 = 8;
    pub const NEXT_VALID_ID: i32 = 9;
    pub const CONTRACT_DATA: i32 = 10;
    pub const EXECUTION_DATA: i32 = 11;
    pub const MANAGED_ACCTS: i32 = 15;
    pub const TICK_GENERIC: i32 = 45;
    pub const TICK_STRING: i32 = 46;
    pub const CURRENT_TIME: i32 = 49;
    pub const REAL_TIME_BARS: i32 = 50;
    pub const CONTRACT_DATA_END: i32 = 52;
    pub const OPEN_ORDER_END: i32 = 53;
    pub const ACCT_DOWNLOAD_END: i32 = 54;
    pub const EXECUTION_DATA_END: i32 = 55;
    pub const TICK_SNAPSHOT_END: i32 = 57;
    pub const MARKET_DATA_TYPE: i32 = 58;
    pub const COMMISSION_REPORT: i32 = 59;
    pub const POSITION_DATA: i32 = 61;
    pub const POSITION_END: i32 = 62;
    pub const ACCOUNT_SUMMARY: i32 = 63;
    pub const ACCOUNT_SUMMARY_END: i32 = 64;
    pub const TICK_REQ_PARAMS: i32 = 81;
    pub const PNL: i32 = 94;
    pub const PNL_SINGLE: i32 = 95;
    pub const TICK_BY_TICK: i32 = 99;
    pub const COMPLETED_ORDER: i32 = 101;
    pub const COMPLETED_ORDERS_END: i32 = 102;
    pub const HISTORICAL_DATA: i32 = 17;
    pub const SYMBOL_SAMPLES: i32 = 79;
    pub const HEAD_TIMESTAMP: i32 = 88;
    pub const MARKET_RULE: i32 = 93;
    pub const HISTORICAL_DATA_END: i32 = 108;
    pub const POSITION_MULTI: i32 = 71;
    pub const POSITION_MULTI_END: i32 = 72;
    pub const ACCOUNT_UPDATE_MULTI: i32 = 73;
    pub const ACCOUNT_UPDATE_MULTI_END: i32 = 74;
    pub const CURRENT_TIME_IN_MILLIS: i32 = 109;
    pub const HISTORICAL_DATA_UPDATE: i32 = 90;
}
