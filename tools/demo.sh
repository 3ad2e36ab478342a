#!/bin/sh
# The desktop demo: local Central System + code.py on the simulated board, one charging session.
set -e
cd "$(dirname "$0")/.."
sh tools/setup_dev.sh
exec .venv/bin/python tools/demo.py "$@"
