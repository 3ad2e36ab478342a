"""MeterValues: samples taken during a transaction (a transaction message)."""
from ..engine.rpc import Request


def send_sample(cp, connector, context):
    tx = connector.tx
    values = connector.meter.sample(cp.config.get("MeterValuesSampledData"), context)
    if not values:
        return
    stamp = cp.clock.stamp()

    def build(req):
        payload = {"connectorId": connector.id,
                   "meterValue": [{"timestamp": cp.clock.iso(stamp), "sampledValue": values}]}
        if tx is not None and tx.transaction_id is not None:
            payload["transactionId"] = tx.transaction_id
        return payload
    cp.rpc.enqueue(Request("MeterValues", build, durable=tx is not None, context=tx))
