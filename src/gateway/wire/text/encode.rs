//! Dialect-neutral [`Outbound`] messages into text frames, with IB's field counts at the
//! negotiated server version (layouts from ib_async 2.1's `decoder.py`; several are unpacked
//! exactly, so a missing or extra field drops the message on the client's side).

use super::super::codec::Outbound;
use super::super::ids::msg;
use super::super::messages as m;
use super::fields::Out;
use super::sv;

/// Which exchange a contract block carries in its exchange slot.
#[derive(Clone, Copy)]
enum Slot {
    Exchange,
    Primary,
}

/// The 11-field contract block of order, execution, position and portfolio messages:
/// conId, symbol, secType, lastTradeDateOrContractMonth, strike, right, multiplier,
/// exchange (or primaryExchange), currency, localSymbol, tradingClass.
fn contract(o: &mut Out, c: Option<&m::Contract>, slot: Slot) {
    let d = m::Contract::default();
    let c = c.unwrap_or(&d);
    o.int(c.con_id.unwrap_or(0)).opt_str(&c.symbol).opt_str(&c.sec_type).opt_str(&c.last_trade_date_or_contract_month);
    strike(o, c.strike);
    o.opt_str(&c.right).dbl(c.multiplier);
    match slot {
        Slot::Exchange => o.opt_str(&c.exchange),
        Slot::Primary => o.opt_str(if c.primary_exch.is_some() { &c.primary_exch } else { &c.exchange }),
    };
    o.opt_str(&c.currency).opt_str(&c.local_symbol).opt_str(&c.trading_class);
}

/// TWS writes an unset strike as `0.0`.
fn strike(o: &mut Out, v: Option<f64>) {
    match v {
        Some(x) if x != 0.0 => o.dbl(Some(x)),
        _ => o.str("0.0"),
    };
}

fn end(id: i32, req_id: Option<i32>) -> Vec<u8> {
    Out::new(id).int(1).int(req_id.unwrap_or(0)).finish()
}

