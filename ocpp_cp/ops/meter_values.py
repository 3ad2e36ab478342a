"""MeterValues: samples taken during a transaction (a transaction message, journaled), and
clock-aligned samples (Sample.Clock: with the transactionId while one runs on the connector,
else without). While a transaction runs, the StopTxnSampledData / StopTxnAlignedData measurands
are kept for its StopTransaction's transactionData too."""
RESIDENT = True  # every sample of a transaction (engine/rpc.py)


def send_sample(cp, connector, context, key="MeterValuesSampledData", stamp=None):
    tx = connector.running()
    if stamp is None:
        stamp = cp.clock.stamp()
    if tx is not None:
        tx_data(cp, connector, tx, context, "StopTxn" + key[11:], stamp)  # MeterValuesXxxData -> StopTxnXxxData
    values = connector.meter.sample(cp.config.get(key), context)
    if not values:
        return
    if tx is not None:
        row = cp.journal.sampled(tx, stamp, values)
        if row is not None:
            queue(cp, tx, row)
        return

    def build(req):
        return {"connectorId": connector.id, "meterValue": [{"timestamp": cp.clock.iso(stamp), "sampledValue": values}]}
    cp.rpc.request("MeterValues", build)


def tx_data(cp, connector, tx, context, key, stamp):
    measurands = cp.config.get(key)
    if measurands:
        cp.journal.add_data(tx, stamp, connector.meter.sample(measurands, context))


def queue(cp, tx, row):
    """A journaled sample row (journal.sampled) as a MeterValues of its transaction."""
    journal = cp.journal

    def build(req):
        if row not in tx.meter:  # thinned out (OcppCpMeterValuesMax), or its transaction given up
            return None
        payload = {"connectorId": tx.connector_id, "meterValue": [
            {"timestamp": journal.iso(tx, row[2]), "sampledValue": journal.row_payload(tx, row, 3)}]}
        if tx.transaction_id is not None:
            payload["transactionId"] = tx.transaction_id
        return payload
    journal.enqueue("MeterValues", build, (tx, row), tx.id_base + "m" + str(row[0]), row[1])


def clock_aligned(cp):
    """From ChargePoint.loop while ClockAlignedDataInterval is set: MeterValues (Sample.Clock,
    MeterValuesAlignedData) of every connector with samplers at each multiple of the interval
    from midnight UTC, in a transaction or not."""
    interval = cp.config.get("ClockAlignedDataInterval")
    now = cp.clock.now()
    if now is None:
        return
    from ..engine import metering
    due = cp.next_aligned
    if due is None or due - now > interval:  # first time, or the clock was set back
        cp.next_aligned = metering.next_aligned(now, interval)
    elif now >= due:
        cp.next_aligned = metering.next_aligned(now, interval)
        for c in cp.connectors:
            send_sample(cp, c, "Sample.Clock", "MeterValuesAlignedData", now - now % 86400 % interval)


def conf(cp, req, payload):
    if req.context is not None:
        cp.journal.delivered(*req.context)


def retry(cp, req):
    tx, row = req.context
    row[1] = req.attempts
    cp.journal.save(tx)


def failed(cp, req, why):
    if req.context is not None and req.durable:
        cp.journal.delivered(*req.context)  # given up after TransactionMessageAttempts
