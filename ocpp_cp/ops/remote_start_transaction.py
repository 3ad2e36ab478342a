"""RemoteStartTransaction: the Central System starts a session for an idTag."""
from . import field


def handle(cp, payload):
    id_tag = field(payload, "idTag", str, max_length=20)
    connector_id = field(payload, "connectorId", int, required=False)
    field(payload, "chargingProfile", dict, required=False)
    if connector_id is None:  # none given: the first free connector
        free = [c for c in cp.connectors[1:] if c.tx is None]
        connector = free[0] if free else None
    elif 0 < connector_id < len(cp.connectors):
        connector = cp.connectors[connector_id]
    else:
        connector = None
    if connector is None or connector.tx is not None:
        return {"status": "Rejected"}
    # AuthorizeRemoteTxRequests: ask the Central System about the idTag first
    authorized = None if cp.config.get("AuthorizeRemoteTxRequests") else True
    connector.begin_session(id_tag, authorized)
    return {"status": "Accepted"}
