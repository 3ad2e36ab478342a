"""The engine: OCPP-J RPC and the charger model. No sockets here (see docs/architecture.md)."""
