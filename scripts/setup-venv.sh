#!/usr/bin/env bash
# Create (once) the Python venv holding vidgear 0.3.6, the peer used by the interop tests.
#
#   scripts/setup-venv.sh            # venv at <repo root>/.venv
#   NETGEAR_VENV=/some/dir scripts/setup-venv.sh
#   PYTHON=python3.12 scripts/setup-venv.sh   # interpreter used to create the venv (>= 3.11)
#
# Idempotent: the venv is created only if missing; tests/interop/requirements.txt is
# installed only when its sha256 differs from the one stamped in the venv by the last
# successful install. Progress goes to stderr; the last (and only) stdout line is the
# absolute path of the venv's python, so `PY=$(scripts/setup-venv.sh)` works.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQ="$ROOT/tests/interop/requirements.txt"
VENV="${NETGEAR_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
STAMP_NAME=".netgear-rs-requirements.sha256"

log() { printf '[setup-venv] %s\n' "$*" >&2; }

[[ -f "$REQ" ]] || { log "missing $REQ"; exit 1; }

# make the venv path absolute
mkdir -p "$(dirname "$VENV")"
VENV="$(cd "$(dirname "$VENV")" && pwd)/$(basename "$VENV")"
VPY="$VENV/bin/python"

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    else
        "$PYTHON" -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"
    fi
}

if [[ ! -x "$VPY" ]]; then
    command -v "$PYTHON" >/dev/null 2>&1 || { log "$PYTHON not found"; exit 1; }
    "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || {
        log "vidgear 0.3.6 needs Python >= 3.11; $PYTHON is $("$PYTHON" -V 2>&1)"
        exit 1
    }
    log "creating venv at $VENV with $("$PYTHON" -V 2>&1)"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
fi

WANT="$(sha256_of "$REQ")"
STAMP="$VENV/$STAMP_NAME"
HAVE="$(cat "$STAMP" 2>/dev/null || true)"

if [[ "$WANT" != "$HAVE" ]]; then
    log "installing $REQ"
    rm -f "$STAMP"
    "$VPY" -m pip install --disable-pip-version-check --no-input -q -r "$REQ" >&2
    printf '%s\n' "$WANT" > "$STAMP"
else
    log "requirements unchanged (sha256 $WANT), skipping pip install"
fi

if ! "$VPY" -c "from vidgear.gears.asyncio import NetGear_Async" >&2; then
    log "verification failed: cannot import vidgear.gears.asyncio.NetGear_Async"
    rm -f "$STAMP"   # force a reinstall next time
    exit 1
fi
log "ok: vidgear NetGear_Async importable"

printf '%s\n' "$VPY"
