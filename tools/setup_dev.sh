#!/bin/sh
# Prepare a desktop checkout: a Python virtual environment in .venv with requirements-dev.txt,
# and (with --node) the npm packages the tests use. Re-running is quick: it only installs
# again when a requirements file changed.
set -e
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "ocpp_cp's desktop tools need Python 3.11 or newer (found: $("$PY" --version 2>&1))." >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    echo "== creating .venv"
    "$PY" -m venv .venv || { echo "python3 -m venv failed: install python3-venv (Debian/Ubuntu) and retry" >&2; exit 1; }
fi
stamp=.venv/.installed
want=$(cat requirements.txt requirements-dev.txt | cksum)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "== installing Python packages (requirements-dev.txt)"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -r requirements-dev.txt
    echo "$want" > "$stamp"
fi
if [ "$1" = "--node" ]; then
    if ! command -v npm >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "== installing Node.js (apt)"
            apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
        else
            echo "The tests need Node.js and npm (for MicroPython on WebAssembly): please install them." >&2
            exit 1
        fi
    fi
    for dir in tests/mpy tests/foreign_cs; do
        if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
            echo "== npm ci in $dir"
            npm ci --prefix "$dir" --silent --no-audit --no-fund
        fi
    done
fi
