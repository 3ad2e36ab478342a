"""ocpp_cp: an OCPP-J 1.6 charge point for CircuitPython boards and desktop Python.

The beginner API with ArduinoOcpp's names, on top of one ChargePoint object (the object API is
ocpp_cp.engine.chargepoint.ChargePoint):

    from ocpp_cp import *
    OCPP_initialize("ws://192.168.1.10:9000/ocpp/charger-01")
    bootNotification("My Charger", "Me")
    while True:
        OCPP_loop()

It lives here, in the package itself, so that a board holds each name once (ocpp_cp.facade is
the same API under its old name).
"""
from ocpp_cp.engine.chargepoint import ChargePoint, listeners, print_log  # (full module names: no extra strings)

__version__ = "0.1.0"

_cp = None


def _charge_point():
    if _cp is None:
        raise RuntimeError("call OCPP_initialize() first")
    return _cp


def _connector(connectorId, whole=False):
    """Connector connectorId; with whole=True, 0 is the whole charger (its meter, its faults)."""
    cp = _charge_point()
    return cp.connectors[0] if whole and connectorId == 0 else cp.connector(connectorId)


def OCPP_initialize(host, port=None, url=None, **options):
    """Connect to a Central System: OCPP_initialize(url) or OCPP_initialize(host, port, url).

    url is the full ws:// or wss:// URL ending in the charge point id. Options:
    auth_key (HTTP Basic password, security profile 1), pool, ssl_context, connectors (1),
    max_message_size, debug (log every message), log (fn(str)), connection (for tests),
    store (where transactions are journaled, see docs/offline.md: a directory path, "nvm",
    "memory" or a store object; default: storage.open_store(None), i.e. ./ocpp_store on a computer;
    with connection= given, RAM).
    """
    global _cp
    from ocpp_cp.transport.url import parse_url
    if port is None and url is None:
        url = host
    elif url is None:
        raise ValueError("OCPP_initialize(host, port, url) needs the url too, e.g. "
                         "OCPP_initialize(\"192.168.1.10\", 9000, \"ws://192.168.1.10:9000/ocpp/charger-01\")")
    secure, url_host, url_port, path = parse_url(url)
    if port is not None and (url_host.lower() != str(host).lower() or url_port != int(port)):
        raise ValueError("OCPP_initialize: host/port %s:%s do not match the url %s" % (host, port, url))
    log = options.get("log") or print_log
    connection = options.get("connection")
    if connection is None:
        from ocpp_cp.transport.driver import WebSocketConnection
        auth_key = options.get("auth_key")
        cp_id = path.rstrip("/").split("/")[-1]
        connection = WebSocketConnection(
            url, pool=options.get("pool"), ssl_context=options.get("ssl_context"),
            basic_auth=(cp_id, auth_key) if auth_key else None,
            max_message_size=options.get("max_message_size", 8192), log=log)
    if _cp is not None:
        _cp.close()
    from .storage import open_store
    store = options.get("store")
    store = open_store("memory" if store is None and options.get("connection") else store, log)
    _cp = ChargePoint(connection, connectors=options.get("connectors", 1), ticks_ms=options.get("ticks_ms"),
                      log=log, debug=options.get("debug", False), store=store)
    return _cp


def OCPP_loop():
    _charge_point().loop()


def OCPP_deinitialize():
    global _cp
    if _cp is not None:
        _cp.close()
        _cp = None


def getChargePoint():
    """The ChargePoint object under the beginner API, for the object API."""
    return _charge_point()


# ---- operations with listeners: onConf(payload); onTimeout() then onAbort(); onError(code, text, details) then onAbort() ----
def bootNotification(chargePointModel, chargePointVendor, onConf=None, onAbort=None, onTimeout=None,
                     onError=None, timeout=None):
    _charge_point().boot_notification(chargePointModel, chargePointVendor, onConf, onAbort, onTimeout,
                                      onError, timeout)


def authorize(idTag, onConf=None, onAbort=None, onTimeout=None, onError=None, timeout=None):
    _charge_point().authorize(idTag, onConf, onAbort, onTimeout, onError, timeout)


