# examples/vendor_messages.py -- vendor messages and a configuration key of your own.
#
# The charger reports its temperature to the Central System with DataTransfer every
# "MyTempReportInterval" seconds (a configuration key the Central System can read and change),
# and answers the Central System's DataTransfer "com.example/Blink" by blinking its LED.
# Runs on a board (settings.toml) and on a computer:
#     python3 examples/vendor_messages.py        (against the dev Central System on 127.0.0.1:9000)
import sys

from adafruit_ticks import ticks_diff, ticks_ms  # integer ms: boards have 30-bit floats

from ocpp_cp import (OCPP_initialize, OCPP_loop, OCPP_deinitialize, bootNotification, dataTransfer,
                     declareConfiguration, getConfiguration, setOnDataTransfer)
from ocpp_cp import settings

VENDOR = "com.example"

OCPP_initialize(settings.get("OCPP_URL", "ws://127.0.0.1:9000/ocpp/vendor-demo"),
                auth_key=settings.get("OCPP_AUTH_KEY"))
declareConfiguration("MyTempReportInterval", 10)  # seconds; the Central System may change it


def read_temperature():
    if sys.implementation.name == "circuitpython":  # a board: the chip's own sensor
        import microcontroller
        return microcontroller.cpu.temperature
    return 21.5  # a computer (where Blinka's microcontroller module has no sensor): a fixed value


def blink(message_id, data):
    print("Central System asked to blink:", data)
    return "Accepted"


setOnDataTransfer(VENDOR, blink)  # other vendors are answered UnknownVendorId
bootNotification("Vendor demo", "Example")

stop_after = settings.get_int("EXAMPLE_SECONDS", 0) * 1000  # 0 = run forever (a board)
started = last_report = ticks_ms()
while not stop_after or ticks_diff(ticks_ms(), started) < stop_after:
    OCPP_loop()
    if ticks_diff(ticks_ms(), last_report) >= getConfiguration("MyTempReportInterval") * 1000:
        last_report = ticks_ms()
        dataTransfer(VENDOR, "Temperature", {"celsius": read_temperature()},
                     onConf=lambda answer: print("temperature report:", answer["status"]))
OCPP_deinitialize()
