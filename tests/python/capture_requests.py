"""Capture the request frames ib_async 2.x sends, byte for byte.

Runs a tiny fake gateway on loopback that answers just enough of the handshake and the
startup sync (NextValidId, ManagedAccounts and the end markers) for ``IB.connect`` to finish,
then drives one call of every request the simulated gateway serves through ``ib.client`` and
prints each received frame body as a Python bytes literal, one per line. The text codec's
unit tests (src/gateway/wire/text/decode.rs) embed these frames.

    python tests/python/capture_requests.py [server_version]
"""

import asyncio
import struct
import sys

from ib_async import IB, ComboLeg, Contract, ExecutionFilter, LimitOrder, MarketOrder, Stock, TagValue

VERSION = int(sys.argv[1]) if len(sys.argv) > 1 else 178
frames: list[bytes] = []


def frame(*fields) -> bytes:
    body = b"".join(str(f).encode() + b"\0" for f in fields)
    return struct.pack(">I", len(body)) + body


async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
    assert await reader.readexactly(4) == b"API\0"
    n = struct.unpack(">I", await reader.readexactly(4))[0]
    frames.append(await reader.readexactly(n))
    writer.write(frame(VERSION, "20260101 12:00:00 US/Eastern"))
    while True:
        try:
            n = struct.unpack(">I", await reader.readexactly(4))[0]
            body = await reader.readexactly(n)
        except (asyncio.IncompleteReadError, asyncio.CancelledError, ConnectionError):
            return
        frames.append(body)
        f = body.split(b"\0")
        msg = int(f[0])
        replies = {
            71: [frame(9, 1, 1), frame(15, 1, "DU1234567")],
            61: [frame(62, 1)],
            5: [frame(53, 1)],
            99: [frame(102)],
            6: [frame(54, 1, "DU1234567")],
            76: [frame(74, 1, f[2].decode())],
            7: [frame(55, 1, f[2].decode())],
        }.get(msg, [])
        for r in replies:
            writer.write(r)
        await writer.drain()


async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    ib = IB()
    await ib.connectAsync("127.0.0.1", port, clientId=7, timeout=4)
    c = ib.client
    c.MaxRequests = 0  # no throttling: send every request at once
    aapl = Stock("AAPL", "SMART", "USD")
    c.reqIds(1)
    c.reqManagedAccts()
    c.reqCurrentTime()
    c.reqAccountSummary(100, "All", "NetLiquidation,$LEDGER:ALL")
    c.cancelAccountSummary(100)
    c.reqAccountUpdates(False, "DU1234567")
    c.cancelPositions()
    c.reqPnL(101, "DU1234567", "")
    c.cancelPnL(101)
    c.reqPnLSingle(102, "DU1234567", "", 265598)
    c.cancelPnLSingle(102)
    c.reqMktData(103, aapl, "233", False, False, [])
    c.cancelMktData(103)
    c.reqMarketDataType(3)
    c.reqRealTimeBars(104, aapl, 5, "MIDPOINT", True, [])
    c.cancelRealTimeBars(104)
    c.reqTickByTickData(105, aapl, "BidAsk", 0, True)
    c.cancelTickByTickData(105)
    c.reqContractDetails(106, Contract(conId=265598))
    c.placeOrder(107, aapl, LimitOrder("BUY", 10, 150.25, account="DU1234567", orderRef="ref-1"))
    c.placeOrder(108, aapl, MarketOrder("SELL", 5, tif="IOC", outsideRth=True, whatIf=True))
    c.cancelOrder(107, "")
    c.reqGlobalCancel()
    c.reqAllOpenOrders()
    c.reqAutoOpenOrders(True)
    c.reqCompletedOrders(True)
    c.reqExecutions(109, ExecutionFilter(clientId=7, symbol="AAPL", side="BUY"))
    c.reqHistoricalData(110, aapl, "", "1 D", "5 mins", "TRADES", True, 2, False, [])
    c.cancelHistoricalData(110)
    c.reqHeadTimeStamp(111, aapl, "TRADES", True, 2)
    c.cancelHeadTimeStamp(111)
    c.reqMatchingSymbols(112, "AA")
    c.reqMarketRule(26)
    c.reqPositionsMulti(113, "DU1234567", "")
    c.cancelPositionsMulti(113)
    c.reqAccountUpdatesMulti(114, "DU1234567", "", False)
    c.cancelAccountUpdatesMulti(114)
    c.reqScannerParameters()
    # A combo order with an algo: the variable-length groups before whatIf.
    legs = [ComboLeg(conId=265598, ratio=1, action="BUY", exchange="SMART"),
            ComboLeg(conId=272093, ratio=1, action="SELL", exchange="SMART")]
    bag = Contract(secType="BAG", symbol="AAPL", exchange="SMART", currency="USD", comboLegs=legs)
    algo = LimitOrder("BUY", 1, 1.5, algoStrategy="Adaptive", whatIf=True, hedgeType="D", hedgeParam="0.5",
                      algoParams=[TagValue("adaptivePriority", "Normal")],
                      smartComboRoutingParams=[TagValue("NonGuaranteed", "1")])
    c.placeOrder(115, bag, algo)
    await asyncio.sleep(0.3)
    ib.disconnect()
    await asyncio.sleep(0.1)
    server.close()
    for body in frames:
        print(repr(body))


asyncio.run(main())
