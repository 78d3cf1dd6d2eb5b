#!/usr/bin/env bash
# robo-tui check against the Python stack it replaces, side by side in one run.
#
# Starts one standalone simulated gateway (`robo-tui gateway --speed 0`), then alternates
#   robo-tui check --port P
#   python benches/ib_async_startup.py P   (ib_async 2.1.0: import, connect + startup sync,
#                                           account summary, positions, disconnect)
# RUNS times each (default 7), timing each whole process, and prints both medians and the
# ratio. Also times, on the embedded gateway (the default start, hosted in-process):
#   robo-tui check
#   robo-tui snapshot --timeline  (the cockpit's first frame showing account, positions and
#                                  live quotes, drawn headless at 120x40; its "rendered" mark
#                                  is exec-to-first-frame less the ~1 ms before `main`)
#
# Every run starts with an empty pacing window: robo-tui shares IB's 50-messages-a-second
# budget between its processes on one gateway (a check sends about 22), so back-to-back checks
# would rightly wait for the window. The script sleeps 1.2 s between runs for that reason.
#
# Usage: benches/vs_ib_async.sh [RUNS]      (from the repository root; builds --release)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-7}"
port="${VS_PORT:-4931}"

cargo build --release --quiet
bin=target/release/robo-tui
venv=target/ib_async-venv
if ! "$venv/bin/python" -c 'import ib_async' >/dev/null 2>&1; then
  echo "creating $venv with ib_async 2.1.0"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check ib_async==2.1.0
fi
python="$venv/bin/python"

work="$(mktemp -d)"
export ROBO_TUI_RUNTIME_DIR="$work/run" XDG_STATE_HOME="$work/state" XDG_DATA_HOME="$work/data" \
  XDG_CONFIG_HOME="$work/config"
"$bin" gateway --port "$port" --speed 0 --log "$work/gateway.log" >"$work/gateway.out" 2>&1 &
gateway=$!
trap 'kill $gateway 2>/dev/null; wait $gateway 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do
  grep -q listening "$work/gateway.out" 2>/dev/null && break
  sleep 0.05
done

# Wall time of one command in microseconds; the command's output goes to $work/last.out.
time_us() {
  local start end
  start=$EPOCHREALTIME
  if ! "$@" >"$work/last.out" 2>&1; then
    echo "failed: $*" >&2
    cat "$work/last.out" >&2
    exit 1
  fi
  end=$EPOCHREALTIME
  echo $(((${end/./} - ${start/./})))
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ms() { awk -v us="$1" 'BEGIN { printf "%.1f", us / 1000 }'; }

rt=() py=() emb=() snap=() frame=()
# One warm-up of each (page cache, Python bytecode cache), not counted.
sleep 1.2; time_us "$bin" check --port "$port" >/dev/null
time_us "$python" benches/ib_async_startup.py "$port" >/dev/null
for i in $(seq "$runs"); do
  sleep 1.2
  rt+=("$(time_us "$bin" check --port "$port")")
  breakdown="$(grep '^ms since start' "$work/last.out" || true)"
  py+=("$(time_us "$python" benches/ib_async_startup.py "$port")")
  sleep 1.2
  emb+=("$(time_us "$bin" check --embedded-port 0)")
  sleep 1.2
  snap+=("$(time_us "$bin" snapshot --embedded-port 0 --timeline)")
  frame+=("$(sed -n 's/.*rendered \([0-9.]*\) .*/\1/p' "$work/last.out" | awk '{ printf "%d", $1 * 1000 }')")
  echo "run $i: robo-tui check $(ms "${rt[-1]}") ms · ib_async $(ms "${py[-1]}") ms ·" \
    "check (embedded) $(ms "${emb[-1]}") ms · snapshot $(ms "${snap[-1]}") ms (frame at $(ms "${frame[-1]}") ms)"
done

rt_med=$(printf '%s\n' "${rt[@]}" | median)
py_med=$(printf '%s\n' "${py[@]}" | median)
emb_med=$(printf '%s\n' "${emb[@]}" | median)
snap_med=$(printf '%s\n' "${snap[@]}" | median)
frame_med=$(printf '%s\n' "${frame[@]}" | median)
echo
echo "whole process, median of $runs, standalone gateway on 127.0.0.1:$port (--speed 0):"
printf '  %-52s %8s ms\n' "robo-tui check --port $port" "$(ms "$rt_med")"
printf '  %-52s %8s ms\n' "python + ib_async 2.1.0 (connect, summary, positions)" "$(ms "$py_med")"
printf '  %-52s %8s ms\n' "robo-tui check (embedded gateway, hosted in-process)" "$(ms "$emb_med")"
printf '  %-52s %8s ms\n' "robo-tui snapshot (embedded), whole process" "$(ms "$snap_med")"
printf '  %-52s %8s ms\n' "  of which main to first complete frame drawn" "$(ms "$frame_med")"
awk -v a="$py_med" -v b="$rt_med" 'BEGIN { printf "  ratio ib_async / robo-tui: %.1fx (goal: 20x or more)\n", a / b }'
echo "  last check's own timeline: ${breakdown#ms since start: }"
