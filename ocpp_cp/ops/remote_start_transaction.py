"""RemoteStartTransaction: the Central System starts a session for an idTag.

No connectorId: the first free connector. Rejected when that connector (or the whole charger)
is busy or unavailable, or does not exist. AuthorizeRemoteTxRequests: the idTag is checked
first like a local one (cache, else Authorize). A chargingProfile (purpose TxProfile) goes
to the SetChargingProfile listener as a SetChargingProfile payload until smart charging
exists; without that listener it is ignored (OCPP 1.6, 5.11: a charger without smart charging).
"""
from ocpp_cp.engine.rpc import call_listener
from .set_charging_profile import PROFILE

SCHEMA = {"idTag": "s20", "connectorId?": "i", "chargingProfile?": PROFILE}


def _free(c):
    return c.tx is None and c.operative


def handle(cp, payload):
    cid = payload.get("connectorId")
    if cid is None:
        free = [c for c in cp.connectors[1:] if _free(c)]
        connector = free[0] if free else None
    else:
        connector = cp.connectors[cid] if 0 < cid < len(cp.connectors) else None
    profile = payload.get("chargingProfile")
    listener = cp.on_receive_request.get("SetChargingProfile")
    if profile is not None and listener is not None and profile["chargingProfilePurpose"] != "TxProfile":
        connector = None  # only a TxProfile may come with a remote start
    if connector is None or not _free(connector) or not cp.connectors[0].operative:
        return {"status": "Rejected"}
    # AuthorizeRemoteTxRequests: check the idTag first, as for a card at the charger
    if not connector.begin_session(payload["idTag"], None if cp.config.get("AuthorizeRemoteTxRequests") else True):
        return {"status": "Rejected"}  # the connector refused a session (e.g. faulted)
    if profile is not None and listener is not None:
        call_listener(cp.log, listener, {"connectorId": connector.id, "csChargingProfiles": profile})
    return {"status": "Accepted"}
