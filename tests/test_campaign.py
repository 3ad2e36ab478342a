"""A randomized, seeded fault campaign: sessions on two connectors while the power is cut (also
in the middle of a store write, between the temporary file and the rename), the connection drops,
the Central System goes silent or answers CALLERROR, and the board reboots before it knows the
time. In-process with test time (FakeTicks), a real FileStore and the scripted Central System
of test_journal (answers a repeated message id as before, like a careful Central System).

Bounded by wall time: OCPP_CAMPAIGN_SECONDS (default 6, at most 600), seed OCPP_CAMPAIGN_SEED.
It prints sessions run / lost / duplicated and asserts none lost or duplicated.
"""
import os
import random
import time

from ocpp_cp.storage.files import FileStore
from ocpp_cp.engine.clock import parse_iso
from tests.test_journal import T0, Rig

SECONDS = min(float(os.environ.get("OCPP_CAMPAIGN_SECONDS", "6")), 600.0)
SEED = int(os.environ.get("OCPP_CAMPAIGN_SEED", "20261121"))
TX_ACTIONS = ("StartTransaction", "StopTransaction", "MeterValues")


class PowerCut(BaseException):
    """Nothing after this runs: the board lost power."""


class CuttingStore(FileStore):
    """A FileStore that loses power during a save when armed: before writing, after the temporary
    file (before the rename), or right after the save completed."""

    def __init__(self, path, rnd):
        FileStore.__init__(self, path)
        self.rnd = rnd
        self.armed = False
        self.cuts = 0

    def save(self, name, data):
        if not self.armed:
            return FileStore.save(self, name, data)
        self.armed = False
        self.cuts += 1
        where = self.rnd.randrange(3)
        if where == 0:
            raise PowerCut()
        if where == 1:
            real = os.rename
            os.rename = _cut
            try:
                FileStore.save(self, name, data)
            finally:
                os.rename = real
        FileStore.save(self, name, data)
        raise PowerCut()


def _cut(*args):
    raise PowerCut()


