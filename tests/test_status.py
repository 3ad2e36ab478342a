"""Connector status machine (ocpp_cp.engine.connector) and its operations: ChangeAvailability
(Accepted / Scheduled / Rejected, persisted), StatusNotification with Faulted error codes,
Unavailable, Reserved, connector 0, MinimumStatusDuration, and the EV-side-disconnect keys.
"""
import pytest

from ocpp_cp.engine.clock import parse_iso
from tests.support.cp_bench import Bench, CountingStore, record


@pytest.fixture
def bench():
    b = Bench(connectors=2)
    yield b
    b.check_schemas()


def avail(b, connector_id, kind):
    return b.result("ChangeAvailability", {"connectorId": connector_id, "type": kind})["status"]


def start_session(b, i=1, tag="TAG"):
    b.hw[i]["plugged"] = True
    assert b.c(i).begin_session(tag) is True
    b.step(10)
    assert b.c(i).running() is not None and b.c(i).status == "Charging"


# ---------------------------------------------------------------- ChangeAvailability

def test_inoperative_and_back_on_an_idle_connector(bench):
    b = bench
    assert avail(b, 1, "Inoperative") == "Accepted"
    b.step(5)
    assert b.statuses(1) == ["Available", "Unavailable"]
    assert b.c(1).operative is False and b.c(1).status == "Unavailable"
    assert b.c(1).begin_session("TAG") is False  # no new sessions
    b.hw[1]["plugged"] = True
    b.step(5)
    assert b.c(1).status == "Unavailable"  # a car plugged into an unavailable connector
    assert avail(b, 1, "Inoperative") == "Accepted"  # already: Accepted again
    assert avail(b, 1, "Operative") == "Accepted"
    b.step(5)
    assert b.statuses(1) == ["Available", "Unavailable", "Preparing"]
    assert b.c(1).begin_session("TAG") is True
    assert b.statuses(2) == ["Available"] and b.statuses(0) == ["Available"]


def test_inoperative_during_a_transaction_is_scheduled_until_it_ends(bench):
    b = bench
    start_session(b)
    assert avail(b, 1, "Inoperative") == "Scheduled"
    b.run(3000)
    assert b.c(1).status == "Charging" and b.c(1).permits_charge()
    assert b.c(1).operative is True and b.c(1).pending_operative is False
    b.hw[1]["plugged"] = False  # the EV leaves: StopTransaction, then the change applies
    b.step(5)
    assert b.calls("StopTransaction")[-1]["reason"] == "EVDisconnected"
    assert b.statuses(1) == ["Available", "Preparing", "Charging", "Unavailable"]
    assert b.c(1).operative is False and b.c(1).pending_operative is None
    actions = [a for a, p in b.cs.calls]
    assert actions.index("StopTransaction") < len(actions) - 1 - actions[::-1].index("StatusNotification")


def test_a_scheduled_change_can_be_taken_back(bench):
    b = bench
    start_session(b)
    assert avail(b, 1, "Inoperative") == "Scheduled"
    assert avail(b, 1, "Operative") == "Accepted"  # the state it is in: nothing pending any more
    assert b.c(1).pending_operative is None
    b.c(1).end_session()
    b.step(5)
    assert b.c(1).operative is True and b.c(1).status == "Finishing"


def test_connector_zero_changes_every_connector(bench):
    b = bench
    start_session(b, 1)
    assert avail(b, 0, "Inoperative") == "Scheduled"  # connector 1 charges; connector 2 is idle
    b.step(5)
    assert b.c(2).status == "Unavailable" and b.c(1).status == "Charging"
    assert b.cp.connectors[0].status == "Available"  # not every connector is unavailable yet
    b.c(1).end_session()
    b.step(5)
    assert b.c(1).status == "Unavailable"
    b.step(5)
    assert b.statuses(0) == ["Available", "Unavailable"]
    assert b.cp.connectors[0].operative is False
    assert avail(b, 0, "Operative") == "Accepted"
    b.step(5)
    assert b.statuses(0)[-1] == "Available" and b.statuses(2)[-1] == "Available"
    assert b.statuses(1)[-1] == "Finishing"  # its transaction is over, its cable still in


def test_all_connectors_inoperative_one_by_one_makes_connector_zero_unavailable(bench):
    b = bench
    avail(b, 1, "Inoperative")
    b.step(5)
    assert b.cp.connectors[0].status == "Available"
    avail(b, 2, "Inoperative")
    b.step(5)
    assert b.statuses(0) == ["Available", "Unavailable"]


