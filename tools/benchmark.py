"""Footprint and speed of ocpp_cp: one table, also written to docs/benchmarks.md.

    python3 tools/benchmark.py [--output docs/benchmarks.md] [--no-write] [--quick]

Dev-only (CPython 3.11+, Node.js, mpy-cross-v6.3, ocpp, websockets); never copied to a device,
not part of the timed test suite. Takes about a minute. It measures:

1. .mpy size per module (mpy-cross-v6.3), split into the core a Core-profile charger imports
   and everything under ocpp_cp/ (boards and code.py listed apart).
2. MicroPython heap on the wasm runtime (MicroPython 1.27 under Node): kept after importing the
   core, and the peak during a full Core session through the facade against the in-memory
   scripted Central System, from .mpy and from .py (see HOW_HEAP below).
3. CPU per message on CPython: Authorize and MeterValues round trips, ocpp_cp's engine against
   mobilityhouse `ocpp` (the ChargePoint client side), in memory and over a loopback websocket
   to one canned responder.
4. The idle cost of one OCPP_loop() call, and how many loop calls a Central System CALL that has
   arrived needs before its answer is sent.

tests/test_footprint.py imports mpy_figures() and heap_figures() from here and fails when a
footprint figure grows more than 10 % over the JSON block recorded in docs/benchmarks.md.
"""
import argparse
import asyncio
import datetime
import json
import os
import platform
import re
import select
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in [os.path.abspath(p or os.curdir) for p in sys.path]:
    sys.path.append(str(ROOT))  # appended: the project's code.py must not shadow stdlib `code`

from tools.mpy_sizes import mpy_cross_version, mpy_sizes  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
SUPPORT = ROOT / "tests" / "support"
KB = 1024

# The operations a Core-profile charger loads in normal operation (ops are imported lazily on
# first use). The session below loads all of them except heartbeat (it never goes quiet long
# enough); a charger running for a day does.
CORE_OPS = ("authorize", "boot_notification", "heartbeat", "meter_values", "start_transaction",
            "status_notification", "stop_transaction")

# Budgets (targets) from the issue "Footprint and speed". KB = 1024 bytes.
BUDGETS = {
    "mpy_core_bytes": 30 * KB,
    "mpy_all_bytes": 60 * KB,
    "heap_peak_mpy": 32 * KB,
    "heap_all_peak_mpy": 64 * KB,
    "speed_ratio_min": 20.0,
    "idle_loop_us": 20.0,
}

# Footprint figures tests/test_footprint.py recomputes and holds to +10 %.
FOOTPRINT_KEYS = (
    "mpy_core_bytes", "mpy_all_bytes", "mpy_boards_bytes",
    "heap_import_mpy", "heap_import_py", "heap_idle_mpy", "heap_idle_py",
    "heap_peak_mpy", "heap_peak_py", "heap_peak_alloc_mpy", "heap_peak_alloc_py",
    "heap_all_import_mpy", "heap_all_import_py", "heap_all_peak_mpy", "heap_all_peak_py",
    "heap_driver_objects_mpy",
)

ANCHORS = ("MicroOcpp (C++, ESP32): heap 12.3 KB idle / 21.9 KB peak, 121-150 KB flash. "
           "mobilityhouse ocpp (CPython, asyncio, jsonschema) cannot run on a device.")


# ---------------------------------------------------------------------------------------------
# 1. .mpy sizes


def module_groups(names, loaded):
    """Split module names into (core, everything in ocpp_cp, boards, sketch).

    loaded: the ocpp_cp modules in sys.modules after the Core session on MicroPython (the
    imports of OCPP_initialize, transport/* included). Core = those + the CORE_OPS.
    """
    lib = sorted(n for n in names if n == "ocpp_cp" or n.startswith("ocpp_cp."))
    wanted = set(loaded) | set("ocpp_cp.ops." + op for op in CORE_OPS)
    core = [n for n in lib if n in wanted]
    boards = sorted(n for n in names if n == "boards" or n.startswith("boards."))
    sketch = sorted(n for n in names if n == "code")
    return core, lib, boards, sketch


def core_loaded_modules():
    """The ocpp_cp modules a Core session has loaded on MicroPython (one wasm run)."""
    return heap_run(True)["modules_loaded"]


def mpy_figures(loaded=None):
    """.mpy sizes (mpy-cross-v6.3): per module and the totals recorded in docs/benchmarks.md.

    loaded: core_loaded_modules() (computed when not given)."""
    if loaded is None:
        loaded = core_loaded_modules()
    sizes = mpy_sizes(["ocpp_cp", "boards", "code.py"])
    core, lib, boards, sketch = module_groups(sizes, loaded)
    total = lambda names: sum(sizes[n][1] for n in names)  # noqa: E731
    return {
        "modules": {n: {"py": sizes[n][0], "mpy": sizes[n][1]} for n in sorted(sizes)},
        "core_modules": core,
        "all_modules": lib,
        "board_modules": boards,
        "mpy_core_bytes": total(core),
        "mpy_all_bytes": total(lib),
        "mpy_boards_bytes": total(boards),
        "mpy_code_bytes": total(sketch),
        "py_core_bytes": sum(sizes[n][0] for n in core),
        "py_all_bytes": sum(sizes[n][0] for n in lib),
    }


def dependency_mpy_sizes():
    """.mpy size of the Adafruit libraries ocpp_cp needs on a device (not in the totals)."""
    from tests.support.micropython import compile_mpy_bytes

    out = {}
    for name in ("adafruit_ticks", "adafruit_connection_manager"):
        try:
            mod = __import__(name)
            out[name] = len(compile_mpy_bytes(mod.__file__))
        except Exception:  # noqa: BLE001 - informative only
            out[name] = None
    return out


# ---------------------------------------------------------------------------------------------
# 2. MicroPython heap (wasm)

HOW_HEAP = """\
Each run is one MicroPython 1.27 process (wasm port, 32-bit, 1 MiB initial GC heap, never
grown) driven by tests/support/micropython.py: a list of steps run as separate top-level calls
in one namespace; after each step tests/mpy/run_mpy.mjs runs a real gc.collect() and records
gc.mem_alloc(), the live heap. Steps: (1) `import gc, sys` (the zero point); (2) `import
memory_cs` (tests/support/memory_cs.py, scaffolding); (3) the library imports: core =
`import ocpp_cp`, `ocpp_cp.transport.url`, `ocpp_cp.transport.driver` (what OCPP_initialize
imports on a device; the driver imports here because it loads adafruit_connection_manager only
on the first connect), everything = every module of ocpp_cp/; (4) the scaffolding objects
(MemoryConnection, ScriptedCentralSystem, FakeTicks, counters, every global name the session
uses); (5) the session through the facade, one step per OCPP_loop() call and one per Central
System pump, so the heap is collected and read between any two loop calls, like a device that
collects when its heap is full. The **peak** is the largest of those readings. Each loop step
also reads gc.mem_alloc() before and after its OCPP_loop() call; that difference (everything
the call allocated, garbage included) plus the live heap before it is what one loop call needs
if nothing is collected inside it: an upper bound of the instantaneous peak ("alloc'd in one
loop call"). Every figure is a reading minus the heap after step (4) plus the import figure of
step (3): the scaffolding of steps (2) and (4) is measured (details below) and subtracted. The
Central System's record of calls and answers is tallied and emptied at every pump, so it does
not grow. Included: the sketch's sampler lambdas, the message texts waiting in
MemoryConnection's inbox/outbox (the real driver holds those too) and adafruit_ticks (~1.2 KB,
imported by the engine). Not included: the real driver's objects (WebSocketConnection with its
1 KiB receive buffer and a WebSocketClient, measured apart as "driver objects"), the firmware's
socket and TLS buffers, and adafruit_connection_manager, which the driver imports on the first
connect and which does not import on this MicroPython build (it needs `typing` outside
CircuitPython). Interned strings (qstrs) are allocated in pool chunks; a chunk is charged to the
step that needed it. Why not `await asyncio.sleep(0)` inside one long step: on this port every
await keeps about 16 B alive in the JS proxy table (400 awaits kept 20.9 KB), which would be
charged to the charger; step boundaries keep nothing (300 steps: 0 B). CircuitPython has the
same object model; its figures will be close, not identical."""

