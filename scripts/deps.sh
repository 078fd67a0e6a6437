#!/usr/bin/env bash
# Installs the Debian packages netgear-rs needs, if they are missing (idempotent):
#
#   scripts/deps.sh          to build: cmake and nasm (libjpeg-turbo is built from the source
#                            the `turbojpeg` crate bundles), make (libsodium, for libzmq's
#                            CURVE, is built from the source its crate bundles), pkg-config
#   scripts/deps.sh --test   and to test: ffmpeg (video sources, recording), Xvfb (the display
#                            check), python3-venv where Python comes from apt, iproute2
#                            (the rate-limited link of scripts/link-bench.sh), gdb (the
#                            stacks of a process a test finds hung)
set -euo pipefail

need=()
command -v cmake >/dev/null || need+=(cmake)
command -v nasm >/dev/null || need+=(nasm)
command -v make >/dev/null || need+=(make)
command -v pkg-config >/dev/null || need+=(pkg-config)
if [ "${1:-}" = --test ]; then
    command -v ffmpeg >/dev/null || need+=(ffmpeg)
    command -v Xvfb >/dev/null || need+=(xvfb)
    python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
    # script (a pseudo-terminal for the status line's test).
    command -v script >/dev/null || need+=(bsdutils)
    # gdb: a test that finds a process hung reports every thread's stack.
    command -v gdb >/dev/null || need+=(gdb)
    # ip, tc and ss for scripts/link-bench.sh's network namespaces.
    { command -v ip && command -v tc && command -v ss; } >/dev/null || need+=(iproute2)
fi
if [ ${#need[@]} -gt 0 ]; then
    SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
