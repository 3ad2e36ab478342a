"""RemoteStopTransaction: stop the transaction with this id (reason Remote); Rejected if none runs."""
SCHEMA = {"transactionId": "i"}


def handle(cp, payload):
    tx_id = payload["transactionId"]
    for connector in cp.connectors[1:]:
        tx = connector.running()
        if tx is not None and tx.transaction_id == tx_id:
            connector.stop("Remote")
            return {"status": "Accepted"}
    return {"status": "Rejected"}
