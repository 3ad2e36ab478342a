"""A connector: its charging session / transaction state machine and its OCPP status.

Session flow (as ArduinoOcpp): begin_session(idTag) -> Authorize -> when authorized and a
car is plugged in -> StartTransaction -> MeterValues every MeterValueSampleInterval ->
unplug or end_session() -> StopTransaction. Status follows:
Available -> Preparing -> Charging (SuspendedEV/SuspendedEVSE) -> Finishing -> Available.
"""
from .metering import Meter


class Transaction:
    """One session on a connector, from the idTag to the StopTransaction. What a transaction
    keeps at its default is read from the class (an instance stores only what it changed)."""

    was_plugged = False       # unplugging stops only a transaction that saw the car
    started = False           # StartTransaction queued: the transaction runs
    transaction_id = None     # from the StartTransaction answer
    deauthorized = False      # StartTransaction answered with idTag not Accepted
    meter_start = start_stamp = 0
    stopped = False
    stop_reason = stop_id_tag = None
    meter_stop = stop_stamp = 0
    # the journal (engine/journal.py): what survives a power loss
    name = None               # store record; None: not journaled (RAM only)
    id_base = None            # OCPP message ids of this transaction's messages start so
    seq = stop_seq = 0        # order of its StartTransaction / StopTransaction among transaction messages
    start_done = False        # StartTransaction answered (or given up)
    last = None               # [Wh, stamp] of the last energy reading (PowerLoss meterStop)
    shift = 0                 # negative stamps: uptime of this boot minus shift (journal.py)
    saved_up = 0              # uptime seconds of the last journal write
    dirty = False             # changed since then

    def __init__(self, connector_id, id_tag, authorized, begin_up):
        self.connector_id = connector_id
        self.id_tag = id_tag
        self.authorized = authorized  # None while an Authorize is pending
        self.begin_up = begin_up      # uptime seconds (ConnectionTimeOut counts from here)
        self.attempts = [0, 0]        # CALLERRORs of StartTransaction, StopTransaction
        self.meter = []               # MeterValues not yet delivered: [seq, attempts, stamp, i, v, ...]
        self.data = []                # transactionData of the StopTransaction: [stamp, i, v, ...]
        self.layout = []              # i -> [context, measurand, unit, phase, location]


class Connector:
    # samplers set by the sketch (None = not wired) and state most connectors keep as it is
    # most of the time: read from the class until an instance changes it
    plugged = None
    ev_requests_energy = None
    energized = None
    unlock = None                   # fn() -> True/False: the board unlocks the cable (setOnUnlockConnector)
    reserved = None                 # Reservation hook: truthy -> Reserved while no session
    tx = None                       # the session in progress, if any
    finishing = False               # transaction over, cable still in
    status = None
    status_stamp = 0
    status_up = 0                   # uptime seconds when the status began (MinimumStatusDuration)
    reported = None                 # last status the Central System confirmed
    reported_error = None           # error code the Central System last confirmed
    status_retry = 0                # uptime seconds: no new StatusNotification before
    next_sample = 0                 # uptime seconds of the next periodic MeterValues
    # availability, faults (the status follows from them: poll)
    operative = True                # ChangeAvailability: False = Unavailable, no new sessions
    pending_operative = None        # answered Scheduled: applied once the transaction is over
    error = None                    # error code of the current status (None: NoError)

    def __init__(self, cp, connector_id):
        self.cp = cp
        self.id = connector_id
        self.meter = Meter()
        self.error_samplers = []        # fn() -> ChargePointErrorCode string or None: Faulted

    # ---- sessions ----
    def begin_session(self, id_tag, authorized=None):
        """Start a session for id_tag; authorized=None checks it: the authorization cache
        (LocalPreAuthorize, offline: ops/authorize.py), else an Authorize first. False if busy."""
        if self.tx is not None or self.id == 0 or not self.operative or self.error is not None \
                or self.cp.connectors[0].error is not None:  # inoperative or faulted: no new sessions
            return False
        if not self.cp.journal.room(self.id):  # OcppCpTxPerConnector unfinished transactions
            self.cp.log("connector %d: too many unfinished transactions: session refused" % self.id)
            return False
        if authorized is None:
            from ..ops import authorize
            authorized = authorize.local(self.cp, id_tag)
        tx = Transaction(self.id, id_tag, authorized, self.cp.clock.uptime())
        self.tx = tx
        self.finishing = False
        if authorized is None:
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
        if not start_transaction.send(self.cp, tx, listeners):  # journal full (OcppCpTxJournalFull)
            self.tx = None

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
        return tx is not None and tx.started and not tx.deauthorized and self.error is None \
            and self.cp.connectors[0].error is None

    # ---- the loop ----
    def poll(self, now, up):
        """now: ticks_ms; up: uptime seconds (for intervals that may exceed the ticks range)."""
        cp = self.cp
        values = cp.config.values
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
                elif not plugged and up - tx.begin_up > values["ConnectionTimeOut"]:
                    cp.log("connector %d: no car plugged in within ConnectionTimeOut" % self.id)
                    self.tx = None
            elif plugged is False and tx.was_plugged and values["StopTransactionOnEVSideDisconnect"]:
                self.stop("EVDisconnected")
                # (StopTransactionOnEVSideDisconnect false keeps the cable locked: no unlock then)
                if self.unlock is not None and values["UnlockConnectorOnEVSideDisconnect"]:
                    from .rpc import call_listener
                    call_listener(cp.log, self.unlock)  # the board's hook (setOnUnlockConnector)
            else:
                interval = values["MeterValueSampleInterval"]
                if interval > 0 and up >= self.next_sample:
                    self.next_sample = up + interval
                    from ..ops import meter_values
                    meter_values.send_sample(cp, self, "Sample.Periodic")
        if self.pending_operative is not None and self.running() is None:  # ChangeAvailability Scheduled
            from .rpc import find_operation
            find_operation("ChangeAvailability").set_operative(self, self.pending_operative)
        error = None
        for fn in self.error_samplers:
            error = fn()
            if error and error != "NoError":
                break
            error = None
        changed = error != self.error
        self.error = error
        # the status: Faulted > (transaction states) > Unavailable > Finishing > Preparing > Reserved
        # > Available. Connector 0: Faulted, Unavailable when every connector is inoperative, else Available.
        tx = self.tx
        if error is not None:
            status = "Faulted"
        elif self.id == 0:
            self.operative = any(c.operative for c in cp.connectors[1:])
            status = "Available" if self.operative else "Unavailable"
        elif tx is not None and tx.started:
            if not self.permits_charge():
                status = "SuspendedEVSE"
            elif plugged is False or (self.ev_requests_energy is not None and not self.ev_requests_energy()):
                status = "SuspendedEV"
            elif self.energized is not None and not self.energized():
                status = "SuspendedEVSE"
            else:
                status = "Charging"
        else:
            if plugged is False:
                self.finishing = False
            if not self.operative:
                status = "Unavailable"
            elif self.finishing:
                status = "Finishing"
            elif tx is not None or (plugged and not self.reserved):
                status = "Preparing"
            else:
                status = "Reserved" if self.reserved else "Available"
        if changed or status != self.status:
            self.status = status
            self.status_stamp = cp.clock.stamp()
            self.status_up = up
        # reported once it has lasted MinimumStatusDuration (a flicker is never sent)
        if (status != self.reported or error != self.reported_error) and cp.boot_status == "Accepted" \
                and up >= self.status_retry and up - self.status_up >= values["MinimumStatusDuration"] \
                and not cp.rpc.pending("StatusNotification", self):
            from ..ops import status_notification
            status_notification.send(cp, self)