_STEP_TOOLING = "import gc, sys\n"

_STEP_MEMORY_CS = "import memory_cs\n"

_STEP_SCAFFOLD = """
from ocpp_cp import *
from memory_cs import FakeTicks, MemoryConnection, ScriptedCentralSystem
ticks = FakeTicks()
conn = MemoryConnection()
cs = ScriptedCentralSystem(conn)
energy = [50000]
plugged = [False]
cp = None
_a = 0
pres = [0] * %(loops)d   # per loop call: bytes allocated during it (garbage included)
counts = {}
for _k in ("BootNotification", "StatusNotification", "Authorize", "StartTransaction",
           "MeterValues", "StopTransaction", "Heartbeat", "answers", "errors"):
    counts[_k] = 0
_k = None


def sink(msg):
    pass


def tally():
    for a, p in cs.calls:
        counts[a] += 1
    del cs.calls[:]
    counts["answers"] += len(cs.results)
    counts["errors"] += len(cs.call_errors)
    cs.results.clear()
    cs.call_errors.clear()
"""

_LOOP = "_a = gc.mem_alloc()\nOCPP_loop()\npres[%d] = gc.mem_alloc() - _a\n"
_PUMP = "cs.pump()\ntally()\n"

_BOOT = """
cp = OCPP_initialize("ws://127.0.0.1:9000/ocpp/mpy-1", connection=conn, log=sink)
cp.ticks_ms = ticks
cp.clock.ticks_ms = ticks
cp.last_sent = ticks()
setEnergyActiveImportSampler(lambda: energy[0])
setPowerActiveImportSampler(lambda: 11000)
setConnectorPluggedSampler(lambda: plugged[0])
bootNotification("wasm", "ocpp_cp")
"""

_SET_CHARGING_PROFILE = """cs.call("SetChargingProfile", {"connectorId": 1, "csChargingProfiles": {
    "chargingProfileId": 1, "stackLevel": 0, "chargingProfilePurpose": "TxProfile",
    "chargingProfileKind": "Absolute", "transactionId": 1, "chargingSchedule": {
        "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]}}})
"""

_STEP_RESULTS = """
import json
from ocpp_cp.transport.driver import WebSocketConnection
from ocpp_cp.transport.websocket import WebSocketClient
print("@@bench " + json.dumps({
    "pres": pres, "counts": counts,
    "modules": sorted([m for m in sys.modules if m.startswith("ocpp_cp")]),
    "version": sys.version,
}))
"""

_STEP_DRIVER = """
drv = WebSocketConnection("ws://127.0.0.1:9000/ocpp/mpy-1", log=sink)
wsc = WebSocketClient("127.0.0.1", 9000, "/ocpp/mpy-1")
"""


class _Session:
    """The session as wasm steps: (phase, role, source); role "loop", "pump" or "do"."""

    def __init__(self):
        self.steps = []
        self.loops = 0
        self.idle_step = None

    def do(self, phase, source):
        self.steps.append((phase, "do", source))

    def run(self, phase, n=4, advance=10):
        for _ in range(n):
            self.steps.append((phase, "loop", _LOOP % self.loops))
            self.loops += 1
            self.steps.append((phase, "pump", _PUMP + "ticks.advance(%d)\n" % advance))

    def mark_idle(self):
        self.idle_step = len(self.steps) - 1


def _boot(s):
    s.do("boot", _BOOT)
    s.run("boot")
    s.do("boot", "assert cp.accepted\n")
    s.mark_idle()


def _charge(s, n=10):
    for _ in range(n):
        s.do("charging", "ticks.advance(10000)\nenergy[0] += 25\n")
        s.run("charging")


def core_session():
    """boot -> Authorize -> StartTransaction -> 10 MeterValues -> StopTransaction (as
    tests/test_micropython_session.py)."""
    s = _Session()
    _boot(s)
    s.do("authorize/start", 'cp.config.change("MeterValueSampleInterval", "10")\nplugged[0] = True\n')
    s.run("authorize/start")
    s.do("authorize/start", 'beginSession("TAG-MPY")\n')
    s.run("authorize/start", 6)
    s.do("charging", "assert ocppPermitsCharge() and getTransactionId() == 1\n")
    _charge(s)
    s.do("stop", "endSession()\n")
    s.run("stop", 6)
    s.do("stop", "assert not ocppPermitsCharge()\nplugged[0] = False\n")
    s.run("stop")
    s.do("stop", 'assert getConnectorStatus() == "Available"\n'
                 'assert counts["MeterValues"] == 10 and counts["StopTransaction"] == 1, counts\n')
    return s


def everything_session():
    """The same session started and stopped remotely, with every call a Central System can make."""
    s = _Session()
    _boot(s)
    s.do("configuration", "setOnSetChargingProfileRequest(lambda p: None)\n"
                          "setOnResetExecute(lambda hard: None)\n"
                          'cs.call("GetConfiguration", {})\n'
                          'cs.call("ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "10"})\n'
                          'cs.call("ChangeConfiguration", {"key": "AuthorizeRemoteTxRequests", "value": "true"})\n'
                          "plugged[0] = True\n")
    s.run("configuration")
    s.do("remote start", 'cs.call("RemoteStartTransaction", {"idTag": "TAG-MPY", "connectorId": 1})\n')
    s.run("remote start", 6)
    s.do("charging", "assert ocppPermitsCharge() and getTransactionId() == 1\n")
    _charge(s)
    s.do("central system calls", _SET_CHARGING_PROFILE + 'cs.call("DataTransfer", {"vendorId": "bench"})\n'
         'cs.call("GetConfiguration", {"key": ["HeartbeatInterval", "NoSuchKey"]})\n')
    s.run("central system calls")
    s.do("remote stop", 'cs.call("RemoteStopTransaction", {"transactionId": 1})\n')
    s.run("remote stop", 6)
    s.do("remote stop", "assert not ocppPermitsCharge()\nplugged[0] = False\n")
    s.run("remote stop")
    s.do("heartbeat", "ticks.advance(301000)\n")
    s.run("heartbeat")
    s.do("reset", 'cs.call("Reset", {"type": "Soft"})\n')
    s.run("reset")
    s.do("reset", 'assert counts["Heartbeat"] >= 1 and counts["answers"] + counts["errors"] == 9, counts\n')
    return s


