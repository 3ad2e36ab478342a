"""The connector session / transaction state machine (ocpp_cp.engine.connector) and the
transaction operations: Authorize, StartTransaction, MeterValues, StopTransaction,
StatusNotification, RemoteStart/StopTransaction, Reset.

Samplers (plug, energy, power, EV wants energy) are plain lambdas over a dict the test changes.
Every CP->CS CALL payload is also checked against the OCPP 1.6 JSON schemas.
"""
import pytest

from ocpp_cp.engine.clock import parse_iso
from tests.support import cp_bench
from tests.support.cp_bench import ENERGY, POWER


def Bench(connectors=1, plug=True, meter=True):
    """The shared bench (tests/support/cp_bench.py), booted, with samplers on connector 1 only and
    its hardware as b.hw; ask() gives the charge point 2 loops."""
    hw = {"plugged": False, "energy": 1000, "power": 7400, "wants": True}
    b = cp_bench.Bench(connectors, plug=plug, meter=meter, hw={1: hw}, ask_steps=2)
    b.hw = hw
    return b


@pytest.fixture
def bench():
    b = Bench()
    yield b
    b.check_schemas()


# ---------------------------------------------------------------- full sessions

def test_full_session_with_plug_sampler(bench):
    b = bench
    b.cp.config.set("MeterValueSampleInterval", 10)
    b.hw["plugged"] = True
    b.step(5)
    assert b.c1.status == "Preparing"
    b.c1.begin_session("TAG1")
    b.step(10)
    assert b.c1.status == "Charging"
    assert b.c1.permits_charge()
    start = b.cs.last("StartTransaction")
    assert start["connectorId"] == 1 and start["idTag"] == "TAG1" and start["meterStart"] == 1000
    # three samples, 10 s apart (the windows are offset by 5 s so each holds one sample)
    b.run(5000)
    for i in range(3):
        b.hw["energy"] += 250
        b.hw["power"] = 7000 + i
        b.run(10000)
    mvs = [p for a, p in b.cs.calls if a == "MeterValues"]
    assert len(mvs) == 3
    for i, mv in enumerate(mvs):
        assert mv["connectorId"] == 1 and mv["transactionId"] == 1
        [entry] = mv["meterValue"]
        assert entry["sampledValue"] == [
            {"value": str(1250 + 250 * i), "context": "Sample.Periodic", "measurand": ENERGY, "unit": "Wh"},
            {"value": str(7000 + i), "context": "Sample.Periodic", "measurand": POWER, "unit": "W"},
        ]
    stamps = [parse_iso(mv["meterValue"][0]["timestamp"]) for mv in mvs]
    assert [b2 - a for a, b2 in zip(stamps, stamps[1:])] == [10, 10]
    assert stamps[0] - parse_iso(start["timestamp"]) == 10
    # unplug: the transaction stops with the last energy reading
    b.hw["energy"] = 2000
    b.hw["plugged"] = False
    b.step(10)
    stop = b.cs.last("StopTransaction")
    assert stop["transactionId"] == 1 and stop["meterStop"] == 2000 and stop["reason"] == "EVDisconnected"
    assert "idTag" not in stop
    assert parse_iso(stop["timestamp"]) - parse_iso(start["timestamp"]) == 35
    assert b.actions() == ["BootNotification", "Authorize", "StartTransaction",
                           "MeterValues", "MeterValues", "MeterValues", "StopTransaction"]
    # OCPP 1.6 4.9: Charging -> Available directly when the EV unplugs (no user action left)
    assert b.statuses() == ["Available", "Preparing", "Charging", "Available"]
    assert b.statuses(0) == ["Available"]
    assert b.c1.tx is None and not b.c1.permits_charge()
    # no more MeterValues after the stop
    b.run(30000, 1000)
    assert b.cs.count("MeterValues") == 3


def test_begin_session_before_plugging_waits_for_the_cable(bench):
    b = bench
    b.c1.begin_session("TAG1")
    b.run(3000)
    assert b.actions() == ["BootNotification", "Authorize"]
    assert b.c1.status == "Preparing" and b.c1.tx.authorized is True
    b.hw["plugged"] = True
    b.step(5)
    assert b.actions()[-1] == "StartTransaction"
    assert b.statuses() == ["Available", "Preparing", "Charging"]