/// One outbound message. Messages that do not exist at these versions (CURRENT_TIME_IN_MILLIS,
/// the separate HISTORICAL_DATA_END) give an empty body.
pub(super) fn outbound(version: i32, out: &Outbound) -> Vec<u8> {
    match out {
        Outbound::Error(e) => {
            let mut o = Out::new(msg::ERR_MSG);
            o.int(2).int(e.id.unwrap_or(-1)).int(e.error_code.unwrap_or(0)).opt_str(&e.error_msg);
            if version >= sv::ADVANCED_ORDER_REJECT {
                o.opt_str(&e.advanced_order_reject_json);
            }
            o.finish()
        }
        Outbound::NextValidId(x) => Out::new(msg::NEXT_VALID_ID).int(1).int(x.order_id.unwrap_or(0)).finish(),
        Outbound::ManagedAccounts(x) => Out::new(msg::MANAGED_ACCTS).int(1).opt_str(&x.accounts_list).finish(),
        Outbound::CurrentTime(x) => Out::new(msg::CURRENT_TIME).int(1).int(x.current_time.unwrap_or(0)).finish(),
        Outbound::AccountSummary(x) => Out::new(msg::ACCOUNT_SUMMARY)
            .int(1)
            .int(x.req_id.unwrap_or(0))
            .opt_str(&x.account)
            .opt_str(&x.tag)
            .opt_str(&x.value)
            .opt_str(&x.currency)
            .finish(),
        Outbound::AccountSummaryEnd(x) => end(msg::ACCOUNT_SUMMARY_END, x.req_id),
        Outbound::Position(x) => {
            let mut o = Out::new(msg::POSITION_DATA);
            o.int(3).opt_str(&x.account);
            contract(&mut o, x.contract.as_ref(), Slot::Exchange);
            o.opt_str(&x.position).dbl(x.avg_cost).finish()
        }
        Outbound::PositionEnd => Out::new(msg::POSITION_END).int(1).finish(),
        Outbound::AccountValue(x) => Out::new(msg::ACCT_VALUE)
            .int(2)
            .opt_str(&x.key)
            .opt_str(&x.value)
            .opt_str(&x.currency)
            .opt_str(&x.account_name)
            .finish(),
        Outbound::PortfolioValue(x) => {
            let mut o = Out::new(msg::PORTFOLIO_VALUE);
            o.int(8);
            contract(&mut o, x.contract.as_ref(), Slot::Primary);
            o.opt_str(&x.position)
                .dbl(x.market_price)
                .dbl(x.market_value)
                .dbl(x.average_cost)
                .dbl(x.unrealized_pnl)
                .dbl(x.realized_pnl)
                .opt_str(&x.account_name)
                .finish()
        }
        Outbound::AccountUpdateTime(x) => Out::new(msg::ACCT_UPDATE_TIME).int(1).opt_str(&x.time_stamp).finish(),
        Outbound::AccountDownloadEnd(x) => Out::new(msg::ACCT_DOWNLOAD_END).int(1).opt_str(&x.account_name).finish(),
        Outbound::PnL(x) => Out::new(msg::PNL)
            .int(x.req_id.unwrap_or(0))
            .dbl(x.daily_pnl)
            .dbl(x.unrealized_pnl)
            .dbl(x.realized_pnl)
            .finish(),
        Outbound::PnLSingle(x) => Out::new(msg::PNL_SINGLE)
            .int(x.req_id.unwrap_or(0))
            .opt_str(&x.position)
            .dbl(x.daily_pnl)
            .dbl(x.unrealized_pnl)
            .dbl(x.realized_pnl)
            .dbl(x.value)
            .finish(),
        Outbound::TickPrice(x) => Out::new(msg::TICK_PRICE)
            .int(6)
            .int(x.req_id.unwrap_or(0))
            .int(x.tick_type.unwrap_or(0))
            .dbl(x.price)
            .opt_str(&x.size)
            .int(x.attr_mask.unwrap_or(0))
            .finish(),
        Outbound::TickSize(x) => Out::new(msg::TICK_SIZE)
            .int(6)
            .int(x.req_id.unwrap_or(0))
            .int(x.tick_type.unwrap_or(0))
            .opt_str(&x.size)
            .finish(),
        Outbound::TickString(x) => Out::new(msg::TICK_STRING)
            .int(6)
            .int(x.req_id.unwrap_or(0))
            .int(x.tick_type.unwrap_or(0))
            .opt_str(&x.value)
            .finish(),
        Outbound::TickGeneric(x) => Out::new(msg::TICK_GENERIC)
            .int(6)
            .int(x.req_id.unwrap_or(0))
            .int(x.tick_type.unwrap_or(0))
            .dbl(x.value)
            .finish(),
        Outbound::MarketDataType(x) => Out::new(msg::MARKET_DATA_TYPE)
            .int(1)
            .int(x.req_id.unwrap_or(0))
            .int(x.market_data_type.unwrap_or(1))
            .finish(),
        Outbound::TickReqParams(x) => Out::new(msg::TICK_REQ_PARAMS)
            .int(x.req_id.unwrap_or(0))
            .opt_str(&x.min_tick)
            .opt_str(&x.bbo_exchange)
            .int(x.snapshot_permissions.unwrap_or(0))
            .finish(),
        Outbound::TickSnapshotEnd(x) => end(msg::TICK_SNAPSHOT_END, x.req_id),
        Outbound::RealTimeBar(x) => Out::new(msg::REAL_TIME_BARS)
            .int(3)
            .int(x.req_id.unwrap_or(0))
            .int(x.time.unwrap_or(0))
            .dbl(x.open)
            .dbl(x.high)
            .dbl(x.low)
            .dbl(x.close)
            .opt_str(&x.volume)
            .opt_str(&x.wap)
            .int(x.count.unwrap_or(0))
            .finish(),
        Outbound::TickByTick(x) => tick_by_tick(x),
        Outbound::ContractData(x) => contract_data(version, x),
        Outbound::ContractDataEnd(x) => end(msg::CONTRACT_DATA_END, x.req_id),
        Outbound::OpenOrder(x) => open_order(version, x),
        Outbound::OpenOrderEnd => Out::new(msg::OPEN_ORDER_END).int(1).finish(),
        Outbound::OrderStatus(x) => Out::new(msg::ORDER_STATUS)
            .int(x.order_id.unwrap_or(0))
            .opt_str(&x.status)
            .opt_str(&x.filled)
            .opt_str(&x.remaining)
            .dbl(x.avg_fill_price)
            .int(x.perm_id.unwrap_or(0))
            .int(x.parent_id.unwrap_or(0))
            .dbl(x.last_fill_price)
            .int(x.client_id.unwrap_or(0))
            .opt_str(&x.why_held)
            .dbl(x.mkt_cap_price)
            .finish(),
        Outbound::CompletedOrder(x) => completed_order(version, x),
        Outbound::CompletedOrdersEnd => Out::new(msg::COMPLETED_ORDERS_END).finish(),
        Outbound::ExecutionDetails(x) => execution(version, x),
        Outbound::ExecutionDetailsEnd(x) => end(msg::EXECUTION_DATA_END, x.req_id),
        Outbound::CommissionReport(x) => Out::new(msg::COMMISSION_REPORT)
            .int(1)
            .opt_str(&x.exec_id)
            .dbl(x.commission_and_fees)
            .opt_str(&x.currency)
            .dbl(x.realized_pnl)
            .dbl(x.bond_yield)
            .opt_str(&x.yield_redemption_date)
            .finish(),
        // Both go through `historical_data` (the codec holds the bars until the end marker).
        Outbound::HistoricalData(_) | Outbound::HistoricalDataEnd(_) => Vec::new(),
        Outbound::HistoricalDataUpdate(x) => {
            let d = m::HistoricalDataBar::default();
            let b = x.historical_data_bar.as_ref().unwrap_or(&d);
            Out::new(msg::HISTORICAL_DATA_UPDATE)
                .int(x.req_id.unwrap_or(0))
                .int(b.bar_count.unwrap_or(0))
                .opt_str(&b.date)
                .dbl(b.open)
                .dbl(b.close)
                .dbl(b.high)
                .dbl(b.low)
                .opt_str(&b.wap)
                .opt_str(&b.volume)
                .finish()
        }
        Outbound::HeadTimestamp(x) => {
            Out::new(msg::HEAD_TIMESTAMP).int(x.req_id.unwrap_or(0)).opt_str(&x.head_timestamp).finish()
        }
        Outbound::SymbolSamples(x) => {
            let mut o = Out::new(msg::SYMBOL_SAMPLES);
            o.int(x.req_id.unwrap_or(0)).int(len(x.contract_descriptions.len()));
            for d in &x.contract_descriptions {
                let c = d.contract.clone().unwrap_or_default();
                o.int(c.con_id.unwrap_or(0))
                    .opt_str(&c.symbol)
                    .opt_str(&c.sec_type)
                    .opt_str(&c.primary_exch)
                    .opt_str(&c.currency)
                    .int(len(d.derivative_sec_types.len()));
                for t in &d.derivative_sec_types {
                    o.str(t);
                }
                if version >= sv::BOND_ISSUERID {
                    o.opt_str(&c.description).str("");
                }
            }
            o.finish()
        }
        Outbound::MarketRule(x) => {
            let mut o = Out::new(msg::MARKET_RULE);
            o.int(x.market_rule_id.unwrap_or(0)).int(len(x.price_increments.len()));
            for p in &x.price_increments {
                o.dbl(p.low_edge).dbl(p.increment);
            }
            o.finish()
        }
        Outbound::PositionMulti(x) => {
            let mut o = Out::new(msg::POSITION_MULTI);
            o.int(1).int(x.req_id.unwrap_or(0)).opt_str(&x.account);
            contract(&mut o, x.contract.as_ref(), Slot::Exchange);
            o.opt_str(&x.position).dbl(x.avg_cost).opt_str(&x.model_code).finish()
        }
        Outbound::PositionMultiEnd(x) => end(msg::POSITION_MULTI_END, x.req_id),
        Outbound::AccountUpdateMulti(x) => Out::new(msg::ACCOUNT_UPDATE_MULTI)
            .int(1)
            .int(x.req_id.unwrap_or(0))
            .opt_str(&x.account)
            .opt_str(&x.model_code)
            .opt_str(&x.key)
            .opt_str(&x.value)
            .opt_str(&x.currency)
            .finish(),
        Outbound::AccountUpdateMultiEnd(x) => end(msg::ACCOUNT_UPDATE_MULTI_END, x.req_id),
        Outbound::CurrentTimeInMillis(_) => Vec::new(),
    }
}

