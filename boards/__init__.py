"""Board profiles: what code.py needs from the hardware (see boards/README.md).

boards.load(name) returns a profile's Board(). Device profiles subclass DeviceBoard below and
name their pins as strings (resolved on the board module only when Board() is created), so every
profile imports on desktop Python; only creating a device Board needs CircuitPython.
"""

import sys
from adafruit_ticks import ticks_ms, ticks_diff

# board.board_id prefix -> profile (Pico 2 W has the Pico W pinout)
BOARD_IDS = (
    ("raspberry_pi_pico_w", "pico_w"),
    ("raspberry_pi_pico2_w", "pico_w"),
    ("adafruit_feather_esp32s3", "feather_esp32s3"),
)


def profile_for(board_id):
    """Profile name for a CircuitPython board_id; "desktop" when unknown or None."""
    for prefix, name in BOARD_IDS:
        if board_id and board_id.startswith(prefix):
            return name
    return "desktop"


def _board_id():
    if sys.implementation.name != "circuitpython":
        return None  # a computer (Blinka's `board` would describe the PC, not a charger)
    try:
        import board
        return board.board_id
    except (ImportError, AttributeError):
        return None


def available():
    """Names of the profile modules in this folder."""
    try:
        d = __file__.replace("\\", "/").rsplit("/", 1)[0]
        import os
        names = []
        for f in os.listdir(d):
            for ext in (".py", ".mpy"):
                if f.endswith(ext) and f[0] != "_" and f[:-len(ext)] not in names:
                    names.append(f[:-len(ext)])
        return sorted(names)
    except (NameError, OSError):  # frozen module: no folder to look into
        return ["desktop", "feather_esp32s3", "pico_w"]


def select(name=None):
    """Profile name: `name` (OCPP_BOARD) if given, else detected from board.board_id."""
    if not name:
        return profile_for(_board_id())
    if name not in available():
        raise ValueError("unknown board profile %r (OCPP_BOARD in settings.toml); available: %s"
                         % (name, ", ".join(available())))
    return name


def load(name=None):
    """Create the Board of the selected profile."""
    name = select(name)
    __import__("boards." + name)
    return sys.modules["boards." + name].Board()


def _wh(board, now):
    # Integrate power over integer ms; the remainder (W*ms below 1 Wh) is kept, never floats.
    dt = ticks_diff(now, board._t)
    board._t = now
    if dt > 0:
        board._rem += board.power_w() * dt * board.TIME_SCALE
        board._wh += board._rem // 3600000
        board._rem %= 3600000


class Base:
    """Defaults shared by all profiles. Subclasses set pins and override what they have."""

    name = "base"
    finished = False  # devices run forever; the desktop demo ends
    default_url = None  # only the desktop board knows a Central System (the local dev one)
    NOMINAL_POWER_W = 3680  # estimated power while the relay is on and a car is plugged (16 A x 230 V)
    START_WH = 0  # meter reading at start
    TIME_SCALE = 1  # simulated ms per real ms (the desktop demo runs faster)

    def __init__(self):
        self._relay = False
        self._status = None
        self._wh = self.START_WH
        self._rem = 0
        self._t = self._now()

    def _now(self):
        return ticks_ms()

    def connect_network(self):
        pass

    def plugged(self):
        return True

    def power_w(self):
        # No meter: an ESTIMATE (nominal power while the relay is on and a car is plugged)
        return self.NOMINAL_POWER_W if self._relay and self.plugged() else 0

    def energy_wh(self):
        _wh(self, self._now())
        return self._wh

    def set_relay(self, on):
        on = bool(on)
        if on != self._relay:
            _wh(self, self._now())  # close the interval at the old power
            self._relay = on
            self._write_relay(on)
            print("[board] relay", "on" if on else "off")

    def _write_relay(self, on):
        pass

    def set_pilot(self, amps):
        pass

    def set_status(self, text):
        if text != self._status:
            self._status = text
            print("[board] status:", text)
            self._show(text)

    def _show(self, text):
        pass

    def read_card(self):
        return None

    # The cable lock, for the Central System's UnlockConnector: a profile with one defines
    # unlock(self) -> True once unlocked (False: it failed). None: no lock (NotSupported).
    unlock = None

    def idle(self):
        pass

    def reset(self):
        import microcontroller
        microcontroller.reset()


def _device():
    return sys.implementation.name == "circuitpython"


def pilot_duty(amps):
    """J1772 duty_cycle (0..65535) offering `amps`; 65535 (+12 V, no charging) for 0/None/<6 A."""
    a = int(amps or 0)
    if a < 6:
        return 65535
    if a <= 51:
        return a * 65535 // 60  # duty % = A / 0.6
    a = min(a, 80)
    return (a * 40 + 6400) * 65535 // 10000  # duty % = A / 2.5 + 64


