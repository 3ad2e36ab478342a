"""A connector: its charging session / transaction state machine and its OCPP status.

Session flow (as ArduinoOcpp): begin_session(idTag) -> Authorize -> when authorized and a
car is plugged in -> StartTransaction -> MeterValues every MeterValueSampleInterval ->
unplug or end_session() -> StopTransaction. Status follows:
Available -> Preparing -> Charging (SuspendedEV/SuspendedEVSE) -> Finishing -> Available.
"""
from .metering import Meter


class Transaction:
    """One session on a connector, from the idTag to the StopTransaction."""

    def __init__(self, connector_id, id_tag, authorized, begin_up):
        self.connector_id = connector_id
        self.id_tag = id_tag
        self.authorized = authorized  # None while an Authorize is pending
        self.begin_up = begin_up      # uptime seconds (ConnectionTimeOut counts from here)
        self.was_plugged = False      # unplugging stops only a transaction that saw the car
        self.started = False          # StartTransaction queued: the transaction runs
        self.transaction_id = None    # from the StartTransaction answer
        self.deauthorized = False     # StartTransaction answered with idTag not Accepted
        self.meter_start = 0
        self.start_stamp = 0
        self.stopped = False
        self.stop_reason = None
        self.stop_id_tag = None
        self.meter_stop = 0
        self.stop_stamp = 0


class Connector:
    def __init__(self, cp, connector_id):
        self.cp = cp
        self.id = connector_id
        self.meter = Meter()
        self.plugged = None             # samplers set by the sketch (None = not wired)
        self.ev_requests_energy = None
        self.energized = None
        self.tx = None                  # the session in progress, if any
        self.finishing = False          # transaction over, cable still in
        self.status = None
        self.status_stamp = 0
        self.reported = None            # last status the Central System confirmed
        self.status_retry = 0           # uptime seconds: no new StatusNotification before
        self.next_sample = 0            # uptime seconds of the next periodic MeterValues

    # ---- sessions ----
    def begin_session(self, id_tag, authorized=None):
        """Start a session for id_tag; authorized=None sends an Authorize first. False if busy."""
        if self.tx is not None or self.id == 0:
            return False
        tx = Transaction(self.id, id_tag, authorized, self.cp.clock.uptime())
        self.tx = tx
        self.finishing = False
        if authorized is None:
            from ..ops import authorize
            authorize.send(self.cp, id_tag, context=tx)
        return True

    def end_session(self, reason="Local", id_tag=None):
        """End the session: stops a running transaction, or drops one not yet started."""
        tx = self.tx
        if tx is None:
            return False
        if tx.started:
            self.stop(reason, id_tag)
        else:
            self.tx = None
        return True

    def start(self, listeners=None):
        tx = self.tx
        tx.started = True
        tx.meter_start = self.meter.energy_wh()
        tx.start_stamp = self.cp.clock.stamp()
        self.next_sample = self.cp.clock.uptime() + self.cp.config.get("MeterValueSampleInterval")
        from ..ops import start_transaction
        start_transaction.send(self.cp, tx, listeners)

    def stop(self, reason="Local", id_tag=None, listeners=None):
        tx = self.tx
        tx.stopped = True
        tx.stop_reason = reason
        tx.stop_id_tag = id_tag
        tx.meter_stop = self.meter.energy_wh()
        tx.stop_stamp = self.cp.clock.stamp()
        self.tx = None
        self.finishing = self.plugged is not None and bool(self.plugged())
        from ..ops import stop_transaction
        stop_transaction.send(self.cp, tx, listeners)

    def running(self):
        """The transaction in progress (started, not stopped), or None."""
        tx = self.tx
        return tx if tx is not None and tx.started else None

    def permits_charge(self):
        tx = self.tx
        return tx is not None and tx.started and not tx.deauthorized

    # ---- the loop ----
    def poll(self, now, up):
        """now: ticks_ms; up: uptime seconds (for intervals that may exceed the ticks range)."""
        cp = self.cp
        plugged = self.plugged() if self.plugged is not None else None
        tx = self.tx
        if tx is not None:
            if plugged:
                tx.was_plugged = True
            if not tx.started:
                if tx.authorized is False:
                    cp.log("connector %d: %s not authorized" % (self.id, tx.id_tag))
                    self.tx = None
                elif tx.authorized and plugged is not False:
                    self.start()
                elif not plugged and up - tx.begin_up > cp.config.get("ConnectionTimeOut"):
                    cp.log("connector %d: no car plugged in within ConnectionTimeOut" % self.id)
                    self.tx = None
            elif plugged is False and tx.was_plugged and cp.config.get("StopTransactionOnEVSideDisconnect"):
                self.stop("EVDisconnected")
            else:
                interval = cp.config.get("MeterValueSampleInterval")
                if interval > 0 and up >= self.next_sample:
                    self.next_sample = up + interval
                    from ..ops import meter_values
                    meter_values.send_sample(cp, self, "Sample.Periodic")
        status = self._infer_status(plugged)
        if status != self.status:
            self.status = status
            self.status_stamp = cp.clock.stamp()
        if status != self.reported and cp.boot_status == "Accepted" and up >= self.status_retry \
                and not cp.rpc.pending("StatusNotification", self):
            from ..ops import status_notification
            status_notification.send(cp, self)

    def _infer_status(self, plugged):
        if self.id == 0:
            return "Available"
        tx = self.tx
        if tx is not None and tx.started:
            if not self.permits_charge():
                return "SuspendedEVSE"
            if plugged is False or (self.ev_requests_energy is not None and not self.ev_requests_energy()):
                return "SuspendedEV"
            if self.energized is not None and not self.energized():
                return "SuspendedEVSE"
            return "Charging"
        if plugged is False:
            self.finishing = False
        if self.finishing:
            return "Finishing"
        if tx is not None or plugged:
            return "Preparing"
        return "Available"