fn len(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// HISTORICAL_DATA with its bars: `17, reqId, startDate, endDate, n, (date, open, high, low,
/// close, volume, wap, count)×n` (no version field; the end marker is implied).
pub(super) fn historical_data(end: &m::HistoricalDataEnd, bars: Option<&m::HistoricalData>) -> Vec<u8> {
    let mut o = Out::new(msg::HISTORICAL_DATA);
    let bars: &[m::HistoricalDataBar] = bars.map(|b| b.historical_data_bars.as_slice()).unwrap_or(&[]);
    o.int(end.req_id.unwrap_or(0)).opt_str(&end.start_date_str).opt_str(&end.end_date_str).int(len(bars.len()));
    for b in bars {
        o.opt_str(&b.date)
            .dbl(b.open)
            .dbl(b.high)
            .dbl(b.low)
            .dbl(b.close)
            .opt_str(&b.volume)
            .opt_str(&b.wap)
            .int(b.bar_count.unwrap_or(0));
    }
    o.finish()
}

/// TICK_BY_TICK (no version): Last/AllLast `price, size, mask, exchange, specialConditions`;
/// BidAsk `bidPrice, askPrice, bidSize, askSize, mask`; MidPoint `midPoint`.
fn tick_by_tick(x: &m::TickByTickData) -> Vec<u8> {
    let mut o = Out::new(msg::TICK_BY_TICK);
    o.int(x.req_id.unwrap_or(0)).int(x.tick_type.unwrap_or(0));
    match &x.tick {
        Some(m::TickByTickBody::Last(t)) => {
            let a = t.tick_attrib_last.clone().unwrap_or_default();
            let mask = i32::from(a.past_limit == Some(true)) | (i32::from(a.unreported == Some(true)) << 1);
            o.int(t.time.unwrap_or(0))
                .dbl(t.price)
                .opt_str(&t.size)
                .int(mask)
                .opt_str(&t.exchange)
                .opt_str(&t.special_conditions);
        }
        Some(m::TickByTickBody::BidAsk(t)) => {
            let a = t.tick_attrib_bid_ask.clone().unwrap_or_default();
            let mask = i32::from(a.bid_past_low == Some(true)) | (i32::from(a.ask_past_high == Some(true)) << 1);
            o.int(t.time.unwrap_or(0))
                .dbl(t.price_bid)
                .dbl(t.price_ask)
                .opt_str(&t.size_bid)
                .opt_str(&t.size_ask)
                .int(mask);
        }
        Some(m::TickByTickBody::MidPoint(t)) => {
            o.int(t.time.unwrap_or(0)).dbl(t.price);
        }
        None => return Vec::new(),
    }
    o.finish()
}

/// CONTRACT_DATA: 40 fields at 178 for a contract without sec ids (§5.3 of the protocol notes).
/// Below 164 it has a version field and `mdSizeMultiplier`, and lacks the size rules.
fn contract_data(version: i32, x: &m::ContractData) -> Vec<u8> {
    let c = x.contract.clone().unwrap_or_default();
    let d = x.contract_details.clone().unwrap_or_default();
    let mut o = Out::new(msg::CONTRACT_DATA);
    if version < sv::SIZE_RULES {
        o.int(8);
    }
    o.int(x.req_id.unwrap_or(0)).opt_str(&c.symbol).opt_str(&c.sec_type).opt_str(&c.last_trade_date_or_contract_month);
    strike(&mut o, c.strike);
    o.opt_str(&c.right)
        .opt_str(&c.exchange)
        .opt_str(&c.currency)
        .opt_str(&c.local_symbol)
        .opt_str(&d.market_name)
        .opt_str(&c.trading_class)
        .int(c.con_id.unwrap_or(0))
        .opt_str(&d.min_tick);
    if version < sv::SIZE_RULES {
        o.int(1);
    }
    o.dbl(c.multiplier)
        .opt_str(&d.order_types)
        .opt_str(&d.valid_exchanges)
        .int(d.price_magnifier.unwrap_or(1))
        .int(d.under_con_id.unwrap_or(0))
        .opt_str(&d.long_name)
        .opt_str(&c.primary_exch)
        .opt_str(&d.contract_month)
        .opt_str(&d.industry)
        .opt_str(&d.category)
        .opt_str(&d.subcategory)
        .opt_str(&d.time_zone_id)
        .opt_str(&d.trading_hours)
        .opt_str(&d.liquid_hours)
        .empty(2); // evRule, evMultiplier
    let mut ids: Vec<_> = d.sec_id_list.iter().collect();
    ids.sort();
    o.int(len(ids.len()));
    for (tag, value) in ids {
        o.str(tag).str(value);
    }
    o.int(d.agg_group.unwrap_or(0))
        .empty(2) // underSymbol, underSecType
        .opt_str(&d.market_rule_ids)
        .str("") // realExpirationDate
        .opt_str(&d.stock_type);
    if version == sv::SUGGESTED_SIZE_INCREMENT {
        o.opt_str(&d.suggested_size_increment);
    } else if version >= sv::SIZE_RULES {
        o.opt_str(&d.min_size).opt_str(&d.size_increment).opt_str(&d.suggested_size_increment);
    }
    o.finish()
}

/// EXECUTION_DATA (no version): 32 fields at 178, 31 below (no `pendingPriceRevision`).
fn execution(version: i32, x: &m::ExecutionDetails) -> Vec<u8> {
    let e = x.execution.clone().unwrap_or_default();
    let mut o = Out::new(msg::EXECUTION_DATA);
    o.int(x.req_id.unwrap_or(-1)).int(e.order_id.unwrap_or(0));
    contract(&mut o, x.contract.as_ref(), Slot::Exchange);
    o.opt_str(&e.exec_id)
        .opt_str(&e.time)
        .opt_str(&e.acct_number)
        .opt_str(&e.exchange)
        .opt_str(&e.side)
        .opt_str(&e.shares)
        .dbl(e.price)
        .int(e.perm_id.unwrap_or(0))
        .int(e.client_id.unwrap_or(0))
        .flag(e.is_liquidation == Some(true))
        .opt_str(&e.cum_qty)
        .dbl(e.avg_price)
        .opt_str(&e.order_ref)
        .empty(2) // evRule, evMultiplier
        .str("") // modelCode
        .int(e.last_liquidity.unwrap_or(0));
    if version >= sv::PENDING_PRICE_REVISION {
        o.flag(false);
    }
    o.finish()
}

/// Which order message: OPEN_ORDER carries a few order fields COMPLETED_ORDER does not.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OrderMsg {
    Open,
    Completed,
}

