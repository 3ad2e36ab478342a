"""Simulated board for desktop Python: a meter, a plug, a card reader and a relay in software.

OCPP_DEMO = "script" (default): plug in, present the card, charge ~6 s, present the card again,
unplug, finish. Each step waits for what the charger does (the relay), not for a timetable.
OCPP_DEMO = "interactive" (in a terminal): keys p = plug/unplug, c = present card, q = quit.
OCPP_DEMO = "remote": a car is plugged in and the Central System drives everything (remote start
and stop, ...); ends on its Reset or after OCPP_DEMO_SECONDS (default 120).
Simulated time runs TIME_SCALE times faster: 1 s on the clock = 1 min of charging at 7.4 kW.
"""

import sys
import time
from boards import Base
from ocpp_cp import settings
from adafruit_ticks import ticks_diff

# script stages, each waiting for a condition
START, PLUG, CARD, WAIT_ON, CHARGE, WAIT_OFF, UNPLUG, LAST, DONE = range(9)


class Board(Base):
    name = "desktop"
    default_url = "ws://127.0.0.1:9000/ocpp/ocpp_cp-demo"  # tools/ dev Central System
    NOMINAL_POWER_W = 7400
    START_WH = 1234567  # a meter that has seen some use
    TIME_SCALE = 60  # 1 s of wall time = 1 min of charging
    CHARGE_MS = 6000  # wall time the scripted demo charges
    WAIT_MS = 30000  # give up waiting for the relay after this

    def __init__(self):
        Base.__init__(self)
        self.id_tag = settings.get("OCPP_ID_TAG", "DEMO-CARD-01")
        demo = settings.get("OCPP_DEMO", "script")
        if demo not in ("script", "interactive", "remote"):
            raise settings.SettingsError('settings.toml: OCPP_DEMO must be "script", "interactive" or "remote",'
                                         ' not %r' % demo)
        self._plugged = demo == "remote"  # remote: the car waits for the Central System
        self._left = settings.get_int("OCPP_DEMO_SECONDS", 120) * 1000 if self._plugged else None
        self._stage = START
        self._since = self._now()
        self._shown = self._since
        self._keys = None  # how keys are read in interactive mode
        self._buf = ""
        if demo == "interactive":
            self._keys = self._open_keys()
        if self._left is not None:
            print("[board] remote: car plugged in; the Central System drives (ends on Reset or after %d s)"
                  % (self._left // 1000))
        elif self._keys:
            print("[board] interactive: p = plug in/unplug, c = present card %s, q = quit" % self.id_tag)
        else:
            print("[board] scripted demo: plug in, card %s, charge, card again, unplug" % self.id_tag)

    def plugged(self):
        return self._plugged

    def power_w(self):
        if not (self._relay and self._plugged):
            return 0
        return self.NOMINAL_POWER_W + (self._now() // 1000 % 5 - 2) * 15  # a little wobble

    def idle(self):
        time.sleep(0.001)  # don't spin a CPU core at 100 %

    def reset(self):
        if self._left is not None:  # remote: end cleanly (code.py closes the connection)
            print("[board] Reset requested by the Central System: finished")
            self.finished = True
            return
        raise SystemExit("[board] Reset requested by the Central System: run code.py again to start over")

    def unlock(self):
        print("[board] cable unlocked")
        return True

    def _plug(self, on):
        self._plugged = on
        print("[board] plug in" if on else "[board] unplug")

    def _card(self):
        print("[board] card", self.id_tag, "presented")
        return self.id_tag

    def read_card(self):
        if self._left is not None:
            now = self._now()
            self._left -= ticks_diff(now, self._since)  # counted down: any length works
            self._since = now
            if self._left <= 0 and not self.finished:
                print("[board] OCPP_DEMO_SECONDS are over: finished")
                self.finished = True
            return None
        if self._keys:
            return self._interactive()
        return self._script()

    # ---- scripted demo ----
    def _next(self, stage, now):
        self._stage = stage
        self._since = now

    def _script(self):
        now = self._now()
        t = ticks_diff(now, self._since)
        s = self._stage
        if s == START and t >= 1000:
            self._plug(True)
            self._next(PLUG, now)
        elif s == PLUG and t >= 500:
            self._next(WAIT_ON, now)
            return self._card()
        elif s == WAIT_ON:
            if self._relay:
                print("[board] charging for %d s (simulated %dx faster)" % (self.CHARGE_MS // 1000, self.TIME_SCALE))
                self._next(CHARGE, now)
                self._shown = now
            elif t >= self.WAIT_MS:
                print("[board] the relay is still off after %d s: is the Central System running, and did it"
                      " accept %s? Giving up." % (self.WAIT_MS // 1000, self.id_tag))
                self._next(UNPLUG, now)
        elif s == CHARGE:
            if ticks_diff(now, self._shown) >= 1000:
                self._shown = now
                print("[board] meter %d Wh, %d W" % (self.energy_wh(), self.power_w()))
            if t >= self.CHARGE_MS:
                self._next(WAIT_OFF, now)
                return self._card()
        elif s == WAIT_OFF:
            if not self._relay:
                self._next(UNPLUG, now)
            elif t >= self.WAIT_MS:
                print("[board] the relay is still on after %d s; unplugging anyway" % (self.WAIT_MS // 1000))
                self._next(UNPLUG, now)
        elif s == UNPLUG and t >= 500:
            self._plug(False)
            self._next(LAST, now)
        elif s == LAST and t >= 2000:  # time for the last messages to go out
            print("[board] demo finished, meter %d Wh" % self.energy_wh())
            self._next(DONE, now)
            self.finished = True
        return None

    # ---- interactive ----
    def _open_keys(self):
        if not sys.stdin.isatty():
            print("[board] OCPP_DEMO = interactive needs a terminal; running the script instead")
            return None
        try:
            import termios
            import tty
            import atexit
            fd = sys.stdin.fileno()
            old = termios.tcgetattr(fd)
            tty.setcbreak(fd)  # keys arrive without Enter; Ctrl+C still works
            self._restore = lambda: termios.tcsetattr(fd, termios.TCSADRAIN, old)
            atexit.register(self._restore)
            return "cbreak"
        except (ImportError, OSError):
            pass
        try:
            import msvcrt  # noqa: F401  (Windows)
            return "msvcrt"
        except ImportError:
            print("[board] type a key and press Enter")
            return "line"

    def _key(self):
        if not self._buf:
            if self._keys == "msvcrt":
                import msvcrt
                if msvcrt.kbhit():
                    self._buf = msvcrt.getwch()
            else:
                import select
                if select.select([sys.stdin], [], [], 0)[0]:
                    if self._keys == "cbreak":
                        import os
                        self._buf = os.read(sys.stdin.fileno(), 32).decode("utf-8", "replace")
                    else:
                        self._buf = sys.stdin.readline() or "q"  # end of input: quit
        k = self._buf[:1].lower()
        self._buf = self._buf[1:]
        return k

    def _interactive(self):
        k = self._key()
        if k == "p":
            self._plug(not self._plugged)
        elif k == "c":
            return self._card()
        elif k == "q":
            print("[board] quit")
            if self._keys == "cbreak":
                self._restore()
            self.finished = True
        return None
