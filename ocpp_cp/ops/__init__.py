"""One module per OCPP action, named after it in snake_case (docs/architecture.md).

A module may define handle(cp, payload) for calls from the Central System, send(cp, ...)
for calls we make, conf(cp, request, payload) for their answers and failed(cp, request, why).
They are imported on first use, so an operation a charger never sees costs no RAM.
"""
from ..engine.rpc import CallError


def field(payload, key, kind, required=True, max_length=None, choices=None):
    """A payload field checked as the OCPP-J error codes say; None if optional and absent."""
    value = payload.get(key)
    if value is None:
        if required:
            raise CallError("OccurenceConstraintViolation", "%s is required" % key)
        return None
    if kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise CallError("TypeConstraintViolation", "%s must be %s" % (key, kind.__name__))
    if max_length is not None and len(value) > max_length:
        raise CallError("PropertyConstraintViolation", "%s is longer than %d" % (key, max_length))
    if choices is not None and value not in choices:
        raise CallError("PropertyConstraintViolation", "%s must be one of %s" % (key, ", ".join(choices)))
    return value
