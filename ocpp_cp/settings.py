"""settings.toml reader that runs on CircuitPython, MicroPython and desktop Python.

CircuitPython: os.getenv() reads settings.toml itself (10.1+ returns strings and re-parses the
file on every call, so results are cached here). Elsewhere: the environment first (tests, CI),
then a tiny parser for ./settings.toml (lines KEY = "text" or KEY = 123). No tomllib: the same
code must run on devices. An empty value ("") counts as not set.
"""

import os
import sys


class SettingsError(ValueError):
    pass


_CIRCUITPY = sys.implementation.name == "circuitpython"
_MISSING = object()
_cache = {}  # CircuitPython: key -> value (os.getenv is slow there)
_file = None  # elsewhere: parsed ./settings.toml, read on first use


def reload():
    """Forget cached values (tests, or after editing settings.toml)."""
    global _file
    _cache.clear()
    _file = None


_ESC = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}


def _string(v, n):
    # v starts with '"'; TOML basic string, then nothing or a comment
    out = []
    i = 1
    while i < len(v):
        c = v[i]
        if c == '"':
            rest = v[i + 1:].strip()
            if rest and rest[0] != "#":
                break
            return "".join(out)
        if c == "\\":
            e = v[i + 1:i + 2]
            if e in _ESC:
                out.append(_ESC[e])
                i += 2
                continue
            if e in ("u", "U"):
                k = 4 if e == "u" else 8
                try:
                    out.append(chr(int(v[i + 2:i + 2 + k], 16)))
                except ValueError:
                    break
                i += 2 + k
                continue
            break
        out.append(c)
        i += 1
    return SettingsError('settings.toml line %d: bad text value; write it like KEY = "text"' % n)


def parse(text):
    """settings.toml text -> {key: str}. A value this parser cannot read is stored as a
    SettingsError and raised only when that key is asked for (like CircuitPython does)."""
    d = {}
    n = 0
    for line in text.split("\n"):
        n += 1
        line = line.strip()
        if n == 1 and line[:1] == "\ufeff":  # BOM from Windows editors
            line = line[1:].strip()
        if not line or line[0] == "#":
            continue
        if line[0] == "[":  # tables are not settings (CircuitPython stops here too)
            break
        i = line.find("=")
        if i < 1:
            continue
        key = line[:i].strip()
        v = line[i + 1:].strip()
        if key in d:  # first one wins, as on CircuitPython
            continue
        if v[:1] == '"':
            d[key] = _string(v, n)
            continue
        j = v.find("#")
        if j >= 0:
            v = v[:j].strip()
        try:
            d[key] = str(int(v.replace("_", "")))
        except ValueError:
            d[key] = SettingsError(
                'settings.toml line %d: %s = %s is neither "text" (in double quotes) nor a whole number'
                % (n, key, v))
    return d


def _from_file(key):
    global _file
    if _file is None:
        try:
            with open("settings.toml", "rb") as f:
                _file = parse(f.read().decode("utf-8"))
        except OSError:  # no file: only the environment counts
            _file = {}
    v = _file.get(key)
    if isinstance(v, SettingsError):
        raise v
    return v


def _lookup(key):
    getenv = getattr(os, "getenv", None)  # bare-metal MicroPython has none
    if _CIRCUITPY:
        v = _cache.get(key, _MISSING)
        if v is _MISSING:
            try:
                v = getenv(key)
            except ValueError as e:  # CircuitPython could not parse the line
                raise SettingsError("settings.toml: %s has a value CircuitPython cannot read (%s)" % (key, e))
            if v is not None:
                v = str(v)  # CircuitPython 9 returns ints as int
            _cache[key] = v
        return v
    v = getenv(key) if getenv else None
    if v is None:
        v = _from_file(key)
    return v


def get(key, default=None):
    """Value of key as a str (numbers too), or default when missing or empty."""
    v = _lookup(key)
    if v is None or v == "":
        return default
    return v


def get_int(key, default):
    """Value of key as an int, or default when missing; raises SettingsError when malformed."""
    v = get(key)
    if v is None:
        return default
    try:
        return int(v.strip())
    except ValueError:
        raise SettingsError("settings.toml: %s must be a whole number, like: %s = %d (got %r)"
                            % (key, key, default if isinstance(default, int) else 30, v))


def require(key, example):
    """Value of key, or a SettingsError that names the key and shows an example line."""
    v = get(key)
    if v is None:
        if isinstance(example, int):
            line = "%s = %d" % (key, example)
        else:
            line = '%s = "%s"' % (key, example)
        raise SettingsError("settings.toml: %s is missing. Add a line like: %s" % (key, line))
    return v
