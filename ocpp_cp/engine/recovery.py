"""Transactions back from the journal after a restart, and stamps taken before the clock was set
(docs/offline.md). Imported only when there is such work, and dropped again on a microcontroller
once done (rpc.py).

A transaction that was running is stopped with reason PowerLoss (meterStop: the last energy
value the journal kept, or the meter's reading at the first loop if higher), and every
undelivered StartTransaction / MeterValues / StopTransaction is queued again in its original
order (seq) with its original message id (id base + kind), so a Central System can spot a repeat.
A transaction from an earlier boot is moved into this boot's timeline (journal.py, "Time").
"""
from .connector import Transaction


def restore(journal, names):
    cp = journal.cp
    store = journal.store
    found = []
    last_up = {}  # boot -> last uptime a record of it was written at
    for name in names:
        rec = journal.record(name)
        try:
            tx = _decode(name, rec)
            boot, up = rec["b"], rec["u"]
            found.append((tx, boot, rec.get("p")))
        except (KeyError, TypeError, ValueError):
            cp.log("journal: record %s is not a transaction: dropped" % name)
            store.delete(name)
            continue
        last_up[boot] = max(last_up.get(boot, 0), up)
    if not found:
        return
    msgs = []
    for tx, boot, _ in found:
        if boot != journal.boot:  # into this boot's timeline (journal.py)
            tx.shift += last_up[boot]
        journal.seq = max(journal.seq, tx.seq, tx.stop_seq or 0, *[r[0] for r in tx.meter])
    found.sort(key=lambda f: f[0].seq)
    for tx, boot, provisional in found:
        if provisional:
            journal.power_loss.append(tx)
        if not tx.stopped:
            tx.stopped = True
            tx.stop_reason = "PowerLoss"
            tx.meter_stop, tx.stop_stamp = tx.last
            tx.stop_seq = journal.next_seq()
            journal.power_loss.append(tx)
            cp.log("connector %d: transaction %s was running at power loss: stopped (PowerLoss)"
                   % (tx.connector_id, tx.transaction_id))
            journal.save(tx)
        journal.txs.append(tx)
        if not tx.start_done:
            msgs.append((tx.seq, 0, tx, None))
        for row in tx.meter:
            msgs.append((row[0], 1, tx, row))
        msgs.append((tx.stop_seq, 2, tx, None))
    cp.log("journal: %d unfinished transaction(s) restored, %d message(s) to deliver" % (len(found), len(msgs)))
    msgs.sort(key=lambda m: m[0])
    from ..ops import meter_values, start_transaction, stop_transaction
    for seq, kind, tx, row in msgs:
        if kind == 0:
            start_transaction.queue(cp, tx)
        elif kind == 1:
            meter_values.queue(cp, tx, row)
        else:
            stop_transaction.queue(cp, tx)


def _decode(name, rec):
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


def meter_stop(journal, tx):
    """PowerLoss meterStop: the meter's reading at the first loop if it is higher than the
    last one kept (a meter that keeps its register; no energy flows while the charger is
    off). Done once: the record says so until then, also across another power cut."""
    cp = journal.cp
    now = 0
    try:
        if tx.connector_id < len(cp.connectors):
            now = cp.connectors[tx.connector_id].meter.energy_wh()
    except Exception as e:  # noqa: BLE001 - the sketch's sampler
        cp.log("journal: energy sampler raised %r: meterStop from the journal" % e)
    journal.power_loss.remove(tx)
    if now > tx.meter_stop:
        tx.meter_stop = now
        tx.last = [now, tx.stop_stamp]
    journal.save(tx)


def rebase(tx, base):
    """Stamps taken before the clock was set become unix seconds (the clock is set now): base is
    the unix time at this boot's uptime 0, a negative stamp s is -1 - uptime shifted by tx.shift."""
    def fix(s):
        return s if s >= 0 else base + (-1 - s) - tx.shift
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
