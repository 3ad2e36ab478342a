"""ws:// and wss:// URL parsing (pure, no sockets)."""

_EXAMPLE = "ws://192.168.1.10:9000/ocpp/charger-01"


def _bad(url, why):
    return ValueError(
        "bad Central System URL " + repr(url) + ": " + why + " (example: " + _EXAMPLE + ")"
    )


def parse_url(url):
    """Return (secure, host, port, path) for a ws:// or wss:// URL.

    The query string stays in path; an IPv6 literal is given as [::1] and
    returned without brackets.
    """
    if not isinstance(url, str):
        raise _bad(url, "must be a string")
    u = url.strip()
    i = u.find("://")
    if i < 0:
        raise _bad(url, "missing ws:// or wss://")
    scheme = u[:i].lower()
    if scheme == "ws":
        secure, port = False, 80
    elif scheme == "wss":
        secure, port = True, 443
    else:
        raise _bad(url, "scheme must be ws or wss, not " + repr(scheme))
    rest = u[i + 3:]
    # The authority ends at the first "/", "?" or "#"; a fragment is never sent.
    end = len(rest)
    for ch in "/?#":
        j = rest.find(ch)
        if 0 <= j < end:
            end = j
    netloc = rest[:end]
    path = rest[end:]
    j = path.find("#")
    if j >= 0:
        path = path[:j]
    if not path or path[0] != "/":
        path = "/" + path  # "ws://h?x=1" -> "/?x=1"
    if "@" in netloc:
        raise _bad(url, "user:password@ is not supported; pass basic_auth instead")
    if netloc.startswith("["):
        j = netloc.find("]")
        if j < 0:
            raise _bad(url, "unclosed [ in IPv6 address")
        host = netloc[1:j]
        tail = netloc[j + 1:]
        if tail and not tail.startswith(":"):
            raise _bad(url, "unexpected text after ]")
        port_s = tail[1:] if tail else None
    else:
        j = netloc.rfind(":")
        if j >= 0:
            host, port_s = netloc[:j], netloc[j + 1:]
        else:
            host, port_s = netloc, None
    if not host:
        raise _bad(url, "missing host")
    if " " in host or (":" in host and not netloc.startswith("[")):
        raise _bad(url, "invalid host " + repr(host))
    if port_s is not None:
        if not port_s.isdigit():
            raise _bad(url, "port must be a number, not " + repr(port_s))
        port = int(port_s)
        if not 0 < port < 65536:
            raise _bad(url, "port must be 1..65535")
    return secure, host, port, path
