#!/usr/bin/env bash
# Runs vidgear's three Bidirectional Mode examples on netgear_rs, each as its two processes
# (client first, then server), and fails if either end fails.
#   python/examples/run.sh [PYTHON]
set -euo pipefail
cd "$(dirname "$0")"
PY="${1:-python3}"
# The logs in a directory of this run's own (fixed names in /tmp could be another run's, or
# another user's links).
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
for example in bare_minimum variable_parameters video_chat; do
    "$PY" "${example}_client.py" >"$logs/${example}-client.log" 2>&1 &
    client=$!
    "$PY" "${example}_server.py" >"$logs/${example}-server.log" 2>&1 || {
        echo "$example: the server failed:"; cat "$logs/${example}-server.log"
        kill "$client" 2>/dev/null; exit 1; }
    wait "$client" || { echo "$example: the client failed:"; cat "$logs/${example}-client.log"; exit 1; }
    echo "$example: ok ($(grep -c . "$logs/${example}-client.log") lines from the client)"
done