/// The order fields both messages carry, from `action` to `algoStrategy`, in IB's order; the
/// ones only OPEN_ORDER has are marked. For a plain order: OPEN_ORDER 21 + 29 + 10 + 3 + 7,
/// COMPLETED_ORDER 19 + 23 + 8 + 3 + 6 (one more each below 177, `faProfile`).
fn order_fields(o: &mut Out, version: i32, od: &m::Order, msg: OrderMsg) {
    let open = msg == OrderMsg::Open;
    o.opt_str(&od.action)
        .opt_str(&od.total_quantity)
        .opt_str(&od.order_type)
        .dbl(od.lmt_price)
        .dbl(od.aux_price)
        .opt_str(&od.tif)
        .opt_str(&od.oca_group)
        .opt_str(&od.account)
        .str("") // openClose
        .int(0) // origin
        .opt_str(&od.order_ref);
    if open {
        o.int(od.client_id.unwrap_or(0));
    }
    o.int(od.perm_id.unwrap_or(0))
        .flag(od.outside_rth == Some(true))
        .flag(false) // hidden
        .int(0) // discretionaryAmt
        .str(""); // goodAfterTime
    if open {
        o.str(""); // sharesAllocation
    }
    o.empty(3); // faGroup, faMethod, faPercentage
    if version < sv::FA_PROFILE_DESUPPORT {
        o.str(""); // faProfile
    }
    o.opt_str(&od.model_code)
        .opt_str(&od.good_till_date)
        .empty(3) // rule80A, percentOffset, settlingFirm
        .int(0) // shortSaleSlot
        .str("") // designatedLocation
        .int(-1); // exemptCode
    if open {
        o.int(0); // auctionStrategy
    }
    o.empty(5) // startingPrice, stockRefPrice, delta, stockRangeLower, stockRangeUpper
        .int(0); // displaySize
    if open {
        o.flag(false); // blockOrder
    }
    o.flag(false) // sweepToFill
        .flag(false) // allOrNone
        .str("") // minQty
        .int(od.oca_type.unwrap_or(0));
    if open {
        o.flag(false) // eTradeOnly
            .flag(false) // firmQuoteOnly
            .str("") // nbboPriceCap
            .int(od.parent_id.unwrap_or(0));
    }
    o.int(0) // triggerMethod
        .empty(4) // volatility, volatilityType, deltaNeutralOrderType, deltaNeutralAuxPrice
        .flag(false) // continuousUpdate
        .str("") // referencePriceType
        .dbl(od.trail_stop_price)
        .dbl(od.trailing_percent)
        .empty(if open { 3 } else { 1 }) // [basisPoints, basisPointsType], comboLegsDescrip
        .int(0) // comboLegCount
        .int(0) // orderComboLegCount
        .int(0) // smartComboParamCount
        .empty(3) // scaleInitLevelSize, scaleSubsLevelSize, scalePriceIncrement
        .str(""); // hedgeType
    if open {
        o.flag(false); // optOutSmartRouting
    }
    o.empty(2) // clearingAccount, clearingIntent
        .flag(false) // notHeld
        .flag(false) // deltaNeutralContract present
        .str(""); // algoStrategy
}

