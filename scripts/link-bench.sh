#!/usr/bin/env bash
# A rate-limited link, for real: two network namespaces joined by a veth pair with a `tbf`
# qdisc at RATE on both sides, a receiver in one and a sender in the other. Streams the test
# pattern over it with netgear-rs uncompressed, jpeg and lz4, and with vidgear, and prints one
# line per case (and the JSON lines with --json FILE). Needs root (ip netns, tc).
#
#   scripts/link-bench.sh [--rate 100mbit] [--sizes 1280x720,1920x1080] [--frames 90]
#                         [--fps 30] [--cases raw,jpeg,lz4,vidgear] [--json FILE]
#   scripts/link-bench.sh --selftest     # the link comes up with its rate, and is torn down
#                                        # when a run fails or is killed
#
# Lock-step bidirectional mode (pattern 0, a text reply per frame), as the README's tables.
# Everything is torn down on exit, also on failure or Ctrl-C. The namespaces' addresses
# (169.254.77.1/2, link-local) exist only inside them.
set -euo pipefail
cd "$(dirname "$0")/.."

RATE=100mbit
SIZES=1280x720,1920x1080
FRAMES=90
FPS=30
CASES=raw,jpeg,lz4,vidgear
JSON=
SELFTEST=
FAIL_AFTER_UP=
HOLD_AFTER_UP=
while [ $# -gt 0 ]; do
    case "$1" in
        --rate) RATE="$2"; shift 2 ;;
        --sizes) SIZES="$2"; shift 2 ;;
        --frames) FRAMES="$2"; shift 2 ;;
        --fps) FPS="$2"; shift 2 ;;
        --cases) CASES="$2"; shift 2 ;;
        --json) JSON="$2"; shift 2 ;;
        --selftest) SELFTEST=1; shift ;;
        # Test hooks for --selftest: bring the link up, then fail, or wait to be killed.
        --fail-after-up) FAIL_AFTER_UP=1; shift ;;
        --hold-after-up) HOLD_AFTER_UP=1; shift ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

# Names unique to this run, so that two runs (or a leftover) never collide.
TAG="ng$$"
NS_RX="${TAG}rx"
NS_TX="${TAG}tx"
IP_RX=169.254.77.1
IP_TX=169.254.77.2
PORT=5555

teardown() {
    ip netns pids "$NS_RX" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns pids "$NS_TX" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    # Deleting a namespace deletes its end of the veth pair, and with it the other end.
    ip netns del "$NS_RX" 2>/dev/null || true
    ip netns del "$NS_TX" 2>/dev/null || true
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

link_up() {
    ip netns add "$NS_RX"
    ip netns add "$NS_TX"
    ip link add "${TAG}a" type veth peer name "${TAG}b"
    ip link set "${TAG}a" netns "$NS_RX"
    ip link set "${TAG}b" netns "$NS_TX"
    ip -n "$NS_RX" addr add "$IP_RX/30" dev "${TAG}a"
    ip -n "$NS_TX" addr add "$IP_TX/30" dev "${TAG}b"
    for ns in "$NS_RX" "$NS_TX"; do
        ip -n "$ns" link set lo up
    done
    ip -n "$NS_RX" link set "${TAG}a" up
    ip -n "$NS_TX" link set "${TAG}b" up
    # A token bucket at RATE on each side: the burst is one 100 ms worth of bytes at most 1 MB,
    # packets may wait 50 ms in the queue.
    ip netns exec "$NS_RX" tc qdisc add dev "${TAG}a" root tbf rate "$RATE" burst 256kb latency 50ms
    ip netns exec "$NS_TX" tc qdisc add dev "${TAG}b" root tbf rate "$RATE" burst 256kb latency 50ms
}

NETGEAR=target/release/netgear
PY="${NETGEAR_VENV:-$PWD/.venv}/bin/python"

# Runs one case: the receiver in NS_RX, the sender in NS_TX; prints the two JSON summaries.
run_case() {
    local impl="$1" width="$2" height="$3" out rx_pid
    out="$(mktemp -d)"
    local common=(--port "$PORT" --pattern 0 --timeout 20 --bidirectional)
    case "$impl" in
        vidgear)
            ip netns exec "$NS_RX" "$PY" tests/interop/vg_peer.py recv --address "*" "${common[@]}" \
                --reply ok >"$out/rx" 2>"$out/rx.err" &
            ;;
        *)
            ip netns exec "$NS_RX" "$NETGEAR" recv "${common[@]}" --reply ok --json --no-hash \
                >"$out/rx" 2>"$out/rx.err" &
            ;;
    esac
    rx_pid=$!
    for _ in $(seq 400); do
        ip netns exec "$NS_RX" ss -ltn | grep -q ":$PORT " && break
        sleep 0.05
    done
    local start end
    start=$(date +%s.%N)
    case "$impl" in
        vidgear)
            ip netns exec "$NS_TX" "$PY" tests/interop/vg_peer.py serve --address "$IP_RX" \
                "${common[@]}" --width "$width" --height "$height" --frames "$FRAMES" \
                --data hi --interval "$(awk "BEGIN { print 1 / $FPS }")" >"$out/tx" 2>"$out/tx.err" || true
            ;;
        *)
            local compress=none
            [ "$impl" = raw ] || compress="$impl"
            ip netns exec "$NS_TX" "$NETGEAR" serve --address "$IP_RX" "${common[@]}" \
                --width "$width" --height "$height" --frames "$FRAMES" --fps "$FPS" \
                --data hi --compress "$compress" --json --no-hash >"$out/tx" 2>"$out/tx.err" || true
            ;;
    esac
    wait "$rx_pid" || true
    end=$(date +%s.%N)
    local tx rx
    tx="$(tail -n1 "$out/tx")"
    rx="$(tail -n1 "$out/rx")"
    "$PY" - "$impl" "$width" "$height" "$RATE" "$FPS" "$start" "$end" "$tx" "$rx" <<'EOF'
