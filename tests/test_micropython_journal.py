"""The transaction journal on real MicroPython 1.27 (wasm): an offline session, a reboot before
the clock was ever set, a StartTransaction sent but unanswered at a second reboot, then delivery:
with a MemoryStore kept across the reboots, a FileStore on the wasm filesystem and an NvmStore
on a bytearray standing in for microcontroller.nvm.
"""
import json
import os

import pytest

from tests.support.micropython import run_micropython
from tests.support.schemas import validate

SUPPORT = os.path.join(os.path.dirname(__file__), "support")

SCENARIO = """
import json
from ocpp_cp.engine.chargepoint import ChargePoint
from ocpp_cp.storage import MemoryStore
from ocpp_cp.storage.files import FileStore
from ocpp_cp.storage.nvm import NvmStore
from memory_cs import FakeTicks, MemoryConnection, ScriptedCentralSystem


def scenario(kind, make_store):
    ticks = FakeTicks()
    cs = ScriptedCentralSystem(MemoryConnection())
    hw = {"e": 5000}
    frames = []

    def boot(connected):
        conn = MemoryConnection(connected)
        cs.conn = conn
        cp = ChargePoint(conn, ticks_ms=ticks, store=make_store(), log=lambda m: None)
        cp.config.set("MeterValueSampleInterval", 10)
        c = cp.connector(1)
        c.plugged = lambda: True
        c.meter.add("Energy.Active.Import.Register", lambda: hw["e"])
        return cp

    def run(cp, n, ms):
        for _ in range(n):
            cp.loop()
            for text in cs.conn.outbox:
                m = json.loads(text)
                if m[0] == 2:
                    frames.append([m[1], m[2], m[3]])
            cs.pump()
            ticks.advance(ms)

    cp = boot(False)                      # no Central System: the time is unknown
    run(cp, 20, 100)
    cp.connector(1).begin_session("MP-1", True)
    run(cp, 5, 100)
    for _ in range(3):
        hw["e"] += 100
        run(cp, 20, 500)
    cp.journal.save(cp.connector(1).tx)
    hw["e"] += 42                         # charged on until the cut
    cp = boot(False)                      # power cut, still offline, time still unknown
    run(cp, 10, 100)
    cs.silent.add("StartTransaction")
    cp.connection.connected = True
    run(cp, 10, 10)                       # StartTransaction out, no answer
    cs.silent.clear()
    cp = boot(True)                       # power cut again
    run(cp, 40, 10)
    left = [n for n in cp.store.names() if n[:2] == "tx"]
    print("@@result " + json.dumps({"kind": kind, "frames": frames, "left": left,
                                     "txs": len(cp.journal.txs), "boot": cp.journal.boot}))


shared = MemoryStore()
scenario("memory", lambda: shared)
scenario("file", lambda: FileStore("/jstore"))
nvm = bytearray(4096)
scenario("nvm", lambda: NvmStore(nvm))
"""


@pytest.mark.parametrize("mpy", [False, True], ids=["py", "mpy"])
def test_journal_on_micropython(mpy):
    res = run_micropython([SCENARIO], mpy=mpy, extra_stage={SUPPORT: "/lib"})
    res.check()
    results = [json.loads(line[9:]) for line in res.output_lines if line.startswith("@@result ")]
    assert [r["kind"] for r in results] == ["memory", "file", "nvm"], res.output
    for r in results:
        frames = r["frames"]
        for msg_id, action, payload in frames:
            validate(action, payload)
        tx = [(i, a, p) for i, a, p in frames if a in ("StartTransaction", "StopTransaction", "MeterValues")]
        actions = [a for i, a, p in tx]
        assert actions == ["StartTransaction", "StartTransaction"] + ["MeterValues"] * 3 + ["StopTransaction"], \
            (r["kind"], actions)
        assert tx[0][0] == tx[1][0] and tx[0][2] == tx[1][2]  # the same message after the reboot
        start, stop = tx[1][2], tx[-1][2]
        assert start["meterStart"] == 5000 and start["timestamp"].startswith("2026-11-21T")
        assert stop["reason"] == "PowerLoss" and stop["meterStop"] == 5342 and stop["transactionId"] == 1
        assert stop["timestamp"].startswith("2026-11-21T") and stop["timestamp"] >= start["timestamp"]
        values = [p["meterValue"][0]["sampledValue"][0]["value"] for i, a, p in tx[2:5]]
        assert values == ["5100", "5200", "5300"]
        assert r["left"] == [] and r["txs"] == 0 and r["boot"] == 3
