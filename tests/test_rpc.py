"""ocpp_cp.engine.rpc through a ChargePoint: CALL/CALLRESULT/CALLERROR, listeners, the request
queue, boot gating, Heartbeat, transaction-message retries, malformed frames, and the
GetConfiguration / ChangeConfiguration operations (ocpp_cp.engine.config).

Everything runs on the in-memory bench (tests/support/cp_bench.py): a MemoryConnection, a
ScriptedCentralSystem and FakeTicks.
"""
import functools
import json

import pytest

from ocpp_cp.engine.chargepoint import listeners
from tests.support import cp_bench
from tests.support.cp_bench import Wire
from tests.support.schemas import validate


# the shared bench (tests/support/cp_bench.py) without samplers, booted by .boot(); ask() gives the
# charge point 2 loops; actions() lists every action
Bench = functools.partial(cp_bench.Bench, plug=False, meter=False, boot=False, ask_steps=2, hide=())


class Recorder:
    """ArduinoOcpp-style listeners that log into one list, so the call order is visible."""

    def __init__(self):
        self.events = []

    def kwargs(self):
        return dict(on_conf=lambda p: self.events.append(("conf", p)),
                    on_abort=lambda: self.events.append(("abort",)),
                    on_timeout=lambda: self.events.append(("timeout",)),
                    on_error=lambda c, d, x: self.events.append(("error", c, d, x)))


# ---------------------------------------------------------------- listeners

def test_on_conf_gets_the_answer_payload():
    b = Bench().boot()
    b.cs.id_status["BAD"] = "Blocked"
    rec = Recorder()
    b.cp.authorize("BAD", **rec.kwargs())
    b.step(3)
    assert rec.events == [("conf", {"idTagInfo": {"status": "Blocked"}})]
    assert b.cs.last("Authorize") == {"idTag": "BAD"}


def test_send_request_custom_action_on_conf():
    b = Bench().boot()
    rec = Recorder()
    assert b.cp.send_request("DataTransfer", {"vendorId": "me", "data": "x"}, **rec.kwargs()) is True
    b.step(3)
    assert b.cs.last("DataTransfer") == {"vendorId": "me", "data": "x"}
    assert rec.events == [("conf", {})]


def test_callerror_calls_on_error_then_on_abort():
    b = Bench().boot()
    b.cs.silent.add("Authorize")
    rec = Recorder()
    b.cp.authorize("TAG", **rec.kwargs())
    b.step(2)
    [call] = b.conn.calls("Authorize")
    b.inject([4, call[1], "SecurityError", "not for you", {"why": "test"}])
    b.step(2)
    assert rec.events == [("error", "SecurityError", "not for you", {"why": "test"}), ("abort",)]


def test_scripted_callerror_code_reaches_on_error():
    b = Bench().boot()
    b.cs.errors["Authorize"] = "InternalError"
    rec = Recorder()
    b.cp.authorize("TAG", **rec.kwargs())
    b.step(3)
    assert rec.events == [("error", "InternalError", "scripted", {}), ("abort",)]


def test_callresult_that_is_not_an_object_is_a_formation_violation():
    b = Bench().boot()
    b.cs.silent.add("Authorize")
    rec = Recorder()
    b.cp.authorize("TAG", **rec.kwargs())
    b.step(2)
    [call] = b.conn.calls("Authorize")
    b.inject([3, call[1], ["not", "an", "object"]])
    b.step(2)
    assert [e[:2] for e in rec.events] == [("error", "FormationViolation"), ("abort",)]


