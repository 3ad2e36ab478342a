"""OCPP-J RPC: CALL [2,id,action,payload], CALLRESULT [3,id,payload], CALLERROR [4,id,code,text,details].

At most one CALL of ours is in flight; the Central System's calls are answered at once.
Operation modules (ocpp_cp/ops/) are imported on first use. On a microcontroller (UNLOAD) the
ones a charger needs only now and then (those without RESIDENT = True) are dropped again once
their call is over, so that their code is freed: at most one rare operation is in RAM at a time.
"""
import json
import sys

from adafruit_ticks import ticks_add, ticks_diff
from micropython import const

_CALL = const(2)
_CALLRESULT = const(3)
_CALLERROR = const(4)
_MAX_QUEUE = const(32)  # pending requests; transaction messages are always accepted (see enqueue)
# CPython has memory to spare and a re-import costs more there than the call itself
UNLOAD = sys.implementation.name != "cpython"

try:  # CPython: one encoder for every message (json.dumps with separators= makes a new one each time)
    from json import JSONEncoder
    compact_json = JSONEncoder(separators=(",", ":")).encode
except ImportError:  # MicroPython, CircuitPython
    def compact_json(obj):
        return json.dumps(obj, separators=(",", ":"))


class CallError(Exception):
    """Raised by an operation's handle() to answer with a CALLERROR."""

    def __init__(self, code, description="", details=None):
        super().__init__(code, description)
        self.code = code
        self.description = description
        self.details = details or {}


def log_exception(log, where, exc):
    log("%s raised %s: %s" % (where, type(exc).__name__, exc))
    printer = getattr(sys, "print_exception", None)  # MicroPython
    if printer is None:
        try:
            import traceback
            printer = traceback.print_exception
        except ImportError:
            return
    try:
        printer(exc)
    except TypeError:  # CPython < 3.10 style signature
        printer(type(exc), exc, exc.__traceback__)


def call_listener(log, fn, *args):
    """Run a user callback; an exception is reported but never stops the loop."""
    if fn is not None:
        try:
            fn(*args)
        except Exception as e:  # noqa: BLE001 - user code must not break the charger
            log_exception(log, "listener", e)


_ops = {}  # action -> ops module name, or None: no such operation (names only: no module kept alive)


def _module_name(action):
    """'RemoteStartTransaction' -> 'ocpp_cp.ops.remote_start_transaction'; None for a name that is
    no action (actions are case-sensitive CamelCase: 'remoteStartTransaction' is unknown)."""
    name = _ops.get(action, 0)
    if name == 0:
        name = None
        if action.isalpha() and "A" <= action[0] <= "Z":
            name = ""
            for ch in action:
                name += "_" + ch.lower() if "A" <= ch <= "Z" else ch
            name = "ocpp_cp.ops." + name[1:]
        if len(_ops) >= 64:  # a Central System may send any number of unknown actions
            _ops.clear()
        _ops[action] = name
    return name


def find_operation(action):
    """The ops module of an action (imported on first use), or None if there is none."""
    name = _module_name(action) if isinstance(action, str) else None
    if name is None:
        return None
    mod = sys.modules.get(name)
    if mod is None:
        try:
            __import__(name)
        except ImportError as e:
            if name[12:] not in str(e):
                raise  # the module exists but is broken: not the same as unknown
            _ops[action] = None
            return None
        mod = sys.modules[name]
    return mod


def unload(name):
    """Forget an imported module, so that MicroPython frees its code; the next use imports it again."""
    if sys.modules.pop(name, None) is not None:
        parent, _, child = name.rpartition(".")
        try:
            delattr(sys.modules[parent], child)
        except (KeyError, AttributeError):
            pass


def unload_transient(rpc=None, mod=None):
    """UNLOAD: drop the loaded ops modules without RESIDENT = True, the answering of the Central
    System's calls with its payload checks, measurand names, the authorization cache's code (its
    entries stay in cp.auth_cache) and the journal's restart work, so that
    MicroPython frees their code (they are imported again when needed). With mod: only if that
    module is such a rare one. With rpc: the modules of its waiting requests stay (their payload
    builders use them)."""
    if UNLOAD and not getattr(mod, "RESIDENT", False):
        busy = [] if rpc is None else [_module_name(req.action) for req in rpc.queue + [rpc.in_flight]
                                       if req and isinstance(req.action, str)]
        for name in [n for n in sys.modules if n[:12] == "ocpp_cp.ops." or n in (
                "ocpp_cp.engine.answer", "ocpp_cp.engine.validate", "ocpp_cp.engine.measurands",
                "ocpp_cp.engine.recovery", "ocpp_cp.engine.auth_cache")]:
            if name not in busy and not getattr(sys.modules[name], "RESIDENT", False):
                unload(name)


