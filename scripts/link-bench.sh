#!/usr/bin/env bash
# A rate-limited link, for real: two network namespaces joined by a veth pair with a `tbf`
# qdisc at RATE on both sides, a receiver in one and a sender in the other. Streams the live
# test pattern over it with netgear-rs uncompressed, jpeg and lz4 (each also in secure mode,
# CURVE stonehouse, as `raw+secure`, `jpeg+secure`, `lz4+secure`), and with vidgear, at each
# rate and size, and prints one JSON line per case, then a table (and the JSON lines into
# --json FILE, a chart of fps and frame age into --plot FILE.svg). Needs root (ip netns, tc).
#
#   scripts/link-bench.sh [--rate 100mbit,1gbit] [--fps 30,60] [--sizes 1280x720,1920x1080]
#                         [--frames 90] [--cases raw,jpeg,lz4,jpeg+secure,vidgear] [--json FILE]
#                         [--plot FILE.svg] [--content pattern|noisy|lavfi] [--step 5mbit:10:20]
#                         [--no-data] [--keep DIR]
#   scripts/link-bench.sh --selftest     # the link comes up with its rate, and is torn down
#                                        # when a run fails or is killed
#
# --fps gives the source's rate for each --rate in turn (one value: the same for all).
# Cases are a codec (raw, jpeg[:Q], lz4, zstd, h264[:KBPS]) or vidgear, with `+secure` (CURVE
# stonehouse) and `+auto` (--rate auto: the bitrate or quality follows the link, the value given
# is the ceiling). --content noisy streams the test pattern with noise that changes every frame
# (`testsrc:noise=7`, ±7: σ 4.3, as ffmpeg's `noise=alls=8:allf=t`; moving and noisy, what
# codecs find hard; the receiver renders the same
# frames for PSNR); --content lavfi streams ffmpeg's testsrc2 with noise (`noise=alls=8:allf=t`)
# as a live camera (no PSNR: the receiver has no reference). --step RATE:FROM:TO changes the link to RATE FROM seconds
# into each run and back TO seconds in (`tc qdisc change`); each result then carries its
# per-second series (fps, oldest frame, kbit/s on the wire, the bitrate aimed at).
# Lock-step bidirectional mode (pattern 0, a text reply per frame), as the README's tables;
# --no-data: lock-step without data (pattern 0, vidgear's confirmation per frame), where a
# sender encodes the next frame while one travels (netgear-rs cases only).
# --keep DIR keeps each case's logs in DIR/<case>-<n>/ (the ends' stdout and stderr; set
# RUST_LOG, e.g. netgear=info,netgear::rate=debug, for the rate controller's trace) with `ss`,
# samples every 100 ms of the sender's TCP state (`ss -tinm`: retransmissions, congestion
# window, queues) and of both `tbf` queues (drops, backlog).
# Everything is torn down on exit, also on failure or Ctrl-C. The namespaces' addresses
# (169.254.77.1/2, link-local) exist only inside them.
set -euo pipefail
cd "$(dirname "$0")/.."

RATE=100mbit,1gbit
SIZES=1280x720,1920x1080
FRAMES=90
FPS=30,60
CASES=raw,jpeg,lz4,jpeg+secure,vidgear
CONTENT=pattern
DATA=1
STEP=
JSON=
PLOT=
KEEP=
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
        --content) CONTENT="$2"; shift 2 ;;
        --step) STEP="$2"; shift 2 ;;
        --no-data) DATA=; shift ;;
        --json) JSON="$2"; shift 2 ;;
        --plot) PLOT="$2"; shift 2 ;;
        --keep) KEEP="$2"; shift 2 ;;
        --selftest) SELFTEST=1; shift ;;
        # Test hooks for --selftest: bring the link up, then fail, or wait to be killed.
        --fail-after-up) FAIL_AFTER_UP=1; shift ;;
        --hold-after-up) HOLD_AFTER_UP=1; shift ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
case "$CONTENT" in
    pattern|noisy|lavfi) ;;
    *) echo "unknown --content $CONTENT (pattern, noisy or lavfi)" >&2; exit 2 ;;
esac

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

