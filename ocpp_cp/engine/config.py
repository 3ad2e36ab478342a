"""Configuration keys (OCPP 1.6 section 9.1, Core profile), read and changed by
GetConfiguration/ChangeConfiguration, kept across restarts in the store record "config".

Kinds: 'int' (0 .. 2**31-1), 'bool', 'str', 'csv' (comma-separated list), 'measurands' (a csv of
measurands this charger can sample, at most <key>MaxLength of them). Every standard key takes
effect at once (nothing answers RebootRequired); keys declared with reboot=True answer it.
Of the keys the spec lets a charger choose R or RW, AuthorizeRemoteTxRequests is RW here.
TransactionMessageAttempts (1..10) and TransactionMessageRetryInterval (<= 3600 s) are capped
so that a retry delay stays within the range of the ms ticks.
Keys this library adds beyond OCPP start with "OcppCp"; give the sketch's own keys a prefix
of your own. Only values changed through change() are stored, as their text, and only when
the value really changed (flash wears out).
"""

_TRUE = ("true", "1")
_FALSE = ("false", "0")
_RECORD = "config"


class ConfigError(ValueError):
    pass


def _to_text(kind, value):
    if kind == "bool":
        return "true" if value else "false"
    return str(value)


def _positive(value):
    return None if value > 0 else "must be > 0"


def _at_most_hour(value):  # retry delays are added to ms ticks, which reach only ~3 days
    return None if value <= 3600 else "must be <= 3600"


def _at_most_ten(value):
    return None if 0 < value <= 10 else "must be 1..10"


