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
        if c.set_operative(payload["type"] == "Operative") == "Scheduled":
            status = "Scheduled"
    after = wanted(cp)
    if after != before:
        cp.store.save("avail", json.dumps(after).encode())
    return {"status": status}
