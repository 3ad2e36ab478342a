"""Helpers for the tests that run the charge point in the test thread, through the beginner
facade, against a Central System over a real socket on 127.0.0.1: the waiting helpers call
OCPP_loop while they wait.

The `sketch` fixture here is registered for every test in tests/conftest.py.
"""
import socket
import time

import pytest

import ocpp_cp
from ocpp_cp import (OCPP_deinitialize, OCPP_initialize, OCPP_loop, bootNotification, setConnectorPluggedSampler,
                     setEnergyActiveImportSampler, setPowerActiveImportSampler)


class Car:
    """What a board would read: plug and meter (and a fixed power, if given)."""

    def __init__(self, wh=10000, plugged=False, power=None):
        self.plugged = plugged
        self.wh = wh
        self.power = power

    def wire(self, connector_id=1):
        """Its samplers on one connector of the facade's charge point."""
        setEnergyActiveImportSampler(lambda: self.wh, connectorId=connector_id)
        if self.power is not None:
            setPowerActiveImportSampler(lambda: self.power, connectorId=connector_id)
        setConnectorPluggedSampler(lambda: self.plugged, connectorId=connector_id)


def loop_until(predicate, timeout=10, what="condition not reached"):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        OCPP_loop()
        time.sleep(0.002)


def settle(seconds=0.2):
    """Run the loop a little (to see that nothing else is sent)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        OCPP_loop()
        time.sleep(0.002)


@pytest.fixture
def sketch():
    """The log lines of the facade's charge point (pass log=sketch.append); deinitialized after."""
    logs = []
    yield logs
    OCPP_deinitialize()


def boot(cs, cp_id, logs=None, model="Integration", vendor="ocpp_cp", setup=None, config=None,
         wait_for_boot=True, timeout=10, **options):
    """OCPP_initialize against cs for cp_id (options: connectors=, store=, ...), then config keys,
    then setup() (samplers), then a BootNotification; returns once the boot is accepted (having
    seen it at the Central System, with wait_for_boot)."""
    OCPP_initialize(cs.url(cp_id), log=logs.append if logs is not None else (lambda m: None), **options)
    cp = ocpp_cp.getChargePoint()
    for key, value in (config or {}).items():
        cp.config.set(key, value)
    if setup is not None:
        setup()
    bootNotification(model, vendor)
    if wait_for_boot:
        cs.wait_for("BootNotification", cp_id=cp_id, pump=OCPP_loop)
    loop_until(lambda: cp.accepted, timeout, what="boot")
    return cp


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