class Request:
    """One CALL we send. listeners: (on_conf, on_abort, on_timeout, on_error, timeout_ms), as
    chargepoint.listeners() makes them (ArduinoOcpp-style), or None.

    payload is a dict, or a function(request) -> dict built when the request is sent
    (so a MeterValues can carry a transactionId that was unknown when it was queued).
    Durable requests are transaction messages: kept while offline, retried on errors.
    """

    # what most requests keep as it is lives here, not in every instance
    listeners = context = msg_id = not_before = id_base = None
    durable = False
    timeout_ms = 30000
    attempts = 0  # CALLERRORs so far (TransactionMessageAttempts counts these)
    # id_base: transaction messages have a stable id, the same after a restart (journal.py)

    def __init__(self, action, payload, listeners=None, durable=False, context=None):
        self.action = action
        self.payload = payload
        self.deadline = 0
        if listeners:
            self.listeners = listeners
            self.timeout_ms = listeners[4]
        if durable:
            self.durable = True
        if context is not None:
            self.context = context  # what the action's ops module needs back in conf()/failed()

    def tell(self, log, which, *args):
        """Call listener `which` (0 on_conf, 1 on_abort, 2 on_timeout, 3 on_error)."""
        if self.listeners:
            call_listener(log, self.listeners[which], *args)


