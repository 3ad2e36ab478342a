"""GetConfiguration: all keys, or the listed ones (unknown ones in unknownKey)."""
from ocpp_cp.engine.rpc import CallError

SCHEMA = {"key?": ["s50"]}


def handle(cp, payload):
    config = cp.config
    names = payload.get("key")
    if names and len(names) > config.get("GetConfigurationMaxKeys"):
        raise CallError("OccurenceConstraintViolation", "more keys than GetConfigurationMaxKeys")
    values = config.values
    known, unknown = [], []
    for name in names or values:
        if name in values:
            value = values[name]
            known.append({"key": name, "readonly": config.readonly(name),
                          "value": "true" if value is True else "false" if value is False else str(value)})
        else:
            unknown.append(name)
    result = {"configurationKey": known}
    if unknown:
        result["unknownKey"] = unknown
    return result
