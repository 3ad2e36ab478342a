"""Heartbeat: sent when nothing else went out for HeartbeatInterval; sets the clock."""


def send(cp):
    cp.rpc.request("Heartbeat", {})


def conf(cp, req, payload):
    cp.clock.set_iso(payload["currentTime"])
