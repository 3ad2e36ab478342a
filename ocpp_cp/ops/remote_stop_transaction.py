"""RemoteStopTransaction: stop the transaction with this id (reason Remote)."""
from . import field


def handle(cp, payload):
    tx_id = field(payload, "transactionId", int)
    for connector in cp.connectors[1:]:
        tx = connector.running()
        if tx is not None and tx.transaction_id == tx_id:
            connector.stop("Remote")
            return {"status": "Accepted"}
    return {"status": "Rejected"}