def test_timeout_calls_on_timeout_then_on_abort_and_a_late_answer_is_ignored():
    b = Bench().boot()
    b.cs.silent.add("Authorize")
    rec = Recorder()
    queued_at = b.ticks.now
    b.cp.authorize("TAG", timeout=5, **rec.kwargs())
    b.step(1)
    [call] = b.conn.calls("Authorize")
    # just before the deadline: still waiting
    b.ticks.now = queued_at + 4990
    b.step(1, 0)
    assert rec.events == []
    b.ticks.now = queued_at + 5000
    b.step(1)
    assert rec.events == [("timeout",), ("abort",)]
    # the answer arrives after all: no on_conf, nothing raised
    b.inject([3, call[1], {"idTagInfo": {"status": "Accepted"}}])
    b.step(2)
    assert rec.events == [("timeout",), ("abort",)]
    assert any("ignored an answer" in m for m in b.logs)
    # and the next request works normally
    rec2 = Recorder()
    b.cs.silent.discard("Authorize")
    b.cp.authorize("NEXT", **rec2.kwargs())
    b.step(3)
    assert rec2.events == [("conf", {"idTagInfo": {"status": "Accepted"}})]


def test_a_listener_that_raises_does_not_stop_the_loop():
    b = Bench().boot()

    def bad(payload):
        raise RuntimeError("user bug")
    b.cp.authorize("A", on_conf=bad)
    rec = Recorder()
    b.cp.authorize("B", **rec.kwargs())
    b.step(5)
    assert rec.events == [("conf", {"idTagInfo": {"status": "Accepted"}})]
    assert any("user bug" in m for m in b.logs)


# ---------------------------------------------------------------- the request queue

def test_only_one_call_in_flight_and_order_is_kept():
    b = Bench().boot()
    b.cs.silent.add("Authorize")
    for tag in ("A", "B", "C"):
        b.cp.authorize(tag)
    b.step(5)
    assert [c[3]["idTag"] for c in b.conn.calls("Authorize")] == ["A"]
    first = b.conn.calls("Authorize")[0]
    b.inject([3, first[1], {"idTagInfo": {"status": "Accepted"}}])
    b.step(5)
    assert [c[3]["idTag"] for c in b.conn.calls("Authorize")] == ["A", "B"]
    second = b.conn.calls("Authorize")[1]
    b.inject([3, second[1], {"idTagInfo": {"status": "Accepted"}}])
    b.step(5)
    assert [c[3]["idTag"] for c in b.conn.calls("Authorize")] == ["A", "B", "C"]


class CheckingWire(Wire):
    """Fails the test if a new CALL goes out while an earlier one is still unanswered."""

    def __init__(self, ticks):
        super().__init__(ticks)
        self.unanswered = set()
        self.violations = []

    def receive(self):
        text = super().receive()
        if text is not None:
            frame = json.loads(text)
            if frame[0] in (3, 4):
                self.unanswered.discard(frame[1])
        return text

    def send(self, text):
        frame = json.loads(text)
        if frame[0] == 2 and self.connected:
            if self.unanswered - {frame[1]}:
                self.violations.append((frame[2], sorted(self.unanswered)))
            self.unanswered.add(frame[1])
        return super().send(text)


def test_never_two_calls_outstanding_during_a_busy_session():
    b = Bench()
    b.conn = CheckingWire(b.ticks)
    b.cp.connection = b.conn
    b.cs.conn = b.conn
    b.boot()
    b.cp.config.set("MeterValueSampleInterval", 1)
    c = b.cp.connector(1)
    c.meter.add("Energy.Active.Import.Register", lambda: 1000)
    c.begin_session("TAG")
    for tag in "XYZ":
        b.cp.authorize(tag)
    b.run(5000)
    c.end_session()
    b.run(2000)
    assert b.conn.violations == []
    assert b.cs.count("MeterValues") >= 3
    assert b.cs.count("Authorize") == 4 and b.cs.count("StopTransaction") == 1


def test_message_ids_are_unique_strings_of_at_most_36_chars():
    b = Bench().boot()
    for i in range(40):
        b.cp.authorize("T%d" % i)
        b.step(3)
    ids = [f[1] for f in b.conn.calls()]
    assert len(ids) == 3 + 40
    assert len(set(ids)) == len(ids)
    assert all(isinstance(i, str) and 0 < len(i) <= 36 for i in ids)
    # another charge point (a reboot) does not reuse them
    other = Bench().boot()
    assert not set(f[1] for f in other.conn.calls()) & set(ids)


