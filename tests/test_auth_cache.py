"""The authorization cache (ocpp_cp/engine/auth_cache.py) and local authorization
(ops/authorize.py: LocalPreAuthorize, LocalAuthorizeOffline, AllowOfflineTxForUnknownId),
ClearCache, AuthorizationCacheEnabled, expiry, the size bound and persistence.

In memory (tests/support/cp_bench.py): a ChargePoint on a MemoryConnection, a scripted Central
System whose answers carry whole idTagInfo objects, FakeTicks. The scripted Central System's clock
says 2026-11-21T10:00:00Z.
"""
import json

import pytest

from ocpp_cp.engine import auth_cache
from ocpp_cp.storage import MemoryStore
from tests.support import cp_bench
from tests.support.cp_bench import DiskStore
from tests.support.memory_cs import ScriptedCentralSystem

NOW = "2026-11-21T10:00:00Z"


class InfoCentralSystem(ScriptedCentralSystem):
    """Answers Authorize/StartTransaction with the idTagInfo dict in self.info (default Accepted)."""

    def __init__(self, conn):
        ScriptedCentralSystem.__init__(self, conn, time=NOW)
        self.info = {}

    def answer(self, action, payload):
        answer = ScriptedCentralSystem.answer(self, action, payload)
        if "idTagInfo" in answer:
            answer["idTagInfo"] = dict(self.info.get(payload["idTag"], {"status": "Accepted"}))
        return answer


class Bench(cp_bench.Bench):
    """The shared bench (tests/support/cp_bench.py) with one connector, plugged in, no meter, a
    DiskStore, the InfoCentralSystem, and config keys set before the first loop."""

    def __init__(self, store=None, boot=True, **config):
        cp_bench.Bench.__init__(self, store=store if store is not None else DiskStore(), boot=boot,
                                config=config, cs=InfoCentralSystem, hw={1: {"plugged": True}})

    @property
    def cache(self):
        return auth_cache.get(self.cp)

    def ask(self, action, payload):
        """The answer payload, or ("error", code, text, details)."""
        kind, answer = cp_bench.Bench.ask(self, action, payload, steps=3)
        return answer if kind == "result" else ("error",) + tuple(answer)

    def authorize(self, tag, info=None):
        """Let the Central System answer an Authorize for tag (fills the cache)."""
        if info is not None:
            self.cs.info[tag] = info
        self.cp.authorize(tag)
        self.step(3)

    def offline(self):
        self.conn.connected = False


# ---------------------------------------------------------------- filling

def test_authorize_answer_fills_the_cache_with_status_expiry_and_parent():
    b = Bench()
    b.authorize("A", {"status": "Accepted", "expiryDate": "2026-11-22T10:00:00Z", "parentIdTag": "P"})
    b.authorize("B", {"status": "Blocked"})
    assert b.cache.entries == [["A", "Accepted", 1795341600, "P"], ["B", "Blocked", None, None]]
    assert b.cache.status("A") == "Accepted" and b.cache.status("B") == "Blocked"
    assert b.cache.status("C") is None


def test_start_transaction_answer_updates_the_cache():
    b = Bench()
    b.authorize("A")
    b.cs.info["A"] = {"status": "Invalid"}
    b.c1.begin_session("A", authorized=True)
    b.step(5)
    assert b.cs.count("StartTransaction") == 1
    assert b.cache.status("A") == "Invalid"
    assert b.cs.last("StopTransaction")["reason"] == "DeAuthorized"  # StopTransactionOnInvalidId


def test_a_bad_expiry_date_is_not_cached_and_the_answer_still_counts():
    b = Bench()
    seen = []
    b.cs.info["A"] = {"status": "Accepted", "expiryDate": "soon"}
    b.cp.authorize("A", on_conf=seen.append)
    b.step(3)
    assert seen and b.cache.status("A") is None


# ---------------------------------------------------------------- LocalPreAuthorize

def test_local_pre_authorize_starts_a_cached_tag_without_authorize():
    b = Bench(LocalPreAuthorize=True)
    b.authorize("A")
    before = b.cs.count("Authorize")
    assert b.c1.begin_session("A")
    assert b.c1.tx.authorized is True  # at once, before anything was sent
    b.step(3)
    assert b.cs.count("Authorize") == before
    assert b.cs.last("StartTransaction")["idTag"] == "A"
    assert b.c1.permits_charge()


def test_local_pre_authorize_still_asks_for_unknown_and_invalid_tags():
    b = Bench(LocalPreAuthorize=True)
    b.authorize("BLOCKED", {"status": "Blocked"})
    b.cs.info["BLOCKED"] = {"status": "Accepted"}  # unblocked meanwhile: the online check sees it
    assert b.c1.begin_session("BLOCKED")
    assert b.c1.tx.authorized is None
    b.step(5)
    assert b.cs.count("Authorize") == 2 and b.cs.count("StartTransaction") == 1
    assert b.cache.status("BLOCKED") == "Accepted"


