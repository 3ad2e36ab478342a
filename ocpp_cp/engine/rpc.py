"""OCPP-J RPC: CALL [2,id,action,payload], CALLRESULT [3,id,payload], CALLERROR [4,id,code,text,details].

At most one CALL of ours is in flight; the Central System's calls are answered at once.
"""
import json
import sys

from adafruit_ticks import ticks_add, ticks_diff

CALL = 2
CALLRESULT = 3
CALLERROR = 4
MAX_QUEUE = 32  # pending requests; transaction messages are always accepted (see enqueue)


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


def _module_name(action):
    """'RemoteStartTransaction' -> 'remote_start_transaction'."""
    out = []
    for i, ch in enumerate(action):
        if "A" <= ch <= "Z":
            if i:
                out.append("_")
            out.append(ch.lower())
        else:
            out.append(ch)
    return "".join(out)


_missing = {}


def find_operation(action):
    """The ops module of an action (imported on first use), or None if there is none."""
    # action names are case-sensitive CamelCase: 'remoteStartTransaction' is unknown
    if not isinstance(action, str) or not action.isalpha() or not "A" <= action[0] <= "Z" \
            or action in _missing:
        return None
    name = "ocpp_cp.ops." + _module_name(action)
    mod = sys.modules.get(name)
    if mod is None:
        try:
            __import__(name)
        except ImportError as e:
            if _module_name(action) not in str(e):
                raise  # the module exists but is broken: not the same as unknown
            _missing[action] = True
            return None
        mod = sys.modules[name]
    return mod


class Request:
    """One CALL we send, with ArduinoOcpp-style listeners.

    payload is a dict, or a function(request) -> dict built when the request is sent
    (so a MeterValues can carry a transactionId that was unknown when it was queued).
    Durable requests are transaction messages: kept while offline, retried on errors.
    """

    def __init__(self, action, payload, on_conf=None, on_abort=None, on_timeout=None,
                 on_error=None, timeout_ms=30000, durable=False, context=None):
        self.action = action
        self.payload = payload
        self.on_conf = on_conf
        self.on_abort = on_abort
        self.on_timeout = on_timeout
        self.on_error = on_error
        self.timeout_ms = timeout_ms
        self.durable = durable
        self.context = context  # what the action's ops module needs back in conf()/failed()
        self.msg_id = None
        self.deadline = None
        self.not_before = None
        self.attempts = 0  # CALLERRORs so far (TransactionMessageAttempts counts these)
        self.id_base = None  # transaction messages: a stable id, the same after a restart (journal.py)