def test_queue_full_aborts_the_newest_request():
    b = Bench()
    b.conn.connected = False
    rec = Recorder()
    for i in range(32):
        b.cp.authorize("T%d" % i)
    b.cp.authorize("ONE-TOO-MANY", **rec.kwargs())
    assert rec.events == [("abort",)]
    assert b.cp.send_request("DataTransfer", {"vendorId": "x"}) is False


def test_connection_loss_resends_the_in_flight_call_with_the_same_id():
    b = Bench().boot()
    b.cs.silent.add("Authorize")
    rec = Recorder()
    b.cp.authorize("TAG", **rec.kwargs())
    b.step(2)
    [first] = b.conn.calls("Authorize")
    b.conn.connected = False
    b.step(3)
    assert len(b.conn.calls("Authorize")) == 1
    b.conn.connected = True
    b.step(2)
    calls = b.conn.calls("Authorize")
    assert len(calls) == 2
    assert calls[1][1] == first[1]
    assert calls[1][3] == first[3]
    b.inject([3, first[1], {"idTagInfo": {"status": "Accepted"}}])
    b.step(2)
    assert rec.events == [("conf", {"idTagInfo": {"status": "Accepted"}})]


def test_connection_loss_resends_a_start_transaction_with_the_same_id():
    b = Bench().boot()
    b.cs.silent.add("StartTransaction")
    b.cp.connector(1).begin_session("TAG", authorized=True)
    b.step(3)
    [first] = b.conn.calls("StartTransaction")
    b.conn.connected = False
    b.step(2)
    b.conn.connected = True
    b.step(2)
    starts = b.conn.calls("StartTransaction")
    assert [c[1] for c in starts] == [first[1], first[1]]


# ---------------------------------------------------------------- boot gating

def test_nothing_but_boot_notification_before_accepted_and_pending_is_retried_after_interval():
    b = Bench(boot_status="Pending", boot_interval=10)
    rec = Recorder()
    b.cp.authorize("EARLY", **rec.kwargs())
    b.step(5)
    assert b.actions() == ["BootNotification"]
    boot_answered_at = b.conn.call_times("BootNotification")[0]
    # not retried before the interval
    while b.ticks.now < boot_answered_at + 9900:
        b.step(1, 100)
    assert b.actions() == ["BootNotification"]
    assert rec.events == []
    b.cs.boot_status = "Accepted"
    b.run(1000)
    assert b.actions()[:3] == ["BootNotification", "BootNotification", "Authorize"]
    second = b.conn.call_times("BootNotification")[1]
    assert 10000 <= second - boot_answered_at <= 10200
    assert rec.events == [("conf", {"idTagInfo": {"status": "Accepted"}})]
    assert b.cs.count("StatusNotification") == 2


def test_custom_boot_payload_and_listener():
    b = Bench()
    got = []
    b.cp.boot_notification("Model-X", "Vendor-Y", on_conf=got.append, firmwareVersion="1.2.3")
    b.step(5)
    assert b.conn.calls()[0][2:] == ["BootNotification", {"chargePointModel": "Model-X",
                                                          "chargePointVendor": "Vendor-Y",
                                                          "firmwareVersion": "1.2.3"}]
    assert got == [{"status": "Accepted", "interval": 300, "currentTime": b.cs.time}]


def test_boot_callerror_is_retried_after_30_s():
    b = Bench()
    b.cs.errors["BootNotification"] = "InternalError"
    b.step(3)
    t0 = b.conn.call_times("BootNotification")[0]
    while b.ticks.now < t0 + 29900:
        b.step(1, 100)
    assert b.cs.count("BootNotification") == 1
    b.run(400)
    assert b.cs.count("BootNotification") == 2
    assert b.cp.boot_status is None


