//! Text requests into dialect-neutral [`Request`]s. Layouts are those ib_async 2.1 sends
//! (`ib_async/client.py`); ids are the raw TWS ids. Total: any bytes give a request or a
//! [`DecodeError`], never a panic.

use super::super::codec::{DecodeError, Request};
use super::super::ids::req;
use super::super::messages as m;
use super::fields::Cursor;
use super::sv;

/// Request ids of the text API that the gateway knows but does not serve, with the index of
/// their request id (if they have one), so that the error reaches the waiting request.
const UNSERVED: &[(i32, Option<usize>)] = &[
    (10, Some(2)),  // reqMktDepth
    (12, None),     // reqNewsBulletins
    (14, None),     // setServerLogLevel
    (18, None),     // requestFA
    (19, None),     // replaceFA
    (21, Some(2)),  // exerciseOptions
    (22, Some(1)),  // reqScannerSubscription
    (24, None),     // reqScannerParameters
    (52, Some(2)),  // reqFundamentalData
    (54, Some(2)),  // calculateImpliedVolatility
    (55, Some(2)),  // calculateOptionPrice
    (60, None),     // (unused)
    (65, None),     // verifyRequest
    (66, None),     // verifyMessage
    (67, Some(2)),  // queryDisplayGroups
    (68, Some(2)),  // subscribeToGroupEvents
    (69, Some(2)),  // updateDisplayGroup
    (70, Some(2)),  // unsubscribeFromGroupEvents
    (72, None),     // verifyAndAuthRequest
    (73, None),     // verifyAndAuthMessage
    (78, Some(1)),  // reqSecDefOptParams
    (79, Some(1)),  // reqSoftDollarTiers
    (80, None),     // reqFamilyCodes
    (82, None),     // reqMktDepthExchanges
    (83, Some(1)),  // reqSmartComponents
    (84, Some(1)),  // reqNewsArticle
    (85, None),     // reqNewsProviders
    (86, Some(1)),  // reqHistoricalNews
    (88, Some(1)),  // reqHistogramData
    (96, Some(1)),  // reqHistoricalTicks
    (100, Some(1)), // reqWshMetaData
    (102, Some(1)), // reqWshEventData
    (104, Some(1)), // reqUserInfo
];

/// Cancels of unserved request types, accepted silently like IB (the id is the message id).
const OTHER_CANCELS: &[i32] = &[
    11,  // cancelMktDepth
    13,  // cancelNewsBulletins
    23,  // cancelScannerSubscription
    53,  // cancelFundamentalData
    56,  // cancelCalculateImpliedVolatility
    57,  // cancelCalculateOptionPrice
    89,  // cancelHistogramData
    101, // cancelWshMetaData
    103, // cancelWshEventData
];

