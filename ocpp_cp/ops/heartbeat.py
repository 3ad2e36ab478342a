"""Heartbeat: sent when nothing else went out for HeartbeatInterval; sets the clock."""
from ..engine.rpc import Request


def send(cp):
    cp.rpc.enqueue(Request("Heartbeat", {}))


def conf(cp, req, payload):
    cp.clock.set_iso(payload["currentTime"])