import json, sys
impl, w, h, rate, fps, start, end, tx, rx = sys.argv[1:]
def load(s):
    try:
        return json.loads(s)
    except ValueError:
        return {"error": "no summary: " + s[:200]}
tx, rx = load(tx), load(rx)
frames = rx.get("frames") or 0
# netgear-rs reports fps (first frame to last); vg_peer.py its elapsed seconds.
fps_got = rx.get("fps") or frames / max(rx.get("elapsed") or float(end) - float(start), 1e-9)
line = {"impl": impl, "size": f"{w}x{h}", "rate": rate, "source_fps": float(fps),
        "frames": frames, "fps": round(fps_got, 1), "wire_mb_s": rx.get("wire_mb_s"),
        # Frame age (receive minus capture time; one clock here) and round trips: netgear-rs only.
        "age_p50_ms": rx.get("age_p50_ms"), "age_p99_ms": rx.get("age_p99_ms"),
        "rtt_p50_ms": tx.get("rtt_p50_ms"), "rtt_p99_ms": tx.get("rtt_p99_ms"),
        # Frames the live source made that the link had no time for.
        "dropped": tx.get("dropped"),
        "error": tx.get("error") or rx.get("error")}
print(json.dumps(line))
sys.exit(1 if line["error"] or not frames else 0)
EOF
    local rc=$?
    rm -rf "$out"
    return $rc
}

if [ -n "$SELFTEST" ]; then
    trap - EXIT
    left_behind() { ip netns list | grep -q "^ng$1"; }
    # 1. A run that fails once its link is up leaves nothing behind.
    "$0" --rate "$RATE" --fail-after-up >/dev/null 2>&1 &
    pid=$!
    if wait "$pid"; then echo "link-bench selftest: the failing run succeeded" >&2; exit 1; fi
    if left_behind "$pid"; then echo "link-bench selftest: a failed run left its namespaces" >&2; exit 1; fi
    # 2. A run killed (SIGTERM) while its link is up leaves nothing behind.
    log="$(mktemp)"
    "$0" --rate "$RATE" --hold-after-up >"$log" 2>&1 &
    pid=$!
    for _ in $(seq 600); do
        grep -q '^up' "$log" && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    grep -q '^up' "$log" || { echo "link-bench selftest: $(cat "$log")" >&2; rm -f "$log"; exit 1; }
    rm -f "$log"
    left_behind "$pid" || { echo "link-bench selftest: no namespaces while up" >&2; exit 1; }
    kill -TERM "$pid"
    wait "$pid" || true
    if left_behind "$pid"; then echo "link-bench selftest: a killed run left its namespaces" >&2; exit 1; fi
    echo "link-bench selftest: link up at $RATE with a tbf qdisc each way; torn down after a failure and after SIGTERM"
    exit 0
fi

if [ -n "$FAIL_AFTER_UP$HOLD_AFTER_UP" ]; then
    link_up
    # The link really is there: both ends up, with the qdisc at the rate asked for.
    ip -n "$NS_RX" link show "${TAG}a" | grep -q "state UP"
    ip netns exec "$NS_TX" tc qdisc show dev "${TAG}b" | grep -q "tbf .*rate"
    [ -z "$FAIL_AFTER_UP" ] || { echo "failing on purpose" >&2; exit 1; }
    echo "up $NS_RX $NS_TX"
    while true; do sleep 1; done
fi

cargo build --release --quiet
link_up
echo "link: $RATE each way between $NS_TX and $NS_RX; $FRAMES frames at $FPS fps, pattern 0, bidirectional"
results=()
IFS=, read -r -a sizes <<<"$SIZES"
IFS=, read -r -a cases <<<"$CASES"
failed=0
for size in "${sizes[@]}"; do
    w="${size%x*}"
    h="${size#*x}"
    for impl in "${cases[@]}"; do
        line="$(run_case "$impl" "$w" "$h")" || failed=1
        results+=("$line")
        echo "$line"
    done
done
if [ -n "$JSON" ]; then
    printf '%s\n' "${results[@]}" >"$JSON"
fi
exit "$failed"
