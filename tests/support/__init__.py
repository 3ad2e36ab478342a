"""Test support: schema validation and the foreign (ocpp-rpc) Central System."""
