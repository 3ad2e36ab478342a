"""StatusNotification: the connector's status whenever it differs from what was last confirmed."""
from ..engine.rpc import Request


def send(cp, connector):
    def build(req):
        req.sent_status = connector.status  # the newest status when it actually goes out
        payload = {"connectorId": connector.id, "errorCode": "NoError", "status": connector.status}
        if cp.clock.resolve(connector.status_stamp) is not None:
            payload["timestamp"] = cp.clock.iso(connector.status_stamp)
        return payload
    cp.rpc.enqueue(Request("StatusNotification", build, context=connector))


def conf(cp, req, payload):
    req.context.reported = req.sent_status


def failed(cp, req, why):
    req.context.status_retry = cp.clock.uptime() + 10  # don't hammer a Central System that refuses it
