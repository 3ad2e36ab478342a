"""Reset: stop running transactions (SoftReset/HardReset), then restart the device."""
from . import field


def handle(cp, payload):
    field(payload, "type", str, choices=("Hard", "Soft"))
    return {"status": "Accepted"}


def after(cp, payload, result):
    # after the answer is out: close transactions, then cp.on_reset restarts the board
    cp.request_reset(payload["type"])