# The qdisc for a rate: a token bucket at RATE with a 50 ms queue, and a burst of 4 ms at the
# rate (at least 4 KB): what the kernel's timer needs at high rates, and no more, so that a
# narrow link is narrow for every frame (a burst of a second's worth at 2 Mbit/s let frames go
# at the veth's speed whenever the link had been idle).
shape() {
    local verb="$1" rate="$2" burst
    burst="$(awk -v r="$rate" 'BEGIN {
        n = r + 0; u = tolower(r); sub(/^[0-9.]+/, "", u)
        m = (u ~ /^g/) ? 1e9 : (u ~ /^m/) ? 1e6 : (u ~ /^k/) ? 1e3 : 1
        b = n * m / 8 * 0.004; if (b < 4096) b = 4096; printf "%d", b }')"
    ip netns exec "$NS_RX" tc qdisc "$verb" dev "${TAG}a" root tbf rate "$rate" burst "$burst" latency 50ms
    ip netns exec "$NS_TX" tc qdisc "$verb" dev "${TAG}b" root tbf rate "$rate" burst "$burst" latency 50ms
}

# Brings the link up at the first rate of RATE.
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
    shape add "${RATE%%,*}"
}

NETGEAR="${CARGO_TARGET_DIR:-target}/release/netgear"
PY="${NETGEAR_VENV:-$PWD/.venv}/bin/python"

# Runs one case: the receiver in NS_RX, the sender in NS_TX; prints the two JSON summaries.
run_case() {
    local impl="$1" width="$2" height="$3" rate="$4" fps="$5" out rx_pid
    out="$(mktemp -d)"
    local common=(--port "$PORT" --pattern 0 --timeout 20 --bidirectional) data=(--data hi) reply=(--reply ok)
    if [ -z "$DATA" ] && [ "$impl" != vidgear ]; then
        common=(--port "$PORT" --pattern 0 --timeout 20); data=(); reply=()
    fi
    # `CODEC+secure`: the same in secure mode, with the run's keys; `CODEC+auto`: --rate auto.
    local secure=() rate_auto=() codec="${impl%%+*}"
    case "+${impl#*+}+" in *+secure+*) secure=(--secure stonehouse --keys "$KEYS") ;; esac
    case "+${impl#*+}+" in *+auto+*) rate_auto=(--rate auto) ;; esac
    # The content: the test pattern, plain or noisy (PSNR measured against it), or a noisy
    # lavfi camera.
    local content=() psnr=(--psnr) pace=(--fps "$fps")
    case "$CONTENT" in
        pattern) ;;
        noisy) content=(--source testsrc:noise=7); psnr=(--psnr=testsrc:noise=7) ;;
        lavfi)
            content=(--demuxer lavfi --realtime
                     --source "testsrc2=size=${width}x${height}:rate=$fps,noise=alls=8:allf=t")
            psnr=(); pace=() ;;
    esac
    case "$impl" in
        vidgear)
            ip netns exec "$NS_RX" "$PY" tests/interop/vg_peer.py recv --address "*" "${common[@]}" \
                --reply ok >"$out/rx" 2>"$out/rx.err" &
            ;;
        *)
            ip netns exec "$NS_RX" "$NETGEAR" recv "${common[@]}" "${secure[@]}" "${reply[@]}" \
                --json --no-hash "${psnr[@]}" >"$out/rx" 2>"$out/rx.err" &
            ;;
    esac
    rx_pid=$!
    for _ in $(seq 400); do
        ip netns exec "$NS_RX" ss -ltn | grep -q ":$PORT " && break
        sleep 0.05
    done
    local start end stepper= sampler=
    if [ -n "$KEEP" ]; then
        ( while true; do
              echo "T $(date +%s.%N)"
              ip netns exec "$NS_TX" ss -tinm state established
              ip netns exec "$NS_TX" tc -s qdisc show dev "${TAG}b"
              ip netns exec "$NS_RX" tc -s qdisc show dev "${TAG}a"
              sleep 0.1
          done ) >"$out/ss" 2>&1 &
        sampler=$!
    fi
    start=$(date +%s.%N)
    if [ -n "$STEP" ]; then
        # The step: the link narrows FROM seconds in, and is back TO seconds in.
        local step_rate="${STEP%%:*}" from to
        from="$(echo "$STEP" | cut -d: -f2)"
        to="$(echo "$STEP" | cut -d: -f3)"
        ( sleep "$from"; shape change "$step_rate"; sleep "$((to - from))"; shape change "$rate" ) &
        stepper=$!
    fi
    case "$impl" in
        vidgear)
            ip netns exec "$NS_TX" "$PY" tests/interop/vg_peer.py serve --address "$IP_RX" \
                "${common[@]}" --width "$width" --height "$height" --frames "$FRAMES" \
                --data hi --interval "$(awk "BEGIN { print 1 / $fps }")" >"$out/tx" 2>"$out/tx.err" || true
            ;;
        *)
            local compress=none
            [ "$codec" = raw ] || compress="$codec"
            ip netns exec "$NS_TX" "$NETGEAR" serve --address "$IP_RX" "${common[@]}" "${secure[@]}" \
                --width "$width" --height "$height" --frames "$FRAMES" "${pace[@]}" "${content[@]}" \
                "${data[@]}" --compress "$compress" "${rate_auto[@]}" --json --no-hash >"$out/tx" 2>"$out/tx.err" || true
            ;;
    esac
    wait "$rx_pid" || true
    end=$(date +%s.%N)
    if [ -n "$sampler" ]; then
        kill "$sampler" 2>/dev/null || true
        wait "$sampler" 2>/dev/null || true
    fi
    if [ -n "$stepper" ]; then
        kill "$stepper" 2>/dev/null || true
        wait "$stepper" 2>/dev/null || true
        shape change "$rate"
    fi
    local tx rx
    tx="$(tail -n1 "$out/tx")"
    rx="$(tail -n1 "$out/rx")"
    LINK_STEP="$STEP" LINK_DATA="$DATA" "$PY" - "$impl" "$width" "$height" "$rate" "$fps" "$start" "$end" "$tx" "$rx" <<'EOF'
