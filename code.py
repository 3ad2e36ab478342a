# code.py -- an OCPP 1.6 charge point: connects to a Central System, starts a charging session
# when a card is presented, and closes the relay while the Central System allows charging.
# Runs on CircuitPython (settings in settings.toml) and on a computer (a simulated board).

import boards
from ocpp_cp import settings
from ocpp_cp import (OCPP_initialize, OCPP_loop, OCPP_deinitialize, bootNotification,
                     beginSession, endSession, isInSession, ocppPermitsCharge, getConnectorStatus,
                     setEnergyActiveImportSampler, setPowerActiveImportSampler,
                     setConnectorPluggedSampler, setOnResetExecute, setOnUnlockConnector)

hw = None  # the board: relay, plug sensor, meter, card reader, status LED


def setup():
    """Runs once: find the hardware, join the network, start OCPP."""
    global hw
    # OCPP_BOARD in settings.toml, or detected (see boards/README.md)
    hw = boards.load(settings.get("OCPP_BOARD"))
    hw.connect_network()  # Wi-Fi on a board; nothing to do on a computer

    # Where the Central System is. On a computer the default is the local dev Central System.
    url = settings.get("OCPP_URL", hw.default_url)
    if not url:
        url = settings.require("OCPP_URL", "ws://192.168.1.10:9000/ocpp/charger-01")

    OCPP_initialize(url, auth_key=settings.get("OCPP_AUTH_KEY"))

    # Tell the library how to read the hardware ...
    setEnergyActiveImportSampler(hw.energy_wh)  # meter reading in Wh
    setPowerActiveImportSampler(hw.power_w)  # power in W
    setConnectorPluggedSampler(hw.plugged)  # is a car plugged in?
    # ... and how to restart when the Central System asks for a Reset (called after the answer
    # and the StopTransaction have gone out)
    setOnResetExecute(lambda hard: hw.reset())
    setOnUnlockConnector(hw.unlock)  # the cable lock (None: the board has none, answered NotSupported)

    bootNotification("ocpp_cp " + hw.name, "ocpp_cp")  # model, vendor


def loop():
    """Runs over and over, as often as possible: never wait or sleep in here."""
    OCPP_loop()  # talk to the Central System

    hw.set_relay(ocppPermitsCharge())  # power flows only while OCPP allows it
    # With a J1772 pilot circuit, also offer a current: hw.set_pilot(16 if ocppPermitsCharge() else 0)
    hw.set_status(getConnectorStatus())  # "Available", "Preparing", "Charging", ...

    card = hw.read_card()  # a card (or the button) was presented: start or stop the session
    if card:
        if isInSession():
            endSession()
        else:
            beginSession(card)

    hw.idle()  # lets a computer rest a millisecond; nothing on a board


# CircuitPython runs this file as the main program. (The check matters only on a computer, where
# Python's debugger imports a module named "code" too: that must not start a charger.)
if __name__ == "__main__":
    setup()
    while not hw.finished:  # a real board runs forever; the desktop demo ends
        loop()
    OCPP_deinitialize()