def test_without_local_pre_authorize_a_cached_tag_is_asked_online():
    b = Bench()
    b.authorize("A")
    b.c1.begin_session("A")
    assert b.c1.tx.authorized is None
    b.step(5)
    assert b.cs.count("Authorize") == 2


def test_expired_entry_is_not_pre_authorized():
    b = Bench(LocalPreAuthorize=True)
    b.authorize("A", {"status": "Accepted", "expiryDate": "2026-11-21T10:00:05Z"})
    assert b.cache.status("A") == "Accepted"
    b.run(6000)
    assert b.cache.status("A") == "Expired"
    b.cs.info["A"] = {"status": "Expired"}
    b.c1.begin_session("A")
    assert b.c1.tx.authorized is None
    b.step(3)
    assert b.c1.tx is None and b.cs.count("Authorize") == 2


# ---------------------------------------------------------------- offline

def test_offline_cached_accepted_tag_starts_at_once_and_is_sent_later():
    b = Bench()
    b.authorize("A")
    b.offline()
    assert b.c1.begin_session("A")
    assert b.c1.tx.authorized is True
    b.step(3)
    assert b.c1.running() is not None and b.c1.permits_charge()
    b.conn.connected = True
    b.step(5)
    assert b.cs.last("StartTransaction")["idTag"] == "A"
    assert b.cs.count("Authorize") == 1  # never asked again


@pytest.mark.parametrize("cached,local_offline,unknown_ok,allowed", [
    (None, True, False, False),          # unknown tag: AllowOfflineTxForUnknownId decides
    (None, True, True, True),
    ("Accepted", False, False, False),   # LocalAuthorizeOffline off: the cache is not used ...
    ("Accepted", False, True, True),     # ... but an unknown-tag allowance covers a known good one
    ("Blocked", True, True, False),      # known bad: never offline
    ("Invalid", True, True, False),
    ("Expired", True, True, False),
])
def test_offline_decision_after_the_authorize_could_not_be_sent(cached, local_offline, unknown_ok, allowed):
    b = Bench(LocalAuthorizeOffline=local_offline, AllowOfflineTxForUnknownId=unknown_ok)
    if cached:
        b.authorize("T", {"status": cached})
    b.offline()
    assert b.c1.begin_session("T")
    b.run(31000, 500)  # the Authorize waits its 30 s, then fails with why="offline"
    assert (b.c1.tx is not None and b.c1.tx.started) == allowed
    assert any("offline" in line for line in b.logs)


def test_no_answer_to_authorize_counts_as_offline():
    b = Bench()
    b.authorize("A")
    b.cs.silent.add("Authorize")
    b.c1.begin_session("A")
    b.run(31000, 500)  # sent, never answered: why="timeout"
    assert b.c1.running() is not None


def test_callerror_to_authorize_is_not_offline():
    b = Bench(AllowOfflineTxForUnknownId=True)
    b.authorize("A")
    b.cs.errors["Authorize"] = "InternalError"
    b.c1.begin_session("A")
    b.step(5)
    assert b.c1.tx is None and b.cs.count("StartTransaction") == 0


def test_offline_entry_past_its_expiry_is_refused_and_unknown_time_is_unknown():
    b = Bench(AllowOfflineTxForUnknownId=False)
    b.authorize("A", {"status": "Accepted", "expiryDate": "2026-11-21T09:00:00Z"})
    b.offline()
    b.c1.begin_session("A")
    assert b.c1.tx.authorized is None  # expired: not started on the cache's word
    b.run(31000, 500)
    assert b.c1.tx is None
    # a restart without a clock: an entry that expires cannot be judged, so it counts as unknown
    b2 = Bench(store=b.store, boot=False, AllowOfflineTxForUnknownId=True)
    assert b2.cp.clock.now() is None
    assert b2.cache.status("A") is None
    b2.offline()
    b2.c1.begin_session("A")
    b2.run(31000, 500)
    assert b2.c1.tx is not None and b2.c1.tx.started


# ---------------------------------------------------------------- AuthorizationCacheEnabled, ClearCache

def test_cache_disabled_is_neither_filled_nor_used_and_clear_cache_is_rejected():
    b = Bench(LocalPreAuthorize=True)
    b.authorize("A")
    assert b.ask("ChangeConfiguration", {"key": "AuthorizationCacheEnabled", "value": "false"}) == \
        {"status": "Accepted"}
    assert b.cache is None
    b.authorize("B")
    b.c1.begin_session("A")
    assert b.c1.tx.authorized is None  # not pre-authorized: asked
    assert b.ask("ClearCache", {}) == {"status": "Rejected"}
    b.cp.config.set("AuthorizationCacheEnabled", True)
    assert [e[0] for e in b.cache.entries] == ["A"]  # B came while it was off


def test_clear_cache_empties_it_in_ram_and_in_the_store():
    b = Bench(LocalPreAuthorize=True)
    b.authorize("A")
    assert b.store.load(auth_cache.RECORD) is not None
    assert b.ask("ClearCache", {}) == {"status": "Accepted"}
    assert b.cache.entries == [] and b.store.load(auth_cache.RECORD) is None
    b.c1.begin_session("A")
    assert b.c1.tx.authorized is None
    assert b.ask("ClearCache", {"extra": 1})[:2] == ("error", "FormationViolation")