def test_session_without_plug_sampler_ends_locally():
    b = Bench(plug=False)
    b.c1.begin_session("TAG1")
    b.step(10)
    assert b.c1.status == "Charging"
    b.hw["energy"] = 1500
    assert b.c1.end_session() is True
    b.step(10)
    stop = b.cs.last("StopTransaction")
    assert stop["reason"] == "Local" and stop["meterStop"] == 1500 and stop["transactionId"] == 1
    assert b.actions() == ["BootNotification", "Authorize", "StartTransaction", "StopTransaction"]
    assert b.statuses() == ["Available", "Preparing", "Charging", "Available"]
    assert b.c1.end_session() is False  # nothing left to end
    b.check_schemas()


def test_session_without_meter_sends_zero_and_no_meter_values():
    b = Bench(plug=False, meter=False)
    b.cp.config.set("MeterValueSampleInterval", 1)
    b.c1.begin_session("TAG1")
    b.run(5000)
    b.c1.end_session()
    b.step(10)
    assert b.cs.last("StartTransaction")["meterStart"] == 0
    assert b.cs.last("StopTransaction")["meterStop"] == 0
    assert b.cs.count("MeterValues") == 0


def test_end_session_while_plugged_is_finishing_until_unplugged(bench):
    b = bench
    b.hw["plugged"] = True
    b.c1.begin_session("TAG1")
    b.step(10)
    assert b.c1.status == "Charging"
    b.c1.end_session()
    b.run(2000)
    assert b.cs.last("StopTransaction")["reason"] == "Local"
    assert b.c1.status == "Finishing"
    assert b.c1.tx is None and not b.c1.permits_charge()
    b.run(5000)
    assert b.c1.status == "Finishing"
    b.hw["plugged"] = False
    b.step(5)
    assert b.statuses() == ["Available", "Preparing", "Charging", "Finishing", "Available"]
    assert b.cs.count("StopTransaction") == 1


def test_end_session_before_start_drops_it_without_transaction_messages(bench):
    b = bench
    b.c1.begin_session("TAG1")
    assert b.c1.begin_session("OTHER") is False  # busy
    b.step(5)
    b.c1.end_session()
    b.run(2000)
    assert b.c1.tx is None
    b.hw["plugged"] = True
    b.run(2000)
    assert b.cs.count("StartTransaction") == 0 and b.cs.count("StopTransaction") == 0


def test_begin_session_on_connector_zero_is_refused(bench):
    assert bench.cp.connectors[0].begin_session("TAG") is False
    with pytest.raises(ValueError):
        bench.cp.connector(0)
    with pytest.raises(ValueError):
        bench.cp.connector(2)


# ---------------------------------------------------------------- authorization

def test_authorize_rejected_no_start_transaction(bench):
    b = bench
    b.cs.id_status["BAD"] = "Invalid"
    b.hw["plugged"] = True
    b.c1.begin_session("BAD")
    b.run(3000)
    assert b.c1.tx is None
    assert b.cs.count("Authorize") == 1 and b.cs.count("StartTransaction") == 0
    assert b.c1.status == "Preparing"  # cable still in, no session
    b.hw["plugged"] = False
    b.step(5)
    assert b.statuses() == ["Available", "Preparing", "Available"]


def test_authorize_timeout_without_offline_permission_ends_session(bench):
    b = bench
    b.cs.silent.add("Authorize")
    b.hw["plugged"] = True
    b.c1.begin_session("TAG")
    b.run(29000, 1000)
    assert b.c1.tx is not None
    b.run(2000, 1000)
    assert b.c1.tx is None and b.cs.count("StartTransaction") == 0


def test_authorize_timeout_with_allow_offline_tx_starts(bench):
    b = bench
    b.cp.config.set("AllowOfflineTxForUnknownId", True)
    b.cs.silent.add("Authorize")
    b.hw["plugged"] = True
    b.c1.begin_session("TAG")
    b.run(29000, 1000)
    assert b.cs.count("StartTransaction") == 0
    b.run(4000, 1000)
    assert b.cs.count("StartTransaction") == 1
    assert b.c1.permits_charge()


def test_start_transaction_invalid_id_tag_is_deauthorized(bench):
    b = bench
    b.cs.id_status["TAG"] = "Accepted"
    b.hw["plugged"] = True
    b.c1.begin_session("TAG", authorized=True)  # e.g. from a local list: no Authorize
    b.cs.id_status["TAG"] = "Invalid"
    b.step(10)
    assert b.cs.count("Authorize") == 0
    stop = b.cs.last("StopTransaction")
    assert stop is not None and stop["reason"] == "DeAuthorized" and stop["transactionId"] == 1
    assert b.c1.tx is None and not b.c1.permits_charge()
    assert b.c1.status == "Finishing"  # cable still in