def _import_step(modules):
    return "".join("import %s\n" % m for m in modules)


def heap_run(mpy, everything=False):
    """One wasm run of a session; returns its heap figures (bytes) and what it loaded."""
    from tests.support.micropython import library_modules, run_micropython

    if everything:
        imports, session = library_modules(), everything_session()
    else:
        imports, session = ["ocpp_cp", "ocpp_cp.transport.url", "ocpp_cp.transport.driver"], core_session()
    head = [_STEP_TOOLING, _STEP_MEMORY_CS, _import_step(imports), _STEP_SCAFFOLD % {"loops": session.loops}]
    steps = head + [src for _, _, src in session.steps] + [_STEP_RESULTS, _STEP_DRIVER]
    res = run_micropython(steps, mpy=mpy, extra_stage={str(SUPPORT): "/lib"})
    res.check()
    info = None
    for line in res.output_lines:
        if line.startswith("@@bench "):
            info = json.loads(line[8:])
    a = res.allocs  # a[0] baseline, a[i] after step i (1-based)
    tooling, support, imported, scaffold = a[1], a[2], a[3], a[4]
    imp = imported - support
    first = len(head) + 1  # a[first + j] = after session step j
    live = [a[first + j] for j in range(len(session.steps))]
    peak_j = max(range(len(live)), key=lambda j: live[j])
    alloc_best, alloc_j, k = 0, 0, 0
    for j, (phase, role, _) in enumerate(session.steps):
        if role == "loop":
            before = a[first + j - 1]
            if before + info["pres"][k] > alloc_best:
                alloc_best, alloc_j = before + info["pres"][k], j
            k += 1
    end = first + len(session.steps)
    return {
        "baseline": a[0],
        "tooling": tooling - a[0],
        "memory_cs_module": support - tooling,
        "scaffolding": support - tooling + scaffold - imported,
        "import": imp,
        "idle": live[session.idle_step] - scaffold + imp,
        "peak": live[peak_j] - scaffold + imp,
        "peak_alloc": alloc_best - scaffold + imp,
        "after_session": live[-1] - scaffold + imp,
        "driver_objects": a[end + 1] - a[end],
        "peak_at": session.steps[peak_j][0],
        "peak_alloc_at": session.steps[alloc_j][0],
        "loop_calls": session.loops,
        "gc_total": res.heap_records[-1]["total"],
        "counts": info["counts"],
        "modules_loaded": info["modules"],
        "micropython": info["version"].split("; ")[-1],  # "3.4.0; MicroPython v1.27.0 on ..."
    }


_IMPORT_ORDER = r"""
import builtins, sys
sys.path.append(%r)
order = []
real = builtins.__import__
def hook(name, globals=None, locals=None, fromlist=(), level=0):
    mod = real(name, globals, locals, fromlist, level)
    for n, m in list(sys.modules.items()):
        if (n == "adafruit_ticks" or n.startswith("ocpp_cp")) and n not in order \
                and not getattr(getattr(m, "__spec__", None), "_initializing", False):
            order.append(n)  # its own imports are done
    return mod
builtins.__import__ = hook
for name in sys.argv[1:]:
    __import__(name)
print(" ".join(order))
"""


def import_heap_breakdown(modules):
    """Heap kept by each module's import on MicroPython (.mpy), dependencies first.

    The import order comes from CPython (a module is listed once its own imports are done);
    ocpp_cp/__init__ is replaced by an empty file so that each module is charged on its own.
    Returns [(module, bytes)]."""
    import tempfile

    from tests.support.micropython import run_micropython

    out = subprocess.run([sys.executable, "-c", _IMPORT_ORDER % str(ROOT)] + list(modules),
                         capture_output=True, text=True, cwd=str(ROOT), check=True).stdout.split()
    order = [m for m in out if m != "ocpp_cp"]
    with tempfile.TemporaryDirectory(prefix="ocpp-stub-") as stub:
        os.makedirs(os.path.join(stub, "ocpp_cp"))
        open(os.path.join(stub, "ocpp_cp", "__init__.py"), "w").close()
        res = run_micropython([_STEP_TOOLING] + ["import %s\n" % m for m in order], mpy=True,
                              extra_stage={stub: "/lib"})
    res.check()
    a = res.allocs
    return [(m, a[i + 2] - a[i + 1]) for i, m in enumerate(order)]


def heap_figures():
    """The MicroPython heap figures recorded in docs/benchmarks.md (four wasm runs)."""
    runs = {}
    for everything in (False, True):
        for mpy in (True, False):
            runs[("all" if everything else "core", "mpy" if mpy else "py")] = heap_run(mpy, everything)
    fig = {"runs": {"%s_%s" % k: v for k, v in runs.items()}}
    for form in ("mpy", "py"):
        core, every = runs[("core", form)], runs[("all", form)]
        fig["heap_import_" + form] = core["import"]
        fig["heap_idle_" + form] = core["idle"]
        fig["heap_peak_" + form] = core["peak"]
        fig["heap_peak_alloc_" + form] = core["peak_alloc"]
        fig["heap_all_import_" + form] = every["import"]
        fig["heap_all_peak_" + form] = every["peak"]
    fig["heap_driver_objects_mpy"] = runs[("core", "mpy")]["driver_objects"]
    fig["heap_scaffolding_mpy"] = runs[("core", "mpy")]["scaffolding"]
    fig["micropython"] = runs[("core", "mpy")]["micropython"]
    fig["core_loaded"] = runs[("core", "mpy")]["modules_loaded"]
    return fig


# ---------------------------------------------------------------------------------------------
# 3. and 4. CPython: the canned responder, both charge points, the idle loop

CANNED = {
    "BootNotification": '{"status":"Accepted","currentTime":"2026-11-21T10:00:00Z","interval":86400}',
    "Heartbeat": '{"currentTime":"2026-11-21T10:00:00Z"}',
    "Authorize": '{"idTagInfo":{"status":"Accepted"}}',
    "StartTransaction": '{"transactionId":1,"idTagInfo":{"status":"Accepted"}}',
    "DataTransfer": '{"status":"Accepted"}',
}
KINDS = ("Authorize", "MeterValues")
ID_TAG = "BENCH-TAG"


def answer(text):
    """The canned CALLRESULT for a CALL '[2,"id","Action",{...}]' (compact JSON, as both send)."""
    parts = text.split('"', 4)
    return '[3,"%s",%s]' % (parts[1], CANNED.get(parts[3], "{}"))


def _sink(*args):
    pass


# ---- ocpp_cp ----

def _cp_idle(cp):
    return cp.rpc.in_flight is None and not cp.rpc.queue


