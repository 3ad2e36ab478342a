"""StopTransaction: a transaction message; waits for its StartTransaction's transactionId.
transactionData: the StopTxnSampledData / StopTxnAlignedData samples the journal kept."""


def send(cp, tx, listeners=None):
    from . import meter_values
    meter_values.tx_data(cp, cp.connectors[tx.connector_id], tx, "Transaction.End", "StopTxnSampledData",
                         tx.stop_stamp)
    cp.journal.stopped(tx)
    queue(cp, tx, listeners)


def queue(cp, tx, listeners=None):
    journal = cp.journal

    def build(req):
        if tx.transaction_id is None:
            cp.log("StopTransaction dropped: its StartTransaction was never confirmed")
            journal.finish(tx)
            return None
        payload = {"transactionId": tx.transaction_id, "meterStop": tx.meter_stop,
                   "timestamp": journal.iso(tx, tx.stop_stamp), "reason": tx.stop_reason}
        if tx.stop_id_tag:
            payload["idTag"] = tx.stop_id_tag
        if tx.data:
            payload["transactionData"] = [{"timestamp": journal.iso(tx, row[0]),
                                           "sampledValue": journal.row_payload(tx, row, 1)} for row in tx.data]
        return payload
    journal.enqueue("StopTransaction", build, tx, tx.id_base + "e", tx.attempts[1], listeners)


def conf(cp, req, payload):
    cp.journal.finish(req.context)


def retry(cp, req):
    req.context.attempts[1] = req.attempts
    cp.journal.save(req.context)


def failed(cp, req, why):
    cp.log("StopTransaction of transaction %s could not be delivered: given up" % req.context.transaction_id)
    cp.journal.finish(req.context)
