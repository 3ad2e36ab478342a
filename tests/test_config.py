"""Configuration (ocpp_cp.engine.config): the OCPP 1.6 Core keys with their read-only flags,
GetConfiguration / ChangeConfiguration validation, persistence through cp.store, and the
sketch's own keys through the facade.
"""
import adafruit_ticks
import pytest

from ocpp_cp import facade as F
from ocpp_cp.engine.config import Configuration
from ocpp_cp.storage import MemoryStore
from tests.support.cp_bench import ENERGY, POWER, Bench, CountingStore, record
from tests.support.memory_cs import FakeTicks, MemoryConnection, ScriptedCentralSystem


def config_saves(store):
    return [name for name in store.saves if name == "config"]

# OCPP 1.6 section 9.1 (Core profile): key -> read-only here. AuthorizeRemoteTxRequests may
# be R or RW (the charger's choice): RW here.
CORE_KEYS = {
    "AllowOfflineTxForUnknownId": False, "AuthorizationCacheEnabled": False,
    "AuthorizeRemoteTxRequests": False, "ClockAlignedDataInterval": False, "ConnectionTimeOut": False,
    "ConnectorPhaseRotation": False, "GetConfigurationMaxKeys": True, "HeartbeatInterval": False,
    "LocalAuthorizeOffline": False, "LocalPreAuthorize": False, "MeterValuesAlignedData": False,
    "MeterValuesAlignedDataMaxLength": True, "MeterValuesSampledData": False,
    "MeterValuesSampledDataMaxLength": True, "MeterValueSampleInterval": False,
    "MinimumStatusDuration": False, "NumberOfConnectors": True, "ResetRetries": False,
    "StopTransactionOnEVSideDisconnect": False, "StopTransactionOnInvalidId": False,
    "StopTxnAlignedData": False, "StopTxnAlignedDataMaxLength": True, "StopTxnSampledData": False,
    "StopTxnSampledDataMaxLength": True, "SupportedFeatureProfiles": True,
    "TransactionMessageAttempts": False, "TransactionMessageRetryInterval": False,
    "UnlockConnectorOnEVSideDisconnect": False, "WebSocketPingInterval": False,
}


def get_config(b, keys=None):
    payload = b.result("GetConfiguration", {} if keys is None else {"key": keys})
    return {k["key"]: (k["value"], k["readonly"]) for k in payload["configurationKey"]}, payload


def change(b, key, value):
    return b.result("ChangeConfiguration", {"key": key, "value": value})["status"]


# ---------------------------------------------------------------- keys and GetConfiguration

def test_every_core_key_with_its_readonly_flag():
    b = Bench(connectors=2, meter=False)
    values, payload = get_config(b)
    for key, readonly in CORE_KEYS.items():
        assert key in values, key
        assert values[key][1] is readonly, key
    assert all(isinstance(v, str) and len(v) <= 500 for v, _ in values.values())
    assert values["NumberOfConnectors"][0] == "2"
    assert values["SupportedFeatureProfiles"][0] == "Core"
    assert values["ClockAlignedDataInterval"][0] == "0"
    assert values["MinimumStatusDuration"][0] == "0"
    assert values["MeterValuesSampledDataMaxLength"][0] == "8"
    assert "unknownKey" not in payload


def test_get_configuration_listed_keys_unknown_keys_and_max_keys():
    b = Bench(meter=False)
    values, payload = get_config(b, ["StopTxnSampledData", "NoSuchKey", "WebSocketPingInterval", "X"])
    assert [k["key"] for k in payload["configurationKey"]] == ["StopTxnSampledData", "WebSocketPingInterval"]
    assert payload["unknownKey"] == ["NoSuchKey", "X"]
    assert get_config(b, [])[0].keys() >= CORE_KEYS.keys()  # an empty list: everything
    kind, err = b.ask("GetConfiguration", {"key": ["HeartbeatInterval"] * 65})  # GetConfigurationMaxKeys 64
    assert kind == "error" and err[0] == "OccurenceConstraintViolation"
    assert b.ask("GetConfiguration", {"key": ["HeartbeatInterval"] * 64})[0] == "result"


# ---------------------------------------------------------------- ChangeConfiguration

