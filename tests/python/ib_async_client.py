"""Drive the simulated gateway with ib_async 2.x, as the Rust integration tests do.

    python ib_async_client.py --port PORT [--client-id N] [--max-version V] COMMAND [options]

Every command connects with ``IB.connectAsync(raiseSyncErrors=True)`` (so a startup sync that
times out fails the command), does its work and prints one JSON object as the last line of
stdout. Errors the gateway reported (``errorEvent``) are collected in ``"errors"``. The Rust
tests (tests/it/gateway/text.rs) parse that object and assert on it.

Commands:
  account      positions, portfolio, account values, account summary, PnL, current time, reqIds
  market       qualifyContracts, reqMktData ticks, reqRealTimeBars, tick-by-tick, history, head
               timestamp, matching symbols, market rule
  order        a limit order that fills (fills, commission), a resting one cancelled, two more
               cancelled by reqGlobalCancel, all open orders, completed orders, executions,
               positions before and after, a what-if, an unknown contract
  place        one order (--symbol --action --qty [--limit]) until it fills; its fills
  observe      positions, executions (reqExecutions) and fills as this client sees them

tests/python/measure_connect.py times the connect and startup sync.
"""

import argparse
import asyncio
import json
import logging
import math
import sys
import time

from ib_async import IB, Client, LimitOrder, MarketOrder, Stock

ACCOUNT = "DU1234567"


def num(x):
    """JSON has no NaN: unset ticker fields become null."""
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def contract_json(c):
    return {
        "conId": c.conId,
        "symbol": c.symbol,
        "secType": c.secType,
        "exchange": c.exchange,
        "primaryExchange": c.primaryExchange,
        "currency": c.currency,
        "localSymbol": c.localSymbol,
        "tradingClass": c.tradingClass,
    }


def fill_json(f):
    e, r = f.execution, f.commissionReport
    return {
        "execId": e.execId,
        "orderId": e.orderId,
        "clientId": e.clientId,
        "permId": e.permId,
        "side": e.side,
        "shares": e.shares,
        "price": e.price,
        "cumQty": e.cumQty,
        "avgPrice": e.avgPrice,
        "account": e.acctNumber,
        "time": e.time.isoformat(),
        "symbol": f.contract.symbol,
        "commission": r.commission,
        "commissionCurrency": r.currency,
        "commissionExecId": r.execId,
    }


def positions_json(ib):
    return [
        {"account": p.account, "symbol": p.contract.symbol, "conId": p.contract.conId,
         "position": p.position, "avgCost": p.avgCost}
        for p in ib.positions()
    ]