def startTransaction(idTag, onConf=None, onAbort=None, onTimeout=None, onError=None, timeout=None,
                     connectorId=1):
    """Start a transaction now for an idTag you already checked (no Authorize). False when the
    connector cannot take one (inoperative, faulted, or its journal is full)."""
    connector = _connector(connectorId)
    if connector.tx is not None:
        raise RuntimeError("connector %d already has a session" % connectorId)
    if not connector.begin_session(idTag, authorized=True):
        return False
    connector.start(listeners(onConf, onAbort, onTimeout, onError, timeout))
    return connector.tx is not None


def stopTransaction(onConf=None, onAbort=None, onTimeout=None, onError=None, timeout=None, connectorId=1):
    connector = _connector(connectorId)
    if connector.running() is None:
        raise RuntimeError("connector %d has no transaction running" % connectorId)
    connector.stop("Local", listeners=listeners(onConf, onAbort, onTimeout, onError, timeout))


def sendRequest(action, payload, onConf=None, onAbort=None, onTimeout=None, onError=None, timeout=None):
    _charge_point().send_request(action, payload, onConf, onAbort, onTimeout, onError, timeout)


# ---- sessions ----
def beginSession(idTag, connectorId=1):
    """A user presented idTag: Authorize, then StartTransaction once a car is plugged in."""
    return _connector(connectorId).begin_session(idTag)


def endSession(connectorId=1):
    return _connector(connectorId).end_session("Local")


def isInSession(connectorId=1):
    return _connector(connectorId).tx is not None


def getSessionIdTag(connectorId=1):
    tx = _connector(connectorId).tx
    return tx.id_tag if tx is not None else None


def ocppPermitsCharge(connectorId=1):
    """True while a transaction runs and is authorized: switch the relay from this."""
    return _connector(connectorId).permits_charge()


def getTransactionId(connectorId=1):
    """The Central System's transactionId, -1 when none is known."""
    tx = _connector(connectorId).running()
    return tx.transaction_id if tx is not None and tx.transaction_id is not None else -1


def getConnectorStatus(connectorId=1):
    return _connector(connectorId).status or "Available"


def isAvailable(connectorId=1):
    """True if the connector can take a new session."""
    connector = _connector(connectorId)
    return connector.tx is None and connector.status in (None, "Available", "Preparing", "Finishing")


# ---- samplers ----
def setEnergyActiveImportSampler(fn, connectorId=1):
    """fn() -> Wh (energy register) for meterStart/meterStop and MeterValues."""
    _connector(connectorId).meter.add("Energy.Active.Import.Register", fn)


def setPowerActiveImportSampler(fn, connectorId=1):
    """fn() -> W."""
    _connector(connectorId).meter.add("Power.Active.Import", fn)


def addMeterValueSampler(measurand, fn, unit=None, phase=None, location=None, connectorId=1):
    """fn() -> number for an OCPP measurand (ValueError for other names); unit defaults per
    measurand; connectorId=0 is the whole charger's meter (clock-aligned data only)."""
    _connector(connectorId, True).meter.add(measurand, fn, unit, phase, location)


def setConnectorPluggedSampler(fn, connectorId=1):
    """fn() -> bool: is a car plugged in?"""
    _connector(connectorId).plugged = fn


def setEvRequestsEnergySampler(fn, connectorId=1):
    """fn() -> bool: does the car want energy? (False -> SuspendedEV)"""
    _connector(connectorId).ev_requests_energy = fn


def setConnectorEnergizedSampler(fn, connectorId=1):
    """fn() -> bool: is the relay really closed? (False -> SuspendedEVSE)"""
    _connector(connectorId).energized = fn


# ---- listeners ----
def setOnReceiveRequest(action, fn):
    """fn(payload) when the Central System sends this action."""
    _charge_point().on_receive_request[action] = fn


def setOnSendConf(action, fn):
    """fn(payload) after we answered this action."""
    _charge_point().on_send_conf[action] = fn


def setOnRemoteStartTransactionSendConf(fn):
    setOnSendConf("RemoteStartTransaction", fn)


def setOnRemoteStopTransactionSendConf(fn):
    setOnSendConf("RemoteStopTransaction", fn)


def setOnResetSendConf(fn):
    setOnSendConf("Reset", fn)


