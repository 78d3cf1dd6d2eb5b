//! Hand-written protobuf messages of the TWS API protobuf dialect: only the subset the simulated
//! gateway reads or writes. Field numbers follow ibapi 5.5.0's schema; every scalar is proto3
//! `optional` so presence is explicit, exactly as the client expects.

use std::collections::HashMap;

// ---------------------------------------------------------------------------------------------
// Shared sub-messages
// ---------------------------------------------------------------------------------------------

#[derive(Clone, PartialEq, prost::Message)]
pub struct Contract {
    #[prost(int32, optional, tag = "1")]
    pub con_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub symbol: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub sec_type: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub last_trade_date_or_contract_month: Option<String>,
    #[prost(double, optional, tag = "5")]
    pub strike: Option<f64>,
    #[prost(string, optional, tag = "6")]
    pub right: Option<String>,
    #[prost(double, optional, tag = "7")]
    pub multiplier: Option<f64>,
    #[prost(string, optional, tag = "8")]
    pub exchange: Option<String>,
    #[prost(string, optional, tag = "9")]
    pub primary_exch: Option<String>,
    #[prost(string, optional, tag = "10")]
    pub currency: Option<String>,
    #[prost(string, optional, tag = "11")]
    pub local_symbol: Option<String>,
    #[prost(string, optional, tag = "12")]
    pub trading_class: Option<String>,
    #[prost(string, optional, tag = "13")]
    pub sec_id_type: Option<String>,
    #[prost(string, optional, tag = "14")]
    pub sec_id: Option<String>,
    #[prost(string, optional, tag = "15")]
    pub description: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Order {
    #[prost(int32, optional, tag = "1")]
    pub client_id: Option<i32>,
    #[prost(int32, optional, tag = "2")]
    pub order_id: Option<i32>,
    #[prost(int64, optional, tag = "3")]
    pub perm_id: Option<i64>,
    #[prost(int32, optional, tag = "4")]
    pub parent_id: Option<i32>,
    #[prost(string, optional, tag = "5")]
    pub action: Option<String>,
    #[prost(string, optional, tag = "6")]
    pub total_quantity: Option<String>,
    #[prost(string, optional, tag = "8")]
    pub order_type: Option<String>,
    #[prost(double, optional, tag = "9")]
    pub lmt_price: Option<f64>,
    #[prost(double, optional, tag = "10")]
    pub aux_price: Option<f64>,
    #[prost(string, optional, tag = "11")]
    pub tif: Option<String>,
    #[prost(string, optional, tag = "12")]
    pub account: Option<String>,
    #[prost(bool, optional, tag = "19")]
    pub outside_rth: Option<bool>,
    #[prost(double, optional, tag = "22")]
    pub trailing_percent: Option<f64>,
    #[prost(double, optional, tag = "23")]
    pub trail_stop_price: Option<f64>,
    #[prost(string, optional, tag = "26")]
    pub good_till_date: Option<String>,
    #[prost(string, optional, tag = "27")]
    pub oca_group: Option<String>,
    #[prost(string, optional, tag = "28")]
    pub order_ref: Option<String>,
    #[prost(int32, optional, tag = "30")]
    pub oca_type: Option<i32>,
    #[prost(string, optional, tag = "61")]
    pub algo_strategy: Option<String>,
    #[prost(bool, optional, tag = "65")]
    pub what_if: Option<bool>,
    #[prost(bool, optional, tag = "66")]
    pub transmit: Option<bool>,
    #[prost(bool, optional, tag = "67")]
    pub override_percentage_constraints: Option<bool>,
    #[prost(double, optional, tag = "99")]
    pub lmt_price_offset: Option<f64>,
    #[prost(string, optional, tag = "103")]
    pub model_code: Option<String>,
    #[prost(string, optional, tag = "115")]
    pub filled_quantity: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct OrderState {
    #[prost(string, optional, tag = "1")]
    pub status: Option<String>,
    #[prost(double, optional, tag = "2")]
    pub init_margin_before: Option<f64>,
    #[prost(double, optional, tag = "3")]
    pub maint_margin_before: Option<f64>,
    #[prost(double, optional, tag = "4")]
    pub equity_with_loan_before: Option<f64>,
    #[prost(double, optional, tag = "5")]
    pub init_margin_change: Option<f64>,
    #[prost(double, optional, tag = "6")]
    pub maint_margin_change: Option<f64>,
    #[prost(double, optional, tag = "7")]
    pub equity_with_loan_change: Option<f64>,
    #[prost(double, optional, tag = "8")]
    pub init_margin_after: Option<f64>,
    #[prost(double, optional, tag = "9")]
    pub maint_margin_after: Option<f64>,
    #[prost(double, optional, tag = "10")]
    pub equity_with_loan_after: Option<f64>,
    #[prost(double, optional, tag = "11")]
    pub commission_and_fees: Option<f64>,
    #[prost(double, optional, tag = "12")]
    pub min_commission_and_fees: Option<f64>,
    #[prost(double, optional, tag = "13")]
    pub max_commission_and_fees: Option<f64>,
    #[prost(string, optional, tag = "14")]
    pub commission_and_fees_currency: Option<String>,
    #[prost(string, optional, tag = "15")]
    pub margin_currency: Option<String>,
    #[prost(string, optional, tag = "28")]
    pub warning_text: Option<String>,
    #[prost(string, optional, tag = "29")]
    pub completed_time: Option<String>,
    #[prost(string, optional, tag = "30")]
    pub completed_status: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Execution {
    #[prost(int32, optional, tag = "1")]
    pub order_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub exec_id: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub time: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub acct_number: Option<String>,
    #[prost(string, optional, tag = "5")]
    pub exchange: Option<String>,
    #[prost(string, optional, tag = "6")]
    pub side: Option<String>,
    #[prost(string, optional, tag = "7")]
    pub shares: Option<String>,
    #[prost(double, optional, tag = "8")]
    pub price: Option<f64>,
    #[prost(int64, optional, tag = "9")]
    pub perm_id: Option<i64>,
    #[prost(int32, optional, tag = "10")]
    pub client_id: Option<i32>,
    #[prost(bool, optional, tag = "11")]
    pub is_liquidation: Option<bool>,
    #[prost(string, optional, tag = "12")]
    pub cum_qty: Option<String>,
    #[prost(double, optional, tag = "13")]
    pub avg_price: Option<f64>,
    #[prost(string, optional, tag = "14")]
    pub order_ref: Option<String>,
    #[prost(int32, optional, tag = "18")]
    pub last_liquidity: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ContractDetails {
    #[prost(string, optional, tag = "1")]
    pub market_name: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub min_tick: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub order_types: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub valid_exchanges: Option<String>,
    #[prost(int32, optional, tag = "5")]
    pub price_magnifier: Option<i32>,
    #[prost(int32, optional, tag = "6")]
    pub under_con_id: Option<i32>,
    #[prost(string, optional, tag = "7")]
    pub long_name: Option<String>,
    #[prost(string, optional, tag = "8")]
    pub contract_month: Option<String>,
    #[prost(string, optional, tag = "9")]
    pub industry: Option<String>,
    #[prost(string, optional, tag = "10")]
    pub category: Option<String>,
    #[prost(string, optional, tag = "11")]
    pub subcategory: Option<String>,
    #[prost(string, optional, tag = "12")]
    pub time_zone_id: Option<String>,
    #[prost(string, optional, tag = "13")]
    pub trading_hours: Option<String>,
    #[prost(string, optional, tag = "14")]
    pub liquid_hours: Option<String>,
    #[prost(map = "string, string", tag = "17")]
    pub sec_id_list: HashMap<String, String>,
    #[prost(int32, optional, tag = "18")]
    pub agg_group: Option<i32>,
    #[prost(string, optional, tag = "21")]
    pub market_rule_ids: Option<String>,
    #[prost(string, optional, tag = "23")]
    pub stock_type: Option<String>,
    #[prost(string, optional, tag = "24")]
    pub min_size: Option<String>,
    #[prost(string, optional, tag = "25")]
    pub size_increment: Option<String>,
    #[prost(string, optional, tag = "26")]
    pub suggested_size_increment: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct OrderCancel {
    #[prost(string, optional, tag = "1")]
    pub manual_order_cancel_time: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub ext_operator: Option<String>,
    #[prost(int32, optional, tag = "3")]
    pub manual_order_indicator: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ExecutionFilter {
    #[prost(int32, optional, tag = "1")]
    pub client_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub acct_code: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub time: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub symbol: Option<String>,
    #[prost(string, optional, tag = "5")]
    pub sec_type: Option<String>,
    #[prost(string, optional, tag = "6")]
    pub exchange: Option<String>,
    #[prost(string, optional, tag = "7")]
    pub side: Option<String>,
    #[prost(int32, optional, tag = "8")]
    pub last_n_days: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TickAttribLast {
    #[prost(bool, optional, tag = "1")]
    pub past_limit: Option<bool>,
    #[prost(bool, optional, tag = "2")]
    pub unreported: Option<bool>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TickAttribBidAsk {
    #[prost(bool, optional, tag = "1")]
    pub bid_past_low: Option<bool>,
    #[prost(bool, optional, tag = "2")]
    pub ask_past_high: Option<bool>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct HistoricalTickLast {
    #[prost(int64, optional, tag = "1")]
    pub time: Option<i64>,
    #[prost(message, optional, tag = "2")]
    pub tick_attrib_last: Option<TickAttribLast>,
    #[prost(double, optional, tag = "3")]
    pub price: Option<f64>,
    #[prost(string, optional, tag = "4")]
    pub size: Option<String>,
    #[prost(string, optional, tag = "5")]
    pub exchange: Option<String>,
    #[prost(string, optional, tag = "6")]
    pub special_conditions: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct HistoricalTickBidAsk {
    #[prost(int64, optional, tag = "1")]
    pub time: Option<i64>,
    #[prost(message, optional, tag = "2")]
    pub tick_attrib_bid_ask: Option<TickAttribBidAsk>,
    #[prost(double, optional, tag = "3")]
    pub price_bid: Option<f64>,
    #[prost(double, optional, tag = "4")]
    pub price_ask: Option<f64>,
    #[prost(string, optional, tag = "5")]
    pub size_bid: Option<String>,
    #[prost(string, optional, tag = "6")]
    pub size_ask: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct HistoricalTick {
    #[prost(int64, optional, tag = "1")]
    pub time: Option<i64>,
    #[prost(double, optional, tag = "2")]
    pub price: Option<f64>,
    #[prost(string, optional, tag = "3")]
    pub size: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Client -> server requests
// ---------------------------------------------------------------------------------------------

#[derive(Clone, PartialEq, prost::Message)]
pub struct StartApiRequest {
    #[prost(int32, optional, tag = "1")]
    pub client_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub optional_capabilities: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct IdsRequest {
    #[prost(int32, optional, tag = "1")]
    pub num_ids: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AccountSummaryRequest {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub group: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub tags: Option<String>,
}

/// Shape shared by every cancel that carries nothing but the request id (account summary,
/// market data, real-time bars, tick-by-tick, PnL, PnL single).
#[derive(Clone, PartialEq, prost::Message)]
pub struct CancelByReqId {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AccountDataRequest {
    #[prost(bool, optional, tag = "1")]
    pub subscribe: Option<bool>,
    #[prost(string, optional, tag = "2")]
    pub acct_code: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct PnLRequest {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub account: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub model_code: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct PnLSingleRequest {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub account: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub model_code: Option<String>,
    #[prost(int32, optional, tag = "4")]
    pub con_id: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct MarketDataRequest {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub contract: Option<Contract>,
    #[prost(string, optional, tag = "3")]
    pub generic_tick_list: Option<String>,
    #[prost(bool, optional, tag = "4")]
    pub snapshot: Option<bool>,
    #[prost(bool, optional, tag = "5")]
    pub regulatory_snapshot: Option<bool>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct MarketDataTypeRequest {
    #[prost(int32, optional, tag = "1")]
    pub market_data_type: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct RealTimeBarsRequest {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub contract: Option<Contract>,
    #[prost(int32, optional, tag = "3")]
    pub bar_size: Option<i32>,
    #[prost(string, optional, tag = "4")]
    pub what_to_show: Option<String>,
    #[prost(bool, optional, tag = "5")]
    pub use_rth: Option<bool>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TickByTickRequest {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub contract: Option<Contract>,
    #[prost(string, optional, tag = "3")]
    pub tick_type: Option<String>,
    #[prost(int32, optional, tag = "4")]
    pub number_of_ticks: Option<i32>,
    #[prost(bool, optional, tag = "5")]
    pub ignore_size: Option<bool>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ContractDataRequest {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub contract: Option<Contract>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct PlaceOrderRequest {
    #[prost(int32, optional, tag = "1")]
    pub order_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub contract: Option<Contract>,
    #[prost(message, optional, tag = "3")]
    pub order: Option<Order>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct CancelOrderRequest {
    #[prost(int32, optional, tag = "1")]
    pub order_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub order_cancel: Option<OrderCancel>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GlobalCancelRequest {
    #[prost(message, optional, tag = "1")]
    pub order_cancel: Option<OrderCancel>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AutoOpenOrdersRequest {
    #[prost(bool, optional, tag = "1")]
    pub auto_bind: Option<bool>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct CompletedOrdersRequest {
    #[prost(bool, optional, tag = "1")]
    pub api_only: Option<bool>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ExecutionRequest {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub execution_filter: Option<ExecutionFilter>,
}

/// Requests with an empty body (positions, cancel positions, open orders, all open orders,
/// managed accounts, current time).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Empty {}

// ---------------------------------------------------------------------------------------------
// Server -> client messages
// ---------------------------------------------------------------------------------------------

#[derive(Clone, PartialEq, prost::Message)]
pub struct ErrorMessage {
    #[prost(int32, optional, tag = "1")]
    pub id: Option<i32>,
    #[prost(int64, optional, tag = "2")]
    pub error_time: Option<i64>,
    #[prost(int32, optional, tag = "3")]
    pub error_code: Option<i32>,
    #[prost(string, optional, tag = "4")]
    pub error_msg: Option<String>,
    #[prost(string, optional, tag = "5")]
    pub advanced_order_reject_json: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct NextValidId {
    #[prost(int32, optional, tag = "1")]
    pub order_id: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ManagedAccounts {
    #[prost(string, optional, tag = "1")]
    pub accounts_list: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct CurrentTime {
    #[prost(int64, optional, tag = "1")]
    pub current_time: Option<i64>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AccountSummary {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub account: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub tag: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub value: Option<String>,
    #[prost(string, optional, tag = "5")]
    pub currency: Option<String>,
}

/// Shape shared by the end markers that carry only the request id (AccountSummaryEnd,
/// ContractDataEnd, ExecutionDetailsEnd, TickSnapshotEnd).
#[derive(Clone, PartialEq, prost::Message)]
pub struct EndByReqId {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Position {
    #[prost(string, optional, tag = "1")]
    pub account: Option<String>,
    #[prost(message, optional, tag = "2")]
    pub contract: Option<Contract>,
    #[prost(string, optional, tag = "3")]
    pub position: Option<String>,
    #[prost(double, optional, tag = "4")]
    pub avg_cost: Option<f64>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AccountValue {
    #[prost(string, optional, tag = "1")]
    pub key: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub value: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub currency: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub account_name: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct PortfolioValue {
    #[prost(message, optional, tag = "1")]
    pub contract: Option<Contract>,
    #[prost(string, optional, tag = "2")]
    pub position: Option<String>,
    #[prost(double, optional, tag = "3")]
    pub market_price: Option<f64>,
    #[prost(double, optional, tag = "4")]
    pub market_value: Option<f64>,
    #[prost(double, optional, tag = "5")]
    pub average_cost: Option<f64>,
    #[prost(double, optional, tag = "6")]
    pub unrealized_pnl: Option<f64>,
    #[prost(double, optional, tag = "7")]
    pub realized_pnl: Option<f64>,
    #[prost(string, optional, tag = "8")]
    pub account_name: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AccountUpdateTime {
    #[prost(string, optional, tag = "1")]
    pub time_stamp: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AccountDataEnd {
    #[prost(string, optional, tag = "1")]
    pub account_name: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct PnL {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(double, optional, tag = "2")]
    pub daily_pnl: Option<f64>,
    #[prost(double, optional, tag = "3")]
    pub unrealized_pnl: Option<f64>,
    #[prost(double, optional, tag = "4")]
    pub realized_pnl: Option<f64>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct PnLSingle {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub position: Option<String>,
    #[prost(double, optional, tag = "3")]
    pub daily_pnl: Option<f64>,
    #[prost(double, optional, tag = "4")]
    pub unrealized_pnl: Option<f64>,
    #[prost(double, optional, tag = "5")]
    pub realized_pnl: Option<f64>,
    #[prost(double, optional, tag = "6")]
    pub value: Option<f64>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TickPrice {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(int32, optional, tag = "2")]
    pub tick_type: Option<i32>,
    #[prost(double, optional, tag = "3")]
    pub price: Option<f64>,
    #[prost(string, optional, tag = "4")]
    pub size: Option<String>,
    #[prost(int32, optional, tag = "5")]
    pub attr_mask: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TickSize {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(int32, optional, tag = "2")]
    pub tick_type: Option<i32>,
    #[prost(string, optional, tag = "3")]
    pub size: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TickString {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(int32, optional, tag = "2")]
    pub tick_type: Option<i32>,
    #[prost(string, optional, tag = "3")]
    pub value: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TickGeneric {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(int32, optional, tag = "2")]
    pub tick_type: Option<i32>,
    #[prost(double, optional, tag = "3")]
    pub value: Option<f64>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct MarketDataType {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(int32, optional, tag = "2")]
    pub market_data_type: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TickReqParams {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub min_tick: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub bbo_exchange: Option<String>,
    #[prost(int32, optional, tag = "4")]
    pub snapshot_permissions: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct RealTimeBarTick {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(int64, optional, tag = "2")]
    pub time: Option<i64>,
    #[prost(double, optional, tag = "3")]
    pub open: Option<f64>,
    #[prost(double, optional, tag = "4")]
    pub high: Option<f64>,
    #[prost(double, optional, tag = "5")]
    pub low: Option<f64>,
    #[prost(double, optional, tag = "6")]
    pub close: Option<f64>,
    #[prost(string, optional, tag = "7")]
    pub volume: Option<String>,
    #[prost(string, optional, tag = "8")]
    pub wap: Option<String>,
    #[prost(int32, optional, tag = "9")]
    pub count: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TickByTickData {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(int32, optional, tag = "2")]
    pub tick_type: Option<i32>,
    #[prost(oneof = "TickByTickBody", tags = "3, 4, 5")]
    pub tick: Option<TickByTickBody>,
}

#[derive(Clone, PartialEq, prost::Oneof)]
pub enum TickByTickBody {
    #[prost(message, tag = "3")]
    Last(HistoricalTickLast),
    #[prost(message, tag = "4")]
    BidAsk(HistoricalTickBidAsk),
    #[prost(message, tag = "5")]
    MidPoint(HistoricalTick),
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct OrderStatus {
    #[prost(int32, optional, tag = "1")]
    pub order_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub status: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub filled: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub remaining: Option<String>,
    #[prost(double, optional, tag = "5")]
    pub avg_fill_price: Option<f64>,
    #[prost(int64, optional, tag = "6")]
    pub perm_id: Option<i64>,
    #[prost(int32, optional, tag = "7")]
    pub parent_id: Option<i32>,
    #[prost(double, optional, tag = "8")]
    pub last_fill_price: Option<f64>,
    #[prost(int32, optional, tag = "9")]
    pub client_id: Option<i32>,
    #[prost(string, optional, tag = "10")]
    pub why_held: Option<String>,
    #[prost(double, optional, tag = "11")]
    pub mkt_cap_price: Option<f64>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct OpenOrder {
    #[prost(int32, optional, tag = "1")]
    pub order_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub contract: Option<Contract>,
    #[prost(message, optional, tag = "3")]
    pub order: Option<Order>,
    #[prost(message, optional, tag = "4")]
    pub order_state: Option<OrderState>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct CompletedOrder {
    #[prost(message, optional, tag = "1")]
    pub contract: Option<Contract>,
    #[prost(message, optional, tag = "2")]
    pub order: Option<Order>,
    #[prost(message, optional, tag = "3")]
    pub order_state: Option<OrderState>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ExecutionDetails {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub contract: Option<Contract>,
    #[prost(message, optional, tag = "3")]
    pub execution: Option<Execution>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct CommissionAndFeesReport {
    #[prost(string, optional, tag = "1")]
    pub exec_id: Option<String>,
    #[prost(double, optional, tag = "2")]
    pub commission_and_fees: Option<f64>,
    #[prost(string, optional, tag = "3")]
    pub currency: Option<String>,
    #[prost(double, optional, tag = "4")]
    pub realized_pnl: Option<f64>,
    #[prost(double, optional, tag = "5")]
    pub bond_yield: Option<f64>,
    #[prost(string, optional, tag = "6")]
    pub yield_redemption_date: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ContractData {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub contract: Option<Contract>,
    #[prost(message, optional, tag = "3")]
    pub contract_details: Option<ContractDetails>,
}

// ---------------------------------------------------------------------------------------------
// Historical data, symbol search, market rules
// ---------------------------------------------------------------------------------------------

#[derive(Clone, PartialEq, prost::Message)]
pub struct HistoricalDataRequest {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub contract: Option<Contract>,
    #[prost(string, optional, tag = "3")]
    pub end_date_time: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub bar_size_setting: Option<String>,
    #[prost(string, optional, tag = "5")]
    pub duration: Option<String>,
    #[prost(bool, optional, tag = "6")]
    pub use_rth: Option<bool>,
    #[prost(string, optional, tag = "7")]
    pub what_to_show: Option<String>,
    #[prost(int32, optional, tag = "8")]
    pub format_date: Option<i32>,
    #[prost(bool, optional, tag = "9")]
    pub keep_up_to_date: Option<bool>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct HistoricalDataBar {
    #[prost(string, optional, tag = "1")]
    pub date: Option<String>,
    #[prost(double, optional, tag = "2")]
    pub open: Option<f64>,
    #[prost(double, optional, tag = "3")]
    pub high: Option<f64>,
    #[prost(double, optional, tag = "4")]
    pub low: Option<f64>,
    #[prost(double, optional, tag = "5")]
    pub close: Option<f64>,
    #[prost(string, optional, tag = "6")]
    pub volume: Option<String>,
    #[prost(string, optional, tag = "7")]
    pub wap: Option<String>,
    #[prost(int32, optional, tag = "8")]
    pub bar_count: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct HistoricalData {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(message, repeated, tag = "2")]
    pub historical_data_bars: Vec<HistoricalDataBar>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct HistoricalDataEnd {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub start_date_str: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub end_date_str: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct HeadTimestampRequest {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub contract: Option<Contract>,
    #[prost(bool, optional, tag = "3")]
    pub use_rth: Option<bool>,
    #[prost(string, optional, tag = "4")]
    pub what_to_show: Option<String>,
    #[prost(int32, optional, tag = "5")]
    pub format_date: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct HeadTimestamp {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub head_timestamp: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct MatchingSymbolsRequest {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub pattern: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ContractDescription {
    #[prost(message, optional, tag = "1")]
    pub contract: Option<Contract>,
    #[prost(string, repeated, tag = "2")]
    pub derivative_sec_types: Vec<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct SymbolSamples {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(message, repeated, tag = "2")]
    pub contract_descriptions: Vec<ContractDescription>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct MarketRuleRequest {
    #[prost(int32, optional, tag = "1")]
    pub market_rule_id: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct PriceIncrement {
    #[prost(double, optional, tag = "1")]
    pub low_edge: Option<f64>,
    #[prost(double, optional, tag = "2")]
    pub increment: Option<f64>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct MarketRule {
    #[prost(int32, optional, tag = "1")]
    pub market_rule_id: Option<i32>,
    #[prost(message, repeated, tag = "2")]
    pub price_increments: Vec<PriceIncrement>,
}

// ---------------------------------------------------------------------------------------------
// Multi-account / model subscriptions
// ---------------------------------------------------------------------------------------------

#[derive(Clone, PartialEq, prost::Message)]
pub struct PositionsMultiRequest {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub account: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub model_code: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct PositionMulti {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub account: Option<String>,
    #[prost(message, optional, tag = "3")]
    pub contract: Option<Contract>,
    #[prost(string, optional, tag = "4")]
    pub position: Option<String>,
    #[prost(double, optional, tag = "5")]
    pub avg_cost: Option<f64>,
    #[prost(string, optional, tag = "6")]
    pub model_code: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AccountUpdatesMultiRequest {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub account: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub model_code: Option<String>,
    #[prost(bool, optional, tag = "4")]
    pub ledger_and_nlv: Option<bool>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AccountUpdateMulti {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub account: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub model_code: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub key: Option<String>,
    #[prost(string, optional, tag = "5")]
    pub value: Option<String>,
    #[prost(string, optional, tag = "6")]
    pub currency: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct CurrentTimeInMillis {
    #[prost(int64, optional, tag = "1")]
    pub current_time_in_millis: Option<i64>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct HistoricalDataUpdate {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub historical_data_bar: Option<HistoricalDataBar>,
}
