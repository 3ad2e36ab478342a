"""The beginner API (ArduinoOcpp's names) under its old module name: it lives in
ocpp_cp/__init__.py, so that `from ocpp_cp import *` finds it without a second copy of every
name on the board. `from ocpp_cp import facade` (tests, older sketches) gets the same functions.
"""
from . import *  # noqa: F401,F403
