"""The library on real MicroPython 1.27 (wasm under Node): imports, runtime facts, harness.

Needs `npm ci --prefix tests/mpy` once. Run with -s to see the heap figures.
"""

import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # appended: the project's code.py must not shadow stdlib `code`

from tests.support.micropython import (  # noqa: E402
    compile_mpy,
    library_modules,
    run_micropython,
)

# Modules that cannot import on the wasm MicroPython but do on devices: name -> reason.
DEVICE_ONLY_IMPORT_FAILS = {}


def _import_step(name):
    # One step per module, so the heap after each step shows what that import kept
    # (a dependency is charged to the first module that imports it).
    return textwrap.dedent("""\
        try:
            import {name}
            _m = __import__("sys").modules["{name}"]
            print("@@import ok {name}", getattr(_m, "__file__", "-"))
            del _m
        except Exception as _e:
            print("@@import FAIL {name}", repr(_e))
            __import__("sys").print_exception(_e)
            del _e
        """).format(name=name)


@pytest.mark.parametrize("mpy", [False, True], ids=["py", "mpy"])
def test_every_module_imports(mpy):
    modules = [m for m in library_modules() if m not in DEVICE_ONLY_IMPORT_FAILS]
    if not modules:
        pytest.skip("no modules under ocpp_cp/ yet")
    res = run_micropython([_import_step(m) for m in modules], mpy=mpy)
    res.check()
    assert len(res.heaps) == len(modules) + 1, res.stdout

    status = {}
    for line in res.output_lines:
        if line.startswith("@@import "):
            _, verdict, name, rest = (line.split(" ", 3) + [""])[:4]
            status[name] = (verdict, rest)
    failed = {n: s[1] for n, s in status.items() if s[0] != "ok"}
    assert set(status) == set(modules), res.stdout
    assert not failed, "failed to import on MicroPython (%s):\n%s" % (
        "mpy" if mpy else "py", res.output)

    suffix = ".mpy" if mpy else ".py"
    for name, (_, file) in status.items():
        assert file == "-" or file.endswith(suffix), (name, file)

    allocs = res.allocs
    print("\nMicroPython heap after imports (%s), gc.mem_alloc() bytes:" % suffix)
    print("  %-48s %8s %8s" % ("module", "+heap", "heap"))
    print("  %-48s %8s %8d" % ("(baseline)", "", allocs[0]))
    for i, name in enumerate(modules, 1):
        print("  %-48s %8d %8d" % (name, allocs[i] - allocs[i - 1], allocs[i]))
    print("  all modules: +%d bytes over baseline" % (allocs[-1] - allocs[0]))


def test_runtime_facts():
    res = run_micropython(["""
        import sys, os, json, hashlib
        from adafruit_ticks import ticks_add, ticks_diff, ticks_less
        results = []
        def check(name, cond):
            results.append((name, bool(cond)))
        check("implementation", sys.implementation.name == "micropython"
              and sys.implementation.version[:2] == (1, 27))
        check("mpy 6.3", sys.implementation._mpy & 0xFF == 6
              and (sys.implementation._mpy >> 8) & 3 == 3)
        check("32-bit small ints", sys.maxsize == 2**31 - 1)
        check("long ints", (2**31 - 1) + 1 == 2147483648)
        check("json separators", json.dumps({"a": [1, "x"]}, separators=(",", ":"))
              == '{"a":[1,"x"]}')
        check("json loads", json.loads('{"a": [1, 2.5, null, true]}')
              == {"a": [1, 2.5, None, True]})
        P = 1 << 29
        check("ticks_diff wraps forward", ticks_diff(5, P - 5) == 10)
        check("ticks_diff wraps back", ticks_diff(P - 5, 5) == -10)
        check("ticks_add wraps", ticks_add(P - 1, 2) == 1)
        check("ticks_less across wrap", ticks_less(P - 1, ticks_add(P - 1, 1)))
        check("ticks_ms in range", 0 <= __import__("adafruit_ticks").ticks_ms() < P)
        check("no os.urandom", not hasattr(os, "urandom"))
        check("no hashlib.sha1", not hasattr(hashlib, "sha1"))
        for name in ("typing", "dataclasses", "enum", "socket"):
            try:
                __import__(name)
                check("no " + name, False)
            except ImportError:
                check("no " + name, True)
        for name, ok in results:
            print("@@fact", "ok" if ok else "FAIL", name)
        print("@@facts", len([r for r in results if r[1]]), "of", len(results))
        """])
    res.check()
    facts = [line for line in res.output_lines if line.startswith("@@fact ")]
    assert facts, res.stdout
    failed = [line for line in facts if not line.startswith("@@fact ok")]
    assert not failed, res.output


