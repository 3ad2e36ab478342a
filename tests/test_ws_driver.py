"""WebSocketConnection against a real `websockets` server, and against a fake
device-like socket pool (recv_into/send only, partial sends, errno 11/116)."""

import asyncio
import base64
import errno
import hashlib
import http
import shutil
import socket
import ssl
import struct
import subprocess
import threading
import time

import pytest
import websockets
from websockets.asyncio.server import serve

from ocpp_cp.transport.driver import WebSocketConnection
from tests.support.live import free_port

GOOD_AUTH = "Basic " + base64.b64encode(b"cp1:good").decode()


class Server:
    """A websockets server in a background thread. Behaviour is chosen by path:
    /echo/..  echo, /close/.. close 1001 at once, /ping/.. ping then say "got pong",
    /big/..   send 2000 chars then echo, /auth/.. needs GOOD_AUTH, /missing/.. 404."""

    def __init__(self, ssl_context=None):
        self.opened = []  # path of every websocket opened
        self.subprotocols = []
        self.close_codes = []
        self.auth_headers = []
        self.open_times = []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.call(self._start(ssl_context))

    def call(self, coro, timeout=5):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _start(self, ssl_context):
        self.server = await serve(self.handler, "127.0.0.1", 0, subprotocols=["ocpp1.6"],
                                  process_request=self.process_request, ssl=ssl_context,
                                  ping_interval=None, max_size=2 ** 20, close_timeout=1)
        self.port = self.server.sockets[0].getsockname()[1]

    def url(self, path, scheme="ws"):
        return "%s://127.0.0.1:%d%s" % (scheme, self.port, path)

    def process_request(self, conn, request):
        if request.path.startswith("/auth"):
            header = request.headers.get("Authorization")
            self.auth_headers.append(header)
            if header != GOOD_AUTH:
                return conn.respond(http.HTTPStatus.UNAUTHORIZED, "bad credentials\n")
        if request.path.startswith("/missing"):
            return conn.respond(http.HTTPStatus.NOT_FOUND, "no such charger\n")
        return None

    async def handler(self, ws):
        path = ws.request.path
        self.opened.append(path)
        self.open_times.append(time.monotonic())
        self.subprotocols.append(ws.subprotocol)
        try:
            if path.startswith("/close"):
                await ws.close(1001, "going away")
                return
            if path.startswith("/ping"):
                waiter = await ws.ping(b"srv")
                await asyncio.wait_for(waiter, 3)
                await ws.send("got pong")
            if path.startswith("/big"):
                await ws.send("x" * 2000)
            async for msg in ws:
                await ws.send(msg)
        except websockets.ConnectionClosed:
            pass
        finally:
            await ws.wait_closed()
            self.close_codes.append(ws.close_code)

    def count(self, prefix):
        return len([p for p in self.opened if p.startswith(prefix)])

    def stop(self):
        async def _stop():
            self.server.close()
            await self.server.wait_closed()
        try:
            self.call(_stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)
            if not self.thread.is_alive():
                self.loop.close()


@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    s.stop()