def test_start_transaction_invalid_without_stop_on_invalid_id_suspends(bench):
    b = bench
    assert b.ask("ChangeConfiguration", {"key": "StopTransactionOnInvalidId", "value": "false"})[1] == \
        {"status": "Accepted"}
    b.cs.id_status["TAG"] = "Blocked"
    b.hw["plugged"] = True
    b.c1.begin_session("TAG", authorized=True)
    b.step(10)
    assert b.cs.count("StopTransaction") == 0
    assert b.c1.tx is not None and b.c1.tx.transaction_id == 1
    assert b.c1.status == "SuspendedEVSE"
    assert b.c1.permits_charge() is False
    assert b.statuses()[-1] == "SuspendedEVSE"
    # the transaction still ends normally
    b.hw["plugged"] = False
    b.step(5)
    assert b.cs.last("StopTransaction")["reason"] == "EVDisconnected"


def test_connection_timeout_authorized_but_never_plugged(bench):
    b = bench
    assert b.ask("ChangeConfiguration", {"key": "ConnectionTimeOut", "value": "10"})[1] == {"status": "Accepted"}
    began = b.ticks.now
    b.c1.begin_session("TAG")
    while b.ticks.now < began + 9900:
        b.step(1, 100)
    assert b.c1.tx is not None and b.c1.tx.authorized is True
    assert b.c1.status == "Preparing"
    b.run(1200)  # whole-second resolution: never early, at most a second late
    assert b.c1.tx is None
    b.step(3)
    assert b.cs.count("StartTransaction") == 0
    assert b.statuses() == ["Available", "Preparing", "Available"]
    # plugging in afterwards does not revive it
    b.hw["plugged"] = True
    b.run(1000)
    assert b.cs.count("StartTransaction") == 0


def test_ev_not_requesting_energy_is_suspended_ev(bench):
    b = bench
    b.c1.ev_requests_energy = lambda: b.hw["wants"]
    b.hw["plugged"] = True
    b.c1.begin_session("TAG")
    b.step(10)
    assert b.c1.status == "Charging"
    b.hw["wants"] = False
    b.step(5)
    assert b.c1.status == "SuspendedEV"
    assert b.c1.permits_charge() is True  # the EV pauses, OCPP still permits
    b.hw["wants"] = True
    b.step(5)
    assert b.statuses() == ["Available", "Preparing", "Charging", "SuspendedEV", "Charging"]


def test_relay_not_energized_is_suspended_evse(bench):
    b = bench
    b.c1.energized = lambda: False
    b.hw["plugged"] = True
    b.c1.begin_session("TAG")
    b.step(10)
    assert b.c1.status == "SuspendedEVSE"


def test_unplug_with_stop_on_ev_side_disconnect_false_keeps_transaction(bench):
    b = bench
    b.cp.config.set("StopTransactionOnEVSideDisconnect", False)
    b.hw["plugged"] = True
    b.c1.begin_session("TAG")
    b.step(10)
    b.hw["plugged"] = False
    b.run(2000)
    assert b.cs.count("StopTransaction") == 0
    assert b.c1.status == "SuspendedEV"


# ---------------------------------------------------------------- remote start / stop

def test_remote_start_with_connector_id(bench):
    b = bench
    seen = []
    b.cp.on_send_conf["RemoteStartTransaction"] = seen.append
    assert b.ask("RemoteStartTransaction", {"idTag": "REMOTE", "connectorId": 1}) == \
        ("result", {"status": "Accepted"})
    assert seen == [{"status": "Accepted"}]
    assert b.c1.tx is not None and b.c1.tx.id_tag == "REMOTE"
    b.hw["plugged"] = True
    b.step(10)
    # AuthorizeRemoteTxRequests is false by default: no Authorize
    assert b.actions() == ["BootNotification", "StartTransaction"]
    assert b.cs.last("StartTransaction")["idTag"] == "REMOTE"


