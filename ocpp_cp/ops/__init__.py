"""One module per OCPP action, named after it in snake_case (docs/architecture.md).

A module may define handle(cp, payload) for calls from the Central System, send(cp, ...)
for calls we make, conf(cp, request, payload) for their answers and failed(cp, request, why).
They are imported on first use, so an operation a charger never sees costs no RAM; on a
microcontroller the ones without RESIDENT = True are dropped again after use (engine/rpc.py).
"""
