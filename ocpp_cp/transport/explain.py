"""Plain-language texts for set-up mistakes: a bad URL, a refused WebSocket upgrade.

Imported only when one happens, so a charger that is set up right never holds
these texts in RAM (on a device every string of an imported module stays on
the heap). Failures that also happen in normal operation (connection lost,
server closed, ...) keep their texts in driver.py.
"""


def bad_url(url, problem, part):
    """ValueError for parse_url: problem is a key below, part the offending piece."""
    why = {
        "type": "must be a string",
        "no scheme": "missing ws:// or wss://",
        "scheme": "scheme must be ws or wss, not %r",
        "userinfo": "user:password@ is not supported; pass basic_auth instead",
        "unclosed": "unclosed [ in IPv6 address",
        "after ]": "unexpected text after ]",
        "no host": "missing host",
        "host": "invalid host %r",
        "port": "port must be a number from 1 to 65535, not %r",
    }[problem]
    if "%" in why:
        why %= (part,)
    return ValueError("bad Central System URL %r: %s "
                      "(example: ws://192.168.1.10:9000/ocpp/charger-01)" % (url, why))


def refused(problem, status, headers, subprotocol):
    """Why WebSocketClient refuses the server's answer to the upgrade request.

    problem: a key below; status: the answer's first line, split in 3;
    headers: {lowercase name: value}, with "sec-websocket-" cut from the names."""
    if problem == "status":
        code = int(status[1])
        if code in (401, 403):
            hint = "check OCPP_AUTH_KEY and the charge point id"
        elif code == 404:
            hint = "check the URL path (it usually ends with the charge point id)"
        elif 300 <= code < 400 and "location" in headers:
            hint = "redirects are not followed; use " + headers["location"]
        else:
            hint = "the server refused the WebSocket upgrade"
            if code == 400 and subprotocol:
                hint += " (does it accept subprotocol %s?)" % subprotocol
        return "HTTP %s: %s" % (" ".join(status[1:]), hint)
    if problem == "protocol":
        got = headers.get("protocol")
        return "the server did not accept subprotocol %s (it answered %s)" % (
            subprotocol, repr(got) if got else "none")
    if problem == "not http":
        return "the server's answer is not HTTP: " + repr(" ".join(status)[:60])
    return {
        "too long": "the server's answer header is too long (not a WebSocket server?)",
        "upgrade": "HTTP 101 without Upgrade: websocket",
        "connection": "HTTP 101 without Connection: Upgrade",
        "extensions": "the server enabled an extension we did not offer",
        "accept": "wrong Sec-WebSocket-Accept: not a WebSocket server, "
                  "or a proxy altered the answer",
    }[problem]
