"""ChangeConfiguration: set one key; Accepted/Rejected/RebootRequired/NotSupported.

What a value may be follows from the value's type (int: 0 .. 2**31-1 written as digits; bool:
true/false/1/0, any case; str) and, for the standard keys, from the name: ...Data keys are lists
of measurands this charger can sample (at most <key>MaxLength of them), ConnectorPhaseRotation
is connectorId.rotation items, and some have limits (parse). Every standard key takes effect at
once (nothing answers RebootRequired); keys the sketch declares with reboot=True answer it, and
may bring their own check(value). Of the keys the spec lets a charger choose R or RW,
AuthorizeRemoteTxRequests is RW here. TransactionMessageAttempts (1..10) and
TransactionMessageRetryInterval (<= 3600 s) are capped so that a retry delay stays within the
range of the ms ticks. Configuration.change (also the sketch's setConfiguration) and the stored
values at start-up (restore) come here.
"""
SCHEMA = {"key": "s50", "value": "s500"}


class ConfigError(ValueError):
    pass


def handle(cp, payload):
    return {"status": cp.config.change(payload["key"], payload["value"])}


def change(config, name, text, internal):
    values = config.values
    if name not in values:
        return "NotSupported"
    readonly = config.readonly(name)
    if readonly and not internal:
        return "Rejected"
    try:
        value = parse(config, name, text)
    except ConfigError:
        return "Rejected"
    old = values[name]
    values[name] = value
    new = "true" if value is True else "false" if value is False else str(value)  # as stored
    was = "true" if old is True else "false" if old is False else str(old)
    saved = config.saved
    if not readonly and saved.get(name, was) != new:
        saved[name] = new
        if config.store is not None:
            import json
            config.store.save("config", json.dumps(saved).encode())
    if value == old and type(value) is type(old):
        return "Accepted"  # nothing changed: nothing to tell, nothing to reboot for
    for fn in config.listeners:
        fn(name, value)
    declared = config.declared.get(name)
    return "RebootRequired" if declared and declared[1] else "Accepted"


def restore(config, name, text):
    """A value stored by an earlier change(), when it still fits."""
    try:
        config.values[name] = parse(config, name, text)
    except ConfigError as e:
        if config.log is not None:
            config.log("stored %s=%r ignored: %s" % (name, text, e))


def parse(config, name, text):
    """The value for the text a Central System sends; ConfigError when it does not fit."""
    if not isinstance(text, str):
        raise ConfigError("not a string")
    old = config.values[name]
    declared = config.declared.get(name)
    if old is True or old is False:
        value = text.lower()
        if value not in ("true", "1", "false", "0"):
            raise ConfigError("not true/false: %r" % (text,))
        value = value in ("true", "1")
    elif isinstance(old, int):
        if not text.isdigit() or int(text) > 0x7FFFFFFF:
            raise ConfigError("not an integer 0..2147483647: %r" % (text,))
        value = int(text)
        least, most = 0, 0x7FFFFFFF  # the limits of the standard keys
        if declared:
            pass
        elif name in ("ConnectionTimeOut", "OcppCpTxPerConnector"):
            least = 1
        elif name in ("OcppCpMeterValuesMax", "OcppCpTxDataMax"):  # per transaction
            least = 3
        elif name == "TransactionMessageAttempts":
            least, most = 1, 10
        elif name == "TransactionMessageRetryInterval":  # retry delays are added to ms ticks (~3 days)
            most = 3600
        elif name == "OcppCpMessageTimeout":
            least, most = 1, 3600
        if not least <= value <= most:
            raise ConfigError("must be %d..%d" % (least, most))
    elif declared[3] == "measurands" if declared else name in (
            "MeterValuesAlignedData", "MeterValuesSampledData", "StopTxnAlignedData", "StopTxnSampledData"):
        # a csv of measurands this charger can sample; a charger with no samplers yet accepts
        # any measurand (its meter is unknown)
        from ..engine import measurands
        value = [m.strip() for m in text.split(",") if m.strip()]
        can = config.available() if config.available is not None else ()
        known = measurands.MEASURANDS.split()
        for m in value:
            if m not in known or (can and m not in can):
                raise ConfigError("cannot sample %r" % (m,))
        most = config.values.get(name + "MaxLength")
        if most is not None and len(value) > most:
            raise ConfigError("more than %sMaxLength measurands" % name)
        value = ",".join(value)
    else:
        value = text
        if declared:
            pass
        elif name == "ConnectorPhaseRotation":  # '0.RST, 1.RST, 2.RTS' (connectorId.rotation)
            for item in text.split(","):
                cid, _, rot = item.strip().partition(".")
                if not cid.isdigit() or int(cid) > config.values["NumberOfConnectors"] or \
                        rot not in "NotApplicable Unknown RST RTS SRT STR TRS TSR".split():
                    raise ConfigError("not connectorId.rotation: %r" % (item,))
        elif name == "OcppCpTxJournalFull" and text not in ("Refuse", "ChargeWithoutJournal"):
            raise ConfigError("Refuse or ChargeWithoutJournal")
    error = declared and declared[2] and declared[2](value)  # the sketch's check(value)
    if error:
        raise ConfigError(error)
    return value
