"""The beginner facade (ocpp_cp.facade): ArduinoOcpp-style names over one ChargePoint.

No network: every test injects connection=MemoryConnection() and the module-wide charge point
is torn down with OCPP_deinitialize(). adafruit_ticks.ticks_ms is replaced by FakeTicks so
the facade's ChargePoint runs on test time.
"""
import adafruit_ticks
import pytest

from ocpp_cp import facade as F
from tests.support.memory_cs import FakeTicks, MemoryConnection, ScriptedCentralSystem
from tests.support.schemas import validate

URL = "ws://192.168.1.10:9000/ocpp/charger-01"


class Env:
    def __init__(self, ticks):
        self.ticks = ticks
        self.conn = MemoryConnection()
        self.cs = ScriptedCentralSystem(self.conn)
        self.logs = []

    def init(self, *args, **kwargs):
        kwargs.setdefault("connection", self.conn)
        kwargs.setdefault("log", self.logs.append)
        return F.OCPP_initialize(*(args or (URL,)), **kwargs)

    def step(self, n=1, ms=10):
        for _ in range(n):
            F.OCPP_loop()
            self.cs.pump()
            self.ticks.advance(ms)

    def boot(self):
        self.init()
        self.step(10)
        assert F.getChargePoint().accepted
        return self

    def actions(self):
        return [a for a, p in self.cs.calls if a != "StatusNotification"]

    def ask(self, action, payload, steps=2):
        msg_id = self.cs.call(action, payload)
        self.step(steps)
        if msg_id in self.cs.results:
            return "result", self.cs.results[msg_id]
        if msg_id in self.cs.call_errors:
            return "error", self.cs.call_errors[msg_id]
        return None


@pytest.fixture
def env(monkeypatch):
    ticks = FakeTicks()
    monkeypatch.setattr(adafruit_ticks, "ticks_ms", ticks)
    e = Env(ticks)
    try:
        yield e
    finally:
        F.OCPP_deinitialize()
    for action, payload in e.cs.calls:
        validate(action, payload)


# ---------------------------------------------------------------- initialize / loop

def test_initialize_with_url(env):
    cp = env.init(URL)
    assert F.getChargePoint() is cp
    assert cp.connection is env.conn
    assert cp.ticks_ms is env.ticks
    env.step(10)
    assert env.cs.calls[0][0] == "BootNotification"
    assert cp.accepted


def test_initialize_with_host_port_url(env):
    cp = env.init("192.168.1.10", 9000, URL)
    assert F.getChargePoint() is cp
    env.step(5)
    assert cp.accepted


def test_initialize_with_string_port_and_default_ports(env):
    env.init("192.168.1.10", "9000", URL)
    env.init("example.org", 80, "ws://example.org/ocpp/cp1")
    env.init("example.org", 443, "wss://example.org/ocpp/cp1")


@pytest.mark.parametrize("args", [
    ("192.168.1.11", 9000, URL),                       # host differs
    ("192.168.1.10", 9001, URL),                       # port differs
    ("192.168.1.10", 80, URL),
    ("example.org", 443, "ws://example.org/ocpp/cp1"),  # ws is port 80
    ("192.168.1.10", 9000),                            # url missing
    ("http://192.168.1.10:9000/ocpp/charger-01",),     # bad scheme
    ("192.168.1.10:9000/ocpp/charger-01",),            # no scheme
    ("ws:///ocpp/charger-01",),                        # no host
])
def test_initialize_rejects_bad_arguments(env, args):
    with pytest.raises(ValueError):
        env.init(*args)
    with pytest.raises(RuntimeError):
        F.OCPP_loop()  # nothing was initialized


def test_loop_and_other_calls_before_initialize_raise():
    F.OCPP_deinitialize()
    with pytest.raises(RuntimeError):
        F.OCPP_loop()
    with pytest.raises(RuntimeError):
        F.getTransactionId()
    with pytest.raises(RuntimeError):
        F.beginSession("TAG")
    with pytest.raises(RuntimeError):
        F.bootNotification("m", "v")
    with pytest.raises(RuntimeError):
        F.getChargePoint()


def test_deinitialize_closes_and_initialize_again_replaces(env):
    env.init()
    old = env.conn
    new = MemoryConnection()
    cp2 = env.init(connection=new)
    assert old.closed is True and new.closed is False
    assert F.getChargePoint() is cp2 and cp2.connection is new
    F.OCPP_deinitialize()
    assert new.closed is True
    with pytest.raises(RuntimeError):
        F.OCPP_loop()
    F.OCPP_deinitialize()  # twice is harmless


