#!/usr/bin/env bash
# Sets up everything the tests need on a fresh machine and runs every test:
# lints, unit tests, Rust<->Rust tests, the vidgear interop tests, and a demo run.
set -euo pipefail
cd "$(dirname "$0")/.."

# python3 -m venv needs Debian's python3-venv where Python comes from apt.
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    if command -v apt-get >/dev/null; then
        SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
        $SUDO apt-get update -qq && $SUDO apt-get install -y -qq python3-venv
    fi
fi

# The vidgear 0.3.6 peer for the interop tests (pinned, idempotent).
export NETGEAR_VENV="${NETGEAR_VENV:-$PWD/.venv}"
scripts/setup-venv.sh >/dev/null

cargo fmt --check
cargo clippy --all-targets --all-features -- -D warnings
cargo test --all-features
cargo run --quiet -- demo --frames 60 --port 5599 >/dev/null
echo "all tests passed"