def test_heap_is_measured_between_steps():
    res = run_micropython([
        "keep = bytearray(20000)",
        # garbage made and dropped inside one step is gone by the next measurement
        "junk = [bytearray(1000) for _ in range(50)]\ndel junk",
        "del keep",
    ], heap=64 * 1024)
    res.check()
    base, kept, after_junk, released = res.allocs
    assert 20000 <= kept - base < 21000, res.allocs
    assert abs(after_junk - kept) < 1000, res.allocs
    assert abs(released - base) < 1000, res.allocs
    print("\nheap records:", res.heap_records)


def test_failing_step_fails_the_run():
    res = run_micropython([
        "print('first')",
        "def f():\n    raise ValueError('boom-42')\nf()",
        "print('never')",
    ])
    assert res.returncode == 1
    assert "Traceback" in res.stderr and "ValueError: boom-42" in res.stderr, res.stderr
    assert "first" in res.output and "never" not in res.output
    assert len(res.heaps) == 2  # baseline and step 1 only
    with pytest.raises(AssertionError):
        res.check()


def test_mpy_package_imports(tmp_path):
    """A package of .mpy files (with __init__.mpy, relative imports, const) loads."""
    src = tmp_path / "src" / "mpypkg"
    (src / "sub").mkdir(parents=True)
    (src / "__init__.py").write_text("from micropython import const\nBASE = const(40)\n")
    (src / "sub" / "__init__.py").write_text("")
    (src / "sub" / "mod.py").write_text(
        "from .. import BASE\n"
        "def answer():\n    return BASE + 2\n"
        "def fail():\n    raise RuntimeError('from mpy')\n")
    lib = tmp_path / "lib"
    for rel in ("__init__", "sub/__init__", "sub/mod"):
        compile_mpy(src / (rel + ".py"), lib / "mpypkg" / (rel + ".mpy"), "mpypkg/%s.py" % rel)
    assert (lib / "mpypkg" / "sub" / "mod.mpy").read_bytes()[:2] == b"M\x06"

    res = run_micropython(
        ["import mpypkg.sub.mod as m\nprint('answer', m.answer(), m.__file__)",
         "m.fail()"],
        extra_stage={lib: "/lib"},
    )
    assert "answer 42 /lib/mpypkg/sub/mod.mpy" in res.output, res.stdout + res.stderr
    assert res.returncode == 1
    # tracebacks from .mpy keep the source name given to mpy-cross and line numbers
    assert 'File "mpypkg/sub/mod.py", line 5, in fail' in res.stderr, res.stderr


def test_collection_runs_only_between_top_level_calls():
    """Why heap is read between steps: inside a synchronous step garbage piles up (the heap
    grows); a step that awaits returns to JS, where pending collections run."""
    loop = """
        import gc{imp}
        def churn():
            return [bytearray(1000) for _ in range(20)]
        for _ in range(100):
            churn(){wait}
        print("@@alloc", gc.mem_alloc())
        """
    res = run_micropython([
        loop.format(imp="", wait=""),
        loop.format(imp=", asyncio", wait="\n            await asyncio.sleep(0)"),
    ], heap=64 * 1024)
    res.check()
    sync_alloc, async_alloc = [int(line.split()[1]) for line in res.output_lines
                               if line.startswith("@@alloc")]
    assert sync_alloc > 1500000, sync_alloc     # ~2 MB of garbage never collected
    assert async_alloc < 100000, async_alloc    # collected at each await
    print("\nin-step gc.mem_alloc(): sync loop %d, awaiting loop %d" % (sync_alloc, async_alloc))
