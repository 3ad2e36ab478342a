"""The transaction journal (ocpp_cp/engine/journal.py): restarts with the same store, offline
sessions, retries across restarts, clock re-basing, wear, capacity, connection health.

A restart is a new ChargePoint on the same store (what a new process or a rebooted board gets);
the scripted Central System lives on across restarts and answers a repeated message id the way
it answered it the first time (what a careful Central System does with a repeat).
"""
import json

import pytest

from ocpp_cp.engine.chargepoint import ChargePoint
from ocpp_cp.engine.clock import format_iso, parse_iso
from ocpp_cp.storage import MemoryStore
from tests.support.cp_bench import ENERGY, Bench
from tests.support.memory_cs import FakeTicks, MemoryConnection, ScriptedCentralSystem
from tests.support.schemas import validate

T0 = parse_iso("2026-11-21T10:00:00Z")


class IdCS(ScriptedCentralSystem):
    """Records message ids; answers a repeated id as before; CALLERRORs a given number of times;
    its clock follows the test's ticks."""

    def __init__(self, conn, ticks):
        ScriptedCentralSystem.__init__(self, conn)
        self.ticks = ticks
        self.frames = []        # (msg_id, action, payload) of every CP CALL, repeats included
        self.answers = {}       # msg id -> answer payload
        self.fail = {}          # action -> CALLERRORs still to give

    def pump(self):
        out, self.conn.outbox = self.conn.outbox, []
        self.time = format_iso(T0 + self.ticks.now // 1000)
        for text in out:
            msg = json.loads(text)
            if msg[0] != 2:
                (self.results if msg[0] == 3 else self.call_errors)[msg[1]] = msg[2:] if msg[0] == 4 else msg[2]
                continue
            msg_id, action, payload = msg[1], msg[2], msg[3]
            self.frames.append((msg_id, action, payload))
            self.calls.append((action, payload))
            if action in self.silent:
                continue
            if self.fail.get(action) and msg_id not in self.answers:  # a repeat gets its first answer
                self.fail[action] -= 1
                self.conn.inbox.append(json.dumps([4, msg_id, "InternalError", "scripted", {}]))
                continue
            if msg_id not in self.answers:
                self.answers[msg_id] = self.answer(action, payload)
            self.conn.inbox.append(json.dumps([3, msg_id, self.answers[msg_id]]))

    def tx_frames(self, action):
        return [(i, p) for i, a, p in self.frames if a == action]

    def sessions(self):
        """idTag -> {"start": {msg ids}, "stop": {msg ids}, "stops": [payloads]} (idTags are unique
        per session): the messages the Central System processed (answered with a CALLRESULT)."""
        out = {}
        tx_tag = {}
        for msg_id, action, payload in self.frames:
            if msg_id not in self.answers:
                continue
            if action == "StartTransaction":
                s = out.setdefault(payload["idTag"], {"start": set(), "stop": set(), "stops": [], "starts": []})
                s["start"].add(msg_id)
                s["starts"].append(payload)
                answer = self.answers.get(msg_id)
                if answer:
                    tx_tag[answer["transactionId"]] = payload["idTag"]
        for msg_id, action, payload in self.frames:
            if action == "StopTransaction" and msg_id in self.answers:
                s = out[tx_tag[payload["transactionId"]]]
                s["stop"].add(msg_id)
                s["stops"].append(payload)
        return out


class Rig(Bench):
    """The shared bench (tests/support/cp_bench.py), not booted: plugged in, an energy meter per
    connector, MeterValueSampleInterval 10 s, a plain MemoryStore, the IdCS."""

    def __init__(self, store=None, connectors=1, connected=True, **config):
        Bench.__init__(self, connectors, store=store if store is not None else MemoryStore(), boot=False,
                       connected=connected, config=dict({"MeterValueSampleInterval": 10}, **config),
                       hw=dict((i, {"plugged": True, "energy": 1000 * i}) for i in range(1, connectors + 1)),
                       cs=lambda conn: IdCS(conn, self.ticks))

    def boot(self, connected=True):
        """A (re)start: a new ChargePoint on the same store; time goes on."""
        return self.restart(connected)

    def charge(self, seconds, connector=1, wh_per_10s=100):
        for _ in range(seconds // 10):
            self.hw[connector]["energy"] += wh_per_10s
            self.run(10000, 500)

    def tx_actions(self):
        return [a for i, a, p in self.cs.frames if a in ("StartTransaction", "StopTransaction", "MeterValues")]

    def check(self):
        for msg_id, action, payload in self.cs.frames:
            validate(action, payload)
            assert len(msg_id) <= 36


def test_power_loss_while_charging_stops_the_transaction_with_the_meter_reading():
    r = Rig()
    r.step(10)
    r.cp.connector(1).begin_session("S1")
    r.step(10)
    r.charge(30)
    r.hw[1]["energy"] += 40   # charged on after the last sample, until the cut
    r.boot()                  # power loss: a new process on the same store
    r.step(20)
    s = r.cs.sessions()["S1"]
    assert len(s["start"]) == 1 and len(s["stop"]) == 1
    stop = s["stops"][0]
    assert stop["reason"] == "PowerLoss" and stop["meterStop"] == 1340 and stop["transactionId"] == 1
    assert parse_iso(stop["timestamp"]) >= parse_iso(s["starts"][0]["timestamp"])
    assert r.cp.journal.txs == [] and [n for n in r.store.names() if n.startswith("tx")] == []
    assert r.cp.connector(1).tx is None  # free for the next session
    r.check()


def test_power_loss_meter_stop_is_the_journaled_value_when_the_meter_restarted_from_zero():
    r = Rig(OcppCpJournalInterval=0)  # every sample written: the journal knows 1300
    r.step(10)
    r.cp.connector(1).begin_session("S1")
    r.step(10)
    r.charge(30)
    r.hw[1]["energy"] = 5  # a software counter that starts again at every boot
    r.boot()
    r.step(20)
    stop = r.cs.sessions()["S1"]["stops"][0]
    assert stop["meterStop"] == 1300 and stop["reason"] == "PowerLoss"
    # its timestamp is the last sample the journal kept, not the restart
    meters = [p for i, p in r.cs.tx_frames("MeterValues")]
    assert stop["timestamp"] == meters[-1]["meterValue"][0]["timestamp"]


def test_restart_after_start_transaction_sent_but_not_answered_resends_the_same_message():
    r = Rig()
    r.step(10)
    r.cs.silent.add("StartTransaction")
    r.cp.connector(1).begin_session("S1")
    r.step(10)
    assert len(r.cs.tx_frames("StartTransaction")) == 1
    r.cs.silent.clear()
    r.boot()
    r.step(20)
    starts = r.cs.tx_frames("StartTransaction")
    assert len(starts) == 2 and starts[0] == starts[1]  # same id, same payload
    s = r.cs.sessions()["S1"]
    assert len(s["start"]) == 1 and len(s["stop"]) == 1 and s["stops"][0]["reason"] == "PowerLoss"
    assert r.tx_actions() == ["StartTransaction", "StartTransaction", "StopTransaction"]


def test_restart_after_stop_transaction_sent_resends_it_with_the_same_id():
    r = Rig()
    r.step(10)
    c = r.cp.connector(1)
    c.begin_session("S1")
    r.step(10)
    r.charge(10)
    r.cs.silent.add("StopTransaction")
    c.end_session()
    r.step(5)
    r.cs.silent.clear()
    r.boot()
    r.step(20)
    stops = r.cs.tx_frames("StopTransaction")
    assert len(stops) == 2 and stops[0] == stops[1]
    assert stops[0][1]["reason"] == "Local" and stops[0][1]["meterStop"] == 1100
    assert r.cp.journal.txs == []
    r.boot()  # nothing left to say
    r.step(20)
    assert len(r.cs.tx_frames("StopTransaction")) == 2


def test_offline_session_survives_a_restart_and_is_delivered_in_order():
    r = Rig(AllowOfflineTxForUnknownId=True)
    r.step(10)
    r.conn.connected = False
    c = r.cp.connector(1)
    c.begin_session("S1")
    r.run(31000)             # the Authorize never went out: offline, allowed
    assert c.permits_charge()
    r.charge(60)
    r.cp.journal.save(c.tx)  # (as the periodic write would)
    r.boot(connected=False)  # the board restarts while still offline
    r.run(5000)
    r.conn.connected = True
    r.step(30)
    assert r.tx_actions() == ["StartTransaction"] + ["MeterValues"] * 6 + ["StopTransaction"]
    meters = [p for i, p in r.cs.tx_frames("MeterValues")]
    values = [int(m["meterValue"][0]["sampledValue"][0]["value"]) for m in meters]
    assert values == [1100, 1200, 1300, 1400, 1500, 1600]
    assert all(m["transactionId"] == 1 for m in meters)
    stamps = [parse_iso(m["meterValue"][0]["timestamp"]) for m in meters]
    assert stamps == sorted(stamps)
    s = r.cs.sessions()["S1"]
    assert s["stops"][0]["meterStop"] == 1600 and s["stops"][0]["reason"] == "PowerLoss"
    r.check()


def test_meter_values_kept_offline_are_bounded_first_and_last_kept():
    r = Rig(OcppCpMeterValuesMax=5)
    r.step(10)
    c = r.cp.connector(1)
    c.begin_session("S1", authorized=True)
    r.step(5)
    r.conn.connected = False
    sampled = []
    r.cp.journal.sampled = (lambda f: lambda tx, st, v: sampled.append(v[0]["value"]) or f(tx, st, v))(
        r.cp.journal.sampled)
    r.charge(200)            # 20 samples while offline
    tx = c.tx
    c.end_session()
    assert len(sampled) >= 19 and 3 <= len(tx.meter) <= 5
    kept = [row[4] for row in tx.meter]
    assert kept[0] == sampled[0] and kept[-1] == sampled[-1] and kept == sorted(kept, key=int)
    r.conn.connected = True
    r.step(40)
    values = [p["meterValue"][0]["sampledValue"][0]["value"] for i, p in r.cs.tx_frames("MeterValues")]
    assert values[:len(kept)] == kept
    assert len(values) == len(kept) and tx.meter == []


def test_callerror_attempts_survive_a_restart():
    r = Rig(TransactionMessageAttempts=3, TransactionMessageRetryInterval=1)
    r.step(10)
    r.cs.fail["StartTransaction"] = 2
    r.cp.connector(1).begin_session("S1", authorized=True)
    r.run(3000)               # first attempt, error, retry after 1 s, error
    ids = [i for i, p in r.cs.tx_frames("StartTransaction")]
    assert len(ids) == 2 and ids[1] == ids[0] + ".1"
    r.cs.fail["StartTransaction"] = 5
    r.boot()
    r.run(10000)
    ids = [i for i, p in r.cs.tx_frames("StartTransaction")]
    assert ids[2:] == [ids[0] + ".2"]   # the third and last attempt, not three more
    assert r.cs.count("StopTransaction") == 0   # nothing to stop: the transaction was given up
    assert r.cp.journal.txs == [] and not [n for n in r.store.names() if n.startswith("tx")]
    assert any("dropped after 3 attempts" in line for line in r.logs)


def test_reboot_before_clock_sync_gives_sensible_timestamps():
    r = Rig(connected=False)  # the Central System is out of reach from power-on
    r.run(2000)
    c = r.cp.connector(1)
    c.begin_session("S1", authorized=True)  # e.g. a card from the local list
    r.run(1000)
    assert not r.cp.clock.synced
    r.charge(20)
    r.cp.journal.save(c.tx)
    cut = r.ticks.now
    r.boot(connected=False)     # rebooted before ever knowing the time
    r.run(3000)
    r.conn.connected = True
    r.step(30)
    s = r.cs.sessions()["S1"]
    start, stop = s["starts"][0], s["stops"][0]
    t_start, t_stop = parse_iso(start["timestamp"]), parse_iso(stop["timestamp"])
    # never 1970: the events come out at most a few seconds off the Central System's time
    true_start = T0 + 3000 // 1000
    assert abs(t_start - true_start) <= 5, (start, true_start)
    assert abs(t_stop - (T0 + cut // 1000)) <= 5
    assert t_start <= t_stop
    for i, p in r.cs.tx_frames("MeterValues"):
        assert t_start <= parse_iso(p["meterValue"][0]["timestamp"]) <= t_stop
    r.check()


def test_stamps_taken_before_the_first_sync_are_rebased_in_the_journal():
    r = Rig(connected=False)
    r.run(2000)
    c = r.cp.connector(1)
    c.begin_session("S1", authorized=True)
    r.run(1000)
    rec = json.loads(r.store.load(c.tx.name))
    assert rec["s"] < 0         # uptime-based: the time is not known yet
    r.conn.connected = True
    r.run(2000)
    assert r.cp.clock.synced
    rec = json.loads(r.store.load(c.tx.name))
    assert abs(rec["s"] - (T0 + 3)) <= 2  # unix seconds now, written once
    boot = json.loads(r.store.load("journal"))
    assert boot["w"] is not None and boot["n"] == 1


def test_the_boot_counter_counts_restarts():
    r = Rig()
    r.boot()
    r.boot()
    assert json.loads(r.store.load("journal"))["n"] == 3
    assert r.cp.journal.boot == 3


class CountingStore(MemoryStore):
    def __init__(self):
        MemoryStore.__init__(self)
        self.writes = []
        self.full = False

    def save(self, name, data):
        if self.full:
            raise OSError(28, "no space")
        self.writes.append(name)
        MemoryStore.save(self, name, data)


def test_wear_one_hour_of_charging_online_writes_a_handful_of_times():
    store = CountingStore()
    r = Rig(store=store)
    r.step(10)
    c = r.cp.connector(1)
    c.begin_session("S1")
    r.step(10)
    r.charge(3600, wh_per_10s=20)   # 360 samples
    c.end_session()
    r.step(10)
    tx_writes = [n for n in store.writes if n.startswith("tx")]
    # start, transactionId, every OcppCpJournalInterval (300 s) while charging, stop
    assert 3 <= len(tx_writes) <= 3 + 3600 // 300 + 1, tx_writes
    assert r.cs.count("MeterValues") >= 359 and r.cs.count("StopTransaction") == 1
    assert not [n for n in store.names() if n.startswith("tx")]


def test_journal_full_refuses_a_new_session_by_default():
    r = Rig(OcppCpTxPerConnector=2)
    r.step(10)
    r.conn.connected = False
    c = r.cp.connector(1)
    for tag in ("S1", "S2"):
        assert c.begin_session(tag, authorized=True)
        r.run(1000)
        c.end_session()
        r.run(1000)
    assert not c.begin_session("S3", authorized=True)
    assert any("session refused" in line for line in r.logs)
    r.cp.config.change("OcppCpTxJournalFull", "ChargeWithoutJournal")
    assert c.begin_session("S3", authorized=True)
    r.run(1000)
    assert c.permits_charge() and c.tx.name is None  # runs, RAM only
    c.end_session()
    r.conn.connected = True
    r.step(30)
    assert sorted(r.cs.sessions()) == ["S1", "S2", "S3"]


def test_store_failure_with_refuse_policy_refuses_and_charge_without_journal_runs():
    store = CountingStore()
    r = Rig(store=store)
    r.step(10)
    store.full = True
    c = r.cp.connector(1)
    assert c.begin_session("S1", authorized=True)
    r.step(3)
    assert c.tx is None and r.cs.count("StartTransaction") == 0
    r.cp.config.set("OcppCpTxJournalFull", "ChargeWithoutJournal")
    assert c.begin_session("S2", authorized=True)
    r.step(3)
    assert c.permits_charge()
    store.full = False
    c.end_session()
    r.step(10)
    assert list(r.cs.sessions()) == ["S2"]


def test_stop_txn_sampled_data_goes_into_transaction_data_bounded_and_survives_a_restart():
    r = Rig(StopTxnSampledData=ENERGY, OcppCpTxDataMax=4, OcppCpJournalInterval=0)
    r.step(10)
    c = r.cp.connector(1)
    c.begin_session("S1", authorized=True)
    r.step(5)
    r.charge(100)
    r.boot()
    r.step(20)
    stop = r.cs.sessions()["S1"]["stops"][0]
    data = stop["transactionData"]
    assert 3 <= len(data) <= 4
    values = [int(d["sampledValue"][0]["value"]) for d in data]
    assert values[0] == 1000 and values[-1] == 2000 and values == sorted(values)
    assert data[0]["sampledValue"][0]["context"] == "Transaction.Begin"
    r.check()


def test_local_stop_transaction_data_ends_with_transaction_end():
    r = Rig(StopTxnSampledData=ENERGY)
    r.step(10)
    c = r.cp.connector(1)
    c.begin_session("S1", authorized=True)
    r.step(5)
    r.charge(20)
    c.end_session()
    r.step(10)
    data = r.cs.sessions()["S1"]["stops"][0]["transactionData"]
    contexts = [d["sampledValue"][0]["context"] for d in data]
    assert contexts[0] == "Transaction.Begin" and contexts[-1] == "Transaction.End"
    assert contexts[1:-1] in (["Sample.Periodic"], ["Sample.Periodic"] * 2)
    r.check()


def test_two_connectors_offline_are_delivered_in_chronological_order_after_a_restart():
    r = Rig(connectors=2, MeterValueSampleInterval=0)
    r.step(10)
    r.conn.connected = False
    c1, c2 = r.cp.connector(1), r.cp.connector(2)
    c1.begin_session("A", authorized=True)
    r.run(1000)
    c2.begin_session("B", authorized=True)
    r.run(1000)
    c1.end_session()
    r.run(1000)
    c1.begin_session("C", authorized=True)
    r.run(1000)
    c2.end_session()
    r.run(1000)
    r.boot(connected=False)
    r.conn.connected = True
    r.step(40)
    order = [(a, p.get("idTag") or p.get("transactionId")) for i, a, p in r.cs.frames
             if a in ("StartTransaction", "StopTransaction")]
    assert order == [("StartTransaction", "A"), ("StartTransaction", "B"), ("StopTransaction", 1),
                     ("StartTransaction", "C"), ("StopTransaction", 2), ("StopTransaction", 3)]
    reasons = [p["reason"] for i, p in r.cs.tx_frames("StopTransaction")]
    assert reasons == ["Local", "Local", "PowerLoss"]


def test_a_corrupt_record_is_dropped_not_fatal():
    store = MemoryStore()
    store.save("tx1_1", b"{not json")
    store.save("tx1_2", b'{"c": 1}')
    store.save("journal", b"\xff\xfe")
    r = Rig(store=store)
    r.step(10)
    assert r.cp.journal.txs == [] and sorted(store.names()) == ["journal"]
    assert any("corrupt" in line for line in r.logs)


# ---------------------------------------------------------------- connection health

class PingConnection(MemoryConnection):
    def __init__(self):
        MemoryConnection.__init__(self)
        self.pong_ms = None
        self.pings = 0
        self.dropped = []
        self.answer_pings = True

    def ping(self):
        self.pings += 1
        if self.answer_pings:
            self.pong_ms = self.pings
        return True

    def drop(self, reason):
        self.dropped.append(reason)
        self.connected = False


def test_connection_state_and_ping_watchdog():
    ticks = FakeTicks()
    conn = PingConnection()
    cs = ScriptedCentralSystem(conn)
    cp = ChargePoint(conn, ticks_ms=ticks)
    cp.config.set("WebSocketPingInterval", 10)
    cp.config.set("HeartbeatInterval", 0)

    def run(ms):
        for _ in range(ms // 500):
            cp.loop()
            cs.pump()
            ticks.advance(500)
    run(1000)
    assert cp.connection_state == "connected"
    run(60000)                    # idle, but pongs come back
    assert cp.connection_state == "connected" and conn.pings >= 5 and not conn.dropped
    conn.answer_pings = False     # the Central System hangs
    run(30000)
    assert conn.dropped and cp.connection_state == "offline"
    conn.connected = True         # the driver reconnected
    conn.answer_pings = True
    run(1000)
    assert cp.connection_state == "connected"


def test_silent_central_system_is_detected_and_the_connection_remade():
    ticks = FakeTicks()
    conn = PingConnection()
    cs = ScriptedCentralSystem(conn)
    cp = ChargePoint(conn, ticks_ms=ticks)
    cp.config.set("WebSocketPingInterval", 0)
    cp.config.set("OcppCpMessageTimeout", 5)
    for _ in range(10):
        cp.loop()
        cs.pump()
        ticks.advance(10)
    cs.silent.add("StartTransaction")
    cp.connector(1).begin_session("S1", authorized=True)
    states = set()
    for _ in range(30):
        cp.loop()
        cs.pump()
        states.add(cp.connection_state)
        ticks.advance(500)
    assert conn.dropped  # two timeouts in a row with nothing heard: reconnect
    assert "connected" in states
    cs.silent.clear()
    conn.connected = True
    for _ in range(10):
        cp.loop()
        cs.pump()
        ticks.advance(100)
    starts = [p for a, p in cs.calls if a == "StartTransaction"]
    assert len(starts) >= 3 and cp.connector(1).tx.transaction_id == 1


def test_central_system_call_is_answered_while_our_call_is_in_flight():
    r = Rig()
    r.step(10)
    r.cs.silent.add("StartTransaction")
    r.cp.connector(1).begin_session("S1", authorized=True)
    r.step(3)
    assert r.cp.rpc.in_flight is not None and r.cp.rpc.in_flight.action == "StartTransaction"
    msg_id = r.cs.call("GetConfiguration", {"key": ["OcppCpTxPerConnector"]})
    r.step(2)
    assert r.cs.results[msg_id]["configurationKey"][0]["value"] == "3"
    assert r.cp.rpc.in_flight is not None  # still waiting for its own answer


@pytest.mark.parametrize("policy", ["Refuse", "ChargeWithoutJournal"])
def test_facade_offline_functions(policy, monkeypatch):
    import adafruit_ticks
    from ocpp_cp import facade as F
    ticks = FakeTicks()
    monkeypatch.setattr(adafruit_ticks, "ticks_ms", ticks)
    conn = MemoryConnection()
    cs = ScriptedCentralSystem(conn)
    try:
        F.OCPP_initialize("ws://127.0.0.1:9/ocpp/cp", connection=conn, log=lambda m: None)
        cp = F.getChargePoint()
        assert not cp.store.persistent  # connection= (tests): RAM
        cp.config.set("OcppCpTxPerConnector", 1)
        cp.config.set("OcppCpTxJournalFull", policy)
        for _ in range(10):
            F.OCPP_loop()
            cs.pump()
            ticks.advance(10)
        assert F.getConnectionState() == "connected"
        conn.connected = False
        F.OCPP_loop()
        assert F.getConnectionState() == "offline"
        assert F.startTransaction("T1") is True
        F.stopTransaction()
        assert F.getUnfinishedTransactions() == 1
        assert F.startTransaction("T2") is (policy == "ChargeWithoutJournal")
    finally:
        F.OCPP_deinitialize()
