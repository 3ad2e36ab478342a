"""A complete charging session on real MicroPython (wasm): boot -> authorize -> start ->
meter values -> stop, through the beginner facade, against the in-memory scripted Central System.

Every message the charge point sent is printed back as JSON and validated here against the
official OCPP 1.6 schemas.
"""
import json
import os

import pytest

from tests.support.micropython import run_micropython
from tests.support.schemas import validate

SUPPORT = os.path.join(os.path.dirname(__file__), "support")

IMPORT = """
import gc
import ocpp_cp
from ocpp_cp import *
from memory_cs import FakeTicks, MemoryConnection, ScriptedCentralSystem
"""

SESSION = """
import json
ticks = FakeTicks()
conn = MemoryConnection()
cs = ScriptedCentralSystem(conn)
log = []
cp = OCPP_initialize("ws://127.0.0.1:9000/ocpp/mpy-1", connection=conn, log=log.append, ticks_ms=ticks)
energy = [50000]
plugged = [False]
setEnergyActiveImportSampler(lambda: energy[0])
setPowerActiveImportSampler(lambda: 11000)
setConnectorPluggedSampler(lambda: plugged[0])
confs = []
bootNotification("wasm", "ocpp_cp", onConf=lambda p: confs.append(p["status"]))

def run(n=4):
    for _ in range(n):
        OCPP_loop()
        cs.pump()
        ticks.advance(10)

run()
assert confs == ["Accepted"], confs
cp.config.change("MeterValueSampleInterval", "10")
plugged[0] = True
run()
beginSession("TAG-MPY")
run(6)
assert ocppPermitsCharge(), (getConnectorStatus(), log)
assert getTransactionId() == 1
assert getConnectorStatus() == "Charging"
for _ in range(10):
    ticks.advance(10000)
    energy[0] += 25
    run()
endSession()
run(6)
assert not ocppPermitsCharge()
assert getConnectorStatus() == "Finishing"
plugged[0] = False
run()
assert getConnectorStatus() == "Available"
for action, payload in cs.calls:
    print("@@call " + json.dumps([action, payload]))
OCPP_deinitialize()
"""


@pytest.mark.parametrize("mpy", [False, True], ids=["py", "mpy"])
def test_session_runs_on_micropython(mpy):
    res = run_micropython([IMPORT, SESSION], mpy=mpy, extra_stage={SUPPORT: "/lib"})
    res.check()
    calls = [json.loads(line[7:]) for line in res.output.splitlines() if line.startswith("@@call ")]
    actions = [a for a, _ in calls]
    for action, payload in calls:
        validate(action, payload)
    assert actions[0] == "BootNotification"
    assert actions.index("Authorize") < actions.index("StartTransaction") < actions.index("StopTransaction")
    assert actions.count("MeterValues") == 10
    start = calls[actions.index("StartTransaction")][1]
    stop = calls[actions.index("StopTransaction")][1]
    assert start["meterStart"] == 50000 and start["idTag"] == "TAG-MPY"
    assert stop["meterStop"] == 50250 and stop["transactionId"] == 1 and stop["reason"] == "Local"
    statuses = [p["status"] for a, p in calls if a == "StatusNotification" and p["connectorId"] == 1]
    assert statuses == ["Available", "Preparing", "Charging", "Finishing", "Available"], statuses
    assert start["timestamp"].startswith("2026-11-21T10:00")
    base, after_import, after_session = res.allocs[0], res.allocs[1], res.allocs[2]
    print("\nMicroPython heap (%s): after import %d B, after a session %d B (baseline %d B)"
          % ("mpy" if mpy else "py", after_import - base, after_session - base, base))
