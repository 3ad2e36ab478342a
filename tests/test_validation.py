"""Incoming-call validation (ocpp_cp/engine/validate.py) cross-checked against the official
OCPP 1.6 JSON schemas of the `ocpp` package, validated with jsonschema (Draft 4, with the
strict RFC 3339 date-time check of tests/support/schemas.py).

For every Central-System-to-charge-point action of the Core profile (plus SetChargingProfile)
the payloads are generated from the official schema itself: valid ones (only the required
fields, every field, boundary values) and invalid ones (each required field missing, extra
fields at every level, every wrong JSON type incl. null at every field, strings one character
too long, bad enums, bad date-times, numbers that are not multiples of 0.1, broken list items),
plus a seeded random mix. Each goes through JSON text, as on the wire. Our verdict (accept or
reject) must equal jsonschema's, and our error code must be the category of one of jsonschema's
errors: required/minItems -> OccurenceConstraintViolation, additionalProperties ->
FormationViolation, type -> TypeConstraintViolation, maxLength/enum/format/multipleOf ->
PropertyConstraintViolation. Invalid payloads also go through the charge point's dispatch
(rpc) and must come back as a CALLERROR with that same code.
"""
import copy
import decimal
import importlib
import json
import os
import random

import pytest

from ocpp_cp.engine.rpc import CallError, find_operation
from ocpp_cp.engine.validate import check, unknown_action_code
from tests.support import cp_bench
from tests.support.schemas import SCHEMA_DIR, get_validator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Central System -> charge point actions of the Core profile, and SetChargingProfile.
# ChangeAvailability's module is written by someone else: checked once it exists.
ACTIONS = ["ChangeAvailability", "ChangeConfiguration", "ClearCache", "DataTransfer", "GetConfiguration",
           "RemoteStartTransaction", "RemoteStopTransaction", "Reset", "UnlockConnector", "SetChargingProfile"]
if not os.path.exists(os.path.join(ROOT, "ocpp_cp", "ops", "change_availability.py")):
    ACTIONS.remove("ChangeAvailability")

CATEGORY = {
    "required": "OccurenceConstraintViolation", "minItems": "OccurenceConstraintViolation",
    "additionalProperties": "FormationViolation",
    "type": "TypeConstraintViolation",
    "maxLength": "PropertyConstraintViolation", "enum": "PropertyConstraintViolation",
    "format": "PropertyConstraintViolation", "multipleOf": "PropertyConstraintViolation",
}

GOOD_TIMES = ["2026-11-21T10:00:00Z", "2026-11-21T10:00:00.123Z", "2026-11-21T10:00:00.5+01:00",
              "2024-02-29T23:59:60-05:30", "2026-11-21t10:00:00z", "2000-02-29T00:00:00+23:59",
              "1970-01-01T00:00:00.000000Z"]
BAD_TIMES = ["", "yesterday", "2026-11-21", "2026-11-21T10:00:00", "2026-11-21 10:00:00Z",
             "2026-11-21T10:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z", "2026-02-29T00:00:00Z",
             "1900-02-29T00:00:00Z", "2026-11-31T00:00:00Z", "2026-11-00T00:00:00Z", "2026-11-21T24:00:00Z",
             "2026-11-21T10:60:00Z", "2026-11-21T10:00:61Z", "2026-11-21T10:00:00.Z",
             "2026-11-21T10:00:00+0100", "2026-11-21T10:00:00+24:00", "2026-11-21T10:00:00+01:60",
             "2026-11-21T10:00:00+1:00", "2026-1-21T10:00:00Z", " 2026-11-21T10:00:00Z",
             "2026-11-21T10:00:00Z ", "+026-11-21T10:00:00Z", "2026-11-21T10:00:00ZZ",
             "2026/11/21T10:00:00Z", "2026-11-21T10:00:00UTC", "2026-11-21X10:00:00Z", "20261121T100000Z"]
GOOD_TENTHS = [0, 16, -3, 21.4, -0.3, 0.1, 11000.5, 32.0, 100000.1, 7.7]
BAD_TENTHS = [0.05, 21.45, 1e-07, 0.01, 33.33, 1.234, -0.25]


def load_schema(action):
    with open(os.path.join(SCHEMA_DIR, action + ".json"), encoding="utf-8-sig") as f:
        return json.load(f)


def our_schema(action):
    mod = find_operation(action)
    assert mod is not None and hasattr(mod, "handle"), "no ops module handles %s" % action
    assert hasattr(mod, "SCHEMA"), "ocpp_cp.ops for %s declares no SCHEMA" % action
    return mod.SCHEMA


# ---------------------------------------------------------------- generation from the JSON schema

