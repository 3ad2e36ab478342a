"""Adafruit Feather ESP32-S3 profile (also the TFT / Reverse TFT variants). Wiring: boards/README.md."""

from boards import DeviceBoard

COLOURS = {
    "Available": (0, 255, 0),  # green
    "Preparing": (255, 160, 0),  # yellow
    "Charging": (0, 0, 255),  # blue
    "SuspendedEV": (0, 255, 255),  # cyan
    "SuspendedEVSE": (0, 255, 255),
    "Finishing": (255, 255, 255),  # white
    "Reserved": (160, 0, 255),  # purple
    "Faulted": (255, 0, 0),  # red
}  # anything else (Unavailable): off


class Board(DeviceBoard):
    name = "feather_esp32s3"
    RELAY_PIN = "D5"
    PLUG_PIN = "D6"
    BUTTON_PIN = "BUTTON"  # the BOOT button: no wiring needed; "D9" for an external button
    PILOT_PIN = "D10"
    NEOPIXEL_PIN = "NEOPIXEL"
    BRIGHTNESS = 0.1

    def __init__(self):
        DeviceBoard.__init__(self)
        self._pixel = None
        pin = self._pin(self.NEOPIXEL_PIN)
        if pin is None:
            return
        try:
            import neopixel
        except ImportError:
            print("[board] no status colours: install the library with  circup install neopixel")
            return
        import board
        if hasattr(board, "NEOPIXEL_POWER"):  # the NeoPixel has its own power switch
            import digitalio
            try:
                self._power = digitalio.DigitalInOut(board.NEOPIXEL_POWER)
                self._power.switch_to_output(value=True)
            except ValueError:  # pin in use: CircuitPython keeps it powered
                pass
        self._pixel = neopixel.NeoPixel(pin, 1, brightness=self.BRIGHTNESS)
        self._pixel.fill((0, 0, 0))

    def _show(self, text):
        if self._pixel:
            self._pixel.fill(COLOURS.get(text, (0, 0, 0)))
