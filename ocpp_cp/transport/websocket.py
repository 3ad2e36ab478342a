"""RFC 6455 WebSocket client as a pure state machine (sans-IO).

Bytes in (receive_data), events out (next_event), bytes to write
(data_to_send). No sockets, no Adafruit imports: runs and is tested anywhere.
Bad input from the peer never raises; it becomes an "error" or "close" event.
"""

import binascii

try:
    from os import urandom as _urandom
except ImportError:  # MicroPython wasm has no os.urandom
    _urandom = None

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_MAX_HEADER = 4096  # a real 101 response is a few hundred bytes
_CHUNK = 256  # masking chunk: big-int XOR per chunk, small temporaries

_HINTS = {
    400: "the server refused the WebSocket upgrade (does it accept subprotocol ocpp1.6?)",
    401: "check OCPP_AUTH_KEY and the charge point id",
    403: "check OCPP_AUTH_KEY and the charge point id",
    404: "check the URL path (it usually ends with the charge point id)",
}


def _random_bytes(n):
    if _urandom is not None:
        return _urandom(n)
    import random

    return bytes([random.getrandbits(8) for _ in range(n)])


def _b64(data):
    return binascii.b2a_base64(data).strip().decode()


def _sha1(data):
    """SHA-1 digest, or None where the firmware has no SHA-1.

    Without it the Sec-WebSocket-Accept check is skipped: it only guards
    against talking to something that is not a WebSocket server, and the
    status, Upgrade and subprotocol checks still run.
    """
    try:
        import hashlib

        try:
            h = hashlib.sha1(data)
        except AttributeError:
            h = hashlib.new("sha1", data)  # CircuitPython spelling
        return h.digest()
    except Exception:  # no hashlib, or "unsupported hash type"
        return None


def _valid_close_code(c):
    return 1000 <= c <= 1003 or 1007 <= c <= 1014 or 3000 <= c <= 4999


