"""DataTransfer both ways: vendor-specific messages.

From the Central System: cp.data_transfer_handlers[vendorId] = fn(messageId, data) answers
(setOnDataTransfer). fn returns a status ("Accepted", "Rejected", "UnknownMessageId"), or
(status, data), or None for Accepted. No handler for the vendorId: UnknownVendorId.
To the Central System: send() (facade dataTransfer). data that is not a string goes as JSON text.
"""
SCHEMA = {"vendorId": "s255", "messageId?": "s50", "data?": "s"}
_STATUS = ("Accepted", "Rejected", "UnknownMessageId", "UnknownVendorId")


def _text(data):
    if isinstance(data, str):
        return data
    import json
    return json.dumps(data, separators=(",", ":"))


def handle(cp, payload):
    fn = cp.data_transfer_handlers.get(payload["vendorId"])
    if fn is None:
        return {"status": "UnknownVendorId"}
    answer = fn(payload.get("messageId"), payload.get("data"))
    data = None
    if isinstance(answer, tuple):
        answer, data = answer
    status = "Accepted" if answer is None else answer
    if status not in _STATUS:  # the sketch's mistake: answered InternalError
        raise ValueError("DataTransfer handler returned status %r" % (status,))
    result = {"status": status}
    if data is not None:
        result["data"] = _text(data)
    return result


def send(cp, vendor_id, message_id=None, data=None, listeners=None):
    if not isinstance(vendor_id, str) or not 0 < len(vendor_id) <= 255 or \
            not (message_id is None or isinstance(message_id, str) and len(message_id) <= 50):
        raise ValueError("DataTransfer: vendorId is a string of 1-255 characters, messageId at most 50")
    payload = {"vendorId": vendor_id}
    if message_id is not None:
        payload["messageId"] = message_id
    if data is not None:
        payload["data"] = _text(data)
    return cp.rpc.request("DataTransfer", payload, listeners)
