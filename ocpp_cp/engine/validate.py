"""Compact payload checks for calls from the Central System, small enough for a microcontroller.

An ops module declares SCHEMA, a dict of field -> spec; a field name ending in '?' is optional.
A spec is one of:
    "i"  integer        "n"  number (integer or decimal)     "b"  boolean
    "n10" number that is a whole multiple of 1/10 (the schemas' multipleOf 0.1)
    "s"  string         "s20" string of at most 20 characters
    "t"  date-time as RFC 3339 (the schemas' "format": "date-time"): 2026-11-21T10:00:00[.5](Z|+01:00)
    "o"  any object
    ("A", "B", ...)      one of these strings (an enum)
    {...}                a nested object with its own fields (no others allowed)
    [spec]               a list whose items all match spec; ["i", 1] also needs at least 1 item
The first violation raises CallError with the OCPP-J 1.6 code of its kind: a field that is not
in the schema FormationViolation; a required one missing OccurenceConstraintViolation; a wrong
JSON type (null included) TypeConstraintViolation; a bad value (length, enum, date-time,
multiple of 1/10) PropertyConstraintViolation. A payload accepted here is one the official
OCPP 1.6 JSON schema accepts and the other way round (tests/test_validation.py).
"""
from .rpc import CallError

_TYPE = "TypeConstraintViolation"
_PROPERTY = "PropertyConstraintViolation"
_OCCURENCE = "OccurenceConstraintViolation"  # the 1.6 spec's spelling
_FORMATION = "FormationViolation"
_TOLERANCE = 1e-6 if 1.0 + 1e-8 == 1.0 else 1e-12  # 30-bit floats on CircuitPython devices

# OCPP 1.6 actions a Central System may send (all feature profiles): without an ops module
# for one of them the answer is NotSupported (recognised), for anything else NotImplemented.
_KNOWN = ("CancelReservation ChangeAvailability ChangeConfiguration ClearCache ClearChargingProfile "
          "DataTransfer GetCompositeSchedule GetConfiguration GetDiagnostics GetLocalListVersion "
          "RemoteStartTransaction RemoteStopTransaction ReserveNow Reset SendLocalList "
          "SetChargingProfile TriggerMessage UnlockConnector UpdateFirmware")


def unknown_action_code(action):
    """The CALLERROR code for an action no ops module handles."""
    return "NotSupported" if action in _KNOWN.split() else "NotImplemented"


def check(payload, schema, path=""):
    if not isinstance(payload, dict):
        raise CallError(_TYPE, (path or "payload") + " must be an object")
    for key in payload:
        if key[-1:] == "?" or (key not in schema and (key + "?") not in schema):
            raise CallError(_FORMATION, "unexpected field " + path + key)
    for field, spec in schema.items():
        name = field[:-1] if field[-1] == "?" else field
        if name in payload:
            _value(payload[name], spec, path + name)
        elif name == field:
            raise CallError(_OCCURENCE, path + name + " is required")


def _value(value, spec, where):
    if isinstance(spec, str):
        kind = spec[0]
        if kind == "i":
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif kind == "n":
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        elif kind == "b":
            ok = isinstance(value, bool)
        elif kind == "o":
            ok = isinstance(value, dict)
        else:  # s, t
            ok = isinstance(value, str)
        if not ok:
            raise CallError(_TYPE, where + " has the wrong type")
        if len(spec) > 1:
            if kind == "s":  # MicroPython's json makes an escaped pair (\ud83d\ude00) 2 characters
                n = int(spec[1:])
                ok = len(value) <= n or len(value) - len([c for c in value if 0xDBFF < ord(c) < 0xE000]) <= n
            else:  # "n10": value * 10 is whole, to float precision
                d = value * int(spec[1:])
                ok = -1e15 < d < 1e15 and abs(d - round(d)) <= abs(d) * _TOLERANCE
            if not ok:
                raise CallError(_PROPERTY, where + " does not fit " + spec)
        if kind == "t" and not _is_time(value):
            raise CallError(_PROPERTY, where + " is not an RFC 3339 date-time")
    elif isinstance(spec, tuple):
        if not isinstance(value, str):
            raise CallError(_TYPE, where + " has the wrong type")
        if value not in spec:
            raise CallError(_PROPERTY, where + " must be one of " + ", ".join(spec))
    elif isinstance(spec, dict):
        check(value, spec, where + ".")
    else:  # [item spec] or [item spec, minimum count]
        if not isinstance(value, list):
            raise CallError(_TYPE, where + " must be a list")
        if len(spec) > 1 and len(value) < spec[1]:
            raise CallError(_OCCURENCE, where + " needs at least %d item(s)" % spec[1])
        for i, item in enumerate(value):
            _value(item, spec[0], "%s[%d]" % (where, i))


def _is_time(text):
    """RFC 3339 date-time: 2026-11-21T10:00:00, optional fraction, then Z or +hh:mm / -hh:mm."""
    n = len(text)
    if n < 20:
        return False
    for i, t in enumerate("0000-00-00T00:00:00"):
        c = text[i]
        if not (c in "0123456789" if t == "0" else c == t or (t == "T" and c == "t")):
            return False
    i = 19
    if text[i] == ".":
        i += 1
        while i < n and text[i] in "0123456789":
            i += 1
        if i == 20:
            return False
    zone = text[i:]
    if zone not in ("Z", "z"):
        if len(zone) != 6 or zone[0] not in "+-" or zone[3] != ":" or \
                not all(c in "0123456789" for c in zone[1:3] + zone[4:]) or \
                int(zone[1:3]) > 23 or int(zone[4:]) > 59:
            return False
    from .clock import days_in_month
    y, mo, d = int(text[0:4]), int(text[5:7]), int(text[8:10])
    return 1 <= mo <= 12 and 1 <= d <= days_in_month(y, mo) and int(text[11:13]) < 24 and \
        int(text[14:16]) < 60 and int(text[17:19]) < 61
