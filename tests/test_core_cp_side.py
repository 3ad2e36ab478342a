"""Core profile operations driven from the dev Central System over a real socket on 127.0.0.1:
each test asserts the charge point's answer AND the messages that follow it.

The charge point runs in the test thread through the beginner facade; the waiting helpers call
OCPP_loop while they wait. The central_system fixture validates every frame the charge point
sent against the official OCPP 1.6 schemas at teardown.
"""
import time

import pytest

from ocpp_cp import facade as F
from ocpp_cp.engine.clock import parse_iso
from tests.support.live import boot, loop_until
from tools.central_system import CallErrorReceived


class Charger:
    """A sketch with plug and meter per connector, booted against the dev Central System."""

    def __init__(self, cs, cp_id, connectors=1):
        self.cs = cs
        self.cp_id = cp_id
        self.plugged = dict((i, False) for i in range(1, connectors + 1))
        self.wh = dict((i, 1000 * i) for i in range(1, connectors + 1))
        boot(cs, cp_id, model="CpSide", setup=self.wire, connectors=connectors)
        loop_until(lambda: all(self.status(i) == "Available" for i in range(connectors + 1)))

    def wire(self):
        for i in self.plugged:
            F.setConnectorPluggedSampler((lambda i: lambda: self.plugged[i])(i), connectorId=i)
            F.setEnergyActiveImportSampler((lambda i: lambda: self.wh[i])(i), connectorId=i)

    def call(self, action, payload):
        return self.cs.call(self.cp_id, action, payload, pump=F.OCPP_loop)

    def statuses(self, connector_id):
        return [p["status"] for p in self.cs.calls("StatusNotification", cp_id=self.cp_id)
                if p["connectorId"] == connector_id]

    def status(self, connector_id):
        """The last status the Central System was told."""
        return self.cs.connector_status.get((self.cp_id, connector_id))

    def wait_status(self, connector_id, status):
        loop_until(lambda: self.status(connector_id) == status)

    def charge(self, connector_id=1, tag="CARD"):
        self.plugged[connector_id] = True
        assert F.beginSession(tag, connectorId=connector_id)
        loop_until(lambda: F.getTransactionId(connector_id) > 0)
        self.wait_status(connector_id, "Charging")
        return F.getTransactionId(connector_id)


# ---------------------------------------------------------------- ChangeAvailability

def test_change_availability_then_status_notifications(central_system, sketch):
    ch = Charger(central_system, "CP_AV", connectors=2)
    assert ch.call("ChangeAvailability", {"connectorId": 2, "type": "Inoperative"}) == {"status": "Accepted"}
    ch.wait_status(2, "Unavailable")
    assert not F.isOperative(2) and not F.isAvailable(2)
    assert F.beginSession("CARD", connectorId=2) is False
    assert ch.status(0) == "Available" and ch.status(1) == "Available"
    assert ch.call("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"}) == {"status": "Accepted"}
    ch.wait_status(0, "Unavailable")  # every connector inoperative: the charger too
    assert ch.call("ChangeAvailability", {"connectorId": 0, "type": "Operative"}) == {"status": "Accepted"}
    ch.wait_status(0, "Available")
    ch.wait_status(1, "Available")
    ch.wait_status(2, "Available")
    assert ch.statuses(2) == ["Available", "Unavailable", "Available"]
    assert ch.statuses(0) == ["Available", "Unavailable", "Available"]
    assert ch.call("ChangeAvailability", {"connectorId": 3, "type": "Inoperative"}) == {"status": "Rejected"}
    with pytest.raises(CallErrorReceived) as err:
        ch.call("ChangeAvailability", {"connectorId": 1, "type": "Off"})
    assert err.value.code == "PropertyConstraintViolation"