@pytest.mark.parametrize("key,value,status,after", [
    ("ClockAlignedDataInterval", "900", "Accepted", 900),
    ("ClockAlignedDataInterval", "-900", "Rejected", 0),
    ("MinimumStatusDuration", "5", "Accepted", 5),
    ("MinimumStatusDuration", "5s", "Rejected", 0),
    ("MeterValueSampleInterval", " 5", "Rejected", 60),
    ("MeterValueSampleInterval", "+5", "Rejected", 60),
    ("MeterValueSampleInterval", "1_0", "Rejected", 60),
    ("HeartbeatInterval", "2147483647", "Accepted", 2147483647),
    ("HeartbeatInterval", "2147483648", "Rejected", 300),  # 300: from the boot answer
    ("ResetRetries", "3", "Accepted", 3),
    ("WebSocketPingInterval", "0", "Accepted", 0),
    ("TransactionMessageAttempts", "10", "Accepted", 10),
    ("TransactionMessageAttempts", "11", "Rejected", 3),
    ("TransactionMessageRetryInterval", "3600", "Accepted", 3600),
    ("TransactionMessageRetryInterval", "3601", "Rejected", 60),
    ("UnlockConnectorOnEVSideDisconnect", "false", "Accepted", False),
    ("UnlockConnectorOnEVSideDisconnect", "no", "Rejected", True),
    ("AuthorizationCacheEnabled", "False", "Accepted", False),
    ("LocalPreAuthorize", "TRUE", "Accepted", True),
    ("ConnectorPhaseRotation", "0.RST, 1.RTS, 2.NotApplicable", "Accepted", "0.RST, 1.RTS, 2.NotApplicable"),
    ("ConnectorPhaseRotation", "1.XYZ", "Rejected", "0.Unknown"),
    ("ConnectorPhaseRotation", "3.RST", "Rejected", "0.Unknown"),
    ("ConnectorPhaseRotation", "RST", "Rejected", "0.Unknown"),
    ("SupportedFeatureProfiles", "Core,SmartCharging", "Rejected", "Core"),
    ("MeterValuesSampledDataMaxLength", "20", "Rejected", 8),
    ("NumberOfConnectors", "3", "Rejected", 2),
    ("GetConfigurationMaxKeys", "100", "Rejected", 64),
    ("OcppCpNoSuchKey", "1", "NotSupported", None),
])
def test_change_configuration_values(key, value, status, after):
    b = Bench(connectors=2, meter=False)
    assert change(b, key, value) == status
    if after is not None:
        got = b.cp.config.get(key)
        assert got == after and type(got) is type(after)


def test_measurand_lists_are_checked_against_the_samplers_and_max_length():
    b = Bench(connectors=2)  # energy and power samplers on both connectors
    b.c(2).meter.add("Voltage", lambda: 230, phase="L1")
    assert change(b, "MeterValuesSampledData", " Voltage , Energy.Active.Import.Register,") == "Accepted"
    assert b.cp.config.get("MeterValuesSampledData") == "Voltage,Energy.Active.Import.Register"
    assert change(b, "MeterValuesAlignedData", "Power.Active.Import") == "Accepted"
    assert change(b, "StopTxnSampledData", ENERGY) == "Accepted"
    assert change(b, "StopTxnAlignedData", "") == "Accepted"  # an empty list: nothing
    # a real measurand without a sampler on this charger, and a name OCPP does not have
    assert change(b, "MeterValuesSampledData", "SoC") == "Rejected"
    assert change(b, "MeterValuesAlignedData", "Energy") == "Rejected"
    assert change(b, "StopTxnSampledData", "Energy.Active.Import.Register,Current.Import") == "Rejected"
    assert b.cp.config.get("MeterValuesSampledData") == "Voltage,Energy.Active.Import.Register"
    # more than MeterValuesSampledDataMaxLength (8)
    for i, m in enumerate(("Current.Import", "Current.Offered", "Frequency", "Temperature", "SoC",
                           "Power.Offered", "Power.Factor")):
        b.c(1).meter.add(m, lambda: 1)
    nine = "Voltage,Energy.Active.Import.Register,Power.Active.Import,Current.Import,Current.Offered," \
           "Frequency,Temperature,SoC,Power.Offered"
    assert change(b, "MeterValuesSampledData", nine) == "Rejected"
    assert change(b, "MeterValuesSampledData", nine.rsplit(",", 1)[0]) == "Accepted"


def test_a_charger_without_samplers_accepts_any_measurand_name():
    b = Bench(meter=False)
    assert change(b, "MeterValuesSampledData", "SoC,Temperature") == "Accepted"
    assert change(b, "MeterValuesSampledData", "Temperatur") == "Rejected"