def test_connectors_option(env):
    env.init(connectors=2)
    env.step(10)
    assert sorted(p["connectorId"] for a, p in env.cs.calls if a == "StatusNotification") == [0, 1, 2]
    assert F.getConnectorStatus(2) == "Available"
    with pytest.raises(ValueError):
        F.getConnectorStatus(3)


# ---------------------------------------------------------------- operations with listeners

def test_boot_notification_with_on_conf(env):
    env.init()
    got = []
    F.bootNotification("My Charger", "Me", onConf=got.append)
    env.step(5)
    assert env.cs.calls[0] == ("BootNotification", {"chargePointModel": "My Charger", "chargePointVendor": "Me"})
    assert got == [{"status": "Accepted", "interval": 300, "currentTime": env.cs.time}]


def test_authorize_with_on_conf_and_on_error(env):
    env.boot()
    env.cs.id_status["BAD"] = "Blocked"
    got = []
    F.authorize("BAD", onConf=got.append)
    env.step(3)
    assert got == [{"idTagInfo": {"status": "Blocked"}}]
    env.cs.errors["Authorize"] = "GenericError"
    events = []
    F.authorize("X", onConf=lambda p: events.append("conf"), onAbort=lambda: events.append("abort"),
                onError=lambda c, t, d: events.append(("error", c)))
    env.step(3)
    assert events == [("error", "GenericError"), "abort"]


def test_authorize_on_timeout(env):
    env.boot()
    env.cs.silent.add("Authorize")
    events = []
    F.authorize("X", onTimeout=lambda: events.append("timeout"), onAbort=lambda: events.append("abort"),
                timeout=2)
    env.step(150, 10)
    assert events == []
    env.step(60, 10)
    assert events == ["timeout", "abort"]


def test_send_request_custom_action(env):
    env.boot()
    got = []
    F.sendRequest("DataTransfer", {"vendorId": "acme", "messageId": "hello"}, onConf=got.append)
    env.step(3)
    assert env.cs.last("DataTransfer") == {"vendorId": "acme", "messageId": "hello"}
    assert got == [{}]


def test_get_transaction_id_and_start_stop_transaction(env):
    env.boot()
    env.cs.next_tx = 4711
    assert F.getTransactionId() == -1
    F.setEnergyActiveImportSampler(lambda: 12345)
    started, stopped = [], []
    F.startTransaction("TAG", onConf=started.append)
    assert F.getTransactionId() == -1  # not answered yet
    env.step(5)
    assert started == [{"transactionId": 4711, "idTagInfo": {"status": "Accepted"}}]
    assert F.getTransactionId() == 4711
    assert env.actions() == ["BootNotification", "StartTransaction"]  # no Authorize
    start = env.cs.last("StartTransaction")
    assert start["idTag"] == "TAG" and start["meterStart"] == 12345 and start["connectorId"] == 1
    assert F.ocppPermitsCharge() is True and F.isInSession() is True
    with pytest.raises(RuntimeError):
        F.startTransaction("OTHER")
    F.stopTransaction(onConf=stopped.append)
    assert F.getTransactionId() == -1
    env.step(5)
    assert stopped == [{}]
    stop = env.cs.last("StopTransaction")
    assert stop["transactionId"] == 4711 and stop["reason"] == "Local" and stop["meterStop"] == 12345
    with pytest.raises(RuntimeError):
        F.stopTransaction()


def test_session_queries_through_a_session(env):
    env.boot()
    plugged = [False]
    F.setConnectorPluggedSampler(lambda: plugged[0])
    F.setEnergyActiveImportSampler(lambda: 100)
    F.setPowerActiveImportSampler(lambda: 3700)
    assert F.isInSession() is False and F.getSessionIdTag() is None and F.ocppPermitsCharge() is False
    assert F.isAvailable() is True
    assert F.beginSession("CARD-1") is True
    assert F.beginSession("CARD-2") is False
    assert F.isInSession() is True and F.getSessionIdTag() == "CARD-1"
    assert F.isAvailable() is False
    env.step(5)
    assert F.ocppPermitsCharge() is False  # authorized, but no car yet
    assert F.getConnectorStatus() == "Preparing"
    plugged[0] = True
    env.step(5)
    assert F.ocppPermitsCharge() is True
    assert F.getTransactionId() == 1
    assert F.getConnectorStatus() == "Charging"
    assert F.endSession() is True
    assert F.isInSession() is False and F.getSessionIdTag() is None and F.ocppPermitsCharge() is False
    env.step(5)
    assert F.getConnectorStatus() == "Finishing"
    plugged[0] = False
    env.step(5)
    assert F.getConnectorStatus() == "Available"
    assert env.actions() == ["BootNotification", "Authorize", "StartTransaction", "StopTransaction"]
    assert F.endSession() is False