def _spin(cp, cond, timeout_s=10.0):
    deadline = time.monotonic() + timeout_s
    while not cond():
        cp.loop()
        if time.monotonic() > deadline:
            raise RuntimeError("ocpp_cp did not get there in %.0f s (last error: %s)"
                               % (timeout_s, getattr(cp.connection, "last_error", None)))


class _CpBench:
    """ocpp_cp's engine (ChargePoint object API) on a connection; run(kind, n) -> seconds.

    Authorize: cp.authorize(idTag, on_conf). MeterValues: ops.meter_values.send_sample(), the
    path the periodic sample takes, in the transaction (transactionId 1) started by setup.
    """

    def __init__(self, conn, respond=None):
        from ocpp_cp.engine.chargepoint import ChargePoint
        from ocpp_cp.ops import meter_values

        self.conn = conn
        self.respond = respond
        cp = self.cp = ChargePoint(conn, log=_sink)
        cp.boot_notification("bench", "ocpp_cp")
        connector = cp.connector(1)
        connector.meter.add("Energy.Active.Import.Register", lambda: 50000)
        connector.meter.add("Power.Active.Import", lambda: 11000)
        cp.config.set("MeterValueSampleInterval", 0)  # no periodic samples: we send them
        self.settle()
        self.confs = 0

        def on_conf(payload):
            self.confs += 1
        self.send = {
            "Authorize": lambda: cp.authorize(ID_TAG, on_conf),
            "MeterValues": lambda: meter_values.send_sample(cp, connector, "Sample.Periodic"),
        }

    def settle(self):
        """Loop (answering, in memory) until booted, statuses confirmed, nothing pending."""
        cp = self.cp
        deadline = time.monotonic() + 10
        while not (cp.accepted and _cp_idle(cp) and all(c.reported == c.status for c in cp.connectors)):
            cp.loop()
            if self.respond is not None:
                self.respond()
            if time.monotonic() > deadline:
                raise RuntimeError("ocpp_cp did not settle (last error: %s)"
                                   % getattr(self.conn, "last_error", None))

    def start_transaction(self):
        connector = self.cp.connector(1)
        connector.begin_session(ID_TAG, authorized=True)
        self.cp.loop()
        self.settle()
        tx = connector.running()
        if tx is None or tx.transaction_id != 1:
            raise RuntimeError("ocpp_cp: the benchmark transaction did not start")


class CpMemory(_CpBench):
    """MemoryConnection; a function answers every queued CALL between two loop calls."""

    def __init__(self):
        from tests.support.memory_cs import MemoryConnection

        conn = MemoryConnection()
        inbox, outbox = conn.inbox, conn.outbox

        def respond():
            for text in outbox:
                inbox.append(answer(text))
            outbox.clear()
        super().__init__(conn, respond)
        self.start_transaction()

    def run(self, kind, n):
        send_one, loop, respond = self.send[kind], self.cp.loop, self.respond
        confs = self.confs
        t0 = time.perf_counter()
        for _ in range(n):
            send_one()
            loop()       # handles the previous answer, sends this CALL
            respond()
        loop()           # handles the last answer
        dt = time.perf_counter() - t0
        if not _cp_idle(self.cp) or (kind == "Authorize" and self.confs - confs != n):
            raise RuntimeError("ocpp_cp: %d answers for %d calls" % (self.confs - confs, n))
        return dt

    def answer_call_us(self, n, repeats):
        """us for the loop() call that answers a Central System CALL (GetConfiguration, one key)
        waiting in the inbox: the engine's work without a socket (median of `repeats` runs)."""
        text = '[2,"cs-1","GetConfiguration",{"key":["HeartbeatInterval"]}]'
        inbox, outbox, loop = self.conn.inbox, self.conn.outbox, self.cp.loop
        per_call = []
        for r in range(repeats + 1):
            t0 = time.perf_counter()
            for _ in range(n):
                inbox.append(text)
                loop()
            dt = time.perf_counter() - t0
            if len(outbox) != n or not outbox[-1].startswith('[3,"cs-1",'):
                raise RuntimeError("ocpp_cp did not answer every CALL: %r" % outbox[-1:])
            outbox.clear()
            if r:
                per_call.append(dt / n * 1e6)
        return statistics.median(per_call)

    def close(self):
        pass


class CpLoopback(_CpBench):
    """The real socket driver (WebSocketConnection); loop() is spun until the answer is handled."""

    def __init__(self, url):
        from ocpp_cp.transport.driver import WebSocketConnection

        conn = WebSocketConnection(url, log=None)
        self.sent = 0
        self.answer_sent = None
        real_send = conn.send

        def counting_send(text):
            self.sent += 1
            if self.answer_sent is None and text.startswith(('[3,"cs-', '[4,"cs-')):
                self.answer_sent = text
            return real_send(text)
        conn.send = counting_send
        super().__init__(conn)

    def idle_us(self, calls, repeats):
        """us per loop() call with nothing to do (median, best of `repeats` timed runs)."""
        loop, sent = self.cp.loop, self.sent
        per_call = []
        for r in range(repeats + 1):
            t0 = time.perf_counter()
            for _ in range(calls):
                loop()
            dt = time.perf_counter() - t0
            if r:
                per_call.append(dt / calls * 1e6)
        if self.sent != sent or not self.conn.connected:
            raise RuntimeError("the idle loop sent something or lost the connection")
        return statistics.median(per_call), min(per_call)

    def call_to_answer(self, rounds):
        """Loop calls (and us) from a Central System CALL being in the socket to its answer sent."""
        cp, conn = self.cp, self.conn
        counts, micros = [], []
        for _ in range(rounds):
            got = []
            cp.send_request("DataTransfer", {"vendorId": "ocpp_cp.bench", "messageId": "call-me"},
                            on_conf=got.append)
            _spin(cp, lambda: got)
            self.answer_sent = None
            deadline = time.monotonic() + 2.0
            # busy-wait (hot CPU, like a charger spinning its loop) until the CALL's bytes are in
            while not select.select([conn._sock], [], [], 0)[0]:
                if time.monotonic() > deadline:
                    raise RuntimeError("the responder sent no CALL")
            calls = 0
            t0 = time.perf_counter()
            while self.answer_sent is None and calls < 1000:
                cp.loop()
                calls += 1
            micros.append((time.perf_counter() - t0) * 1e6)
            if self.answer_sent is None or not self.answer_sent.startswith('[3,"cs-'):
                raise RuntimeError("no CALLRESULT for the Central System's CALL: %r" % (self.answer_sent,))
            counts.append(calls)
        return counts, statistics.median(micros)

    def run(self, kind, n):
        send_one, loop, cp = self.send[kind], self.cp.loop, self.cp
        t0 = time.perf_counter()
        for _ in range(n):
            send_one()
            loop()
            while cp.rpc.in_flight is not None or cp.rpc.queue:
                loop()
        return time.perf_counter() - t0

    def close(self):
        self.cp.close()


# ---- mobilityhouse ocpp ----

