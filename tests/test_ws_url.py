import pytest

from ocpp_cp.transport.url import parse_url


@pytest.mark.parametrize("url, expected", [
    ("ws://192.168.1.10:9000/ocpp/charger-01", (False, "192.168.1.10", 9000, "/ocpp/charger-01")),
    ("ws://example.com/ocpp/cp1", (False, "example.com", 80, "/ocpp/cp1")),
    ("wss://example.com/ocpp/cp1", (True, "example.com", 443, "/ocpp/cp1")),
    ("WSS://example.com:8443/x", (True, "example.com", 8443, "/x")),
    ("ws://host", (False, "host", 80, "/")),
    ("ws://host:1234", (False, "host", 1234, "/")),
    ("ws://host/a/b?token=1&x=2", (False, "host", 80, "/a/b?token=1&x=2")),
    ("ws://host?x=1", (False, "host", 80, "/?x=1")),
    ("ws://host/path#frag", (False, "host", 80, "/path")),
    ("ws://[::1]:9000/ocpp/cp", (False, "::1", 9000, "/ocpp/cp")),
    ("wss://[fe80::1]/cp", (True, "fe80::1", 443, "/cp")),
    ("  ws://host:65535/cp  ", (False, "host", 65535, "/cp")),
])
def test_good_urls(url, expected):
    assert parse_url(url) == expected


@pytest.mark.parametrize("url, words", [
    ("http://host/ocpp", "scheme"),
    ("ftp://host/ocpp", "scheme"),
    ("host:9000/ocpp", "ws://"),
    ("ws:///ocpp", "missing host"),
    ("ws://:9000/ocpp", "missing host"),
    ("ws://host:abc/ocpp", "port"),
    ("ws://host:/ocpp", "port"),
    ("ws://host:0/ocpp", "port"),
    ("ws://host:70000/ocpp", "port"),
    ("ws://host:-1/ocpp", "port"),
    ("ws://a:b:9000/ocpp", "host"),
    ("ws://[::1/ocpp", "IPv6"),
    ("ws://[::1]x/ocpp", "]"),
    ("ws://user:pw@host/ocpp", "basic_auth"),
    ("ws://bad host/ocpp", "host"),
])
def test_bad_urls(url, words):
    with pytest.raises(ValueError) as info:
        parse_url(url)
    msg = str(info.value)
    assert words in msg
    assert repr(url) in msg  # names the URL
    assert "ws://192.168.1.10:9000/ocpp/charger-01" in msg  # shows an example


def test_not_a_string():
    with pytest.raises(ValueError):
        parse_url(None)
