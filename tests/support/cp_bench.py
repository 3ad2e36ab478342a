"""A ChargePoint on a MemoryConnection with a ScriptedCentralSystem and FakeTicks, and hardware
(plug, energy, power) per connector as plain dict entries the test changes.

Used by the configuration / status / metering / multi-connector tests.
"""
import json

from ocpp_cp.engine.chargepoint import ChargePoint
from ocpp_cp.storage import MemoryStore
from tests.support.memory_cs import FakeTicks, MemoryConnection, ScriptedCentralSystem
from tests.support.schemas import validate

ENERGY = "Energy.Active.Import.Register"
POWER = "Power.Active.Import"


class CountingStore(MemoryStore):
    """A MemoryStore that counts its writes (flash wear)."""

    def __init__(self):
        MemoryStore.__init__(self)
        self.saves = []  # record names, in write order

    def save(self, name, data):
        self.saves.append(name)
        MemoryStore.save(self, name, data)


class Bench:
    def __init__(self, connectors=1, plug=True, meter=True, store=None, boot=True, start=1000):
        self.ticks = FakeTicks(start)
        self.conn = MemoryConnection()
        self.logs = []
        self.store = store if store is not None else CountingStore()
        self.cp = ChargePoint(self.conn, connectors=connectors, ticks_ms=self.ticks, log=self.logs.append,
                              store=self.store)
        self.cs = ScriptedCentralSystem(self.conn)
        self.hw = {}
        for i in range(1, connectors + 1):
            hw = self.hw[i] = {"plugged": False, "energy": 1000 * i, "power": 7000 + i}
            c = self.cp.connector(i)
            if plug:
                c.plugged = (lambda hw: lambda: hw["plugged"])(hw)
            if meter:
                c.meter.add(ENERGY, (lambda hw: lambda: hw["energy"])(hw))
                c.meter.add(POWER, (lambda hw: lambda: hw["power"])(hw))
        if boot:
            self.step(10)
            assert self.cp.accepted

    def c(self, i=1):
        return self.cp.connector(i)

    def step(self, n=1, ms=10):
        for _ in range(n):
            self.cp.loop()
            self.cs.pump()
            self.ticks.advance(ms)

    def run(self, total_ms, ms=100):
        for _ in range(total_ms // ms):
            self.step(1, ms)

    def ask(self, action, payload, steps=3):
        """A Central System call: ('result', payload) or ('error', [code, text, details])."""
        msg_id = self.cs.call(action, payload)
        self.step(steps)
        if msg_id in self.cs.results:
            validate(action, self.cs.results[msg_id], response=True)
            return "result", self.cs.results[msg_id]
        if msg_id in self.cs.call_errors:
            return "error", self.cs.call_errors[msg_id]
        return None

    def result(self, action, payload):
        kind, answer = self.ask(action, payload)
        assert kind == "result", answer
        return answer

    def calls(self, action):
        return [p for a, p in self.cs.calls if a == action]

    def statuses(self, connector_id=1):
        return [p["status"] for p in self.calls("StatusNotification") if p["connectorId"] == connector_id]

    def check_schemas(self):
        for action, payload in self.cs.calls:
            validate(action, payload)


def record(store, name):
    data = store.load(name)
    return None if data is None else json.loads(bytes(data).decode())