# ---------------------------------------------------------------- size bound

def test_size_bound_evicts_invalid_entries_first_then_the_least_recently_used():
    b = Bench()
    size = auth_cache.SIZE
    b.authorize("BAD", {"status": "Blocked"})
    for i in range(size - 1):
        b.authorize("T%d" % i)
    assert len(b.cache.entries) == size
    b.authorize("NEW1")  # the Blocked one goes first although it is not the oldest by much
    tags = [e[0] for e in b.cache.entries]
    assert "BAD" not in tags and len(tags) == size
    b.authorize("T0")  # used again: now the most recent
    b.authorize("NEW2")  # all valid: the least recently used (T1) goes
    tags = [e[0] for e in b.cache.entries]
    assert "T1" not in tags and "T0" in tags and tags[-1] == "NEW2" and len(tags) == size


# ---------------------------------------------------------------- persistence

def test_persisted_only_when_something_changed_and_loaded_after_a_restart():
    store = DiskStore()
    b = Bench(store=store)
    b.authorize("A", {"status": "Accepted", "parentIdTag": "P"})
    assert store.saves.count(auth_cache.RECORD) == 1
    b.authorize("A", {"status": "Accepted", "parentIdTag": "P"})  # same answer: no write
    assert store.saves.count(auth_cache.RECORD) == 1
    b.authorize("A", {"status": "Blocked"})
    assert store.saves.count(auth_cache.RECORD) == 2
    assert json.loads(store.load(auth_cache.RECORD)) == [["A", "Blocked", None, None]]
    b2 = Bench(store=store, LocalPreAuthorize=True)
    assert b2.cache.status("A") == "Blocked"


def test_offline_start_after_a_restart_from_the_stored_cache():
    store = DiskStore()
    b = Bench(store=store)
    b.authorize("A")
    b2 = Bench(store=store, boot=False)
    b2.offline()
    assert b2.c1.begin_session("A") and b2.c1.tx.authorized is True


def test_a_store_that_does_not_persist_is_not_written():
    store = MemoryStore()
    b = Bench(store=store)
    b.authorize("A")
    assert b.cache.status("A") == "Accepted"
    assert store.load(auth_cache.RECORD) is None


def test_a_corrupt_record_starts_empty():
    store = DiskStore()
    store.records[auth_cache.RECORD] = b"\x00not json"
    b = Bench(store=store)
    assert b.cache.entries == []
    assert any("unreadable" in line for line in b.logs)
    store.records[auth_cache.RECORD] = b'[["A", "Accepted", null, null], "junk", [1, 2]]'
    b = Bench(store=store)
    assert b.cache.entries == [["A", "Accepted", None, None]]


# ---------------------------------------------------------------- on MicroPython

MPY_CACHE = """
import json
from ocpp_cp.engine.chargepoint import ChargePoint
from ocpp_cp.engine import auth_cache
from ocpp_cp.storage import MemoryStore
from memory_cs import FakeTicks, MemoryConnection, ScriptedCentralSystem

class Disk(MemoryStore):
    persistent = True

def bench(store, boot=True):
    ticks = FakeTicks()
    conn = MemoryConnection()
    cp = ChargePoint(conn, connectors=1, ticks_ms=ticks, log=lambda m: None, store=store)
    cs = ScriptedCentralSystem(conn)
    cp.connector(1).plugged = lambda: True
    def run(n=10):
        for _ in range(n):
            cp.loop()
            cs.pump()
            ticks.advance(10)
    if boot:
        run()
    return cp, cs, conn, run

store = Disk()
cp, cs, conn, run = bench(store)
cp.config.set("LocalPreAuthorize", True)
cs.id_status["BAD"] = "Blocked"
for tag in ("GOOD", "BAD"):
    cp.authorize(tag)
    run(3)
print("@@stored", bytes(store.load(auth_cache.RECORD)).decode())
cp.connector(1).begin_session("GOOD")
run(5)
print("@@pre", cs.count("Authorize"), cs.count("StartTransaction"))
cp2, cs2, conn2, run2 = bench(store, boot=False)
conn2.connected = False
print("@@offline", cp2.connector(1).begin_session("GOOD"), cp2.connector(1).tx.authorized,
      auth_cache.get(cp2).status("BAD"))
"""


def test_the_cache_on_micropython():
    import os
    from tests.support.micropython import run_micropython
    support = os.path.join(os.path.dirname(__file__), "support")
    res = run_micropython([MPY_CACHE], extra_stage={support: "/lib"})
    res.check()
    out = {line.split(" ", 1)[0]: line.split(" ", 1)[1] for line in res.output.splitlines() if line.startswith("@@")}
    assert sorted(json.loads(out["@@stored"])) == [["BAD", "Blocked", None, None], ["GOOD", "Accepted", None, None]]
    assert out["@@pre"] == "2 1"  # no third Authorize: started on the cache's word
    assert out["@@offline"] == "True True Blocked"
