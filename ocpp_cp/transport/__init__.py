"""WebSocket transport: URL parsing, RFC 6455 framing (sans-IO), socket driver."""
