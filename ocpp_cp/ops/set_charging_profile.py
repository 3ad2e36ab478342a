"""SetChargingProfile: handed to the sketch's listener until smart charging is built.

Accepted only when the sketch listens (setOnSetChargingProfileRequest), else NotSupported.
"""
from . import field


def handle(cp, payload):
    field(payload, "connectorId", int)
    field(payload, "csChargingProfiles", dict)
    if cp.on_receive_request.get("SetChargingProfile") is None:
        return {"status": "NotSupported"}
    return {"status": "Accepted"}
