"""A small OCPP-J 1.6 Central System for development and tests (desktop CPython only).

Built on the ``ocpp`` package (server-side ``ChargePoint`` with ``@on`` handlers) and
``websockets``. It runs its own asyncio loop in a background thread, so tests written in
plain synchronous style can drive a charge point and look at what it sent::

    cs = CentralSystem(log=print)
    port = cs.start()                       # ws://127.0.0.1:<port>/ocpp/<chargePointId>
    ...
    cs.wait_for("BootNotification")         # -> [payload, ...]
    cs.call("CP_1", "Reset", {"type": "Soft"})
    cs.stop()

Every frame in both directions is kept in ``cs.messages`` (see ``_record``). Behaviour knobs
(``boot_status``, ``id_tags``, ``silent_actions``, ``error_actions``, ...) are plain
attributes that a test may change at any time.

When a charge point under test runs in the same thread as the test (the ocpp_cp engine is a
cooperative ``loop()``), pass ``pump=cp.loop`` to the waiting helpers: it is called on every
polling round while waiting.

Command line: ``python3 tools/central_system.py [--host 127.0.0.1] [--port 9000]``.
"""

import argparse
import asyncio
import concurrent.futures
import datetime
import hmac
import http
import json
import logging
import sys
import threading
import time
import uuid
from urllib.parse import unquote

from ocpp.exceptions import OCPPError
from ocpp.messages import CallError, MessageType, unpack
from ocpp.routing import on
from ocpp.v16 import ChargePoint as _OcppChargePoint
from ocpp.v16 import call_result
from ocpp.v16.enums import Action
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed, InvalidHeader
from websockets.headers import build_www_authenticate_basic, parse_authorization_basic

__all__ = ["CentralSystem", "CallErrorReceived", "CP_TO_CS", "CS_TO_CP", "utc_now_iso"]

CP_TO_CS = "cp->cs"
CS_TO_CP = "cs->cp"
_ARROWS = {CP_TO_CS: "CP\u2192CS", CS_TO_CP: "CS\u2192CP"}
_OTHER_DIR = {CP_TO_CS: CS_TO_CP, CS_TO_CP: CP_TO_CS}
_LOG_PAYLOAD_MAX = 2000

LOGGER = logging.getLogger("tools.central_system")
LOGGER.addHandler(logging.NullHandler())
# The ocpp package logs a traceback for every CALLERROR it sends; our own log line says enough.
# Silent unless the application (or pytest's log capture) configures logging.
_OCPP_LOGGER = logging.getLogger("tools.central_system.ocpp")

# The ocpp package answers invalid requests with OCPP 2.0 spellings of two error codes; OCPP 1.6
# (4.2.3, kept by the errata) spells them like this.
_ERROR_CODES_1_6 = {"FormatViolation": "FormationViolation",
                    "OccurrenceConstraintViolation": "OccurenceConstraintViolation"}


class CallErrorReceived(Exception):
    """The charge point answered a CS-initiated CALL with a CALLERROR."""

    def __init__(self, code, description="", details=None):
        self.code = code
        self.description = description
        self.details = details if details is not None else {}
        Exception.__init__(self, "%s: %s %s" % (code, description, json.dumps(self.details)))


