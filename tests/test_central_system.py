"""Tests of the dev Central System (tools/central_system.py) and of the foreign one, driven by
the ``ocpp`` package's own client-side ChargePoint / a raw websockets client."""

import asyncio
import json

import pytest
from ocpp.exceptions import InternalError, NotSupportedError
from ocpp.routing import on
from ocpp.v16 import ChargePoint as OcppChargePoint
from ocpp.v16 import call, call_result
from ocpp.v16.enums import Action
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tools.central_system import CallErrorReceived, CentralSystem
from tests.support.foreign_cs import ForeignCentralSystem
from tests.support.schemas import validate, validate_cp_messages

BOOT = call.BootNotification(charge_point_model="TestModel", charge_point_vendor="TestVendor")


class ClientCP(OcppChargePoint):
    """A charge point made with the ocpp library, answering a few CS calls."""

    @on(Action.remote_start_transaction)
    def on_remote_start(self, id_tag, **kwargs):
        return call_result.RemoteStartTransaction(status="Accepted")

    @on(Action.reset)
    def on_reset(self, type, **kwargs):
        return call_result.Reset(status="Rejected")

    @on(Action.unlock_connector)
    async def on_unlock(self, connector_id, **kwargs):
        await asyncio.sleep(3)  # too slow: the CS call times out first
        return call_result.UnlockConnector(status="Unlocked")


def run_client(url, scenario, cp_id="CP_1", response_timeout=5, **connect_kwargs):
    """Connect a ClientCP to ``url`` and run ``await scenario(cp)``; bounded to 15 s."""

    async def main():
        async with connect(url, subprotocols=["ocpp1.6"], open_timeout=5, **connect_kwargs) as ws:
            cp = ClientCP(cp_id, ws, response_timeout=response_timeout)
            serving = asyncio.ensure_future(cp.start())
            try:
                return await scenario(cp)
            finally:
                serving.cancel()
                await asyncio.gather(serving, return_exceptions=True)

    return asyncio.run(asyncio.wait_for(main(), 15))


def test_boot_heartbeat_and_log(central_system):
    cs = central_system
    cs.heartbeat_interval = 42

    async def scenario(cp):
        boot = await cp.call(BOOT)
        beat = await cp.call(call.Heartbeat())
        return boot, beat

    boot, beat = run_client(cs.url("CP_1"), scenario)
    assert boot.status == "Accepted"
    assert boot.interval == 42
    assert boot.current_time.endswith("Z")
    assert beat.current_time.endswith("Z")

    assert cs.wait_for("BootNotification", timeout=2) == [
        {"chargePointModel": "TestModel", "chargePointVendor": "TestVendor"}]
    cs.wait_disconnected("CP_1", timeout=5)

    kinds = [(m["dir"], m["type"], m["action"], m["cp_id"]) for m in cs.messages]
    assert kinds == [
        ("cp->cs", 2, "BootNotification", "CP_1"),
        ("cs->cp", 3, "BootNotification", "CP_1"),
        ("cp->cs", 2, "Heartbeat", "CP_1"),
        ("cs->cp", 3, "Heartbeat", "CP_1"),
    ]
    conf = cs.messages[1]
    assert conf["id"] == cs.messages[0]["id"]
    assert json.loads(conf["raw"]) == [3, conf["id"], conf["payload"]]
    validate("BootNotification", conf["payload"], response=True)
    assert [e["event"] for e in cs.events] == ["connected", "disconnected"]


def test_boot_pending_uses_boot_interval(central_system):
    cs = central_system
    cs.boot_status = "Pending"
    cs.boot_interval = 7
    cs.heartbeat_interval = 99

    async def scenario(cp):
        return await cp.call(BOOT)

    boot = run_client(cs.url("CP_1"), scenario)
    assert (boot.status, boot.interval) == ("Pending", 7)


def test_authorize_and_transactions(central_system):
    cs = central_system
    cs.id_tags = {"BLOCKED1": "Blocked", "EXPIRED1": "Expired"}

    async def scenario(cp):
        blocked = await cp.call(call.Authorize(id_tag="BLOCKED1"))
        unknown = await cp.call(call.Authorize(id_tag="ANYONE"))
        tx1 = await cp.call(call.StartTransaction(
            connector_id=1, id_tag="ANYONE", meter_start=0, timestamp="2024-01-01T00:00:00Z"))
        tx2 = await cp.call(call.StartTransaction(
            connector_id=1, id_tag="EXPIRED1", meter_start=5, timestamp="2024-01-01T00:01:00Z"))
        stop = await cp.call(call.StopTransaction(
            meter_stop=10, timestamp="2024-01-01T00:02:00Z", transaction_id=tx1.transaction_id,
            id_tag="ANYONE"))
        return blocked, unknown, tx1, tx2, stop

    blocked, unknown, tx1, tx2, stop = run_client(cs.url("CP_1"), scenario)
    assert blocked.id_tag_info["status"] == "Blocked"
    assert unknown.id_tag_info["status"] == "Accepted"
    assert (tx1.transaction_id, tx2.transaction_id) == (1, 2)
    assert tx2.id_tag_info["status"] == "Expired"
    assert stop.id_tag_info["status"] == "Accepted"
    assert cs.transactions[1]["stopped"] and cs.transactions[1]["meter_stop"] == 10
    assert not cs.transactions[2]["stopped"]
    assert [p["idTag"] for p in cs.calls("Authorize")] == ["BLOCKED1", "ANYONE"]