def run_until(conn, cond, timeout=5.0):
    """poll() until cond() is true; fail (never hang) after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        conn.poll()
        if cond():
            return
        time.sleep(0.002)
    raise AssertionError("timed out; last_error=%r" % conn.last_error)


def wait_for(cond, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.005)
    raise AssertionError("timed out")


def receive_one(conn, timeout=5.0):
    got = []

    def cond():
        m = conn.receive()
        if m is not None:
            got.append(m)
        return bool(got)
    run_until(conn, cond, timeout)
    return got[0]


def retry_delays(lines):
    return [int(x.split("retrying in ")[1].split()[0]) for x in lines if "retrying in" in x]


# ---- real server -------------------------------------------------------

def test_handshake_and_echo(server):
    logs = []
    conn = WebSocketConnection(server.url("/echo/cp1"), backoff_min_ms=50, log=logs.append)
    assert not conn.connected
    assert conn.send("too early") is False
    try:
        run_until(conn, lambda: conn.connected)
        assert server.subprotocols[-1] == "ocpp1.6"
        assert conn.last_error is None
        assert any("connected" in m for m in logs)
        for text in ["hello", '[2,"1","Heartbeat",{}]', "ünïcødé ✓", "x" * 200]:
            assert conn.send(text) is True
            assert receive_one(conn) == text
        assert conn.receive() is None
    finally:
        conn.close()


def test_100kb_message_echo(server):
    conn = WebSocketConnection(server.url("/echo/big1"), max_message_size=200000)
    try:
        run_until(conn, lambda: conn.connected)
        text = "".join(chr(0x41 + i % 26) for i in range(100 * 1024 - 2)) + "✓"
        assert conn.send(text)
        assert receive_one(conn) == text
    finally:
        conn.close()


def test_message_over_limit_closes_1009_and_reconnects(server):
    logs = []
    conn = WebSocketConnection(server.url("/big/cp"), max_message_size=1000, backoff_min_ms=50,
                               log=logs.append)
    try:
        run_until(conn, lambda: conn.last_error is not None and "too big" in conn.last_error)
        assert not conn.connected
        wait_for(lambda: 1009 in server.close_codes)
        run_until(conn, lambda: server.count("/big/") >= 2)  # reconnected
        assert conn.receive() is None  # the big message never surfaced
    finally:
        conn.close()


def test_server_ping_answered_and_client_ping(server):
    conn = WebSocketConnection(server.url("/ping/cp"))
    try:
        run_until(conn, lambda: conn.connected)
        assert receive_one(conn) == "got pong"  # the server got our automatic pong
        assert conn.pong_ms is None
        assert conn.ping() is True
        run_until(conn, lambda: conn.pong_ms is not None)
    finally:
        conn.close()
    assert conn.ping() is False


def test_basic_auth_accepted(server):
    conn = WebSocketConnection(server.url("/auth/ok"), basic_auth=("cp1", "good"))
    try:
        run_until(conn, lambda: conn.connected)
        assert server.auth_headers[-1] == GOOD_AUTH
    finally:
        conn.close()


def test_basic_auth_rejected_with_growing_backoff(server):
    logs = []
    conn = WebSocketConnection(server.url("/auth/bad"), basic_auth=("cp1", "wrong"),
                               backoff_min_ms=20, backoff_max_ms=160, log=logs.append)
    try:
        run_until(conn, lambda: len(retry_delays(logs)) >= 5)
        assert not conn.connected
        assert "401" in conn.last_error and "OCPP_AUTH_KEY" in conn.last_error
        assert retry_delays(logs)[:5] == [20, 40, 80, 160, 160]
        assert conn.backoff_ms == 160
    finally:
        conn.close()


def test_404_reported(server):
    conn = WebSocketConnection(server.url("/missing/cp"), backoff_min_ms=50)
    try:
        run_until(conn, lambda: conn.last_error is not None)
        assert "404" in conn.last_error
    finally:
        conn.close()


def test_server_close_reconnects_with_backoff(server):
    logs = []
    conn = WebSocketConnection(server.url("/close/cp"), backoff_min_ms=100, log=logs.append)
    try:
        run_until(conn, lambda: server.count("/close/") >= 3)
        assert "1001" in conn.last_error
        times = [t for p, t in zip(server.opened, server.open_times) if p.startswith("/close/")]
        # each open resets the backoff to min, and each drop waits min before reconnecting
        assert all(b - a >= 0.08 for a, b in zip(times, times[1:])), times
        assert set(retry_delays(logs)) == {100}
    finally:
        conn.close()


def test_poll_returns_when_idle(server):
    conn = WebSocketConnection(server.url("/echo/idle"))
    try:
        run_until(conn, lambda: conn.connected)
        start = time.monotonic()
        for _ in range(200):
            conn.poll()
        assert time.monotonic() - start < 2.0  # would be 200x a blocking read otherwise
        assert conn.connected and conn.receive() is None
    finally:
        conn.close()


def test_close_is_final(server):
    conn = WebSocketConnection(server.url("/echo/closing"), backoff_min_ms=10)
    run_until(conn, lambda: conn.connected)
    n = server.count("/echo/closing")
    codes = len(server.close_codes)
    conn.close()
    assert not conn.connected
    wait_for(lambda: len(server.close_codes) > codes)
    assert server.close_codes[-1] == 1000
    for _ in range(20):
        conn.poll()
        time.sleep(0.01)
    assert server.count("/echo/closing") == n  # no reconnect
    assert conn.send("x") is False
    conn.close()  # twice is fine


def test_connection_refused_backs_off():
    logs = []
    conn = WebSocketConnection("ws://127.0.0.1:%d/ocpp/cp" % free_port(), backoff_min_ms=30,
                               backoff_max_ms=100, log=logs.append)
    run_until(conn, lambda: len(retry_delays(logs)) >= 4, timeout=5)
    assert "cannot connect to 127.0.0.1" in conn.last_error
    assert retry_delays(logs)[:4] == [30, 60, 100, 100]
    conn.close()


def test_handshake_timeout():
    # A TCP listener that never answers: the kernel completes the connect.
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(8)
    try:
        conn = WebSocketConnection("ws://127.0.0.1:%d/cp" % lst.getsockname()[1],
                                   connect_timeout_ms=200, backoff_min_ms=1000)
        start = time.monotonic()
        run_until(conn, lambda: conn.last_error is not None, timeout=3)
        assert "handshake" in conn.last_error
        assert time.monotonic() - start >= 0.15
        conn.close()
    finally:
        lst.close()


# ---- TLS ---------------------------------------------------------------

@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    if not shutil.which("openssl"):
        pytest.skip("openssl CLI not available")
    d = tmp_path_factory.mktemp("tls")
    cert, key = str(d / "cert.pem"), str(d / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=30)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    s = Server(ssl_context=ctx)
    s.cert = cert
    yield s
    s.stop()


def test_wss_with_trusted_self_signed_cert(tls_server):
    ctx = ssl.create_default_context(cafile=tls_server.cert)
    conn = WebSocketConnection(tls_server.url("/echo/tls", "wss"), ssl_context=ctx,
                               max_message_size=100000)
    try:
        run_until(conn, lambda: conn.connected)
        assert tls_server.subprotocols[-1] == "ocpp1.6"
        assert conn.send("over tls")
        assert receive_one(conn) == "over tls"
        text = "t" * 50000
        assert conn.send(text)
        assert receive_one(conn) == text
        start = time.monotonic()
        for _ in range(100):
            conn.poll()
        assert time.monotonic() - start < 2.0
    finally:
        conn.close()


def test_wss_untrusted_cert_fails_cleanly(tls_server):
    conn = WebSocketConnection(tls_server.url("/echo/tls", "wss"), backoff_min_ms=5000)
    run_until(conn, lambda: conn.last_error is not None)
    assert not conn.connected
    assert "cannot connect" in conn.last_error and "CERTIFICATE" in conn.last_error.upper()
    conn.close()


# ---- a device-like socket pool -------------------------------------------

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class FakeSocket:
    """Only what CircuitPython sockets have: settimeout, connect, recv_into, send, close.
    send() takes at most 3 bytes and every other call raises EAGAIN; no data -> OSError 116."""

    def __init__(self, pool):
        self.pool = pool
        self.sent = b""
        self.inbox = b""
        self.closed = False
        self.timeouts = []
        self.eof = False
        self.recv_error = None
        self._calls = 0

    def settimeout(self, t):
        self.timeouts.append(t)

    def connect(self, addr):
        if self.pool.refuse:
            raise OSError(errno.ECONNREFUSED, "refused")
        self.pool.sockets.append(self)

    def recv_into(self, buf):
        if self.recv_error:
            raise self.recv_error
        if not self.inbox:
            if self.eof:
                return 0
            raise OSError(116)
        n = min(len(buf), len(self.inbox), 5)
        buf[:n] = self.inbox[:n]
        self.inbox = self.inbox[n:]
        return n

    def send(self, data):
        self._calls += 1
        if self._calls % 2 == 0:
            raise OSError(11)
        n = min(3, len(data))
        self.sent += bytes(data[:n])
        return n

    def close(self):
        self.closed = True

    def answer_handshake(self):
        head = self.sent.split(b"\r\n\r\n")[0].decode()
        key = [ln.split(": ")[1] for ln in head.split("\r\n") if ln.startswith("Sec-WebSocket-Key")][0]
        accept = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
        self.inbox += ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                       "Connection: Upgrade\r\nSec-WebSocket-Protocol: ocpp1.6\r\n"
                       "Sec-WebSocket-Accept: " + accept + "\r\n\r\n").encode()
        self.sent = self.sent[len(head) + 4:]


class FakePool:
    SOCK_STREAM = 1
    AF_INET = 2

    def __init__(self):
        self.sockets = []
        self.refuse = False

    def getaddrinfo(self, host, port, family=0, socktype=0):
        return [(self.AF_INET, self.SOCK_STREAM, 0, "", (host, port))]

    def socket(self, family, socktype):
        return FakeSocket(self)


def unmask_frames(data):
    out = []
    while data:
        n = data[1] & 0x7F
        i = 2
        if n == 126:
            n = struct.unpack("!H", data[2:4])[0]
            i = 4
        mask = data[i:i + 4]
        body = data[i + 4:i + 4 + n]
        out.append((data[0] & 0x0F, bytes(b ^ mask[j % 4] for j, b in enumerate(body))))
        data = data[i + 4 + n:]
    return out


def fake_conn(**kw):
    now = [1000]
    pool = FakePool()
    conn = WebSocketConnection("ws://10.0.0.5:9000/ocpp/cp", pool=pool, ticks_ms=lambda: now[0],
                               **kw)
    return conn, pool, now


def polls(conn, n=300):
    for _ in range(n):
        conn.poll()


def test_fake_device_socket_partial_sends_and_small_reads():
    conn, pool, now = fake_conn(connect_timeout_ms=5000)
    polls(conn)
    sock = pool.sockets[0]
    assert sock.timeouts[-1] == 0  # non-blocking after connect
    assert sock.timeouts[0] == 5.0
    assert sock.sent.endswith(b"\r\n\r\n")  # whole request went out, 3 bytes at a time
    assert b"Host: 10.0.0.5:9000" in sock.sent
    assert not conn.connected
    sock.answer_handshake()
    polls(conn)
    assert conn.connected
    msg = '[2,"42","Heartbeat",{}]' * 10
    assert conn.send(msg)
    polls(conn)
    assert unmask_frames(sock.sent) == [(1, msg.encode())]
    sock.sent = b""
    reply = "é" * 200
    sock.inbox += b"\x81\x7e" + struct.pack("!H", 400) + reply.encode()
    sock.inbox += b"\x89\x02hb"  # server ping
    polls(conn)
    assert conn.receive() == reply
    assert unmask_frames(sock.sent) == [(10, b"hb")]


def test_fake_device_handshake_timeout_and_backoff_with_injected_ticks():
    conn, pool, now = fake_conn(connect_timeout_ms=3000, backoff_min_ms=1000, backoff_max_ms=4000)
    conn.poll()
    assert len(pool.sockets) == 1
    now[0] += 2999
    conn.poll()
    assert conn.last_error is None
    now[0] += 1
    conn.poll()
    assert "handshake" in conn.last_error and pool.sockets[0].closed
    assert conn.backoff_ms == 1000
    now[0] += 999
    conn.poll()
    assert len(pool.sockets) == 1  # not yet
    now[0] += 1
    pool.refuse = True
    conn.poll()
    assert "cannot connect to 10.0.0.5:9000" in conn.last_error
    assert conn.backoff_ms == 2000
    now[0] += 2000
    conn.poll()
    assert conn.backoff_ms == 4000
    now[0] += 4000
    conn.poll()
    assert conn.backoff_ms == 4000  # capped
    pool.refuse = False
    now[0] += 4000
    conn.poll()
    sock = pool.sockets[-1]
    polls(conn)
    sock.answer_handshake()
    polls(conn)
    assert conn.connected
    sock.recv_error = OSError(128)  # ESP32: ENOTCONN when the peer is gone
    conn.poll()
    assert not conn.connected and "connection lost" in conn.last_error
    assert conn.backoff_ms == 1000  # reset by the successful open


def test_fake_device_server_close_and_eof():
    conn, pool, now = fake_conn(backoff_min_ms=500)
    polls(conn)
    sock = pool.sockets[0]
    sock.answer_handshake()
    polls(conn)
    assert conn.connected
    sock.inbox += b"\x81\x03bye" + b"\x88\x02" + struct.pack("!H", 1001)
    sock.eof = True  # TCP closed right after the close frame
    polls(conn)
    assert conn.receive() == "bye"  # delivered before the drop
    assert "1001" in conn.last_error
    assert unmask_frames(sock.sent)[-1] == (8, struct.pack("!H", 1001))  # echoed
    assert sock.closed and not conn.connected
    now[0] += 500
    conn.poll()
    assert len(pool.sockets) == 2


def test_fake_device_peer_eof():
    conn, pool, now = fake_conn()
    polls(conn)
    pool.sockets[0].answer_handshake()
    polls(conn)
    pool.sockets[0].eof = True
    conn.poll()
    assert not conn.connected and "closed by the server" in conn.last_error


def test_import_without_connection_manager_side_effects():
    import sys
    import importlib
    saved = sys.modules.pop("adafruit_connection_manager", None)
    try:
        import ocpp_cp.transport.driver as drv
        importlib.reload(drv)
        assert "adafruit_connection_manager" not in sys.modules  # imported lazily
    finally:
        if saved is not None:
            sys.modules["adafruit_connection_manager"] = saved


# ---- drop(), idle reads, answering in the same poll ----------------------

def connected_fake(**kw):
    conn, pool, now = fake_conn(**kw)
    polls(conn)
    sock = pool.sockets[-1]
    sock.answer_handshake()
    polls(conn)
    assert conn.connected
    return conn, pool, now, sock


def count_reads(sock):
    calls = []
    real = sock.recv_into

    def counting(buf):
        calls.append(1)
        return real(buf)
    sock.recv_into = counting
    return calls


def test_drop_releases_the_socket_and_reconnects_with_backoff():
    logs = []
    conn, pool, now, sock = connected_fake(backoff_min_ms=500, log=logs.append)
    assert conn.backoff_ms == 0  # connected: no reconnect scheduled
    conn.drop("the Central System is silent: reconnecting")
    assert not conn.connected and sock.closed
    assert conn.last_error == "the Central System is silent: reconnecting"
    assert conn.backoff_ms == 500 and retry_delays(logs)[-1] == 500
    assert conn.send("x") is False and conn.ping() is False
    now[0] += 499
    conn.poll()
    assert len(pool.sockets) == 1  # not yet
    now[0] += 1
    conn.poll()
    assert len(pool.sockets) == 2  # reconnected after the backoff
    polls(conn)
    pool.sockets[-1].answer_handshake()
    polls(conn)
    assert conn.connected and conn.last_error is None


def test_idle_device_socket_is_read_every_few_ms_not_every_poll():
    conn, pool, now, sock = connected_fake()
    reads = count_reads(sock)
    for _ in range(10):  # a clock that does not move: every poll reads
        conn.poll()
    assert len(reads) == 10
    del reads[:]
    for _ in range(100):  # 1 ms per poll: one empty read (one OSError) per 5 ms
        now[0] += 1
        conn.poll()
    assert 15 <= len(reads) <= 25, len(reads)
    # Bytes that arrive are read within 5 ms, and all of them in that poll.
    sock.inbox += b"\x81\x05hello" + b"\x81\x05world"
    got = []
    for i in range(6):
        now[0] += 1
        conn.poll()
        m = conn.receive()
        if m is not None:
            got = [m, conn.receive()]
            break
    assert got == ["hello", "world"] and i < 5


def test_desktop_socket_is_read_on_every_poll():
    class DesktopSocket(FakeSocket):
        def fileno(self):
            return 3

    class DesktopPool(FakePool):
        def socket(self, family, socktype):
            return DesktopSocket(self)

    now = [1000]
    pool = DesktopPool()
    conn = WebSocketConnection("ws://10.0.0.5:9000/ocpp/cp", pool=pool, ticks_ms=lambda: now[0])
    polls(conn)
    sock = pool.sockets[0]
    sock.answer_handshake()
    polls(conn)
    assert conn.connected
    reads = count_reads(sock)
    for _ in range(20):
        now[0] += 1
        conn.poll()
    assert len(reads) == 20


def test_a_call_read_in_a_poll_is_answered_in_the_same_loop_call():
    conn, pool, now, sock = connected_fake()

    def send_all(data):  # this socket takes everything at once
        sock.sent += bytes(data)
        return len(data)
    sock.send = send_all
    now[0] += 1
    conn.poll()  # an empty read: the next reads wait a few ms
    sock.inbox += b"\x81\x1e" + b'[2,"cs-1","Heartbeat",{}]     '
    answered = None
    for i in range(10):  # one engine loop call per ms: poll, receive, answer
        now[0] += 1
        conn.poll()
        msg = conn.receive()
        if msg is not None:
            sock.sent = b""
            assert conn.send('[3,"cs-1",{}]')
            answered = sock.sent  # written by send() itself, not on a later poll
            break
    assert answered and i < 5


STUB_CONNECTION_MANAGER = """
class _Manager:
    def __init__(self, pool):
        self.pool = pool

    def get_socket(self, host, port, proto, session_id=None, timeout=None, is_ssl=False,
                   ssl_context=None):
        return self.pool.socket()

    def close_socket(self, sock):
        sock.close()


