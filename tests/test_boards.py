import os
import subprocess
import sys
import types

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.append(ROOT)  # appended: code.py must not shadow stdlib `code`

import boards  # noqa: E402
from boards import desktop  # noqa: E402
from ocpp_cp import settings  # noqa: E402


@pytest.fixture(autouse=True)
def clean_settings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no settings.toml
    for k in ("OCPP_DEMO", "OCPP_DEMO_SECONDS", "OCPP_ID_TAG", "OCPP_BOARD", "CIRCUITPY_WIFI_SSID",
              "CIRCUITPY_WIFI_PASSWORD"):
        monkeypatch.delenv(k, raising=False)
    settings.reload()
    yield
    settings.reload()


# ---------- selection ----------

def test_profile_for_board_ids():
    assert boards.profile_for("raspberry_pi_pico_w") == "pico_w"
    assert boards.profile_for("raspberry_pi_pico2_w") == "pico_w"
    assert boards.profile_for("adafruit_feather_esp32s3_4mbflash_2mbpsram") == "feather_esp32s3"
    assert boards.profile_for("adafruit_feather_esp32s3_nopsram") == "feather_esp32s3"
    assert boards.profile_for("raspberry_pi_pico") == "desktop"  # no Wi-Fi: not a charger board
    assert boards.profile_for("GENERIC_LINUX_PC") == "desktop"  # Blinka on a computer
    assert boards.profile_for(None) == "desktop"


def test_select_rules(monkeypatch):
    assert boards.select() == "desktop"  # desktop Python: never asks Blinka's `board`
    assert boards.select("") == "desktop"
    assert boards.select("pico_w") == "pico_w"
    monkeypatch.setattr(boards, "_board_id", lambda: "adafruit_feather_esp32s3_tft")
    assert boards.select() == "feather_esp32s3"
    assert boards.select("desktop") == "desktop"  # OCPP_BOARD wins over detection


def test_unknown_profile_lists_available():
    assert set(boards.available()) >= {"desktop", "pico_w", "feather_esp32s3"}
    with pytest.raises(ValueError) as e:
        boards.load("esp8266")
    msg = str(e.value)
    assert "esp8266" in msg and "OCPP_BOARD" in msg
    for name in ("desktop", "feather_esp32s3", "pico_w"):
        assert name in msg


def test_load_desktop():
    hw = boards.load("desktop")
    assert isinstance(hw, desktop.Board) and hw.name == "desktop"
    assert hw.default_url.startswith("ws://127.0.0.1:9000/")
    assert hw.finished is False and hw.plugged() is False and hw.power_w() == 0
    hw.connect_network()
    hw.set_pilot(16)  # no-op
    with pytest.raises(SystemExit, match="run code.py again"):
        hw.reset()


@pytest.mark.parametrize("name", ["pico_w", "feather_esp32s3"])
def test_device_profiles_need_circuitpython(name):
    with pytest.raises(RuntimeError) as e:
        boards.load(name)
    assert "CircuitPython" in str(e.value) and 'OCPP_BOARD = "desktop"' in str(e.value)


def test_profiles_import_without_hardware_modules():
    code = ("import sys; import boards, boards.desktop, boards.pico_w, boards.feather_esp32s3; "
            "hw = [m for m in ('board', 'digitalio', 'pwmio', 'neopixel', 'wifi', 'microcontroller') "
            "if m in sys.modules]; print(hw); sys.exit(1 if hw else 0)")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr


# ---------- the simulated desktop board ----------

class Clock:
    def __init__(self):
        self.t = 100000


def make_desktop(clock):
    class Sim(desktop.Board):
        def _now(self):
            return clock.t
    return Sim()


def run_sketch(hw, clock, auth_delay_ms=300, accept=True, max_ms=120000):
    """A fake sketch loop: the card toggles a session; the relay follows an authorized session."""
    session = None
    energy = []
    while not hw.finished and clock.t < 100000 + max_ms:
        clock.t += 10
        permits = bool(accept and session is not None and clock.t - session >= auth_delay_ms and hw.plugged())
        hw.set_relay(permits)
        hw.set_status("Charging" if permits else ("Preparing" if hw.plugged() else "Available"))
        card = hw.read_card()
        if card:
            assert card == "DEMO-CARD-01"
            session = None if session is not None else clock.t
        energy.append(hw.energy_wh())
    return energy


