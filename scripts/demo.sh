#!/usr/bin/env bash
# The README's first command: installs what the build needs (scripts/deps.sh), then runs the
# demo — both ends in one process on loopback, bidirectional, the built-in test pattern, data
# both ways. Arguments go to `netgear demo` (e.g. --frames 1000 --width 1920 --height 1080).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
exec cargo run --release --features cli -- demo "$@"
