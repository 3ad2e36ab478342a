"""code.py-style sessions against real Central Systems over real sockets on 127.0.0.1.

The charge point runs in the test thread through the beginner facade; the waiting helpers call
OCPP_loop while they wait. The central_system fixture validates every frame the charge point sent
against the official OCPP 1.6 schemas at teardown.
"""
import os
import subprocess
import sys

import pytest

import ocpp_cp
from ocpp_cp import (OCPP_initialize, OCPP_loop, beginSession, bootNotification, endSession, getConnectorStatus,
                     getTransactionId, isInSession, ocppPermitsCharge, setConnectorPluggedSampler,
                     setEnergyActiveImportSampler)
from tests.support.live import Car, boot, loop_until
from tools.central_system import CallErrorReceived, CentralSystem

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_full_session_with_plug_and_card(central_system, sketch):
    cs = central_system
    car = Car(10000, power=3600)
    OCPP_initialize(cs.url("CP_1"), log=sketch.append)
    car.wire()
    booted = []
    bootNotification("Integration", "ocpp_cp", onConf=booted.append)
    cs.wait_for("BootNotification", pump=OCPP_loop)
    loop_until(lambda: booted)
    assert booted[0]["status"] == "Accepted"
    assert cs.call("CP_1", "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "1"},
                   pump=OCPP_loop) == {"status": "Accepted"}
    # the first statuses (connectors 0 and 1: Available) are out before the car comes
    cs.wait_for("StatusNotification", count=2, pump=OCPP_loop)
    car.plugged = True
    beginSession("CARD-1")
    start = cs.wait_for("StartTransaction", pump=OCPP_loop)[0]
    assert start["idTag"] == "CARD-1" and start["meterStart"] == 10000 and start["connectorId"] == 1
    loop_until(lambda: getTransactionId() > 0)
    assert ocppPermitsCharge() and getConnectorStatus() == "Charging"
    car.wh += 7
    meters = cs.wait_for("MeterValues", count=2, timeout=5, pump=OCPP_loop)
    assert all(m["transactionId"] == getTransactionId() for m in meters)
    measurands = {v["measurand"] for v in meters[0]["meterValue"][0]["sampledValue"]}
    assert measurands == {"Energy.Active.Import.Register", "Power.Active.Import"}
    car.wh += 5
    car.plugged = False
    stop = cs.wait_for("StopTransaction", pump=OCPP_loop)[0]
    assert stop["reason"] == "EVDisconnected" and stop["meterStop"] == 10012
    assert not ocppPermitsCharge() and not isInSession()
    statuses = [p["status"] for p in cs.calls("StatusNotification") if p["connectorId"] == 1]
    loop_until(lambda: [p["status"] for p in cs.calls("StatusNotification") if p["connectorId"] == 1][-1:]
               == ["Available"])
    statuses = [p["status"] for p in cs.calls("StatusNotification") if p["connectorId"] == 1]
    assert statuses == ["Available", "Preparing", "Charging", "Available"]
    actions = [m["action"] for m in cs.messages if m["dir"] == "cp->cs" and m["type"] == 2]
    assert actions.index("Authorize") < actions.index("StartTransaction") < actions.index("StopTransaction")


def test_remote_start_and_stop(central_system, sketch):
    cs = central_system
    car = Car(10000, power=3600)
    boot(cs, "CP_R", sketch)
    car.wire()
    car.plugged = True
    answer = cs.call("CP_R", "RemoteStartTransaction", {"idTag": "REMOTE-1"}, pump=OCPP_loop)
    assert answer == {"status": "Accepted"}
    start = cs.wait_for("StartTransaction", pump=OCPP_loop)[0]
    assert start["idTag"] == "REMOTE-1"
    loop_until(lambda: getTransactionId() > 0)
    busy = cs.call("CP_R", "RemoteStartTransaction", {"idTag": "REMOTE-2", "connectorId": 1}, pump=OCPP_loop)
    assert busy == {"status": "Rejected"}
    wrong = cs.call("CP_R", "RemoteStopTransaction", {"transactionId": 999}, pump=OCPP_loop)
    assert wrong == {"status": "Rejected"}
    tx_id = getTransactionId()
    ok = cs.call("CP_R", "RemoteStopTransaction", {"transactionId": tx_id}, pump=OCPP_loop)
    assert ok == {"status": "Accepted"}
    stop = cs.wait_for("StopTransaction", pump=OCPP_loop)[0]
    assert stop["transactionId"] == tx_id and stop["reason"] == "Remote"
    loop_until(lambda: getConnectorStatus() == "Finishing")


