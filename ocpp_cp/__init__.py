"""ocpp_cp: an OCPP-J 1.6 charge point for CircuitPython boards and desktop Python.

The beginner API (ArduinoOcpp's names) is importable from here; the object API is
ocpp_cp.engine.chargepoint.ChargePoint.
"""
from .facade import *  # noqa: F401,F403

__version__ = "0.1.0"
