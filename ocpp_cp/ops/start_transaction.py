"""StartTransaction: a transaction message (journaled, kept while offline, sent in order)."""


def send(cp, tx, listeners=None):
    """Journal the transaction and queue its StartTransaction; False if the journal refuses it."""
    if not cp.journal.started(tx):
        return False
    from . import meter_values
    meter_values.tx_data(cp, cp.connectors[tx.connector_id], tx, "Transaction.Begin", "StopTxnSampledData",
                         tx.start_stamp)
    queue(cp, tx, listeners)
    return True


def queue(cp, tx, listeners=None):
    def build(req):
        return {"connectorId": tx.connector_id, "idTag": tx.id_tag, "meterStart": tx.meter_start,
                "timestamp": cp.journal.iso(tx, tx.start_stamp)}
    cp.journal.enqueue("StartTransaction", build, tx, tx.id_base + "s", tx.attempts[0], listeners)


def conf(cp, req, payload):
    tx = req.context
    tx_id = payload["transactionId"]
    status = payload["idTagInfo"]["status"]
    if not isinstance(tx_id, int):
        raise TypeError("transactionId")
    tx.transaction_id = tx_id
    tx.start_done = True
    cp.journal.save(tx)
    from ..engine import auth_cache
    auth_cache.remember(cp, tx.id_tag, payload["idTagInfo"])  # the authorization cache (OCPP 1.6 3.5.2)
    if status != "Accepted":
        tx.deauthorized = True
        cp.log("transaction %d: idTag %s is %s" % (tx_id, tx.id_tag, status))
        connector = cp.connectors[tx.connector_id]
        if connector.tx is tx and cp.config.get("StopTransactionOnInvalidId"):
            connector.stop("DeAuthorized")


def retry(cp, req):
    req.context.attempts[0] = req.attempts  # the retry budget survives a restart
    cp.journal.save(req.context)


def failed(cp, req, why):
    tx = req.context
    cp.log("StartTransaction on connector %d could not be delivered: the transaction is given up"
           % tx.connector_id)
    tx.start_done = True
    cp.journal.finish(tx)  # its StopTransaction has no transactionId to refer to
