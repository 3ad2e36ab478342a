"""Reset: stop running transactions (SoftReset/HardReset), then restart the device.

Rejected without a restart hook (cp.on_reset, setOnResetExecute), and for a Soft reset that
cp.on_reset_notify(isHard) (setOnResetNotify) answers False; a Hard reset cannot be refused.
Once answered, ChargePoint.loop calls step() until the StopTransactions are out (at most 15 s),
then cp.on_reset(isHard) restarts the board.
"""
from adafruit_ticks import ticks_add, ticks_diff

SCHEMA = {"type": ("Hard", "Soft")}


def handle(cp, payload):
    hard = payload["type"] == "Hard"
    if cp.on_reset is None:
        cp.log("Reset rejected: no restart hook (setOnResetExecute)")
        return {"status": "Rejected"}
    notify = cp.on_reset_notify
    if notify is not None and notify(hard) is False and not hard:
        return {"status": "Rejected"}
    return {"status": "Accepted"}


def after(cp, payload, result):
    # after the answer is out: close the transactions (reason SoftReset/HardReset)
    if result["status"] == "Accepted":
        kind = payload["type"]
        for c in cp.connectors:
            if c.running() is not None:
                c.stop(kind + "Reset")
            elif c.tx is not None:
                c.tx = None
        cp.reset_pending = kind
        cp.reset_deadline = ticks_add(cp.ticks_ms(), 15000)


def step(cp, now):
    if cp.rpc.durable_pending() and ticks_diff(now, cp.reset_deadline) < 0:
        return
    kind, cp.reset_pending = cp.reset_pending, None
    cp.log("%s reset" % kind)
    if cp.on_reset is not None:
        cp.on_reset(kind == "Hard")