import json, os, sys
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
        "bidirectional": os.environ.get("LINK_DATA") == "1" or impl == "vidgear",
        "frames": frames, "fps": round(fps_got, 1), "wire_mb_s": rx.get("wire_mb_s"),
        # Frame age (receive minus capture time; one clock here) and round trips: netgear-rs only.
        "age_p50_ms": rx.get("age_p50_ms"), "age_p99_ms": rx.get("age_p99_ms"),
        "rtt_p50_ms": tx.get("rtt_p50_ms"), "rtt_p99_ms": tx.get("rtt_p99_ms"),
        # Frames the live source made that the link had no time for.
        "dropped": tx.get("dropped"),
        # Time per frame compressing (sender) and decompressing (receiver), and how close the
        # received frames are to the test pattern sent (100 dB: identical).
        "encode_ms": tx.get("encode_ms"), "decode_ms": rx.get("decode_ms"),
        "psnr_min_db": rx.get("psnr_min_db"), "psnr_mean_db": rx.get("psnr_mean_db"),
        # Noisy content: against the frames without their noise (the scene).
        "psnr_clean_min_db": rx.get("psnr_clean_min_db"),
        "psnr_clean_mean_db": rx.get("psnr_clean_mean_db"),
        # The bitrate the sender aimed at (h264; jpeg: its frames at their rate), per second.
        "bitrate_kbps_p50": tx.get("bitrate_kbps_p50"), "bitrate_kbps_min": tx.get("bitrate_kbps_min"),
        "quality_p50": tx.get("quality_p50"), "quality_min": tx.get("quality_min"),
        # Each end's CPU: the cores it kept busy over the run (the PSNR meter left out).
        "cpu_tx_cores": tx.get("cpu_s") and round(tx["cpu_s"] / max(float(end) - float(start), 1e-9), 2),
        "cpu_rx_cores": rx.get("cpu_s") and round(rx["cpu_s"] / max(float(end) - float(start), 1e-9), 2),
        "error": tx.get("error") or rx.get("error")}
# Second by second: the receiver's fps, oldest frame and kbit/s on the wire, with the sender's
# aim beside them (the two clocks start within a second of each other).
aims = tx.get("series") or []
series = []
for i, r in enumerate(rx.get("series") or []):
    row = dict(r)
    for key in ("kbps", "quality"):
        if i < len(aims) and key in aims[i]:
            row[key] = aims[i][key]
    series.append(row)
if series:
    line["series"] = series
