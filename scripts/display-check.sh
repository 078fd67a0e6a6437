#!/usr/bin/env bash
# End-to-end check that netgear's Display really renders (usable in CI, no real screen needed):
# starts a virtual X server (Xvfb), shows the built-in test pattern in a Display window for ~3 s
# (examples/display_check.rs), takes a screenshot of the X screen with ffmpeg while it runs, and
# fails when the screenshot is blank or is not the test pattern. Also checks the window title
# ("netgear — 640x480 — <rate> fps") when xprop/xwininfo are available.
#
# Output: target/display-check/shot.png (override the directory with DISPLAY_CHECK_OUT).
set -euo pipefail
cd "$(dirname "$0")/.."

started_ns=$(date +%s%N)
out="${DISPLAY_CHECK_OUT:-$PWD/target/display-check}"
mkdir -p "$out"
shot="$out/shot.png"
raw="$out/shot.rgb"
rm -f "$shot" "$raw"

# --- Tools: Xvfb, ffmpeg, the X11 client libraries minifb loads, xprop/xwininfo (optional) ---
need=()
command -v Xvfb >/dev/null || need+=(xvfb)
command -v ffmpeg >/dev/null || need+=(ffmpeg)
libs=$({ ldconfig -p || /sbin/ldconfig -p; } 2>/dev/null || true)
grep -q 'libX11\.so\.6' <<<"$libs" || need+=(libx11-6)
grep -q 'libXcursor\.so\.1' <<<"$libs" || need+=(libxcursor1)
command -v xprop >/dev/null && command -v xwininfo >/dev/null || need+=(x11-utils)
if ((${#need[@]})); then
    echo "display-check: installing ${need[*]}"
    if ! command -v apt-get >/dev/null; then
        echo "display-check: FAIL: need ${need[*]} and there is no apt-get to install them" >&2
        exit 1
    fi
    SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${need[@]}" >/dev/null
fi

# --- The program that shows the pattern (built before timing-sensitive steps) ---
# With every feature, as `cargo test --all-features` built it (the suite reuses that build).
cargo build --quiet --all-features --example display_check
bin="${CARGO_TARGET_DIR:-$PWD/target}/debug/examples/display_check"

# --- A virtual X server on a free display number (-displayfd picks one and reports it) ---
work=$(mktemp -d)
xvfb_pid=""
app_pid=""
cleanup() {
    [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null || true
    [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null || true
    [ -n "$xvfb_pid" ] && wait "$xvfb_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

Xvfb -displayfd 3 -screen 0 1280x720x24 -nolisten tcp 3>"$work/displaynum" 2>"$work/xvfb.log" &
xvfb_pid=$!
for _ in $(seq 100); do
    [ -s "$work/displaynum" ] && break
    kill -0 "$xvfb_pid" 2>/dev/null || break
    sleep 0.05
done
if [ ! -s "$work/displaynum" ]; then
    echo "display-check: FAIL: Xvfb did not start:" >&2
    cat "$work/xvfb.log" >&2
    exit 1
fi
export DISPLAY=":$(tr -dc 0-9 <"$work/displaynum")"
echo "display-check: Xvfb on DISPLAY=$DISPLAY (1280x720x24)"

# --- Show the test pattern (640x480 at 30 fps for 3 s) and take a screenshot meanwhile ---
"$bin" 3 30 >"$work/app.out" 2>"$work/app.err" &
app_pid=$!
for _ in $(seq 100); do
    grep -q '^ready' "$work/app.out" 2>/dev/null && break
    kill -0 "$app_pid" 2>/dev/null || break
    sleep 0.05
done
if ! grep -q '^ready' "$work/app.out"; then
    echo "display-check: FAIL: display_check did not start showing frames:" >&2
    cat "$work/app.out" "$work/app.err" >&2
    exit 1
fi

ffmpeg -loglevel error -y -f x11grab -draw_mouse 0 -video_size 1280x720 -i "$DISPLAY" \
    -frames:v 1 "$shot" -frames:v 1 -f rawvideo -pix_fmt rgb24 "$raw"

# The title, read while the window is up (xprop shows _NET_WM_NAME as UTF-8).
title=""
if command -v xwininfo >/dev/null && command -v xprop >/dev/null; then
    win=$(xwininfo -root -children | awk '/"netgear/ {print $1; exit}')
    if [ -n "$win" ]; then
        title=$(LC_ALL=C.UTF-8 xprop -id "$win" _NET_WM_NAME | sed -n 's/^[^"]*"\(.*\)"$/\1/p')
    fi
fi

app_rc=0
wait "$app_pid" || app_rc=$?
app_pid=""
grep -v '^ready' "$work/app.out" || true
if [ "$app_rc" != 0 ]; then
    echo "display-check: FAIL: display_check exited with $app_rc:" >&2
    cat "$work/app.err" >&2
    exit 1
fi

# --- Is the screenshot the test pattern? ---
# Non-black fraction of the screen (the 640x480 window on a black 1280x720 root: ~0.33),
# distinct colours, the bounding box of the non-black pixels, and the pattern's signature:
# green grows from top to bottom, and red + blue ~ 255 (BGR converted with R and B in place).
echo "display-check: screenshot $shot"
python3 - "$raw" 1280 720 640 480 <<'EOF'
import sys

path, sw, sh, ww, wh = sys.argv[1], *map(int, sys.argv[2:])
data = open(path, "rb").read()
if len(data) != sw * sh * 3:
    sys.exit(f"display-check: FAIL: screenshot has {len(data)} bytes, expected {sw * sh * 3}")

colours = set()
nonblack = 0
x0, y0, x1, y1 = sw, sh, -1, -1
for y in range(sh):
    row = data[y * sw * 3:(y + 1) * sw * 3]
    for x in range(0, sw * 3, 3):
        px = row[x:x + 3]
        if px != b"\0\0\0":
            nonblack += 1
            colours.add(px)
            cx = x // 3
            x0, x1 = min(x0, cx), max(x1, cx)
            y0, y1 = min(y0, y), max(y1, y)
fraction = nonblack / (sw * sh)
print(f"display-check: non-blank fraction {fraction:.3f} ({nonblack} of {sw * sh} pixels), "
      f"{len(colours)} distinct colours")
if nonblack == 0 or fraction < 0.05 or len(colours) < 64:
    sys.exit("display-check: FAIL: the screenshot is blank: the window shows no test pattern")
bw, bh = x1 - x0 + 1, y1 - y0 + 1
print(f"display-check: content at ({x0},{y0}) size {bw}x{bh} (window {ww}x{wh} expected)")

def mean_green(y):
    row = data[y * sw * 3:(y + 1) * sw * 3]
    return sum(row[x * 3 + 1] for x in range(x0, x1 + 1)) / bw

top, bottom = mean_green(y0 + bh // 10), mean_green(y1 - bh // 10)
rb = [row_px[0] + row_px[2] for row_px in
      (data[(y0 + bh // 2) * sw * 3 + x * 3:(y0 + bh // 2) * sw * 3 + x * 3 + 3]
       for x in range(x0, x1 + 1))]
rb_ok = sum(1 for v in rb if 235 <= v <= 275) / len(rb)
print(f"display-check: pattern: green {top:.0f} near the top, {bottom:.0f} near the bottom; "
      f"red+blue ~ 255 on {rb_ok:.0%} of the middle row")
if abs(bw - ww) > 4 or abs(bh - wh) > 4:
    sys.exit(f"display-check: FAIL: the picture is {bw}x{bh}, expected the {ww}x{wh} window")
if not (bottom > top + 100 and rb_ok > 0.8):
    sys.exit("display-check: FAIL: the window does not show the test pattern")
EOF

if command -v xprop >/dev/null; then
    echo "display-check: window title: ${title:-<none found>}"
    if ! [[ "$title" =~ ^netgear\ —\ 640x480\ —\ [0-9]+\.[0-9]\ fps$ ]]; then
        echo "display-check: FAIL: expected the title 'netgear — 640x480 — <rate> fps'" >&2
        exit 1
    fi
else
    echo "display-check: xprop not available, title not checked"
fi

# --- The CLI end to end: `netgear serve --source clip.mp4` -> `netgear recv --display --save` ---
cargo build --quiet --all-features
netgear="${CARGO_TARGET_DIR:-$PWD/target}/debug/netgear"
clip="$work/clip.mp4"
saved="$out/recv.mp4"
rm -f "$saved"
# 3 s at 30 fps: the screenshot is taken while the stream is on.
clip_frames=90
ffmpeg -loglevel error -y -f lavfi -i testsrc2=size=320x240:rate=30 -frames:v "$clip_frames" \
    -c:v libx264 -pix_fmt yuv420p "$clip"
# Waits (polled, at most 20 s) until the command `$1` succeeds, failing with `$2` (and recv's
# stderr) if it does not or if recv exits first.
await_recv() {
    for _ in $(seq 400); do
        eval "$1" && return 0
        kill -0 "$app_pid" 2>/dev/null || break
        sleep 0.05
    done
    eval "$1" && return 0
    echo "display-check: FAIL: $2:" >&2
    cat "$work/recv.err" >&2
    exit 1
}
# Port 0: recv binds a port the kernel picks and says which once bound (no port found free
# first and bound later, which another program could take in between).
"$netgear" recv --address 127.0.0.1 --port 0 --timeout 5 --display --save "$saved" \
    >"$work/recv.out" 2>"$work/recv.err" &
app_pid=$!
listening_port() { sed -n 's/^listening on tcp:.*:\([0-9]*\)$/\1/p' "$work/recv.err"; }
await_recv '[ -n "$(listening_port)" ]' "netgear recv did not say where it listens"
port=$(listening_port)
"$netgear" serve --address 127.0.0.1 --port "$port" --timeout 5 --source "$clip" --fps 30 \
    >/dev/null 2>"$work/serve.err" &
serve_pid=$!
# recv shows each frame before it records it: once the recording exists, a frame is on screen.
await_recv '[ -e "$saved" ]' "netgear recv showed no frame"
ffmpeg -loglevel error -y -f x11grab -draw_mouse 0 -video_size 1280x720 -i "$DISPLAY" \
    -frames:v 1 "$out/recv.png" -frames:v 1 -f rawvideo -pix_fmt rgb24 "$raw"
wait "$serve_pid" || { echo "display-check: FAIL: netgear serve:" >&2; cat "$work/serve.err" >&2; exit 1; }
wait "$app_pid" || { echo "display-check: FAIL: netgear recv:" >&2; cat "$work/recv.err" >&2; exit 1; }
app_pid=""
python3 - "$raw" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
lit = sum(1 for i in range(0, len(data), 3) if data[i:i + 3] != b"\0\0\0") / (len(data) // 3)
print(f"display-check: netgear recv --display: non-blank fraction {lit:.3f}")
if lit < 0.05:  # a 320x240 window is 0.083 of the screen
    sys.exit("display-check: FAIL: `netgear recv --display` shows nothing")
EOF
frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames \
    -of csv=p=0 "$saved")
echo "display-check: netgear recv --save: $saved has $frames frames"
if [ "$frames" != "$clip_frames" ]; then
    echo "display-check: FAIL: expected $clip_frames frames in $saved" >&2
    exit 1
fi

elapsed_ms=$((($(date +%s%N) - started_ns) / 1000000))
printf 'display-check: OK in %d.%02d s\n' $((elapsed_ms / 1000)) $((elapsed_ms % 1000 / 10))
