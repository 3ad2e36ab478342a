#!/bin/sh
# The footprint and speed benchmark: prints the table and writes docs/benchmarks.md.
set -e
cd "$(dirname "$0")/.."
sh tools/setup_dev.sh --node
exec .venv/bin/python tools/benchmark.py "$@"