async def until(cond, timeout=5.0, step=0.02):
    """Waits until cond() is true; returns whether it became true in time."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(step)
    return True


async def connect(args, errors):
    if args.max_version:
        Client.MaxClientVersion = args.max_version
    ib = IB()
    ib.errorEvent += lambda reqId, code, msg, contract: errors.append({"reqId": reqId, "code": code, "msg": msg})
    await ib.connectAsync("127.0.0.1", args.port, clientId=args.client_id, timeout=4, raiseSyncErrors=True)
    return ib


async def account(ib, args):
    summary = await ib.accountSummaryAsync()
    pnl = ib.reqPnL(ACCOUNT)
    single = ib.reqPnLSingle(ACCOUNT, "", 265598)
    await until(lambda: not math.isnan(pnl.dailyPnL) and not math.isnan(single.position), 3)
    now = await ib.reqCurrentTimeAsync()
    next_ids = []
    ib.wrapper.nextValidId = next_ids.append  # ib_async ignores NEXT_VALID_ID after connecting
    ib.client.reqIds(1)
    await until(lambda: next_ids, 2)
    return {
        "req_ids": next_ids,
        "server_version": ib.client.serverVersion(),
        "accounts": ib.managedAccounts(),
        "positions": positions_json(ib),
        "portfolio": [
            {"symbol": p.contract.symbol, "conId": p.contract.conId, "primaryExchange": p.contract.primaryExchange,
             "position": p.position, "marketPrice": p.marketPrice, "marketValue": p.marketValue,
             "averageCost": p.averageCost, "unrealizedPNL": p.unrealizedPNL, "account": p.account}
            for p in ib.portfolio()
        ],
        "account_values": {f"{v.tag}:{v.currency}": v.value for v in ib.accountValues() if v.account == ACCOUNT},
        "summary": {f"{v.tag}:{v.currency}": v.value for v in summary if v.account == ACCOUNT},
        "pnl": {"daily": num(pnl.dailyPnL), "unrealized": num(pnl.unrealizedPnL), "realized": num(pnl.realizedPnL)},
        "pnl_single": {"position": num(single.position), "value": num(single.value)},
        "current_time": now.timestamp(),
        "next_req_id": ib.client.getReqId(),
    }


async def market(ib, args):
    aapl = Stock("AAPL", "SMART", "USD")
    qualified = await ib.qualifyContractsAsync(aapl, Stock("NOPE", "SMART", "USD"))
    ticker = ib.reqMktData(aapl)
    bars = ib.reqRealTimeBars(aapl, 5, "TRADES", False)
    bid_ask, lasts = [], []
    tbt = ib.reqTickByTickData(aapl, "BidAsk")
    tbt.updateEvent += lambda t: bid_ask.extend(x for x in t.tickByTicks if hasattr(x, "bidPrice"))
    tbt_last = ib.reqTickByTickData(aapl, "Last")
    tbt_last.updateEvent += lambda t: lasts.extend(x for x in t.tickByTicks if hasattr(x, "exchange"))
    got = await until(lambda: ticker.bid > 0 and ticker.ask > 0 and len(bars) >= 2 and len(bid_ask) >= 2
                      and len(lasts) >= 1, 8)
    history = await ib.reqHistoricalDataAsync(aapl, "", "1 D", "1 hour", "TRADES", True)
    head = await ib.reqHeadTimeStampAsync(aapl, "TRADES", True, 2)
    symbols = await ib.reqMatchingSymbolsAsync("MS")
    rule = await ib.reqMarketRuleAsync(26)
    bar = bars[-1] if bars else None
    return {
        "complete": got,
        "qualified": [contract_json(c) if c else None for c in qualified],
        "ticker": {"bid": num(ticker.bid), "ask": num(ticker.ask), "last": num(ticker.last),
                   "close": num(ticker.close), "volume": num(ticker.volume), "bidSize": num(ticker.bidSize),
                   "marketDataType": ticker.marketDataType, "minTick": num(ticker.minTick)},
        "bars": len(bars),
        "bar": None if bar is None else {"time": bar.time.timestamp(), "open": bar.open_, "high": bar.high,
                                         "low": bar.low, "close": bar.close, "volume": bar.volume},
        "bid_ask": [{"bid": t.bidPrice, "ask": t.askPrice, "bidSize": t.bidSize, "askSize": t.askSize}
                    for t in bid_ask[:5]],
        "lasts": [{"price": t.price, "size": t.size, "exchange": t.exchange} for t in lasts[:5]],
        "history": {"bars": len(history), "first_close": history[0].close if history else None,
                    "last_close": history[-1].close if history else None},
        "head_timestamp": head.timestamp() if head else None,
        "matching_symbols": [d.contract.symbol for d in symbols or []],
        "market_rule": [[r.lowEdge, r.increment] for r in rule or []],
    }


async def wait_done(trade, timeout=5):
    await until(lambda: trade.isDone() and all(f.commissionReport.execId for f in trade.fills), timeout)


async def order(ib, args):
    aapl = (await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD")))[0]
    before = {p["symbol"]: p["position"] for p in positions_json(ib)}
    ticker = ib.reqMktData(aapl)
    await until(lambda: ticker.ask > 0 and ticker.bid > 0)
    limit = round(ticker.ask + 0.50, 2)
    trade = ib.placeOrder(aapl, LimitOrder("BUY", 10, limit, account=ACCOUNT, orderRef="text-1"))
    await wait_done(trade)
    await until(lambda: {p["symbol"]: p["position"] for p in positions_json(ib)}.get("AAPL") != before.get("AAPL"))
    after = {p["symbol"]: p["position"] for p in positions_json(ib)}
    resting = ib.placeOrder(aapl, LimitOrder("BUY", 5, round(ticker.bid * 0.8, 2)))
    await until(lambda: resting.orderStatus.status == "Submitted")
    resting_status = resting.orderStatus.status
    ib.cancelOrder(resting.order)
    await until(lambda: resting.orderStatus.status == "Cancelled")
    others = [ib.placeOrder(aapl, LimitOrder("BUY", 1, round(ticker.bid * 0.7, 2))) for _ in range(2)]
    await until(lambda: all(t.orderStatus.status == "Submitted" for t in others))
    open_orders = await ib.reqAllOpenOrdersAsync()
    ib.reqGlobalCancel()
    await until(lambda: all(t.orderStatus.status == "Cancelled" for t in others))
    what_if = await ib.whatIfOrderAsync(aapl, MarketOrder("BUY", 5))
    bad = ib.placeOrder(Stock("NOPE", "SMART", "USD"), MarketOrder("BUY", 1))
    await until(lambda: bad.isDone(), 3)
    completed = await ib.reqCompletedOrdersAsync(False)
    executions = await ib.reqExecutionsAsync()
    trades = {t.order.permId: t.orderStatus.status for t in ib.trades()}
    return {
        "limit": limit,
        "trade": {"orderId": trade.order.orderId, "clientId": trade.order.clientId, "permId": trade.order.permId,
                  "status": trade.orderStatus.status, "filled": trade.orderStatus.filled,
                  "avgFillPrice": trade.orderStatus.avgFillPrice, "log": [e.status for e in trade.log]},
        "fills": [fill_json(f) for f in trade.fills],
        "positions_before": before,
        "positions_after": after,
        "resting": {"orderId": resting.order.orderId, "before_cancel": resting_status,
                    "status": resting.orderStatus.status, "log": [e.status for e in resting.log]},
        "open_orders": [t.order.orderId for t in open_orders],
        "global_cancel": {"orderIds": [t.order.orderId for t in others],
                          "statuses": [t.orderStatus.status for t in others]},
        "what_if": {"status": what_if.status if what_if else None,
                    "initMarginChange": what_if.initMarginChange if what_if else None,
                    "commission": num(what_if.commission) if what_if else None},
        "rejected": {"status": bad.orderStatus.status, "codes": [e.errorCode for e in bad.log if e.errorCode]},
        "completed": [{"symbol": t.contract.symbol, "permId": t.order.permId, "status": t.orderStatus.status,
                       "action": t.order.action, "totalQuantity": t.order.totalQuantity,
                       "filledQuantity": num(t.order.filledQuantity)} for t in completed],
        "executions": [fill_json(f) for f in executions],
        "trades": {str(k): v for k, v in trades.items()},
    }


async def place(ib, args):
    contract = (await ib.qualifyContractsAsync(Stock(args.symbol, "SMART", "USD")))[0]
    o = (LimitOrder(args.action, args.qty, args.limit) if args.limit is not None
         else MarketOrder(args.action, args.qty))
    trade = ib.placeOrder(contract, o)
    await wait_done(trade)
    return {
        "orderId": trade.order.orderId,
        "permId": trade.order.permId,
        "status": trade.orderStatus.status,
        "fills": [fill_json(f) for f in trade.fills],
        "positions": positions_json(ib),
    }


async def observe(ib, args):
    executions = await ib.reqExecutionsAsync()
    # reqExecutions answers with fresh Fill objects; the commission reports land on the fills
    # ib_async already keeps (ib.fills()), filled in by the startup sync.
    await until(lambda: all(f.commissionReport.execId for f in ib.fills()), 2)
    return {
        "positions": positions_json(ib),
        "executions": [fill_json(f) for f in executions],
        "fills": [fill_json(f) for f in ib.fills()],
    }


COMMANDS = {"account": account, "market": market, "order": order, "place": place, "observe": observe}


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--client-id", type=int, default=1)
    p.add_argument("--max-version", type=int, default=0, help="cap ib_async's version range (e.g. 176)")
    p.add_argument("command", choices=list(COMMANDS))
    p.add_argument("--symbol", default="AAPL")
    p.add_argument("--action", default="BUY")
    p.add_argument("--qty", type=float, default=1)
    p.add_argument("--limit", type=float, default=None)
    args = p.parse_args()
    errors = []
    t = time.perf_counter()
    ib = await connect(args, errors)
    connect_s = time.perf_counter() - t
    try:
        out = await COMMANDS[args.command](ib, args)
        out["server_version"] = ib.client.serverVersion()
        out["connect_s"] = connect_s
    finally:
        ib.disconnect()
    out["errors"] = errors
    out["wall_time_s"] = time.time()
    print(json.dumps(out))


if __name__ == "__main__":
    logging.basicConfig(level=logging.CRITICAL, stream=sys.stderr)
    asyncio.run(main())
