"""ChargePoint: the object API. Owns the RPC, clock, configuration and connectors; one loop().

    cp = ChargePoint(connection, connectors=1)
    cp.boot_notification("My Charger", "Me")
    while True:
        cp.loop()
"""
from adafruit_ticks import ticks_add, ticks_diff

from .clock import Clock
from .config import Configuration
from .connector import Connector
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
        self.config = Configuration(connectors)
        self.rpc = Rpc(self)
        self.connectors = [Connector(self, i) for i in range(connectors + 1)]  # [0] = whole charger
        self.boot_status = None        # None until answered, then "Pending"/"Rejected"/"Accepted"
        self.boot_payload = None       # set by boot_notification(); a default is sent otherwise
        self.boot_listeners = None
        self.boot_retry_at = 0         # uptime seconds: no BootNotification before
        self.on_receive_request = {}   # action -> fn(payload): a Central System call arrived
        self.on_send_conf = {}         # action -> fn(payload): we answered it
        self.on_reset = None           # fn(hard): restart the device once transactions are closed
        self.reset_pending = None      # "Hard"/"Soft" while waiting for StopTransactions to go out
        self.reset_deadline = 0
        self.last_sent = 0             # uptime seconds of our last CALL (for Heartbeat)
        self._was_connected = False

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
        self.rpc.poll(now)
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
        for c in self.connectors:
            c.poll(now, up)
        if self.reset_pending is not None:
            self._reset_step(now)

    def close(self):
        self.connection.close()

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
