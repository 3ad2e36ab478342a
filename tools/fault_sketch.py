"""A charge point sketch for fault-injection tests: the facade with a file store and a simulated
plug and meter, stepped by commands on stdin (desktop only; tests/test_faults.py kills it with
SIGKILL and starts it again on the same store).

    python3 tools/fault_sketch.py ws://127.0.0.1:9000/ocpp/CP_1 --store DIR [--meter WH]
        [--plugged] [--set KEY=VALUE ...]

Commands, one a line; each is acknowledged with "@@ok <command>" once done:
    plug | unplug | meter <Wh> | begin <idTag> | start <idTag> | end | set <key> <value> | state | quit
"state" prints "@@state {json}" first. Log lines start with "[ocpp]".
"""
import argparse
import json
import os
import select
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import ocpp_cp  # noqa: E402
from ocpp_cp import (OCPP_initialize, OCPP_loop, OCPP_deinitialize, beginSession, endSession,  # noqa: E402
                     startTransaction, bootNotification, setEnergyActiveImportSampler,
                     setConnectorPluggedSampler, getTransactionId, getConnectorStatus, isInSession,
                     ocppPermitsCharge, getConnectionState, getUnfinishedTransactions)


def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--store", required=True)
    parser.add_argument("--meter", type=int, default=10000)
    parser.add_argument("--plugged", action="store_true")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()

    hw = {"wh": args.meter, "plugged": args.plugged}
    OCPP_initialize(args.url, store=args.store, log=lambda m: out("[ocpp] " + m))
    cp = ocpp_cp.getChargePoint()

    def set_key(key, text):  # (not stored: only for this run)
        old = cp.config.get(key)
        cp.config.set(key, (text == "true") if isinstance(old, bool) else int(text) if isinstance(old, int) else text)
    for item in args.set:
        set_key(*item.split("=", 1))
    setEnergyActiveImportSampler(lambda: hw["wh"])
    setConnectorPluggedSampler(lambda: hw["plugged"])
    bootNotification("fault sketch", "ocpp_cp")
    out("@@ready")
    buf = b""
    fd = sys.stdin.fileno()
    while True:
        OCPP_loop()
        ready, _, _ = select.select([fd], [], [], 0.002)
        if not ready:
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            words = line.decode().split()
            if not words:
                continue
            cmd = words[0]
            if cmd == "quit":
                OCPP_deinitialize()
                out("@@ok quit")
                return
            if cmd == "plug":
                hw["plugged"] = True
            elif cmd == "unplug":
                hw["plugged"] = False
            elif cmd == "meter":
                hw["wh"] = int(words[1])
            elif cmd == "begin":
                beginSession(words[1])
            elif cmd == "start":
                startTransaction(words[1])
            elif cmd == "end":
                endSession()
            elif cmd == "set":
                set_key(words[1], words[2])
            elif cmd == "state":
                out("@@state " + json.dumps({
                    "connection": getConnectionState(), "accepted": cp.accepted, "synced": cp.clock.synced,
                    "status": getConnectorStatus(), "session": isInSession(), "permits": ocppPermitsCharge(),
                    "transactionId": getTransactionId(), "unfinished": getUnfinishedTransactions()}))
            out("@@ok " + cmd)


if __name__ == "__main__":
    main()
