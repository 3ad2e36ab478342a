"""Authorize: may this idTag charge? Feeds a waiting session, or the sketch's listener."""
from ..engine.rpc import Request


def send(cp, id_tag, listeners=None, context=None):
    cp.rpc.enqueue(Request("Authorize", {"idTag": id_tag}, *(listeners or ()), context=context))


def conf(cp, req, payload):
    status = payload["idTagInfo"]["status"]
    tx = req.context
    if tx is not None:
        tx.authorized = status == "Accepted"


def failed(cp, req, why):
    tx = req.context
    if tx is None:
        return
    # offline (no connection, or no answer): charge anyway only if the owner allowed it
    tx.authorized = why in ("offline", "timeout") and cp.config.get("AllowOfflineTxForUnknownId")
    if tx.authorized:
        cp.log("Authorize got no answer: %s accepted offline (AllowOfflineTxForUnknownId)" % tx.id_tag)
