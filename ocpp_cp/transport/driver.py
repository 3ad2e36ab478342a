"""WebSocket connection driver: the only module that touches sockets.

Sockets come from adafruit_connection_manager, which knows every radio
(native Wi-Fi, AirLift, WIZnet, desktop CPython). It is imported lazily, on
the first connect, so this module still imports on MicroPython where that
library cannot. Everything is polled: poll() never blocks except for the
TCP/TLS connect itself, which is bounded by connect_timeout_ms.
"""

import adafruit_ticks
from adafruit_ticks import ticks_add, ticks_diff

from .url import parse_url
from .websocket import WebSocketClient

# What a non-blocking socket raises when there is nothing to read or no room to
# write: devices raise OSError 11 (EAGAIN) or ETIMEDOUT (116 with newlib, 110 in
# MicroPython's own numbering); CPython raises these classes.
_NO_DATA = ()
try:
    _NO_DATA = (BlockingIOError, TimeoutError)  # NameError on MicroPython
    from ssl import SSLWantReadError, SSLWantWriteError

    _NO_DATA += (SSLWantReadError, SSLWantWriteError)
except (NameError, ImportError):
    pass


def _err(e):
    """What went wrong in a socket call, or None when e only means "nothing to do now"."""
    if isinstance(e, _NO_DATA) or (e.args and e.args[0] in (11, 110, 116)):
        return None
    s = str(e)
    return type(e).__name__ + (": " + s if s else "")


