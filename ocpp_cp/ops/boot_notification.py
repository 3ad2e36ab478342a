"""BootNotification: who we are; nothing else is sent until the Central System accepts."""
from ..engine.rpc import Request


def send(cp):
    payload = cp.boot_payload or {"chargePointModel": "ocpp_cp", "chargePointVendor": "ocpp_cp"}
    cp.rpc.enqueue(Request("BootNotification", payload, *(cp.boot_listeners or ())))


def conf(cp, req, payload):
    status = payload["status"]
    interval = payload["interval"]
    if status not in ("Accepted", "Pending", "Rejected") or not isinstance(interval, int):
        raise ValueError("status/interval")
    try:
        cp.clock.set_iso(payload["currentTime"])
    except ValueError as e:
        cp.log("BootNotification: bad currentTime (%s); clock not set" % e)
    cp.boot_answered(status, interval)


def failed(cp, req, why):
    cp.boot_failed()
