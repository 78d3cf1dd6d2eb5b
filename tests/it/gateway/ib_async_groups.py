"""A bracket (ib.bracketOrder) and an OCA pair (ib.oneCancelsAll, type 2) from ib_async 2.x
against the simulated gateway, for tests/it/gateway/text.rs.

    python ib_async_groups.py --port PORT --client-id N --ask PRICE

The Rust test moves the market (the gateway's move knob) while this runs: up through the
target once the entry has filled, then up through the near OCA member once both are working.
Prints one JSON object as the last line of stdout.
"""

import argparse
import asyncio
import json
import time

from ib_async import IB, LimitOrder, Stock


async def until(cond, timeout=20.0, step=0.02):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(step)
    return True


def trade_json(t):
    return {
        "orderId": t.order.orderId,
        "parentId": t.order.parentId,
        "status": t.orderStatus.status,
        "filled": t.orderStatus.filled,
        "totalQuantity": t.order.totalQuantity,
        "whyHeld": t.orderStatus.whyHeld,
        "log": [e.status for e in t.log],
        "fills": sum(f.execution.shares for f in t.fills),
    }


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--client-id", type=int, required=True)
    ap.add_argument("--ask", type=float, required=True)
    args = ap.parse_args()
    errors = []
    ib = IB()
    ib.errorEvent += lambda reqId, code, msg, contract: errors.append({"reqId": reqId, "code": code, "msg": msg})
    await ib.connectAsync("127.0.0.1", args.port, clientId=args.client_id, timeout=4, raiseSyncErrors=True)
    aapl = Stock("AAPL", "SMART", "USD")
    await ib.qualifyContractsAsync(aapl)
    ask = args.ask
    out = {"errors": errors}

    # A bracket with a marketable entry: it fills as the stop (transmit=True) goes out.
    bracket = ib.bracketOrder("BUY", 10, round(ask + 0.50, 2), round(ask + 1.00, 2), round(ask - 1.00, 2))
    parent, take, stop = [ib.placeOrder(aapl, o) for o in bracket]
    out["transmit"] = [o.transmit for o in bracket]
    # (The test may move the market on as soon as the gateway has the exits working: look at
    # the target's history, not only its status now.)
    ok = await until(lambda: parent.orderStatus.status == "Filled" and "Submitted" in [e.status for e in take.log])
    out["after_entry"] = {"ok": ok, "parent": trade_json(parent), "take": trade_json(take), "stop": trade_json(stop)}
    # The test moves the market up through the target now.
    ok = await until(lambda: take.orderStatus.status == "Filled" and stop.orderStatus.status == "Cancelled")
    out["after_target"] = {"ok": ok, "take": trade_json(take), "stop": trade_json(stop)}

    # OCA, reduce with block: the near member fills 4, the far one is reduced to 6.
    px = take.fills[0].execution.price if take.fills else ask + 1.0
    near = LimitOrder("SELL", 4, round(px + 0.10, 2))
    far = LimitOrder("SELL", 10, round(px + 10.00, 2))
    near, far = [ib.placeOrder(aapl, o) for o in ib.oneCancelsAll([near, far], "robo-oca", 2)]
    ok = await until(lambda: near.orderStatus.status == "Filled" and far.order.totalQuantity == 6)
    out["oca"] = {"ok": ok, "near": trade_json(near), "far": trade_json(far)}
    ib.disconnect()
    print(json.dumps(out))


asyncio.run(main())
