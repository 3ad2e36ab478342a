"""The in-memory test bench: a ChargePoint on a Wire (a MemoryConnection that keeps every frame
the charge point sent, with its tick), a ScriptedCentralSystem (or any subclass) and FakeTicks,
and hardware (plug, energy, power) per connector as plain dict entries the test changes.

Used by the rpc / session / auth cache / journal / configuration / status / metering /
multi-connector / unload / validation tests. The options cover what they need:

- connectors, start (FakeTicks' first value), store (default: a CountingStore), config (keys set
  on every new ChargePoint, before any loop), cs (a class or factory taking the connection);
- hw: {connector id: {"plugged": ..., "energy": ..., "power": ...}}; default every connector with
  plugged False, energy 1000 * id Wh, power 7000 + id W. A sampler is wired for each key present,
  plug / meter=False leave the plug / meter samplers out;
- boot: run 10 loops at construction and require an accepted boot (boot() does the same later and
  checks the StatusNotifications too); boot_status / boot_interval: what the Central System answers;
- ask_steps: the loops a Central System call gets before ask() looks for its answer;
  hide: the actions actions() leaves out by default.
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


class DiskStore(CountingStore):
    """A CountingStore that says it survives restarts."""
    persistent = True


class Wire(MemoryConnection):
    """A MemoryConnection that also keeps every frame the charge point sent, with its tick."""

    def __init__(self, ticks, connected=True):
        super().__init__(connected)
        self.ticks = ticks
        self.sent = []  # (ticks.now, decoded frame)

    def send(self, text):
        ok = super().send(text)
        if ok:
            self.sent.append((self.ticks.now, json.loads(text)))
        return ok

    def calls(self, action=None):
        """CALL frames [2, id, action, payload] sent so far (optionally of one action)."""
        return [f for t, f in self.sent if f[0] == 2 and (action is None or f[2] == action)]

    def call_times(self, action):
        return [t for t, f in self.sent if f[0] == 2 and f[2] == action]


def default_hw(connectors):
    return dict((i, {"plugged": False, "energy": 1000 * i, "power": 7000 + i}) for i in range(1, connectors + 1))


class Bench:
    def __init__(self, connectors=1, plug=True, meter=True, store=None, boot=True, start=1000, hw=None,
                 config=None, cs=ScriptedCentralSystem, connected=True, boot_status="Accepted",
                 boot_interval=300, ask_steps=3, hide=("StatusNotification",)):
        self.ticks = FakeTicks(start)
        self.logs = []
        self.store = store if store is not None else CountingStore()
        self.connectors = connectors
        self.hw = hw if hw is not None else default_hw(connectors)
        self.config = dict(config or {})
        self.plug, self.meter = plug, meter
        self.ask_steps = ask_steps
        self.hide = tuple(hide)
        self.cs = None
        self.cs_factory = cs
        self.restart(connected)
        self.cs.boot_status = boot_status
        self.cs.boot_interval = boot_interval
        if boot:
            self.step(10)
            assert self.cp.accepted

    def restart(self, connected=True):
        """A new connection and a new ChargePoint on the same store, hardware and Central System
        (a new process or a rebooted board); time goes on. Returns the new ChargePoint."""
        self.conn = Wire(self.ticks, connected)
        if self.cs is None:
            self.cs = self.cs_factory(self.conn)
        self.cs.conn = self.conn
        self.cp = ChargePoint(self.conn, connectors=self.connectors, ticks_ms=self.ticks, log=self.logs.append,
                              store=self.store)
        for key, value in self.config.items():
            self.cp.config.set(key, value)
        for i, hw in self.hw.items():
            c = self.cp.connector(i)
            if self.plug and "plugged" in hw:
                c.plugged = (lambda hw: lambda: hw["plugged"])(hw)
            if self.meter and "energy" in hw:
                c.meter.add(ENERGY, (lambda hw: lambda: hw["energy"])(hw))
            if self.meter and "power" in hw:
                c.meter.add(POWER, (lambda hw: lambda: hw["power"])(hw))
        return self.cp

    def boot(self):
        """For a Bench made with boot=False: 10 loops, an accepted boot, every connector (0
        included) reported once."""
        self.step(10)
        assert self.cp.accepted
        assert self.cs.count("StatusNotification") == len(self.cp.connectors)
        return self

    def c(self, i=1):
        return self.cp.connector(i)

    @property
    def c1(self):
        return self.cp.connector(1)

    def step(self, n=1, ms=10):
        for _ in range(n):
            self.cp.loop()
            self.cs.pump()
            self.ticks.advance(ms)

    def run(self, total_ms, ms=100):
        for _ in range(total_ms // ms):
            self.step(1, ms)

    def ask(self, action, payload, steps=None):
        """A Central System call: ('result', payload) or ('error', [code, text, details]) or None."""
        msg_id = self.cs.call(action, payload)
        self.step(self.ask_steps if steps is None else steps)
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

    def inject(self, frame):
        """A frame (text, or a list to encode) for the charge point to receive."""
        self.conn.inbox.append(frame if isinstance(frame, str) else json.dumps(frame))

    def actions(self, exclude=None):
        """The CP->CS actions so far, without those in exclude (default: the bench's hide)."""
        exclude = self.hide if exclude is None else exclude
        return [a for a, p in self.cs.calls if a not in exclude]

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
