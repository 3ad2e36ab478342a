"""Run the foreign Central System (tests/foreign_cs/server.mjs, npm ``ocpp-rpc`` in strictMode).

    with ForeignCentralSystem() as fcs:
        url = fcs.url("CP_1")                  # ws://127.0.0.1:<port>/ocpp/CP_1
        ...
        fcs.wait_for("Heartbeat", count=1, timeout=10)
        assert fcs.errors() == []

``ForeignCentralSystem(script="drive_core.mjs")`` runs another script of that folder with the
same conventions (first line ``{"port": N}``, JSON lines, exits when stdin closes).

Needs ``node`` and ``npm ci`` run once in tests/foreign_cs.
"""

import json
import os
import shutil
import subprocess
import threading
import time

FOREIGN_CS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "foreign_cs")


class ForeignCentralSystem:
    """``node server.mjs 0`` in a subprocess; its JSON stdout lines collected in ``lines``."""

    def __init__(self, node="node", startup_timeout=20, script="server.mjs"):
        self.node = node
        self.script = script
        self.startup_timeout = startup_timeout
        self.port = None
        self.lines = []          # every JSON object node printed, in order
        self.stderr_lines = []
        self._proc = None
        self._cond = threading.Condition()
        self._threads = []

    # -- lifecycle -------------------------------------------------------------------------

    def start(self):
        if self._proc is not None:
            return self.port
        if not os.path.isdir(os.path.join(FOREIGN_CS_DIR, "node_modules", "ocpp-rpc")):
            raise RuntimeError("The foreign Central System's npm packages are not installed: run "
                               "`npm ci` in %s" % FOREIGN_CS_DIR)
        node = shutil.which(self.node)
        if node is None:
            raise RuntimeError("`%s` (Node.js >= 17.3) is not on PATH; it runs the foreign "
                               "Central System in %s" % (self.node, FOREIGN_CS_DIR))
        self._proc = subprocess.Popen(
            [node, self.script, "0"], cwd=FOREIGN_CS_DIR,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, encoding="utf-8", errors="replace", bufsize=1)
        for target, stream in ((self._read_stdout, self._proc.stdout),
                               (self._read_stderr, self._proc.stderr)):
            t = threading.Thread(target=target, args=(stream,), daemon=True,
                                 name="ForeignCentralSystem-reader")
            t.start()
            self._threads.append(t)
        deadline = time.monotonic() + self.startup_timeout
        with self._cond:
            while self.port is None:
                remaining = deadline - time.monotonic()
                if self._proc.poll() is not None or remaining <= 0:
                    break
                self._cond.wait(min(0.1, remaining))
        if self.port is None:
            self.stop()
            raise RuntimeError("The foreign Central System did not start:\n%s"
                               % "\n".join(self.stderr_lines[-30:]))
        return self.port

    def stop(self, timeout=5):
        proc = self._proc
        if proc is None:
            return
        try:
            proc.stdin.close()  # server.mjs exits when stdin ends
        except OSError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)
        for t in self._threads:
            t.join(timeout)
        self._threads = []
        for stream in (proc.stdout, proc.stderr):
            try:
                stream.close()
            except OSError:
                pass
        self._proc = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def url(self, cp_id="CP_1", path="ocpp"):
        return "ws://127.0.0.1:%d/%s/%s" % (self.port, path.strip("/"), cp_id)

    # -- output collection -----------------------------------------------------------------

    def _read_stdout(self, stream):
        for line in stream:
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                obj = {"dir": "stdout", "text": line}
            if not isinstance(obj, dict):
                obj = {"dir": "stdout", "text": line}
            with self._cond:
                if self.port is None and "port" in obj and "dir" not in obj:
                    self.port = obj["port"]
                else:
                    self.lines.append(obj)
                self._cond.notify_all()

    def _read_stderr(self, stream):
        for line in stream:
            with self._cond:
                self.stderr_lines.append(line.rstrip("\n"))
                self._cond.notify_all()

    # -- queries ---------------------------------------------------------------------------

    @property
    def messages(self):
        """Frames in both directions: dicts with dir, cp_id, type, id, action, payload."""
        with self._cond:
            return [m for m in self.lines if m.get("dir") in ("cp->cs", "cs->cp")]

    def calls(self, action=None, cp_id=None):
        """Payloads of CP->CS CALLs, in order."""
        with self._cond:
            return [m.get("payload") for m in self.lines
                    if m.get("dir") == "cp->cs" and m.get("type") == 2
                    and (action is None or m.get("action") == action)
                    and (cp_id is None or m.get("cp_id") == cp_id)]

    def errors(self):
        """What ocpp-rpc found wrong (strict schema validation failures, bad messages)."""
        with self._cond:
            return [m for m in self.lines if m.get("dir") == "error"]

    def dump(self):
        with self._cond:
            lines = [json.dumps(m) for m in self.lines]
            err = list(self.stderr_lines)
        text = "\n".join(lines) or "(nothing)"
        if err:
            text += "\nstderr:\n" + "\n".join(err[-30:])
        return text

    def wait_line(self, predicate, timeout=10):
        """Wait until an output line (a dict) satisfies ``predicate``; return the first that does."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for m in self.lines:
                    if predicate(m):
                        return m
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self._proc is not None and self._proc.poll() is not None):
                    break
                self._cond.wait(min(0.05, remaining))
        raise TimeoutError("Timed out after %ss waiting for a line from %s; its output:\n%s"
                           % (timeout, self.script, self.dump()))

    def wait_errors(self, count=1, timeout=10):
        """Wait until at least ``count`` errors were reported; return them."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [m for m in self.lines if m.get("dir") == "error"]
                remaining = deadline - time.monotonic()
                if len(found) >= count or remaining <= 0:
                    break
                self._cond.wait(min(0.05, remaining))
        if len(found) < count:
            raise TimeoutError("Timed out after %ss waiting for %d error(s) at the foreign Central "
                               "System; its output:\n%s" % (timeout, count, self.dump()))
        return found

    def wait_for(self, action, count=1, timeout=10, cp_id=None, pump=None):
        """Wait until ``count`` CP->CS CALLs of ``action`` arrived; return all of them so far.

        ``pump``: called on every polling round (for a charge point driven by this thread)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.calls(action, cp_id)
            if len(found) >= count:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("Timed out after %ss waiting for %d x %s at the foreign Central "
                                   "System; its output:\n%s" % (timeout, count, action, self.dump()))
            if pump is not None:
                pump()
                time.sleep(min(0.005, remaining))
            else:
                with self._cond:
                    self._cond.wait(min(0.05, remaining))