def _ocpp_payloads():
    from ocpp.v16 import call

    def authorize():
        return call.Authorize(id_tag=ID_TAG)

    def meter():
        return call.MeterValues(connector_id=1, transaction_id=1, meter_value=[{
            "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "sampled_value": [
                {"value": "50000", "context": "Sample.Periodic",
                 "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                {"value": "11000", "context": "Sample.Periodic",
                 "measurand": "Power.Active.Import", "unit": "W"},
            ]}])
    return {"Authorize": authorize, "MeterValues": meter}


class _QueueConnection:
    """async send/recv for ocpp's ChargePoint; a responder coroutine answers each CALL."""

    def __init__(self):
        self.to_cs = asyncio.Queue()
        self.to_cp = asyncio.Queue()

    async def send(self, text):
        self.to_cs.put_nowait(text)

    async def recv(self):
        return await self.to_cp.get()

    async def responder(self):
        while True:
            text = await self.to_cs.get()
            self.to_cp.put_nowait(answer(text))


class OcppBench:
    """mobilityhouse ocpp's ocpp.v16.ChargePoint (client side), start() running, call() per message.

    url None: in memory (_QueueConnection); else a websockets client connection to url.
    Its own event loop, kept between runs so runs can be interleaved with ocpp_cp's.
    """

    def __init__(self, url=None, skip_validation=False):
        self.skip = skip_validation
        self.loop = asyncio.new_event_loop()
        self.ws = None
        self.tasks = []
        self.loop.run_until_complete(self._open(url))
        self.make = _ocpp_payloads()

    async def _open(self, url):
        from ocpp.v16 import ChargePoint as OcppChargePoint

        if url is None:
            conn = _QueueConnection()
            self.tasks.append(asyncio.ensure_future(conn.responder()))
        else:
            from websockets.asyncio.client import connect

            conn = self.ws = await connect(url, subprotocols=["ocpp1.6"], compression=None,
                                           ping_interval=None)
        self.cp = OcppChargePoint("bench", conn)
        self.tasks.append(asyncio.ensure_future(self.cp.start()))

    async def _run(self, kind, n):
        make, call, skip = self.make[kind], self.cp.call, self.skip
        t0 = time.perf_counter()
        for _ in range(n):
            result = await call(make(), skip_schema_validation=skip)
        dt = time.perf_counter() - t0
        if kind == "Authorize" and result.id_tag_info["status"] != "Accepted":
            raise RuntimeError("ocpp: unexpected answer %r" % (result,))
        return dt

    def run(self, kind, n):
        return self.loop.run_until_complete(self._run(kind, n))

    def close(self):
        async def shut():
            for t in self.tasks:
                t.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)
            if self.ws is not None:
                await self.ws.close()
        self.loop.run_until_complete(shut())
        self.loop.close()


class FloorBench:
    """A bare client: pre-built masked frame, blocking send, read the answer. No OCPP, no JSON.

    What the responder, the kernel and Python's socket calls cost by themselves: the floor under
    both charge points on the loopback rows.
    """

    def __init__(self, url):
        import socket

        from ocpp_cp.transport.url import parse_url
        from ocpp_cp.transport.websocket import WebSocketClient

        _, host, port, path = parse_url(url)
        self.sock = sock = socket.create_connection((host, port))
        ws = WebSocketClient(host, port, path)
        sock.sendall(ws.handshake_request())
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(4096)
        ws.receive_data(head)
        if ws.state != "OPEN":
            raise RuntimeError("floor client: no websocket: %r" % (ws.next_event(),))
        self.frames = {}
        for kind, text in (("Authorize", '[2,"f-1","Authorize",{"idTag":"%s"}]' % ID_TAG),
                           ("MeterValues", '[2,"f-2","MeterValues",{"connectorId":1,"transactionId":1,'
                            '"meterValue":[{"timestamp":"2026-11-21T10:00:00Z","sampledValue":['
                            '{"value":"50000","context":"Sample.Periodic","measurand":'
                            '"Energy.Active.Import.Register","unit":"Wh"},{"value":"11000","context":'
                            '"Sample.Periodic","measurand":"Power.Active.Import","unit":"W"}]}]}]')):
            ws.send_text(text)
            self.frames[kind] = (ws.data_to_send(), len(answer(text)) + 2)
        self.buf = bytearray(4096)

    def run(self, kind, n):
        frame, expect = self.frames[kind]
        sock, buf = self.sock, self.buf
        t0 = time.perf_counter()
        for _ in range(n):
            sock.sendall(frame)
            got = 0
            while got < expect:
                got += sock.recv_into(buf)
        return time.perf_counter() - t0

    def close(self):
        self.sock.close()


# ---- the loopback responder (a separate process: python3 tools/benchmark.py --serve) ----

def serve():
    """A websockets server answering every CALL with a canned CALLRESULT. Prints 'PORT <n>'.

    A DataTransfer with messageId "call-me" is answered, then 20 ms later the server sends a
    CALL of its own (GetConfiguration for one key) so the charge point can be timed answering.
    """
    from websockets.asyncio.server import serve as ws_serve

    seq = [0]

    from websockets.exceptions import ConnectionClosed

    async def handler(ws):
        try:
            async for text in ws:
                if not isinstance(text, str) or not text.startswith("[2,"):
                    continue
                await ws.send(answer(text))
                if '"call-me"' in text:
                    await asyncio.sleep(0.02)
                    seq[0] += 1
                    await ws.send('[2,"cs-%d","GetConfiguration",{"key":["HeartbeatInterval"]}]' % seq[0])
        except ConnectionClosed:  # the floor client just drops its socket
            pass

    async def main():
        async with ws_serve(handler, "127.0.0.1", 0, subprotocols=["ocpp1.6"], compression=None,
                            ping_interval=None) as server:
            print("PORT", server.sockets[0].getsockname()[1], flush=True)
            await asyncio.get_running_loop().create_future()
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass


class Responder:
    """The --serve process, started and stopped by us."""

    def __enter__(self):
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--serve"],
                                     stdout=subprocess.PIPE, text=True, cwd=str(ROOT))
        line = self.proc.stdout.readline().split()
        if len(line) != 2 or line[0] != "PORT":
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("the responder did not start")
        self.url = "ws://127.0.0.1:%s/ocpp/bench-1" % line[1]
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _interleaved(benches, n, repeats):
    """Run every bench on every kind, round-robin, one warm-up round then `repeats` timed
    rounds: {name: {kind: [messages/s, ...]}}."""
    rates = {name: {kind: [] for kind in KINDS} for name in benches}
    for r in range(repeats + 1):
        for kind in KINDS:
            for name, bench in benches.items():
                dt = bench.run(kind, n)
                if r:
                    rates[name][kind].append(n / dt)
    return rates


