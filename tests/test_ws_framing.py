"""The sans-IO WebSocket state machine, driven by hand-made server bytes."""

import base64
import hashlib
import os
import struct

import pytest

from ocpp_cp.transport.websocket import WebSocketClient

KEY = bytes(range(16))
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


# ---- independent helpers (the test's own encoder/decoder) -------------

def accept_for(key):
    k = base64.b64encode(key)
    return base64.b64encode(hashlib.sha1(k + GUID).digest()).decode()


def response(status="101 Switching Protocols", protocol="ocpp1.6", accept=None, extra=()):
    lines = ["HTTP/1.1 " + status]
    if status.startswith("101"):
        lines += ["Upgrade: websocket", "Connection: Upgrade",
                  "Sec-WebSocket-Accept: " + (accept if accept is not None else accept_for(KEY))]
        if protocol is not None:
            lines.append("Sec-WebSocket-Protocol: " + protocol)
    lines += list(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def frame(opcode, payload=b"", fin=True, rsv=0, mask=None):
    """A server frame (unmasked unless mask is given)."""
    if isinstance(payload, str):
        payload = payload.encode()
    b0 = (0x80 if fin else 0) | rsv | opcode
    n = len(payload)
    mbit = 0x80 if mask else 0
    if n < 126:
        head = struct.pack("!BB", b0, mbit | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        head = struct.pack("!BBQ", b0, mbit | 127, n)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        head += mask
    return head + payload


def parse_client_frames(data):
    """Decode client frames; asserts each is masked. Returns [(fin, opcode, payload)]."""
    out = []
    i = 0
    while i < len(data):
        b0, b1 = data[i], data[i + 1]
        assert b1 & 0x80, "client frame not masked"
        n = b1 & 0x7F
        i += 2
        if n == 126:
            n = struct.unpack("!H", data[i:i + 2])[0]
            i += 2
        elif n == 127:
            n = struct.unpack("!Q", data[i:i + 8])[0]
            i += 8
        mask = data[i:i + 4]
        i += 4
        body = data[i:i + n]
        assert len(body) == n, "truncated client frame"
        i += n
        out.append((bool(b0 & 0x80), b0 & 0x0F, bytes(b ^ mask[j % 4] for j, b in enumerate(body))))
    return out


def events(ws):
    evs = []
    while True:
        e = ws.next_event()
        if e is None:
            return evs
        evs.append(e)


def open_client(**kw):
    ws = WebSocketClient("192.168.1.10", 9000, "/ocpp/charger-01", key=KEY, **kw)
    ws.receive_data(response())
    assert events(ws) == [("open", "ocpp1.6")]
    assert ws.state == "OPEN"
    return ws


def close_payload(code, reason=b""):
    return struct.pack("!H", code) + reason


# ---- handshake -----------------------------------------------------------

def test_handshake_request_content():
    ws = WebSocketClient("192.168.1.10", 9000, "/ocpp/charger-01?x=1", key=KEY,
                         basic_auth=("charger-01", "s3cret"))
    req = ws.handshake_request().decode()
    assert req.endswith("\r\n\r\n")
    lines = req[:-4].split("\r\n")
    assert lines[0] == "GET /ocpp/charger-01?x=1 HTTP/1.1"
    headers = {}
    for line in lines[1:]:
        k, v = line.split(": ", 1)
        headers[k.lower()] = v
    assert headers["host"] == "192.168.1.10:9000"
    assert headers["upgrade"] == "websocket"
    assert headers["connection"] == "Upgrade"
    assert headers["sec-websocket-key"] == base64.b64encode(KEY).decode()
    assert headers["sec-websocket-version"] == "13"
    assert headers["sec-websocket-protocol"] == "ocpp1.6"
    assert headers["authorization"] == "Basic " + base64.b64encode(b"charger-01:s3cret").decode()
    assert ws.state == "CONNECTING"


def test_handshake_request_default_port_and_no_auth():
    req = WebSocketClient("example.com", 80, "/cp", key=KEY).handshake_request().decode()
    assert "\r\nHost: example.com\r\n" in req
    assert "Authorization" not in req
    req = WebSocketClient("::1", 9000, "/cp", key=KEY).handshake_request().decode()
    assert "\r\nHost: [::1]:9000\r\n" in req


def test_random_key_is_16_bytes_and_differs():
    a = WebSocketClient("h", 80, "/").handshake_request()
    b = WebSocketClient("h", 80, "/").handshake_request()

    def key(req):
        for line in req.decode().split("\r\n"):
            if line.startswith("Sec-WebSocket-Key: "):
                return base64.b64decode(line.split(": ")[1])
    assert len(key(a)) == 16 and key(a) != key(b)


def test_random_bytes_hook_used():
    calls = []

    def rnd(n):
        calls.append(n)
        return b"\x01" * n
    ws = WebSocketClient("h", 80, "/", random_bytes=rnd)
    assert calls == [16]
    ws.receive_data(response(accept=accept_for(b"\x01" * 16)))
    assert events(ws)[0][0] == "open"
    ws.send_text("x")
    assert ws.data_to_send()[2:6] == b"\x01\x01\x01\x01"  # the mask key came from the hook


def test_api_misuse_raises():
    ws = WebSocketClient("h", 80, "/", key=KEY)
    with pytest.raises(ValueError):
        ws.send_text("too early")
    with pytest.raises(ValueError):
        ws.ping()
    with pytest.raises(ValueError):
        WebSocketClient("h", 80, "/", key=b"short")


def test_handshake_split_at_every_byte():
    data = response() + frame(1, "hello") + frame(1, "world")
    for cut in range(len(data) + 1):
        ws = WebSocketClient("192.168.1.10", 9000, "/ocpp/charger-01", key=KEY)
        ws.receive_data(data[:cut])
        ws.receive_data(data[cut:])
        assert events(ws) == [("open", "ocpp1.6"), ("text", "hello"), ("text", "world")], cut


def test_handshake_one_byte_at_a_time():
    data = response(extra=["Server: test", "X-Two: a", "x-two: b"]) + frame(1, "hi")
    ws = WebSocketClient("192.168.1.10", 9000, "/ocpp/charger-01", key=KEY)
    for i in range(len(data)):
        ws.receive_data(data[i:i + 1])
    assert events(ws) == [("open", "ocpp1.6"), ("text", "hi")]


def test_header_names_case_insensitive():
    data = response().replace(b"Sec-WebSocket-Protocol", b"sec-websocket-PROTOCOL")
    ws = WebSocketClient("h", 9000, "/", key=KEY)
    ws.receive_data(data)
    assert events(ws) == [("open", "ocpp1.6")]


@pytest.mark.parametrize("data, words", [
    (response("401 Unauthorized"), ["401", "Unauthorized", "OCPP_AUTH_KEY"]),
    (response("404 Not Found"), ["404", "path"]),
    (response("400 Bad Request"), ["400"]),
    (response("500 Internal Server Error"), ["500"]),
    (response("302 Found", extra=["Location: ws://other/"]), ["302", "ws://other/"]),
    (response(protocol=None), ["ocpp1.6", "none"]),
    (response(protocol="ocpp2.0.1"), ["ocpp1.6", "ocpp2.0.1"]),
    (response(accept="AAAAAAAAAAAAAAAAAAAAAAAAAAA="), ["Sec-WebSocket-Accept"]),
    (response().replace(b"Upgrade: websocket", b"Upgrade: h2c"), ["Upgrade"]),
    (response().replace(b"Connection: Upgrade", b"Connection: close"), ["Connection"]),
    (response(extra=["Sec-WebSocket-Extensions: permessage-deflate"]), ["extension"]),
    (b"SSH-2.0-OpenSSH_9.0\r\n\r\n", ["not HTTP"]),
    (b"HTTP/1.1 101 OK\r\n" + b"X: " + b"a" * 5000, ["too long"]),
])
def test_handshake_failures(data, words):
    ws = WebSocketClient("h", 9000, "/", key=KEY)
    for i in range(0, len(data), 7):  # also split
        ws.receive_data(data[i:i + 7])
    evs = events(ws)
    assert len(evs) == 1 and evs[0][0] == "error", evs
    for w in words:
        assert w in evs[0][1], (w, evs[0][1])
    assert ws.state == "CLOSED"
    ws.receive_data(frame(1, "ignored"))  # nothing after a failure
    assert events(ws) == []
    assert ws.data_to_send() == b""


def test_no_subprotocol_requested():
    ws = WebSocketClient("h", 9000, "/", key=KEY, subprotocol=None)
    assert b"Sec-WebSocket-Protocol" not in ws.handshake_request()
    ws.receive_data(response(protocol=None))
    assert events(ws) == [("open", None)]


# ---- receiving frames ----------------------------------------------------

def test_frames_split_at_every_position():
    stream = (frame(1, "first") + frame(2, b"\x00\x01\x02") + frame(9, b"p")
              + frame(1, "x" * 300) + frame(1, "é✓"))
    expected = [("text", "first"), ("binary", b"\x00\x01\x02"), ("ping", b"p"),
                ("text", "x" * 300), ("text", "é✓")]
    for cut in range(len(stream) + 1):
        ws = open_client()
        ws.receive_data(stream[:cut])
        ws.receive_data(stream[cut:])
        assert events(ws) == expected, cut


def test_frames_one_byte_at_a_time_and_all_at_once():
    stream = b"".join(frame(1, "m%d" % i) for i in range(50))
    ws = open_client()
    for i in range(len(stream)):
        ws.receive_data(stream[i:i + 1])
    assert events(ws) == [("text", "m%d" % i) for i in range(50)]
    ws = open_client()
    ws.receive_data(stream)
    assert events(ws) == [("text", "m%d" % i) for i in range(50)]


def test_memoryview_and_bytearray_input():
    ws = open_client()
    ws.receive_data(memoryview(frame(1, "mv")))
    ws.receive_data(bytearray(frame(1, "ba")))
    assert events(ws) == [("text", "mv"), ("text", "ba")]


def test_16_and_64_bit_lengths():
    ws = open_client(max_message_size=200000)
    t16 = "a" * 1000
    t64 = "b" * 70000
    f16 = frame(1, t16)
    f64 = frame(1, t64)
    assert f16[1] == 126 and f64[1] == 127
    ws.receive_data(f16 + f64)
    assert events(ws) == [("text", t16), ("text", t64)]


def test_fragments_with_interleaved_ping():
    ws = open_client()
    ws.receive_data(frame(1, "Hel", fin=False))
    ws.receive_data(frame(9, b"mid"))
    ws.receive_data(frame(0, "lo ", fin=False) + frame(10, b"pg") + frame(0, "wörld"))
    assert events(ws) == [("ping", b"mid"), ("pong", b"pg"), ("text", "Hello wörld")]
    assert parse_client_frames(ws.data_to_send()) == [(True, 10, b"mid")]


def test_fragmented_utf8_split_inside_a_character():
    data = "ä✓".encode()
    ws = open_client()
    ws.receive_data(frame(1, data[:1], fin=False) + frame(0, data[1:4], fin=False) + frame(0, data[4:]))
    assert events(ws) == [("text", "ä✓")]


def test_fragmented_binary():
    ws = open_client()
    ws.receive_data(frame(2, b"\x01", fin=False) + frame(0, b"\x02"))
    assert events(ws) == [("binary", b"\x01\x02")]


def test_ping_answered_with_pong():
    ws = open_client()
    ws.receive_data(frame(9, b"are you there"))
    assert events(ws) == [("ping", b"are you there")]
    assert parse_client_frames(ws.data_to_send()) == [(True, 10, b"are you there")]
    assert ws.data_to_send() == b""  # cleared


# ---- closing -----------------------------------------------------------

def test_server_initiated_close_is_echoed():
    ws = open_client()
    ws.receive_data(frame(8, close_payload(1001, "going away".encode())))
    assert events(ws) == [("close", 1001, "going away")]
    assert ws.state == "CLOSED"
    frames = parse_client_frames(ws.data_to_send())
    assert frames == [(True, 8, close_payload(1001))]
    ws.receive_data(frame(1, "after close"))
    assert events(ws) == []


def test_server_close_without_code():
    ws = open_client()
    ws.receive_data(frame(8))
    assert events(ws) == [("close", 1005, "")]
    assert parse_client_frames(ws.data_to_send()) == [(True, 8, b"")]


def test_client_initiated_close():
    ws = open_client()
    ws.close(1000, "bye")
    assert ws.state == "CLOSING"
    assert parse_client_frames(ws.data_to_send()) == [(True, 8, close_payload(1000, b"bye"))]
    with pytest.raises(ValueError):
        ws.send_text("no more")
    ws.close()  # again: no-op
    assert ws.data_to_send() == b""
    ws.receive_data(frame(1, "late message") + frame(8, close_payload(1000)))
    assert events(ws) == [("text", "late message"), ("close", 1000, "")]
    assert ws.state == "CLOSED"
    assert ws.data_to_send() == b""  # no echo of the echo


def test_close_before_open():
    ws = WebSocketClient("h", 80, "/", key=KEY)
    ws.close()
    assert ws.state == "CLOSED"
    assert ws.data_to_send() == b""


@pytest.mark.parametrize("data, code", [
    (frame(1, b"\xff\xfe"), 1007),
    (frame(1, b"\xc3", fin=False) + frame(0, b"\x28"), 1007),
    (frame(8, close_payload(1000, b"\xff")), 1007),
    (frame(1, "masked", mask=b"\x01\x02\x03\x04"), 1002),
    (frame(1, "rsv", rsv=0x40), 1002),
    (frame(3, "op3"), 1002),
    (frame(11, "op11"), 1002),
    (frame(0, "orphan continuation"), 1002),
    (frame(1, "a", fin=False) + frame(1, "b"), 1002),
    (frame(9, b"p" * 126), 1002),
    (frame(9, b"p", fin=False), 1002),
    (frame(8, b"\x03"), 1002),
    (frame(8, close_payload(999)), 1002),
    (frame(8, close_payload(1005)), 1002),
])
def test_protocol_errors_close_the_connection(data, code):
    ws = open_client()
    ws.receive_data(data)
    evs = events(ws)
    assert evs[-1][:2] == ("close", code), evs
    assert ws.state == "CLOSED"
    frames = parse_client_frames(ws.data_to_send())
    assert frames[-1][1] == 8 and frames[-1][2][:2] == struct.pack("!H", code)


def test_oversize_frame_refused_at_header():
    ws = open_client(max_message_size=100)
    big = frame(1, "x" * 101)
    ws.receive_data(big[:4])  # only the header: decided before the payload
    assert events(ws) == [("close", 1009, "message too big")]
    frames = parse_client_frames(ws.data_to_send())
    assert frames == [(True, 8, close_payload(1009, b"message too big"))]
    ws.receive_data(big[4:])  # the rest is dropped, not buffered
    assert events(ws) == [] and len(ws._in) == 0


def test_oversize_64bit_length_not_buffered():
    ws = open_client()
    ws.receive_data(struct.pack("!BBQ", 0x81, 127, 2 ** 62) + b"x" * 100)
    assert events(ws) == [("close", 1009, "message too big")]
    assert len(ws._in) == 0


def test_oversize_fragmented_message():
    ws = open_client(max_message_size=10)
    ws.receive_data(frame(1, "123456", fin=False))
    ws.receive_data(frame(0, "78901"))
    assert events(ws) == [("close", 1009, "message too big")]
    assert parse_client_frames(ws.data_to_send())[0][2][:2] == struct.pack("!H", 1009)


def test_message_exactly_at_limit():
    ws = open_client(max_message_size=10)
    ws.receive_data(frame(1, "12345", fin=False) + frame(0, "67890"))
    assert events(ws) == [("text", "1234567890")]


# ---- sending -----------------------------------------------------------

@pytest.mark.parametrize("size", [0, 1, 3, 125, 126, 255, 256, 257, 1000, 65535, 65536, 100000])
def test_client_frames_masked_and_decodable(size):
    ws = open_client()
    text = ("ab✓" * (size // 3 + 1))[:size]
    ws.send_text(text)
    data = ws.data_to_send()
    frames = parse_client_frames(data)
    assert frames == [(True, 1, text.encode())]


def test_each_frame_gets_a_fresh_mask_and_binary_and_ping():
    ws = open_client()
    payload = os.urandom(300)
    ws.send_binary(payload)
    ws.send_binary(payload)
    ws.ping(b"hb")
    data = ws.data_to_send()
    frames = parse_client_frames(data)
    assert frames == [(True, 2, payload), (True, 2, payload), (True, 9, b"hb")]
    first, second = data[4:8], data[4 + 4 + 300 + 2:][:4]
    assert first != second  # different mask keys (random: equal with p = 2**-32)
    assert data[8:308] != payload  # really masked


def test_pong_from_server_is_an_event():
    ws = open_client()
    ws.ping(b"1")
    ws.data_to_send()
    ws.receive_data(frame(10, b"1"))
    assert events(ws) == [("pong", b"1")]
