"""Central-System-initiated Core operations over real sockets, driven from the dev Central System
(tools/central_system.py): RemoteStartTransaction, RemoteStopTransaction, Reset, UnlockConnector,
DataTransfer (both ways), ClearCache, Get/ChangeConfiguration, SetChargingProfile, custom actions
(setRequestHandler), and the CALLERRORs for invalid calls.

The charge point runs in the test thread through the beginner facade; the waiting helpers call
OCPP_loop while they wait. Each test checks the answer AND what follows on the wire (e.g. the
StopTransaction reason). The central_system fixture validates every frame the charge point sent
against the official OCPP 1.6 schemas at teardown.
"""
import json

import pytest

import ocpp_cp
from ocpp_cp import (OCPP_loop, beginSession, dataTransfer, getTransactionId, isInSession,
                     setConnectorPluggedSampler, setEnergyActiveImportSampler, setOnDataTransfer,
                     setOnReceiveRequest, setOnResetExecute, setOnResetNotify, setOnResetReceiveReq,
                     setOnSetChargingProfileRequest, setOnUnlockConnector, setRequestHandler)
from ocpp_cp.storage import MemoryStore
from tests.support.live import boot, loop_until, settle
from tests.support.schemas import validate_cp_messages
from tools.central_system import CallErrorReceived