def setOnResetExecute(fn):
    """fn(isHard): restart the device; called once the transactions are closed after a Reset."""
    _charge_point().on_reset = fn


def setOnSetChargingProfileRequest(fn):
    """fn(payload) for SetChargingProfile; without it the request is answered NotSupported."""
    setOnReceiveRequest("SetChargingProfile", fn)


# ---- configuration, status, metering ----
def declareConfiguration(key, default, readonly=False, rebootRequired=False):
    """Add a configuration key of the sketch's own (name it with a prefix of your own; 'OcppCp'
    is this library's). The kind (int, bool, str) follows the default; a value the Central
    System set earlier (ChangeConfiguration, stored) replaces the default. A key that exists
    already (a standard one, or declared before) is left as it is. Returns the value."""
    if not isinstance(key, str) or not 0 < len(key) <= 50:
        raise ValueError("a configuration key is a string of 1..50 characters")
    config = _charge_point().config
    if key not in config.values:
        config.declare(key, default, readonly=readonly, reboot=rebootRequired)
    return config.get(key)


def getConfiguration(key):
    """The value of a configuration key (int, bool or str); KeyError for an unknown key."""
    return _charge_point().config.get(key)


def setConfiguration(key, value):
    """Change a key from the sketch (read-only ones too): checked and stored as a
    ChangeConfiguration would be; ValueError if the value does not fit."""
    if isinstance(value, bool):
        value = "true" if value else "false"
    status = _charge_point().config.change(key, str(value), True)
    if status in ("Rejected", "NotSupported"):
        raise ValueError("configuration %s=%r: %s" % (key, value, status))


def addConnectorErrorCodeSampler(fn, connectorId=1):
    """fn() -> an OCPP ChargePointErrorCode (e.g. "GroundFailure") or None: while it returns a
    code the connector is Faulted and does not permit charging. connectorId=0: the whole charger."""
    _connector(connectorId, True).error_samplers.append(fn)


def isOperative(connectorId=1):
    """False while the connector is Inoperative (ChangeAvailability) or Faulted."""
    connector = _connector(connectorId)
    return connector.operative and connector.error is None and _charge_point().connectors[0].error is None


# ---- core operations (CS side) ----
def setRequestHandler(action, fn):
    """fn(payload) -> response dict answers the Central System's calls of this action (a vendor
    action, or a built-in one whose logic it replaces); None removes it."""
    handlers = _charge_point().request_handlers
    if fn is None:
        handlers.pop(action, None)
    else:
        handlers[action] = fn


def dataTransfer(vendorId, messageId=None, data=None, onConf=None, onAbort=None, onTimeout=None,
                 onError=None, timeout=None):
    """Send a DataTransfer; data that is not a string goes as JSON text. onConf gets the answer
    ({"status": ..., "data": ...})."""
    from .ops import data_transfer
    return data_transfer.send(_charge_point(), vendorId, messageId, data,
                              listeners(onConf, onAbort, onTimeout, onError, timeout))


def setOnDataTransfer(vendorId, fn):
    """fn(messageId, data) answers the Central System's DataTransfer for vendorId: return a status
    ("Accepted", "Rejected", "UnknownMessageId"), or (status, data), or None (Accepted)."""
    _charge_point().data_transfer_handlers[vendorId] = fn


def setOnUnlockConnector(fn, connectorId=1):
    """fn() -> True (unlocked) / False: the board unlocks the cable (UnlockConnector, after the
    transaction is stopped). Without it UnlockConnector is answered NotSupported."""
    _connector(connectorId).unlock = fn


def setOnResetReceiveReq(fn):
    """fn(payload) when a Reset arrived (before the answer)."""
    setOnReceiveRequest("Reset", fn)


def setOnResetNotify(fn):
    """fn(isHard) before a Reset is accepted: return False to refuse a Soft one."""
    _charge_point().on_reset_notify = fn


# ---- offline safety ----
def getConnectionState():
    """"connected", "offline" (no connection: transaction messages wait in the journal) or
    "silent" (connected, but the Central System does not answer: the connection is remade)."""
    return _charge_point().connection_state


def getUnfinishedTransactions():
    """How many transactions still have messages to deliver (0: all is with the Central System)."""
    return len(_charge_point().journal.txs)
