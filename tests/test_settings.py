import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.append(ROOT)  # appended: code.py must not shadow stdlib `code`

from ocpp_cp import settings  # noqa: E402
from ocpp_cp.settings import SettingsError  # noqa: E402


@pytest.fixture(autouse=True)
def fresh(tmp_path, monkeypatch):
    """Run in an empty folder with none of the test keys in the environment."""
    monkeypatch.chdir(tmp_path)
    for k in list(os.environ):
        if k.startswith("OCPPTEST_") or k in ("OCPP_URL", "OCPP_AUTH_KEY"):
            monkeypatch.delenv(k)
    settings.reload()
    yield tmp_path
    settings.reload()


def write(path, text):
    with open(os.path.join(str(path), "settings.toml"), "w", newline="") as f:
        f.write(text)
    settings.reload()


def test_settings_error_is_a_value_error():
    assert issubclass(SettingsError, ValueError)


def test_missing_gives_default(fresh):
    assert settings.get("OCPPTEST_NOPE") is None
    assert settings.get("OCPPTEST_NOPE", "x") == "x"
    assert settings.get_int("OCPPTEST_NOPE", 30) == 30


def test_file_is_read(fresh):
    write(fresh, 'OCPPTEST_A = "from file"\nOCPPTEST_N = 42\n')
    assert settings.get("OCPPTEST_A") == "from file"
    assert settings.get("OCPPTEST_N") == "42"  # ints come back as str
    assert settings.get_int("OCPPTEST_N", 0) == 42


def test_environment_wins_over_file(fresh, monkeypatch):
    write(fresh, 'OCPPTEST_A = "from file"\nOCPPTEST_B = "file only"\n')
    monkeypatch.setenv("OCPPTEST_A", "from env")
    assert settings.get("OCPPTEST_A") == "from env"
    assert settings.get("OCPPTEST_B") == "file only"


def test_empty_value_counts_as_missing(fresh, monkeypatch):
    write(fresh, 'OCPPTEST_E = ""\n')
    assert settings.get("OCPPTEST_E", "dflt") == "dflt"
    monkeypatch.setenv("OCPPTEST_F", "")
    assert settings.get("OCPPTEST_F") is None


def test_parser_strings_ints_comments_blank_lines():
    text = "\r\n".join([
        "\ufeff# a comment first, after a BOM",
        "",
        "   ",
        'QUOTED = "say \\"hi\\" to C:\\\\temp"',
        'HASH = "a # b"   # a comment after a string',
        'ESC = "tab\\tnl\\ncaf\\u00e9"',
        "NUM = 123",
        "NEG = -5  # comment after a number",
        "BIG = 1_000_000",
        "SPACED=7",
        'FIRST = "one"',
        'FIRST = "two"',
        "  # indented comment",
        "[section]",
        'AFTER = "ignored"',
    ])
    d = settings.parse(text)
    assert d["QUOTED"] == 'say "hi" to C:\\temp'
    assert d["HASH"] == "a # b"
    assert d["ESC"] == "tab\tnl\ncaf\u00e9"
    assert d["NUM"] == "123"
    assert d["NEG"] == "-5"
    assert d["BIG"] == "1000000"
    assert d["SPACED"] == "7"
    assert d["FIRST"] == "one"  # first wins, as on CircuitPython
    assert "AFTER" not in d
    assert len(d) == 8


def test_bad_values_fail_only_when_asked_for(fresh):
    write(fresh, 'GOOD = "ok"\nOCPPTEST_BARE = hello\nOCPPTEST_OPEN = "no end\nOCPPTEST_TAIL = "x" y\n')
    assert settings.get("GOOD") == "ok"
    with pytest.raises(SettingsError, match="line 2.*OCPPTEST_BARE"):
        settings.get("OCPPTEST_BARE")
    with pytest.raises(SettingsError, match="line 3"):
        settings.get("OCPPTEST_OPEN")
    with pytest.raises(SettingsError, match="line 4"):
        settings.get("OCPPTEST_TAIL")


def test_require_names_key_and_example(fresh):
    with pytest.raises(SettingsError) as e:
        settings.require("OCPP_URL", "ws://192.168.1.10:9000/ocpp/charger-01")
    assert str(e.value) == ('settings.toml: OCPP_URL is missing. Add a line like: '
                            'OCPP_URL = "ws://192.168.1.10:9000/ocpp/charger-01"')
    with pytest.raises(SettingsError, match="OCPPTEST_PORT = 9000"):
        settings.require("OCPPTEST_PORT", 9000)


def test_require_returns_value(fresh):
    write(fresh, 'OCPP_URL = "ws://cs/ocpp/cp1"\n')
    assert settings.require("OCPP_URL", "ws://x") == "ws://cs/ocpp/cp1"


def test_get_int_malformed(fresh, monkeypatch):
    monkeypatch.setenv("OCPPTEST_N", "thirty")
    with pytest.raises(SettingsError) as e:
        settings.get_int("OCPPTEST_N", 30)
    assert "OCPPTEST_N" in str(e.value) and "thirty" in str(e.value)
    monkeypatch.setenv("OCPPTEST_N", " 12 ")
    assert settings.get_int("OCPPTEST_N", 30) == 12


def test_circuitpython_getenv_is_cached_and_stringified(monkeypatch):
    calls = []

    def getenv(key):
        calls.append(key)
        if key == "BAD":
            raise ValueError("Invalid byte")
        return {"N": 30, "S": "text"}.get(key)  # CircuitPython 9 returns ints as int

    monkeypatch.setattr(settings, "_CIRCUITPY", True)
    monkeypatch.setattr(settings.os, "getenv", getenv)
    assert settings.get("N") == "30"
    assert settings.get_int("N", 0) == 30
    assert settings.get("S") == "text"
    assert settings.get("MISSING", "d") == "d"
    assert settings.get("MISSING", "d") == "d"
    assert sorted(calls) == ["MISSING", "N", "S"]  # each key read once
    with pytest.raises(SettingsError, match="BAD"):
        settings.get("BAD")