def test_inoperative_drops_a_session_waiting_for_the_car(bench):
    b = bench
    b.c(1).begin_session("TAG")
    b.step(5)
    assert b.c(1).status == "Preparing"
    assert avail(b, 1, "Inoperative") == "Accepted"
    b.step(5)
    assert b.c(1).tx is None and b.c(1).status == "Unavailable"
    b.hw[1]["plugged"] = True
    b.run(2000)
    assert b.calls("StartTransaction") == []


@pytest.mark.parametrize("connector_id", [3, -1, 99])
def test_unknown_connector_is_rejected(bench, connector_id):
    assert avail(bench, connector_id, "Inoperative") == "Rejected"
    assert all(c.operative for c in bench.cp.connectors)


@pytest.mark.parametrize("payload,code", [
    ({"connectorId": 1}, "OccurenceConstraintViolation"),
    ({"type": "Inoperative"}, "OccurenceConstraintViolation"),
    ({"connectorId": "1", "type": "Inoperative"}, "TypeConstraintViolation"),
    ({"connectorId": 1, "type": "Broken"}, "PropertyConstraintViolation"),
    ({"connectorId": 1, "type": "Inoperative", "why": "x"}, "FormationViolation"),
])
def test_bad_change_availability_payload(bench, payload, code):
    kind, err = bench.ask("ChangeAvailability", payload)
    assert kind == "error" and err[0] == code


def test_availability_survives_a_restart():
    store = CountingStore()
    b = Bench(connectors=2, store=store)
    start_session(b, 2)
    assert avail(b, 1, "Inoperative") == "Accepted"
    assert avail(b, 2, "Inoperative") == "Scheduled"  # kept as wanted, even before it applies
    assert record(store, "avail") == [1, 2]
    saves = store.saves.count("avail")
    assert avail(b, 1, "Inoperative") == "Accepted"
    assert store.saves.count("avail") == saves  # nothing changed: nothing written
    again = Bench(connectors=2, store=store)
    assert again.c(1).operative is False and again.c(2).operative is False
    assert again.cp.connectors[0].operative is False  # the whole charger, for RemoteStart
    assert again.statuses(1) == ["Unavailable"] and again.statuses(0) == ["Unavailable"]
    assert again.c(1).begin_session("TAG") is False
    assert avail(again, 0, "Operative") == "Accepted"
    assert record(store, "avail") == []
    assert Bench(connectors=2, store=store).c(1).operative is True


@pytest.mark.parametrize("data", [b"nonsense", b'{"1": 1}', b'["1"]'])
def test_a_corrupt_availability_record_is_ignored(data):
    store = CountingStore()
    store.save("avail", data)
    b = Bench(store=store)
    assert b.c(1).operative is True
    assert any("availability" in line for line in b.logs)


# ---------------------------------------------------------------- Faulted

def test_error_code_sampler_faults_the_connector(bench):
    b = bench
    error = {1: None}
    b.c(1).error_samplers.append(lambda: error[1])
    start_session(b)
    error[1] = "GroundFailure"
    b.step(3)
    assert b.c(1).status == "Faulted" and not b.c(1).permits_charge()
    last = b.calls("StatusNotification")[-1]
    assert last["status"] == "Faulted" and last["errorCode"] == "GroundFailure"
    error[1] = "OverCurrentFailure"  # another error, same status: reported too
    b.step(3)
    assert b.calls("StatusNotification")[-1]["errorCode"] == "OverCurrentFailure"
    error[1] = "NoError"
    b.step(3)
    assert b.c(1).status == "Charging" and b.c(1).permits_charge()
    assert b.calls("StatusNotification")[-1] == {"connectorId": 1, "errorCode": "NoError", "status": "Charging",
                                                   "timestamp": b.calls("StatusNotification")[-1]["timestamp"]}
    assert b.c(1).running() is not None  # the transaction went on
    assert b.statuses(1) == ["Available", "Preparing", "Charging", "Faulted", "Faulted", "Charging"]


def test_a_faulted_connector_takes_no_session_and_odd_codes_go_as_vendor_codes(bench):
    b = bench
    b.c(2).error_samplers.append(lambda: None)
    b.c(2).error_samplers.append(lambda: "RelayWelded")
    b.step(3)
    assert b.c(2).begin_session("TAG") is False
    last = b.calls("StatusNotification")[-1]
    assert (last["status"], last["errorCode"], last["vendorErrorCode"]) == ("Faulted", "OtherError", "RelayWelded")
    assert b.c(1).begin_session("TAG") is True  # the other connector is fine


