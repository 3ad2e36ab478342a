"""BootNotification: who we are; nothing else is sent until the Central System accepts.
Pending/Rejected: sent again after the interval of the answer (60 s if none); no answer or a
CALLERROR: after 30 s."""


def send(cp):
    cp.rpc.request("BootNotification", cp.boot_payload or {"chargePointModel": "ocpp_cp",
                                                          "chargePointVendor": "ocpp_cp"}, cp.boot_listeners)


def conf(cp, req, payload):
    status = payload["status"]
    interval = payload["interval"]
    if status not in ("Accepted", "Pending", "Rejected") or not isinstance(interval, int):
        raise ValueError("status/interval")
    try:
        cp.clock.set_iso(payload["currentTime"])
    except ValueError as e:
        cp.log("BootNotification: bad currentTime (%s); clock not set" % e)
    cp.boot_status = status
    if status == "Accepted":
        cp.rpc.only_action = None
        if interval > 0:
            cp.config.set("HeartbeatInterval", interval)
        cp.log("BootNotification accepted")
    else:
        interval = interval or 60
        cp.boot_retry_at = cp.clock.uptime() + interval
        cp.log("BootNotification %s: retry in %d s" % (status, interval))


def failed(cp, req, why):
    cp.boot_retry_at = cp.clock.uptime() + 30