def utc_now_iso():
    """Current UTC time as ISO-8601 with milliseconds and a ``Z``: 2024-05-01T12:00:00.123Z."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (now.microsecond // 1000)


def _compact(value):
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > _LOG_PAYLOAD_MAX:
        text = text[:_LOG_PAYLOAD_MAX] + "\u2026"
    return text


def _cp_id_from_path(path):
    """Last non-empty path segment of the request path (query string dropped), URL-decoded."""
    path = path.split("?", 1)[0].split("#", 1)[0]
    segments = [s for s in path.split("/") if s]
    return unquote(segments[-1]) if segments else ""


class _RecordingConnection:
    """What the ocpp ChargePoint sees as its connection: records every frame it passes."""

    def __init__(self, cs, cp_id, ws):
        self.cs = cs
        self.cp_id = cp_id
        self.ws = ws

    async def recv(self):
        data = await self.ws.recv()
        binary = isinstance(data, bytes)
        text = data.decode("utf-8", "replace") if binary else data
        self.cs._record(CP_TO_CS, self.cp_id, text, binary=binary)
        return text

    async def send(self, text):
        # Record first, so that the log order stays CALL before its answer.
        self.cs._record(CS_TO_CP, self.cp_id, text)
        await self.ws.send(text)


class _CsSideChargePoint(_OcppChargePoint):
    """The Central System's view of one connected charge point."""

    def __init__(self, cs, cp_id, connection):
        _OcppChargePoint.__init__(self, cp_id, connection, response_timeout=30, logger=_OCPP_LOGGER)
        self._cs = cs

    async def _send(self, message):
        # Frames the ocpp package builds: use OCPP 1.6 error code spellings.
        if message.startswith("[4,"):
            try:
                frame = json.loads(message)
                if frame[2] in _ERROR_CODES_1_6:
                    frame[2] = _ERROR_CODES_1_6[frame[2]]
                    message = json.dumps(frame, separators=(",", ":"))
            except (ValueError, IndexError, TypeError):
                pass
        await self._connection.send(message)

    # -- routing: knobs, and answers to CS-initiated raw calls ---------------------------

    async def route_message(self, raw_msg):
        cs = self._cs
        try:
            frame = json.loads(raw_msg)
        except ValueError:
            frame = None
        if isinstance(frame, list) and frame and frame[0] in (MessageType.CallResult, MessageType.CallError):
            cs._resolve_response(self.id, frame)
            return
        try:
            msg = unpack(raw_msg)
        except OCPPError:
            msg = None
        if msg is not None and msg.message_type_id == MessageType.Call and isinstance(msg.action, str):
            action = msg.action
            override = cs.override_responses.get(action)
            if action in cs.silent_actions:
                cs._log_line("[%s] (silent: %s not answered)" % (self.id, action))
                return
            error = cs.error_actions.get(action)
            if error is not None:
                if isinstance(error, str):
                    error = (error,)
                code, description, details = (tuple(error) + ("", {}))[:3]
                # Verbatim, whatever code the test chose.
                await self._connection.send(
                    CallError(msg.unique_id, code, description, details or {}).to_json())
                return
            if override is not None:
                payload = override(self.id, msg.payload) if callable(override) else override
                text = json.dumps([MessageType.CallResult, msg.unique_id, payload], separators=(",", ":"))
                await self._connection.send(text)
                return
        try:
            await _OcppChargePoint.route_message(self, raw_msg)
        except ConnectionClosed:
            raise
        except Exception:  # keep serving whatever a handler did
            LOGGER.exception("%s: error while routing %r", self.id, raw_msg)

    # -- handlers for every CP -> CS action ------------------------------------------------

    def _id_tag_info(self, id_tag):
        value = self._cs.id_tags.get(id_tag, self._cs.default_id_status)
        if isinstance(value, dict):
            info = {}
            for key, snake in (("status", "status"), ("expiryDate", "expiry_date"),
                               ("parentIdTag", "parent_id_tag")):
                if key in value:
                    info[snake] = value[key]
                elif snake in value:
                    info[snake] = value[snake]
            return info
        return {"status": value}

    @on(Action.boot_notification)
    def on_boot_notification(self, **kwargs):
        cs = self._cs
        status = cs.boot_status
        interval = cs.boot_interval
        if status == "Accepted" and cs.heartbeat_interval is not None:
            interval = cs.heartbeat_interval
        return call_result.BootNotification(current_time=utc_now_iso(), interval=int(interval), status=status)

    @on(Action.heartbeat)
    def on_heartbeat(self, **kwargs):
        return call_result.Heartbeat(current_time=utc_now_iso())

    @on(Action.authorize)
    def on_authorize(self, id_tag, **kwargs):
        return call_result.Authorize(id_tag_info=self._id_tag_info(id_tag))

    @on(Action.start_transaction)
    def on_start_transaction(self, connector_id, id_tag, meter_start, timestamp, **kwargs):
        cs = self._cs
        with cs._cond:
            cs._last_transaction_id += 1
            transaction_id = cs._last_transaction_id
            cs.transactions[transaction_id] = {
                "cp_id": self.id, "connector_id": connector_id, "id_tag": id_tag,
                "meter_start": meter_start, "start_timestamp": timestamp,
                "meter_stop": None, "stop_timestamp": None, "stopped": False,
            }
        return call_result.StartTransaction(transaction_id=transaction_id,
                                            id_tag_info=self._id_tag_info(id_tag))

    @on(Action.stop_transaction)
    def on_stop_transaction(self, transaction_id, meter_stop, timestamp, id_tag=None, **kwargs):
        cs = self._cs
        with cs._cond:
            tx = cs.transactions.get(transaction_id)
            if tx is not None:
                tx.update(meter_stop=meter_stop, stop_timestamp=timestamp, stopped=True,
                          reason=kwargs.get("reason"))
        if id_tag is None:
            return call_result.StopTransaction()
        return call_result.StopTransaction(id_tag_info=self._id_tag_info(id_tag))

    @on(Action.status_notification)
    def on_status_notification(self, connector_id, status, **kwargs):
        with self._cs._cond:
            self._cs.connector_status[(self.id, connector_id)] = status
        return call_result.StatusNotification()

    @on(Action.meter_values)
    def on_meter_values(self, **kwargs):
        return call_result.MeterValues()

    @on(Action.data_transfer)
    def on_data_transfer(self, **kwargs):
        return call_result.DataTransfer(status=self._cs.data_transfer_status)

    @on(Action.diagnostics_status_notification)
    def on_diagnostics_status_notification(self, **kwargs):
        return call_result.DiagnosticsStatusNotification()

    @on(Action.firmware_status_notification)
    def on_firmware_status_notification(self, **kwargs):
        return call_result.FirmwareStatusNotification()