# A rate step (--step RATE:FROM:TO): how the stream went through it. From 2 s after the link
# narrowed to its return: the lowest fps and the oldest frame of any second; the bitrate aimed
# at before the step (median of the 5 s before it), and how long after the link's return the
# aim was back to 80 % of that.
step = os.environ.get("LINK_STEP")
if step and series:
    _, frm, to = step.split(":")
    frm, to = float(frm), float(to)
    # The series' t counts from the receiver's first frame, about when the run started.
    narrow = [r for r in series if frm + 2 <= r["t"] < to]
    before = sorted(r["kbps"] for r in series if frm - 5 <= r["t"] < frm and r.get("kbps"))
    line["step_fps_min"] = min((r["fps"] for r in narrow), default=None)
    line["step_age_max_ms"] = max((r.get("age_max_ms") or 0 for r in narrow), default=None)
    if before:
        aim = before[len(before) // 2]
        back = [r["t"] - to for r in series if r["t"] >= to and (r.get("kbps") or 0) >= 0.8 * aim]
        line["step_kbps_before"] = aim
        line["step_recovered_s"] = round(back[0], 1) if back else None
print(json.dumps(line))
sys.exit(1 if line["error"] or not frames else 0)
EOF
    local rc=$?
    if [ -n "$KEEP" ]; then
        local n=1
        while [ -e "$KEEP/$impl-$n" ]; do n=$((n + 1)); done
        mkdir -p "$KEEP"
        mv "$out" "$KEEP/$impl-$n"
        echo "link-bench: kept $KEEP/$impl-$n" >&2
    else
        rm -rf "$out"
    fi
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
    echo "link-bench selftest: link up at ${RATE%%,*} with a tbf qdisc each way; torn down after a failure and after SIGTERM"
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

cargo build --release --quiet --features cli
IFS=, read -r -a rates <<<"$RATE"
IFS=, read -r -a fpss <<<"$FPS"
IFS=, read -r -a sizes <<<"$SIZES"
IFS=, read -r -a cases <<<"$CASES"
link_up
results="$(mktemp)"
# The keys of the secure cases, made for this run.
KEYS="$(mktemp -d)/keys"
"$NETGEAR" keygen "$KEYS" >/dev/null
trap 'rm -f "$results"; rm -rf "$(dirname "$KEYS")"; teardown' EXIT
failed=0
for i in "${!rates[@]}"; do
    rate="${rates[$i]}"
    fps="${fpss[$i]:-${fpss[0]}}"
    [ "$i" = 0 ] || shape change "$rate"
    echo "link: $rate each way between $NS_TX and $NS_RX; $FRAMES frames at $fps fps, pattern 0, $([ -n "$DATA" ] && echo bidirectional || echo "no data")" >&2
    for size in "${sizes[@]}"; do
        w="${size%x*}"
        h="${size#*x}"
        for impl in "${cases[@]}"; do
            line="$(run_case "$impl" "$w" "$h" "$rate" "$fps")" || failed=1
            echo "$line" | tee -a "$results"
        done
    done
done
"$PY" - "$results" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def f(v, d=1):
    return "—" if v is None else f"{v:.{d}f}"
print()
print("| link | size | source fps | case | fps | age p50 / p99 ms | MB/s on the wire | kbit/s aimed p50 / min | encode / decode ms | CPU cores sender / receiver | PSNR min / mean dB | PSNR to the scene min / mean dB | dropped |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    name = "vidgear 0.3.6" if r["impl"] == "vidgear" else f"netgear-rs {r['impl']}"
    print(f"| {r['rate']} | {r['size']} | {f(r['source_fps'], 0)} | {name} | {f(r['fps'])} "
          f"| {f(r['age_p50_ms'])} / {f(r['age_p99_ms'])} | {f(r['wire_mb_s'])} "
          f"| {f(r.get('bitrate_kbps_p50'), 0)} / {f(r.get('bitrate_kbps_min'), 0)} "
          f"| {f(r['encode_ms'], 2)} / {f(r['decode_ms'], 2)} "
          f"| {f(r.get('cpu_tx_cores'), 2)} / {f(r.get('cpu_rx_cores'), 2)} "
          f"| {f(r['psnr_min_db'])} / {f(r.get('psnr_mean_db'))} "
          f"| {f(r.get('psnr_clean_min_db'))} / {f(r.get('psnr_clean_mean_db'))} "
          f"| {'—' if r['dropped'] is None else r['dropped']} |")
EOF
if [ -n "$JSON" ]; then
    cp "$results" "$JSON"
fi
if [ -n "$PLOT" ]; then
    "$NETGEAR" plot "$results" --out "$PLOT" || failed=1
fi
exit "$failed"
