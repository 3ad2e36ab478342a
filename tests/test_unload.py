"""Rare code leaves RAM after use (engine/rpc.py: UNLOAD, on MicroPython and CircuitPython).

On CPython UNLOAD is off (memory to spare, and a re-import costs more than the call); these tests
turn it on, so the same code paths run here: the modules are dropped from sys.modules (MicroPython
then frees them; tests/test_micropython_session.py and the benchmark measure that), imported again
on the next use, and the charger behaves exactly as before. Module-level state is put back
afterwards so that the other tests keep the module objects they imported.
"""
import sys

import pytest

from ocpp_cp.engine import rpc
from tests.support.cp_bench import Bench, record

RARE = ("ocpp_cp.ops.get_configuration", "ocpp_cp.ops.change_configuration", "ocpp_cp.engine.validate",
        "ocpp_cp.engine.answer", "ocpp_cp.ops.boot_notification")


@pytest.fixture
def unloading(monkeypatch):
    before = {n: m for n, m in sys.modules.items() if n.startswith("ocpp_cp")}
    monkeypatch.setattr(rpc, "UNLOAD", True)
    yield
    for name in [n for n in sys.modules if n.startswith("ocpp_cp") and n not in before]:
        del sys.modules[name]
    for name, mod in before.items():
        sys.modules[name] = mod
        parent, _, child = name.rpartition(".")
        if parent in before:
            setattr(before[parent], child, mod)


def loaded(name):
    parent, _, child = name.rpartition(".")
    return name in sys.modules or hasattr(sys.modules.get(parent), child)


def test_boot_notification_is_dropped_once_accepted(unloading):
    b = Bench()
    assert b.cp.accepted and not loaded("ocpp_cp.ops.boot_notification")
    assert loaded("ocpp_cp.ops.status_notification")  # RESIDENT: statuses change all the time


def test_a_central_system_call_leaves_nothing_behind_and_works_again(unloading):
    b = Bench()
    first = b.result("GetConfiguration", {"key": ["HeartbeatInterval", "Nope"]})
    assert not any(loaded(name) for name in RARE)
    assert b.result("GetConfiguration", {"key": ["HeartbeatInterval", "Nope"]}) == first
    assert first == {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}],
                     "unknownKey": ["Nope"]}
    # errors too: a schema violation and an unknown action
    assert b.ask("GetConfiguration", {"key": "HeartbeatInterval"})[1][0] == "TypeConstraintViolation"
    assert b.ask("NoSuchAction", {})[1][0] == "NotImplemented"
    assert not any(loaded(name) for name in RARE)


