"""ChangeAvailability: connector N (or 0: every connector) Operative/Inoperative.

Accepted (applied now), Scheduled (a transaction runs on it: applied when that is over) or
Rejected (no such connector). The StatusNotification follows from the connector's new status.
The wanted state is kept across restarts in the store record "avail" (the inoperative ids).
"""
import json

SCHEMA = {"connectorId": "i", "type": ("Inoperative", "Operative")}


def wanted(cp):
    """Ids of the connectors that are, or are scheduled to become, inoperative."""
    return [c.id for c in cp.connectors[1:]
            if not (c.operative if c.pending_operative is None else c.pending_operative)]


def handle(cp, payload):
    cid = payload["connectorId"]
    if not 0 <= cid < len(cp.connectors):
        return {"status": "Rejected"}
    before = wanted(cp)
    status = "Accepted"
    for c in (cp.connectors[1:] if cid == 0 else (cp.connectors[cid],)):
        if set_operative(c, payload["type"] == "Operative") == "Scheduled":
            status = "Scheduled"
    after = wanted(cp)
    if after != before:
        cp.store.save("avail", json.dumps(after).encode())
    return {"status": status}


def set_operative(connector, operative):
    """'Accepted', or 'Scheduled' while a transaction runs on the connector (then applied when it
    is over, by Connector.poll). Inoperative drops a session still waiting for the car."""
    if connector.running() is not None and operative != connector.operative:
        connector.pending_operative = operative
        return "Scheduled"
    connector.pending_operative = None
    connector.operative = operative
    if not operative and connector.tx is not None and not connector.tx.started:
        connector.tx = None
    return "Accepted"


def restore(cp, data):
    """At start-up (ChargePoint), from the record "avail"."""
    connectors = cp.connectors
    try:
        for i in json.loads(bytes(data).decode()):
            if 0 < i < len(connectors):
                connectors[i].operative = False
    except (ValueError, TypeError):
        cp.log("stored availability is corrupt: ignored")
    connectors[0].operative = any(c.operative for c in connectors[1:])