def get_connection_manager(pool):
    return _Manager(pool)
"""

IDLE_SETUP = r"""
import gc


class Sock:
    def __init__(self):
        self.inbox = b""
        self.reads = 0

    def settimeout(self, t):
        pass

    def recv_into(self, buf):
        self.reads += 1
        if not self.inbox:
            raise OSError(11)  # EAGAIN, as a device raises it
        n = len(self.inbox)
        buf[:n] = self.inbox
        self.inbox = b""
        return n

    def send(self, data):
        return len(data)

    def close(self):
        pass


class Pool:
    def socket(self):
        self.sock = Sock()
        return self.sock


now = [1000]
from ocpp_cp.transport.driver import WebSocketConnection
pool = Pool()
conn = WebSocketConnection("ws://10.0.0.5:9000/ocpp/cp", pool=pool, ticks_ms=lambda: now[0])
conn.poll()
pool.sock.inbox = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                   b"Connection: Upgrade\r\nSec-WebSocket-Protocol: ocpp1.6\r\n\r\n")
conn.poll()
assert conn.connected, conn.last_error
"""

IDLE_MEASURE = """
reads = pool.sock.reads
before = gc.mem_alloc()  # no collection happens inside one step
for _ in range(500):
    now[0] += 1
    conn.poll()
print("@@idle", (gc.mem_alloc() - before) / 500, pool.sock.reads - reads)
"""


def test_idle_poll_garbage_on_micropython(tmp_path):
    """On MicroPython (wasm), an idle connected poll allocates only when it reads (the
    OSError of an empty read, ~80 B); at one poll per ms that is one poll in five."""
    from tests.support.micropython import run_micropython

    (tmp_path / "adafruit_connection_manager.py").write_text(STUB_CONNECTION_MANAGER)
    res = run_micropython([IDLE_SETUP, IDLE_MEASURE], mpy=True,
                          extra_stage={str(tmp_path): "/lib"})
    res.check()
    line = [x for x in res.output_lines if x.startswith("@@idle")][0].split()
    per_poll, reads = float(line[1]), int(line[2])
    assert reads <= 110, reads  # one read per 5 ms
    assert per_poll <= 25, per_poll  # was 80 B: an OSError on every poll
