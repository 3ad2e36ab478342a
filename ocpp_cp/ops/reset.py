"""Reset: stop running transactions (SoftReset/HardReset), then restart the device.

Rejected without a restart hook (cp.on_reset, setOnResetExecute), and for a Soft reset that
cp.on_reset_notify(isHard) (setOnResetNotify) answers False; a Hard reset cannot be refused.
"""
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
    # after the answer is out: close transactions, then cp.on_reset restarts the board
    if result["status"] == "Accepted":
        cp.request_reset(payload["type"])
