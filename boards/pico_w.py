"""Raspberry Pi Pico W (and Pico 2 W) profile. Wiring: boards/README.md. Edit the pins here."""

from boards import DeviceBoard

# Status shown by the onboard LED as (period ms, on ms): one LED cannot show colours
BLINK = {
    "Available": (1000, 1000),  # steady on
    "Preparing": (1000, 500),  # slow blink
    "Charging": (250, 125),  # fast blink
    "SuspendedEV": (2000, 100),  # short flash
    "SuspendedEVSE": (2000, 100),
    "Finishing": (1000, 250),
    "Reserved": (2000, 1000),
    "Faulted": (100, 50),  # flicker
}  # anything else (Unavailable): off


class Board(DeviceBoard):
    name = "pico_w"
    RELAY_PIN = "GP15"
    PLUG_PIN = "GP14"
    BUTTON_PIN = "GP13"
    PILOT_PIN = "GP16"
    LED_PIN = "LED"  # on the Wi-Fi chip: writes are slow, so only on change

    def __init__(self):
        DeviceBoard.__init__(self)
        self._led = None
        self._lit = None
        pin = self._pin(self.LED_PIN)
        if pin:
            import digitalio
            self._led = digitalio.DigitalInOut(pin)
            self._led.switch_to_output(value=False)

    def set_status(self, text):
        DeviceBoard.set_status(self, text)
        if self._led is None:
            return
        period, on = BLINK.get(text, (1, 0))
        lit = self._now() % period < on
        if lit != self._lit:
            self._lit = lit
            self._led.value = lit