def test_remote_start_without_connector_id_takes_the_first_free_connector():
    b = Bench(connectors=2, plug=False)
    assert b.ask("RemoteStartTransaction", {"idTag": "R1"}) == ("result", {"status": "Accepted"})
    assert b.ask("RemoteStartTransaction", {"idTag": "R2"}) == ("result", {"status": "Accepted"})
    assert b.ask("RemoteStartTransaction", {"idTag": "R3"}) == ("result", {"status": "Rejected"})
    b.step(10)
    starts = [p for a, p in b.cs.calls if a == "StartTransaction"]
    assert sorted((s["connectorId"], s["idTag"]) for s in starts) == [(1, "R1"), (2, "R2")]
    b.check_schemas()


@pytest.mark.parametrize("connector_id", [0, 2, -1, 99])
def test_remote_start_bad_connector_is_rejected(bench, connector_id):
    assert bench.ask("RemoteStartTransaction", {"idTag": "X", "connectorId": connector_id}) == \
        ("result", {"status": "Rejected"})
    assert bench.c1.tx is None


def test_remote_start_busy_connector_is_rejected(bench):
    b = bench
    b.c1.begin_session("LOCAL")
    assert b.ask("RemoteStartTransaction", {"idTag": "X", "connectorId": 1}) == ("result", {"status": "Rejected"})
    assert b.ask("RemoteStartTransaction", {"idTag": "X"}) == ("result", {"status": "Rejected"})
    assert b.c1.tx.id_tag == "LOCAL"


def test_remote_start_with_authorize_remote_tx_requests(bench):
    b = bench
    assert b.ask("ChangeConfiguration", {"key": "AuthorizeRemoteTxRequests", "value": "true"})[1] == \
        {"status": "Accepted"}
    b.hw["plugged"] = True
    assert b.ask("RemoteStartTransaction", {"idTag": "REMOTE", "connectorId": 1}) == \
        ("result", {"status": "Accepted"})
    b.step(10)
    assert b.actions() == ["BootNotification", "Authorize", "StartTransaction"]
    assert b.cs.last("Authorize") == {"idTag": "REMOTE"}


def test_remote_start_with_authorize_remote_tx_requests_rejected_tag(bench):
    b = bench
    b.cp.config.set("AuthorizeRemoteTxRequests", True)
    b.cs.id_status["REMOTE"] = "Blocked"
    b.hw["plugged"] = True
    assert b.ask("RemoteStartTransaction", {"idTag": "REMOTE"}) == ("result", {"status": "Accepted"})
    b.step(10)
    assert b.cs.count("StartTransaction") == 0 and b.c1.tx is None


@pytest.mark.parametrize("payload,code", [
    ({}, "OccurenceConstraintViolation"),
    ({"connectorId": 1}, "OccurenceConstraintViolation"),
    ({"idTag": None}, "TypeConstraintViolation"),  # null is a value of the wrong type
    ({"idTag": 1234}, "TypeConstraintViolation"),
    ({"idTag": "TAG", "connectorId": "1"}, "TypeConstraintViolation"),
    ({"idTag": "TAG", "connectorId": True}, "TypeConstraintViolation"),
    ({"idTag": "TAG", "chargingProfile": "fast"}, "TypeConstraintViolation"),
    ({"idTag": "X" * 21}, "PropertyConstraintViolation"),
])
def test_remote_start_bad_payload(bench, payload, code):
    kind, err = bench.ask("RemoteStartTransaction", payload)
    assert kind == "error" and err[0] == code
    assert bench.c1.tx is None


def test_remote_stop(bench):
    b = bench
    b.cs.next_tx = 41
    b.hw["plugged"] = True
    b.c1.begin_session("TAG")
    b.step(10)
    assert b.c1.tx.transaction_id == 41
    seen = []
    b.cp.on_send_conf["RemoteStopTransaction"] = seen.append
    assert b.ask("RemoteStopTransaction", {"transactionId": 40}) == ("result", {"status": "Rejected"})
    b.step(5)
    assert b.cs.count("StopTransaction") == 0 and b.c1.permits_charge()
    assert b.ask("RemoteStopTransaction", {"transactionId": 41}) == ("result", {"status": "Accepted"})
    b.step(5)
    stop = b.cs.last("StopTransaction")
    assert stop["transactionId"] == 41 and stop["reason"] == "Remote"
    assert seen == [{"status": "Rejected"}, {"status": "Accepted"}]
    assert b.c1.status == "Finishing"
    # a second stop of the same transaction is rejected
    assert b.ask("RemoteStopTransaction", {"transactionId": 41}) == ("result", {"status": "Rejected"})
    assert b.ask("RemoteStopTransaction", {})[1][0] == "OccurenceConstraintViolation"