def test_rejected_boot_does_not_answer_central_system_calls():
    b = Bench(boot_status="Rejected", boot_interval=20)
    b.step(5)
    assert b.cp.boot_status == "Rejected"
    msg_id = b.cs.call("GetConfiguration", {})
    other = b.cs.call("NoSuchAction", {})
    b.step(10)
    assert msg_id not in b.cs.results and msg_id not in b.cs.call_errors
    assert other not in b.cs.results and other not in b.cs.call_errors
    assert b.conn.sent and all(f[0] == 2 and f[2] == "BootNotification" for t, f in b.conn.sent)
    # retried after the interval
    b.run(20500)
    assert b.cs.count("BootNotification") == 2


def test_pending_boot_still_answers_central_system_calls():
    b = Bench(boot_status="Pending", boot_interval=100)
    b.step(5)
    assert b.ask("GetConfiguration", {"key": ["HeartbeatInterval"]})[0] == "result"


# ---------------------------------------------------------------- incoming calls

def test_unknown_action_is_not_implemented():
    b = Bench().boot()
    kind, err = b.ask("FooBarBaz", {})
    assert kind == "error" and err[0] == "NotImplemented"
    kind, err = b.ask("Not-An_Action", {})
    assert kind == "error" and err[0] == "NotImplemented"


@pytest.mark.parametrize("action", ["Heartbeat", "StartTransaction", "BootNotification", "Authorize"])
def test_cp_initiated_action_sent_by_cs_is_not_supported(action):
    b = Bench().boot()
    kind, err = b.ask(action, {})
    assert kind == "error" and err[0] == "NotSupported"


def test_action_names_are_case_sensitive():
    b = Bench().boot()
    kind, err = b.ask("remoteStartTransaction", {"idTag": "TAG"})
    assert kind == "error" and err[0] == "NotImplemented"
    assert b.cp.connector(1).tx is None


@pytest.mark.parametrize("frame,expected", [
    ("this is not json {", None),
    ('{"a": 1}', None),
    ("null", None),
    ('"text"', None),
    ("[]", None),
    ('[2, "m1"]', ("m1", "ProtocolError")),
    ('[2, "m2", 7, {}]', ("m2", "ProtocolError")),
    ('[2, "m3", "GetConfiguration", {}, "extra"]', ("m3", "ProtocolError")),
    ('[2, "m4", "GetConfiguration", "not an object"]', ("m4", "FormationViolation")),
    ('[2, "m5", "GetConfiguration", [1, 2]]', ("m5", "FormationViolation")),
    ('[2, 5, "GetConfiguration", {}]', None),
    ('[true, "m6", "GetConfiguration", {}]', None),
    ('[9, "m7", {}]', None),
    ('[3, "no-such-id", {}]', None),
    ('[4, "no-such-id", "GenericError", "x", {}]', None),
    ('[4, "no-such-id"]', None),
])
def test_malformed_frames_never_raise_and_the_next_call_is_answered(frame, expected):
    b = Bench().boot()
    before = len(b.conn.sent)
    b.inject(frame)
    b.step(2)
    out = [f for t, f in b.conn.sent[before:]]
    if expected is None:
        assert out == []
    else:
        assert len(out) == 1 and out[0][0] == 4 and out[0][1:3] == list(expected)
        assert isinstance(out[0][3], str) and out[0][4] == {}
    kind, payload = b.ask("GetConfiguration", {"key": ["NumberOfConnectors"]})
    assert kind == "result"
    assert payload["configurationKey"] == [{"key": "NumberOfConnectors", "readonly": True, "value": "1"}]


