"""Issue #3, "done when": a Central System we did not write drives every Core operation against a
running code.py and gets schema-valid, semantically right answers and follow-ups.

The Central System is tests/foreign_cs/drive_core.mjs on npm ``ocpp-rpc`` in strict mode: it
validates every message in both directions against its own copy of the OCPP 1.6 schemas (a
schema-invalid answer from us makes its call fail and is reported as an error line). code.py runs
unchanged in its own process on the desktop board in OCPP_DEMO = "remote" (a car plugged in, no
keys, no cards), as a user would start it. The drive records each request, the answer or
CALLERROR and the charge point's follow-up messages; this test checks them again on its own and
validates every frame the charge point sent against the official schemas (the ``ocpp`` package's).

Not here, on purpose: payloads that break the schema (strict ocpp-rpc cannot send them). Their
CALLERRORs (FormationViolation, OccurenceConstraintViolation, TypeConstraintViolation,
PropertyConstraintViolation) are covered against the dev Central System by test_core_cs_ops.py
and test_validation.py. An unknown action is sent here: ocpp-rpc refuses it in strict mode
(ProtocolError, no schema), so the drive switches strict mode off for that one call.
"""
import os
import subprocess
import sys

import pytest

from boards import desktop
from tests.support.foreign_cs import ForeignCentralSystem
from tests.support.schemas import CALLERROR_CODES, validate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CP_ID = "ocpp_cp-remote"
ID_TAG = "REMOTE-TAG-01"
DRIVE_TIMEOUT = 90  # s: the drive takes about 7 s