/// Decodes one text request at server version `version`.
pub(super) fn request(version: i32, body: &[u8]) -> Result<Request, DecodeError> {
    let (id, mut c) = Cursor::new(body)?;
    let c = &mut c;
    Ok(match id {
        req::MARKET_DATA => market_data(c)?,
        req::CANCEL_MARKET_DATA => Request::CancelMarketData(versioned_req_id(c)?),
        req::PLACE_ORDER => place_order(version, c)?,
        req::CANCEL_ORDER => {
            c.int("version")?;
            let order_id = c.req_int("orderId")?;
            let manual_order_cancel_time = c.optional().filter(|s| !s.is_empty()).map(str::to_string);
            Request::CancelOrder(m::CancelOrderRequest {
                order_id: Some(order_id),
                order_cancel: Some(m::OrderCancel { manual_order_cancel_time, ..Default::default() }),
            })
        }
        req::OPEN_ORDERS => versioned(c, Request::OpenOrders)?,
        req::ACCOUNT_DATA => {
            c.int("version")?;
            let subscribe = c.flag("subscribe")?;
            let acct_code = c.opt_string("acctCode")?;
            Request::AccountUpdates(m::AccountDataRequest { subscribe: Some(subscribe), acct_code })
        }
        req::EXECUTIONS => {
            c.int("version")?;
            let req_id = c.req_int("reqId")?;
            let filter = m::ExecutionFilter {
                client_id: c.int("clientId")?,
                acct_code: c.opt_string("acctCode")?,
                time: c.opt_string("time")?,
                symbol: c.opt_string("symbol")?,
                sec_type: c.opt_string("secType")?,
                exchange: c.opt_string("exchange")?,
                side: c.opt_string("side")?,
                last_n_days: None,
            };
            Request::Executions(m::ExecutionRequest { req_id: Some(req_id), execution_filter: Some(filter) })
        }
        req::IDS => {
            c.int("version")?;
            Request::Ids(m::IdsRequest { num_ids: c.int("numIds")? })
        }
        req::CONTRACT_DATA => {
            c.int("version")?;
            let req_id = c.req_int("reqId")?;
            let mut contract = contract(c)?;
            c.flag("includeExpired")?;
            contract.sec_id_type = c.opt_string("secIdType")?;
            contract.sec_id = c.opt_string("secId")?;
            Request::ContractData(m::ContractDataRequest { req_id: Some(req_id), contract: Some(contract) })
        }
        req::AUTO_OPEN_ORDERS => {
            c.int("version")?;
            Request::AutoOpenOrders(c.flag("autoBind")?)
        }
        req::ALL_OPEN_ORDERS => versioned(c, Request::AllOpenOrders)?,
        req::MANAGED_ACCOUNTS => versioned(c, Request::ManagedAccounts)?,
        req::HISTORICAL_DATA => historical_data(c)?,
        req::CANCEL_HISTORICAL_DATA => Request::CancelHistoricalData(versioned_req_id(c)?),
        req::CURRENT_TIME => versioned(c, Request::CurrentTime)?,
        req::REAL_TIME_BARS => {
            c.int("version")?;
            let req_id = c.req_int("reqId")?;
            let contract = contract(c)?;
            let bar_size = c.int("barSize")?;
            let what_to_show = c.opt_string("whatToShow")?;
            let use_rth = c.flag("useRTH")?;
            Request::RealTimeBars(m::RealTimeBarsRequest {
                req_id: Some(req_id),
                contract: Some(contract),
                bar_size,
                what_to_show,
                use_rth: Some(use_rth),
            })
        }
        req::CANCEL_REAL_TIME_BARS => Request::CancelRealTimeBars(versioned_req_id(c)?),
        req::GLOBAL_CANCEL => versioned(c, Request::GlobalCancel)?,
        req::MARKET_DATA_TYPE => {
            c.int("version")?;
            Request::MarketDataType(c.req_int("marketDataType")?)
        }
        req::POSITIONS => versioned(c, Request::Positions)?,
        req::ACCOUNT_SUMMARY => {
            c.int("version")?;
            Request::AccountSummary(m::AccountSummaryRequest {
                req_id: Some(c.req_int("reqId")?),
                group: c.opt_string("groupName")?,
                tags: c.opt_string("tags")?,
            })
        }
        req::CANCEL_ACCOUNT_SUMMARY => Request::CancelAccountSummary(versioned_req_id(c)?),
        req::CANCEL_POSITIONS => versioned(c, Request::CancelPositions)?,
        req::START_API => {
            c.int("version")?;
            Request::StartApi(m::StartApiRequest {
                client_id: Some(c.req_int("clientId")?),
                optional_capabilities: c.optional().filter(|s| !s.is_empty()).map(str::to_string),
            })
        }
        req::POSITIONS_MULTI => {
            c.int("version")?;
            Request::PositionsMulti(m::PositionsMultiRequest {
                req_id: Some(c.req_int("reqId")?),
                account: c.opt_string("account")?,
                model_code: c.opt_string("modelCode")?,
            })
        }
        req::CANCEL_POSITIONS_MULTI => Request::CancelPositionsMulti(versioned_req_id(c)?),
        req::ACCOUNT_UPDATES_MULTI => {
            c.int("version")?;
            Request::AccountUpdatesMulti(m::AccountUpdatesMultiRequest {
                req_id: Some(c.req_int("reqId")?),
                account: c.opt_string("account")?,
                model_code: c.opt_string("modelCode")?,
                ledger_and_nlv: Some(c.flag("ledgerAndNLV")?),
            })
        }
        req::CANCEL_ACCOUNT_UPDATES_MULTI => Request::CancelAccountUpdatesMulti(versioned_req_id(c)?),
        req::MATCHING_SYMBOLS => Request::MatchingSymbols(m::MatchingSymbolsRequest {
            req_id: Some(c.req_int("reqId")?),
            pattern: c.opt_string("pattern")?,
        }),
        req::HEAD_TIMESTAMP => {
            let req_id = c.req_int("reqId")?;
            let contract = contract(c)?;
            c.flag("includeExpired")?;
            let use_rth = c.flag("useRTH")?;
            let what_to_show = c.opt_string("whatToShow")?;
            let format_date = c.int("formatDate")?;
            Request::HeadTimestamp(m::HeadTimestampRequest {
                req_id: Some(req_id),
                contract: Some(contract),
                use_rth: Some(use_rth),
                what_to_show,
                format_date,
            })
        }
        req::CANCEL_HEAD_TIMESTAMP => Request::CancelHeadTimestamp(c.req_int("reqId")?),
        req::MARKET_RULE => Request::MarketRule(c.req_int("marketRuleId")?),
        req::PNL => Request::PnL(m::PnLRequest {
            req_id: Some(c.req_int("reqId")?),
            account: c.opt_string("account")?,
            model_code: c.opt_string("modelCode")?,
        }),
        req::CANCEL_PNL => Request::CancelPnL(c.req_int("reqId")?),
        req::PNL_SINGLE => Request::PnLSingle(m::PnLSingleRequest {
            req_id: Some(c.req_int("reqId")?),
            account: c.opt_string("account")?,
            model_code: c.opt_string("modelCode")?,
            con_id: c.int("conId")?,
        }),
        req::CANCEL_PNL_SINGLE => Request::CancelPnLSingle(c.req_int("reqId")?),
        req::TICK_BY_TICK => {
            let req_id = c.req_int("reqId")?;
            let contract = contract(c)?;
            Request::TickByTick(m::TickByTickRequest {
                req_id: Some(req_id),
                contract: Some(contract),
                tick_type: c.opt_string("tickType")?,
                number_of_ticks: c.int("numberOfTicks")?,
                ignore_size: Some(c.flag("ignoreSize")?),
            })
        }
        req::CANCEL_TICK_BY_TICK => Request::CancelTickByTick(c.req_int("reqId")?),
        req::COMPLETED_ORDERS => Request::CompletedOrders(c.flag("apiOnly")?),
        other if OTHER_CANCELS.contains(&other) => Request::OtherCancel(other),
        other => match UNSERVED.iter().find(|(id, _)| *id == other) {
            Some((_, at)) => Request::Unsupported {
                msg_id: other,
                req_id: at.and_then(|i| c.at(i)).and_then(|s| s.trim().parse().ok()),
            },
            None => return Err(DecodeError::UnknownMessageId(other)),
        },
    })
}

