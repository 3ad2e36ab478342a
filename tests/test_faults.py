"""Fault injection against the dev Central System over real sockets on 127.0.0.1.

- SIGKILL of a sketch process (tools/fault_sketch.py, a file store) at each step of a session,
  then a new process on the same store;
- the socket dropped at each step (cs.disconnect(abrupt=True));
- a silent Central System; CALLERRORs; a session begun before any BootNotification answer and a
  reboot before the clock was ever set.
Each session must reach the Central System as exactly one StartTransaction and one
StopTransaction message (repeats keep their message id), with the right meterStop, in order.
Every wait is bounded; nothing asserts on timing.
"""
import functools
import json
import os
import queue
import subprocess
import sys
import threading
import time

import pytest

from ocpp_cp import OCPP_loop, beginSession, endSession, getConnectionState, getTransactionId
from ocpp_cp.engine.clock import parse_iso
from tests.support import live
from tests.support.live import Car, boot, free_port
from tools.central_system import CentralSystem

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SKETCH = os.path.join(ROOT, "tools", "fault_sketch.py")
FAST = ["MeterValueSampleInterval=1", "OcppCpMessageTimeout=3", "TransactionMessageRetryInterval=1",
        "WebSocketPingInterval=0"]


class Sketch:
    """tools/fault_sketch.py in its own process, stepped through stdin."""

    def __init__(self, url, store, meter=10000, plugged=False, settings=FAST):
        args = [sys.executable, SKETCH, url, "--store", store, "--meter", str(meter)]
        if plugged:
            args.append("--plugged")
        for item in settings:
            args += ["--set", item]
        self.proc = subprocess.Popen(args, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.lines = queue.Queue()
        self.log = []
        threading.Thread(target=self._read, daemon=True).start()
        self.expect("@@ready", 30)

    def _read(self):
        for line in self.proc.stdout:
            self.log.append(line.rstrip())
            self.lines.put(line.rstrip())

    def expect(self, prefix, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self.lines.get(timeout=max(0.01, left))
            except queue.Empty:
                line = None
            if line is not None and line.startswith(prefix):
                return line
            if left <= 0:
                raise TimeoutError("sketch: no %r within %ss; its output:\n%s" % (prefix, timeout, "\n".join(self.log[-60:])))

    def cmd(self, text):
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        self.expect("@@ok " + text.split()[0])

    def state(self):
        self.proc.stdin.write("state\n")
        self.proc.stdin.flush()
        line = self.expect("@@state ")
        self.expect("@@ok state")
        return json.loads(line[len("@@state "):])

    def wait(self, predicate, timeout=20, what="a state"):
        deadline = time.monotonic() + timeout
        while True:
            st = self.state()
            if predicate(st):
                return st
            if time.monotonic() > deadline:
                raise TimeoutError("sketch never reached %s: %s\n%s" % (what, st, "\n".join(self.log[-60:])))
            time.sleep(0.05)

    def kill(self):
        """Power cut: SIGKILL, nothing gets to run."""
        self.proc.kill()
        self.proc.wait(10)

    def quit(self):
        try:
            self.cmd("quit")
            self.proc.wait(10)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(10)


def sessions(cs, cp_id):
    """idTag -> {"start": {msg ids}, "stop": {msg ids}, "stops": [payloads], "starts": [payloads]}
    from the Central System's log; idTags are unique per session in these tests."""
    msgs = [m for m in cs.messages if m["cp_id"] == cp_id]
    answers = {}
    for m in msgs:
        if m["dir"] == "cs->cp" and m["type"] == 3 and m["action"] == "StartTransaction":
            answers.setdefault(m["id"], []).append(m["payload"]["transactionId"])
    out, tag_of = {}, {}
    order = []
    for m in msgs:
        if m["dir"] != "cp->cs" or m["type"] != 2:
            continue
        p = m["payload"]
        if m["action"] == "StartTransaction":
            s = out.setdefault(p["idTag"], {"start": set(), "stop": set(), "stops": [], "starts": []})
            s["start"].add(m["id"])
            s["starts"].append(p)
            for tx_id in answers.get(m["id"], ()):
                tag_of[tx_id] = p["idTag"]
            order.append(("start", p["idTag"]))
    for m in msgs:
        if m["dir"] == "cp->cs" and m["type"] == 2 and m["action"] == "StopTransaction":
            tag = tag_of[m["payload"]["transactionId"]]
            out[tag]["stop"].add(m["id"])
            out[tag]["stops"].append(m["payload"])
    return out


def check_once(cs, cp_id, tag, meter_stop, reason):
    s = sessions(cs, cp_id)[tag]
    assert len(s["start"]) == 1 and len(s["stop"]) == 1, (s, cs.dump(cp_id))
    stop = s["stops"][-1]
    assert stop["meterStop"] == meter_stop and stop["reason"] == reason, stop
    starts = [i for i, m in enumerate(cs.messages) if m["action"] == "StartTransaction" and m["type"] == 2
              and m["payload"]["idTag"] == tag]
    stops = [i for i, m in enumerate(cs.messages) if m["action"] == "StopTransaction" and m["type"] == 2
             and m["id"] in s["stop"]]
    assert max(starts) < min(stops) or min(starts) < min(stops)
    return s


# ---------------------------------------------------------------- SIGKILL at each step

@pytest.mark.parametrize("step", ["after_authorize", "start_sent", "charging", "stop_sent"])
def test_sigkill_at_each_step_then_restart_on_the_same_store(central_system, tmp_path, step):
    cs = central_system
    cp_id = "CP_K_" + step
    url, store = cs.url(cp_id), str(tmp_path / "store")
    sk = Sketch(url, store)
    try:
        sk.wait(lambda st: st["accepted"], what="boot accepted")
        if step == "after_authorize":
            sk.cmd("begin K1")                        # card, no car yet
            cs.wait_for("Authorize", cp_id=cp_id)
            sk.wait(lambda st: st["status"] == "Preparing")
            sk.kill()
            sk = Sketch(url, store)
            sk.wait(lambda st: st["accepted"] and not st["session"])
            sk.cmd("plug")
            sk.cmd("begin K2")
            sk.wait(lambda st: st["transactionId"] > 0)
            sk.cmd("meter 10500")
            sk.cmd("end")
            sk.wait(lambda st: st["unfinished"] == 0)
            assert "K1" not in sessions(cs, cp_id)
            check_once(cs, cp_id, "K2", 10500, "Local")
            return
        sk.cmd("plug")
        if step == "start_sent":
            cs.silent_actions.add("StartTransaction")
            sk.cmd("begin K1")
            cs.wait_for("StartTransaction", cp_id=cp_id)
            sk.kill()
            cs.silent_actions.discard("StartTransaction")
            sk = Sketch(url, store, meter=10300, plugged=True)
            expect = (10300, "PowerLoss")
        elif step == "charging":
            sk.cmd("begin K1")
            sk.wait(lambda st: st["transactionId"] > 0)
            sk.cmd("meter 10200")
            cs._wait(lambda: True if any(m["meterValue"][0]["sampledValue"][0]["value"] == "10200"
                                         for m in cs.calls("MeterValues", cp_id)) else None, 10, None, "10200")
            sk.kill()
            sk = Sketch(url, store, meter=10250, plugged=True)  # the meter kept its register
            expect = (10250, "PowerLoss")
        else:
            sk.cmd("begin K1")
            sk.wait(lambda st: st["transactionId"] > 0)
            sk.cmd("meter 10400")
            cs.silent_actions.add("StopTransaction")
            sk.cmd("end")
            cs.wait_for("StopTransaction", cp_id=cp_id)
            sk.kill()
            cs.silent_actions.discard("StopTransaction")
            sk = Sketch(url, store, meter=10400, plugged=True)
            expect = (10400, "Local")
        sk.wait(lambda st: st["accepted"] and st["unfinished"] == 0, what="everything delivered")
        s = check_once(cs, cp_id, "K1", *expect)
        assert s["starts"][0]["meterStart"] == 10000
        if step in ("start_sent", "stop_sent"):  # the repeat after the restart kept its message id
            action = "StartTransaction" if step == "start_sent" else "StopTransaction"
            ids = [m["id"] for m in cs.messages if m["action"] == action and m["type"] == 2 and m["cp_id"] == cp_id]
            assert len(ids) == 2 and ids[0] == ids[1]
        # and the charger goes on: a normal session after the restart
        sk.cmd("begin K9")
        sk.wait(lambda st: st["transactionId"] > 0)
        sk.cmd("meter 11000")
        sk.cmd("end")
        sk.wait(lambda st: st["unfinished"] == 0)
        check_once(cs, cp_id, "K9", 11000, "Local")
    finally:
        sk.quit()


# ---------------------------------------------------------------- in-process: real sockets

loop_until = functools.partial(live.loop_until, timeout=15, what="condition")


def start_cp(cs, cp_id, logs, **config):
    car = Car(20000, plugged=True)
    cp = boot(cs, cp_id, logs, model="faults", wait_for_boot=False, timeout=15, setup=car.wire,
              config=dict({"MeterValueSampleInterval": 1, "OcppCpMessageTimeout": 3,
                           "TransactionMessageRetryInterval": 1}, **config))
    return cp, car


@pytest.mark.parametrize("step", ["authorize_sent", "start_sent", "charging", "stop_sent"])
def test_socket_dropped_at_each_step(central_system, sketch, step):
    cs = central_system
    cp_id = "CP_D_" + step
    cp, car = start_cp(cs, cp_id, sketch)

    def drop():
        cs.disconnect(cp_id, abrupt=True)
        cs.wait_disconnected(cp_id, pump=OCPP_loop)
    silent = {"authorize_sent": "Authorize", "start_sent": "StartTransaction",
              "stop_sent": "StopTransaction"}.get(step)
    if silent:
        cs.silent_actions.add(silent)
    beginSession("D1")
    if step != "stop_sent":
        cs.wait_for(silent or "StartTransaction", cp_id=cp_id, pump=OCPP_loop)
        if step == "charging":
            loop_until(lambda: getTransactionId() > 0)
            car.wh += 100
            cs.wait_for("MeterValues", cp_id=cp_id, pump=OCPP_loop)
        cs.silent_actions.discard(silent)
        drop()
        loop_until(lambda: getTransactionId() > 0, what="transaction id after the reconnect")
        car.wh += 300
        endSession()
    else:
        loop_until(lambda: getTransactionId() > 0)
        car.wh += 300
        endSession()
        cs.wait_for("StopTransaction", cp_id=cp_id, pump=OCPP_loop)
        cs.silent_actions.discard(silent)
        drop()
    loop_until(lambda: cp.journal.txs == [] and cp.connection_state == "connected", what="delivered")
    check_once(cs, cp_id, "D1", car.wh, "Local")
    assert len(cs.calls("BootNotification", cp_id)) == 1
    assert [e["event"] for e in cs.events if e["cp_id"] == cp_id].count("connected") == 2


def test_silent_central_system_connection_is_remade(central_system, sketch):
    cs = central_system
    cp_id = "CP_S"
    cp, car = start_cp(cs, cp_id, sketch, OcppCpMessageTimeout=1, WebSocketPingInterval=0)
    cs.silent_actions.update(("StartTransaction", "MeterValues"))
    beginSession("S1")
    states = set()

    def reconnected():
        states.add(getConnectionState())
        return [e["event"] for e in cs.events if e["cp_id"] == cp_id].count("connected") >= 2
    loop_until(reconnected, what="the charger remaking a silent connection")
    assert "offline" in states
    assert any("silent" in line for line in sketch)
    cs.silent_actions.clear()
    loop_until(lambda: getTransactionId() > 0)
    endSession()
    loop_until(lambda: cp.journal.txs == [])
    check_once(cs, cp_id, "S1", car.wh, "Local")


def test_callerrors_are_retried_with_new_ids_then_delivered_once(central_system, sketch):
    cs = central_system
    cp_id = "CP_E"
    cp, car = start_cp(cs, cp_id, sketch, TransactionMessageAttempts=3)
    cs.error_actions["StartTransaction"] = ("InternalError", "try again")
    beginSession("E1")
    cs.wait_for("StartTransaction", count=2, cp_id=cp_id, pump=OCPP_loop)
    del cs.error_actions["StartTransaction"]
    loop_until(lambda: getTransactionId() > 0)
    ids = [m["id"] for m in cs.messages if m["action"] == "StartTransaction" and m["type"] == 2]
    assert ids == [ids[0], ids[0] + ".1", ids[0] + ".2"]
    answered = [m for m in cs.messages if m["action"] == "StartTransaction" and m["type"] == 3]
    assert len(answered) == 1 and len(cs.transactions) == 1
    # a StopTransaction refused more often than TransactionMessageAttempts is given up, logged
    cs.error_actions["StopTransaction"] = ("InternalError", "no")
    endSession()
    loop_until(lambda: cp.journal.txs == [], what="given up")
    assert len([m for m in cs.messages if m["action"] == "StopTransaction" and m["type"] == 2]) == 3
    assert any("dropped after 3 attempts" in line for line in sketch)


def test_session_before_any_boot_answer_and_reboot_before_clock_sync(tmp_path):
    port = free_port()
    url = "ws://127.0.0.1:%d/ocpp/CP_B" % port
    store = str(tmp_path / "store")
    began = time.time()
    sk = Sketch(url, store, meter=500, plugged=True)   # no Central System there yet
    try:
        sk.cmd("start B1")                              # a card the sketch trusts: no Authorize
        st = sk.wait(lambda st: st["permits"], what="charging offline")
        assert st["connection"] == "offline" and not st["synced"] and not st["accepted"]
        sk.cmd("meter 800")
        time.sleep(1.5)
        sk.kill()                                       # power cut: the time was never known
        sk = Sketch(url, store, meter=900, plugged=True)
        time.sleep(1)
        with CentralSystem(port=port, log=None) as cs:  # the Central System comes back
            sk.wait(lambda st: st["accepted"] and st["unfinished"] == 0, timeout=30, what="delivered")
            s = check_once(cs, "CP_B", "B1", 900, "PowerLoss")
            now = time.time()
            t_start = parse_iso(s["starts"][0]["timestamp"])
            t_stop = parse_iso(s["stops"][0]["timestamp"])
            assert began - 5 <= t_start <= t_stop <= now + 5, (began, t_start, t_stop, now)
            statuses = cs.calls("StatusNotification", "CP_B")
            assert all(parse_iso(p["timestamp"]) > began - 5 for p in statuses if "timestamp" in p)
            from tests.support.schemas import validate_cp_messages
            validate_cp_messages(cs.messages)
    finally:
        sk.quit()


def test_ping_watchdog_keeps_a_healthy_connection(central_system, sketch):
    cs = central_system
    cp, car = start_cp(cs, "CP_P", sketch, WebSocketPingInterval=1)
    deadline = time.monotonic() + 3.5       # > 2 x the interval, with pongs coming back
    while time.monotonic() < deadline:
        OCPP_loop()
        time.sleep(0.005)
    assert cp.connection.pong_ms is not None
    assert getConnectionState() == "connected"
    assert [e["event"] for e in cs.events if e["cp_id"] == "CP_P"] == ["connected"]