# every operation the Central System initiates in the OCPP 1.6 Core profile
CS_CORE_OPERATIONS = {"ChangeAvailability", "ChangeConfiguration", "ClearCache", "DataTransfer",
                      "GetConfiguration", "RemoteStartTransaction", "RemoteStopTransaction", "Reset",
                      "UnlockConnector"}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Run the drive against code.py once; every test below looks at a part of what happened."""
    tmp = tmp_path_factory.mktemp("foreign_core")
    log_path = tmp / "code_py.log"
    with ForeignCentralSystem(script="drive_core.mjs") as fcs:
        env = dict(os.environ, OCPP_URL=fcs.url(CP_ID), OCPP_BOARD="desktop", OCPP_DEMO="remote",
                   OCPP_DEMO_SECONDS=str(DRIVE_TIMEOUT + 10), OCPP_STORE=str(tmp / "ocpp_store"),
                   PYTHONUNBUFFERED="1")
        env.pop("OCPP_AUTH_KEY", None)
        env.pop("OCPP_ID_TAG", None)
        with open(log_path, "w", encoding="utf-8") as log:
            # cwd: a folder without settings.toml, so a developer's own settings cannot interfere
            sketch = subprocess.Popen([sys.executable, os.path.join(ROOT, "code.py")], cwd=str(tmp), env=env,
                                      stdout=log, stderr=subprocess.STDOUT)
            try:
                summary = fcs.wait_line(lambda m: m.get("dir") == "summary", timeout=DRIVE_TIMEOUT)
                returncode = sketch.wait(timeout=15)  # the Reset ends code.py
            finally:
                if sketch.poll() is None:
                    sketch.kill()
                    sketch.wait()
    with open(log_path, encoding="utf-8") as f:
        output = f.read()
    return {"fcs": fcs, "summary": summary, "returncode": returncode, "output": output,
            "steps": [m for m in fcs.lines if m.get("dir") == "step"]}


def _explain(run):
    return "drive output:\n%s\n\ncode.py output:\n%s" % (run["fcs"].dump()[-12000:], run["output"][-4000:])


def _step(run, name):
    found = [s for s in run["steps"] if s["name"] == name]
    assert len(found) == 1, "no step %r\n%s" % (name, _explain(run))
    return found[0]


def _statuses(step, connector_id):
    return [f["payload"]["status"] for f in step["followups"]
            if f["action"] == "StatusNotification" and f["payload"]["connectorId"] == connector_id]


def _others(step):
    """Follow-ups other than the periodic ones (MeterValues, Heartbeat)."""
    return [f["action"] for f in step["followups"] if f["action"] not in ("MeterValues", "Heartbeat")]


def test_every_step_passes_and_ocpp_rpc_found_nothing_invalid(run):
    summary = run["summary"]
    failed = [s for s in summary["steps"] if s["verdict"] != "ok"]
    assert summary["ok"] and not failed and summary.get("failure") is None, "%s\n%s" % (failed, _explain(run))
    # strict mode: no strictValidationFailure nor badMessage, in either direction
    assert run["fcs"].errors() == [] and summary["validation_errors"] == 0, _explain(run)
    assert {s["action"] for s in run["steps"]} >= CS_CORE_OPERATIONS
    assert len(run["steps"]) == len(summary["steps"]) == 19


def test_code_py_ended_cleanly_after_the_reset(run):
    assert run["returncode"] == 0, _explain(run)
    out = run["output"]
    assert "[board] remote: car plugged in" in out
    assert "[board] Reset requested by the Central System: finished" in out, out
    assert "Traceback" not in out, out
    assert run["summary"]["closed"]["code"] == 1000  # code.py closed the websocket properly


def test_every_frame_the_charge_point_sent_is_schema_valid(run):
    """Against the official OCPP 1.6 schemas: CALLs as requests, CALLRESULTs as the response to
    the Central System's CALL; each of the Central System's calls answered exactly once."""
    frames = run["fcs"].messages
    assert frames, _explain(run)
    answers = {}
    for m in frames:
        assert m.get("type") in (2, 3, 4), "not an OCPP-J frame: %r" % (m,)
        if m["dir"] != "cp->cs":
            continue
        if m["type"] == 2:
            validate(m["action"], m["payload"])
        else:
            answers[m["id"]] = answers.get(m["id"], 0) + 1
            if m["type"] == 3:
                validate(m["action"], m["payload"], response=True)
            else:
                assert m["payload"]["errorCode"] in CALLERROR_CODES, m
    cs_calls = [m for m in frames if m["dir"] == "cs->cp" and m["type"] == 2]
    for m in cs_calls:
        assert answers.get(m["id"]) == 1, "%s %s answered %s times" % (m["action"], m["id"], answers.get(m["id"]))
        if m["action"] != "FooBar":
            validate(m["action"], m["payload"])  # and we drove valid calls
    cp_actions = {m["action"] for m in frames if m["dir"] == "cp->cs" and m["type"] == 2}
    assert {"BootNotification", "StatusNotification", "StartTransaction", "MeterValues",
            "StopTransaction"} <= cp_actions


def test_configuration_answers(run):
    everything = _step(run, "GetConfiguration, all keys")["answer"]
    keys = {k["key"]: k for k in everything["configurationKey"]}
    assert keys["HeartbeatInterval"]["value"] == "300"  # the BootNotification's interval
    assert keys["NumberOfConnectors"] == {"key": "NumberOfConnectors", "readonly": True, "value": "1"}
    assert "unknownKey" not in everything
    listed = _step(run, "GetConfiguration, listed keys and an unknown one")["answer"]
    listed_keys = sorted(k["key"] for k in listed["configurationKey"])
    assert listed_keys == ["HeartbeatInterval", "MeterValueSampleInterval"]
    assert listed["unknownKey"] == ["NoSuchKey"]
    assert _step(run, "ChangeConfiguration MeterValueSampleInterval = 2")["answer"] == {"status": "Accepted"}
    assert _step(run, "GetConfiguration shows the change")["answer"]["configurationKey"] == [
        {"key": "MeterValueSampleInterval", "readonly": False, "value": "2"}]
    assert _step(run, "ChangeConfiguration bad value")["answer"] == {"status": "Rejected"}
    assert _step(run, "ChangeConfiguration read-only key")["answer"] == {"status": "Rejected"}
    assert _step(run, "ChangeConfiguration unknown key")["answer"] == {"status": "NotSupported"}
    for name in ("ChangeConfiguration MeterValueSampleInterval = 2", "ChangeConfiguration bad value",
                 "ChangeConfiguration unknown key"):
        assert _others(_step(run, name)) == []


def test_availability_while_idle(run):
    off = _step(run, "ChangeAvailability connector 1 Inoperative")
    assert off["answer"] == {"status": "Accepted"}
    assert _statuses(off, 1) == ["Unavailable"] and _statuses(off, 0) == ["Unavailable"]  # the only connector
    on = _step(run, "ChangeAvailability connector 1 Operative")
    assert on["answer"] == {"status": "Accepted"}
    assert _statuses(on, 1) == ["Preparing"] and _statuses(on, 0) == ["Available"]  # the car is plugged in


def test_clear_cache_data_transfer_and_an_unknown_action(run):
    assert _step(run, "ClearCache")["answer"] == {"status": "Accepted"}
    assert _step(run, "DataTransfer to an unknown vendor")["answer"] == {"status": "UnknownVendorId"}
    foo = _step(run, "FooBar (unknown action; strict mode off for this call)")
    assert foo["answer"] is None and foo["error"]["code"] == "NotImplemented"
    # ocpp-rpc in strict mode would not send it at all
    assert run["summary"]["strict_refusal"]["code"] == "ProtocolError"
    assert "FooBar" in run["summary"]["strict_refusal"]["message"]


def test_remote_transaction_with_a_scheduled_availability_change(run):
    start = _step(run, "RemoteStartTransaction")
    assert start["request"] == {"connectorId": 1, "idTag": ID_TAG} and start["answer"] == {"status": "Accepted"}
    [st] = [f for f in start["followups"] if f["action"] == "StartTransaction"]
    assert st["payload"]["connectorId"] == 1 and st["payload"]["idTag"] == ID_TAG
    tx_id = st["answer"]["transactionId"]
    assert tx_id == run["summary"]["transaction_id"]
    assert _statuses(start, 1)[-1] == "Charging"
    meters = [f["payload"] for f in start["followups"] if f["action"] == "MeterValues"]
    assert meters and all(m["transactionId"] == tx_id and m["connectorId"] == 1 for m in meters)
    assert "Authorize" not in _others(start)  # AuthorizeRemoteTxRequests is false by default

    scheduled = _step(run, "ChangeAvailability Inoperative during the transaction")
    assert scheduled["answer"] == {"status": "Scheduled"}
    assert _others(scheduled) == []  # still Charging: nothing applied yet

    stop = _step(run, "RemoteStopTransaction (the running transaction)")
    assert stop["request"] == {"transactionId": tx_id} and stop["answer"] == {"status": "Accepted"}
    [sp] = [f for f in stop["followups"] if f["action"] == "StopTransaction"]
    assert sp["payload"]["transactionId"] == tx_id and sp["payload"]["reason"] == "Remote"
    assert sp["payload"]["meterStop"] > st["payload"]["meterStart"]  # the meter ran while charging
    # every MeterValues of the session belongs to this transaction
    later = [f["payload"] for s in run["steps"] for f in s["followups"] if f["action"] == "MeterValues"]
    assert all(m["transactionId"] == tx_id for m in later)
    # the scheduled Inoperative is applied once the transaction is over
    actions = _others(stop)
    assert actions[0] == "StopTransaction" and _statuses(stop, 1) == ["Unavailable"]
    assert _statuses(stop, 0) == ["Unavailable"]

    back = _step(run, "ChangeAvailability Operative after the transaction")
    assert back["answer"] == {"status": "Accepted"}
    assert _statuses(back, 1) == ["Finishing"] and _statuses(back, 0) == ["Available"]  # cable still in

    wrong = _step(run, "RemoteStopTransaction with a wrong id")
    assert wrong["request"] == {"transactionId": tx_id + 1000} and wrong["answer"] == {"status": "Rejected"}
    assert _others(wrong) == []
    # exactly one transaction in the whole run
    all_calls = [m for m in run["fcs"].messages if m["dir"] == "cp->cs" and m["type"] == 2]
    assert [m["action"] for m in all_calls].count("StartTransaction") == 1
    assert [m["action"] for m in all_calls].count("StopTransaction") == 1


def test_unlock_connector_matches_the_wiring_in_code_py(run):
    with open(os.path.join(ROOT, "code.py"), encoding="utf-8") as f:
        assert "setOnUnlockConnector(hw.unlock)" in f.read()
    expected = "NotSupported" if desktop.Board.unlock is None else "Unlocked"
    unlock = _step(run, "UnlockConnector")
    assert unlock["answer"] == {"status": expected} == {"status": "Unlocked"}
    assert _others(unlock) == []  # no transaction ran: nothing to stop
    assert "[board] cable unlocked" in run["output"]


def test_reset_is_accepted_and_the_board_restarts(run):
    reset = _step(run, "Reset Soft")
    assert reset["request"] == {"type": "Soft"} and reset["answer"] == {"status": "Accepted"}
    assert _others(reset) == []  # no transaction to stop
    answered = [m for m in run["fcs"].messages if m["dir"] == "cp->cs" and m.get("action") == "Reset"]
    assert len(answered) == 1 and answered[0]["type"] == 3