@pytest.mark.parametrize("payload,code", [
    ({"key": "HeartbeatInterval", "value": 30}, "TypeConstraintViolation"),
    ({"key": "K" * 51, "value": "1"}, "PropertyConstraintViolation"),
    ({"key": "HeartbeatInterval"}, "OccurenceConstraintViolation"),
])
def test_change_configuration_bad_payload_is_a_call_error(payload, code):
    b = Bench(meter=False)
    kind, err = b.ask("ChangeConfiguration", payload)
    assert kind == "error" and err[0] == code


def test_listeners_hear_only_real_changes():
    b = Bench(meter=False)
    seen = []
    b.cp.config.listeners.append(lambda k, v: seen.append((k, v)))
    assert change(b, "MinimumStatusDuration", "0") == "Accepted"   # the value it has
    assert change(b, "MinimumStatusDuration", "x") == "Rejected"
    assert change(b, "MinimumStatusDuration", "3") == "Accepted"
    assert seen == [("MinimumStatusDuration", 3)]


# ---------------------------------------------------------------- persistence

def test_changed_values_are_stored_once_and_loaded_by_the_next_charge_point():
    store = CountingStore()
    b = Bench(meter=False, store=store)
    assert config_saves(store) == []  # nothing changed yet: nothing written
    assert change(b, "MeterValueSampleInterval", "15") == "Accepted"
    assert change(b, "MeterValueSampleInterval", "15") == "Accepted"     # same value again
    assert change(b, "StopTransactionOnInvalidId", "false") == "Accepted"
    assert change(b, "HeartbeatInterval", "abc") == "Rejected"
    assert change(b, "NumberOfConnectors", "4") == "Rejected"
    assert config_saves(store) == ["config", "config"]
    assert record(store, "config") == {"MeterValueSampleInterval": "15", "StopTransactionOnInvalidId": "false"}
    # a restart: a new ChargePoint on the same store
    again = Bench(meter=False, store=store, boot=False)
    assert again.cp.config.get("MeterValueSampleInterval") == 15
    assert again.cp.config.get("StopTransactionOnInvalidId") is False
    assert again.cp.config.get("ConnectionTimeOut") == 60
    assert config_saves(store) == ["config", "config"]  # loading writes nothing


def test_changing_back_to_the_default_is_stored_too():
    store = CountingStore()
    b = Bench(meter=False, store=store)
    change(b, "ConnectionTimeOut", "30")
    change(b, "ConnectionTimeOut", "60")
    assert record(store, "config") == {"ConnectionTimeOut": "60"}
    assert Bench(meter=False, store=store, boot=False).cp.config.get("ConnectionTimeOut") == 60


def test_a_value_set_at_run_time_does_not_hide_a_stored_change():
    # HeartbeatInterval comes from the BootNotification answer (300) without being stored;
    # a ChangeConfiguration to that same value must still replace an older stored one.
    store = CountingStore()
    b = Bench(meter=False, store=store)
    change(b, "HeartbeatInterval", "600")
    b2 = Bench(meter=False, store=store)
    assert b2.cp.config.get("HeartbeatInterval") == 300  # the boot answer
    assert change(b2, "HeartbeatInterval", "300") == "Accepted"
    assert record(store, "config") == {"HeartbeatInterval": "300"}


@pytest.mark.parametrize("data", [b"{not json", b"\xff\xfe", b"[1, 2]", b'{"HeartbeatInterval": 5}', b""])
def test_a_corrupt_record_is_ignored_with_a_log_line(data):
    store = MemoryStore()
    store.save("config", data)
    logs = []
    config = Configuration(1, store, logs.append)
    assert config.get("HeartbeatInterval") == 86400
    if data:
        assert any("corrupt" in line for line in logs), logs


def test_a_stored_value_that_no_longer_fits_is_ignored_with_a_log_line():
    store = MemoryStore()
    store.save("config", b'{"ConnectionTimeOut": "0", "MeterValueSampleInterval": "20", "Gone": "1"}')
    logs = []
    config = Configuration(1, store, logs.append)
    assert config.get("ConnectionTimeOut") == 60
    assert config.get("MeterValueSampleInterval") == 20
    assert len(logs) == 1 and "ConnectionTimeOut" in logs[0]


def test_read_only_keys_are_never_taken_from_the_store():
    store = MemoryStore()
    store.save("config", b'{"NumberOfConnectors": "7", "SupportedFeatureProfiles": "Core,Reservation"}')
    config = Configuration(2, store)
    assert config.get("NumberOfConnectors") == 2 and config.get("SupportedFeatureProfiles") == "Core"


