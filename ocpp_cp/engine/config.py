"""Configuration keys (OCPP 1.6 section 9.1, Core profile): names and values, kept across
restarts in the store record "config".

What a value may be, and how a change is checked, applied and stored, is ChangeConfiguration's
business (ops/change_configuration.py): the sketch's changes and the stored values at start-up go
through it too, and on a microcontroller that code is in RAM only while it works (rpc.py).
GetConfiguration (ops/get_configuration.py) lists the keys. Read-only are the ...MaxLength keys,
NumberOfConnectors, GetConfigurationMaxKeys, SupportedFeatureProfiles and the sketch's keys
declared so. Keys this library adds beyond OCPP start with "OcppCp"; give the sketch's own keys
a prefix of your own. Only values changed through change() are stored, as their text, and only
when the value really changed (flash wears out).
"""
from .metering import ENERGY, POWER


class Configuration:
    def __init__(self, connectors=1, store=None, log=None):
        self.listeners = []   # fn(key_name, value) after a change of value
        self.available = None  # fn() -> measurands the charger has samplers for (set by ChargePoint)
        self.store = store
        self.log = log
        self.declared = {}    # the sketch's keys: name -> (readonly, reboot, check, kind)
        self.saved = {}       # name -> text of the values changed through change()
        data = store.load("config") if store is not None else None
        if data:
            import json
            try:
                saved = json.loads(bytes(data).decode())
            except (ValueError, TypeError):
                saved = None
            if isinstance(saved, dict) and all(isinstance(v, str) for v in saved.values()):
                self.saved = saved
            elif log is not None:
                log("stored configuration is corrupt: ignored, defaults used")
        # keyword arguments, not a dict display: the names become interned strings (qstrs) on
        # MicroPython, so the modules that read a key by name share them instead of each
        # holding its own copy of every long name
        self.values = values = dict(
            NumberOfConnectors=connectors,
            AllowOfflineTxForUnknownId=False,
            AuthorizationCacheEnabled=True,
            AuthorizeRemoteTxRequests=False,
            ClockAlignedDataInterval=0,
            ConnectionTimeOut=60,
            ConnectorPhaseRotation="0.Unknown",
            GetConfigurationMaxKeys=64,
            HeartbeatInterval=86400,
            LocalAuthorizeOffline=True,
            LocalPreAuthorize=False,
            MeterValuesAlignedData=ENERGY,
            MeterValuesAlignedDataMaxLength=8,
            MeterValuesSampledData=ENERGY + "," + POWER,
            MeterValuesSampledDataMaxLength=8,
            MeterValueSampleInterval=60,
            MinimumStatusDuration=0,
            ResetRetries=1,
            StopTransactionOnEVSideDisconnect=True,
            StopTransactionOnInvalidId=True,
            StopTxnAlignedData="",
            StopTxnAlignedDataMaxLength=8,
            StopTxnSampledData="",
            StopTxnSampledDataMaxLength=8,
            SupportedFeatureProfiles="Core",
            TransactionMessageAttempts=3,
            TransactionMessageRetryInterval=60,
            UnlockConnectorOnEVSideDisconnect=True,
            WebSocketPingInterval=60,
            # the transaction journal (engine/journal.py, docs/offline.md)
            OcppCpJournalInterval=300,   # s: meter samples reach the store at most this often
            OcppCpMessageTimeout=30,     # s: how long a transaction message waits for its answer
            OcppCpMeterValuesMax=16,     # undelivered MeterValues per transaction
            OcppCpTxDataMax=8,           # transactionData samples per transaction
            OcppCpTxJournalFull="Refuse",  # when the journal is full: or "ChargeWithoutJournal"
            OcppCpTxPerConnector=3,      # unfinished transactions journaled per connector
        )
        self._apply([name for name in self.saved if name in values])

    def declare(self, name, default, kind=None, readonly=False, reboot=False, check=None):
        """Add a key (the sketch may add its own); what it takes follows the default's type,
        or kind="measurands" for a list of measurands. check(value) -> None or why not.
        A value stored by an earlier change() of this key replaces the default."""
        self.values[name] = default
        self.declared[name] = (readonly, reboot, check, kind)
        self._apply((name,))

    def get(self, name):
        return self.values[name]

    def set(self, name, value):
        """Set from code (the sketch or the engine): no checks, not stored."""
        if name not in self.values:
            raise KeyError(name)
        self.values[name] = value

    def change(self, name, text, internal=False):
        """ChangeConfiguration: returns the OCPP status string. internal=True (the sketch):
        read-only keys too, but those are never stored (their value is what the code says).
        An accepted new value is stored and the listeners are told."""
        return self._apply((), name, text, internal)

    def readonly(self, name):
        declared = self.declared.get(name)
        if declared:
            return declared[0]
        return name[-9:] == "MaxLength" or name in ("NumberOfConnectors", "GetConfigurationMaxKeys",
                                                     "SupportedFeatureProfiles")

    def _apply(self, names, name=None, text=None, internal=False):
        """Take the stored values of the keys names (where they still fit) and, with name, change
        that key to text: both through ops/change_configuration.py, whose code a microcontroller
        drops again right after (rpc.py)."""
        names = [key for key in names if key in self.saved and not self.readonly(key)]
        if not names and name is None:
            return None
        from ..ops import change_configuration
        for key in names:
            change_configuration.restore(self, key, self.saved[key])
        status = None if name is None else change_configuration.change(self, name, text, internal)
        from .rpc import UNLOAD, unload
        if UNLOAD:  # ChangeConfiguration's code is needed no more (rpc.py)
            unload("ocpp_cp.ops.change_configuration")
            unload("ocpp_cp.engine.measurands")
        return status
