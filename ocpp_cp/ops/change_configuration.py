"""ChangeConfiguration: set one key; Accepted/Rejected/RebootRequired/NotSupported."""
SCHEMA = {"key": "s50", "value": "s500"}


def handle(cp, payload):
    return {"status": cp.config.change(payload["key"], payload["value"])}
