"""An in-memory connection and a scripted Central System for engine tests.

Runs on CPython and on MicroPython (the wasm tests stage this file too), so it uses only json.
"""
import json


class FakeTicks:
    """ticks_ms() under test control."""

    def __init__(self, start=1000):
        self.now = start

    def __call__(self):
        return self.now & ((1 << 29) - 1)

    def advance(self, ms):
        self.now += ms


class MemoryConnection:
    """The Connection interface (docs/architecture.md) without a network."""

    def __init__(self, connected=True):
        self.connected = connected
        self.inbox = []    # text frames for the charge point
        self.outbox = []   # text frames the charge point sent
        self.closed = False

    def poll(self):
        pass

    def receive(self):
        return self.inbox.pop(0) if self.inbox else None

    def send(self, text):
        if not self.connected:
            return False
        self.outbox.append(text)
        return True

    def close(self):
        self.closed = True
        self.connected = False


class ScriptedCentralSystem:
    """Answers the charge point's CALLs from a MemoryConnection, and records everything."""

    def __init__(self, connection, time="2026-11-21T10:00:00Z"):
        self.conn = connection
        self.time = time
        self.boot_status = "Accepted"
        self.boot_interval = 300
        self.id_status = {}          # idTag -> status; default Accepted
        self.silent = set()          # actions left unanswered
        self.errors = {}             # action -> CALLERROR code
        self.next_tx = 1
        self.calls = []              # (action, payload) of CP->CS calls, in order
        self.results = {}            # msg id -> payload of CP answers to our calls
        self.call_errors = {}        # msg id -> [code, text, details]
        self._seq = 0

    def count(self, action):
        return len([1 for a, p in self.calls if a == action])

    def last(self, action):
        for a, p in reversed(self.calls):
            if a == action:
                return p
        return None

    def call(self, action, payload):
        """Queue a CS->CP call; returns its id (answer appears in results/call_errors)."""
        self._seq += 1
        msg_id = "cs-%d" % self._seq
        self.conn.inbox.append(json.dumps([2, msg_id, action, payload]))
        return msg_id

    def pump(self):
        """Answer everything the charge point sent since the last pump."""
        out, self.conn.outbox = self.conn.outbox, []
        for text in out:
            msg = json.loads(text)
            if msg[0] == 3:
                self.results[msg[1]] = msg[2]
            elif msg[0] == 4:
                self.call_errors[msg[1]] = msg[2:]
            elif msg[0] == 2:
                action, payload = msg[2], msg[3]
                self.calls.append((action, payload))
                if action in self.silent:
                    continue
                if action in self.errors:
                    self.conn.inbox.append(json.dumps([4, msg[1], self.errors[action], "scripted", {}]))
                    continue
                self.conn.inbox.append(json.dumps([3, msg[1], self.answer(action, payload)]))

    def answer(self, action, payload):
        if action == "BootNotification":
            return {"status": self.boot_status, "interval": self.boot_interval, "currentTime": self.time}
        if action == "Heartbeat":
            return {"currentTime": self.time}
        if action == "Authorize":
            return {"idTagInfo": {"status": self.id_status.get(payload["idTag"], "Accepted")}}
        if action == "StartTransaction":
            tx_id = self.next_tx
            self.next_tx += 1
            return {"transactionId": tx_id,
                    "idTagInfo": {"status": self.id_status.get(payload["idTag"], "Accepted")}}
        if action == "StopTransaction":
            return {}
        return {}
