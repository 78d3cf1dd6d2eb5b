"""The Python stack robo-tui replaces, timed by benches/vs_ib_async.sh as a whole process:
import ib_async, connect (its startup sync included), account summary, positions, disconnect."""

import sys

from ib_async import IB

port = int(sys.argv[1])
ib = IB()
ib.connect("127.0.0.1", port, clientId=5, timeout=10)
summary = ib.accountSummary()
positions = ib.positions()
ib.disconnect()
if not summary or not positions:
    sys.exit(f"ib_async got {len(summary)} summary values and {len(positions)} positions")