def test_configuration_changes_go_through_the_op_and_leave_it_unloaded(unloading):
    b = Bench()
    assert b.result("ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "15"}) == \
        {"status": "Accepted"}
    assert b.cp.config.change("HeartbeatInterval", "x") == "Rejected"
    assert b.cp.config.change("MeterValuesSampledData", "Power.Active.Import") == "Accepted"
    assert not loaded("ocpp_cp.ops.change_configuration") and not loaded("ocpp_cp.engine.measurands")
    assert record(b.store, "config") == {"MeterValueSampleInterval": "15",
                                         "MeterValuesSampledData": "Power.Active.Import"}
    again = Bench(store=b.store, boot=False)  # the stored values come back through the op as well
    assert again.cp.config.get("MeterValueSampleInterval") == 15
    assert not loaded("ocpp_cp.ops.change_configuration")


def test_a_session_keeps_what_its_waiting_messages_need(unloading):
    b = Bench()
    b.hw[1]["plugged"] = True
    b.step(5)
    assert b.c(1).begin_session("TAG")
    b.step(10)
    tx = b.c(1).running()
    assert tx is not None and tx.transaction_id is not None
    assert not loaded("ocpp_cp.ops.authorize") and not loaded("ocpp_cp.ops.start_transaction")
    assert not loaded("ocpp_cp.engine.auth_cache") and b.cp.auth_cache  # its entries stay
    assert loaded("ocpp_cp.ops.meter_values")  # RESIDENT
    # offline: the StopTransaction waits in the queue; a Central System call (and its sweep) in
    # between must not take the module that builds its payload
    b.conn.connected = False
    b.step(2)
    b.c(1).end_session()
    b.step(2)
    assert b.cp.rpc.pending("StopTransaction") and loaded("ocpp_cp.ops.stop_transaction")
    module = sys.modules["ocpp_cp.ops.stop_transaction"]
    b.cs.call("GetConfiguration", {"key": ["HeartbeatInterval"]})  # (its answer cannot go out)
    b.step(1)
    assert not loaded("ocpp_cp.ops.get_configuration") and not loaded("ocpp_cp.engine.answer")
    assert sys.modules.get("ocpp_cp.ops.stop_transaction") is module
    b.conn.connected = True
    b.step(10)
    stops = b.calls("StopTransaction")
    assert len(stops) == 1 and stops[0]["transactionId"] == tx.transaction_id
    assert b.cp.journal.txs == [] and not loaded("ocpp_cp.ops.stop_transaction")


def test_find_operation_remembers_names_not_modules():
    assert rpc.find_operation("RemoteStartTransaction").__name__ == "ocpp_cp.ops.remote_start_transaction"
    assert rpc._ops["RemoteStartTransaction"] == "ocpp_cp.ops.remote_start_transaction"
    assert rpc.find_operation("NoSuchAction") is None and rpc._ops["NoSuchAction"] is None
    assert rpc.find_operation("remoteStartTransaction") is None  # case-sensitive
    for i in range(100):  # a Central System sending made-up actions cannot grow it without end
        rpc.find_operation("Made%sUp" % ("x" * i))
    assert len(rpc._ops) <= 64


# ---------------------------------------------------------------- on real MicroPython (wasm)

MPY_SETUP = """
import gc, sys
from ocpp_cp import *
from memory_cs import FakeTicks, MemoryConnection, ScriptedCentralSystem
ticks = FakeTicks()
conn = MemoryConnection()
cs = ScriptedCentralSystem(conn)
cp = OCPP_initialize("ws://127.0.0.1:9000/ocpp/mpy-1", connection=conn, log=lambda m: None, ticks_ms=ticks)
answers = []

def run(n=4):
    for _ in range(n):
        OCPP_loop()
        cs.pump()
        ticks.advance(10)
        answers.extend(cs.results.values())
        cs.results.clear()
        del cs.calls[:]

run()
assert cp.accepted
"""

MPY_CALLS = """
cs.call("GetConfiguration", {})
cs.call("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "600"})
cs.call("ChangeAvailability", {"connectorId": 1, "type": "Operative"})
cs.call("RemoteStopTransaction", {"transactionId": 7})
run(2)
assert len(answers) == 4, answers
del answers[:]
"""

MPY_MODULES = """
print("@@modules " + " ".join(sorted(m for m in sys.modules if m.startswith("ocpp_cp"))))
"""


def test_micropython_frees_the_rare_modules():
    """The heap after the same Central System calls, made again and again, stays where it was:
    the modules they load are freed, not kept (or piled up) by anything."""
    from tests.support.micropython import run_micropython
    support = str(__import__("pathlib").Path(__file__).parent / "support")
    res = run_micropython([MPY_SETUP, MPY_CALLS, MPY_CALLS, MPY_CALLS, MPY_CALLS, MPY_MODULES], mpy=True,
                          extra_stage={support: "/lib"})
    res.check()
    booted, first, second, third, fourth = res.allocs[1:6]
    # the first round interns the names of the modules it loads (kept for good, as every qstr)
    assert abs(third - second) <= 64 and abs(fourth - third) <= 64, res.allocs
    assert first - booted < 2048, (booted, first)  # names, the stored change; not the ~8 KB of code loaded
    modules = [line for line in res.output_lines if line.startswith("@@modules ")][0].split()[1:]
    for rare in ("ocpp_cp.ops.get_configuration", "ocpp_cp.ops.change_configuration",
                 "ocpp_cp.ops.change_availability", "ocpp_cp.ops.remote_stop_transaction",
                 "ocpp_cp.engine.answer", "ocpp_cp.engine.validate", "ocpp_cp.ops.boot_notification"):
        assert rare not in modules, modules
    assert "ocpp_cp.ops.status_notification" in modules  # RESIDENT