class WebSocketClient:
    """Client side of one WebSocket connection, without I/O.

    state: "CONNECTING" -> "OPEN" -> ("CLOSING" ->) "CLOSED".
    Events: ("open", subprotocol), ("text", str), ("binary", bytes),
    ("ping", bytes), ("pong", bytes), ("close", code, reason), ("error", msg).
    """

    def __init__(self, host, port, path, subprotocol="ocpp1.6", basic_auth=None,
                 max_message_size=8192, key=None, random_bytes=None):
        self.host = host
        self.port = port
        self.path = path or "/"
        self.subprotocol = subprotocol
        self.basic_auth = basic_auth
        self.max_message_size = max_message_size
        self._rand = random_bytes or _random_bytes
        if key is None:
            key = self._rand(16)
        if len(key) != 16:
            raise ValueError("key must be 16 bytes")
        self._key = _b64(bytes(key))
        self.state = "CONNECTING"
        self._hdr = b""  # response header bytes until the blank line
        self._in = bytearray()  # frame bytes not yet parsed
        self._frag_op = 0  # opcode of the fragmented message in progress
        self._frag = None
        self._events = []
        self._out = []

    # ---- handshake ----------------------------------------------------

    def handshake_request(self):
        host = self.host
        if ":" in host:
            host = "[" + host + "]"  # IPv6 literal
        # The scheme is unknown here, so the two default ports are omitted.
        if self.port not in (80, 443):
            host += ":" + str(self.port)
        lines = [
            "GET " + self.path + " HTTP/1.1",
            "Host: " + host,
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: " + self._key,
            "Sec-WebSocket-Version: 13",
        ]
        if self.subprotocol:
            lines.append("Sec-WebSocket-Protocol: " + self.subprotocol)
        if self.basic_auth:
            user, password = self.basic_auth
            cred = _text(user) + ":" + _text(password)
            lines.append("Authorization: Basic " + _b64(cred.encode()))
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def _handshake_failed(self, msg):
        self.state = "CLOSED"
        self._hdr = b""
        self._events.append(("error", msg))

    def _check_response(self, head):
        try:
            lines = head.decode().split("\r\n")
        except UnicodeError:
            return self._handshake_failed("the server's answer is not HTTP")
        status = lines[0].split(" ", 2)
        if len(status) < 2 or not status[0].startswith("HTTP/") or not status[1].isdigit():
            return self._handshake_failed("the server's answer is not HTTP: " + repr(lines[0][:60]))
        code = int(status[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            k = k.strip().lower()
            v = v.strip()
            headers[k] = headers[k] + ", " + v if k in headers else v
        if code != 101:
            msg = "HTTP " + str(code)
            if len(status) > 2 and status[2]:
                msg += " " + status[2]
            if 300 <= code < 400 and "location" in headers:
                hint = "redirects are not followed; use " + headers["location"]
            else:
                hint = _HINTS.get(code, "the server refused the WebSocket upgrade")
            return self._handshake_failed(msg + ": " + hint)
        if headers.get("upgrade", "").lower() != "websocket":
            return self._handshake_failed("HTTP 101 without Upgrade: websocket")
        if "upgrade" not in headers.get("connection", "").lower():
            return self._handshake_failed("HTTP 101 without Connection: Upgrade")
        got = headers.get("sec-websocket-protocol")
        if self.subprotocol and got != self.subprotocol:
            return self._handshake_failed(
                "the server did not accept subprotocol " + self.subprotocol
                + " (it answered " + (repr(got) if got else "none") + ")")
        if headers.get("sec-websocket-extensions"):
            return self._handshake_failed("the server enabled an extension we did not offer")
        digest = _sha1(self._key.encode() + _GUID)
        if digest is not None and headers.get("sec-websocket-accept") != _b64(digest):
            return self._handshake_failed(
                "wrong Sec-WebSocket-Accept: not a WebSocket server, or a proxy altered the answer")
        self.state = "OPEN"
        self._events.append(("open", got))
        return True

    # ---- input --------------------------------------------------------

    def receive_data(self, data):
        """Feed bytes read from the connection (any split)."""
        if self.state == "CLOSED" or not data:
            return
        if self.state == "CONNECTING":
            self._hdr += bytes(data)
            end = self._hdr.find(b"\r\n\r\n")
            if end < 0:
                if len(self._hdr) > _MAX_HEADER:
                    self._handshake_failed("the server's answer header is too long (not a WebSocket server?)")
                return
            head, rest = self._hdr[:end], self._hdr[end + 4:]
            self._hdr = b""
            if not self._check_response(head):
                return
            self._in = bytearray(rest)
        else:
            self._in += data
        self._parse()

    def _parse(self):
        buf = self._in
        n = len(buf)
        pos = 0
        limit = self.max_message_size
        while self.state != "CLOSED" and n - pos >= 2:
            b0 = buf[pos]
            b1 = buf[pos + 1]
            op = b0 & 0x0F
            fin = b0 & 0x80
            ln = b1 & 0x7F
            h = 2
            if ln == 126:
                if n - pos < 4:
                    break
                ln = (buf[pos + 2] << 8) | buf[pos + 3]
                h = 4
            elif ln == 127:
                if n - pos < 10:
                    break
                ln = int.from_bytes(bytes(buf[pos + 2:pos + 10]), "big")
                h = 10
            # Validate the header before the payload arrives, so an oversize
            # or bogus frame is refused without buffering it.
            if b0 & 0x70:
                self._fail(1002, "reserved bits set")
            elif b1 & 0x80:
                self._fail(1002, "masked frame from server")
            elif op >= 8:
                if op > 10:
                    self._fail(1002, "unknown opcode")
                elif not fin or ln > 125:
                    self._fail(1002, "bad control frame")
            elif op == 0:
                if not self._frag_op:
                    self._fail(1002, "continuation without a message")
                elif len(self._frag) + ln > limit:
                    self._fail(1009, "message too big")
            elif op > 2:
                self._fail(1002, "unknown opcode")
            elif self._frag_op:
                self._fail(1002, "new message inside a fragmented one")
            elif ln > limit:
                self._fail(1009, "message too big")
            if self.state == "CLOSED" or n - pos < h + ln:
                break
            payload = bytes(buf[pos + h:pos + h + ln])
            pos += h + ln
            self._frame(op, fin, payload)
        if self.state == "CLOSED":
            self._in = bytearray()
        elif pos:
            self._in = buf[pos:]

    def _frame(self, op, fin, payload):
        if op == 9:
            if self.state == "OPEN":
                self._send(10, payload)
            self._events.append(("ping", payload))
        elif op == 10:
            self._events.append(("pong", payload))
        elif op == 8:
            self._on_close(payload)
        elif op == 0:
            self._frag += payload
            if fin:
                op, data = self._frag_op, self._frag
                self._frag_op = 0
                self._frag = None
                self._message(op, data)
        elif fin:
            self._message(op, payload)
        else:
            self._frag_op = op
            self._frag = bytearray(payload)

    def _message(self, op, data):
        if op == 1:
            try:
                text = str(data, "utf-8")
            except UnicodeError:
                return self._fail(1007, "invalid UTF-8 in text message")
            self._events.append(("text", text))
        else:
            self._events.append(("binary", bytes(data)))

    def _on_close(self, payload):
        if not payload:
            code, reason = 1005, ""  # RFC 6455 7.1.5: no status code present
        elif len(payload) == 1:
            return self._fail(1002, "bad close frame")
        else:
            code = (payload[0] << 8) | payload[1]
            if not _valid_close_code(code):
                return self._fail(1002, "invalid close code " + str(code))
            try:
                reason = str(payload[2:], "utf-8")
            except UnicodeError:
                return self._fail(1007, "invalid UTF-8 in close reason")
        if self.state == "OPEN":
            self._send(8, payload[:2])  # echo the status code, RFC 6455 5.5.1
        self.state = "CLOSED"
        self._frag = None
        self._events.append(("close", code, reason))

    def _fail(self, code, reason):
        """Fail the connection (RFC 6455 7.1.7): send a close and stop reading."""
        if self.state == "OPEN":
            self._send(8, code.to_bytes(2, "big") + reason.encode())
        self.state = "CLOSED"
        self._frag = None
        self._frag_op = 0
        self._events.append(("close", code, reason))

    def next_event(self):
        """Next event tuple, or None."""
        if self._events:
            return self._events.pop(0)
        return None

    # ---- output -------------------------------------------------------

    def _check_open(self):
        if self.state != "OPEN":
            raise ValueError("websocket is " + self.state + ", not OPEN")

    def send_text(self, text):
        self._check_open()
        self._send(1, text.encode("utf-8"))

    def send_binary(self, data):
        self._check_open()
        self._send(2, bytes(data))

    def ping(self, payload=b""):
        self._check_open()
        if len(payload) > 125:
            raise ValueError("ping payload is limited to 125 bytes")
        self._send(9, bytes(payload))

    def close(self, code=1000, reason=""):
        """Start the closing handshake; a no-op when already closing/closed."""
        if self.state == "OPEN":
            # 123 = 125 control-frame limit minus the 2-byte code (ASCII reasons expected)
            self._send(8, code.to_bytes(2, "big") + reason.encode("utf-8")[:123])
            self.state = "CLOSING"
        elif self.state == "CONNECTING":
            self.state = "CLOSED"

    def data_to_send(self):
        """All pending outgoing bytes (handshake not included), then cleared."""
        if not self._out:
            return b""
        data = b"".join(self._out)
        self._out = []
        return data

    def _send(self, op, payload):
        # Client frames are always a single FIN frame with a fresh mask key.
        n = len(payload)
        if n < 126:
            head = bytes([0x80 | op, 0x80 | n])
        elif n < 65536:
            head = bytes([0x80 | op, 0xFE]) + n.to_bytes(2, "big")
        else:
            head = bytes([0x80 | op, 0xFF]) + n.to_bytes(8, "big")
        key = bytes(self._rand(4))
        h = len(head) + 4
        out = bytearray(h + n)
        out[0:h] = head + key
        m = int.from_bytes(key * (_CHUNK // 4), "big")
        i = 0
        while i < n:
            c = n - i
            if c > _CHUNK:
                c = _CHUNK
            mm = m if c == _CHUNK else m >> (8 * (_CHUNK - c))  # big-endian: keep leading key bytes
            chunk = int.from_bytes(payload[i:i + c], "big") ^ mm
            out[h + i:h + i + c] = chunk.to_bytes(c, "big")
            i += c
        self._out.append(out)


def _text(x):
    return x.decode() if isinstance(x, (bytes, bytearray)) else str(x)