PROFILE = {"chargingProfileId": 3, "stackLevel": 0, "chargingProfilePurpose": "TxProfile",
           "chargingProfileKind": "Relative", "chargingSchedule": {
               "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 13.5}]}}


class Charger:
    """A booted charge point with plugs and a meter per connector, and shortcuts for the tests."""

    def __init__(self, cs, cp_id, logs, connectors=1):
        self.cs, self.id = cs, cp_id
        self.plugged = {i: True for i in range(1, connectors + 1)}
        boot(cs, cp_id, logs, model="CS ops", setup=self.wire, connectors=connectors, store=MemoryStore())

    def wire(self):
        for i in self.plugged:
            setEnergyActiveImportSampler(lambda: 5000, connectorId=i)
            setConnectorPluggedSampler((lambda i: lambda: self.plugged[i])(i), connectorId=i)

    @property
    def cp(self):
        return ocpp_cp.getChargePoint()

    def call(self, action, payload):
        return self.cs.call(self.id, action, payload, pump=OCPP_loop)

    def error(self, action, payload):
        """The CALLERROR code of an (invalid) call."""
        with pytest.raises(CallErrorReceived) as err:
            self.call(action, payload)
        return err.value.code

    def calls(self, action):
        return self.cs.calls(action, cp_id=self.id)

    def wait(self, action, count=1):
        return self.cs.wait_for(action, count=count, cp_id=self.id, pump=OCPP_loop)

    def start(self, tag="CARD", connector=1):
        """A running transaction (local card): returns its transactionId."""
        n = len(self.calls("StartTransaction"))
        assert beginSession(tag, connector)
        self.wait("StartTransaction", n + 1)
        loop_until(lambda: getTransactionId(connector) > 0)
        return getTransactionId(connector)


# ---------------------------------------------------------------- RemoteStartTransaction

def test_remote_start_picks_a_free_connector_and_rejects_busy_unknown_and_unavailable(central_system, sketch):
    ch = Charger(central_system, "CP_RS", sketch, connectors=2)
    assert ch.call("RemoteStartTransaction", {"idTag": "R1"}) == {"status": "Accepted"}
    start = ch.wait("StartTransaction")[0]
    assert start["idTag"] == "R1" and start["connectorId"] == 1
    assert ch.calls("Authorize") == []  # AuthorizeRemoteTxRequests is false
    loop_until(lambda: getTransactionId(1) > 0)
    # no connectorId: connector 1 is busy, so connector 2
    assert ch.call("RemoteStartTransaction", {"idTag": "R2"}) == {"status": "Accepted"}
    assert ch.wait("StartTransaction", 2)[1]["connectorId"] == 2
    loop_until(lambda: getTransactionId(2) > 0)
    for payload in ({"idTag": "R3"}, {"idTag": "R3", "connectorId": 1}, {"idTag": "R3", "connectorId": 0},
                    {"idTag": "R3", "connectorId": 3}, {"idTag": "R3", "connectorId": -1}):
        assert ch.call("RemoteStartTransaction", payload) == {"status": "Rejected"}, payload
    ch.call("RemoteStopTransaction", {"transactionId": getTransactionId(2)})
    ch.wait("StopTransaction")
    ch.cp.connector(2).operative = False  # ChangeAvailability Inoperative
    assert ch.call("RemoteStartTransaction", {"idTag": "R3", "connectorId": 2}) == {"status": "Rejected"}
    assert ch.call("RemoteStartTransaction", {"idTag": "R3"}) == {"status": "Rejected"}
    settle()
    assert len(ch.calls("StartTransaction")) == 2


def test_remote_start_with_authorize_remote_tx_requests(central_system, sketch):
    cs = central_system
    ch = Charger(cs, "CP_RA", sketch)
    assert ch.call("ChangeConfiguration", {"key": "AuthorizeRemoteTxRequests", "value": "true"}) == \
        {"status": "Accepted"}
    cs.id_tags["BLOCKED"] = "Blocked"
    assert ch.call("RemoteStartTransaction", {"idTag": "BLOCKED", "connectorId": 1}) == {"status": "Accepted"}
    ch.wait("Authorize")
    loop_until(lambda: not isInSession())
    assert ch.calls("StartTransaction") == []
    assert ch.call("RemoteStartTransaction", {"idTag": "GOOD", "connectorId": 1}) == {"status": "Accepted"}
    assert ch.wait("StartTransaction")[0]["idTag"] == "GOOD"
    actions = [m["action"] for m in cs.messages if m["dir"] == "cp->cs" and m["type"] == 2
               and m["action"] in ("Authorize", "StartTransaction")]
    assert actions == ["Authorize", "Authorize", "StartTransaction"]


def test_remote_start_charging_profile_goes_to_the_set_charging_profile_listener(central_system, sketch):
    ch = Charger(central_system, "CP_RP", sketch)
    # without the listener (no smart charging) the profile is ignored
    assert ch.call("RemoteStartTransaction", {"idTag": "P0", "chargingProfile": PROFILE}) == {"status": "Accepted"}
    ch.wait("StartTransaction")
    loop_until(lambda: getTransactionId() > 0)
    ch.call("RemoteStopTransaction", {"transactionId": getTransactionId()})
    ch.wait("StopTransaction")
    loop_until(lambda: not isInSession())
    got = []
    setOnSetChargingProfileRequest(got.append)
    other = dict(PROFILE, chargingProfilePurpose="TxDefaultProfile")
    assert ch.call("RemoteStartTransaction", {"idTag": "P1", "chargingProfile": other}) == {"status": "Rejected"}
    assert got == [] and not isInSession()
    assert ch.call("RemoteStartTransaction", {"idTag": "P1", "chargingProfile": PROFILE}) == {"status": "Accepted"}
    assert got == [{"connectorId": 1, "csChargingProfiles": PROFILE}]
    assert ch.wait("StartTransaction", 2)[1]["idTag"] == "P1"


@pytest.mark.parametrize("payload,code", [
    ({}, "OccurenceConstraintViolation"),
    ({"idTag": "X" * 21}, "PropertyConstraintViolation"),
    ({"idTag": "T", "connectorId": "1"}, "TypeConstraintViolation"),
    ({"idTag": "T", "connector": 1}, "FormationViolation"),
    ({"idTag": "T", "chargingProfile": dict(PROFILE, validFrom="2026-11-21T10:00:00")},
     "PropertyConstraintViolation"),
    ({"idTag": "T", "chargingProfile": dict(PROFILE, chargingSchedule=dict(
        PROFILE["chargingSchedule"], chargingSchedulePeriod=[{"startPeriod": 0, "limit": 13.55}]))},
     "PropertyConstraintViolation"),
    ({"idTag": "T", "chargingProfile": dict(PROFILE, chargingSchedule={"chargingRateUnit": "A"})},
     "OccurenceConstraintViolation"),
    ({"idTag": "T", "chargingProfile": dict(PROFILE, stackLevel=None)}, "TypeConstraintViolation"),
])
def test_invalid_remote_start_answers_the_right_callerror_and_starts_nothing(central_system, sketch, payload, code):
    ch = Charger(central_system, "CP_RE", sketch)
    assert ch.error("RemoteStartTransaction", payload) == code
    settle()
    assert not isInSession() and ch.calls("Authorize") == [] and ch.calls("StartTransaction") == []


# ---------------------------------------------------------------- RemoteStopTransaction

def test_remote_stop(central_system, sketch):
    ch = Charger(central_system, "CP_ST", sketch)
    tx = ch.start()
    assert ch.call("RemoteStopTransaction", {"transactionId": tx + 1}) == {"status": "Rejected"}
    assert ch.error("RemoteStopTransaction", {"transactionId": str(tx)}) == "TypeConstraintViolation"
    assert ch.error("RemoteStopTransaction", {}) == "OccurenceConstraintViolation"
    settle()
    assert ch.calls("StopTransaction") == [] and getTransactionId() == tx
    assert ch.call("RemoteStopTransaction", {"transactionId": tx}) == {"status": "Accepted"}
    stop = ch.wait("StopTransaction")[0]
    assert stop["transactionId"] == tx and stop["reason"] == "Remote"
    assert ch.call("RemoteStopTransaction", {"transactionId": tx}) == {"status": "Rejected"}  # over


# ---------------------------------------------------------------- Reset

@pytest.mark.parametrize("kind", ["Soft", "Hard"])
def test_reset_stops_the_transaction_first_then_restarts(central_system, sketch, kind):
    ch = Charger(central_system, "CP_R" + kind, sketch)
    executed, received = [], []
    setOnResetExecute(executed.append)
    setOnResetReceiveReq(received.append)
    tx = ch.start()
    assert ch.call("Reset", {"type": kind}) == {"status": "Accepted"}
    assert received == [{"type": kind}]
    stop = ch.wait("StopTransaction")[0]
    assert stop["transactionId"] == tx and stop["reason"] == kind + "Reset"
    loop_until(lambda: executed)
    assert executed == [kind == "Hard"]
    # the answer to Reset went out before the StopTransaction
    frames = [(m["dir"], m["type"], m["action"]) for m in central_system.messages]
    assert frames.index(("cp->cs", 3, "Reset")) < frames.index(("cp->cs", 2, "StopTransaction"))


def test_reset_refused_without_a_restart_hook_or_by_the_notify_listener(central_system, sketch):
    ch = Charger(central_system, "CP_RN", sketch)
    tx = ch.start()
    assert ch.call("Reset", {"type": "Soft"}) == {"status": "Rejected"}  # no setOnResetExecute
    executed, asked = [], []
    setOnResetExecute(executed.append)

    def notify(hard):
        asked.append(hard)
        return False
    setOnResetNotify(notify)
    assert ch.call("Reset", {"type": "Soft"}) == {"status": "Rejected"}
    settle()
    assert asked == [False] and executed == [] and ch.calls("StopTransaction") == []
    assert getTransactionId() == tx
    assert ch.call("Reset", {"type": "Hard"}) == {"status": "Accepted"}  # a Hard reset is not refused
    assert ch.wait("StopTransaction")[0]["reason"] == "HardReset"
    loop_until(lambda: executed == [True])
    assert ch.error("Reset", {"type": "soft"}) == "PropertyConstraintViolation"
    assert ch.error("Reset", {"type": 1}) == "TypeConstraintViolation"


# ---------------------------------------------------------------- UnlockConnector

def test_unlock_connector_stops_the_transaction_then_unlocks(central_system, sketch):
    ch = Charger(central_system, "CP_UL", sketch)
    tx = ch.start()
    assert ch.call("UnlockConnector", {"connectorId": 1}) == {"status": "NotSupported"}
    settle()
    assert getTransactionId() == tx and ch.calls("StopTransaction") == []  # nothing stopped
    unlocked = []

    def unlock():
        unlocked.append(getTransactionId())  # the transaction is already over
        return True
    setOnUnlockConnector(unlock)
    assert ch.call("UnlockConnector", {"connectorId": 1}) == {"status": "Unlocked"}
    assert unlocked == [-1]
    stop = ch.wait("StopTransaction")[0]
    assert stop["transactionId"] == tx and stop["reason"] == "UnlockCommand"
    setOnUnlockConnector(lambda: False)
    assert ch.call("UnlockConnector", {"connectorId": 1}) == {"status": "UnlockFailed"}
    assert ch.error("UnlockConnector", {"connectorId": 2}) == "PropertyConstraintViolation"
    assert ch.error("UnlockConnector", {"connectorId": 0}) == "PropertyConstraintViolation"
    assert ch.error("UnlockConnector", {"connectorId": 1.0}) == "TypeConstraintViolation"

    def broken():
        raise OSError("solenoid stuck")
    setOnUnlockConnector(broken)
    assert ch.error("UnlockConnector", {"connectorId": 1}) == "InternalError"
    setOnUnlockConnector(lambda: True)
    assert ch.call("UnlockConnector", {"connectorId": 1}) == {"status": "Unlocked"}  # the loop goes on
    assert len(ch.calls("StopTransaction")) == 1


# ---------------------------------------------------------------- DataTransfer

def test_data_transfer_from_the_central_system(central_system, sketch):
    ch = Charger(central_system, "CP_DT", sketch)
    assert ch.call("DataTransfer", {"vendorId": "com.example"}) == {"status": "UnknownVendorId"}
    seen = []

    def vendor(message_id, data):
        seen.append((message_id, data))
        if message_id == "Ping":
            return "Accepted", {"pong": True}
        if message_id == "Echo":
            return "Accepted", data
        if message_id == "Quiet":
            return None
        if message_id == "Nope":
            return "Rejected"
        if message_id == "Broken":
            raise RuntimeError("vendor bug")
        if message_id == "Wrong":
            return "Sure"
        return "UnknownMessageId"
    setOnDataTransfer("com.example", vendor)
    assert ch.call("DataTransfer", {"vendorId": "com.example", "messageId": "Ping"}) == \
        {"status": "Accepted", "data": '{"pong":true}'}
    assert ch.call("DataTransfer", {"vendorId": "com.example", "messageId": "Echo", "data": "hi"}) == \
        {"status": "Accepted", "data": "hi"}
    assert ch.call("DataTransfer", {"vendorId": "com.example", "messageId": "Quiet"}) == {"status": "Accepted"}
    assert ch.call("DataTransfer", {"vendorId": "com.example", "messageId": "Nope"}) == {"status": "Rejected"}
    assert ch.call("DataTransfer", {"vendorId": "com.example"}) == {"status": "UnknownMessageId"}
    assert ch.call("DataTransfer", {"vendorId": "com.other", "messageId": "Ping"}) == {"status": "UnknownVendorId"}
    assert ch.error("DataTransfer", {"vendorId": "com.example", "messageId": "Broken"}) == "InternalError"
    assert ch.error("DataTransfer", {"vendorId": "com.example", "messageId": "Wrong"}) == "InternalError"
    assert ch.error("DataTransfer", {"vendorId": "com.example", "data": {"a": 1}}) == "TypeConstraintViolation"
    assert ch.error("DataTransfer", {"vendorId": "v" * 256}) == "PropertyConstraintViolation"
    assert ch.error("DataTransfer", {"messageId": "Ping"}) == "OccurenceConstraintViolation"
    assert seen == [("Ping", None), ("Echo", "hi"), ("Quiet", None), ("Nope", None), (None, None),
                    ("Broken", None), ("Wrong", None)]


def test_data_transfer_to_the_central_system(central_system, sketch):
    cs = central_system
    ch = Charger(cs, "CP_DO", sketch)
    confs, errors = [], []
    dataTransfer("com.example", "Hello", {"soc": 42}, onConf=confs.append)
    dataTransfer("com.example", data="plain text", onConf=confs.append)
    sent = ch.wait("DataTransfer", 2)
    assert sent[0] == {"vendorId": "com.example", "messageId": "Hello", "data": '{"soc":42}'}
    assert sent[1] == {"vendorId": "com.example", "data": "plain text"}
    loop_until(lambda: len(confs) == 2)
    assert confs == [{"status": "Accepted"}, {"status": "Accepted"}]
    cs.data_transfer_status = "UnknownVendorId"
    dataTransfer("com.nobody", onConf=confs.append)
    loop_until(lambda: len(confs) == 3)
    assert confs[2] == {"status": "UnknownVendorId"}
    cs.error_actions["DataTransfer"] = ("NotSupported", "no vendor extensions here")
    dataTransfer("com.example", "Hello", onError=lambda code, text, details: errors.append(code))
    loop_until(lambda: errors)
    assert errors == ["NotSupported"]
    with pytest.raises(ValueError):
        dataTransfer("v" * 256)
    with pytest.raises(ValueError):
        dataTransfer("com.example", "m" * 51)


# ---------------------------------------------------------------- ClearCache, configuration, SetChargingProfile

def test_clear_cache_and_authorization_cache_enabled(central_system, sketch):
    ch = Charger(central_system, "CP_CC", sketch)
    conf = ch.call("GetConfiguration", {"key": ["AuthorizationCacheEnabled"]})
    assert conf["configurationKey"] == [{"key": "AuthorizationCacheEnabled", "readonly": False, "value": "true"}]
    ocpp_cp.authorize("CARD-7")
    ch.wait("Authorize")
    loop_until(lambda: ch.cp.auth_cache)  # the cache's entries (engine/auth_cache.py)
    assert ch.call("ClearCache", {}) == {"status": "Accepted"}
    assert ch.cp.auth_cache == []
    assert ch.error("ClearCache", {"all": True}) == "FormationViolation"
    ch.call("ChangeConfiguration", {"key": "AuthorizationCacheEnabled", "value": "false"})
    assert ch.call("ClearCache", {}) == {"status": "Rejected"}


def test_configuration_calls_are_validated(central_system, sketch):
    ch = Charger(central_system, "CP_CF", sketch)
    assert ch.error("GetConfiguration", {"key": ["K" * 51]}) == "PropertyConstraintViolation"
    assert ch.error("GetConfiguration", {"key": "HeartbeatInterval"}) == "TypeConstraintViolation"
    assert ch.error("GetConfiguration", {"keys": []}) == "FormationViolation"
    assert ch.error("ChangeConfiguration", {"key": "HeartbeatInterval"}) == "OccurenceConstraintViolation"
    assert ch.error("ChangeConfiguration", {"key": "HeartbeatInterval", "value": 60}) == "TypeConstraintViolation"
    assert ch.error("ChangeConfiguration", {"key": "K" * 51, "value": "1"}) == "PropertyConstraintViolation"
    assert ch.call("GetConfiguration", {"key": ["HeartbeatInterval"]})["configurationKey"][0]["value"] == "300"


def test_set_charging_profile_validation_and_listener(central_system, sketch):
    ch = Charger(central_system, "CP_SP", sketch)
    payload = {"connectorId": 1, "csChargingProfiles": dict(PROFILE, chargingProfilePurpose="TxDefaultProfile",
                                                            validFrom="2026-11-21T10:00:00.000Z")}
    assert ch.call("SetChargingProfile", payload) == {"status": "NotSupported"}
    got = []
    setOnSetChargingProfileRequest(got.append)
    assert ch.call("SetChargingProfile", payload) == {"status": "Accepted"}
    assert got == [payload]
    bad = json.loads(json.dumps(payload))
    bad["csChargingProfiles"]["validFrom"] = "2026-02-30T10:00:00Z"
    assert ch.error("SetChargingProfile", bad) == "PropertyConstraintViolation"
    bad["csChargingProfiles"]["validFrom"] = "2026-11-21T10:00:00Z"
    bad["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]["numberPhases"] = 1.5
    assert ch.error("SetChargingProfile", bad) == "TypeConstraintViolation"
    assert len(got) == 1


# ---------------------------------------------------------------- custom actions, unknown actions, bad frames

def test_custom_actions_unknown_actions_and_protocol_errors(central_system, sketch):
    cs = central_system
    ch = Charger(cs, "CP_CU", sketch)
    assert ch.error("GetDiagnostics", {"location": "ftp://x"}) == "NotSupported"  # OCPP 1.6, not built here
    assert ch.error("BootNotification", {}) == "NotSupported"  # ours to send, not to receive
    heard = []
    setOnReceiveRequest("VendorPing", heard.append)
    assert ch.error("VendorPing", {"n": 1}) == "NotImplemented"  # a listener alone does not answer
    setRequestHandler("VendorPing", lambda payload: {"pong": payload["n"] + 1})
    assert ch.call("VendorPing", {"n": 1}) == {"pong": 2}
    assert heard == [{"n": 1}]
    setRequestHandler("VendorPing", lambda payload: {"pong": payload["missing"]})
    assert ch.error("VendorPing", {"n": 1}) == "InternalError"
    setRequestHandler("VendorPing", lambda payload: "pong")
    assert ch.error("VendorPing", {"n": 1}) == "InternalError"
    setRequestHandler("VendorPing", None)
    assert ch.error("VendorPing", {"n": 1}) == "NotImplemented"
    # a handler may replace a built-in operation (its SCHEMA still applies)
    setRequestHandler("UnlockConnector", lambda payload: {"status": "UnlockFailed"})
    assert ch.call("UnlockConnector", {"connectorId": 1}) == {"status": "UnlockFailed"}
    assert ch.error("UnlockConnector", {}) == "OccurenceConstraintViolation"
    setRequestHandler("UnlockConnector", None)
    # a listener that raises is reported; the call is still answered
    setOnReceiveRequest("GetConfiguration", lambda payload: 1 / 0)
    assert "configurationKey" in ch.call("GetConfiguration", {"key": ["HeartbeatInterval"]})
    # frames that are not a proper CALL
    cs.send_raw(ch.id, '[2, "raw-1"]')
    cs.send_raw(ch.id, '[2, "raw-2", "Reset", "Soft"]')
    cs.send_raw(ch.id, '[2, "raw-3", "Reset", {"type": "Soft"}, {}]')

    def answered(uid):
        return [m for m in cs.messages if m["dir"] == "cp->cs" and m["id"] == uid]
    loop_until(lambda: all(answered(u) for u in ("raw-1", "raw-2", "raw-3")))
    codes = [answered(u)[0]["payload"]["errorCode"] for u in ("raw-1", "raw-2", "raw-3")]
    assert codes == ["ProtocolError", "FormationViolation", "ProtocolError"]
    assert ch.call("ClearCache", {}) == {"status": "Accepted"}  # still alive
    # VendorPing has no official schema: check everything else, then leave only the rest to teardown
    validate_cp_messages([m for m in cs.messages if m["action"] != "VendorPing"])
    cs.clear_messages()
