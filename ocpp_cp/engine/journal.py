"""Transaction journal: transactions survive a power loss (docs/offline.md).

Every transaction from its StartTransaction to the answer to its StopTransaction is a record
"tx<boot>_<n>" in cp.store (compact JSON, keys in docs/offline.md), rewritten when something worth keeping
changes: start, transactionId known, stop, a CALLERROR retry; meter samples and deliveries of
MeterValues only mark it dirty and are written at most every OcppCpJournalInterval seconds
(flash wears out). The record "journal" holds the boot counter and the last known wall time.
At construction (a new process, a rebooted board) unfinished transactions come back
(engine/recovery.py).

Time: stamps are unix seconds, or -1 - uptime (before the clock was set) in the timeline of
this boot shifted back by tx.shift seconds. A transaction from an earlier boot that never knew
the time is moved into this boot's timeline as if this boot had begun right after its last
journal write (best effort: the time the board was off is unknown and counted as zero).
"""
import json

from .clock import format_iso
from .metering import ENERGY
from .rpc import Request, compact_json


class Journal:
    def __init__(self, cp):
        cp.journal = self  # the ops it calls while restoring find it there
        self.cp = cp
        self.store = cp.store
        self.txs = []         # unfinished transactions (journaled or RAM-only), oldest first
        self.seq = 0          # order of transaction messages
        self.n = 0            # transactions begun in this boot
        self.synced = False   # clock set in this boot: stamps re-based
        self.power_loss = []  # restored transactions stopped with PowerLoss: meterStop refreshed once
        rec = self.record("journal") or {}
        self.boot = rec.get("n", 0) + 1
        self.wall = rec.get("w")  # unix seconds last known (an earlier boot): a floor for this boot
        try:  # the boot counter, once per boot
            self.store.save("journal", json.dumps({"n": self.boot, "w": self.wall}).encode())
        except OSError as e:
            self.cp.log("journal: cannot write the boot counter (%s)" % e)
        names = [name for name in self.store.names() if name[:2] == "tx"]
        if names:
            from .recovery import restore
            restore(self, names)

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
        journal_full_ok = self.cp.config.get("OcppCpTxJournalFull") == "ChargeWithoutJournal"
        return 2 if kept < cap else 1 if ram < cap and journal_full_ok else 0

    def started(self, tx):
        """StartTransaction is about to be queued: journal it. False: refused (journal full)."""
        room = self.room(tx.connector_id)
        if room:
            self.n += 1
            boot_n = str(self.boot) + "_" + str(self.n)
            tx.id_base = self.cp.rpc.prefix + "-" + boot_n.replace("_", "-")
            tx.seq = self.next_seq()
            tx.last = [tx.meter_start, tx.start_stamp]
            tx.name = "tx" + boot_n if room == 2 else None
            # RAM only (no name, or the store refused it) when OcppCpTxJournalFull allows it
            if self.save(tx) or self.cp.config.get("OcppCpTxJournalFull") == "ChargeWithoutJournal":
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
            tx.stop_seq = self.next_seq()
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
        row = self._compact(tx, values, [self.next_seq(), 0, stamp])
        tx.meter = _bounded(tx.meter, row, self.cp.config.get("OcppCpMeterValuesMax"))
        tx.dirty = True
        return row

    def add_data(self, tx, stamp, values):
        """Sampled values for the StopTransaction's transactionData (StopTxnSampledData,
        StopTxnAlignedData), at most OcppCpTxDataMax of them (then thinned in the middle)."""
        if tx in self.txs and values:
            tx.data = _bounded(tx.data, self._compact(tx, values, [stamp]), self.cp.config.get("OcppCpTxDataMax"))
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
            rec["p"] = 1  # its meterStop is still to be read from the meter (recovery.meter_stop)
        try:
            self.store.save(tx.name, compact_json(rec).encode())
            return True
        except OSError as e:
            tx.dirty = True
            self.cp.log("journal: cannot write %s (%s): not power-loss safe until it can" % (tx.name, e))
            return False

    def enqueue(self, action, build, context, msg_id, attempts, listeners=None):
        """Queue a transaction message with its stable message id (+ ".<attempt>" after a
        CALLERROR) and the retry budget used so far."""
        req = Request(action, build, listeners, True, context)
        if not listeners:
            req.timeout_ms = self.cp.config.get("OcppCpMessageTimeout") * 1000
        req.id_base = msg_id
        if attempts:
            req.attempts = attempts
        self.cp.rpc.enqueue(req)

    def row_payload(self, tx, row, start):
        """sampledValue list of a stored row (row[start:] = index, value, index, value...)."""
        out = []
        layout = tx.layout
        for j in range(start, len(row) - 1, 2):
            v = {"value": row[j + 1]}
            for key, x in zip(("context", "measurand", "unit", "phase", "location"), layout[row[j]]):
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
        """From ChargePoint.loop."""
        if self.power_loss:  # first loop: the sketch has set its samplers by now
            from .recovery import meter_stop
            for tx in self.power_loss[:]:
                meter_stop(self, tx)
        self._sync()
        interval = self.cp.config.get("OcppCpJournalInterval")
        for tx in self.txs:
            if tx.dirty and tx.name and up - tx.saved_up >= interval:
                self.save(tx)

    def next_seq(self):
        self.seq += 1
        return self.seq

    def record(self, name):
        """A stored JSON object, or None (a corrupt one is dropped)."""
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

    # ---- internals ----
    def _sync(self):
        """At the first clock sync of this boot: stamps taken before it become unix seconds in
        the journal (before any payload shows them, so a resend after a reboot is the same)."""
        clock = self.cp.clock
        if not self.synced and clock.base is not None:
            self.synced = True
            if self.txs:  # stamps of this boot before the clock was set (engine/recovery.py)
                from .recovery import rebase
                for tx in self.txs:
                    if rebase(tx, clock.base):
                        self.save(tx)
            self.wall = clock.now()
            try:  # the wall time, once per boot
                self.store.save("journal", json.dumps({"n": self.boot, "w": self.wall}).encode())
            except OSError as e:
                self.cp.log("journal: cannot write the boot counter (%s)" % e)
        return self.synced

    def _compact(self, tx, values, out):
        """out with index, value appended for each sampled value (its layout: tx.layout[index])."""
        layout = tx.layout
        for v in values:
            lay = [v.get("context"), v.get("measurand"), v.get("unit"), v.get("phase"), v.get("location")]
            try:
                i = layout.index(lay)
            except ValueError:
                i = len(layout)
                layout.append(lay)
            out.append(i)
            out.append(v["value"])
        return out


def _bounded(items, row, size):
    """items with row appended, at most size (>= 3) long: when full, the first and the last and
    every second one in between are kept."""
    if len(items) >= size:
        items = [items[0]] + items[1:-1][1::2] + [items[-1]]
    items.append(row)
    return items