def cpu_figures(n=2000, repeats=5, idle_calls=20000, latency_rounds=50, log=print):
    """Messages/s (all runs; the table takes the median), the idle loop, CALL-to-answer."""
    fig = {"n": n, "repeats": repeats, "idle_calls": idle_calls}
    log("  in memory: ocpp_cp, ocpp, ocpp without schema validation (interleaved) ...")
    benches = {"memory_cp": CpMemory(), "memory_ocpp": OcppBench(),
               "memory_ocpp_novalid": OcppBench(skip_validation=True)}
    try:
        fig.update(_interleaved(benches, n, repeats))
        answer_memory_us = benches["memory_cp"].answer_call_us(n, repeats)
    finally:
        for b in benches.values():
            b.close()
    with Responder() as responder:
        log("  loopback: ocpp_cp idle loop and CALL-to-answer ...")
        cp = CpLoopback(responder.url)
        benches = {"loopback_cp": cp}
        try:
            median, best = cp.idle_us(idle_calls, 5)
            counts, micros = cp.call_to_answer(latency_rounds)
            fig["idle"] = {"idle_us_median": median, "idle_us_best": best,
                           "loop_calls_to_answer": counts, "answer_us_median": micros,
                           "answer_memory_us": answer_memory_us}
            cp.start_transaction()
            log("  loopback: bare socket floor, ocpp_cp, ocpp (interleaved) ...")
            benches["loopback_floor"] = FloorBench(responder.url)
            benches["loopback_ocpp"] = OcppBench(responder.url)
            fig.update(_interleaved(benches, n, repeats))
        finally:
            for b in benches.values():
                b.close()
    return fig