def test_a_charger_fault_on_connector_zero(bench):
    b = bench
    fault = {"code": None}
    b.cp.connectors[0].error_samplers.append(lambda: fault["code"])
    start_session(b, 1)
    fault["code"] = "InternalError"
    b.step(3)
    assert b.cp.connectors[0].status == "Faulted"
    assert b.c(1).status == "SuspendedEVSE" and not b.c(1).permits_charge()
    assert b.c(2).begin_session("TAG") is False
    zero = [p for p in b.calls("StatusNotification") if p["connectorId"] == 0]
    assert zero[-1]["status"] == "Faulted" and zero[-1]["errorCode"] == "InternalError"
    fault["code"] = None
    b.step(3)
    assert b.statuses(0) == ["Available", "Faulted", "Available"] and b.c(1).status == "Charging"


# ---------------------------------------------------------------- Reserved hook

def test_reserved_hook(bench):
    b = bench
    b.c(1).reserved = True  # what a Reservation profile would set
    b.step(3)
    assert b.c(1).status == "Reserved"
    b.hw[1]["plugged"] = True
    b.step(3)
    assert b.c(1).status == "Reserved"  # waits for the reserved idTag, not for any cable
    b.c(1).reserved = None  # the reservation is used by this session
    b.c(1).begin_session("TAG")
    b.step(10)
    assert b.statuses(1) == ["Available", "Reserved", "Preparing", "Charging"]


# ---------------------------------------------------------------- MinimumStatusDuration

def test_minimum_status_duration_hides_flickers():
    b = Bench()
    assert b.result("ChangeConfiguration", {"key": "MinimumStatusDuration", "value": "5"}) == {"status": "Accepted"}
    before = len(b.calls("StatusNotification"))
    for _ in range(3):  # plug in and out for 2 s at a time
        b.hw[1]["plugged"] = True
        b.run(2000)
        b.hw[1]["plugged"] = False
        b.run(2000)
    assert len(b.calls("StatusNotification")) == before
    b.hw[1]["plugged"] = True
    t0 = b.cp.clock.now()
    b.run(4000)
    assert len(b.calls("StatusNotification")) == before
    b.run(2000)
    last = b.calls("StatusNotification")[-1]
    assert last["status"] == "Preparing" and len(b.calls("StatusNotification")) == before + 1
    assert parse_iso(last["timestamp"]) == t0  # when the status began, not when it was sent
    b.check_schemas()


def test_minimum_status_duration_applies_from_boot():
    store = CountingStore()
    b = Bench(store=store)
    b.result("ChangeConfiguration", {"key": "MinimumStatusDuration", "value": "3"})
    again = Bench(store=store)
    assert again.statuses(1) == [] and again.statuses(0) == []
    again.run(3500)
    assert again.statuses(1) == ["Available"] and again.statuses(0) == ["Available"]


# ---------------------------------------------------------------- EV side disconnect

class Unlocks:
    def __init__(self):
        self.count = 0

    def __call__(self):
        self.count += 1
        return "Unlocked"


@pytest.mark.parametrize("stop,unlock,stops,unlocks", [
    ("true", "true", 1, 1),
    ("true", "false", 1, 0),
    ("false", "true", 0, 0),   # the transaction goes on: the cable stays locked
])
def test_ev_side_disconnect_keys(stop, unlock, stops, unlocks):
    b = Bench()
    hook = Unlocks()
    b.c(1).unlock = hook  # what the UnlockConnector work adds (getattr(connector, "unlock"))
    b.result("ChangeConfiguration", {"key": "StopTransactionOnEVSideDisconnect", "value": stop})
    b.result("ChangeConfiguration", {"key": "UnlockConnectorOnEVSideDisconnect", "value": unlock})
    start_session(b)
    b.hw[1]["plugged"] = False
    b.step(5)
    assert len(b.calls("StopTransaction")) == stops and hook.count == unlocks
    assert b.c(1).status == ("Available" if stops else "SuspendedEV")


