"""Source and compiled (.mpy) size of every device module.

    python3 tools/mpy_sizes.py [--json] [path ...]

Compiles every .py under ocpp_cp/ (and boards/, code.py when present), or under the given
files/directories, with mpy-cross-v6.3 (PyPI; .mpy format 6.3, what CircuitPython 9.2-10.x and
MicroPython 1.27 load) into a temporary directory and prints module, .py bytes, .mpy bytes and
totals. The .mpy files carry MicroPython's header, so they are within a few bytes of what
CircuitPython's own mpy-cross makes but are not for copying to a CircuitPython device.

Importable (dev-only, CPython):

    from mpy_sizes import mpy_sizes          # with tools/ on sys.path
    sizes = mpy_sizes(["ocpp_cp"])           # {"ocpp_cp.engine.rpc": (py_bytes, mpy_bytes), ...}
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PATHS = ("ocpp_cp", "boards", "code.py")


def mpy_cross_path():
    try:
        import mpy_cross_v6_3
    except ImportError:
        raise SystemExit("mpy-cross is missing: pip install mpy-cross-v6.3") from None
    return mpy_cross_v6_3.MPY_CROSS_PATH


def mpy_cross_version():
    proc = subprocess.run([mpy_cross_path(), "--version"], capture_output=True, text=True)
    return proc.stdout.strip()


def _module_files(paths, root):
    """(module name, source path, name relative to root) for every .py under paths."""
    found = {}
    for p in paths:
        p = Path(p)
        if not p.is_absolute():
            p = root / p
        if p.is_file() and p.suffix == ".py":
            files = [p]
        elif p.is_dir():
            files = sorted(f for f in p.rglob("*.py") if "__pycache__" not in f.parts)
        else:
            continue
        for f in files:
            try:
                rel = f.resolve().relative_to(root.resolve())
            except ValueError:
                rel = Path(f.name)
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__" and len(parts) > 1:
                parts.pop()
            found[".".join(parts)] = (f, rel.as_posix())
    return [(name,) + found[name] for name in sorted(found)]


def mpy_sizes(paths=None, root=ROOT):
    """Map module name -> (py_bytes, mpy_bytes) for every .py under paths.

    paths: files or directories, absolute or relative to root (default: ocpp_cp/, boards/ and
    code.py, those that exist). Packages are named by their own name (ocpp_cp.engine for
    ocpp_cp/engine/__init__.py). Raises RuntimeError with mpy-cross's message when a file does
    not compile (e.g. syntax MicroPython rejects).
    """
    root = Path(root)
    if paths is None:
        paths = DEFAULT_PATHS
    cross = mpy_cross_path()
    sizes = {}
    with tempfile.TemporaryDirectory(prefix="mpy-sizes-") as tmp:
        for i, (name, src, rel) in enumerate(_module_files(paths, root)):
            out = os.path.join(tmp, "%d.mpy" % i)
            proc = subprocess.run(
                [cross, "-s", rel, "-o", out, str(src)], capture_output=True, text=True
            )
            if proc.returncode != 0:
                raise RuntimeError("mpy-cross failed on %s:\n%s%s" % (rel, proc.stdout, proc.stderr))
            sizes[name] = (src.stat().st_size, os.path.getsize(out))
    return sizes


def format_table(sizes):
    width = max([len("module"), len("total")] + [len(n) for n in sizes])
    lines = ["%-*s  %9s  %9s" % (width, "module", ".py bytes", ".mpy bytes")]
    lines.append("-" * len(lines[0]))
    for name in sorted(sizes):
        py, mpy = sizes[name]
        lines.append("%-*s  %9d  %9d" % (width, name, py, mpy))
    lines.append("-" * len(lines[0]))
    total_py = sum(v[0] for v in sizes.values())
    total_mpy = sum(v[1] for v in sizes.values())
    lines.append("%-*s  %9d  %9d   (%d module%s)" % (
        width, "total", total_py, total_mpy, len(sizes), "" if len(sizes) == 1 else "s"))
    return "\n".join(lines)


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="files or directories (default: %s)"
                        % ", ".join(DEFAULT_PATHS))
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    try:
        sizes = mpy_sizes(args.paths or None)
    except RuntimeError as e:
        print(e, file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({
            "mpy_cross": mpy_cross_version(),
            "modules": {n: {"py": p, "mpy": m} for n, (p, m) in sorted(sizes.items())},
            "total": {
                "modules": len(sizes),
                "py": sum(v[0] for v in sizes.values()),
                "mpy": sum(v[1] for v in sizes.values()),
            },
        }, indent=2))
    else:
        if not sizes:
            print("no modules found")
        else:
            print(format_table(sizes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