def test_scripted_demo_runs_a_session(capsys):
    clock = Clock()
    hw = make_desktop(clock)
    start = hw.energy_wh()
    assert start == 1234567
    energy = run_sketch(hw, clock)
    out = capsys.readouterr().out
    assert hw.finished
    steps = ["[board] plug in", "[board] card DEMO-CARD-01 presented", "[board] relay on",
             "[board] charging for 6 s", "[board] card DEMO-CARD-01 presented", "[board] relay off",
             "[board] unplug", "[board] demo finished"]
    pos = 0
    for s in steps:  # in this order
        pos = out.index(s, pos) + len(s)
    assert out.count("[board] status: Charging") == 1  # printed only on change
    # 6 s of wall time at ~7.4 kW, simulated 60x faster: ~740 Wh
    assert 700 <= energy[-1] - start <= 780
    assert energy == sorted(energy)  # never goes backwards
    assert not hw.plugged() and hw.power_w() == 0
    assert clock.t - 100000 < 15000  # 1 + 0.5 + 0.3 + 6 + 0.5 + 2 s


def test_scripted_demo_waits_for_the_relay():
    clock = Clock()
    hw = make_desktop(clock)
    run_sketch(hw, clock, auth_delay_ms=20000)  # a slow Central System
    assert hw.finished
    assert hw.energy_wh() - 1234567 > 700  # still charged the full 6 s after the relay closed


def test_scripted_demo_gives_up_without_the_relay(capsys):
    clock = Clock()
    hw = make_desktop(clock)
    run_sketch(hw, clock, accept=False)
    out = capsys.readouterr().out
    assert hw.finished
    assert "still off after 30 s" in out and "Giving up" in out
    assert "[board] unplug" in out
    assert out.count("presented") == 1  # no second card: that would start a new session
    assert hw.energy_wh() == 1234567


def test_interactive_needs_a_terminal(monkeypatch, capsys):
    monkeypatch.setenv("OCPP_DEMO", "interactive")
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    hw = desktop.Board()
    assert hw._keys is None  # falls back to the script
    assert "needs a terminal" in capsys.readouterr().out


def test_interactive_keys(monkeypatch, capsys):
    hw = desktop.Board()
    hw._keys = "line"  # as if a terminal were there; keys come from the buffer
    hw._buf = "Pxc"
    assert hw.read_card() is None and hw.plugged()
    assert hw.read_card() is None  # unknown key ignored
    assert hw.read_card() == "DEMO-CARD-01"
    hw._buf = "pq"
    hw.read_card()
    assert not hw.plugged() and not hw.finished
    hw.read_card()
    assert hw.finished


def test_bad_demo_setting(monkeypatch):
    monkeypatch.setenv("OCPP_DEMO", "fast")
    with pytest.raises(settings.SettingsError, match="OCPP_DEMO"):
        desktop.Board()


def test_remote_mode(monkeypatch, capsys):
    """OCPP_DEMO = "remote": plugged in, no cards; the Central System's Reset or OCPP_DEMO_SECONDS ends it."""
    monkeypatch.setenv("OCPP_DEMO", "remote")
    monkeypatch.setenv("OCPP_DEMO_SECONDS", "5")
    clock = Clock()
    hw = make_desktop(clock)
    assert "[board] remote: car plugged in" in capsys.readouterr().out
    assert hw.plugged() and hw.power_w() == 0 and hw.read_card() is None
    start = hw.energy_wh()
    hw.set_relay(True)  # a RemoteStartTransaction's transaction runs: the meter runs
    for _ in range(499):
        clock.t += 10
        assert hw.read_card() is None and not hw.finished
    assert hw.power_w() > 7000 and hw.energy_wh() > start
    hw.set_relay(False)
    assert hw.unlock() is True and "[board] cable unlocked" in capsys.readouterr().out
    clock.t += 10  # 5 s in all
    assert hw.read_card() is None and hw.finished and hw.plugged()
    assert "OCPP_DEMO_SECONDS are over" in capsys.readouterr().out

    monkeypatch.delenv("OCPP_DEMO_SECONDS")
    hw = make_desktop(clock)
    assert hw._left == 120000  # the default bound
    hw.reset()  # no SystemExit: code.py ends its loop and closes the connection
    assert hw.finished and "Reset requested" in capsys.readouterr().out

    monkeypatch.setenv("OCPP_DEMO_SECONDS", "soon")
    with pytest.raises(settings.SettingsError, match="OCPP_DEMO_SECONDS"):
        make_desktop(clock)


def test_boards_without_a_lock_answer_not_supported():
    assert boards.Base.unlock is None  # code.py passes it on: UnlockConnector -> NotSupported
    from boards import feather_esp32s3, pico_w
    assert pico_w.Board.unlock is None and feather_esp32s3.Board.unlock is None