/// OPEN_ORDER (no version): 127 fields at 178 for an order without legs, conditions, algo,
/// scale, hedge or delta-neutral parts; 128 below 177 (`faProfile`).
fn open_order(version: i32, x: &m::OpenOrder) -> Vec<u8> {
    let od = x.order.clone().unwrap_or_default();
    let st = x.order_state.clone().unwrap_or_default();
    // What-if answers are the only order states that carry margin figures.
    let what_if = od.what_if == Some(true) || st.init_margin_change.is_some();
    let mut o = Out::new(msg::OPEN_ORDER);
    // Order id and contract (no primaryExchange): 13.
    o.int(x.order_id.or(od.order_id).unwrap_or(0));
    contract(&mut o, x.contract.as_ref(), Slot::Exchange);
    order_fields(&mut o, version, &od, OrderMsg::Open);
    // solicited .. randomizePrice: 19
    o.flag(false)
        .flag(what_if)
        .opt_str(&st.status)
        .dbl(st.init_margin_before)
        .dbl(st.maint_margin_before)
        .dbl(st.equity_with_loan_before)
        .dbl(st.init_margin_change)
        .dbl(st.maint_margin_change)
        .dbl(st.equity_with_loan_change)
        .dbl(st.init_margin_after)
        .dbl(st.maint_margin_after)
        .dbl(st.equity_with_loan_after)
        .dbl(st.commission_and_fees)
        .dbl(st.min_commission_and_fees)
        .dbl(st.max_commission_and_fees)
        .opt_str(&st.commission_and_fees_currency)
        .opt_str(&st.warning_text)
        .flag(false) // randomizeSize
        .flag(false); // randomizePrice
                      // conditions: 1
    o.int(0);
    // adjustments and later additions: 24 at >= 170
    o.empty(2) // adjustedOrderType, triggerPrice
        .dbl(od.trail_stop_price)
        .dbl(od.lmt_price_offset)
        .empty(3) // adjustedStopPrice, adjustedStopLimitPrice, adjustedTrailingAmount
        .int(0) // adjustableTrailingUnit
        .empty(3) // softDollarTier name, value, displayName
        .str("") // cashQty
        .flag(false) // dontUseAutoPriceForHedge
        .flag(false) // isOmsContainer
        .flag(false) // discretionaryUpToLimitPrice
        .str(""); // usePriceMgmtAlgo
    if version >= sv::DURATION {
        o.str("");
    }
    if version >= sv::POST_TO_ATS {
        o.str("");
    }
    if version >= sv::AUTO_CANCEL_PARENT {
        o.flag(false);
    }
    peg_offsets(&mut o, version);
    o.finish()
}