def test_cs_initiated_call(central_system):
    cs = central_system

    async def scenario(cp):
        await cp.call(BOOT)
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(
            None, lambda: cs.call("CP_1", "RemoteStartTransaction", {"idTag": "TAG1"}, timeout=5))
        reset = await loop.run_in_executor(
            None, lambda: cs.call(None, "Reset", {"type": "Soft"}, timeout=5))
        # The ocpp client answers a payload its schema refuses with a CALLERROR.
        try:
            await loop.run_in_executor(
                None, lambda: cs.call("CP_1", "RemoteStartTransaction", {"bogus": 1}, timeout=5))
        except CallErrorReceived as exc:
            error = exc
        else:
            error = None
        # An action it has no handler for.
        try:
            await loop.run_in_executor(
                None, lambda: cs.call("CP_1", "ClearCache", {}, timeout=5))
        except CallErrorReceived as exc:
            not_impl = exc
        else:
            not_impl = None
        return result, reset, error, not_impl

    result, reset, error, not_impl = run_client(cs.url("CP_1"), scenario)
    assert result == {"status": "Accepted"}
    assert reset == {"status": "Rejected"}
    assert error is not None and error.code in ("FormatViolation", "FormationViolation")
    assert not_impl is not None and not_impl.code == "NotImplemented"

    answers = [m for m in cs.messages if m["dir"] == "cp->cs" and m["type"] in (3, 4)]
    assert [(m["type"], m["action"]) for m in answers] == [
        (3, "RemoteStartTransaction"), (3, "Reset"), (4, "RemoteStartTransaction"), (4, "ClearCache")]
    assert answers[3]["payload"]["errorCode"] == "NotImplemented"
    # The ocpp library's 2.0-style "FormatViolation" is not an OCPP 1.6 error code: our check says so.
    with pytest.raises(AssertionError, match="FormatViolation"):
        validate_cp_messages(cs.messages)
    cs.clear_messages()  # keep the fixture's teardown check about what we control


def test_call_to_unknown_cp_and_timeout(central_system):
    cs = central_system
    with pytest.raises(ConnectionError):
        cs.call("NOPE", "Reset", {"type": "Soft"}, timeout=1)

    async def scenario(cp):
        await cp.call(BOOT)
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(
                None, lambda: cs.call("CP_1", "UnlockConnector", {"connectorId": 1}, timeout=0.5))
        except TimeoutError as exc:
            return str(exc)
        return None

    message = run_client(cs.url("CP_1"), scenario)
    assert message is not None and message.startswith("No answer from CP_1 to UnlockConnector")
    assert "UnlockConnector" in message.split("message log:")[1]
    assert not cs._pending


def test_silent_and_error_knobs(central_system):
    cs = central_system
    cs.silent_actions = {"Heartbeat"}
    cs.error_actions = {"StatusNotification": ("NotSupported", "not today"),
                        "MeterValues": ("InternalError",)}

    async def scenario(cp):
        results = {}
        try:
            await cp.call(call.Heartbeat())
        except asyncio.TimeoutError:
            results["heartbeat"] = "timeout"
        try:
            await cp.call(call.StatusNotification(connector_id=1, error_code="NoError",
                                                  status="Available"), suppress=False)
        except NotSupportedError as exc:
            results["status"] = exc.description
        try:
            await cp.call(call.MeterValues(connector_id=1, meter_value=[
                {"timestamp": "2024-01-01T00:00:00Z", "sampledValue": [{"value": "12"}]}]), suppress=False)
        except InternalError:
            results["meter"] = "InternalError"
        cs.silent_actions.clear()
        results["heartbeat2"] = (await cp.call(call.Heartbeat())).current_time
        return results

    results = run_client(cs.url("CP_1"), scenario, response_timeout=1)
    assert results["heartbeat"] == "timeout"
    assert results["status"] == "not today"
    assert results["meter"] == "InternalError"
    assert results["heartbeat2"].endswith("Z")
    errors = [m for m in cs.messages if m["type"] == 4]
    assert [(m["dir"], m["action"], m["payload"]["errorCode"]) for m in errors] == [
        ("cs->cp", "StatusNotification", "NotSupported"), ("cs->cp", "MeterValues", "InternalError")]
    assert len(cs.calls("Heartbeat")) == 2