class WebSocketConnection:
    """One auto-reconnecting WebSocket (OCPP-J) connection, driven by poll()."""

    def __init__(self, url, pool=None, ssl_context=None, basic_auth=None, max_message_size=8192,
                 connect_timeout_ms=10000, backoff_min_ms=1000, backoff_max_ms=60000, log=None,
                 ticks_ms=None):
        parse_url(url)  # a bad URL fails now, not at the first connect
        self.url = url
        self.pool = pool
        self.ssl_context = ssl_context
        self.basic_auth = basic_auth
        self.max_message_size = max_message_size
        self.connect_timeout_ms = connect_timeout_ms
        self.backoff_min_ms = backoff_min_ms
        self.backoff_max_ms = backoff_max_ms
        self.log = log
        self.ticks_ms = ticks_ms or adafruit_ticks.ticks_ms
        self._cm = None
        self._sock = None
        self._ws = None
        self._buf = bytearray(1024)  # the one receive buffer, reused
        self._out = b""  # bytes not yet accepted by send()
        self._inbox = []
        self._closed = False
        # No socket: when to try again; handshake in progress: when to give up.
        self._deadline = self.ticks_ms()  # first attempt on the first poll()
        self._idle_at = None  # when a read last found nothing (see _read)
        self.connected = False  # websocket open (handshake done)
        self.last_error = None
        self.pong_ms = None
        self.backoff_ms = 0  # delay before the reconnect now scheduled; 0 once connected

    def _log(self, msg):
        if self.log:
            self.log(msg)

    # ---- public -------------------------------------------------------

    def poll(self):
        """Do pending I/O without blocking; (re)connect when due."""
        if self._closed:
            return
        if self._sock is None:
            if ticks_diff(self._deadline, self.ticks_ms()) > 0:
                return
            self._connect()
            if self._sock is None:
                return
        ws = self._ws
        # Handle events before acting on a read error, so a close frame or
        # messages that came just before the drop are not lost.
        lost = self._read()
        while self._sock is not None:
            ev = ws.next_event()
            if ev is None:
                break
            kind = ev[0]
            if kind == "text":
                self._inbox.append(ev[1])
            elif kind == "pong":
                self.pong_ms = self.ticks_ms()
            elif kind == "open":
                self.connected = True
                self.backoff_ms = 0
                self.last_error = None
                self._log("connected to %s (%s)" % (self.url, ev[1]))
            elif kind == "error":
                self.drop(ev[1])
            elif kind == "close":
                # Best effort to get our close frame (or the echo) out before
                # dropping; a few tries cover a partial send of a small frame.
                for _ in range(8):
                    if self._write() or not self._out:
                        break
                if ev[1] == 1009:
                    why = "message too big (over max_message_size=%d bytes)" % self.max_message_size
                else:
                    why = ("%d %s" % (ev[1], ev[2])).strip()
                self.drop("websocket closed: " + why)
            # "binary" is not used by OCPP-J; "ping" is answered by the state machine.
        if self._sock is None:
            return
        lost = self._write() or lost
        if lost:
            self.drop(lost)
        elif ws.state == "CONNECTING" and ticks_diff(self.ticks_ms(), self._deadline) >= 0:
            self.drop("no WebSocket handshake answer within %d ms" % self.connect_timeout_ms)

    def receive(self):
        """Next complete text message (str) or None."""
        if self._inbox:
            return self._inbox.pop(0)
        return None

    def send(self, text):
        """Send one text message; False when not connected or the send failed.

        text None sends a ping instead (that is what ping() does)."""
        if not self.connected:
            return False
        if text is None:
            self._ws.ping()
        else:
            self._ws.send_text(text)
        lost = self._write()
        if lost:
            self.drop(lost)
        return not lost

    def ping(self):
        """Send a ping; its pong sets pong_ms (ticks). False when not connected."""
        return self.send(None)

    def close(self):
        """Close handshake (1000), release the socket, never reconnect."""
        if self._closed:
            return
        self._closed = True
        ws = self._ws
        if self.connected:
            import time

            ws.close(1000)
            # Wait briefly (1 s) for the server's close frame (RFC 6455 7.1.1:
            # the server should close TCP first), never long.
            deadline = ticks_add(self.ticks_ms(), 1000)
            while ticks_diff(deadline, self.ticks_ms()) > 0:
                if self._write() or self._read():
                    break
                if ws.state == "CLOSED" and not self._out:
                    break
                time.sleep(0.01)
        self.drop(None)
        self._log("connection closed")

    def drop(self, reason):
        """Drop the socket now and, unless close() was called, reconnect after the backoff.

        reason (str) becomes last_error; the engine calls this when the connection is silent."""
        sock = self._sock
        self._sock = self._ws = None
        self.connected = False
        self._out = b""
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
        # 1st retry after backoff_min_ms, then doubling up to backoff_max_ms.
        delay = self.backoff_ms
        self.backoff_ms = min(delay * 2, self.backoff_max_ms) if delay else self.backoff_min_ms
        self._deadline = ticks_add(self.ticks_ms(), self.backoff_ms)
        self._log("%s; retrying in %d ms" % (reason, self.backoff_ms))

    # ---- internals ----------------------------------------------------

    def _connect(self):
        secure, host, port, path = parse_url(self.url)
        self._log("connecting to " + self.url)
        try:
            if self._cm is None:
                import adafruit_connection_manager as acm

                if self.pool is None:
                    try:
                        import wifi

                        radio = wifi.radio
                    except (ImportError, AttributeError):
                        radio = acm.CPythonNetwork()  # desktop: stdlib socket + ssl
                    self.pool = acm.get_radio_socketpool(radio)
                    if self.ssl_context is None:
                        self.ssl_context = acm.get_radio_ssl_context(radio)
                elif self.ssl_context is None and secure:
                    import ssl

                    self.ssl_context = ssl.create_default_context()
                self._cm = acm.get_connection_manager(self.pool)
            # Blocking connect (and TLS handshake), bounded by the timeout;
            # the socket API takes seconds. session_id keeps two connections
            # to the same host apart in the manager.
            self._sock = sock = self._cm.get_socket(
                host, port, "https:" if secure else "http:", session_id=id(self),
                timeout=self.connect_timeout_ms / 1000, is_ssl=secure, ssl_context=self.ssl_context)
            sock.settimeout(0)  # from now on poll() must not block
        except Exception as e:  # DNS, refused, TLS, no radio, missing library...
            self.drop("cannot connect to %s:%d: %s" % (host, port, _err(e) or "timed out"))
            return
        self._ws = ws = WebSocketClient(host, port, path, basic_auth=self.basic_auth,
                                        max_message_size=self.max_message_size)
        self._out = ws.handshake_request()
        self._idle_at = None
        self._deadline = ticks_add(self.ticks_ms(), self.connect_timeout_ms)

    def _read(self):
        """Read what is waiting into the state machine; return a drop reason or None."""
        sock = self._sock
        ws = self._ws
        now = self.ticks_ms()
        # On a device every empty read raises (and drops) an OSError: ~80 B of
        # garbage per idle poll. So after one, wait a few ms (5) before the next,
        # except in the same millisecond (a clock that does not move, as in tests).
        # Desktop sockets (with fileno) are read on every poll: no heap to save.
        if self._idle_at is not None and 0 < ticks_diff(now, self._idle_at) < 5:
            return None
        self._idle_at = None
        for _ in range(64):  # reads per poll, so a flood of data cannot starve the caller
            try:
                n = sock.recv_into(self._buf)
            except (OSError, RuntimeError) as e:
                why = _err(e)
                if why:
                    return "connection lost: " + why
                if not hasattr(sock, "fileno"):
                    self._idle_at = now
                return None
            if not n:
                return "connection closed by the server"
            ws.receive_data(memoryview(self._buf)[:n])
            if ws.state == "CLOSED":
                break
        return None

    def _write(self):
        """Send queued bytes until the socket would block; return a drop reason or None."""
        data = self._ws.data_to_send()
        if data:
            self._out = bytes(self._out) + data if self._out else data
        while self._out:
            try:
                n = self._sock.send(self._out)
            except (OSError, RuntimeError) as e:
                why = _err(e)
                return why and "connection lost: " + why
            if not n:
                break  # nothing accepted: try again on the next poll
            self._out = memoryview(self._out)[n:] if n < len(self._out) else b""
        return None
