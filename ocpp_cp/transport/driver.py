"""WebSocket connection driver: the only module that touches sockets.

Sockets come from adafruit_connection_manager, which knows every radio
(native Wi-Fi, AirLift, WIZnet, desktop CPython). It is imported lazily, on
the first connect, so this module still imports on MicroPython where that
library cannot. Everything is polled: poll() never blocks except for the
TCP/TLS connect itself, which is bounded by connect_timeout_ms.
"""

from adafruit_ticks import ticks_add, ticks_diff
from adafruit_ticks import ticks_ms as _ticks_ms

from .url import parse_url
from .websocket import WebSocketClient

_BUF_SIZE = 1024
_MAX_READS = 64  # reads per poll, so a flood of data cannot starve the caller
_CLOSE_WAIT_MS = 1000  # close(): how long to wait for the server's close frame

# "Nothing to read/write now". Devices raise OSError 11 (EAGAIN) or 116
# (ETIMEDOUT); CPython raises these classes, whose names we compare because
# MicroPython has neither TimeoutError nor BlockingIOError nor ssl errors.
_NO_DATA_ERRNO = [11, 116]
try:
    import errno as _errno

    _NO_DATA_ERRNO += [_errno.EAGAIN, _errno.ETIMEDOUT]
except (ImportError, AttributeError):
    pass
_NO_DATA_NAMES = ("TimeoutError", "BlockingIOError", "SSLWantReadError", "SSLWantWriteError")


def _no_data(e):
    if type(e).__name__ in _NO_DATA_NAMES:
        return True
    code = getattr(e, "errno", None)
    if code is None and e.args:
        code = e.args[0]
    return code in _NO_DATA_ERRNO


def _err(e):
    s = str(e)
    return type(e).__name__ + (": " + s if s else "")


