"""StartTransaction: a transaction message (kept while offline, sent in order)."""
from ..engine.rpc import Request


def send(cp, tx, listeners=None):
    def build(req):
        return {"connectorId": tx.connector_id, "idTag": tx.id_tag, "meterStart": tx.meter_start,
                "timestamp": cp.clock.iso(tx.start_stamp)}
    cp.rpc.enqueue(Request("StartTransaction", build, *(listeners or ()), durable=True, context=tx))


def conf(cp, req, payload):
    tx = req.context
    tx_id = payload["transactionId"]
    status = payload["idTagInfo"]["status"]
    if not isinstance(tx_id, int):
        raise TypeError("transactionId")
    tx.transaction_id = tx_id
    if status != "Accepted":
        tx.deauthorized = True
        cp.log("transaction %d: idTag %s is %s" % (tx_id, tx.id_tag, status))
        connector = cp.connectors[tx.connector_id]
        if connector.tx is tx and cp.config.get("StopTransactionOnInvalidId"):
            connector.stop("DeAuthorized")


def failed(cp, req, why):
    cp.log("StartTransaction on connector %d could not be delivered" % req.context.connector_id)