# ---------------------------------------------------------------------------------------------
# machine facts, the table, the document


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cmd(args):
    try:
        return subprocess.run(args, capture_output=True, text=True, cwd=str(ROOT), timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine_facts(micropython_version):
    import ocpp
    import websockets
    from tests.support.micropython import NODE_PACKAGE

    try:
        wasm = json.loads((NODE_PACKAGE / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        wasm = "?"
    try:
        ocpp_version = __import__("importlib.metadata").metadata.version("ocpp")
    except Exception:  # noqa: BLE001
        ocpp_version = getattr(ocpp, "__version__", "?")
    commit = _cmd(["git", "rev-parse", "--short", "HEAD"])
    # read-only git commands only (no index refresh): changed or untracked files under ocpp_cp/
    dirty = _cmd(["git", "diff", "--name-only", "HEAD", "--", "ocpp_cp"]) or \
        _cmd(["git", "ls-files", "--others", "--exclude-standard", "--", "ocpp_cp"])
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "nproc": os.cpu_count(),
        "os": "%s %s" % (platform.system(), platform.release()),
        "python": "%s %s" % (platform.python_implementation(), platform.python_version()),
        "micropython": "%s (npm @micropython/micropython-webassembly-pyscript %s, under Node %s)"
                       % (micropython_version, wasm, _cmd(["node", "--version"])),
        "mpy_cross": mpy_cross_version(),
        "ocpp": ocpp_version,
        "websockets": websockets.__version__,
        "commit": commit + (" + uncommitted changes in ocpp_cp/" if dirty else ""),
    }


def _kb(b):
    return "%.1f KB" % (b / KB)


def _bytes(b):
    return "{:,} B ({})".format(b, _kb(b))


def _verdict(ok):
    return "met" if ok else "**not met**"


def summary_rows(sizes, heap, cpu):
    """(figure, value, budget, verdict, anchor) rows of the one table."""
    rows = []
    b = BUDGETS
    rows.append((".mpy, core (%d modules)" % len(sizes["core_modules"]), _bytes(sizes["mpy_core_bytes"]),
                 "<= 30 KB", _verdict(sizes["mpy_core_bytes"] <= b["mpy_core_bytes"]),
                 "MicroOcpp 121-150 KB flash"))
    rows.append((".mpy, everything in ocpp_cp/ (%d modules)" % len(sizes["all_modules"]),
                 _bytes(sizes["mpy_all_bytes"]), "<= 60 KB",
                 _verdict(sizes["mpy_all_bytes"] <= b["mpy_all_bytes"]), ""))
    rows.append((".mpy, boards/ (%d modules, not in the above)" % len(sizes["board_modules"]),
                 _bytes(sizes["mpy_boards_bytes"]), "", "", ""))
    for form in ("mpy", "py"):
        rows.append(("heap after importing the core, from .%s" % form, _bytes(heap["heap_import_" + form]),
                     "", "", ""))
    for form in ("mpy", "py"):
        rows.append(("heap idle (booted, no session), from .%s" % form, _bytes(heap["heap_idle_" + form]),
                     "", "", "MicroOcpp 12.3 KB idle" if form == "mpy" else ""))
    for form in ("mpy", "py"):
        budget = form == "mpy"
        rows.append(("**heap peak, Core session, from .%s**" % form, _bytes(heap["heap_peak_" + form]),
                     "<= 32 KB" if budget else "",
                     _verdict(heap["heap_peak_mpy"] <= b["heap_peak_mpy"]) if budget else "",
                     "MicroOcpp 21.9 KB peak" if budget else ""))
    for form in ("mpy", "py"):
        rows.append(("  alloc'd in one loop call without GC, max (.%s)" % form,
                     _bytes(heap["heap_peak_alloc_" + form]), "", "", ""))
    rows.append(("  + driver objects on a device (WebSocketConnection, WebSocketClient)",
                 _bytes(heap["heap_driver_objects_mpy"]), "", "", ""))
    for form in ("mpy", "py"):
        budget = form == "mpy"
        rows.append(("heap peak, everything imported + every CS call, from .%s" % form,
                     _bytes(heap["heap_all_peak_" + form]), "<= 64 KB" if budget else "",
                     _verdict(heap["heap_all_peak_mpy"] <= b["heap_all_peak_mpy"]) if budget else "", ""))
    if cpu is not None:
        for where, cp_key, ocpp_key in (("in memory", "memory_cp", "memory_ocpp"),
                                        ("loopback websocket", "loopback_cp", "loopback_ocpp")):
            for kind in KINDS:
                mine, theirs = _med(cpu, cp_key, kind), _med(cpu, ocpp_key, kind)
                ratio = mine / theirs
                rows.append(("CPython %s round trips/s, %s: ocpp_cp vs ocpp" % (kind, where),
                             "{:,.0f} vs {:,.0f} = {:.1f}x".format(mine, theirs, ratio), ">= 20x",
                             _verdict(ratio >= b["speed_ratio_min"]),
                             "ocpp cannot run on a device" if where == "in memory" and kind == "Authorize" else ""))
        for kind in KINDS:
            mine, theirs = _med(cpu, "memory_cp", kind), _med(cpu, "memory_ocpp_novalid", kind)
            rows.append(("  in memory, ocpp with skip_schema_validation=True (%s)" % kind,
                         "{:,.0f} vs {:,.0f} = {:.1f}x".format(mine, theirs, mine / theirs), "", "", ""))
        for kind in KINDS:
            floor = _med(cpu, "loopback_floor", kind)
            rows.append(("  loopback %s floor: bare socket client, pre-built frame, no OCPP" % kind,
                         "{:,.0f}/s ({:.0f} us per round trip); ocpp_cp reaches {:.0f} %, ocpp {:.0f} %".format(
                             floor, 1e6 / floor, 100 * _med(cpu, "loopback_cp", kind) / floor,
                             100 * _med(cpu, "loopback_ocpp", kind) / floor), "", "", ""))
        idle = cpu["idle"]
        rows.append(("idle OCPP_loop() on CPython, loopback connected",
                     "%.2f us per call" % idle["idle_us_median"], "<= 20 us",
                     _verdict(idle["idle_us_median"] <= b["idle_loop_us"]), ""))
        loops = idle["loop_calls_to_answer"]
        rows.append(("loop calls from a CS CALL's bytes arriving to its answer sent",
                     "%d (max of %d rounds)" % (max(loops), len(loops)), "1", _verdict(max(loops) == 1), ""))
        rows.append(("  that loop call: over loopback (incl. the send() syscall) / in memory",
                     "%.0f us / %.1f us (medians)" % (idle["answer_us_median"], idle["answer_memory_us"]),
                     "", "", ""))
    return rows


def _med(cpu, name, kind):
    """Median messages/s of the timed runs."""
    return statistics.median(cpu[name][kind])


def format_table(rows):
    head = ("figure", "value", "budget", "verdict", "anchor")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lines.append("| " + " | ".join(r) + " |")
    return "\n".join(lines)


def recorded_json(sizes, heap, cpu):
    rec = {k: sizes[k] for k in ("mpy_core_bytes", "mpy_all_bytes", "mpy_boards_bytes", "mpy_code_bytes")}
    for k, v in heap.items():
        if k.startswith("heap_"):
            rec[k] = v
    if cpu is not None:
        for where in ("memory", "loopback"):
            for kind in KINDS:
                mine, theirs = _med(cpu, where + "_cp", kind), _med(cpu, where + "_ocpp", kind)
                rec["cpython_%s_%s_ocpp_cp_per_s" % (where, kind)] = round(mine)
                rec["cpython_%s_%s_ocpp_per_s" % (where, kind)] = round(theirs)
                rec["cpython_%s_%s_ratio" % (where, kind)] = round(mine / theirs, 1)
        for kind in KINDS:
            rec["cpython_memory_%s_ocpp_novalid_per_s" % kind] = round(_med(cpu, "memory_ocpp_novalid", kind))
            rec["cpython_loopback_%s_floor_per_s" % kind] = round(_med(cpu, "loopback_floor", kind))
        rec["idle_loop_us"] = round(cpu["idle"]["idle_us_median"], 2)
        rec["loop_calls_to_answer"] = max(cpu["idle"]["loop_calls_to_answer"])
        rec["answer_loop_call_us"] = round(cpu["idle"]["answer_us_median"])
        rec["answer_loop_call_memory_us"] = round(cpu["idle"]["answer_memory_us"], 1)
    return rec


def _size_table(sizes):
    core = set(sizes["core_modules"])
    lines = ["| module | .py bytes | .mpy bytes | core |", "|---|---:|---:|:---:|"]
    for name, s in sizes["modules"].items():
        lines.append("| %s | %d | %d | %s |" % (name, s["py"], s["mpy"], "x" if name in core else ""))
    lines.append("| **core** | %d | %d | |" % (sizes["py_core_bytes"], sizes["mpy_core_bytes"]))
    lines.append("| **everything in ocpp_cp/** | %d | %d | |" % (sizes["py_all_bytes"], sizes["mpy_all_bytes"]))
    return "\n".join(lines)


def _heap_details(heap):
    lines = ["| run | tooling | memory_cs module | scaffolding objects | import | idle | peak (phase) "
             "| alloc'd max (phase) | kept after session | GC heap held |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in heap["runs"].items():
        lines.append("| %s | %d | %d | %d | %d | %d | %d (%s) | %d (%s) | %d | %d |" % (
            name.replace("_", ", ."), r["tooling"], r["memory_cs_module"], r["scaffolding"] - r["memory_cs_module"],
            r["import"], r["idle"], r["peak"], r["peak_at"], r["peak_alloc"], r["peak_alloc_at"],
            r["after_session"], r["gc_total"]))
    core = heap["runs"]["core_mpy"]
    every = heap["runs"]["all_mpy"]
    lines.append("")
    lines.append("Modules of ocpp_cp loaded after the Core session: " + ", ".join(core["modules_loaded"]) + ".")
    lines.append("")
    lines.append("Messages the Core session sent (counted by the scripted Central System): "
                 + ", ".join("%s %d" % kv for kv in sorted(core["counts"].items()) if kv[1]) + ".")
    lines.append("The everything run: " + ", ".join("%s %d" % kv for kv in sorted(every["counts"].items()) if kv[1])
                 + " (answers/errors = the charge point's answers to the Central System's calls).")
    return "\n".join(lines)


def _breakdown_table(breakdown, sizes):
    core = set(sizes["core_modules"])
    lines = ["| module | heap kept | .mpy bytes | core |", "|---|---:|---:|:---:|"]
    for name, b in breakdown:
        mpy = sizes["modules"].get(name, {}).get("mpy", "")
        lines.append("| %s | %d | %s | %s |" % (name, b, mpy, "x" if name in core else ""))
    lines.append("| **total** | %d | | |" % sum(b for _, b in breakdown))
    return "\n".join(lines)


def render_doc(facts, rows, sizes, heap, cpu, deps, breakdown):
    rec = recorded_json(sizes, heap, cpu)
    n = cpu["n"] if cpu else 0
    reps = cpu["repeats"] if cpu else 0
    deps_text = ", ".join("%s %s" % (k, ("%d B" % v) if v else "?") for k, v in deps.items())
    parts = [
        "# Benchmarks",
        "",
        "Written by `python3 tools/benchmark.py` (about a minute; not part of the test suite). Do not",
        "edit by hand: rerun it. `tests/test_footprint.py` recomputes the .mpy sizes and the MicroPython",
        "heap figures and fails when one grows more than 10 % over the JSON block at the end.",
        "",
        "## Machine",
        "",
        "- date: %s" % facts["date"],
        "- CPU: %s, nproc %s; %s" % (facts["cpu"], facts["nproc"], facts["os"]),
        "- Python: %s; ocpp %s, websockets %s" % (facts["python"], facts["ocpp"], facts["websockets"]),
        "- MicroPython: %s" % facts["micropython"],
        "- mpy-cross: %s (.mpy format 6.3)" % facts["mpy_cross"],
        "- commit: %s" % facts["commit"],
        "",
        "## Summary",
        "",
        "KB = 1024 bytes. Budgets are the targets of the issue \"Footprint and speed\". Anchors: " + ANCHORS,
        "",
        format_table(rows),
        "",
        "## How each figure is taken",
        "",
        "**.mpy sizes**: every .py compiled with mpy-cross-v6.3 (tools/mpy_sizes.py), file sizes summed.",
        "*Core* = what a Core-profile charger imports: the ocpp_cp modules in sys.modules after",
        "the Core session below on MicroPython (OCPP_initialize's imports, transport/* included),",
        "plus the operations such a charger loads sooner or later (%s)." % ", ".join(CORE_OPS),
        "*Everything* = all of ocpp_cp/. boards/ and code.py (%d B) are listed apart." % sizes["mpy_code_bytes"],
        "The Adafruit libraries a device also needs are not in any",
        "total: %s (.mpy compiled the same way)." % deps_text,
        "",
        "**MicroPython heap**: " + HOW_HEAP,
        "The Core session is boot -> Authorize -> StartTransaction -> 10 MeterValues ->",
        "StopTransaction -> unplugged (as tests/test_micropython_session.py). The *everything* run",
        "imports every module of ocpp_cp/ and, around the same session started remotely, has the",
        "Central System call GetConfiguration (all keys), ChangeConfiguration, RemoteStartTransaction",
        "(with AuthorizeRemoteTxRequests), SetChargingProfile, DataTransfer (NotImplemented until an op exists),",
        "RemoteStopTransaction and Reset, and lets a Heartbeat go out. Only the Core profile exists",
        "today, so this is what \"all profiles\" means for now.",
        "",
        "**CPython messages/s**: N = %d round trips of one kind per run, %d timed runs after one" % (n, reps),
        "warm-up run, time.perf_counter, the **median** run reported (messages/s = N / seconds).",
        "Both sides do the same charge-point work for a round trip: build the request, serialise it,",
        "send it, take the answer, parse it, hand it to the caller. ocpp_cp: the engine's",
        "`ChargePoint` (authorize(idTag, onConf) and ops.meter_values.send_sample, the path a",
        "periodic sample takes) with one `loop()` per message (it handles the previous answer and",
        "sends the next CALL). mobilityhouse ocpp: `ocpp.v16.ChargePoint` with `start()` running and",
        "`await cp.call(call.Authorize(...))` / `call.MeterValues(...)` (timestamp from datetime,",
        "the same two sampled values), schema validation on, as it ships; a second row shows it with",
        "`skip_schema_validation=True`. In memory: ocpp_cp uses tests/support MemoryConnection and a",
        "function answering every queued CALL between loop calls; ocpp gets an object with async",
        "send/recv over two asyncio.Queues and a responder coroutine. Both responders build the same",
        "canned CALLRESULT by slicing the id and action out of the text (no JSON parsing), so they",
        "cost both sides the same. The compared clients run interleaved (round-robin over runs), so",
        "load changes hit all of them; on this small, possibly shared VM absolute rates move by tens",
        "of percent between invocations, the ratios much less. Loopback: one `websockets` server process (127.0.0.1, no",
        "compression, no pings) answers every CALL with the same canned CALLRESULT; ocpp_cp uses its",
        "real driver (`ocpp_cp.transport.driver.WebSocketConnection`) and spins `loop()` until the",
        "answer is handled, ocpp uses a `websockets` client connection. The ocpp_cp transaction",
        "(transactionId 1) is started before timing; ocpp sends transactionId 1 too. The *floor* is a",
        "bare client on the same responder: a pre-built masked frame, a blocking send, read the",
        "answer; no OCPP, no JSON. It is what the responder, the kernel and this VM's loopback cost",
        "by themselves and caps both clients, so the loopback ratio says little about the charge",
        "point's own work: the in-memory rows do. ocpp_cp can come out slightly above the floor",
        "because its loop spins instead of sleeping in recv.",
        "",
        "**Idle loop**: the same loopback connection, boot accepted, StatusNotifications confirmed,",
        "no session: %d back-to-back `loop()` calls per run, 5 timed runs after one warm-up, median" % (cpu["idle_calls"] if cpu else 0),
        "of the per-call average. Each idle call polls the socket (a non-blocking recv_into that",
        "raises BlockingIOError), the RPC and the connectors. **CALL to answer**: the charge point",
        "sends a DataTransfer the responder answers and, 20 ms later, follows with a CALL",
        "(GetConfiguration, one key); the benchmark waits with select() until those bytes are in",
        "the socket, then counts `loop()` calls until the CALLRESULT has been handed to the socket",
        "(the driver writes it in the same call). Repeated %d times; the largest count is reported." % (
            len(cpu["idle"]["loop_calls_to_answer"]) if cpu else 0),
        "",
        "## .mpy size per module",
        "",
        _size_table(sizes),
        "",
        "## Heap kept by each module's import (.mpy, bytes)",
        "",
        "Dependencies first (order from CPython); ocpp_cp/__init__ replaced by an empty file so",
        "each module is charged on its own. Interned strings are allocated in pool chunks, so a",
        "module that opens a new chunk is charged a few hundred bytes that later modules use.",
        "",
        _breakdown_table(breakdown, sizes),
        "",
        "## Heap details (bytes)",
        "",
        "Columns: `tooling` = `import gc, sys` over the interpreter's own baseline; `memory_cs module`",
        "and `scaffolding objects` = what was subtracted; then the figures as defined above.",
        "`GC heap held` = the wasm heap size at the end (1 MiB initial: it never had to grow).",
        "",
        _heap_details(heap),
        "",
        "## Recorded figures (machine-readable)",
        "",
        "```json",
        json.dumps(rec, indent=2, sort_keys=True),
        "```",
        "",
    ]
    return "\n".join(parts)


def recorded_figures(path=DOC):
    """The JSON block of docs/benchmarks.md as a dict ({} if there is none)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError:
        return {}
    m = re.search(r"```json\n(.*?)\n```", text, re.S)
    return json.loads(m.group(1)) if m else {}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", default=str(DOC), help="where to write the document (%(default)s)")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    parser.add_argument("--quick", action="store_true", help="fewer messages and runs (a smoke test)")
    parser.add_argument("--commit-label", help="what code was measured, for the document "
                        "(default: the git HEAD of the project, marked when ocpp_cp/ has changes)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve()
        return 0
    t0 = time.monotonic()
    print("1/4 MicroPython heap (wasm) ...", flush=True)
    heap = heap_figures()
    print("2/4 .mpy sizes ...", flush=True)
    sizes = mpy_figures(heap["core_loaded"])
    deps = dependency_mpy_sizes()
    print("3-4/4 CPython ...", flush=True)
    if args.quick:
        cpu = cpu_figures(n=200, repeats=2, idle_calls=2000, latency_rounds=5)
    else:
        cpu = cpu_figures()
    facts = machine_facts(heap["micropython"])
    if args.commit_label:
        facts["commit"] = args.commit_label
    rows = summary_rows(sizes, heap, cpu)
    print()
    print("ocpp_cp benchmark, %s; %s, nproc %s; %s; %s" % (
        facts["date"], facts["cpu"], facts["nproc"], facts["python"], heap["micropython"]))
    print(format_table(rows))
    print("Anchors: " + ANCHORS)
    if not args.no_write:
        breakdown = import_heap_breakdown(sizes["all_modules"])
        Path(args.output).write_text(render_doc(facts, rows, sizes, heap, cpu, deps, breakdown),
                                     encoding="utf-8")
        print("written to %s (%.0f s)" % (os.path.relpath(args.output, str(ROOT)), time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