def test_invalid_request_gets_callerror(central_system):
    cs = central_system

    async def main():
        async with connect(cs.url("RAW"), subprotocols=["ocpp1.6"], open_timeout=5) as ws:
            await ws.send(json.dumps([2, "x1", "BootNotification", {"chargePointVendor": "V"}]))
            missing = json.loads(await asyncio.wait_for(ws.recv(), 5))
            await ws.send(json.dumps([2, "x2", "Heartbeat", {"extra": 1}]))
            extra = json.loads(await asyncio.wait_for(ws.recv(), 5))
            return missing, extra

    missing, extra = asyncio.run(main())
    assert missing[:3] == [4, "x1", "ProtocolError"]
    assert extra[:3] == [4, "x2", "FormationViolation"]  # OCPP 1.6 spelling
    # The CP sent an invalid request, so the log check must complain.
    with pytest.raises(AssertionError, match="chargePointModel"):
        validate_cp_messages(cs.messages)
    cs.clear_messages()


def test_send_raw_and_disconnect(central_system):
    cs = central_system

    async def main():
        async with connect(cs.url("RAW_2"), subprotocols=["ocpp1.6"], open_timeout=5) as ws:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, lambda: cs.wait_connected("RAW_2", timeout=5))
            assert cs.connected_ids() == ["RAW_2"]
            await loop.run_in_executor(None, lambda: cs.send_raw("RAW_2", "[2, broken"))
            got = await asyncio.wait_for(ws.recv(), 5)
            cs.disconnect("RAW_2")
            try:
                await asyncio.wait_for(ws.recv(), 5)
            except Exception as exc:  # ConnectionClosedOK
                closed = type(exc).__name__
            return got, closed, ws.close_code

    got, closed, code = asyncio.run(main())
    assert got == "[2, broken"
    assert closed == "ConnectionClosedOK" and code == 1000
    cs.wait_disconnected("RAW_2", timeout=5)
    assert cs.messages[-1]["type"] is None and cs.messages[-1]["dir"] == "cs->cp"


def test_basic_auth():
    with CentralSystem(log=None, auth_keys={"CP_A": "secret-key"}) as cs:
        for url in (cs.url("CP_A"),
                    cs.url("CP_A").replace("ws://", "ws://CP_A:wrong@"),
                    cs.url("CP_A").replace("ws://", "ws://CP_B:secret-key@")):
            async def attempt(url=url):
                async with connect(url, subprotocols=["ocpp1.6"], open_timeout=5):
                    pass
            with pytest.raises(InvalidStatus) as info:
                asyncio.run(attempt())
            assert info.value.response.status_code == 401

        async def scenario(cp):
            return await cp.call(BOOT)

        boot = run_client(cs.url("CP_A").replace("ws://", "ws://CP_A:secret-key@"), scenario,
                          cp_id="CP_A")
        assert boot.status == "Accepted"
        assert [e["event"] for e in cs.events][:3] == ["rejected"] * 3
        validate_cp_messages(cs.messages)


def test_foreign_central_system_boot_and_heartbeat(foreign_central_system):
    fcs = foreign_central_system

    async def main():
        async with connect(fcs.url("CP_F"), subprotocols=["ocpp1.6"], open_timeout=5) as ws:
            await ws.send(json.dumps([2, "1", "BootNotification",
                                      {"chargePointVendor": "V", "chargePointModel": "M"}]))
            boot = json.loads(await asyncio.wait_for(ws.recv(), 5))
            await ws.send(json.dumps([2, "2", "Heartbeat", {}]))
            beat = json.loads(await asyncio.wait_for(ws.recv(), 5))
            return boot, beat

    boot, beat = asyncio.run(main())
    assert boot[:2] == [3, "1"] and boot[2]["status"] == "Accepted" and boot[2]["interval"] == 300
    assert beat[:2] == [3, "2"] and "currentTime" in beat[2]
    assert fcs.wait_for("Heartbeat", timeout=5) == [{}]
    validate("Heartbeat", beat[2], response=True)


def test_foreign_central_system_reports_invalid_payload():
    with ForeignCentralSystem() as fcs:
        async def main():
            async with connect(fcs.url("CP_G"), subprotocols=["ocpp1.6"], open_timeout=5) as ws:
                await ws.send(json.dumps([2, "1", "BootNotification", {"chargePointVendor": "V"}]))
                return json.loads(await asyncio.wait_for(ws.recv(), 5))

        answer = asyncio.run(main())
        assert answer[0] == 4
        errors = fcs.wait_errors(1, timeout=5)
        assert errors and errors[0]["kind"] == "strictValidationFailure"
        assert errors[0]["action"] == "BootNotification"
