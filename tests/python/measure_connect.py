"""Measure, against one running gateway, ib_async's connect plus startup sync and the wall
time of ``robo-tui check``.

    robo-tui gateway --port 4799 &            # the release build, standalone
    python tests/python/measure_connect.py --port 4799 --robo-tui target/release/robo-tui

ib_async: ``IB.connectAsync(timeout=4, raiseSyncErrors=True)`` wall time (handshake, START_API,
NextValidId and ManagedAccounts, then positions, open and completed orders, account updates,
account updates multi and executions), N times in one process, a new client id each time.
robo-tui: ``robo-tui check --host 127.0.0.1 --port P --client-id C`` as a process (start-up,
every subsystem, connect, account fetch, report), N times, each with empty config, data and log
folders. Prints every sample and the medians as JSON.
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import tempfile
import time

from ib_async import IB


async def ib_async_times(port: int, n: int, first_id: int) -> list[float]:
    times = []
    for i in range(n):
        ib = IB()
        t = time.perf_counter()
        await ib.connectAsync("127.0.0.1", port, clientId=first_id + i, timeout=4, raiseSyncErrors=True)
        times.append(time.perf_counter() - t)
        ib.disconnect()
    return times


def check_times(robo_tui: str, port: int, n: int, first_id: int) -> list[float]:
    times = []
    for i in range(n):
        with tempfile.TemporaryDirectory() as root:
            env = dict(os.environ)
            for key, sub in [("ROBO_TUI_CONFIG_DIR", "config"), ("ROBO_TUI_DATA_DIR", "data"),
                             ("ROBO_TUI_LOG_DIR", "log")]:
                env[key] = os.path.join(root, sub)
            env.pop("RUST_LOG", None)
            env.pop("ROBO_TUI_LOG", None)
            cmd = [robo_tui, "check", "--host", "127.0.0.1", "--port", str(port), "--client-id", str(first_id + i)]
            t = time.perf_counter()
            done = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            times.append(time.perf_counter() - t)
            if done.returncode != 0:
                raise SystemExit(f"robo-tui check exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return times


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--robo-tui", required=True)
    p.add_argument("--n", type=int, default=10)
    args = p.parse_args()
    ib = asyncio.run(ib_async_times(args.port, args.n, 300))
    check = check_times(args.robo_tui, args.port, args.n, 400)
    print(json.dumps({
        "ib_async_connect_s": ib,
        "robo_tui_check_s": check,
        "ib_async_connect_median_ms": round(statistics.median(ib) * 1000, 2),
        "robo_tui_check_median_ms": round(statistics.median(check) * 1000, 2),
    }, indent=1))


if __name__ == "__main__":
    main()