# ---------------------------------------------------------------- metering

def test_change_meter_value_sample_interval_changes_sampling(bench):
    b = bench
    assert b.cp.config.get("MeterValueSampleInterval") == 60
    b.hw["plugged"] = True
    b.c1.begin_session("TAG")
    b.step(10)
    assert b.ask("ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "15"})[1] == \
        {"status": "Accepted"}
    b.run(120000, 500)
    stamps = [parse_iso(p["meterValue"][0]["timestamp"]) for a, p in b.cs.calls if a == "MeterValues"]
    gaps = [y - x for x, y in zip(stamps, stamps[1:])]
    # the sample already scheduled with the old interval may come first; then every 15 s
    assert len(stamps) >= 4
    assert gaps[1:] == [15] * (len(gaps) - 1)
    # 0 switches periodic sampling off
    count = b.cs.count("MeterValues")
    assert b.ask("ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "0"})[1] == \
        {"status": "Accepted"}
    b.run(120000, 1000)
    assert b.cs.count("MeterValues") == count


def test_meter_values_sampled_data_selects_measurands(bench):
    b = bench
    b.cp.config.set("MeterValueSampleInterval", 5)
    b.c1.meter.add("Voltage", lambda: 230, unit="V", phase="L1")
    assert b.ask("ChangeConfiguration", {"key": "MeterValuesSampledData",
                                         "value": "Energy.Active.Import.Register,Voltage"})[1] == {"status": "Accepted"}
    b.hw["plugged"] = True
    b.c1.begin_session("TAG")
    b.run(6000)
    mv = b.cs.last("MeterValues")
    assert mv["meterValue"][0]["sampledValue"] == [
        {"value": "1000", "context": "Sample.Periodic", "measurand": ENERGY, "unit": "Wh"},
        {"value": "230", "context": "Sample.Periodic", "measurand": "Voltage", "unit": "V", "phase": "L1"},
    ]


def test_meter_values_queued_before_start_is_answered_carry_the_transaction_id(bench):
    b = bench
    b.cp.config.set("MeterValueSampleInterval", 2)
    b.cs.silent.add("StartTransaction")
    b.hw["plugged"] = True
    b.c1.begin_session("TAG", authorized=True)
    b.step(5)
    [start] = b.conn.calls("StartTransaction")
    b.hw["energy"] = 1111
    b.run(2500)
    b.hw["energy"] = 2222
    b.run(2000)
    assert b.cs.count("MeterValues") == 0  # waiting behind the unanswered StartTransaction
    b.inject([3, start[1], {"transactionId": 77, "idTagInfo": {"status": "Accepted"}}])
    b.step(10)
    mvs = [p for a, p in b.cs.calls if a == "MeterValues"]
    assert len(mvs) == 2
    assert [mv["transactionId"] for mv in mvs] == [77, 77]
    assert [mv["meterValue"][0]["sampledValue"][0]["value"] for mv in mvs] == ["1111", "2222"]
    # the timestamps are those of the samples, not of the sending
    start_t = parse_iso(start[3]["timestamp"])
    assert [parse_iso(mv["meterValue"][0]["timestamp"]) - start_t for mv in mvs] == [2, 4]
    b.c1.end_session()
    b.step(5)
    assert b.cs.last("StopTransaction")["transactionId"] == 77


def test_transaction_messages_keep_their_order_while_offline(bench):
    b = bench
    b.cp.config.set("MeterValueSampleInterval", 1)
    b.hw["plugged"] = True
    b.conn.connected = False
    b.step(1)
    b.c1.begin_session("TAG", authorized=True)
    b.run(3500)
    b.c1.end_session()
    b.run(1000)
    assert b.actions() == ["BootNotification"]
    b.conn.connected = True
    b.run(3000)
    tx = [a for a in b.actions() if a in ("StartTransaction", "MeterValues", "StopTransaction")]
    assert tx[0] == "StartTransaction" and tx[-1] == "StopTransaction"
    assert set(tx[1:-1]) == {"MeterValues"} and len(tx) >= 4
    assert all(p.get("transactionId") == 1 for a, p in b.cs.calls if a == "MeterValues")


# ---------------------------------------------------------------- reset

def test_soft_reset_stops_the_transaction_then_resets(bench):
    b = bench
    resets = []
    b.cp.on_reset = lambda hard: resets.append((hard, b.cs.count("StopTransaction"),
                                                 b.cp.rpc.durable_pending()))
    b.hw["plugged"] = True
    b.c1.begin_session("TAG")
    b.step(10)
    b.cs.silent.add("StopTransaction")
    before = len(b.conn.sent)
    assert b.ask("Reset", {"type": "Soft"}, steps=3) == ("result", {"status": "Accepted"})
    frames = [f for t, f in b.conn.sent[before:]]
    # the Reset answer goes out before the StopTransaction
    assert frames[0][0] == 3 and frames[1][0] == 2 and frames[1][2] == "StopTransaction"
    [stop] = b.conn.calls("StopTransaction")
    assert stop[3]["reason"] == "SoftReset" and stop[3]["transactionId"] == 1
    b.run(5000)
    assert resets == []  # the StopTransaction is not answered yet
    b.inject([3, stop[1], {}])
    b.step(3)
    assert resets == [(False, 1, False)]
    b.run(20000, 1000)
    assert len(resets) == 1


def test_hard_reset_waits_at_most_15_s_for_the_stop_transaction(bench):
    b = bench
    resets = []
    b.cp.on_reset = resets.append
    b.hw["plugged"] = True
    b.c1.begin_session("TAG")
    b.step(10)
    b.cs.silent.add("StopTransaction")
    t0 = b.ticks.now
    assert b.ask("Reset", {"type": "Hard"}) == ("result", {"status": "Accepted"})
    assert b.cs.last("StopTransaction")["reason"] == "HardReset"
    while b.ticks.now < t0 + 14500:
        b.step(1, 100)
    assert resets == []
    b.run(1000)
    assert resets == [True]


def test_reset_without_transaction_and_bad_type(bench):
    b = bench
    resets = []
    b.cp.on_reset = resets.append
    assert b.ask("Reset", {"type": "Sideways"})[1][0] == "PropertyConstraintViolation"
    assert b.ask("Reset", {})[1][0] == "OccurenceConstraintViolation"
    assert resets == []
    assert b.ask("Reset", {"type": "Soft"}) == ("result", {"status": "Accepted"})
    b.step(2)
    assert resets == [False]
    assert b.cs.count("StopTransaction") == 0


def test_reset_drops_a_session_that_has_not_started(bench):
    b = bench
    resets = []
    b.cp.on_reset = resets.append
    b.c1.begin_session("TAG")  # not plugged: no transaction yet
    b.step(3)
    assert b.ask("Reset", {"type": "Soft"}) == ("result", {"status": "Accepted"})
    b.step(3)
    assert b.c1.tx is None and resets == [False]
    assert b.cs.count("StopTransaction") == 0 and b.cs.count("StartTransaction") == 0


# ---------------------------------------------------------------- status notifications

def test_status_notification_payloads(bench):
    b = bench
    for a, p in b.cs.calls:
        if a == "StatusNotification":
            assert set(p) == {"connectorId", "errorCode", "status", "timestamp"}
            assert p["errorCode"] == "NoError"
    b.hw["plugged"] = True
    b.step(5)
    last = b.cs.last("StatusNotification")
    assert last["connectorId"] == 1 and last["status"] == "Preparing"


def test_status_not_confirmed_is_sent_again(bench):
    b = bench
    b.cs.errors["StatusNotification"] = "InternalError"
    b.hw["plugged"] = True
    b.step(5)
    assert b.cs.last("StatusNotification")["status"] == "Preparing"
    del b.cs.errors["StatusNotification"]
    n = b.cs.count("StatusNotification")
    b.step(5)
    assert b.cs.count("StatusNotification") == n  # a refused status waits 10 s before trying again
    b.run(10000)
    assert b.cs.count("StatusNotification") == n + 1  # once more, then confirmed
    b.step(10)
    assert b.cs.count("StatusNotification") == n + 1
    assert b.c1.reported == "Preparing"


def test_unplugged_start_transaction_is_not_stopped_before_the_car_was_seen(bench):
    b = bench
    c = b.c1
    c.begin_session("TAG", authorized=True)  # e.g. facade startTransaction with the cable still out
    c.start()
    b.step(5)
    assert c.running() is not None and b.cs.count("StopTransaction") == 0
    b.hw["plugged"] = True
    b.step(3)
    b.hw["plugged"] = False
    b.step(5)
    assert b.cs.last("StopTransaction")["reason"] == "EVDisconnected"
