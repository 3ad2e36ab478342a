"""ChargePoint: the object API. Owns the RPC, clock, configuration and connectors; one loop().

    cp = ChargePoint(connection, connectors=1)
    cp.boot_notification("My Charger", "Me")
    while True:
        cp.loop()
"""
import json

from adafruit_ticks import ticks_add, ticks_diff

from .clock import Clock
from .config import Configuration
from .connector import Connector
from .journal import Journal
from .metering import next_aligned
from .rpc import Request, Rpc

BOOT_RETRY_S = 30  # after a BootNotification got no answer or a CALLERROR


def print_log(msg):
    print("[ocpp]", msg)


class ChargePoint:
    def __init__(self, connection, connectors=1, ticks_ms=None, log=None, debug=False, store=None):
        if ticks_ms is None:
            from adafruit_ticks import ticks_ms
        if store is None:
            from ..storage import MemoryStore
            store = MemoryStore()
        self.ticks_ms = ticks_ms
        self.connection = connection
        self.store = store  # see ocpp_cp/storage: load/save/delete/names
        self.log = log or print_log
        self.debug = debug
        self.clock = Clock(ticks_ms)
        self.config = Configuration(connectors, store, self.log)  # stored values loaded here
        self.rpc = Rpc(self)
        self.connectors = [Connector(self, i) for i in range(connectors + 1)]  # [0] = whole charger
        self.config.available = lambda: [m for c in self.connectors for m in c.meter.measurands()]
        self.config.listeners.append(self._config_changed)
        try:  # ChangeAvailability Inoperative survives a restart (ops/change_availability.py)
            for i in json.loads(bytes(store.load("avail") or b"[]").decode()):
                if 0 < i <= connectors:
                    self.connectors[i].operative = False
        except (ValueError, TypeError):
            self.log("stored availability is corrupt: ignored")
        self.connectors[0].operative = any(c.operative for c in self.connectors[1:])
        self.next_aligned = None       # unix seconds of the next clock-aligned MeterValues
        self.last_ping = 0             # uptime seconds of our last websocket ping
        self.boot_status = None        # None until answered, then "Pending"/"Rejected"/"Accepted"
        self.boot_payload = None       # set by boot_notification(); a default is sent otherwise
        self.boot_listeners = None
        self.boot_retry_at = 0         # uptime seconds: no BootNotification before
        self.on_receive_request = {}   # action -> fn(payload): a Central System call arrived
        self.on_send_conf = {}         # action -> fn(payload): we answered it
        self.on_reset = None           # fn(hard): restart the device once transactions are closed
        self.on_reset_notify = None    # fn(hard) -> False refuses a Soft Reset (ops/reset.py)
        self.request_handlers = {}     # action -> fn(payload) -> response dict: the sketch answers it
        self.data_transfer_handlers = {}  # vendorId -> fn(messageId, data) (ops/data_transfer.py)
        self.auth_cache = None         # engine/auth_cache.py, made on first use
        self.reset_pending = None      # "Hard"/"Soft" while waiting for StopTransactions to go out
        self.reset_deadline = 0
        self.last_sent = 0             # uptime seconds of our last CALL (for Heartbeat)
        self._was_connected = False
        self.connection_state = "offline"  # or "connected", "silent" (_health)
        self._heard = 0                # uptime seconds when something last came from the CS
        self._pong = None
        self._rx = 0
        # last: unfinished transactions come back from the store and their messages are queued
        self.journal = Journal(self)

    # ---- what the sketch calls ----
    def connector(self, connector_id=1):
        if not 0 < connector_id < len(self.connectors):
            raise ValueError("no connector %r (this charger has %d)" % (connector_id, len(self.connectors) - 1))
        return self.connectors[connector_id]

    def boot_notification(self, model, vendor, on_conf=None, on_abort=None, on_timeout=None,
                          on_error=None, timeout=None, **fields):
        """Who we are; sent when connected and repeated until the Central System accepts.
        fields: optional BootNotification fields (firmwareVersion=..., chargePointSerialNumber=...)."""
        payload = {"chargePointModel": model, "chargePointVendor": vendor}
        payload.update(fields)
        self.boot_payload = payload
        self.boot_listeners = listeners(on_conf, on_abort, on_timeout, on_error, timeout)

    def authorize(self, id_tag, on_conf=None, on_abort=None, on_timeout=None, on_error=None, timeout=None):
        """Ask the Central System about an idTag; the answer goes to on_conf(payload)."""
        from ..ops import authorize
        authorize.send(self, id_tag, listeners(on_conf, on_abort, on_timeout, on_error, timeout))

    def send_request(self, action, payload, on_conf=None, on_abort=None, on_timeout=None, on_error=None,
                     timeout=None):
        """Any CALL (custom/vendor actions too); the answer goes to on_conf(payload)."""
        return self.rpc.enqueue(Request(action, payload, *listeners(on_conf, on_abort, on_timeout, on_error, timeout)))

    @property
    def accepted(self):
        return self.boot_status == "Accepted"

    def loop(self):
        """Do everything that is due; returns promptly. Call it as often as you can."""
        conn = self.connection
        conn.poll()
        now = self.ticks_ms()
        up = self.clock.uptime(now)
        connected = conn.connected
        if connected != self._was_connected:
            self._was_connected = connected  # the driver logs why
            if not connected:
                self.rpc.connection_lost()
            else:
                self._heard = up
                self.rpc.unanswered = 0
        self.rpc.poll(now)
        self._health(conn, connected, up)
        if self.boot_status != "Accepted":
            if connected and not self.rpc.pending("BootNotification") and \
                    up >= self.boot_retry_at:
                from ..ops import boot_notification
                boot_notification.send(self)
        else:
            interval = self.config.get("HeartbeatInterval")
            if interval and up - self.last_sent >= interval and not self.rpc.pending("Heartbeat"):
                from ..ops import heartbeat
                heartbeat.send(self)
            self._clock_aligned()
        ping = self.config.get("WebSocketPingInterval")
        if ping and connected and up - self.last_ping >= ping:
            self.last_ping = up
            fn = getattr(conn, "ping", None)
            if fn is not None:
                fn()
        for c in self.connectors:
            c.poll(now, up)
        self.journal.poll(up)
        if self.reset_pending is not None:
            self._reset_step(now)

    def close(self):
        self.connection.close()

    def _health(self, conn, connected, up):
        """connection_state: 'offline', 'connected', or 'silent': connected but nothing comes
        back (two CALLs in a row unanswered, or no frame nor pong for 2 x WebSocketPingInterval).
        A silent connection is dropped; the driver reconnects with its backoff."""
        if not connected:
            self.connection_state = "offline"
            return
        pong = getattr(conn, "pong_ms", None)
        if pong != self._pong or self.rpc.received != self._rx:
            self._pong, self._rx, self._heard = pong, self.rpc.received, up
        ping = self.config.get("WebSocketPingInterval") if pong is not None else 0  # pongs seen
        if self.rpc.unanswered < 2 and not (ping and up - self._heard > 2 * ping):
            self.connection_state = "connected"
            return
        self.connection_state = "silent"
        drop = getattr(conn, "drop", None) or getattr(conn, "_drop", None)  # the socket driver's
        if drop is not None:
            self.rpc.unanswered = 0
            drop("the Central System is silent: reconnecting")

    def _clock_aligned(self):
        """MeterValues (Sample.Clock, MeterValuesAlignedData) of every connector with samplers at
        each multiple of ClockAlignedDataInterval from midnight UTC, in a transaction or not."""
        interval = self.config.get("ClockAlignedDataInterval")
        now = self.clock.now()
        if not interval or now is None:
            return
        due = self.next_aligned
        if due is None or due - now > interval:  # first time, or the clock was set back
            self.next_aligned = next_aligned(now, interval)
        elif now >= due:
            self.next_aligned = next_aligned(now, interval)
            from ..ops import meter_values
            for c in self.connectors:
                meter_values.send_sample(self, c, "Sample.Clock", "MeterValuesAlignedData",
                                         now - now % 86400 % interval)

    def _config_changed(self, name, value):
        if name == "MeterValueSampleInterval":  # the next sample follows the new interval
            up = self.clock.uptime()
            for c in self.connectors:
                c.next_sample = up + value
        elif name == "ClockAlignedDataInterval":
            self.next_aligned = None

    # ---- used by the operations ----
    def boot_answered(self, status, interval):
        self.boot_status = status
        if status == "Accepted":
            self.rpc.only_action = None
            if interval > 0:
                self.config.set("HeartbeatInterval", interval)
            self.log("BootNotification accepted")
        else:
            self.boot_retry_at = self.clock.uptime() + (interval or 60)
            self.log("BootNotification %s: retry in %d s" % (status, interval or 60))

    def boot_failed(self):
        self.boot_retry_at = self.clock.uptime() + BOOT_RETRY_S

    def request_reset(self, kind):
        """Reset: close the transactions (reason SoftReset/HardReset), then restart via on_reset."""
        for c in self.connectors:
            if c.running() is not None:
                c.stop(kind + "Reset")
            elif c.tx is not None:
                c.tx = None
        self.reset_pending = kind
        self.reset_deadline = ticks_add(self.ticks_ms(), 15000)

    def _reset_step(self, now):
        # restart once the StopTransactions are out (or we waited long enough)
        if self.rpc.durable_pending() and ticks_diff(now, self.reset_deadline) < 0:
            return
        kind, self.reset_pending = self.reset_pending, None
        self.log("%s reset" % kind)
        if self.on_reset is not None:
            self.on_reset(kind == "Hard")

    def sent_call(self, req, text):
        self.last_sent = self.clock.uptime()
        self.trace(">>", text)

    def trace(self, direction, text):
        if self.debug:
            self.log("%s %s" % (direction, text))


def listeners(on_conf=None, on_abort=None, on_timeout=None, on_error=None, timeout=None):
    """The listener arguments of Request, in order. timeout in seconds (int or float)."""
    return (on_conf, on_abort, on_timeout, on_error, 30000 if timeout is None else int(timeout * 1000))