/// A request that is only its id and a version field.
fn versioned(c: &mut Cursor<'_>, r: Request) -> Result<Request, DecodeError> {
    c.int("version")?;
    Ok(r)
}

/// A cancel of the shape `id, version, reqId`.
fn versioned_req_id(c: &mut Cursor<'_>) -> Result<i32, DecodeError> {
    c.int("version")?;
    c.req_int("reqId")
}

/// The 12-field contract block: conId, symbol, secType, lastTradeDateOrContractMonth, strike,
/// right, multiplier, exchange, primaryExchange, currency, localSymbol, tradingClass.
fn contract(c: &mut Cursor<'_>) -> Result<m::Contract, DecodeError> {
    Ok(m::Contract {
        con_id: c.int("conId")?,
        symbol: c.opt_string("symbol")?,
        sec_type: c.opt_string("secType")?,
        last_trade_date_or_contract_month: c.opt_string("lastTradeDateOrContractMonth")?,
        strike: c.double("strike")?,
        right: c.opt_string("right")?,
        // A string in the text API; the protobuf model holds a double.
        multiplier: c.opt_string("multiplier")?.and_then(|s| s.trim().parse().ok()),
        exchange: c.opt_string("exchange")?,
        primary_exch: c.opt_string("primaryExchange")?,
        currency: c.opt_string("currency")?,
        local_symbol: c.opt_string("localSymbol")?,
        trading_class: c.opt_string("tradingClass")?,
        ..Default::default()
    })
}

