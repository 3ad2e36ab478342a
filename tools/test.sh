#!/bin/sh
# The whole test suite (unit, real-socket integration, MicroPython on WebAssembly).
set -e
cd "$(dirname "$0")/.."
sh tools/setup_dev.sh --node
# plain pytest, not "python -m pytest": that would put code.py ahead of the stdlib "code" module
exec .venv/bin/pytest "$@"
