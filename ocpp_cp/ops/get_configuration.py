"""GetConfiguration: all keys, or the listed ones (unknown ones in unknownKey)."""
from . import CallError, field


def handle(cp, payload):
    names = field(payload, "key", list, required=False)
    if names is not None:
        for name in names:
            if not isinstance(name, str):
                raise CallError("TypeConstraintViolation", "key must be a list of strings")
        if len(names) > cp.config.get("GetConfigurationMaxKeys"):
            raise CallError("OccurenceConstraintViolation", "more keys than GetConfigurationMaxKeys")
    known, unknown = cp.config.describe(names or None)
    result = {"configurationKey": known}
    if unknown:
        result["unknownKey"] = unknown
    return result