class _Connection:
    __slots__ = ("cp_id", "ws", "adapter", "cp")

    def __init__(self, cp_id, ws, adapter, cp):
        self.cp_id = cp_id
        self.ws = ws
        self.adapter = adapter
        self.cp = cp


class CentralSystem:
    """OCPP-J 1.6 Central System in a background thread. See the module docstring."""

    def __init__(self, host="127.0.0.1", port=0, log=print, auth_keys=None, close_timeout=1.0):
        self.host = host
        self.port = port
        self.log = log
        self.auth_keys = auth_keys            # None, or {cpId: key}: HTTP Basic auth required
        self.close_timeout = close_timeout

        # Behaviour knobs (may be changed from the test thread at any time).
        self.boot_status = "Accepted"         # "Accepted" / "Pending" / "Rejected"
        self.boot_interval = 300              # interval in BootNotification.conf
        self.heartbeat_interval = None        # if set: interval sent when boot_status is Accepted
        self.id_tags = {}                     # idTag -> status string, or idTagInfo dict
        self.default_id_status = "Accepted"   # for idTags not in id_tags
        self.data_transfer_status = "Accepted"
        self.silent_actions = set()           # CP->CS actions never answered
        self.error_actions = {}               # action -> (errorCode, description[, details])
        self.override_responses = {}          # action -> payload dict or f(cp_id, request) -> dict,
                                              # sent verbatim (no schema check)

        # What happened.
        self.messages = []                    # every frame, both directions (see _record)
        self.events = []                      # connected / disconnected / rejected
        self.transactions = {}                # transactionId -> dict
        self.connector_status = {}            # (cp_id, connectorId) -> last status

        self._cond = threading.Condition(threading.RLock())
        self._connections = {}                # cp_id -> _Connection (loop thread writes)
        self._pending = {}                    # (cp_id, uniqueId) -> (Future, _Connection)
        self._call_actions = {}               # (cp_id, dir, uniqueId) -> action of that CALL
        self._last_transaction_id = 0
        self._loop = None
        self._thread = None
        self._server = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, timeout=10):
        """Start serving in a background thread; return the bound port."""
        if self._thread is not None:
            return self.port
        ready = threading.Event()
        failure = []

        def run():
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            try:
                try:
                    loop.run_until_complete(self._astart())
                except BaseException as exc:  # e.g. address in use
                    failure.append(exc)
                    return
                finally:
                    ready.set()
                loop.run_forever()
            finally:
                try:
                    loop.run_until_complete(loop.shutdown_asyncgens())
                    loop.run_until_complete(loop.shutdown_default_executor())
                finally:
                    loop.close()

        self._thread = threading.Thread(target=run, name="CentralSystem", daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise TimeoutError("Central System did not start within %ss" % timeout)
        if failure:
            self._thread.join(timeout)
            self._thread = None
            raise failure[0]
        return self.port

    async def _astart(self):
        self._server = await serve(
            self._handler, self.host, self.port,
            subprotocols=["ocpp1.6"],
            process_request=self._process_request,
            close_timeout=self.close_timeout,
        )
        self.port = self._server.sockets[0].getsockname()[1]

    def stop(self, timeout=10):
        """Close every connection and the server, stop the loop and join its thread."""
        thread, loop = self._thread, self._loop
        if thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._astop(), loop).result(timeout)
        except Exception as exc:
            LOGGER.warning("Central System stop: %r", exc)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        self._thread = None
        self._fail_pending(None, ConnectionError("Central System stopped"))

    async def _astop(self):
        server = self._server
        if server is not None:
            server.close()
            await server.wait_closed()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def url(self, cp_id="CP_1", path="ocpp"):
        """The URL a charge point with this id should connect to."""
        host = self.host if self.host not in ("0.0.0.0", "") else "127.0.0.1"
        return "ws://%s:%d/%s/%s" % (host, self.port, path.strip("/"), cp_id)

    # -- websocket server side (loop thread) ------------------------------------------------

    def _process_request(self, connection, request):
        cp_id = _cp_id_from_path(request.path)
        if not cp_id:
            self._event("rejected", cp_id, reason="no charge point id in URL %s" % request.path)
            return connection.respond(http.HTTPStatus.NOT_FOUND, "No charge point id in URL\n")
        keys = self.auth_keys
        if keys is None:
            return None
        reason = None
        header = request.headers.get("Authorization")
        if header is None:
            reason = "missing credentials"
        else:
            try:
                username, password = parse_authorization_basic(header)
            except InvalidHeader:
                username = password = None
                reason = "unsupported credentials"
            if reason is None:
                expected = keys.get(cp_id)
                if username != cp_id:
                    reason = "user %r does not match charge point id" % username
                elif expected is None or not hmac.compare_digest(
                        str(expected).encode("utf-8", "surrogateescape"),
                        password.encode("utf-8", "surrogateescape")):
                    reason = "wrong key"
        if reason is None:
            return None
        self._event("rejected", cp_id, reason="401 " + reason)
        response = connection.respond(http.HTTPStatus.UNAUTHORIZED, "Unauthorized: %s\n" % reason)
        response.headers["WWW-Authenticate"] = build_www_authenticate_basic("ocpp_cp dev central system")
        return response

    async def _handler(self, ws):
        cp_id = _cp_id_from_path(ws.request.path)
        adapter = _RecordingConnection(self, cp_id, ws)
        conn = _Connection(cp_id, ws, adapter, _CsSideChargePoint(self, cp_id, adapter))
        with self._cond:
            old = self._connections.get(cp_id)
            self._connections[cp_id] = conn
        if old is not None:
            self._log_line("[%s] new connection replaces the previous one" % cp_id)
            asyncio.ensure_future(old.ws.close(1000, "replaced by a new connection"))
        self._event("connected", cp_id, subprotocol=ws.subprotocol,
                    remote="%s:%s" % tuple(ws.remote_address[:2]) if ws.remote_address else None)
        try:
            await conn.cp.start()
        except ConnectionClosed:
            pass
        except asyncio.CancelledError:
            raise
        except Exception:
            LOGGER.exception("%s: connection handler failed", cp_id)
        finally:
            with self._cond:
                if self._connections.get(cp_id) is conn:
                    del self._connections[cp_id]
            self._fail_pending(conn, ConnectionError("%s disconnected" % cp_id))
            self._event("disconnected", cp_id, code=ws.close_code, reason=ws.close_reason)

    def _resolve_response(self, cp_id, frame):
        uid = frame[1] if len(frame) > 1 else None
        try:
            key = (cp_id, uid)
            with self._cond:
                entry = self._pending.pop(key, None)
        except TypeError:  # unhashable id
            entry = None
        if entry is None:
            self._log_line("[%s] answer to no pending CS call: %s" % (cp_id, _compact(frame)))
            return
        future = entry[0]
        if future.done():
            return
        if frame[0] == MessageType.CallResult:
            future.set_result(frame[2] if len(frame) > 2 else None)
        else:
            code = frame[2] if len(frame) > 2 else None
            description = frame[3] if len(frame) > 3 else ""
            details = frame[4] if len(frame) > 4 else {}
            future.set_exception(CallErrorReceived(code, description, details))

    def _fail_pending(self, conn, exc):
        with self._cond:
            keys = [k for k, v in self._pending.items() if conn is None or v[1] is conn]
            entries = [self._pending.pop(k) for k in keys]
        for future, _ in entries:
            if not future.done():
                future.set_exception(exc)

    # -- record and log ---------------------------------------------------------------------

    def _record(self, direction, cp_id, text, binary=False):
        """Append one frame to ``messages``.

        Entry: ``{"dir": "cp->cs"|"cs->cp", "cp_id", "type": 2|3|4|None, "id", "action",
        "payload", "raw", "time"}``. For a CALLRESULT/CALLERROR ``action`` is that of the CALL
        it answers (matched by id). For a CALLERROR ``payload`` is
        ``{"errorCode", "errorDescription", "errorDetails"}``. A frame that is not an OCPP-J
        message has ``type`` None (and ``binary`` True if it came as a binary frame).
        """
        entry = {"dir": direction, "cp_id": cp_id, "type": None, "id": None, "action": None,
                 "payload": None, "raw": text, "time": time.time()}
        if binary:
            entry["binary"] = True
        try:
            frame = json.loads(text)
        except ValueError:
            frame = None
        with self._cond:
            if isinstance(frame, list) and len(frame) >= 2 and frame[0] in (2, 3, 4) \
                    and not isinstance(frame[0], bool):
                mtype = frame[0]
                uid = frame[1]
                entry["type"] = mtype
                entry["id"] = uid
                hashable = isinstance(uid, (str, int, float))
                if mtype == 2:
                    entry["action"] = frame[2] if len(frame) > 2 else None
                    entry["payload"] = frame[3] if len(frame) > 3 else None
                    if hashable and isinstance(entry["action"], str):
                        self._call_actions[(cp_id, direction, uid)] = entry["action"]
                else:
                    if hashable:
                        entry["action"] = self._call_actions.get((cp_id, _OTHER_DIR[direction], uid))
                    if mtype == 3:
                        entry["payload"] = frame[2] if len(frame) > 2 else None
                    else:
                        entry["payload"] = {
                            "errorCode": frame[2] if len(frame) > 2 else None,
                            "errorDescription": frame[3] if len(frame) > 3 else None,
                            "errorDetails": frame[4] if len(frame) > 4 else None,
                        }
            self.messages.append(entry)
            self._cond.notify_all()
        self._log_line(self.format_message(entry))

    @staticmethod
    def format_message(m):
        """One readable line for a ``messages`` entry."""
        head = "[%s] %s  " % (m["cp_id"], _ARROWS.get(m["dir"], m["dir"]))
        mtype = m["type"]
        if mtype == 2:
            return head + "%s  %s" % (m["action"], _compact(m["payload"]))
        if mtype == 3:
            return head + "%s.conf  %s" % (m["action"] or "?", _compact(m["payload"]))
        if mtype == 4:
            p = m["payload"]
            return head + "%s.error  %s  %s  %s" % (
                m["action"] or "?", p["errorCode"], _compact(p["errorDescription"]),
                _compact(p["errorDetails"]))
        return head + "(not OCPP-J)  %s" % _compact(m["raw"])

    def _event(self, kind, cp_id, **info):
        entry = dict(info, event=kind, cp_id=cp_id, time=time.time())
        with self._cond:
            self.events.append(entry)
            self._cond.notify_all()
        extra = "  ".join("%s=%s" % (k, v) for k, v in sorted(info.items()) if v is not None)
        self._log_line("[%s] %s  %s" % (cp_id, kind, extra))

    def _log_line(self, line):
        log = self.log
        if log is None:
            return
        try:
            log(line)
        except Exception:
            pass

    def dump(self, cp_id=None):
        """The message log as readable lines (for failure messages)."""
        with self._cond:
            msgs = list(self.messages)
        lines = [self.format_message(m) for m in msgs if cp_id is None or m["cp_id"] == cp_id]
        return "\n".join(lines) if lines else "(no messages)"

    # -- queries and waiting (any thread) ---------------------------------------------------

    def calls(self, action=None, cp_id=None):
        """Payloads of the CP->CS CALLs so far, in order, optionally filtered."""
        with self._cond:
            return [m["payload"] for m in self.messages
                    if m["dir"] == CP_TO_CS and m["type"] == 2
                    and (action is None or m["action"] == action)
                    and (cp_id is None or m["cp_id"] == cp_id)]

    def clear_messages(self):
        """Forget the message log (the conftest check then sees only later frames)."""
        with self._cond:
            del self.messages[:]

    def connected_ids(self):
        with self._cond:
            return sorted(self._connections)

    def _wait(self, predicate, timeout, pump, what):
        deadline = time.monotonic() + timeout
        step = 0.005 if pump is not None else 0.05
        while True:
            with self._cond:
                result = predicate()
                if result is not None:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                if pump is None:
                    self._cond.wait(min(step, remaining))
            if pump is not None:
                pump()
                time.sleep(step)
        raise TimeoutError("Timed out after %ss waiting for %s\nconnected: %s\nmessage log:\n%s"
                           % (timeout, what, self.connected_ids(), self.dump()))

    def wait_for(self, action, count=1, timeout=10, cp_id=None, pump=None):
        """Wait until ``count`` CP->CS CALLs of ``action`` have arrived; return all so far."""
        def ready():
            found = self.calls(action, cp_id)
            return found if len(found) >= count else None
        return self._wait(ready, timeout, pump, "%d x %s%s" % (
            count, action, "" if cp_id is None else " from " + cp_id))

    def wait_connected(self, cp_id=None, timeout=10, pump=None):
        """Wait until ``cp_id`` (or any charge point) is connected; return its id."""
        def ready():
            ids = sorted(self._connections)
            if cp_id is None:
                return ids[0] if ids else None
            return cp_id if cp_id in ids else None
        return self._wait(ready, timeout, pump, "connection of %s" % (cp_id or "any charge point"))

    def wait_disconnected(self, cp_id=None, timeout=10, pump=None):
        """Wait until ``cp_id`` (or every charge point) is no longer connected."""
        def ready():
            if cp_id is None:
                return True if not self._connections else None
            return True if cp_id not in self._connections else None
        self._wait(ready, timeout, pump, "disconnection of %s" % (cp_id or "all charge points"))

    # -- CS-initiated traffic (any thread but the loop's) -----------------------------------

    def _connection(self, cp_id):
        with self._cond:
            if cp_id is None and len(self._connections) == 1:
                return next(iter(self._connections.values()))
            conn = self._connections.get(cp_id)
            if conn is None:
                raise ConnectionError("charge point %r is not connected (connected: %s)"
                                      % (cp_id, sorted(self._connections)))
            return conn

    def start_call(self, cp_id, action, payload=None, unique_id=None):
        """Send a raw CALL; return a ``concurrent.futures.Future`` of the CALLRESULT payload
        (or raising ``CallErrorReceived``). ``cp_id`` None means the only connected one."""
        conn = self._connection(cp_id)
        uid = unique_id if unique_id is not None else str(uuid.uuid4())
        text = json.dumps([MessageType.Call, uid, action, {} if payload is None else payload],
                          separators=(",", ":"))
        future = concurrent.futures.Future()
        with self._cond:
            self._pending[(conn.cp_id, uid)] = (future, conn)
        sent = asyncio.run_coroutine_threadsafe(conn.adapter.send(text), self._loop)

        def on_sent(f):
            exc = f.exception()
            if exc is not None:
                with self._cond:
                    self._pending.pop((conn.cp_id, uid), None)
                if not future.done():
                    future.set_exception(ConnectionError("sending %s failed: %r" % (action, exc)))
        sent.add_done_callback(on_sent)
        future.unique_id = uid
        future.cp_id = conn.cp_id
        return future

    def call(self, cp_id, action, payload=None, timeout=10, pump=None):
        """Send a CALL and return the charge point's CALLRESULT payload (dict).

        Raises ``CallErrorReceived`` for a CALLERROR, ``TimeoutError`` without an answer."""
        future = self.start_call(cp_id, action, payload)
        try:
            if pump is None:
                return future.result(timeout)
            self._wait(lambda: True if future.done() else None, timeout, pump,
                       "answer to %s" % action)
            return future.result(0)
        except TimeoutError:
            with self._cond:
                self._pending.pop((future.cp_id, future.unique_id), None)
            if future.done():
                return future.result(0)
            raise TimeoutError("No answer from %s to %s within %ss\nmessage log:\n%s"
                               % (future.cp_id, action, timeout, self.dump())) from None

    def send_raw(self, cp_id, text, timeout=5):
        """Push an arbitrary text frame to the charge point (recorded like any other)."""
        conn = self._connection(cp_id)
        asyncio.run_coroutine_threadsafe(conn.adapter.send(text), self._loop).result(timeout)

    def disconnect(self, cp_id=None, code=1000, reason="", abrupt=False):
        """Drop the charge point's websocket; returns at once (see ``wait_disconnected``).

        ``abrupt=True`` aborts the TCP connection without a close handshake."""
        conn = self._connection(cp_id)

        def do():
            if abrupt:
                conn.ws.transport.abort()
            else:
                asyncio.ensure_future(conn.ws.close(code, reason))
        self._loop.call_soon_threadsafe(do)