class DeviceBoard(Base):
    """A CircuitPython board with a relay, a plug-sense input, a card button and a pilot PWM.

    Pins are names on the `board` module; set one to None when it is not wired.
    A level of True means "high": RELAY_ACTIVE_LEVEL = False for active-low relay modules.
    """

    RELAY_PIN = None
    RELAY_ACTIVE_LEVEL = True
    PLUG_PIN = None  # None: always plugged
    PLUG_ACTIVE_LEVEL = False  # switch to GND closes when plugged (internal pull-up)
    BUTTON_PIN = None  # stands in for an RFID reader
    BUTTON_ACTIVE_LEVEL = False  # button to GND (internal pull-up)
    PILOT_PIN = None  # 1 kHz PWM into a +/-12 V J1772 pilot circuit, never straight to the car
    DEBOUNCE_MS = 50

    def __init__(self):
        if not _device():
            raise RuntimeError('boards/%s.py drives real pins and needs CircuitPython on the board; '
                               'on a computer use OCPP_BOARD = "desktop"' % self.name)
        Base.__init__(self)
        from ocpp_cp import settings
        self.id_tag = settings.get("OCPP_ID_TAG", "DEMO-CARD-01")
        self._plug = self._input(self.PLUG_PIN)
        self._button = self._input(self.BUTTON_PIN)
        self._pressed = False
        self._btn_t = self._now()
        self._was_plugged = None
        self._relay_io = None
        pin = self._pin(self.RELAY_PIN)
        if pin:
            import digitalio
            self._relay_io = digitalio.DigitalInOut(pin)
            self._relay_io.switch_to_output(value=not self.RELAY_ACTIVE_LEVEL)  # start open
        self._pilot = None
        self._duty = None
        pin = self._pin(self.PILOT_PIN)
        if pin:
            import pwmio
            self._pilot = pwmio.PWMOut(pin, frequency=1000, duty_cycle=65535)
            self._duty = 65535

    def _pin(self, name):
        if name is None:
            return None
        import board
        pin = getattr(board, name, None)
        if pin is None:
            raise ValueError("board.%s does not exist on this board: edit the pins in boards/%s.py"
                             % (name, self.name))
        return pin

    def _input(self, name):
        pin = self._pin(name)
        if pin is None:
            return None
        import digitalio
        io = digitalio.DigitalInOut(pin)
        io.switch_to_input(pull=digitalio.Pull.UP)
        return io

    def connect_network(self):
        import wifi
        from ocpp_cp import settings
        if wifi.radio.ipv4_address:  # CircuitPython already joined (web workflow)
            print("[board] Wi-Fi connected, IP", wifi.radio.ipv4_address)
            return
        ssid = settings.require("CIRCUITPY_WIFI_SSID", "MyNetwork")
        password = settings.get("CIRCUITPY_WIFI_PASSWORD", "")  # empty: open network
        while True:  # a charger keeps trying rather than stopping
            try:
                print("[board] joining Wi-Fi", ssid)
                wifi.radio.connect(ssid, password)
                break
            except (ConnectionError, OSError) as e:
                print("[board] Wi-Fi failed:", e, "- check CIRCUITPY_WIFI_SSID/PASSWORD; retrying in 5 s")
                import time
                time.sleep(5)
        print("[board] Wi-Fi connected, IP", wifi.radio.ipv4_address)

    def plugged(self):
        if self._plug is None:
            return True
        p = self._plug.value == self.PLUG_ACTIVE_LEVEL
        if p != self._was_plugged:
            self._was_plugged = p
            print("[board] plugged in" if p else "[board] unplugged")
        return p

    def _write_relay(self, on):
        if self._relay_io:
            self._relay_io.value = on == self.RELAY_ACTIVE_LEVEL

    def set_pilot(self, amps):
        d = pilot_duty(amps)
        if self._pilot and d != self._duty:
            self._duty = d
            self._pilot.duty_cycle = d

    def read_card(self):
        # One event per press (debounced). An RFID reader would go here instead: poll it
        # without blocking and return the card UID as a hex str (max 20 chars for OCPP).
        if self._button is None:
            return None
        down = self._button.value == self.BUTTON_ACTIVE_LEVEL
        now = self._now()
        if down == self._pressed or ticks_diff(now, self._btn_t) < self.DEBOUNCE_MS:
            return None
        self._pressed = down
        self._btn_t = now
        if down:
            print("[board] card", self.id_tag, "presented")
            return self.id_tag
        return None
