"""Configuration keys, as read and changed by GetConfiguration/ChangeConfiguration.

Each key has a kind: 'int' (>= 0), 'bool', 'str', or 'csv' (comma-separated list, e.g. measurands).
"""

_TRUE = ("true", "1")
_FALSE = ("false", "0")


class ConfigError(ValueError):
    pass


def _to_value(kind, text):
    """Parse the string form a Central System sends; ConfigError when it does not fit."""
    if kind == "int":
        try:
            value = int(text)
        except (ValueError, TypeError):
            raise ConfigError("not an integer: %r" % (text,))
        if value < 0:
            raise ConfigError("must be >= 0: %r" % (text,))
        return value
    if kind == "bool":
        low = str(text).lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ConfigError("not true/false: %r" % (text,))
    return str(text)


def _to_text(kind, value):
    if kind == "bool":
        return "true" if value else "false"
    return str(value)


class Key:
    def __init__(self, name, kind, value, readonly=False, reboot=False, check=None):
        self.name = name
        self.kind = kind
        self.value = value
        self.readonly = readonly
        self.reboot = reboot  # a change takes effect only after a reboot
        self.check = check    # fn(value) -> error message or None


def _positive(value):
    return None if value > 0 else "must be > 0"


class Configuration:
    def __init__(self, connectors=1):
        self.keys = {}
        self.listeners = []  # fn(key_name, value) after an accepted change
        d = self.declare
        d("AllowOfflineTxForUnknownId", False)
        d("AuthorizeRemoteTxRequests", False)
        d("ConnectionTimeOut", 60, check=_positive)
        d("GetConfigurationMaxKeys", 64, readonly=True)
        d("HeartbeatInterval", 86400)
        d("LocalAuthorizeOffline", True)
        d("LocalPreAuthorize", False)
        d("MeterValueSampleInterval", 60)
        d("MeterValuesSampledData", "Energy.Active.Import.Register,Power.Active.Import", kind="csv")
        d("NumberOfConnectors", connectors, readonly=True)
        d("StopTransactionOnEVSideDisconnect", True)
        d("StopTransactionOnInvalidId", True)
        d("SupportedFeatureProfiles", "Core", kind="csv", readonly=True)
        d("TransactionMessageAttempts", 3, check=_positive)
        d("TransactionMessageRetryInterval", 60)

    def declare(self, name, default, kind=None, readonly=False, reboot=False, check=None):
        """Add a key (the sketch may add its own). kind is guessed from the default."""
        if kind is None:
            kind = "bool" if isinstance(default, bool) else "int" if isinstance(default, int) else "str"
        self.keys[name] = Key(name, kind, default, readonly, reboot, check)

    def get(self, name):
        return self.keys[name].value

    def set(self, name, value):
        """Set from code (the sketch or the engine), bypassing the read-only flag."""
        self.keys[name].value = value

    def change(self, name, text):
        """ChangeConfiguration: returns the OCPP status string."""
        key = self.keys.get(name)
        if key is None:
            return "NotSupported"
        if key.readonly:
            return "Rejected"
        try:
            value = _to_value(key.kind, text)
        except ConfigError:
            return "Rejected"
        if key.check and key.check(value):
            return "Rejected"
        key.value = value
        for fn in self.listeners:
            fn(name, value)
        return "RebootRequired" if key.reboot else "Accepted"

    def describe(self, names=None):
        """GetConfiguration: (configurationKey list, unknownKey list)."""
        known, unknown = [], []
        for name in (names if names is not None else self.keys):
            key = self.keys.get(name)
            if key is None:
                unknown.append(name)
            else:
                known.append({"key": name, "readonly": key.readonly, "value": _to_text(key.kind, key.value)})
        return known, unknown
