"""SetChargingProfile: handed to the sketch's listener until smart charging is built.

Accepted only when the sketch listens (setOnSetChargingProfileRequest), else NotSupported.
PROFILE (a csChargingProfiles / chargingProfile) is shared with RemoteStartTransaction.
"""
PROFILE = {
    "chargingProfileId": "i", "transactionId?": "i", "stackLevel": "i",
    "chargingProfilePurpose": ("ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"),
    "chargingProfileKind": ("Absolute", "Recurring", "Relative"),
    "recurrencyKind?": ("Daily", "Weekly"), "validFrom?": "t", "validTo?": "t",
    "chargingSchedule": {
        "duration?": "i", "startSchedule?": "t", "chargingRateUnit": ("A", "W"),
        "chargingSchedulePeriod": [{"startPeriod": "i", "limit": "n10", "numberPhases?": "i"}],
        "minChargingRate?": "n10"},
}
SCHEMA = {"connectorId": "i", "csChargingProfiles": PROFILE}


def handle(cp, payload):
    if cp.on_receive_request.get("SetChargingProfile") is None:
        return {"status": "NotSupported"}
    return {"status": "Accepted"}