def test_id_tag_setting(monkeypatch):
    monkeypatch.setenv("OCPP_ID_TAG", "MY-CARD")
    hw = desktop.Board()
    hw._keys, hw._buf = "line", "c"
    assert hw.read_card() == "MY-CARD"


def test_energy_integration_keeps_the_remainder():
    clock = Clock()

    class B(boards.Base):
        NOMINAL_POWER_W = 3600  # 1 Wh per second

        def _now(self):
            return clock.t

    b = B()
    b.set_relay(True)
    for _ in range(2500):  # 1 ms steps: each far below 1 Wh
        clock.t += 1
        b.energy_wh()
    assert b.energy_wh() == 2
    clock.t += 500
    assert b.energy_wh() == 3
    b.set_relay(False)
    clock.t += 100000
    assert b.energy_wh() == 3 and b.power_w() == 0


def test_pilot_duty():
    full = 65535
    assert boards.pilot_duty(None) == full
    assert boards.pilot_duty(0) == full
    assert boards.pilot_duty(5) == full  # J1772 cannot offer less than 6 A
    assert boards.pilot_duty(6) == full * 10 // 100
    assert boards.pilot_duty(16.5) == 16 * full // 60  # 26.7 %
    assert boards.pilot_duty(51) == 51 * full // 60  # 85 %
    assert boards.pilot_duty(80) == full * 96 // 100
    assert boards.pilot_duty(100) == boards.pilot_duty(80)


# ---------- device profiles with fake hardware modules ----------

class Pin:
    def __init__(self, name):
        self.name = name


class FakeIO:
    def __init__(self, pin):
        self.pin = pin
        self.value = None
        self.pull = None
        self.output = None
        IOS[pin.name] = self

    def switch_to_output(self, value=False):
        self.output, self.value = True, value

    def switch_to_input(self, pull=None):
        self.output, self.pull, self.value = False, pull, True  # pulled up, nothing pressed


IOS = {}


@pytest.fixture
def hardware(monkeypatch):
    IOS.clear()
    board = types.ModuleType("board")
    board.board_id = "test"
    for n in ("GP13", "GP14", "GP15", "GP16", "LED", "D5", "D6", "D9", "D10", "BUTTON", "NEOPIXEL",
              "NEOPIXEL_POWER"):
        setattr(board, n, Pin(n))
    digitalio = types.ModuleType("digitalio")
    digitalio.DigitalInOut = FakeIO
    digitalio.Pull = types.SimpleNamespace(UP="up", DOWN="down")
    pwmio = types.ModuleType("pwmio")

    class PWMOut:
        def __init__(self, pin, frequency, duty_cycle):
            self.pin, self.frequency, self.duty_cycle = pin, frequency, duty_cycle
            IOS["pwm"] = self
    pwmio.PWMOut = PWMOut
    neopixel = types.ModuleType("neopixel")

    class NeoPixel:
        def __init__(self, pin, n, brightness):
            self.colour = None
            IOS["pixel"] = self

        def fill(self, c):
            self.colour = c
    neopixel.NeoPixel = NeoPixel
    microcontroller = types.ModuleType("microcontroller")
    microcontroller.resets = []
    microcontroller.reset = lambda: microcontroller.resets.append(1)
    wifi = types.ModuleType("wifi")

    class Radio:
        ipv4_address = None
        joined = None

        def connect(self, ssid, password):
            self.joined = (ssid, password)
            self.ipv4_address = "192.168.1.50"
    wifi.radio = Radio()
    mods = dict(board=board, digitalio=digitalio, pwmio=pwmio, neopixel=neopixel,
                microcontroller=microcontroller, wifi=wifi)
    for name, m in mods.items():
        monkeypatch.setitem(sys.modules, name, m)
    monkeypatch.setattr(boards, "_device", lambda: True)
    return types.SimpleNamespace(**mods)


def test_pico_w_pins(hardware, capsys):
    hw = boards.load("pico_w")
    assert hw.name == "pico_w"
    relay, plug, button, led = IOS["GP15"], IOS["GP14"], IOS["GP13"], IOS["LED"]
    assert relay.output and relay.value is False  # starts open
    assert plug.pull == "up" and button.pull == "up"
    assert IOS["pwm"].pin.name == "GP16" and IOS["pwm"].frequency == 1000
    assert IOS["pwm"].duty_cycle == 65535  # +12 V: no charging offered

    assert not hw.plugged()
    plug.value = False  # switch to GND closed
    assert hw.plugged()

    hw.set_relay(True)
    assert relay.value is True
    hw.RELAY_ACTIVE_LEVEL = False  # an active-low relay module
    hw.set_relay(False)
    assert relay.value is True

    hw.set_pilot(32)
    assert IOS["pwm"].duty_cycle == boards.pilot_duty(32)

    hw.set_status("Available")
    assert led.value is True
    hw.set_status("Unavailable")
    assert led.value is False

    hw.reset()
    assert hardware.microcontroller.resets == [1]