def test_configuration_and_bad_calls(central_system, sketch):
    cs = central_system
    boot(cs, "CP_C", sketch)
    conf = cs.call("CP_C", "GetConfiguration", {"key": ["HeartbeatInterval", "NoSuchKey"]}, pump=OCPP_loop)
    assert conf["configurationKey"] == [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]
    assert conf["unknownKey"] == ["NoSuchKey"]
    everything = cs.call("CP_C", "GetConfiguration", {}, pump=OCPP_loop)
    assert {"MeterValueSampleInterval", "NumberOfConnectors"} <= {k["key"] for k in everything["configurationKey"]}
    assert cs.call("CP_C", "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "abc"},
                   pump=OCPP_loop) == {"status": "Rejected"}
    assert cs.call("CP_C", "ChangeConfiguration", {"key": "NumberOfConnectors", "value": "2"},
                   pump=OCPP_loop) == {"status": "Rejected"}
    assert cs.call("CP_C", "ChangeConfiguration", {"key": "Nope", "value": "1"},
                   pump=OCPP_loop) == {"status": "NotSupported"}
    with pytest.raises(CallErrorReceived) as err:
        cs.call("CP_C", "MakeCoffee", {}, pump=OCPP_loop)
    assert err.value.code == "NotImplemented"
    with pytest.raises(CallErrorReceived) as err:
        cs.call("CP_C", "RemoteStartTransaction", {"connectorId": 1}, pump=OCPP_loop)
    assert err.value.code == "OccurenceConstraintViolation"
    cs.send_raw("CP_C", "this is not json")
    cs.send_raw("CP_C", '[2, "x1"]')
    # still alive and answering
    assert cs.call("CP_C", "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "120"},
                   pump=OCPP_loop) == {"status": "Accepted"}


def test_boot_pending_then_accepted_and_nothing_sent_before(central_system, sketch):
    cs = central_system
    cs.boot_status = "Pending"
    cs.boot_interval = 1
    OCPP_initialize(cs.url("CP_P"), log=sketch.append)
    bootNotification("Integration", "ocpp_cp")
    beginSession("EARLY")  # queued until the boot is accepted
    cs.wait_for("BootNotification", pump=OCPP_loop)
    cs.boot_status = "Accepted"
    cs.wait_for("BootNotification", count=2, timeout=5, pump=OCPP_loop)
    cs.wait_for("Authorize", pump=OCPP_loop)
    actions = [m["action"] for m in cs.messages if m["dir"] == "cp->cs" and m["type"] == 2]
    assert actions[:2] == ["BootNotification", "BootNotification"]
    times = [m for m in cs.messages if m["dir"] == "cp->cs" and m["action"] == "BootNotification"]
    assert len(times) == 2


def test_basic_auth(sketch):
    with CentralSystem(log=None, auth_keys={"CP_A": "s3cret"}) as cs:
        OCPP_initialize(cs.url("CP_A"), auth_key="wrong", log=sketch.append)
        conn = ocpp_cp.getChargePoint().connection
        loop_until(lambda: conn.last_error is not None)
        assert "401" in conn.last_error
        assert cs.connected_ids() == []
        OCPP_initialize(cs.url("CP_A"), auth_key="s3cret", log=sketch.append)
        bootNotification("Integration", "ocpp_cp")
        cs.wait_for("BootNotification", cp_id="CP_A", pump=OCPP_loop)


def test_reconnect_resends_transaction_messages(central_system, sketch):
    cs = central_system
    car = Car(10000, power=3600)
    boot(cs, "CP_D", sketch)
    car.wire()
    car.plugged = True
    cs.silent_actions.add("StartTransaction")
    beginSession("CARD-D")
    cs.wait_for("StartTransaction", pump=OCPP_loop)
    cs.silent_actions.discard("StartTransaction")
    cs.disconnect("CP_D")
    # back after the reconnect delay: the unanswered StartTransaction goes out again, once answered
    cs.wait_for("StartTransaction", count=2, timeout=10, pump=OCPP_loop)
    loop_until(lambda: getTransactionId() > 0)
    endSession()
    cs.wait_for("StopTransaction", pump=OCPP_loop)
    assert len(cs.calls("BootNotification", cp_id="CP_D")) == 1  # a reconnect is not a reboot
    starts = [m for m in cs.messages if m["dir"] == "cp->cs" and m["action"] == "StartTransaction"]
    assert starts[0]["id"] == starts[1]["id"]  # same message: the Central System can spot the repeat


def test_new_user_sketch_against_a_foreign_central_system(foreign_central_system, sketch):
    """The README's first sketch, against ocpp-rpc in strict mode (validates both directions)."""
    fcs = foreign_central_system
    meter = {"wh": 2000}
    plug = {"in": True}
    OCPP_initialize(fcs.url("charger-01"), log=sketch.append)
    setEnergyActiveImportSampler(lambda: meter["wh"])
    setConnectorPluggedSampler(lambda: plug["in"])
    bootNotification("My Charger", "Me")
    fcs.wait_for("BootNotification", pump=OCPP_loop)
    ocpp_cp.getChargePoint().config.set("MeterValueSampleInterval", 1)
    beginSession("0123456789ABCD")
    fcs.wait_for("StartTransaction", pump=OCPP_loop)
    meter["wh"] += 3
    fcs.wait_for("MeterValues", timeout=5, pump=OCPP_loop)
    endSession()
    fcs.wait_for("StopTransaction", pump=OCPP_loop)
    loop_until(lambda: not isInSession())
    assert not fcs.errors()


def test_demo_runs_code_py_to_a_complete_transaction():
    """The README's demo: code.py in its own process on the desktop board, ends by itself."""
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "demo.py"), "--port", "0",
                           "--timeout", "60"], cwd=ROOT, capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Demo complete" in proc.stdout
    for action in ("BootNotification", "Authorize", "StartTransaction", "MeterValues", "StopTransaction"):
        assert "CP→CS  " + action in proc.stdout
