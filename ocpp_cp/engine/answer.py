"""Answering the Central System's CALLs (engine/rpc.py hands them here).

The action's ops module handles it, after the check of its payload against the op's SCHEMA
(engine/validate.py), or the sketch does (setRequestHandler). The answer is a CALLRESULT, or a
CALLERROR for a malformed call, an unknown or unsupported action, a payload the schema refuses
or a handler that fails. Imported when a call arrives; on a microcontroller dropped again
afterwards with the rare operations (rpc.unload_transient).
"""
from .rpc import CallError, call_listener, compact_json, find_operation, log_exception, unload_transient


def call(rpc, msg):
    """msg: a JSON array [2, id, ...] (the id a string)."""
    cp = rpc.cp
    msg_id = msg[1]
    if len(msg) < 3:
        send(cp, msg_id, "ProtocolError", "incomplete CALL")
    elif len(msg) != 4 or not isinstance(msg[2], str):
        send(cp, msg_id, "ProtocolError", "a CALL is [2, id, action, payload]")
    elif not isinstance(msg[3], dict):
        send(cp, msg_id, "FormationViolation", "payload must be a JSON object")
    elif cp.boot_status != "Rejected":  # OCPP 1.6 4.2.1: a rejected charge point does not answer
        handle(cp, msg_id, msg[2], msg[3])
    unload_transient(rpc)


def handle(cp, msg_id, action, payload):
    result = None
    try:
        mod = find_operation(action)
        custom = cp.request_handlers.get(action)  # the sketch answers it (setRequestHandler)
        fn = getattr(mod, "handle", None)
        if fn is None and custom is None:
            if mod is None:
                from .validate import unknown_action_code
                raise CallError(unknown_action_code(action), "unknown action " + action)
            raise CallError("NotSupported", action + " is not accepted from a Central System")
        spec = getattr(mod, "SCHEMA", None)
        if spec is not None:  # the op's compact payload schema (engine/validate.py)
            from .validate import check
            check(payload, spec)
        result = custom(payload) if custom else fn(cp, payload)
        if not isinstance(result, dict):
            bad, result = result, None
            raise TypeError("the answer must be a dict, not %r" % (bad,))
    except CallError as e:
        send(cp, msg_id, e.code, e.description, e.details)
    except Exception as e:  # noqa: BLE001 - a bad handler must not stop the charger
        log_exception(cp.log, action, e)
        send(cp, msg_id, "InternalError", "%s: %s" % (type(e).__name__, e))
    if result is not None:
        call_listener(cp.log, cp.on_receive_request.get(action), payload)  # a valid request
        send(cp, msg_id, result)
        call_listener(cp.log, cp.on_send_conf.get(action), result)
        after = None if custom else getattr(mod, "after", None)
        if after is not None:
            try:
                after(cp, payload, result)
            except Exception as e:  # noqa: BLE001
                log_exception(cp.log, action + ".after", e)


def send(cp, msg_id, result, description="", details=None):
    """A CALLRESULT with the payload result (a dict), or a CALLERROR with the error code result."""
    if isinstance(result, dict):
        msg = [3, msg_id, result]  # CALLRESULT
    else:
        msg = [4, msg_id, result, description, details or {}]  # CALLERROR
    text = compact_json(msg)
    if cp.debug:
        cp.log(">> " + text)
    cp.connection.send(text)
