"""Transaction journal: transactions survive a power loss (docs/offline.md).

Every transaction from its StartTransaction to the answer to its StopTransaction is a record
"tx<boot>_<n>" in cp.store (compact JSON, keys in docs/offline.md), rewritten when something worth keeping
changes: start, transactionId known, stop, a CALLERROR retry; meter samples and deliveries of
MeterValues only mark it dirty and are written at most every OcppCpJournalInterval seconds
(flash wears out). The record "journal" holds the boot counter and the last known wall time.

At construction (a new process, a rebooted board) unfinished transactions come back: one that
was running is stopped with reason PowerLoss (meterStop: the last energy value the journal
kept, or the meter's reading at the first loop if higher), and every undelivered
StartTransaction / MeterValues / StopTransaction is queued again in its original order (seq)
with its original message id (id base + kind), so a Central System can spot a repeat.

Time: stamps are unix seconds, or -1 - uptime (before the clock was set) in the timeline of
this boot shifted back by tx.shift seconds. A transaction from an earlier boot that never knew
the time is moved into this boot's timeline as if this boot had begun right after its last
journal write (best effort: the time the board was off is unknown and counted as zero).
"""
import json

from .clock import format_iso
from .metering import ENERGY

_BOOT = "journal"


class Journal:
    def __init__(self, cp):
        cp.journal = self  # the ops it calls while restoring find it there
        self.cp = cp
        self.store = cp.store
        self.txs = []         # unfinished transactions (journaled or RAM-only), oldest first
        self.seq = 0          # order of transaction messages
        self.n = 0            # transactions begun in this boot
        self.synced = False   # clock set in this boot: stamps re-based
        self.next_check = 0   # uptime seconds
        self.power_loss = []  # restored transactions stopped with PowerLoss: meterStop refreshed once
        rec = self._json(_BOOT) or {}
        self.boot = rec.get("n", 0) + 1
        self.wall = rec.get("w")  # unix seconds last known (an earlier boot): a floor for this boot
        self._save_boot()
        self._restore()

    # ---- what connectors and ops call ----
    def room(self, connector_id):
        """May a new transaction begin on this connector? 2: journaled; 1: RAM only
        (OcppCpTxJournalFull = ChargeWithoutJournal); 0: no (OcppCpTxPerConnector reached)."""
        cap = self.cp.config.get("OcppCpTxPerConnector")
        kept = ram = 0
        for tx in self.txs:
            if tx.connector_id == connector_id:
                if tx.name:
                    kept += 1
                else:
                    ram += 1
        return 2 if kept < cap else 1 if ram < cap and self._unjournaled_ok() else 0

    def started(self, tx):
        """StartTransaction is about to be queued: journal it. False: refused (journal full)."""
        room = self.room(tx.connector_id)
        if room:
            self.n += 1
            tx.id_base = "%s-%d-%d" % (self.cp.rpc.prefix, self.boot, self.n)
            tx.seq = self._next()
            tx.last = [tx.meter_start, tx.start_stamp]
            tx.name = "tx%d_%d" % (self.boot, self.n) if room == 2 else None
            if self.save(tx) or self._unjournaled_ok():  # (save: False for RAM only)
                self.txs.append(tx)
                if not tx.name:
                    self.cp.log("connector %d: charging without journal: lost on power loss" % tx.connector_id)
                return True
            tx.name = None
        self.cp.log("connector %d: transaction cannot be journaled: session refused" % tx.connector_id)
        return False

    def stopped(self, tx):
        """StopTransaction is about to be queued."""
        if tx in self.txs:
            tx.stop_seq = self._next()
            tx.last = [tx.meter_stop, tx.stop_stamp]
            self.save(tx)

    def sampled(self, tx, stamp, values):
        """A MeterValues sample of a running transaction: the row to send, kept until delivered
        (at most OcppCpMeterValuesMax undelivered: then the middle ones are thinned out)."""
        if tx not in self.txs:
            return None
        for v in values:
            if v.get("measurand", ENERGY) == ENERGY and "phase" not in v:
                text = v["value"]
                try:  # int() when it is one: floats have 22 bits on CircuitPython
                    wh = int(float(text) * 1000) if v.get("unit") == "kWh" else int(text) if text.isdigit() \
                        else int(float(text))
                    tx.last = [wh, stamp]
                except ValueError:
                    pass
        row = [self._next(), 0, stamp] + self._compact(tx, values)
        tx.meter = _add(tx.meter, row, self.cp.config.get("OcppCpMeterValuesMax"))
        tx.dirty = True
        return row

    def add_data(self, tx, stamp, values):
        """Sampled values for the StopTransaction's transactionData (StopTxnSampledData,
        StopTxnAlignedData), at most OcppCpTxDataMax of them (then thinned in the middle)."""
        if tx in self.txs and values:
            tx.data = _add(tx.data, [stamp] + self._compact(tx, values), self.cp.config.get("OcppCpTxDataMax"))
            tx.dirty = True

    def delivered(self, tx, row):
        """A MeterValues row was answered (or given up)."""
        if row in tx.meter:
            tx.meter.remove(row)
            tx.dirty = True

    def finish(self, tx):
        """The StopTransaction was answered (or given up): the transaction leaves the journal."""
        if tx in self.txs:
            self.txs.remove(tx)
        tx.meter = []
        if tx.name:
            try:
                self.store.delete(tx.name)
            except OSError as e:
                self.cp.log("journal: cannot delete %s (%s)" % (tx.name, e))
            tx.name = None

    def save(self, tx):
        """Write the transaction's record now; False (logged, retried later) when the store fails."""
        if not tx.name:
            return False
        tx.dirty = False
        tx.saved_up = self.cp.clock.uptime()
        try:
            self.store.save(tx.name, json.dumps(self._encode(tx), separators=(",", ":")).encode())
            return True
        except OSError as e:
            tx.dirty = True
            self.cp.log("journal: cannot write %s (%s): not power-loss safe until it can" % (tx.name, e))
            return False

    def enqueue(self, action, build, context, msg_id, attempts, listeners=None):
        """Queue a transaction message with its stable message id (+ ".<attempt>" after a
        CALLERROR) and the retry budget used so far."""
        from .rpc import Request
        req = Request(action, build, *(listeners or ()), durable=True, context=context)
        if not listeners:
            req.timeout_ms = self.cp.config.get("OcppCpMessageTimeout") * 1000
        req.id_base = msg_id
        req.attempts = attempts
        self.cp.rpc.enqueue(req)

    def row_payload(self, tx, row, start):
        """sampledValue list of a stored row (row[start:] = index, value, index, value...)."""
        out = []
        for j in range(start, len(row) - 1, 2):
            lay = tx.layout[row[j]]
            v = {"value": row[j + 1]}
            for key, x in zip(("context", "measurand", "unit", "phase", "location"), lay):
                if x:
                    v[key] = x
            out.append(v)
        return out

    def iso(self, tx, stamp):
        """ISO-8601 of a transaction's stamp. Before this boot knows the time: the last known
        wall time from an earlier boot as a floor; without one, the clock's 1970-based uptime."""
        if stamp < 0:
            shift = tx.shift  # as it was before _sync re-based the transaction
            base = self.cp.clock.base if self._sync() else self.wall
            if base is None:
                return self.cp.clock.iso(stamp)
            stamp = base + (-1 - stamp) - shift
        return format_iso(stamp)

    def poll(self, up):
        """From ChargePoint.loop: at most once a second."""
        if up < self.next_check:
            return
        self.next_check = up + 1
        if self.power_loss:  # first loop: the sketch has set its samplers by now
            for tx in self.power_loss[:]:
                self._meter_stop(tx)
        self._sync()
        interval = self.cp.config.get("OcppCpJournalInterval")
        for tx in self.txs:
            if tx.dirty and tx.name and up - tx.saved_up >= interval:
                self.save(tx)

    # ---- internals ----
    def _sync(self):
        """At the first clock sync of this boot: stamps taken before it become unix seconds in
        the journal (before any payload shows them, so a resend after a reboot is the same)."""
        clock = self.cp.clock
        if not self.synced and clock.synced:
            self.synced = True
            for tx in self.txs:
                if self._rebase(tx, clock.base):
                    self.save(tx)
            self.wall = clock.now()
            self._save_boot()
        return self.synced

    def _unjournaled_ok(self):
        return self.cp.config.get("OcppCpTxJournalFull") == "ChargeWithoutJournal"

    def _next(self):
        self.seq += 1
        return self.seq

    def _json(self, name):
        data = self.store.load(name)
        if data is None:
            return None
        try:
            rec = json.loads(bytes(data).decode())
            if isinstance(rec, dict):
                return rec
        except (ValueError, UnicodeError):
            pass
        self.cp.log("journal: record %s is corrupt: dropped" % name)
        self.store.delete(name)
        return None

    def _save_boot(self):
        try:
            self.store.save(_BOOT, json.dumps({"n": self.boot, "w": self.wall}).encode())
        except OSError as e:
            self.cp.log("journal: cannot write the boot counter (%s)" % e)

    def _compact(self, tx, values):
        out = []
        for v in values:
            lay = [v.get("context"), v.get("measurand"), v.get("unit"), v.get("phase"), v.get("location")]
            if lay not in tx.layout:
                tx.layout.append(lay)
            out.append(tx.layout.index(lay))
            out.append(v["value"])
        return out

    def _encode(self, tx):
        rec = {"c": tx.connector_id, "t": tx.id_tag, "i": tx.id_base, "q": tx.seq, "a": tx.meter_start,
               "s": tx.start_stamp, "x": tx.transaction_id, "k": tx.start_done, "n": tx.attempts,
               "v": tx.last, "h": tx.shift, "b": self.boot, "u": tx.saved_up, "m": tx.meter}
        if tx.data:
            rec["d"] = tx.data
        if tx.meter or tx.data:
            rec["l"] = tx.layout
        if tx.stopped:
            rec["e"] = [tx.stop_seq, tx.stop_stamp, tx.meter_stop, tx.stop_reason, tx.stop_id_tag]
        if tx in self.power_loss:
            rec["p"] = 1  # its meterStop is still to be read from the meter (_meter_stop)
        return rec

    def _decode(self, name, rec):
        from .connector import Transaction
        tx = Transaction(rec["c"], rec["t"], True, 0)
        tx.name = name
        tx.started = True
        tx.id_base = rec["i"]
        tx.seq = rec["q"]
        tx.meter_start = rec["a"]
        tx.start_stamp = rec["s"]
        tx.transaction_id = rec["x"]
        tx.start_done = rec["k"]
        tx.attempts = rec["n"]
        tx.last = rec["v"]
        tx.shift = rec["h"]
        tx.meter = rec["m"]
        tx.data = rec.get("d", [])
        tx.layout = rec.get("l", [])
        stop = rec.get("e")
        if stop:
            tx.stopped = True
            tx.stop_seq, tx.stop_stamp, tx.meter_stop, tx.stop_reason, tx.stop_id_tag = stop
        return tx

    def _restore(self):
        found = []
        last_up = {}  # boot -> last uptime a record of it was written at
        for name in self.store.names():
            if name[:2] != "tx":
                continue
            rec = self._json(name)
            try:
                tx = self._decode(name, rec)
                found.append((tx, rec["b"], rec["u"], rec.get("p")))
            except (KeyError, TypeError, ValueError):
                self.cp.log("journal: record %s is not a transaction: dropped" % name)
                self.store.delete(name)
                continue
            last_up[rec["b"]] = max(last_up.get(rec["b"], 0), rec["u"])
        if not found:
            return
        msgs = []
        for tx, boot, up, p in found:
            if boot != self.boot:  # into this boot's timeline (module docstring)
                tx.shift += last_up[boot]
            self.seq = max(self.seq, tx.seq, tx.stop_seq or 0, *[r[0] for r in tx.meter])
        found.sort(key=lambda f: f[0].seq)
        for tx, boot, up, provisional in found:
            if provisional:
                self.power_loss.append(tx)
            if not tx.stopped:
                tx.stopped = True
                tx.stop_reason = "PowerLoss"
                tx.meter_stop, tx.stop_stamp = tx.last
                tx.stop_seq = self._next()
                self.power_loss.append(tx)
                self.cp.log("connector %d: transaction %s was running at power loss: stopped (PowerLoss)"
                            % (tx.connector_id, tx.transaction_id))
                self.save(tx)
            self.txs.append(tx)
            if not tx.start_done:
                msgs.append((tx.seq, "start", tx, None))
            for row in tx.meter:
                msgs.append((row[0], "meter", tx, row))
            msgs.append((tx.stop_seq, "stop", tx, None))
        self.cp.log("journal: %d unfinished transaction(s) restored, %d message(s) to deliver"
                    % (len(found), len(msgs)))
        msgs.sort(key=lambda m: m[0])
        from ..ops import meter_values, start_transaction, stop_transaction
        for seq, kind, tx, row in msgs:
            if kind == "start":
                start_transaction.queue(self.cp, tx)
            elif kind == "meter":
                meter_values.queue(self.cp, tx, row)
            else:
                stop_transaction.queue(self.cp, tx)

    def _meter_stop(self, tx):
        """PowerLoss meterStop: the meter's reading at the first loop if it is higher than the
        last one kept (a meter that keeps its register; no energy flows while the charger is
        off). Done once: the record says so until then, also across another power cut."""
        now = 0
        try:
            if tx.connector_id < len(self.cp.connectors):
                now = self.cp.connectors[tx.connector_id].meter.energy_wh()
        except Exception as e:  # noqa: BLE001 - the sketch's sampler
            self.cp.log("journal: energy sampler raised %r: meterStop from the journal" % e)
        self.power_loss.remove(tx)
        if now > tx.meter_stop:
            tx.meter_stop = now
            tx.last = [now, tx.stop_stamp]
        self.save(tx)

    def _rebase(self, tx, base):
        """Stamps taken before the clock was set become unix seconds (the clock is set now)."""
        def fix(s):
            return base_stamp(tx, s, base)
        before = (tx.start_stamp, tx.stop_stamp, tx.last[1])
        tx.start_stamp = fix(tx.start_stamp)
        tx.stop_stamp = fix(tx.stop_stamp)
        tx.last[1] = fix(tx.last[1])
        changed = before != (tx.start_stamp, tx.stop_stamp, tx.last[1])
        for row in tx.meter:
            changed = changed or row[2] < 0
            row[2] = fix(row[2])
        for row in tx.data:
            changed = changed or row[0] < 0
            row[0] = fix(row[0])
        tx.shift = 0
        return changed


def base_stamp(tx, stamp, base):
    """Unix seconds of a transaction's stamp, given the unix time at this boot's uptime 0."""
    return stamp if stamp >= 0 else base + (-1 - stamp) - tx.shift


def _add(rows, row, cap):
    """Append row to a list bounded by cap (>= 3): when full, keep the first and the last and
    every second one in between."""
    if len(rows) >= cap:
        rows = [rows[0]] + rows[1:-1][1::2] + [rows[-1]]
    rows.append(row)
    return rows
