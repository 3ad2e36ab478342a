"""Desktop demo: a local Central System plus code.py on the simulated board, one charging session.

    python3 tools/demo.py [--port 9000] [--interactive]

Starts the dev Central System on 127.0.0.1, runs code.py as a separate process (exactly as a
user would) and prints the OCPP exchange. Ends by itself once the session is complete; the exit
status says whether the Central System saw a complete transaction.
"""
import argparse
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tools.central_system import CentralSystem  # noqa: E402

CP_ID = "ocpp_cp-demo"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9000, help="Central System port (0 = any free)")
    parser.add_argument("--interactive", action="store_true", help="keys p/c/q instead of the script")
    parser.add_argument("--timeout", type=int, default=120, help="give up after this many seconds")
    args = parser.parse_args()

    cs = CentralSystem(host="127.0.0.1", port=args.port, log=lambda line: print("  CS |", line))
    try:
        port = cs.start()
    except OSError as e:
        sys.exit("cannot start the Central System on port %d (%s); try --port 0" % (args.port, e))
    url = "ws://127.0.0.1:%d/ocpp/%s" % (port, CP_ID)
    print("Central System listening on %s" % url)
    print("Running code.py on the simulated desktop board ...\n")
    env = dict(os.environ, OCPP_URL=url, OCPP_BOARD="desktop",
               OCPP_DEMO="interactive" if args.interactive else "script", PYTHONUNBUFFERED="1")
    sketch = subprocess.Popen([sys.executable, os.path.join(ROOT, "code.py")], cwd=ROOT, env=env)
    configured = False
    deadline = time.monotonic() + args.timeout
    try:
        while sketch.poll() is None and time.monotonic() < deadline:
            if not configured and cs.calls("BootNotification", cp_id=CP_ID):
                # as a real Central System would: meter values every 2 s so the demo shows some
                try:
                    cs.call(CP_ID, "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "2"})
                    configured = True
                except Exception as e:  # noqa: BLE001 - the demo goes on without it
                    print("  (could not configure the sampling interval: %s)" % e)
                    configured = True
            time.sleep(0.05)
    finally:
        if sketch.poll() is None:
            print("\ncode.py did not finish in %d s: stopping it" % args.timeout)
            sketch.kill()
        sketch.wait()
        cs.stop()

    starts = cs.calls("StartTransaction", cp_id=CP_ID)
    stops = cs.calls("StopTransaction", cp_id=CP_ID)
    meters = cs.calls("MeterValues", cp_id=CP_ID)
    print("\nThe Central System saw %d StartTransaction, %d MeterValues, %d StopTransaction."
          % (len(starts), len(meters), len(stops)))
    if starts and stops:
        used = stops[-1]["meterStop"] - starts[-1]["meterStart"]
        print("Transaction %s charged %d Wh. Demo complete." % (stops[-1]["transactionId"], used))
        return 0
    print("No complete transaction: see the log above.")
    return 1


if __name__ == "__main__":
    sys.exit(main())