class WebSocketConnection:
    """One auto-reconnecting WebSocket (OCPP-J) connection, driven by poll()."""

    def __init__(self, url, pool=None, ssl_context=None, basic_auth=None, max_message_size=8192,
                 connect_timeout_ms=10000, backoff_min_ms=1000, backoff_max_ms=60000, log=None,
                 ticks_ms=None):
        self._url = url
        self._secure, self._host, self._port, self._path = parse_url(url)
        self._pool = pool
        self._ssl = ssl_context
        self._auth = basic_auth
        self._max_size = max_message_size
        self._timeout_ms = connect_timeout_ms
        self._min = backoff_min_ms
        self._max = backoff_max_ms
        self._delay = backoff_min_ms  # next reconnect delay
        self._logf = log
        self._ticks = ticks_ms or _ticks_ms
        self._cm = None
        self._sock = None
        self._ws = None
        self._buf = bytearray(_BUF_SIZE)  # the one receive buffer, reused
        self._view = memoryview(self._buf)
        self._out = b""  # bytes not yet accepted by send()
        self._out_pos = 0
        self._inbox = []
        self._closed = False
        self._next_try = self._ticks()  # first attempt on the first poll()
        self._deadline = 0
        self.last_error = None
        self.pong_ms = None
        self.backoff_ms = 0  # delay before the reconnect now scheduled

    @property
    def connected(self):
        return self._ws is not None and self._ws.state == "OPEN"

    def _log(self, msg):
        if self._logf:
            self._logf(msg)

    # ---- public -------------------------------------------------------

    def poll(self):
        """Do pending I/O without blocking; (re)connect when due."""
        if self._closed:
            return
        if self._sock is None:
            if ticks_diff(self._next_try, self._ticks()) > 0:
                return
            self._connect()
            if self._sock is None:
                return
        # Handle events before acting on a read error, so a close frame or
        # messages that came just before the drop are not lost.
        lost = self._read()
        self._events()
        if self._sock is None:
            return
        lost = self._write() or lost
        if lost:
            self._drop(lost)
        elif self._ws.state == "CONNECTING" and ticks_diff(self._ticks(), self._deadline) >= 0:
            self._drop("no WebSocket handshake answer within " + str(self._timeout_ms) + " ms")

    def receive(self):
        """Next complete text message (str) or None."""
        if self._inbox:
            return self._inbox.pop(0)
        return None

    def send(self, text):
        """Send one text message; False when not connected (or the send failed)."""
        if not self.connected:
            return False
        self._ws.send_text(text)
        err = self._write()
        if err:
            self._drop(err)
            return False
        return True

    def ping(self):
        if not self.connected:
            return False
        self._ws.ping()
        err = self._write()
        if err:
            self._drop(err)
            return False
        return True

    def close(self):
        """Close handshake (1000), release the socket, never reconnect."""
        if self._closed:
            return
        self._closed = True
        ws = self._ws
        if ws is not None and ws.state == "OPEN":
            import time

            ws.close(1000)
            # Wait briefly for the server's close frame (RFC 6455 7.1.1:
            # the server should close TCP first), never long.
            deadline = ticks_add(self._ticks(), _CLOSE_WAIT_MS)
            while ticks_diff(deadline, self._ticks()) > 0:
                if self._write() or self._read():
                    break
                if ws.state == "CLOSED" and not self._out:
                    break
                time.sleep(0.01)
        self._drop(None)
        self._log("connection closed")

    # ---- internals ----------------------------------------------------

    def _manager(self):
        if self._cm is None:
            import adafruit_connection_manager as acm

            pool = self._pool
            if pool is None:
                try:
                    import wifi

                    radio = wifi.radio
                except (ImportError, AttributeError):
                    radio = acm.CPythonNetwork()  # desktop: stdlib socket + ssl
                pool = acm.get_radio_socketpool(radio)
                if self._ssl is None:
                    self._ssl = acm.get_radio_ssl_context(radio)
            elif self._ssl is None and self._secure:
                import ssl

                self._ssl = ssl.create_default_context()
            self._pool = pool
            self._cm = acm.get_connection_manager(pool)
        return self._cm

    def _connect(self):
        where = self._host + ":" + str(self._port)
        self._log("connecting to " + self._url)
        try:
            cm = self._manager()
            # Blocking connect (and TLS handshake), bounded by the timeout;
            # the socket API takes seconds. session_id keeps two connections
            # to the same host apart in the manager.
            sock = cm.get_socket(self._host, self._port, "https:" if self._secure else "http:",
                                 session_id=id(self), timeout=self._timeout_ms / 1000,
                                 is_ssl=self._secure, ssl_context=self._ssl)
        except Exception as e:  # DNS, refused, TLS, no radio, missing library...
            self._drop("cannot connect to " + where + ": " + _err(e))
            return
        self._sock = sock
        try:
            sock.settimeout(0)  # from now on poll() must not block
        except (OSError, RuntimeError) as e:
            self._drop("cannot use socket to " + where + ": " + _err(e))
            return
        self._ws = WebSocketClient(self._host, self._port, self._path, basic_auth=self._auth,
                                   max_message_size=self._max_size)
        self._out = self._ws.handshake_request()
        self._out_pos = 0
        self._deadline = ticks_add(self._ticks(), self._timeout_ms)

    def _read(self):
        """Read what is waiting into the state machine; return a drop reason or None."""
        sock = self._sock
        ws = self._ws
        for _ in range(_MAX_READS):
            try:
                n = sock.recv_into(self._buf)
            except (OSError, RuntimeError) as e:
                if _no_data(e):
                    return None
                return "connection lost: " + _err(e)
            if not n:
                return "connection closed by the server"
            ws.receive_data(self._view[:n])
            if ws.state == "CLOSED":
                return None
        return None

    def _write(self):
        """Send queued bytes until the socket would block; return a drop reason or None."""
        data = self._ws.data_to_send() if self._ws is not None else b""
        if data:
            if self._out_pos < len(self._out):
                self._out = self._out[self._out_pos:] + data
            else:
                self._out = data
            self._out_pos = 0
        out = self._out
        while self._out_pos < len(out):
            try:
                n = self._sock.send(memoryview(out)[self._out_pos:])
            except (OSError, RuntimeError) as e:
                if _no_data(e):
                    return None
                return "connection lost: " + _err(e)
            if not n:
                return None  # nothing accepted: try again on the next poll
            self._out_pos += n
        self._out = b""
        self._out_pos = 0
        return None

    def _events(self):
        ws = self._ws
        while True:
            ev = ws.next_event()
            if ev is None:
                return
            kind = ev[0]
            if kind == "text":
                self._inbox.append(ev[1])
            elif kind == "pong":
                self.pong_ms = self._ticks()
            elif kind == "open":
                self._delay = self._min
                self.last_error = None
                self._log("connected to " + self._url + " (" + str(ev[1]) + ")")
            elif kind == "error":
                self._drop(ev[1])
                return
            elif kind == "close":
                # Best effort to get our close frame (or the echo) out before
                # dropping; a few tries cover a partial send of a small frame.
                for _ in range(8):
                    if self._write() or not self._out:
                        break
                if ev[1] == 1009:
                    why = "message too big (over max_message_size=" + str(self._max_size) + " bytes)"
                else:
                    why = str(ev[1]) + (" " + ev[2] if ev[2] else "")
                self._drop("websocket closed: " + why)
                return
            # "binary" is not used by OCPP-J; "ping" is answered by the state machine.

    def _drop(self, reason):
        """Release the socket and, unless close() was called, schedule a reconnect."""
        sock = self._sock
        self._sock = None
        self._ws = None
        self._out = b""
        self._out_pos = 0
        if sock is not None:
            try:
                self._cm.close_socket(sock)
            except Exception:  # not managed / already closed
                try:
                    sock.close()
                except Exception:
                    pass
        if reason:
            self.last_error = reason
        if self._closed:
            return
        self.backoff_ms = self._delay
        self._next_try = ticks_add(self._ticks(), self._delay)
        self._delay = min(self._delay * 2, self._max)
        self._log(str(reason) + "; retrying in " + str(self.backoff_ms) + " ms")
