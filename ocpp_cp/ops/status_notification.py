"""StatusNotification: a connector's status and error code whenever they differ from what the
Central System last confirmed and have lasted MinimumStatusDuration (engine/connector.py).

An error code that is not an OCPP ChargePointErrorCode goes out as OtherError with the code in
vendorErrorCode.
"""
RESIDENT = True  # whenever a status changes (engine/rpc.py)


def send(cp, connector):
    queued = (connector.status, connector.error, connector.status_stamp)

    def build(req):
        c = connector
        # the newest status when it actually goes out, if that one has lasted long enough
        if cp.clock.uptime() - c.status_up >= cp.config.get("MinimumStatusDuration"):
            status, error, stamp = c.status, c.error, c.status_stamp
        else:
            status, error, stamp = queued
        req.sent = (status, error)
        payload = {"connectorId": c.id, "errorCode": "NoError", "status": status}
        if error is not None:
            if error in ("ConnectorLockFailure EVCommunicationError GroundFailure HighTemperature InternalError "
                         "LocalListConflict OtherError OverCurrentFailure PowerMeterFailure PowerSwitchFailure "
                         "ReaderFailure ResetFailure UnderVoltage OverVoltage WeakSignal").split():  # OCPP's codes
                payload["errorCode"] = error
            else:
                payload["errorCode"] = "OtherError"
                payload["vendorErrorCode"] = str(error)[:50]
        if cp.clock.resolve(stamp) is not None:
            payload["timestamp"] = cp.clock.iso(stamp)
        return payload
    cp.rpc.request("StatusNotification", build, None, connector)


def conf(cp, req, payload):
    req.context.reported, req.context.reported_error = req.sent


def failed(cp, req, why):
    req.context.status_retry = cp.clock.uptime() + 10  # don't hammer a Central System that refuses it
