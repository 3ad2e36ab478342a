"""Validate OCPP 1.6 payloads against the official JSON schemas shipped in the ``ocpp`` package.

    validate("BootNotification", payload)                  # a request (CALL payload)
    validate("GetConfiguration", payload, response=True)   # a response (CALLRESULT payload)
    validate_cp_messages(cs.messages)                      # all a charge point sent

Failures raise ``AssertionError`` with a readable message. Numbers are compared as decimals
(the schemas' ``multipleOf: 0.1`` would reject 21.4 as a binary float), and the schemas'
``"format": "date-time"`` is checked (RFC 3339 / ISO-8601 with a time zone), which plain
Draft-04 validation would ignore.
"""

import decimal
import json
import os
import re
import threading

import jsonschema
import ocpp

SCHEMA_DIR = os.path.join(os.path.dirname(os.path.abspath(ocpp.__file__)), "v16", "schemas")

# OCPP-J 1.6, 4.2.3 CallError error codes, spelled as in the specification (the errata keeps
# the typos "FormationViolation" and "OccurenceConstraintViolation").
CALLERROR_CODES = (
    "NotImplemented", "NotSupported", "InternalError", "ProtocolError", "SecurityError",
    "FormationViolation", "PropertyConstraintViolation", "OccurenceConstraintViolation",
    "TypeConstraintViolation", "GenericError",
)
UNIQUE_ID_MAX = 36

_DATE_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$")
_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

_format_checker = jsonschema.FormatChecker(formats=())


@_format_checker.checks("date-time")
def _is_date_time(value):
    if not isinstance(value, str):
        return True
    m = _DATE_TIME.match(value)
    if m is None:
        return False
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    if not (1 <= month <= 12 and 1 <= day <= _DAYS[month - 1]):
        return False
    if month == 2 and day == 29 and not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        return False
    if hour > 23 or minute > 59 or second > 60:
        return False
    if m.group(9) is not None and (int(m.group(9)) > 23 or int(m.group(10)) > 59):
        return False
    return True


_validators = {}
_lock = threading.Lock()


def schema_name(action, response=False):
    return action + ("Response" if response else "")


def get_validator(action, response=False):
    """The cached Draft-04 validator for ``action`` (request) or its response."""
    name = schema_name(action, response)
    with _lock:
        validator = _validators.get(name)
        if validator is None:
            path = os.path.join(SCHEMA_DIR, name + ".json")
            if not isinstance(action, str) or not re.match(r"^[A-Za-z]+$", action) \
                    or not os.path.isfile(path):
                raise AssertionError("No OCPP 1.6 schema for %r (looked for %s)" % (action, path))
            with open(path, "r", encoding="utf-8-sig") as f:
                schema = json.load(f, parse_float=decimal.Decimal)
            validator = jsonschema.Draft4Validator(schema, format_checker=_format_checker)
            _validators[name] = validator
        return validator


def _as_decimals(payload):
    try:
        return json.loads(json.dumps(payload, default=_decimal_default), parse_float=decimal.Decimal)
    except (TypeError, ValueError) as exc:
        raise AssertionError("payload is not JSON-serialisable: %r (%s)" % (payload, exc))


def _decimal_default(value):
    if isinstance(value, decimal.Decimal):
        return float(value)
    raise TypeError("not JSON serialisable: %r" % (value,))


def _errors(action, payload, response):
    validator = get_validator(action, response)
    instance = _as_decimals(payload)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    lines = []
    for e in errors:
        where = "/".join(str(p) for p in e.absolute_path) or "(top level)"
        lines.append("  at %s: %s [%s]" % (where, e.message, e.validator))
    return lines


def validate(action, payload, response=False):
    """Raise ``AssertionError`` unless ``payload`` is valid for ``action`` (or its response)."""
    lines = _errors(action, payload, response)
    if lines:
        raise AssertionError("%s payload is not valid against %s.json:\n%s\n  payload: %s" % (
            "Response" if response else "Request", schema_name(action, response), "\n".join(lines),
            json.dumps(payload, default=str)))


def _check_cp_frame(m, problems):
    """Append to ``problems`` what is wrong with one CP->CS ``messages`` entry."""
    raw = m.get("raw")
    label = "%s frame %s" % (m.get("cp_id"), raw if len(str(raw)) <= 300 else str(raw)[:300] + "...")
    if m.get("binary"):
        problems.append("%s: sent as a binary websocket frame (OCPP-J needs text)" % label)
    try:
        frame = json.loads(raw)
    except (TypeError, ValueError):
        problems.append("%s: not valid JSON" % label)
        return
    if not isinstance(frame, list) or not frame or frame[0] not in (2, 3, 4) or isinstance(frame[0], bool):
        problems.append("%s: not an OCPP-J message array [2|3|4, ...]" % label)
        return
    mtype = frame[0]
    expected_len = {2: 4, 3: 3, 4: 5}[mtype]
    if len(frame) != expected_len:
        problems.append("%s: a type-%d message has %d elements, not %d"
                        % (label, mtype, len(frame), expected_len))
        return
    uid = frame[1]
    if not isinstance(uid, str) or not uid or len(uid) > UNIQUE_ID_MAX:
        problems.append("%s: UniqueId must be a non-empty string of at most %d characters"
                        % (label, UNIQUE_ID_MAX))
    if mtype == 2:
        action, payload = frame[2], frame[3]
        if not isinstance(action, str):
            problems.append("%s: Action must be a string" % label)
            return
        try:
            validate(action, payload)
        except AssertionError as exc:
            problems.append("%s CALL %s: %s" % (m.get("cp_id"), action, exc))
    elif mtype == 3:
        action = m.get("action")
        if action is None:
            problems.append("%s: CALLRESULT answers no CALL the Central System sent" % label)
            return
        try:
            validate(action, frame[2], response=True)
        except AssertionError as exc:
            problems.append("%s CALLRESULT to %s: %s" % (m.get("cp_id"), action, exc))
    else:
        code, description, details = frame[2], frame[3], frame[4]
        if code not in CALLERROR_CODES:
            problems.append("%s: CALLERROR code %r is not an OCPP 1.6 error code %s"
                            % (label, code, list(CALLERROR_CODES)))
        if not isinstance(description, str):
            problems.append("%s: CALLERROR description must be a string" % label)
        if not isinstance(details, dict):
            problems.append("%s: CALLERROR details must be a JSON object" % label)


def validate_cp_messages(messages):
    """Check every frame the charge point sent in a ``CentralSystem.messages`` log.

    CALL payloads are validated as requests, CALLRESULT payloads against the response schema
    of the CS call they answer; frames must be well-formed OCPP-J (element count, UniqueId
    string of at most 36 characters, CALLERROR codes from OCPP 1.6). Raises AssertionError
    listing every problem.
    """
    problems = []
    for m in list(messages):
        if m.get("dir") == "cp->cs":
            _check_cp_frame(m, problems)
    if problems:
        raise AssertionError("The charge point sent %d invalid message(s):\n%s"
                             % (len(problems), "\n".join(problems)))