class Rpc:
    def __init__(self, cp):
        self.cp = cp
        self.queue = []
        self.in_flight = None
        self.only_action = "BootNotification"  # until boot is accepted, nothing else is sent
        self._seq = 0
        try:  # message ids stay unique across reboots
            import os
            bits = int.from_bytes(os.urandom(4), "big")
        except (ImportError, AttributeError, NotImplementedError, OSError):
            import random
            bits = random.getrandbits(24)
        self.prefix = hex(bits & 0xFFFFFF)[2:]
        self.received = 0    # frames received so far (connection health: ChargePoint.loop)
        self.unanswered = 0  # our CALLs in a row that timed out with nothing received meanwhile

    # ---- our calls ----
    def request(self, action, payload, listeners=None, context=None):
        """Queue a CALL (see Request); False when the queue is full."""
        return self.enqueue(Request(action, payload, listeners, context=context))

    def enqueue(self, req):
        if not req.durable:
            if len(self.queue) >= _MAX_QUEUE:
                self.cp.log("queue full: %s dropped" % req.action)
                req.tell(self.cp.log, 1)
                return False
            req.deadline = ticks_add(self.cp.ticks_ms(), req.timeout_ms)
        self.queue.append(req)
        return True

    def pending(self, action, context=None):
        """True if a request for this action (and context, if given) waits or is in flight."""
        req = self.in_flight
        if req is not None and req.action == action and (context is None or req.context is context):
            return True
        for req in self.queue:
            if req.action == action and (context is None or req.context is context):
                return True
        return False

    def durable_pending(self):
        return (self.in_flight is not None and self.in_flight.durable) or \
            any(r.durable for r in self.queue)

    def connection_lost(self):
        """The in-flight call may never be answered: send it again, same id, when back."""
        req = self.in_flight
        if req is not None:
            self.in_flight = None
            self.queue.insert(0, req)

    def poll(self, now):
        cp = self.cp
        conn = cp.connection
        text = conn.receive()
        while text is not None:
            self.receive(text)
            text = conn.receive()
        req = self.in_flight
        if req is not None and ticks_diff(now, req.deadline) >= 0:
            self.in_flight = None
            self.unanswered += 1
            self._failed(req, "timeout", now)
        queue = self.queue
        if not queue:
            return
        connected = conn.connected
        # why: 'offline' = never sent, no connection; 'expired' = never sent although connected
        for req in [r for r in queue if not r.durable and ticks_diff(now, r.deadline) >= 0]:
            queue.remove(req)
            self._failed(req, "expired" if connected else "offline", now)
        if self.in_flight is not None or not connected:
            return
        # the next CALL to send
        blocked_durable = False
        only = self.only_action
        for req in queue:
            if only is not None and req.action != only:
                continue
            if req.durable:
                if blocked_durable:
                    continue  # transaction messages keep their order
                blocked_durable = True
            if req.not_before is not None and ticks_diff(now, req.not_before) < 0:
                continue
            break
        else:
            return
        payload = req.payload
        if not isinstance(payload, dict):
            payload = req.payload = payload(req)
            if payload is None:  # nothing left to say (e.g. its transaction was dropped)
                queue.remove(req)
                return
        if req.msg_id is None:
            if req.id_base is not None:  # a resend after a restart keeps its id: a CS can spot it
                req.msg_id = req.id_base + "." + str(req.attempts) if req.attempts else req.id_base
            else:
                self._seq += 1
                req.msg_id = self.prefix + "-" + str(self._seq)
        text = compact_json([_CALL, req.msg_id, req.action, payload])
        if not conn.send(text):
            return
        queue.remove(req)
        self.in_flight = req
        req.deadline = ticks_add(now, req.timeout_ms)  # the answer gets the full timeout
        cp.last_sent = cp.clock.uptime(now)
        if cp.debug:
            cp.log(">> " + text)

    # ---- incoming ----
    def receive(self, text):
        cp = self.cp
        if cp.debug:
            cp.log("<< " + text)
        self.received += 1
        self.unanswered = 0
        try:
            msg = json.loads(text)
        except ValueError:
            cp.log("ignored a frame that is not JSON: %.60s" % text)
            return
        if not isinstance(msg, list) or len(msg) < 3 or not isinstance(msg[1], str) \
                or msg[0] not in (_CALL, _CALLRESULT, _CALLERROR) or isinstance(msg[0], bool):
            if not (isinstance(msg, list) and len(msg) >= 2 and msg[0] == _CALL and isinstance(msg[1], str)):
                cp.log("ignored a frame that is not OCPP-J: %.60s" % text)
                return
        kind, msg_id = msg[0], msg[1]
        if kind == _CALL:  # the Central System calls (engine/answer.py)
            from .answer import call
            call(self, msg)
            return
        req = self.in_flight
        if req is None or req.msg_id != msg_id:
            cp.log("ignored an answer to no pending request (id %s)" % msg_id)
            return
        self.in_flight = None
        if kind == _CALLERROR:
            self._failed(req, "error", cp.ticks_ms(), (
                msg[2] if isinstance(msg[2], str) else str(msg[2]),
                msg[3] if len(msg) > 3 and isinstance(msg[3], str) else "",
                msg[4] if len(msg) > 4 and isinstance(msg[4], dict) else {}))
            return
        payload = msg[2]
        mod = find_operation(req.action)
        try:
            if not isinstance(payload, dict):
                raise ValueError("payload is not an object")
            conf = getattr(mod, "conf", None)
            if conf is not None:
                conf(cp, req, payload)
        except (KeyError, ValueError, TypeError, AttributeError) as e:
            cp.log("%s.conf is malformed (%s %s): treated as an error" % (req.action, type(e).__name__, e))
            self._failed(req, "error", cp.ticks_ms(), ("FormationViolation", "malformed response", {}))
            return
        req.tell(cp.log, 0, payload)
        if mod is not None:
            unload_transient(self, mod)  # a rare operation's request is over: its code may go

    def _failed(self, req, why, now, error=None):
        """No answer ('timeout', or never sent: 'offline'/'expired') or a CALLERROR ('error'):
        transaction messages retry, others tell their listeners."""
        cp = self.cp
        hook = "failed"  # the ops module's failed(cp, req, why), or retry(cp, req)
        if req.durable:
            if why != "error":
                cp.log("%s got no answer: will send it again" % req.action)
                self.queue.insert(0, req)
                return
            req.attempts += 1
            limit = cp.config.get("TransactionMessageAttempts")
            if req.attempts < limit:
                delay = req.attempts * cp.config.get("TransactionMessageRetryInterval")
                cp.log("%s answered %s: retry %d/%d in %d s" % (req.action, error[0], req.attempts + 1, limit, delay))
                req.not_before = ticks_add(now, delay * 1000)
                req.msg_id = None  # a new attempt is a new message
                self.queue.insert(0, req)
                hook = "retry"  # e.g. the journal keeps the attempt count
            else:
                cp.log("%s dropped after %d attempts (last error %s)" % (req.action, req.attempts, error[0]))
        mod = find_operation(req.action)
        fn = getattr(mod, hook, None)
        if fn is not None:
            try:
                fn(cp, req) if hook == "retry" else fn(cp, req, why)
            except Exception as e:  # noqa: BLE001
                log_exception(cp.log, req.action + "." + hook, e)
        if hook == "retry":
            return
        if why != "error":
            req.tell(cp.log, 2)
        else:
            req.tell(cp.log, 3, *error)
        req.tell(cp.log, 1)
        if mod is not None:
            unload_transient(self, mod)