fn is_bag(contract: &m::Contract) -> bool {
    contract.sec_type.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("BAG"))
}

/// Skips `count, (n fields)×count`.
fn skip_groups(c: &mut Cursor<'_>, name: &'static str, each: usize) -> Result<(), DecodeError> {
    let n = c.count(name, each)?;
    c.skip(n * each, name)
}

/// reqMktData: `1, 11, reqId, contract, [BAG legs], dnc, [conId, delta, price], genericTickList,
/// snapshot, regulatorySnapshot, mktDataOptions`.
fn market_data(c: &mut Cursor<'_>) -> Result<Request, DecodeError> {
    c.int("version")?;
    let req_id = c.req_int("reqId")?;
    let contract = contract(c)?;
    if is_bag(&contract) {
        skip_groups(c, "comboLegs", 4)?;
    }
    if c.flag("deltaNeutralContract")? {
        c.skip(3, "deltaNeutralContract")?;
    }
    let generic_tick_list = c.opt_string("genericTickList")?;
    let snapshot = c.flag("snapshot")?;
    let regulatory_snapshot = c.flag("regulatorySnapshot")?;
    Ok(Request::MarketData(m::MarketDataRequest {
        req_id: Some(req_id),
        contract: Some(contract),
        generic_tick_list,
        snapshot: Some(snapshot),
        regulatory_snapshot: Some(regulatory_snapshot),
    }))
}

/// After `whatIf`: `orderMiscOptions, solicited, randomizeSize, randomizePrice, [PEG BENCH 5],
/// conditionCount, adjustedOrderType, triggerPrice, lmtPriceOffset`. `None` when the message
/// ends early or carries conditions (not walked).
fn limit_offset(c: &mut Cursor<'_>, order_type: &str) -> Option<f64> {
    c.skip(4, "orderMiscOptions..randomizePrice").ok()?;
    if matches!(order_type, "PEG BENCH" | "PEGBENCH") {
        c.skip(5, "peg bench fields").ok()?;
    }
    if c.int("conditionCount").ok()?.unwrap_or(0) != 0 {
        return None;
    }
    c.skip(2, "adjustedOrderType, triggerPrice").ok()?;
    c.double("lmtPriceOffset").ok()?
}

/// reqHistoricalData: `20, reqId, contract, includeExpired, endDateTime, barSizeSetting,
/// durationStr, useRTH, whatToShow, formatDate, [BAG legs], keepUpToDate, chartOptions`.
fn historical_data(c: &mut Cursor<'_>) -> Result<Request, DecodeError> {
    let req_id = c.req_int("reqId")?;
    let contract = contract(c)?;
    c.flag("includeExpired")?;
    let end_date_time = c.opt_string("endDateTime")?;
    let bar_size_setting = c.opt_string("barSizeSetting")?;
    let duration = c.opt_string("durationStr")?;
    let use_rth = c.flag("useRTH")?;
    let what_to_show = c.opt_string("whatToShow")?;
    let format_date = c.int("formatDate")?;
    if is_bag(&contract) {
        skip_groups(c, "comboLegs", 4)?;
    }
    let keep_up_to_date = c.flag("keepUpToDate")?;
    Ok(Request::HistoricalData(m::HistoricalDataRequest {
        req_id: Some(req_id),
        contract: Some(contract),
        end_date_time,
        bar_size_setting,
        duration,
        use_rth: Some(use_rth),
        what_to_show,
        format_date,
        keep_up_to_date: Some(keep_up_to_date),
    }))
}

