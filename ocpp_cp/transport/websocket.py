"""RFC 6455 WebSocket client as a pure state machine (sans-IO).

Bytes in (receive_data), events out (next_event), bytes to write
(data_to_send). No sockets, no Adafruit imports: runs and is tested anywhere.
Bad input from the peer never raises; it becomes an "error" or "close" event.
"""


def _random_bytes(n):
    try:
        from os import urandom

        return urandom(n)
    except ImportError:  # MicroPython wasm has no os.urandom
        from random import getrandbits

        b = bytearray(n)
        for i in range(n):
            b[i] = getrandbits(8)
        return b


def _b64(data):
    # Imported here, used only for the handshake: binascii is native on devices,
    # but a Python module (~1 KB of heap) on MicroPython's wasm build.
    from binascii import b2a_base64

    return b2a_base64(data).strip().decode()


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
        self.random_bytes = random_bytes or _random_bytes
        if key is None:
            key = self.random_bytes(16)
        if len(key) != 16:
            raise ValueError("key must be 16 bytes")
        self._key = _b64(bytes(key))
        self.state = "CONNECTING"
        self._in = b""  # bytes not parsed yet: the answer header, then frames (a bytearray)
        self._frag = None  # the fragmented message being received (bytearray), if any
        self._frag_op = 0  # and its opcode
        self._events = []
        self._out = []

    # ---- handshake ----------------------------------------------------

    def handshake_request(self):
        host = self.host
        if ":" in host:
            host = "[" + host + "]"  # IPv6 literal
        # The scheme is unknown here, so the two default ports are omitted.
        if self.port != 80 and self.port != 443:
            host += ":" + str(self.port)
        req = ("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
               % (self.path, host, self._key))
        if self.subprotocol:
            req += "Sec-WebSocket-Protocol: " + self.subprotocol + "\r\n"
        if self.basic_auth:
            cred = b""
            for x in self.basic_auth:  # user, password: str or bytes
                cred += b":" + (bytes(x) if isinstance(x, (bytes, bytearray)) else str(x).encode())
            req += "Authorization: Basic " + _b64(cred[1:]) + "\r\n"
        return (req + "\r\n").encode()

    def _accept(self, head):
        """Check the server's answer header (None: it is too long). Accepted: an "open"
        event and None; else why not (str)."""
        status = [""]  # the first line, split in 3
        headers = {}  # lowercase names, "sec-websocket-" cut off
        if head is not None:
            try:
                lines = head.decode().split("\r\n")
            except UnicodeError:
                lines = [""]
            status = lines[0].split(" ", 2)
            for line in lines[1:]:
                k, _, v = line.partition(":")
                k = k.strip().lower()
                if k.startswith("sec-websocket-"):
                    k = k[14:]
                v = v.strip()
                headers[k] = headers[k] + ", " + v if k in headers else v
        # Where the firmware has no SHA-1 the accept check is skipped: it only guards
        # against talking to something that is not a WebSocket server.
        try:
            import hashlib

            key = self._key.encode() + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
            try:
                digest = hashlib.sha1(key).digest()
            except AttributeError:
                digest = hashlib.new("sha1", key).digest()  # CircuitPython spelling
            accept = _b64(digest)
        except Exception:  # no hashlib, or "unsupported hash type"
            accept = None
        got = headers.get("protocol")
        if head is None:
            problem = "too long"
        elif len(status) < 2 or not status[0].startswith("HTTP/") or not status[1].isdigit():
            problem = "not http"
        elif int(status[1]) != 101:
            problem = "status"
        elif headers.get("upgrade", "").lower() != "websocket":
            problem = "upgrade"
        elif "upgrade" not in headers.get("connection", "").lower():
            problem = "connection"
        elif self.subprotocol and got != self.subprotocol:
            problem = "protocol"
        elif headers.get("extensions"):
            problem = "extensions"
        elif accept and headers.get("accept") != accept:
            problem = "accept"
        else:
            self._events.append(("open", got))
            return None
        from .explain import refused  # the texts are loaded only when this happens

        return refused(problem, status, headers, self.subprotocol)

    # ---- input --------------------------------------------------------

    def receive_data(self, data):
        """Feed bytes read from the connection (any split)."""
        if self.state == "CLOSED" or not data:
            return
        self._in += data
        if self.state == "CONNECTING":
            end = self._in.find(b"\r\n\r\n")
            if end < 0 and len(self._in) <= 4096:  # a real 101 answer is a few hundred bytes
                return
            why = self._accept(self._in[:end] if end >= 0 else None)
            if why:
                self.state = "CLOSED"
                self._in = b""
                self._events.append(("error", why))
                return
            self.state = "OPEN"
            self._in = bytearray(self._in[end + 4:])
        buf = self._in
        n = len(buf)
        pos = 0
        while self.state != "CLOSED" and n - pos >= 2:
            b0 = buf[pos]
            b1 = buf[pos + 1]
            op = b0 & 0x0F
            fin = b0 & 0x80
            size = b1 & 0x7F
            h = 2
            if size > 125:  # 126: 16-bit length follows, 127: 64-bit
                h = 4 if size == 126 else 10
                if n - pos < h:
                    break
                size = int.from_bytes(bytes(buf[pos + 2:pos + h]), "big")
            # Check the header before the payload arrives, so an oversize
            # or bogus frame is refused without buffering it.
            frag = self._frag
            if b0 & 0x70:
                self._fail(1002, "reserved bits set")
            elif b1 & 0x80:
                self._fail(1002, "masked frame from server")
            elif 2 < op < 8 or op > 10:
                self._fail(1002, "unknown opcode")
            elif op > 7:
                if not fin or size > 125:
                    self._fail(1002, "bad control frame")
            elif (op == 0) != (frag is not None):  # a continuation needs a message in progress
                self._fail(1002, "bad fragmentation")
            elif size + (len(frag) if frag else 0) > self.max_message_size:
                self._fail(1009, "message too big")
            if self.state == "CLOSED" or n - pos < h + size:
                break
            payload = bytes(buf[pos + h:pos + h + size])
            pos += h + size
            if op == 9:
                if self.state == "OPEN":
                    self._send(10, payload)
                self._events.append(("ping", payload))
            elif op == 10:
                self._events.append(("pong", payload))
            elif op == 8:
                code = 1005  # RFC 6455 7.1.5: no status code present
                reason = ""
                if size == 1:
                    self._fail(1002, "bad close frame")
                elif size:
                    code = (payload[0] << 8) | payload[1]
                    if not (1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999):
                        self._fail(1002, "invalid close code " + str(code))
                    try:
                        reason = str(payload[2:], "utf-8")
                    except UnicodeError:
                        self._fail(1007, "invalid UTF-8")
                self._fail(code, reason, payload[:2])  # echo the status code, RFC 6455 5.5.1
            else:
                if frag is not None or not fin:  # a fragment: collect until fin
                    if op:
                        self._frag_op = op
                        frag = self._frag = bytearray()
                    frag += payload
                    if not fin:
                        continue
                    op = self._frag_op
                    payload = frag
                    self._frag = None
                if op == 2:
                    self._events.append(("binary", bytes(payload)))
                else:
                    try:
                        self._events.append(("text", str(payload, "utf-8")))
                    except UnicodeError:
                        self._fail(1007, "invalid UTF-8")
        if self.state == "CLOSED":
            self._in = bytearray()
        elif pos:
            self._in = buf[pos:]

    def _fail(self, code, reason, payload=None):
        """Close: send a close frame if open (payload: the peer's code to echo) and stop reading.

        Called for the peer's close frame and to fail the connection (RFC 6455 7.1.7);
        once closed, later calls do nothing."""
        if self.state == "CLOSED":
            return
        if self.state == "OPEN":
            if payload is None:
                payload = code.to_bytes(2, "big") + reason.encode()
            self._send(8, payload)
        self.state = "CLOSED"
        self._frag = None
        self._events.append(("close", code, reason))

    def next_event(self):
        """Next event tuple, or None."""
        if self._events:
            return self._events.pop(0)
        return None

    # ---- output -------------------------------------------------------

    def send_text(self, text):
        self._send(1, text.encode("utf-8"))

    def send_binary(self, data):
        self._send(2, bytes(data))

    def ping(self, payload=b""):
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
        if self.state != "OPEN":
            raise ValueError("websocket is %s, not OPEN" % self.state)
        n = len(payload)
        if n < 126:
            head = bytes((0x80 | op, 0x80 | n))
        elif op > 7:
            raise ValueError("ping payload over 125 bytes")
        elif n < 65536:
            head = bytes((0x80 | op, 0xFE)) + n.to_bytes(2, "big")
        else:
            head = bytes((0x80 | op, 0xFF)) + n.to_bytes(8, "big")
        key = bytes(self.random_bytes(4))
        h = len(head) + 4
        out = bytearray(h + n)
        out[0:h] = head + key
        # Mask 256 bytes at a time with big-int XOR: few, small temporaries.
        # A shorter last chunk takes the leading key bytes (big-endian: shift right).
        m = int.from_bytes(key * 64, "big")
        i = 0
        while i < n:
            c = min(n - i, 256)
            chunk = int.from_bytes(payload[i:i + c], "big") ^ (m >> 8 * (256 - c))
            out[h + i:h + i + c] = chunk.to_bytes(c, "big")
            i += c
        self._out.append(out)