def good_values(node):
    """Valid values for a JSON schema node (objects: only required fields, and all fields)."""
    kind = node.get("type")
    if kind == "object":
        return [build(node, full=False), build(node, full=True)]
    if kind == "array":
        items = good_values(node["items"])
        return [[], items[:1], items[-2:]]
    if kind == "string":
        if "enum" in node:
            return list(node["enum"])
        if node.get("format") == "date-time":
            return list(GOOD_TIMES)
        n = node.get("maxLength")
        if n is None:
            return ["", "free text", '{"json": [1, 2]}', "x" * 2000]
        return ["", "a", "x" * n, "\u00e9" * n, "\U0001F600" * n, "K" * (n - 1)]
    if kind == "integer":
        return [0, 1, -1, 2 ** 31, 42]
    if kind == "number":
        return list(GOOD_TENTHS) if node.get("multipleOf") == 0.1 else [0, 1.5, -2, 1e6]
    if kind == "boolean":
        return [True, False]
    raise AssertionError("schema node not covered by the generator: %r" % node)


def build(node, full):
    out = {}
    for name, sub in node.get("properties", {}).items():
        if full or name in node.get("required", ()):
            values = good_values(sub)
            out[name] = values[-1] if sub.get("type") in ("object", "array") else values[len(name) % len(values)]
    return out


WRONG_TYPES = [None, True, False, 0, 7, -1, 1.0, 2.5, "", "7", "true", [], [1], {}, {"a": 1}]