/// minTradeQty, minCompeteSize, competeAgainstBestOffset, midOffsetAtWhole, midOffsetAtHalf.
fn peg_offsets(o: &mut Out, version: i32) {
    if version >= sv::PEGBEST_PEGMID_OFFSETS {
        o.empty(5);
    }
}

/// COMPLETED_ORDER (no version, no order id): 96 fields at 178 for a plain order.
fn completed_order(version: i32, x: &m::CompletedOrder) -> Vec<u8> {
    let od = x.order.clone().unwrap_or_default();
    let st = x.order_state.clone().unwrap_or_default();
    let mut o = Out::new(msg::COMPLETED_ORDER);
    contract(&mut o, x.contract.as_ref(), Slot::Exchange);
    order_fields(&mut o, version, &od, OrderMsg::Completed);
    // solicited, status, randomizeSize, randomizePrice: 4; conditions: 1
    o.flag(false).opt_str(&st.status).flag(false).flag(false).int(0);
    // trailStopPrice .. completedStatus: 15
    o.dbl(od.trail_stop_price)
        .dbl(od.lmt_price_offset)
        .str("") // cashQty
        .flag(false) // dontUseAutoPriceForHedge
        .flag(false) // isOmsContainer
        .str("") // autoCancelDate
        .opt_str(&od.filled_quantity)
        .int(0) // refFuturesConId
        .flag(false) // autoCancelParent
        .str("") // shareholder
        .flag(false) // imbalanceOnly
        .flag(false) // routeMarketableToBbo
        .int(0) // parentPermId
        .opt_str(&st.completed_time)
        .opt_str(&st.completed_status);
    peg_offsets(&mut o, version);
    o.finish()
}
