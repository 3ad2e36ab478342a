"""UnlockConnector: end the connector's session (reason UnlockCommand), then the board unlocks.

The board's hook connector.unlock = fn() -> True (Unlocked) / False (UnlockFailed) is set with
setOnUnlockConnector; without one the answer is NotSupported and nothing is stopped.
"""
from ocpp_cp.engine.rpc import CallError

SCHEMA = {"connectorId": "i"}


def handle(cp, payload):
    cid = payload["connectorId"]
    if not 0 < cid < len(cp.connectors):
        raise CallError("PropertyConstraintViolation", "no connector %d" % cid)
    connector = cp.connectors[cid]
    unlock = connector.unlock
    if unlock is None:
        return {"status": "NotSupported"}
    connector.end_session("UnlockCommand")  # a running transaction is stopped first
    return {"status": "Unlocked" if unlock() else "UnlockFailed"}