class Configuration:
    def __init__(self, connectors=1, store=None, log=None):
        self.keys = {}        # name -> [value, kind, readonly, reboot, check]
        self.listeners = []   # fn(key_name, value) after a change of value
        self.available = None  # fn() -> measurands the charger has samplers for (set by ChargePoint)
        self.store = store
        self.log = log
        self.saved = self._load()  # name -> text of the values changed through change()
        d = self.declare
        d("NumberOfConnectors", connectors, readonly=True)
        d("AllowOfflineTxForUnknownId", False)
        d("AuthorizationCacheEnabled", True)
        d("AuthorizeRemoteTxRequests", False)
        d("ClockAlignedDataInterval", 0)
        d("ConnectionTimeOut", 60, check=_positive)
        d("ConnectorPhaseRotation", "0.Unknown", kind="csv", check=self._rotation)
        d("GetConfigurationMaxKeys", 64, readonly=True)
        d("HeartbeatInterval", 86400)
        d("LocalAuthorizeOffline", True)
        d("LocalPreAuthorize", False)
        for name, default in (("MeterValuesAlignedData", "Energy.Active.Import.Register"),
                              ("MeterValuesSampledData", "Energy.Active.Import.Register,Power.Active.Import"),
                              ("StopTxnAlignedData", ""),
                              ("StopTxnSampledData", "")):
            d(name + "MaxLength", 8, readonly=True)
            d(name, default, kind="measurands")
        d("MeterValueSampleInterval", 60)
        d("MinimumStatusDuration", 0)
        d("ResetRetries", 1)
        d("StopTransactionOnEVSideDisconnect", True)
        d("StopTransactionOnInvalidId", True)
        d("SupportedFeatureProfiles", "Core", kind="csv", readonly=True)
        d("TransactionMessageAttempts", 3, check=_at_most_ten)
        d("TransactionMessageRetryInterval", 60, check=_at_most_hour)
        d("UnlockConnectorOnEVSideDisconnect", True)
        d("WebSocketPingInterval", 60)
        # the transaction journal (engine/journal.py, docs/offline.md)
        d("OcppCpJournalInterval", 300)  # s: meter samples reach the store at most this often
        d("OcppCpMessageTimeout", 30, check=lambda v: None if 0 < v <= 3600 else "must be 1..3600")  # s: answer wait
        d("OcppCpMeterValuesMax", 16, check=lambda v: None if v >= 3 else "must be >= 3")  # per transaction
        d("OcppCpTxDataMax", 8, check=lambda v: None if v >= 3 else "must be >= 3")  # transactionData samples
        d("OcppCpTxJournalFull", "Refuse",  # when the journal is full: or "ChargeWithoutJournal"
          check=lambda v: None if v in ("Refuse", "ChargeWithoutJournal") else "Refuse or ChargeWithoutJournal")
        d("OcppCpTxPerConnector", 3, check=_positive)  # unfinished transactions journaled per connector

    def declare(self, name, default, kind=None, readonly=False, reboot=False, check=None):
        """Add a key (the sketch may add its own). kind is guessed from the default.
        A value stored by an earlier change() of this key replaces the default."""
        if kind is None:
            kind = "bool" if isinstance(default, bool) else "int" if isinstance(default, int) else "str"
        key = self.keys[name] = [default, kind, readonly, reboot, check]
        text = self.saved.get(name)
        if text is not None and not readonly:
            try:
                key[0] = self._parse(name, key, text)
            except ConfigError as e:
                self._log("stored %s=%r ignored: %s" % (name, text, e))

    def get(self, name):
        return self.keys[name][0]

    def set(self, name, value):
        """Set from code (the sketch or the engine): no checks, not stored."""
        self.keys[name][0] = value

    def change(self, name, text, internal=False):
        """ChangeConfiguration: returns the OCPP status string. internal=True (the sketch):
        read-only keys too, but those are never stored (their value is what the code says).
        An accepted new value is stored and the listeners are told."""
        key = self.keys.get(name)
        if key is None:
            return "NotSupported"
        if key[2] and not internal:
            return "Rejected"
        try:
            value = self._parse(name, key, text)
        except ConfigError:
            return "Rejected"
        old = key[0]
        key[0] = value
        new = _to_text(key[1], value)
        if not key[2] and self.saved.get(name, _to_text(key[1], old)) != new:
            self.saved[name] = new
            if self.store is not None:
                import json
                self.store.save(_RECORD, json.dumps(self.saved).encode())
        if value == old and type(value) is type(old):
            return "Accepted"  # nothing changed: nothing to tell, nothing to reboot for
        for fn in self.listeners:
            fn(name, value)
        return "RebootRequired" if key[3] else "Accepted"

    def describe(self, names=None):
        """GetConfiguration: (configurationKey list, unknownKey list)."""
        known, unknown = [], []
        for name in (names if names is not None else self.keys):
            key = self.keys.get(name)
            if key is None:
                unknown.append(name)
            else:
                known.append({"key": name, "readonly": key[2], "value": _to_text(key[1], key[0])})
        return known, unknown

    # ---- internals ----
    def _parse(self, name, key, text):
        """The value for the text a Central System sends; ConfigError when it does not fit."""
        if not isinstance(text, str):
            raise ConfigError("not a string")
        kind = key[1]
        if kind == "int":
            if not text.isdigit() or int(text) > 0x7FFFFFFF:
                raise ConfigError("not an integer 0..2147483647: %r" % (text,))
            value = int(text)
        elif kind == "bool":
            low = text.lower()
            if low not in _TRUE and low not in _FALSE:
                raise ConfigError("not true/false: %r" % (text,))
            value = low in _TRUE
        elif kind == "measurands":
            value = self._measurands(name, text)
        else:
            value = text
        error = key[4] and key[4](value)
        if error:
            raise ConfigError(error)
        return value

    def _measurands(self, name, text):
        from .measurands import MEASURANDS
        items = [m.strip() for m in text.split(",") if m.strip()]
        can = self.available() if self.available is not None else ()
        known = MEASURANDS.split()
        for m in items:
            # a charger with no samplers yet accepts any measurand: its meter is unknown
            if m not in known or (can and m not in can):
                raise ConfigError("cannot sample %r" % (m,))
        limit = self.keys.get(name + "MaxLength")
        if limit is not None and len(items) > limit[0]:
            raise ConfigError("more than %sMaxLength measurands" % name)
        return ",".join(items)

    def _rotation(self, value):
        """ConnectorPhaseRotation: '0.RST, 1.RST, 2.RTS' (connectorId.rotation per connector)."""
        for item in value.split(","):
            cid, _, rot = item.strip().partition(".")
            if not cid.isdigit() or int(cid) > self.get("NumberOfConnectors") or \
                    rot not in "NotApplicable Unknown RST RTS SRT STR TRS TSR".split():
                return "not connectorId.rotation: %r" % (item,)
        return None

    def _load(self):
        data = self.store.load(_RECORD) if self.store is not None else None
        if data:
            import json
            try:
                saved = json.loads(bytes(data).decode())
                if isinstance(saved, dict) and all(isinstance(v, str) for v in saved.values()):
                    return saved
            except (ValueError, TypeError):
                pass
            self._log("stored configuration is corrupt: ignored, defaults used")
        return {}

    def _log(self, msg):
        if self.log is not None:
            self.log(msg)