def test_ev_requests_energy_and_energized_samplers(env):
    env.boot()
    wants, relay = [True], [True]
    F.setEvRequestsEnergySampler(lambda: wants[0])
    F.setConnectorEnergizedSampler(lambda: relay[0])
    F.startTransaction("TAG")
    env.step(5)
    assert F.getConnectorStatus() == "Charging"
    wants[0] = False
    env.step(2)
    assert F.getConnectorStatus() == "SuspendedEV"
    wants[0] = True
    relay[0] = False
    env.step(2)
    assert F.getConnectorStatus() == "SuspendedEVSE"


def test_add_meter_value_sampler(env):
    env.boot()
    F.getChargePoint().config.set("MeterValueSampleInterval", 1)
    F.getChargePoint().config.set("MeterValuesSampledData", "Current.Import")
    F.addMeterValueSampler("Current.Import", lambda: 16, unit="A", phase="L2")
    F.startTransaction("TAG")
    env.step(120, 10)
    mv = env.cs.last("MeterValues")
    assert mv["meterValue"][0]["sampledValue"] == [
        {"value": "16", "context": "Sample.Periodic", "measurand": "Current.Import", "unit": "A", "phase": "L2"}]


# ---------------------------------------------------------------- Central System listeners

def test_on_remote_start_transaction_send_conf_gets_the_sent_payload(env):
    env.boot()
    got = []
    F.setOnRemoteStartTransactionSendConf(got.append)
    assert env.ask("RemoteStartTransaction", {"idTag": "R", "connectorId": 1}) == ("result", {"status": "Accepted"})
    assert env.ask("RemoteStartTransaction", {"idTag": "R", "connectorId": 1}) == ("result", {"status": "Rejected"})
    assert got == [{"status": "Accepted"}, {"status": "Rejected"}]
    assert F.getSessionIdTag() == "R"


def test_on_remote_stop_and_reset_listeners(env):
    env.boot()
    stops, resets, executed = [], [], []
    F.setOnRemoteStopTransactionSendConf(stops.append)
    F.setOnResetSendConf(resets.append)
    F.setOnResetExecute(executed.append)
    F.startTransaction("TAG")
    env.step(5)
    assert env.ask("RemoteStopTransaction", {"transactionId": F.getTransactionId()}) == \
        ("result", {"status": "Accepted"})
    assert stops == [{"status": "Accepted"}]
    env.step(5)
    assert env.cs.last("StopTransaction")["reason"] == "Remote"
    assert env.ask("Reset", {"type": "Hard"}) == ("result", {"status": "Accepted"})
    env.step(3)
    assert resets == [{"status": "Accepted"}] and executed == [True]


def test_set_charging_profile_without_listener_is_not_supported(env):
    env.boot()
    payload = {"connectorId": 1, "csChargingProfiles": {
        "chargingProfileId": 1, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Absolute", "chargingSchedule": {
            "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]}}}
    assert env.ask("SetChargingProfile", payload) == ("result", {"status": "NotSupported"})


def test_set_charging_profile_with_listener_is_accepted(env):
    env.boot()
    got = []
    F.setOnSetChargingProfileRequest(got.append)
    payload = {"connectorId": 1, "csChargingProfiles": {
        "chargingProfileId": 7, "stackLevel": 1, "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Absolute", "chargingSchedule": {
            "chargingRateUnit": "W", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 11000.0}]}}}
    result = env.ask("SetChargingProfile", payload)
    assert result == ("result", {"status": "Accepted"})
    validate("SetChargingProfile", result[1], response=True)
    assert got == [payload]
    kind, err = env.ask("SetChargingProfile", {"connectorId": 1})
    assert kind == "error" and err[0] == "OccurenceConstraintViolation"


def test_set_on_receive_request_and_send_conf(env):
    env.boot()
    seen = []
    F.setOnReceiveRequest("GetConfiguration", lambda p: seen.append(("req", p)))
    F.setOnSendConf("GetConfiguration", lambda p: seen.append(("conf", len(p["configurationKey"]))))
    env.ask("GetConfiguration", {"key": ["HeartbeatInterval"]})
    assert seen == [("req", {"key": ["HeartbeatInterval"]}), ("conf", 1)]


def test_host_check_ignores_case(env):
    env.init("EXAMPLE.org", 80, "ws://example.org/ocpp/cp-1")
    assert F.getChargePoint() is not None
