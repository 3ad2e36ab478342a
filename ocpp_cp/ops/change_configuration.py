"""ChangeConfiguration: set one key; Accepted/Rejected/RebootRequired/NotSupported."""
from . import field


def handle(cp, payload):
    key = field(payload, "key", str, max_length=50)
    value = field(payload, "value", str, max_length=500)
    return {"status": cp.config.change(key, value)}
