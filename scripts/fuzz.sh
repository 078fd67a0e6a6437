#!/usr/bin/env bash
# Fuzzes the wire decoders: each cargo-fuzz target in fuzz/ for SECONDS (default 20) seconds,
# starting from the seed corpus in fuzz/corpus/<target>/ (which it never writes to).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#   scripts/fuzz.sh --build-only        # builds the targets (and cargo-fuzz if needed), runs none
#
# Prints, per target, the executions run and whether a crash was found; exits non-zero on any
# crash (panic, failed property, timeout, oversized allocation or out-of-memory). A crashing
# input is kept in fuzz/artifacts/<target>/; replay it with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run <target> fuzz/artifacts/<target>/<file>
# and add it to wire/tests/corpus.rs.
#
# Stable Rust only: cargo-fuzz needs nightly's -Z flags (sanitizer, coverage instrumentation),
# which RUSTC_BOOTSTRAP=1 unlocks on a stable toolchain. No clang needed: libfuzzer-sys builds
# libFuzzer with the system C++ compiler. FUZZ_SANITIZER=none turns AddressSanitizer off;
# FUZZ_PROFILE=dev builds without optimisation and with debug assertions and overflow checks
# (about 4x fewer executions a second, and a build in a quarter of the time: what the test suite
# runs; an optimised AddressSanitizer run, the default, is for fuzzing longer).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_ONLY=
if [ "${1:-}" = --build-only ]; then BUILD_ONLY=1; shift; fi
SECONDS_PER_TARGET="${1:-20}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(frame header reply message h264)
SANITIZER="${FUZZ_SANITIZER:-address}"
PROFILE=()
[ "${FUZZ_PROFILE:-release}" != dev ] || PROFILE=(--dev)
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz (about 1 min)..."
    start=$(date +%s)
    cargo install cargo-fuzz --locked --quiet
    echo "cargo-fuzz installed in $(($(date +%s) - start)) s"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
build_log="$work/build.log"
start=$(date +%s)
# `cargo fuzz build` takes one target or builds them all.
one=()
[ ${#TARGETS[@]} -ne 1 ] || one=("${TARGETS[0]}")
if ! cargo fuzz build "${PROFILE[@]}" --sanitizer "$SANITIZER" "${one[@]}" >"$build_log" 2>&1; then
    cat "$build_log"
    exit 1
fi
echo "fuzz targets built in $(($(date +%s) - start)) s"
[ -z "$BUILD_ONLY" ] || exit 0

failed=0
for t in "${TARGETS[@]}"; do
    mkdir -p "$work/$t" "fuzz/artifacts/$t"
    log="$work/$t.log"
    # The first corpus directory receives new inputs: a scratch one, so the seeds stay as
    # committed. -malloc_limit_mb catches a single huge allocation (with the sanitizer's
    # malloc hooks); the targets also check every allocation against the input size.
    # -rss_limit_mb bounds the whole process, AddressSanitizer's own memory included: its
    # quarantine of freed memory (256 MB by default; each JPEG frame's decompressor and
    # frame are freed) alone filled the 512 MB in five minutes of the message target, so it
    # is kept to 32 MB (use-after-free is still caught for the last 32 MB freed).
    set +e
    ASAN_OPTIONS="${ASAN_OPTIONS:-quarantine_size_mb=32}" cargo fuzz run "${PROFILE[@]}" --sanitizer "$SANITIZER" "$t" "$work/$t" "fuzz/corpus/$t" -- \
        -max_total_time="$SECONDS_PER_TARGET" -max_len=65536 -timeout=10 \
        -rss_limit_mb=512 -malloc_limit_mb=64 -print_final_stats=1 >"$log" 2>&1
    rc=$?
    set -e
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    [ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\)[[:space:]]*DONE.*/\1/p' "$log" | tail -1)
    [ -n "$execs" ] || execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
    cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 || true)
    if [ "$rc" -eq 0 ]; then
        printf '%-8s %10s executions in %ss (%s), no crash\n' "$t" "${execs:-?}" \
            "$SECONDS_PER_TARGET" "${cov:-cov: ?}"
    else
        failed=1
        printf '%-8s %10s executions, CRASH (exit %s)\n' "$t" "${execs:-?}" "$rc"
        grep -m1 -A2 'panicked at' "$log" | sed 's/^/    /' || true
        grep -E '^(==[0-9]+== ?ERROR|SUMMARY)|out-of-memory|malloc\(|timeout after' "$log" \
            | head -6 | sed 's/^/    /' || true
        grep -o 'Test unit written to .*' "$log" | sed 's/^/    /' || true
    fi
done
exit "$failed"