/// PLACE_ORDER (no version field). The head is read by index (`[1]` orderId, `[2..14]` the
/// contract, `[16]` action ... `[34]` hidden); the tail depends on the order, so it is walked
/// group by group as far as `whatIf`, then (when present and without conditions) on to
/// `lmtPriceOffset`; the rest is ignored. Read on the way: ocaGroup, transmit, parentId,
/// goodTillDate, ocaType, trailStopPrice, trailingPercent, algoStrategy.
fn place_order(version: i32, c: &mut Cursor<'_>) -> Result<Request, DecodeError> {
    let order_id = c.req_int("orderId")?;
    let mut contract = contract(c)?;
    contract.sec_id_type = c.opt_string("secIdType")?;
    contract.sec_id = c.opt_string("secId")?;
    let mut order = m::Order {
        order_id: Some(order_id),
        action: c.opt_string("action")?,
        total_quantity: c.opt_string("totalQuantity")?,
        order_type: c.opt_string("orderType")?,
        lmt_price: c.double("lmtPrice")?,
        aux_price: c.double("auxPrice")?,
        tif: c.opt_string("tif")?,
        ..Default::default()
    };
    order.oca_group = c.opt_string("ocaGroup")?;
    order.account = c.opt_string("account")?;
    c.raw("openClose")?;
    c.int("origin")?;
    order.order_ref = c.opt_string("orderRef")?;
    order.transmit = Some(c.flag("transmit")?);
    order.parent_id = c.int("parentId")?;
    c.skip(4, "blockOrder, sweepToFill, displaySize, triggerMethod")?;
    order.outside_rth = Some(c.flag("outsideRth")?);
    c.flag("hidden")?;
    if is_bag(&contract) {
        skip_groups(c, "comboLegs", 8)?;
        skip_groups(c, "orderComboLegs", 1)?;
        skip_groups(c, "smartComboRoutingParams", 2)?;
    }
    c.skip(3, "sharesAllocation, discretionaryAmt, goodAfterTime")?;
    order.good_till_date = c.opt_string("goodTillDate")?;
    c.skip(3, "faGroup, faMethod, faPercentage")?;
    if version < sv::FA_PROFILE_DESUPPORT {
        c.raw("faProfile")?;
    }
    order.model_code = c.opt_string("modelCode")?;
    // shortSaleSlot ... overridePercentageConstraints
    c.skip(3, "shortSaleSlot, designatedLocation, exemptCode")?;
    order.oca_type = c.int("ocaType")?;
    c.skip(14, "rule80A..stockRangeUpper")?;
    order.override_percentage_constraints = Some(c.flag("overridePercentageConstraints")?);
    c.skip(2, "volatility, volatilityType")?;
    let delta_neutral_order_type = c.raw("deltaNeutralOrderType")?.to_string();
    c.raw("deltaNeutralAuxPrice")?;
    if !delta_neutral_order_type.is_empty() {
        c.skip(8, "deltaNeutral fields")?;
    }
    c.skip(2, "continuousUpdate, referencePriceType")?;
    order.trail_stop_price = c.double("trailStopPrice")?;
    order.trailing_percent = c.double("trailingPercent")?;
    c.skip(2, "scaleInitLevelSize, scaleSubsLevelSize")?;
    let increment = c.double("scalePriceIncrement")?;
    if increment.is_some_and(|x| x > 0.0) {
        c.skip(7, "scale fields")?;
    }
    c.skip(3, "scaleTable, activeStartTime, activeStopTime")?;
    if !c.raw("hedgeType")?.is_empty() {
        c.raw("hedgeParam")?;
    }
    c.skip(4, "optOutSmartRouting, clearingAccount, clearingIntent, notHeld")?;
    if c.flag("deltaNeutralContract")? {
        c.skip(3, "deltaNeutralContract")?;
    }
    order.algo_strategy = c.opt_string("algoStrategy")?;
    if order.algo_strategy.is_some() {
        skip_groups(c, "algoParams", 2)?;
    }
    c.raw("algoId")?;
    order.what_if = Some(c.flag("whatIf")?);
    order.lmt_price_offset = limit_offset(c, order.order_type.as_deref().unwrap_or(""));
    Ok(Request::PlaceOrder(m::PlaceOrderRequest {
        order_id: Some(order_id),
        contract: Some(contract),
        order: Some(order),
    }))
}