def test_handler_that_raises_answers_internal_error_and_the_loop_goes_on(monkeypatch):
    import ocpp_cp.ops.get_configuration as get_configuration

    def boom(cp, payload):
        raise RuntimeError("kaboom")
    b = Bench().boot()
    monkeypatch.setattr(get_configuration, "handle", boom)
    kind, err = b.ask("GetConfiguration", {})
    assert kind == "error"
    assert err[0] == "InternalError" and "kaboom" in err[1]
    kind, payload = b.ask("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "120"})
    assert (kind, payload) == ("result", {"status": "Accepted"})
    monkeypatch.undo()
    assert b.ask("GetConfiguration", {"key": ["HeartbeatInterval"]})[1]["configurationKey"][0]["value"] == "120"


def test_on_receive_request_and_on_send_conf_listeners():
    b = Bench().boot()
    got = []
    b.cp.on_receive_request["GetConfiguration"] = lambda p: got.append(("req", p))
    b.cp.on_send_conf["GetConfiguration"] = lambda p: got.append(("conf", p))
    assert b.ask("GetConfiguration", {"key": ["Nope"]})[0] == "result"
    assert got == [("req", {"key": ["Nope"]}), ("conf", {"configurationKey": [], "unknownKey": ["Nope"]})]


# ---------------------------------------------------------------- Heartbeat

def test_heartbeat_after_heartbeat_interval_of_silence():
    b = Bench(boot_interval=30).boot()
    assert b.cp.config.get("HeartbeatInterval") == 30
    last = b.conn.sent[-1][0]
    while b.ticks.now < last + 29900:
        b.step(1, 100)
    assert b.cs.count("Heartbeat") == 0
    b.run(300)
    assert b.cs.count("Heartbeat") == 1
    assert b.cs.last("Heartbeat") == {}
    hb1 = b.conn.call_times("Heartbeat")[0]
    assert 30000 <= hb1 - last <= 30200
    b.run(31000)
    hb = b.conn.call_times("Heartbeat")
    assert len(hb) == 2 and 30000 <= hb[1] - hb[0] <= 30200


def test_other_calls_postpone_the_heartbeat():
    b = Bench(boot_interval=30).boot()
    for _ in range(4):
        b.run(20000)
        b.cp.authorize("TAG")
    b.run(1000)
    assert b.cs.count("Heartbeat") == 0
    assert b.cs.count("Authorize") == 4


def test_heartbeat_answer_sets_the_clock():
    b = Bench(boot_interval=30).boot()
    b.cs.time = "2030-01-01T00:00:00Z"
    b.run(31000)
    assert b.cs.count("Heartbeat") == 1
    assert b.cp.clock.iso().startswith("2030-01-01T00:00:0")


def test_heartbeat_with_an_interval_of_four_days():
    b = Bench(boot_interval=4 * 86400).boot()
    for _ in range(5 * 24):
        b.ticks.advance(3600 * 1000)
        b.step(3, 10)  # a real loop runs constantly: what it queues goes out at once
    assert b.cs.count("Heartbeat") == 1


# ---------------------------------------------------------------- transaction messages

def test_start_transaction_callerror_retried_then_dropped():
    b = Bench().boot()
    b.cp.config.set("TransactionMessageRetryInterval", 10)
    b.cp.config.set("TransactionMessageAttempts", 3)
    b.cs.errors["StartTransaction"] = "InternalError"
    rec = Recorder()
    c = b.cp.connector(1)
    c.begin_session("TAG", authorized=True)
    c.start(listeners(**rec.kwargs()))
    b.run(1000)
    times = b.conn.call_times("StartTransaction")
    assert len(times) == 1
    # 1st retry after 1 x 10 s, not before
    while b.ticks.now < times[0] + 9900:
        b.step(1, 100)
    assert len(b.conn.call_times("StartTransaction")) == 1
    b.run(500)
    times = b.conn.call_times("StartTransaction")
    assert len(times) == 2 and 10000 <= times[1] - times[0] <= 10200
    # 2nd retry after 2 x 10 s; the listeners know nothing yet
    while b.ticks.now < times[1] + 19900:
        b.step(1, 100)
    assert len(b.conn.call_times("StartTransaction")) == 2
    assert rec.events == []
    b.run(500)
    times = b.conn.call_times("StartTransaction")
    assert len(times) == 3 and 20000 <= times[2] - times[1] <= 20200
    # third error: dropped after TransactionMessageAttempts, listeners told once
    assert rec.events == [("error", "InternalError", "scripted", {}), ("abort",)]
    b.run(120000, 1000)
    assert len(b.conn.call_times("StartTransaction")) == 3
    assert rec.events == [("error", "InternalError", "scripted", {}), ("abort",)]
    # every attempt is a new message with the same payload
    starts = b.conn.calls("StartTransaction")
    assert len({s[1] for s in starts}) == 3
    assert starts[0][3] == starts[1][3] == starts[2][3]
    # its StopTransaction has no transactionId to refer to: it is dropped, not sent
    c.end_session()
    b.run(5000)
    assert b.cs.count("StopTransaction") == 0


def test_start_transaction_retry_succeeds_and_later_messages_wait_for_it():
    b = Bench().boot()
    b.cp.config.set("TransactionMessageRetryInterval", 5)
    b.cs.errors["StartTransaction"] = "InternalError"
    c = b.cp.connector(1)
    c.meter.add("Energy.Active.Import.Register", lambda: 500)
    c.begin_session("TAG", authorized=True)
    b.run(1000)
    c.end_session()                # StopTransaction queued behind the failed StartTransaction
    b.run(1000)
    assert b.cs.count("StopTransaction") == 0
    del b.cs.errors["StartTransaction"]
    b.run(6000)
    tx_actions = [a for a in b.actions() if a.endswith("Transaction")]
    assert tx_actions == ["StartTransaction", "StartTransaction", "StopTransaction"]
    assert b.cs.last("StopTransaction")["transactionId"] == 1


def test_durable_message_timeout_is_resent_with_the_same_id():
    b = Bench().boot()
    b.cs.silent.add("StartTransaction")
    b.cp.connector(1).begin_session("TAG", authorized=True)
    b.run(1000)
    b.run(31000, 500)
    starts = b.conn.calls("StartTransaction")
    assert len(starts) == 2 and starts[0][1] == starts[1][1]


# ---------------------------------------------------------------- configuration

ALL_KEYS = {
    "AllowOfflineTxForUnknownId", "AuthorizeRemoteTxRequests", "ConnectionTimeOut",
    "GetConfigurationMaxKeys", "HeartbeatInterval", "LocalAuthorizeOffline", "LocalPreAuthorize",
    "MeterValueSampleInterval", "MeterValuesSampledData", "NumberOfConnectors",
    "StopTransactionOnEVSideDisconnect", "StopTransactionOnInvalidId", "SupportedFeatureProfiles",
    "TransactionMessageAttempts", "TransactionMessageRetryInterval",
}


def config_values(b, keys=None):
    kind, payload = b.ask("GetConfiguration", {} if keys is None else {"key": keys})
    assert kind == "result"
    validate("GetConfiguration", payload, response=True)
    return {k["key"]: (k["value"], k["readonly"]) for k in payload["configurationKey"]}, payload


def test_get_configuration_all_keys_values_are_strings():
    b = Bench(boot_interval=300).boot()
    values, payload = config_values(b)
    assert ALL_KEYS <= set(values)  # the full Core set: tests/test_config.py
    assert "unknownKey" not in payload
    assert all(isinstance(v, str) for v, ro in values.values())
    assert values["HeartbeatInterval"] == ("300", False)     # from the boot answer
    assert values["NumberOfConnectors"] == ("1", True)
    assert values["GetConfigurationMaxKeys"] == ("64", True)
    assert values["StopTransactionOnInvalidId"] == ("true", False)
    assert values["AuthorizeRemoteTxRequests"] == ("false", False)
    assert values["MeterValuesSampledData"] == ("Energy.Active.Import.Register,Power.Active.Import", False)
    assert values["SupportedFeatureProfiles"][1] is True


def test_get_configuration_listed_and_unknown_keys():
    b = Bench(connectors=2).boot()
    kind, payload = b.ask("GetConfiguration", {"key": ["NumberOfConnectors", "Foo", "ConnectionTimeOut", "Bar"]})
    assert kind == "result"
    assert payload == {
        "configurationKey": [{"key": "NumberOfConnectors", "readonly": True, "value": "2"},
                             {"key": "ConnectionTimeOut", "readonly": False, "value": "60"}],
        "unknownKey": ["Foo", "Bar"],
    }
    validate("GetConfiguration", payload, response=True)


def test_get_configuration_bad_key_type():
    b = Bench().boot()
    kind, err = b.ask("GetConfiguration", {"key": "HeartbeatInterval"})
    assert kind == "error" and err[0] == "TypeConstraintViolation"
    kind, err = b.ask("GetConfiguration", {"key": [1, 2]})
    assert kind == "error" and err[0] == "TypeConstraintViolation"


@pytest.mark.parametrize("key,value,status,after", [
    ("MeterValueSampleInterval", "30", "Accepted", 30),
    ("HeartbeatInterval", "0", "Accepted", 0),
    ("MeterValueSampleInterval", "abc", "Rejected", 60),
    ("MeterValueSampleInterval", "1.5", "Rejected", 60),
    ("MeterValueSampleInterval", "-1", "Rejected", 60),
    ("MeterValueSampleInterval", "", "Rejected", 60),
    ("NumberOfConnectors", "2", "Rejected", 1),
    ("GetConfigurationMaxKeys", "10", "Rejected", 64),
    ("ConnectionTimeOut", "0", "Rejected", 60),
    ("ConnectionTimeOut", "15", "Accepted", 15),
    ("TransactionMessageAttempts", "0", "Rejected", 3),
    ("NoSuchKey", "1", "NotSupported", None),
    ("StopTransactionOnInvalidId", "false", "Accepted", False),
    ("StopTransactionOnInvalidId", "FALSE", "Accepted", False),
    ("AuthorizeRemoteTxRequests", "true", "Accepted", True),
    ("AuthorizeRemoteTxRequests", "True", "Accepted", True),
    ("AuthorizeRemoteTxRequests", "yes", "Rejected", False),
    ("MeterValuesSampledData", "Energy.Active.Import.Register", "Accepted", "Energy.Active.Import.Register"),
])
def test_change_configuration(key, value, status, after):
    b = Bench().boot()
    kind, payload = b.ask("ChangeConfiguration", {"key": key, "value": value})
    assert (kind, payload) == ("result", {"status": status})
    validate("ChangeConfiguration", payload, response=True)
    if after is not None:
        got = b.cp.config.get(key)
        assert got == after and type(got) is type(after)


def test_changed_bool_reads_back_as_a_string():
    b = Bench().boot()
    assert b.ask("ChangeConfiguration", {"key": "StopTransactionOnInvalidId", "value": "false"})[1] == \
        {"status": "Accepted"}
    values, _ = config_values(b, ["StopTransactionOnInvalidId", "MeterValueSampleInterval"])
    assert values["StopTransactionOnInvalidId"] == ("false", False)
    assert b.ask("ChangeConfiguration", {"key": "StopTransactionOnInvalidId", "value": "true"})[1] == \
        {"status": "Accepted"}
    assert b.ask("ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "15"})[1] == \
        {"status": "Accepted"}
    values, _ = config_values(b, ["StopTransactionOnInvalidId", "MeterValueSampleInterval"])
    assert values == {"StopTransactionOnInvalidId": ("true", False), "MeterValueSampleInterval": ("15", False)}


@pytest.mark.parametrize("payload,code", [
    ({"value": "1"}, "OccurenceConstraintViolation"),
    ({"key": "HeartbeatInterval"}, "OccurenceConstraintViolation"),
    ({"key": "HeartbeatInterval", "value": 30}, "TypeConstraintViolation"),
    ({"key": 5, "value": "30"}, "TypeConstraintViolation"),
    ({"key": "HeartbeatInterval", "value": "1" * 501}, "PropertyConstraintViolation"),
])
def test_change_configuration_bad_payload(payload, code):
    b = Bench().boot()
    kind, err = b.ask("ChangeConfiguration", payload)
    assert kind == "error" and err[0] == code
    assert b.cp.config.get("HeartbeatInterval") == 300


def test_config_change_listener_is_told():
    b = Bench().boot()
    seen = []
    b.cp.config.listeners.append(lambda k, v: seen.append((k, v)))
    b.ask("ChangeConfiguration", {"key": "ConnectionTimeOut", "value": "0"})
    b.ask("ChangeConfiguration", {"key": "ConnectionTimeOut", "value": "20"})
    assert seen == [("ConnectionTimeOut", 20)]


# ---------------------------------------------------------------- follow-ups to review findings
def test_authorize_never_sent_while_boot_pending_is_not_an_offline_authorization():
    b = Bench(boot_status="Pending", boot_interval=600)
    b.cp.config.set("AllowOfflineTxForUnknownId", True)
    b.step(3)
    assert b.cp.boot_status == "Pending"
    b.cp.connector(1).begin_session("TAG")
    b.run(31000)  # the Authorize expires unsent: we were connected, the CS just had not accepted us
    assert b.cp.connector(1).tx is None
    assert b.cs.count("Authorize") == 0 and b.cs.count("StartTransaction") == 0


def test_authorize_without_connection_is_offline_and_may_be_allowed():
    b = Bench().boot()
    b.cp.config.set("AllowOfflineTxForUnknownId", True)
    b.conn.connected = False
    b.cp.connector(1).begin_session("TAG")
    b.run(31000)
    tx = b.cp.connector(1).tx
    assert tx is not None and tx.authorized is True and tx.started  # StartTransaction waits to be sent
    b.conn.connected = True
    b.step(5)
    assert b.cs.count("StartTransaction") == 1 and b.cs.count("Authorize") == 0


def test_a_request_gets_its_full_timeout_once_sent():
    b = Bench().boot()
    b.cs.silent.add("DataTransfer")
    first = []
    b.cp.send_request("DataTransfer", {"vendorId": "a"}, on_timeout=lambda: first.append("t1"))
    b.run(20000)
    second = []
    b.cp.send_request("DataTransfer", {"vendorId": "b"}, on_timeout=lambda: second.append("t2"))
    b.run(11000)
    assert first == ["t1"] and second == []  # the first: no answer 30 s after it was sent
    b.run(25000)
    assert second == []        # waited 10 s behind the first, then sent with a fresh 30 s
    b.run(6000)
    assert second == ["t2"]


def test_retry_budget_counts_callerrors_not_resends():
    b = Bench().boot()
    b.cp.config.set("TransactionMessageAttempts", 2)
    b.cp.config.set("TransactionMessageRetryInterval", 1)
    c = b.cp.connector(1)
    b.cs.silent.add("StartTransaction")
    c.begin_session("TAG", authorized=True)
    b.run(31000)               # no answer: resent, which must not use up an attempt
    b.run(31000)
    assert b.cs.count("StartTransaction") == 3
    b.cs.silent.discard("StartTransaction")
    b.cs.errors["StartTransaction"] = "InternalError"
    b.run(31000)               # first error, retried after 1 s, second error: dropped
    assert b.cs.count("StartTransaction") == 5
    b.run(5000)
    assert b.cs.count("StartTransaction") == 5


def test_receive_request_listener_sees_only_valid_requests():
    b = Bench().boot()
    seen = []
    b.cp.on_receive_request["SetChargingProfile"] = seen.append
    b.cs.call("SetChargingProfile", {"connectorId": "one", "csChargingProfiles": {}})
    b.step(2)
    assert seen == []
    good = {"connectorId": 1, "csChargingProfiles": {"chargingProfileId": 1, "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile", "chargingProfileKind": "Absolute",
            "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]}}}
    b.cs.call("SetChargingProfile", good)
    b.step(2)
    assert seen == [good]
