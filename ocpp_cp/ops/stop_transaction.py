"""StopTransaction: a transaction message; waits for its StartTransaction's transactionId."""
from ..engine.rpc import Request


def send(cp, tx, listeners=None):
    def build(req):
        if tx.transaction_id is None:
            cp.log("StopTransaction dropped: its StartTransaction was never confirmed")
            return None
        payload = {"transactionId": tx.transaction_id, "meterStop": tx.meter_stop,
                   "timestamp": cp.clock.iso(tx.stop_stamp), "reason": tx.stop_reason}
        if tx.stop_id_tag:
            payload["idTag"] = tx.stop_id_tag
        return payload
    cp.rpc.enqueue(Request("StopTransaction", build, *(listeners or ()), durable=True, context=tx))