def test_connection_timeout_cancels_a_session_without_a_car():
    b = Bench(connectors=2)
    b.result("ChangeConfiguration", {"key": "ConnectionTimeOut", "value": "5"})
    b.c(1).begin_session("A")
    b.run(3000)
    b.c(2).begin_session("B")
    b.run(3200)
    assert b.c(1).tx is None and b.c(2).tx is not None  # each connector counts its own time
    b.run(3000)
    assert b.c(2).tx is None
    assert b.statuses(1) == ["Available", "Preparing", "Available"]
    assert b.statuses(2) == ["Available", "Preparing", "Available"]
    assert b.calls("StartTransaction") == []


# ---------------------------------------------------------------- on MicroPython

MPY_SCRIPT = """
import json
from ocpp_cp.engine.chargepoint import ChargePoint
from ocpp_cp.storage import MemoryStore
from memory_cs import FakeTicks, MemoryConnection, ScriptedCentralSystem

store = MemoryStore()

def bench():
    ticks = FakeTicks()
    conn = MemoryConnection()
    cs = ScriptedCentralSystem(conn)
    cp = ChargePoint(conn, connectors=2, ticks_ms=ticks, log=lambda m: None, store=store)
    cp.config.set("HeartbeatInterval", 0)
    hw = {"plugged": False, "fault": None}
    c = cp.connector(1)
    c.plugged = lambda: hw["plugged"]
    c.meter.add("Energy.Active.Import.Register", lambda: 1234)
    c.meter.add("Voltage", lambda: 230.5, phase="L1-N")
    c.error_samplers.append(lambda: hw["fault"])
    def step(n=5, ms=10):
        for _ in range(n):
            cp.loop()
            cs.pump()
            ticks.advance(ms)
    def ask(action, payload):
        msg = cs.call(action, payload)
        step()
        return cs.results.get(msg) or cs.call_errors.get(msg)
    step(10)
    return cp, cs, hw, step, ask

cp, cs, hw, step, ask = bench()
out = {}
out["cfg"] = [ask("ChangeConfiguration", {"key": k, "value": v})["status"] for k, v in (
    ("MeterValuesAlignedData", "Voltage,Energy.Active.Import.Register"), ("MeterValuesSampledData", "SoC"),
    ("ClockAlignedDataInterval", "60"), ("MinimumStatusDuration", "x"), ("ConnectorPhaseRotation", "1.RST"))]
out["avail"] = [ask("ChangeAvailability", {"connectorId": i, "type": t})["status"] for i, t in (
    (2, "Inoperative"), (7, "Inoperative"))]
hw["fault"] = "GroundFailure"
step(70, 1000)
hw["fault"] = "Welded"
step()
out["calls"] = cs.calls
cp2, cs2, hw2, step2, ask2 = bench()
out["after"] = [cp2.config.get("ClockAlignedDataInterval"), cp2.connector(2).operative]
print("@@" + json.dumps(out))
"""


@pytest.mark.parametrize("mpy", [False, True], ids=["py", "mpy"])
def test_status_availability_configuration_and_aligned_values_on_micropython(mpy):
    import json
    import os

    from tests.support.micropython import run_micropython
    from tests.support.schemas import validate
    support = os.path.join(os.path.dirname(__file__), "support")
    res = run_micropython([MPY_SCRIPT], mpy=mpy, extra_stage={support: "/lib"})
    res.check()
    [line] = [x for x in res.output.splitlines() if x.startswith("@@")]
    out = json.loads(line[2:])
    assert out["cfg"] == ["Accepted", "Rejected", "Accepted", "Rejected", "Accepted"]
    assert out["avail"] == ["Accepted", "Rejected"]
    assert out["after"] == [60, False]
    for action, payload in out["calls"]:
        validate(action, payload)
    sn = [p for a, p in out["calls"] if a == "StatusNotification"]
    assert [p["status"] for p in sn if p["connectorId"] == 2] == ["Available", "Unavailable"]
    assert [(p["status"], p["errorCode"], p.get("vendorErrorCode")) for p in sn if p["connectorId"] == 1] == [
        ("Available", "NoError", None), ("Faulted", "GroundFailure", None), ("Faulted", "OtherError", "Welded")]
    clock = [p for a, p in out["calls"] if a == "MeterValues"]
    assert [p["connectorId"] for p in clock] == [1]
    assert clock[0]["meterValue"][0]["timestamp"] == "2026-11-21T10:01:00Z"
    assert sorted(v["measurand"] for v in clock[0]["meterValue"][0]["sampledValue"]) == [
        "Energy.Active.Import.Register", "Voltage"]