def test_randomized_fault_campaign(tmp_path):
    rnd = random.Random(SEED)
    store = CuttingStore(str(tmp_path / "store"), rnd)
    r = Rig(store=store, connectors=2, TransactionMessageAttempts=10, TransactionMessageRetryInterval=1,
            OcppCpMessageTimeout=5, MeterValueSampleInterval=15, AllowOfflineTxForUnknownId=True,
            OcppCpTxPerConnector=4, StopTxnSampledData="Energy.Active.Import.Register")
    tags = {}        # idTag -> {"state": "pending"|"sure"|"unsure", "expect": meterStop or None}
    running = {}     # connector -> idTag of its session
    counter = [0]
    faults = {"cut": 0, "drop": 0, "silent": 0, "callerror": 0, "offline boot": 0}
    silent_until = [0]
    offline_until = [0]

    def boot():
        while True:
            try:
                connected = rnd.random() > 0.25
                if not connected:
                    faults["offline boot"] += 1
                    offline_until[0] = r.ticks.now + rnd.randrange(5000, 60000)
                r.boot(connected)
                return
            except PowerCut:
                faults["cut"] += 1

    def power_cut():
        for cid, tag in list(running.items()):
            t = tags[tag]
            if t["state"] == "pending":
                t["state"] = "unsure"
            t["expect"] = r.hw[cid]["energy"]   # the meter keeps its register; nothing flows while off
        running.clear()
        for hw in r.hw.values():
            hw["plugged"] = True
        boot()
        for tx in r.cp.journal.txs:  # it reached the store after all: it must be delivered
            if tags[tx.id_tag]["state"] == "unsure":
                tags[tx.id_tag]["state"] = "sure"

    def act():
        cp = r.cp
        now = r.ticks.now
        r.conn.connected = now >= offline_until[0]
        if now >= silent_until[0]:
            r.cs.silent.clear()
        for cid in (1, 2):
            c = cp.connector(cid)
            hw = r.hw[cid]
            tag = running.get(cid)
            if tag is None:
                if c.tx is None and rnd.random() < 0.05:
                    hw["plugged"] = True
                    counter[0] += 1
                    tag = "C%d" % counter[0]
                    tags[tag] = {"state": "pending", "expect": None}
                    if c.begin_session(tag, authorized=True if rnd.random() < 0.7 else None):
                        running[cid] = tag
                    else:
                        tags[tag]["state"] = "refused"
                continue
            t = tags[tag]
            if c.tx is None or c.tx.id_tag != tag:   # ended without us (e.g. never authorized)
                if t["state"] == "pending":
                    t["state"] = "refused"
                del running[cid]
                continue
            if c.tx.started and c.tx.name and t["state"] == "pending":
                t["state"] = "sure"
            if c.tx.started:
                hw["energy"] += rnd.randrange(0, 40)
                if rnd.random() < 0.02:
                    t["expect"] = hw["energy"]
                    del running[cid]
                    if rnd.random() < 0.5:
                        c.end_session()
                    else:
                        hw["plugged"] = False     # EVDisconnected on the next loop
        x = rnd.random()
        if x < 0.004:
            store.armed = True
        elif x < 0.008:
            faults["cut"] += 1
            raise PowerCut()
        elif x < 0.012:
            faults["drop"] += 1
            offline_until[0] = now + rnd.randrange(100, 40000)
        elif x < 0.015:
            faults["silent"] += 1
            r.cs.silent.update(TX_ACTIONS)
            silent_until[0] = now + rnd.randrange(1000, 20000)
        elif x < 0.018:
            faults["callerror"] += 1
            r.cs.fail[rnd.choice(TX_ACTIONS)] = rnd.randrange(1, 3)

    deadline = time.monotonic() + SECONDS
    steps = 0
    while time.monotonic() < deadline:
        steps += 1
        try:
            act()
            r.step(1, rnd.choice((10, 100, 500, 2000)))
        except PowerCut:
            power_cut()
    # the end: every session over, no more faults, the Central System reachable and answering
    store.armed = False
    r.cs.silent.clear()
    r.cs.fail.clear()
    offline_until[0] = silent_until[0] = 0
    for cid in (1, 2):
        tag = running.pop(cid, None)
        c = r.cp.connector(cid)
        if tag is not None and c.tx is not None and c.tx.id_tag == tag:
            if c.tx.started and c.tx.name and tags[tag]["state"] == "pending":
                tags[tag]["state"] = "sure"
            tags[tag]["expect"] = r.hw[cid]["energy"]
            c.end_session()
    r.conn.connected = True
    for _ in range(2000):
        r.step(1, 500)
        if not r.cp.journal.txs and not r.cp.rpc.durable_pending():
            break

    seen = r.cs.sessions()
    lost, duplicated, wrong = [], [], []
    for tag, t in sorted(tags.items()):
        s = seen.get(tag)
        if s is None:
            if t["state"] == "sure":
                lost.append(tag)
            continue
        if len(s["start"]) != 1 or len(s["stop"]) != 1:
            (lost if not s["stop"] else duplicated).append(tag)
            continue
        stop = s["stops"][-1]
        assert parse_iso(stop["timestamp"]) >= parse_iso(s["starts"][0]["timestamp"]), (tag, s)
        if t["expect"] is not None and stop["meterStop"] != t["expect"]:
            wrong.append((tag, stop["meterStop"], t["expect"], stop["reason"]))
    for tag in seen:
        assert tag in tags
    for msg_id, action, payload in r.cs.frames:  # never 1970, whatever the reboots before a clock sync
        if action in ("StartTransaction", "StopTransaction"):
            assert parse_iso(payload["timestamp"]) > T0 - 86400, (action, payload)
        elif action == "MeterValues":
            assert parse_iso(payload["meterValue"][0]["timestamp"]) > T0 - 86400, payload
    run = len([t for t in tags.values() if t["state"] in ("sure", "unsure")])
    print("\ncampaign seed %d, %.0f s, %d steps, %d boots: %d sessions run (%d delivered), %d lost, "
          "%d duplicated, %d wrong meterStop; faults %s; cuts inside a store write %d"
          % (SEED, SECONDS, steps, r.cp.journal.boot, run, len(seen), len(lost), len(duplicated), len(wrong),
             faults, store.cuts))
    assert run >= 3 and faults["cut"] >= 1
    assert not lost, lost
    assert not duplicated, duplicated
    assert not wrong, wrong
    assert r.cp.journal.txs == []
    r.check()