def test_button_is_one_debounced_event(hardware):
    hw = boards.load("pico_w")
    t = [1000]
    hw._now = lambda: t[0]
    hw._btn_t = 0
    button = IOS["GP13"]
    assert hw.read_card() is None
    button.value = False  # pressed
    t[0] += 100
    assert hw.read_card() == "DEMO-CARD-01"
    t[0] += 10
    assert hw.read_card() is None  # still held: no second card
    button.value = True  # bounce on release inside the debounce time is ignored
    t[0] += 10
    assert hw.read_card() is None
    button.value = False
    t[0] += 10
    assert hw.read_card() is None
    button.value = True
    t[0] += 100
    assert hw.read_card() is None  # release
    button.value = False
    t[0] += 100
    assert hw.read_card() == "DEMO-CARD-01"  # the next press


def test_device_energy_is_an_estimate(hardware):
    hw = boards.load("pico_w")
    t = [0]
    hw._now = lambda: t[0]
    hw._t = 0
    assert hw.energy_wh() == 0
    IOS["GP14"].value = False  # plugged
    hw.set_relay(True)
    assert hw.power_w() == hw.NOMINAL_POWER_W
    t[0] += 3600 * 1000  # one hour
    assert hw.energy_wh() == hw.NOMINAL_POWER_W


def test_feather_neopixel(hardware):
    hw = boards.load("feather_esp32s3")
    assert IOS["NEOPIXEL_POWER"].value is True
    assert IOS["BUTTON"].pull == "up" and IOS["D5"].output and IOS["pwm"].pin.name == "D10"
    colours = {"Available": (0, 255, 0), "Charging": (0, 0, 255), "SuspendedEV": (0, 255, 255),
               "SuspendedEVSE": (0, 255, 255), "Finishing": (255, 255, 255), "Faulted": (255, 0, 0),
               "Unavailable": (0, 0, 0)}
    for status, rgb in colours.items():
        hw.set_status(status)
        assert IOS["pixel"].colour == rgb, status
    r, g, b = __import__("boards.feather_esp32s3").feather_esp32s3.COLOURS["Preparing"]
    assert r > 0 and g > 0 and b == 0  # yellow


def test_wifi(hardware, monkeypatch, capsys):
    hw = boards.load("feather_esp32s3")
    with pytest.raises(settings.SettingsError, match="CIRCUITPY_WIFI_SSID"):
        hw.connect_network()
    monkeypatch.setenv("CIRCUITPY_WIFI_SSID", "Home")
    monkeypatch.setenv("CIRCUITPY_WIFI_PASSWORD", "secret")
    hw.connect_network()
    assert hardware.wifi.radio.joined == ("Home", "secret")
    assert "192.168.1.50" in capsys.readouterr().out


def test_missing_pin_is_explained(hardware, monkeypatch):
    from boards import pico_w
    monkeypatch.setattr(pico_w.Board, "RELAY_PIN", "GP99")
    with pytest.raises(ValueError, match="board.GP99 .*boards/pico_w.py"):
        boards.load("pico_w")


# ---------- the same code on real MicroPython (wasm) ----------

def test_boards_and_settings_on_micropython():
    from tests.support.micropython import run_micropython
    r = run_micropython([r'''
from ocpp_cp import settings
d = settings.parse('A = "say \\"hi\\"" # c\r\n\r\nN = -1_000\nB = nope\n[t]\nC = 1\n')
assert d["A"] == 'say "hi"' and d["N"] == "-1000" and "C" not in d, d
assert isinstance(d["B"], settings.SettingsError)
try:
    settings.require("OCPP_URL", "ws://x")
    raise AssertionError("no error")
except ValueError as e:
    assert "OCPP_URL is missing" in str(e)
import boards, boards.pico_w, boards.feather_esp32s3
assert boards.select() == "desktop"
assert boards.available() == ["desktop", "feather_esp32s3", "pico_w"], boards.available()
assert boards.pilot_duty(6) == 6553
try:
    boards.load("pico_w")
    raise AssertionError("no error")
except RuntimeError as e:
    assert "CircuitPython" in str(e)
b = boards.Base()
b.set_relay(True)
assert b.power_w() == 3680
print("@@ok")
'''], extra_stage={os.path.join(ROOT, "boards"): "/lib/boards"})
    assert r.returncode == 0 and "@@ok" in r.stdout, r.stdout + r.stderr