def test_change_availability_scheduled_during_a_transaction(central_system, sketch):
    cs = central_system
    ch = Charger(cs, "CP_SCH")
    tx_id = ch.charge()
    assert ch.call("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"}) == {"status": "Scheduled"}
    for _ in range(50):
        F.OCPP_loop()
        time.sleep(0.002)
    assert F.getConnectorStatus(1) == "Charging" and F.ocppPermitsCharge(1)
    assert ch.status(1) == "Charging"
    assert ch.call("RemoteStopTransaction", {"transactionId": tx_id}) == {"status": "Accepted"}
    ch.wait_status(1, "Unavailable")
    stop = cs.wait_for("StopTransaction", cp_id="CP_SCH", pump=F.OCPP_loop)[0]
    assert stop["transactionId"] == tx_id and stop["reason"] == "Remote"
    frames = [m for m in cs.messages if m["dir"] == "cp->cs" and m["type"] == 2]
    stop_at = [i for i, m in enumerate(frames) if m["action"] == "StopTransaction"][0]
    unavailable_at = [i for i, m in enumerate(frames) if m["action"] == "StatusNotification"
                      and m["payload"]["status"] == "Unavailable"][0]
    assert stop_at < unavailable_at  # applied once the transaction was over
    assert ch.statuses(1)[-3:] == ["Preparing", "Charging", "Unavailable"]
    assert F.beginSession("AGAIN") is False
    assert ch.call("ChangeAvailability", {"connectorId": 1, "type": "Operative"}) == {"status": "Accepted"}
    ch.wait_status(1, "Finishing")  # the cable is still in after that transaction


# ---------------------------------------------------------------- configuration

def test_configuration_keys_over_the_wire(central_system, sketch):
    ch = Charger(central_system, "CP_CFG")
    conf = ch.call("GetConfiguration", {"key": ["ClockAlignedDataInterval", "MinimumStatusDuration",
                                                "SupportedFeatureProfiles", "OcppCpNope"]})
    assert conf["configurationKey"] == [
        {"key": "ClockAlignedDataInterval", "readonly": False, "value": "0"},
        {"key": "MinimumStatusDuration", "readonly": False, "value": "0"},
        {"key": "SupportedFeatureProfiles", "readonly": True, "value": "Core"}]
    assert conf["unknownKey"] == ["OcppCpNope"]
    for key, value, status in (("MeterValuesSampledData", "Voltage", "Rejected"),   # no such sampler
                               ("MeterValuesSampledData", "Energy.Active.Import.Register", "Accepted"),
                               ("MeterValuesAlignedData", "Bogus", "Rejected"),
                               ("ClockAlignedDataInterval", "1", "Accepted"),
                               ("TransactionMessageAttempts", "0", "Rejected"),
                               ("SupportedFeatureProfiles", "Core", "Rejected")):
        assert ch.call("ChangeConfiguration", {"key": key, "value": value}) == {"status": status}, key
    assert F.getConfiguration("MeterValuesSampledData") == "Energy.Active.Import.Register"


# ---------------------------------------------------------------- clock-aligned MeterValues

def test_clock_aligned_meter_values_follow_the_change(central_system, sketch):
    cs = central_system
    ch = Charger(cs, "CP_CLK")
    assert ch.call("ChangeConfiguration", {"key": "ClockAlignedDataInterval", "value": "1"}) == \
        {"status": "Accepted"}
    values = cs.wait_for("MeterValues", count=2, cp_id="CP_CLK", timeout=5, pump=F.OCPP_loop)
    assert parse_iso(values[0]["meterValue"][0]["timestamp"]) < parse_iso(values[1]["meterValue"][0]["timestamp"])
    for mv in values:
        assert mv["connectorId"] == 1 and "transactionId" not in mv
        [entry] = mv["meterValue"]
        assert entry["sampledValue"] == [
            {"value": "1000", "context": "Sample.Clock", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]
    assert ch.call("ChangeConfiguration", {"key": "ClockAlignedDataInterval", "value": "0"}) == \
        {"status": "Accepted"}
    count = len(cs.calls("MeterValues"))
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        F.OCPP_loop()
        time.sleep(0.005)
    assert len(cs.calls("MeterValues")) <= count + 1  # at most one already on its way


# ---------------------------------------------------------------- Faulted

def test_faulted_connector_reports_its_error_code(central_system, sketch):
    ch = Charger(central_system, "CP_F")
    fault = {"code": None}
    F.addConnectorErrorCodeSampler(lambda: fault["code"], connectorId=1)
    ch.charge()
    fault["code"] = "HighTemperature"
    ch.wait_status(1, "Faulted")
    last = [p for p in central_system.calls("StatusNotification", cp_id="CP_F") if p["connectorId"] == 1][-1]
    assert last["errorCode"] == "HighTemperature"
    assert not F.ocppPermitsCharge() and F.isInSession()
    fault["code"] = None
    ch.wait_status(1, "Charging")
    assert F.ocppPermitsCharge()
