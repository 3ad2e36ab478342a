"""ws:// and wss:// URL parsing (pure, no sockets)."""


def parse_url(url):
    """Return (secure, host, port, path) for a ws:// or wss:// URL.

    The query string stays in path; an IPv6 literal is given as [::1] and
    returned without brackets. A bad URL raises ValueError saying what is wrong.
    """
    u = url.strip() if isinstance(url, str) else ""
    scheme, sep, rest = u.partition("://")
    scheme = scheme.lower()
    # The authority ends at the first "/", "?" or "#"; a fragment is never sent.
    end = len(rest)
    for ch in "/?#":
        j = rest.find(ch)
        if 0 <= j < end:
            end = j
    netloc = rest[:end]
    path = rest[end:].split("#")[0]
    if path[:1] != "/":
        path = "/" + path  # "ws://h?x=1" -> "/?x=1"
    v6 = netloc[:1] == "["  # [IPv6 literal]:port
    if v6:
        host, closed, tail = netloc[1:].partition("]")
        port = tail[1:] if tail else None
    else:
        host, colon, port = netloc.rpartition(":")
        if not colon:
            host, port = port, None
    part = None
    if not isinstance(url, str):
        problem = "type"
    elif not sep:
        problem = "no scheme"
    elif scheme != "ws" and scheme != "wss":
        problem, part = "scheme", scheme
    elif "@" in netloc:
        problem = "userinfo"
    elif v6 and not closed:
        problem = "unclosed"
    elif v6 and tail and tail[0] != ":":
        problem = "after ]"
    elif not host:
        problem = "no host"
    elif " " in host or (":" in host and not v6):
        problem, part = "host", host
    elif port is not None and not (port.isdigit() and 0 < int(port) < 65536):
        problem, part = "port", port
    else:
        secure = scheme == "wss"
        return secure, host, int(port) if port else (443 if secure else 80), path
    from .explain import bad_url  # the texts are loaded only for a bad URL

    raise bad_url(url, problem, part)
