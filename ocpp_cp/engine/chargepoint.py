"""ChargePoint: the object API. Owns the RPC, clock, configuration and connectors; one loop().

    cp = ChargePoint(connection, connectors=1)
    cp.boot_notification("My Charger", "Me")
    while True:
        cp.loop()

What happens only now and then lives in the operation it belongs to (ops/): the answer to the
BootNotification, a Reset, clock-aligned meter values, the stored availability.
"""
from .clock import Clock
from .config import Configuration
from .connector import Connector
from .journal import Journal
from .rpc import Rpc, find_operation


def print_log(msg):
    print("[ocpp]", msg)


class ChargePoint:
    # state that most chargers keep as it is most of the time: an instance stores what differs
    boot_status = None        # None until answered, then "Pending"/"Rejected"/"Accepted"
    boot_payload = None       # set by boot_notification(); a default is sent otherwise
    boot_listeners = None
    boot_retry_at = 0         # uptime seconds: no BootNotification before
    on_reset = None           # fn(hard): restart the device once transactions are closed
    on_reset_notify = None    # fn(hard) -> False refuses a Soft Reset (ops/reset.py)
    reset_pending = None      # "Hard"/"Soft" while waiting for StopTransactions to go out (ops/reset.py)
    auth_cache = None         # the authorization cache's entries (engine/auth_cache.py), loaded on first use
    next_aligned = None       # unix seconds of the next clock-aligned MeterValues (ops/meter_values.py)
    last_ping = 0             # uptime seconds of our last websocket ping
    last_sent = 0             # uptime seconds of our last CALL (for Heartbeat)
    connection_state = "offline"  # or "connected", "silent" (loop)

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
        avail = store.load("avail")
        if avail:  # ChangeAvailability Inoperative survives a restart
            find_operation("ChangeAvailability").restore(self, avail)
        self.on_receive_request = {}   # action -> fn(payload): a Central System call arrived
        self.on_send_conf = {}         # action -> fn(payload): we answered it
        self.request_handlers = {}     # action -> fn(payload) -> response dict: the sketch answers it
        self.data_transfer_handlers = {}  # vendorId -> fn(messageId, data) (ops/data_transfer.py)
        self._heard = 0                # uptime seconds when something last came from the CS
        self._seen = (None, 0)         # the driver's last pong and the frames received, when last looked
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
        return self.rpc.request(action, payload, listeners(on_conf, on_abort, on_timeout, on_error, timeout))

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
        rpc = self.rpc
        values = self.config.values
        if connected != (self.connection_state != "offline"):  # connected or lost (the driver logs why)
            if not connected:
                rpc.connection_lost()
            else:
                self._heard = up
                rpc.unanswered = 0
        rpc.poll(now)
        # connection_state: 'offline', 'connected', or 'silent': connected but nothing comes back
        # (two CALLs in a row unanswered, or no frame nor pong for 2 x WebSocketPingInterval).
        # A silent connection is dropped; the driver reconnects with its backoff.
        ping = values["WebSocketPingInterval"]
        if not connected:
            self.connection_state = "offline"
        else:
            pong = getattr(conn, "pong_ms", None)
            seen = self._seen
            if pong != seen[0] or rpc.received != seen[1]:
                self._seen = (pong, rpc.received)
                self._heard = up
            if rpc.unanswered < 2 and not (pong is not None and ping and up - self._heard > 2 * ping):
                self.connection_state = "connected"
            else:
                self.connection_state = "silent"
                drop = getattr(conn, "drop", None)  # the socket driver's
                if drop is not None:
                    rpc.unanswered = 0
                    drop("the Central System is silent: reconnecting")
        if self.boot_status != "Accepted":
            if connected and up >= self.boot_retry_at and not rpc.pending("BootNotification"):
                from ..ops import boot_notification
                boot_notification.send(self)
        else:
            interval = values["HeartbeatInterval"]
            if interval and up - self.last_sent >= interval and not rpc.pending("Heartbeat"):
                find_operation("Heartbeat").send(self)
            if values["ClockAlignedDataInterval"]:
                from ..ops import meter_values
                meter_values.clock_aligned(self)
        if ping and connected and up - self.last_ping >= ping:
            self.last_ping = up
            fn = getattr(conn, "ping", None)
            if fn is not None:
                fn()
        for c in self.connectors:
            c.poll(now, up)
        self.journal.poll(up)
        if self.reset_pending is not None:
            find_operation("Reset").step(self, now)

    def close(self):
        self.connection.close()

    def _config_changed(self, name, value):
        if name == "MeterValueSampleInterval":  # the next sample follows the new interval
            up = self.clock.uptime()
            for c in self.connectors:
                c.next_sample = up + value
        elif name == "ClockAlignedDataInterval":
            self.next_aligned = None


def listeners(on_conf=None, on_abort=None, on_timeout=None, on_error=None, timeout=None):
    """The listeners of a Request, in order. timeout in seconds (int or float)."""
    return (on_conf, on_abort, on_timeout, on_error, 30000 if timeout is None else int(timeout * 1000))