def _json_type(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def bad_values(node):
    """Values that break this node itself (not its children)."""
    kind = node.get("type")
    out = [v for v in WRONG_TYPES if not (
        _json_type(v) == kind or (kind == "number" and _json_type(v) == "integer"))]
    if kind == "string":
        if "enum" in node:
            first = node["enum"][0]
            out += ["", "bogus", first.lower(), first.upper(), first + " ", " " + first, first[:-1]]
        elif node.get("format") == "date-time":
            out += BAD_TIMES
        elif "maxLength" in node:
            n = node["maxLength"]
            out += ["x" * (n + 1), "\u00e9" * (n + 1), "\U0001F600" * (n + 1), "y" * (n + 50)]
    elif kind == "number" and node.get("multipleOf") == 0.1:
        out += BAD_TENTHS
    return out


def walk(node, value, path=()):
    """(path, schema node, value) for this value and everything inside it."""
    yield path, node, value
    if node.get("type") == "object" and isinstance(value, dict):
        for name, sub in node.get("properties", {}).items():
            if name in value:
                yield from walk(sub, value[name], path + (name,))
    elif node.get("type") == "array" and isinstance(value, list):
        for i, item in enumerate(value):
            yield from walk(node["items"], item, path + (i,))


def replaced(payload, path, value):
    out = copy.deepcopy(payload)
    if not path:
        return value
    target = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return out


def at(payload, path):
    for key in path:
        payload = payload[key]
    return payload


def cases(action):
    """(label, payload) pairs: valid and invalid, generated from the official schema."""
    schema = load_schema(action)
    out = []
    minimal, full = build(schema, False), build(schema, True)
    out += [("minimal", minimal), ("full", full)]
    for path, node, value in list(walk(schema, full)):
        if path:
            for good in good_values(node):
                out.append(("good %s=%r" % ("/".join(map(str, path)), good), replaced(full, path, good)))
            for bad in bad_values(node):
                out.append(("bad %s=%r" % ("/".join(map(str, path)), bad), replaced(full, path, bad)))
        if node.get("type") == "object":
            for name in node.get("required", ()):
                broken = copy.deepcopy(at(full, path)) if path else copy.deepcopy(full)
                del broken[name]
                out.append(("missing %s" % "/".join(map(str, path + (name,))), replaced(full, path, broken)))
            for extra in ("extra", "IDTAG", (sorted(node.get("properties", {})) or ["x"])[0] + "?", ""):
                if extra in node.get("properties", {}):
                    continue
                grown = copy.deepcopy(at(full, path)) if path else copy.deepcopy(full)
                grown[extra] = 1
                out.append(("extra %r at /%s" % (extra, "/".join(map(str, path))), replaced(full, path, grown)))
        if node.get("type") == "array":  # an invalid item among valid ones
            for bad in bad_values(node["items"])[:4]:
                out.append(("bad item in %s" % "/".join(map(str, path)), replaced(full, path, list(value) + [bad])))
    return out


def fuzz(action, n, seed):
    """n random payloads: each field present or not, valid or not, sometimes extra fields."""
    rnd = random.Random(seed)
    schema = load_schema(action)

    def make(node, depth=0):
        kind = node.get("type")
        if rnd.random() < 0.15:
            return rnd.choice(bad_values(node) or [None])
        if kind == "object":
            out = {}
            for name, sub in node.get("properties", {}).items():
                if name in node.get("required", ()) and rnd.random() < 0.93 or rnd.random() < 0.5:
                    out[name] = make(sub, depth + 1)
            if rnd.random() < 0.05:
                out[rnd.choice(["extra", "Extra", "connectorid"])] = rnd.choice(WRONG_TYPES)
            return out
        if kind == "array":
            return [make(node["items"], depth + 1) for _ in range(rnd.randint(0, 3))]
        return rnd.choice(good_values(node))
    return [("fuzz %d" % i, make(schema)) for i in range(n)]


# ---------------------------------------------------------------- the two verdicts

def official(action, text):
    """jsonschema's verdict: the set of error categories (empty = valid)."""
    instance = json.loads(text, parse_float=decimal.Decimal)
    errors = list(get_validator(action).iter_errors(instance))
    unknown = [e.validator for e in errors if e.validator not in CATEGORY]
    assert not unknown, "validator keyword not mapped to an error code: %s" % unknown
    return {CATEGORY[e.validator] for e in errors}


def ours(action, text):
    """Our verdict: None (accepted) or the CALLERROR code."""
    try:
        check(json.loads(text), our_schema(action))
    except CallError as e:
        return e.code
    return None


def compare(action, labelled):
    disagreements = []
    stats = {"accepted": 0, "rejected": 0}
    for label, payload in labelled:
        text = json.dumps(payload)
        expected = official(action, text)
        got = ours(action, text)
        if (got is None) != (not expected) or (got is not None and got not in expected):
            disagreements.append("%s: %s\n    jsonschema: %s\n    ours: %s" % (
                label, text[:300], sorted(expected) or "valid", got or "valid"))
        stats["rejected" if expected else "accepted"] += 1
    assert not disagreements, "%s: %d disagreement(s) with the official schema:\n%s" % (
        action, len(disagreements), "\n".join(disagreements[:25]))
    return stats


@pytest.mark.parametrize("action", ACTIONS)
def test_generated_payloads_agree_with_the_official_schema(action):
    labelled = cases(action)
    stats = compare(action, labelled)
    assert stats["accepted"] >= 2 and stats["rejected"] >= 4, stats
    # every kind of violation the schema can have was generated and judged
    kinds = set()
    for label, payload in labelled:
        kinds |= official(action, json.dumps(payload))
    expected_kinds = {"FormationViolation"}
    if load_schema(action).get("properties"):
        expected_kinds.add("TypeConstraintViolation")
    if load_schema(action).get("required"):
        expected_kinds.add("OccurenceConstraintViolation")
    if action not in ("ClearCache", "RemoteStopTransaction", "UnlockConnector"):
        expected_kinds.add("PropertyConstraintViolation")
    assert expected_kinds <= kinds, (action, kinds)


@pytest.mark.parametrize("action", ACTIONS)
def test_random_payloads_agree_with_the_official_schema(action):
    stats = compare(action, fuzz(action, 400, seed=sum(map(ord, action))))
    assert stats["accepted"] > 0 and stats["rejected"] > 0, stats


def test_schema_fields_match_the_official_ones():
    """Every property of the official schema is in ours, required ones without '?'."""
    def fields(node, spec, where):
        props = node.get("properties", {})
        names = {k.rstrip("?"): k for k in spec}
        assert set(names) == set(props), "%s: %s vs official %s" % (where, sorted(names), sorted(props))
        for name, sub in props.items():
            assert names[name].endswith("?") == (name not in node.get("required", ())), (where, name)
            inner = spec[names[name]]
            if sub.get("type") == "object":
                fields(sub, inner, where + "/" + name)
            elif sub.get("type") == "array" and sub["items"].get("type") == "object":
                fields(sub["items"], inner[0], where + "/" + name)
    for action in ACTIONS:
        fields(load_schema(action), our_schema(action), action)


# ---------------------------------------------------------------- through the charge point's dispatch

def Bench():
    """The shared bench (tests/support/cp_bench.py): two connectors, no samplers, booted."""
    return cp_bench.Bench(connectors=2, plug=False, meter=False)


@pytest.mark.parametrize("action", ACTIONS)
def test_invalid_calls_answer_the_same_callerror_through_the_dispatch(action):
    b = Bench()
    sent = {}
    for label, payload in cases(action):
        text = json.dumps(payload)
        code = ours(action, text)
        if code is not None:
            sent[b.cs.call(action, payload)] = (label, code)
    assert len(sent) >= 4
    for _ in range(3):
        b.step()
    assert not b.cs.results, "an invalid call was answered with a CALLRESULT"
    for msg_id, (label, code) in sent.items():
        assert b.cs.call_errors[msg_id][0] == code, label
    assert all(c.tx is None for c in b.cp.connectors)  # nothing happened


# ---------------------------------------------------------------- the format itself

@pytest.mark.parametrize("text,ok", [(t, True) for t in GOOD_TIMES] + [(t, False) for t in BAD_TIMES])
def test_date_time_format(text, ok):
    spec = {"t?": "t"}
    if ok:
        check({"t": text}, spec)
    else:
        with pytest.raises(CallError) as e:
            check({"t": text}, spec)
        assert e.value.code == "PropertyConstraintViolation"


def test_first_violation_wins_and_paths_are_named():
    spec = {"a": {"b?": [{"c": "s3"}]}}
    with pytest.raises(CallError) as e:
        check({"a": {"b": [{"c": "abc"}, {"c": "abcd"}]}}, spec)
    assert e.value.code == "PropertyConstraintViolation" and "a.b[1].c" in e.value.description
    with pytest.raises(CallError) as e:
        check({"a": {"b": [], "z": 1}}, spec)
    assert e.value.code == "FormationViolation" and "a.z" in e.value.description
    with pytest.raises(CallError) as e:
        check({"a": {"b?": 1}}, spec)  # a field literally named "b?" is not "b"
    assert e.value.code == "FormationViolation"
    with pytest.raises(CallError) as e:
        check({"a": None}, spec)
    assert e.value.code == "TypeConstraintViolation"
    with pytest.raises(CallError) as e:
        check({}, spec)
    assert e.value.code == "OccurenceConstraintViolation"
    with pytest.raises(CallError) as e:
        check({"n": []}, {"n": ["i", 1]})
    assert e.value.code == "OccurenceConstraintViolation"
    check({"n": [3]}, {"n": ["i", 1]})
    check({"x": 12345.6}, {"x": "n10"})
    for huge in (float("inf"), float("nan"), 1e300):
        with pytest.raises(CallError):
            check({"x": huge}, {"x": "n10"})


def test_unknown_action_codes():
    assert unknown_action_code("GetDiagnostics") == "NotSupported"   # OCPP 1.6, not built
    assert unknown_action_code("TriggerMessage") == "NotSupported"
    assert unknown_action_code("SignedUpdateFirmware") == "NotImplemented"  # security extension: not ours
    assert unknown_action_code("MakeCoffee") == "NotImplemented"
    assert unknown_action_code("Reset ") == "NotImplemented"
    assert unknown_action_code("Get") == "NotImplemented"


def test_every_module_with_a_handler_declares_a_schema():
    ops_dir = os.path.join(ROOT, "ocpp_cp", "ops")
    for name in sorted(os.listdir(ops_dir)):
        if name.endswith(".py") and name != "__init__.py":
            mod = importlib.import_module("ocpp_cp.ops." + name[:-3])
            if hasattr(mod, "handle"):
                assert isinstance(getattr(mod, "SCHEMA", None), dict), name


# ---------------------------------------------------------------- the same verdicts on MicroPython

MPY_STEP = """
import json
from ocpp_cp.engine.rpc import CallError, find_operation
from ocpp_cp.engine.validate import check
with open("/cases/cases.json") as f:
    cases = json.load(f)
for i, (action, text) in enumerate(cases):
    try:
        check(json.loads(text), find_operation(action).SCHEMA)
        code = "-"
    except CallError as e:
        code = e.code
    print("@@v", i, code)
"""


def test_the_verdicts_are_the_same_on_micropython(tmp_path):
    """Every generated case, judged by the validator running on MicroPython 1.27 (dicts without
    order, its own json, float and str): the verdict and the category must agree too."""
    from tests.support.micropython import run_micropython
    texts, expected = [], []
    for action in ACTIONS:
        for label, payload in cases(action):
            text = json.dumps(payload)
            texts.append([action, text])
            expected.append((label, official(action, text)))
    (tmp_path / "cases.json").write_text(json.dumps(texts), encoding="utf-8")
    res = run_micropython([MPY_STEP], extra_stage={str(tmp_path): "/cases"})
    res.check()
    got = {}
    for line in res.output.splitlines():
        if line.startswith("@@v "):
            _, i, code = line.split(" ")
            got[int(i)] = None if code == "-" else code
    assert len(got) == len(texts)
    wrong = [(texts[i][0], label, sorted(cats), got[i]) for i, (label, cats) in enumerate(expected)
             if (got[i] is None) != (not cats) or (got[i] is not None and got[i] not in cats)]
    assert not wrong, wrong[:20]