# -- command line ---------------------------------------------------------------------------

def _console(cs):
    """Read ``[@cpId] Action {json}`` lines from stdin and send them as CS calls."""
    print("Type a CS call as:  [@cpId] Action {json payload}   e.g.  "
          "RemoteStartTransaction {\"connectorId\": 1, \"idTag\": \"TAG1\"}", flush=True)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        cp_id = None
        if line.startswith("@"):
            cp_id, _, line = line[1:].partition(" ")
            line = line.strip()
        action, _, rest = line.partition(" ")
        try:
            payload = json.loads(rest) if rest.strip() else {}
            future = cs.start_call(cp_id, action, payload)
        except (ValueError, ConnectionError) as exc:
            print("!! %s" % exc, flush=True)
            continue
        future.add_done_callback(
            lambda f: f.exception() and print("!! %r" % f.exception(), flush=True))
    while True:  # stdin closed: keep serving
        time.sleep(3600)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Development OCPP-J 1.6 Central System")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--auth", action="append", metavar="CPID:KEY",
                        help="require HTTP Basic auth for this charge point (repeatable)")
    parser.add_argument("--heartbeat-interval", type=int, default=None)
    parser.add_argument("--boot-status", default="Accepted", choices=["Accepted", "Pending", "Rejected"])
    args = parser.parse_args(argv)

    auth_keys = None
    if args.auth:
        auth_keys = dict(item.split(":", 1) for item in args.auth)
    cs = CentralSystem(args.host, args.port, log=lambda line: print(line, flush=True), auth_keys=auth_keys)
    cs.boot_status = args.boot_status
    cs.heartbeat_interval = args.heartbeat_interval
    port = cs.start()
    shown_host = args.host if args.host not in ("0.0.0.0", "") else "<this machine's address>"
    print("OCPP 1.6 Central System listening; charge points connect to:", flush=True)
    print("    ws://%s:%d/ocpp/<chargePointId>" % (shown_host, port), flush=True)
    print("Ctrl-C to stop.", flush=True)
    try:
        _console(cs)
    except KeyboardInterrupt:
        pass
    finally:
        cs.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