class Rpc:
    def __init__(self, cp):
        self.cp = cp
        self.queue = []
        self.in_flight = None
        self.only_action = "BootNotification"  # until boot is accepted, nothing else is sent
        self._seq = 0
        self.prefix = "%x" % _random_bits(24)  # message ids stay unique across reboots
        self.received = 0    # frames received so far (connection health: ChargePoint._health)
        self.unanswered = 0  # our CALLs in a row that timed out with nothing received meanwhile

    # ---- our calls ----
    def enqueue(self, req):
        if not req.durable:
            if len(self.queue) >= MAX_QUEUE:
                self.cp.log("queue full: %s dropped" % req.action)
                call_listener(self.cp.log, req.on_abort)
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
        conn = self.cp.connection
        text = conn.receive()
        while text is not None:
            self.receive(text)
            text = conn.receive()
        req = self.in_flight
        if req is not None and ticks_diff(now, req.deadline) >= 0:
            self.in_flight = None
            self.unanswered += 1
            self._failed(req, "timeout", now)
        if self.queue:
            self._expire(now, conn.connected)
            if self.in_flight is None and conn.connected:
                self._send_next(now)

    def _expire(self, now, connected):
        # why: 'offline' = never sent, no connection; 'expired' = never sent although connected
        expired = [r for r in self.queue if not r.durable and ticks_diff(now, r.deadline) >= 0]
        for req in expired:
            self.queue.remove(req)
            self._failed(req, "expired" if connected else "offline", now)

    def _send_next(self, now):
        blocked_durable = False
        for req in self.queue:
            if self.only_action is not None and req.action != self.only_action:
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
                self.queue.remove(req)
                return
        if req.msg_id is None:
            if req.id_base is not None:  # a resend after a restart keeps its id: a CS can spot it
                req.msg_id = "%s.%d" % (req.id_base, req.attempts) if req.attempts else req.id_base
            else:
                self._seq += 1
                req.msg_id = "%s-%d" % (self.prefix, self._seq)
        text = json.dumps([CALL, req.msg_id, req.action, payload], separators=(",", ":"))
        if not self.cp.connection.send(text):
            return
        self.queue.remove(req)
        self.in_flight = req
        req.deadline = ticks_add(now, req.timeout_ms)  # the answer gets the full timeout
        self.cp.sent_call(req, text)

    # ---- incoming ----
    def receive(self, text):
        cp = self.cp
        cp.trace("<<", text)
        self.received += 1
        self.unanswered = 0
        try:
            msg = json.loads(text)
        except ValueError:
            cp.log("ignored a frame that is not JSON: %.60s" % text)
            return
        if not isinstance(msg, list) or len(msg) < 3 or not isinstance(msg[1], str) \
                or msg[0] not in (CALL, CALLRESULT, CALLERROR) or isinstance(msg[0], bool):
            if isinstance(msg, list) and len(msg) >= 2 and msg[0] == CALL and isinstance(msg[1], str):
                self.send_error(msg[1], "ProtocolError", "incomplete CALL")
            else:
                cp.log("ignored a frame that is not OCPP-J: %.60s" % text)
            return
        kind, msg_id = msg[0], msg[1]
        if kind == CALL:
            if len(msg) != 4 or not isinstance(msg[2], str):
                self.send_error(msg_id, "ProtocolError", "a CALL is [2, id, action, payload]")
            elif not isinstance(msg[3], dict):
                self.send_error(msg_id, "FormationViolation", "payload must be a JSON object")
            else:
                self._handle_call(msg_id, msg[2], msg[3])
            return
        req = self.in_flight
        if req is None or req.msg_id != msg_id:
            cp.log("ignored an answer to no pending request (id %s)" % msg_id)
            return
        self.in_flight = None
        if kind == CALLRESULT:
            self._result(req, msg[2])
        else:
            code = msg[2] if isinstance(msg[2], str) else str(msg[2])
            text = msg[3] if len(msg) > 3 and isinstance(msg[3], str) else ""
            details = msg[4] if len(msg) > 4 and isinstance(msg[4], dict) else {}
            self._failed(req, "error", cp.ticks_ms(), (code, text, details))

    def _result(self, req, payload):
        cp = self.cp
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
        call_listener(cp.log, req.on_conf, payload)

    def _failed(self, req, why, now, error=None):
        """No answer ('timeout', or never sent: 'offline'/'expired') or a CALLERROR ('error'):
        transaction messages retry, others tell their listeners."""
        cp = self.cp
        if req.durable:
            if why != "error":
                cp.log("%s got no answer: will send it again" % req.action)
                self.queue.insert(0, req)
                return
            req.attempts += 1
            limit = cp.config.get("TransactionMessageAttempts")
            if req.attempts < limit:
                delay = req.attempts * cp.config.get("TransactionMessageRetryInterval") * 1000
                cp.log("%s answered %s: retry %d/%d in %d s" % (req.action, error[0], req.attempts + 1, limit, delay // 1000))
                req.not_before = ticks_add(now, delay)
                req.msg_id = None  # a new attempt is a new message
                self.queue.insert(0, req)
                self._hook(req, "retry")  # e.g. the journal keeps the attempt count
                return
            cp.log("%s dropped after %d attempts (last error %s)" % (req.action, req.attempts, error[0]))
        self._hook(req, "failed", why)
        if why != "error":
            call_listener(cp.log, req.on_timeout)
        else:
            call_listener(cp.log, req.on_error, error[0], error[1], error[2])
        call_listener(cp.log, req.on_abort)

    def _hook(self, req, name, *args):
        """The action's ops module function name(cp, req, *args), if it has one."""
        fn = getattr(find_operation(req.action), name, None)
        if fn is not None:
            try:
                fn(self.cp, req, *args)
            except Exception as e:  # noqa: BLE001
                log_exception(self.cp.log, req.action + "." + name, e)

    def _handle_call(self, msg_id, action, payload):
        cp = self.cp
        if cp.boot_status == "Rejected":
            return  # OCPP 1.6 4.2.1: a rejected charge point does not answer
        try:
            mod = find_operation(action)
            custom = cp.request_handlers.get(action)  # the sketch answers it (setRequestHandler)
            if mod is None and custom is None:
                from .validate import unknown_action_code
                raise CallError(unknown_action_code(action), "unknown action " + action)
            handle = getattr(mod, "handle", None)
            if handle is None and custom is None:
                raise CallError("NotSupported", action + " is not accepted from a Central System")
            spec = getattr(mod, "SCHEMA", None)
            if spec is not None:  # the op's compact payload schema (engine/validate.py)
                from .validate import check
                check(payload, spec)
            result = custom(payload) if custom else handle(cp, payload)
            if not isinstance(result, dict):
                raise TypeError("the answer must be a dict, not %r" % (result,))
        except CallError as e:
            self.send_error(msg_id, e.code, e.description, e.details)
            return
        except Exception as e:  # noqa: BLE001 - a bad handler must not stop the charger
            log_exception(cp.log, action, e)
            self.send_error(msg_id, "InternalError", "%s: %s" % (type(e).__name__, e))
            return
        call_listener(cp.log, cp.on_receive_request.get(action), payload)  # a valid request
        text = json.dumps([CALLRESULT, msg_id, result], separators=(",", ":"))
        cp.trace(">>", text)
        cp.connection.send(text)
        call_listener(cp.log, cp.on_send_conf.get(action), result)
        after = None if custom else getattr(mod, "after", None)
        if after is not None:
            try:
                after(cp, payload, result)
            except Exception as e:  # noqa: BLE001
                log_exception(cp.log, action + ".after", e)

    def send_error(self, msg_id, code, description="", details=None):
        text = json.dumps([CALLERROR, msg_id, code, description, details or {}], separators=(",", ":"))
        self.cp.trace(">>", text)
        self.cp.connection.send(text)


def _random_bits(n):
    try:
        import os
        return int.from_bytes(os.urandom(4), "big") & ((1 << n) - 1)
    except (ImportError, AttributeError, NotImplementedError, OSError):
        import random
        return random.getrandbits(n)
