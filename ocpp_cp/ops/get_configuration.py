"""GetConfiguration: all keys, or the listed ones (unknown ones in unknownKey)."""
from . import CallError

SCHEMA = {"key?": ["s50"]}


def handle(cp, payload):
    names = payload.get("key")
    if names and len(names) > cp.config.get("GetConfigurationMaxKeys"):
        raise CallError("OccurenceConstraintViolation", "more keys than GetConfigurationMaxKeys")
    known, unknown = cp.config.describe(names or None)
    result = {"configurationKey": known}
    if unknown:
        result["unknownKey"] = unknown
    return result