# ---------------------------------------------------------------- the sketch's own keys (facade)

@pytest.fixture
def facade(monkeypatch):
    ticks = FakeTicks()
    monkeypatch.setattr(adafruit_ticks, "ticks_ms", ticks)
    store = CountingStore()
    conn = MemoryConnection()
    cs = ScriptedCentralSystem(conn)

    def init():
        F.OCPP_initialize("ws://127.0.0.1:9000/ocpp/cfg", connection=conn, log=lambda m: None)
        # the facade's ChargePoint on our store (the store option belongs to OCPP_initialize)
        cp = F.getChargePoint()
        cp.config.store = store
        return cp

    def step(n=5):
        for _ in range(n):
            F.OCPP_loop()
            cs.pump()
            ticks.advance(10)
    try:
        yield init, step, cs, store
    finally:
        F.OCPP_deinitialize()


def test_declare_get_set_configuration(facade):
    init, step, cs, store = facade
    init()
    assert F.declareConfiguration("MyChargerMaxCurrent", 16) == 16
    assert F.declareConfiguration("MyChargerLed", True) is True
    assert F.declareConfiguration("MyChargerModel", "Box-1", readonly=True) == "Box-1"
    assert F.declareConfiguration("MyChargerMode", "eco", rebootRequired=True) == "eco"
    assert F.declareConfiguration("MyChargerMaxCurrent", 10) == 16  # declared already: kept
    assert F.declareConfiguration("HeartbeatInterval", 5) == 86400  # a standard key is not replaced
    step(10)
    msg = cs.call("GetConfiguration", {"key": ["MyChargerMaxCurrent", "MyChargerLed", "MyChargerModel"]})
    step()
    assert cs.results[msg]["configurationKey"] == [
        {"key": "MyChargerMaxCurrent", "readonly": False, "value": "16"},
        {"key": "MyChargerLed", "readonly": False, "value": "true"},
        {"key": "MyChargerModel", "readonly": True, "value": "Box-1"}]
    answers = [cs.call("ChangeConfiguration", {"key": k, "value": v}) for k, v in
               (("MyChargerMaxCurrent", "32"), ("MyChargerMaxCurrent", "lots"), ("MyChargerModel", "X"),
                ("MyChargerMode", "fast"), ("MyChargerMode", "fast"))]
    step(10)
    assert [cs.results[m]["status"] for m in answers] == ["Accepted", "Rejected", "Rejected", "RebootRequired",
                                                           "Accepted"]
    assert F.getConfiguration("MyChargerMaxCurrent") == 32
    F.setConfiguration("MyChargerLed", False)
    F.setConfiguration("MyChargerModel", "Box-2")  # read-only for the Central System, not the sketch
    assert F.getConfiguration("MyChargerLed") is False and F.getConfiguration("MyChargerModel") == "Box-2"
    F.setConfiguration("MeterValueSampleInterval", 30)
    assert F.getConfiguration("MeterValueSampleInterval") == 30
    with pytest.raises(ValueError):
        F.setConfiguration("MyChargerMaxCurrent", -1)
    with pytest.raises(ValueError):
        F.setConfiguration("NoSuchKey", 1)
    with pytest.raises(ValueError):
        F.declareConfiguration("K" * 51, 1)
    with pytest.raises(KeyError):
        F.getConfiguration("NoSuchKey")
    assert record(store, "config") == {"MyChargerMaxCurrent": "32", "MyChargerLed": "false",
                                       "MyChargerMode": "fast", "MeterValueSampleInterval": "30"}


def test_a_declared_key_takes_its_stored_value_after_a_restart():
    store = MemoryStore()
    store.save("config", b'{"MyChargerMaxCurrent": "32", "MyChargerLed": "maybe"}')
    logs = []
    config = Configuration(1, store, logs.append)
    config.declare("MyChargerMaxCurrent", 16)
    config.declare("MyChargerLed", True)
    assert config.get("MyChargerMaxCurrent") == 32
    assert config.get("MyChargerLed") is True and "MyChargerLed" in logs[-1]


def test_the_samplers_decide_only_once_there_are_some():
    b = Bench(meter=False)
    assert change(b, "MeterValuesSampledData", POWER) == "Accepted"
    b.c(1).meter.add(ENERGY, lambda: 1)
    assert change(b, "MeterValuesSampledData", POWER) == "Rejected"
    assert change(b, "MeterValuesSampledData", ENERGY) == "Accepted"
