"""Compact payload checks for calls from the Central System, small enough for a microcontroller.

An ops module declares SCHEMA, a dict of field -> spec; a field name ending in '?' is optional.
A spec is one of:
    "i"  integer        "n"  number (integer or decimal)     "b"  boolean
    "s"  string         "s20" string of at most 20 characters
    "t"  ISO-8601 date-time string                          "o"  any object
    ("A", "B", ...)      one of these strings (an enum)
    {...}                a nested object with its own fields (no others allowed)
    [spec]               a list whose items all match spec; ["i", 1] also needs at least 1 item
Violations raise CallError with the OCPP-J 1.6 error code that names them.
"""
from .rpc import CallError

_TYPE = "TypeConstraintViolation"
_PROPERTY = "PropertyConstraintViolation"
_OCCURENCE = "OccurenceConstraintViolation"  # the 1.6 spec's spelling
_FORMATION = "FormationViolation"


def check(payload, schema, path=""):
    if not isinstance(payload, dict):
        raise CallError(_TYPE, (path or "payload") + " must be an object")
    for key in payload:
        if key not in schema and (key + "?") not in schema:
            raise CallError(_FORMATION, "unexpected field " + path + key)
    for field, spec in schema.items():
        optional = field[-1] == "?"
        name = field[:-1] if optional else field
        value = payload.get(name)
        if value is None:
            if name in payload or not optional:
                raise CallError(_OCCURENCE, path + name + " is required")
            continue
        _value(value, spec, path + name)


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
        if kind == "s" and len(spec) > 1 and len(value) > int(spec[1:]):
            raise CallError(_PROPERTY, where + " is longer than " + spec[1:])
        if kind == "t":
            from .clock import parse_iso
            try:
                parse_iso(value)
            except ValueError:
                raise CallError(_PROPERTY, where + " is not an ISO-8601 date-time")
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
