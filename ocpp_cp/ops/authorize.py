"""Authorize: may this idTag charge? Feeds a waiting session, or the sketch's listener.

Local authorization (OCPP 1.6, 3.5) with the authorization cache (engine/auth_cache.py):
- LocalPreAuthorize: an idTag cached as Accepted starts at once and no Authorize is sent; the
  StartTransaction answer carries its idTagInfo again (StopTransactionOnInvalidId applies).
- Offline: no connection when the session begins, or the Authorize never went out for lack of
  one ("offline") or got no answer ("timeout"): a cached Accepted idTag may charge if
  LocalAuthorizeOffline; one cached as not valid (Blocked, Invalid, Expired, past its
  expiryDate) may not; an idTag the cache cannot tell about only if AllowOfflineTxForUnknownId.
  A CALLERROR ("error"), or an Authorize that waited in the queue while connected ("expired"),
  is not offline: the idTag is not authorized.
"""
from ..engine import auth_cache


def send(cp, id_tag, listeners=None, context=None):
    cp.rpc.request("Authorize", {"idTag": id_tag}, listeners, context)


def local(cp, id_tag):
    """True: start now on the cache's word (no Authorize); None: ask the Central System."""
    cache = auth_cache.get(cp)
    if cache is None or cache.status(id_tag) != "Accepted":
        return None
    config = cp.config
    if config.get("LocalPreAuthorize") or (not cp.connection.connected and config.get("LocalAuthorizeOffline")):
        return True
    return None


def offline(cp, id_tag):
    """May id_tag charge while the Central System cannot be asked?"""
    cache = auth_cache.get(cp)
    status = cache.status(id_tag) if cache is not None else None
    config = cp.config
    if status is None:
        ok, rule = config.get("AllowOfflineTxForUnknownId"), "AllowOfflineTxForUnknownId"
    elif status == "Accepted":
        ok = config.get("LocalAuthorizeOffline") or config.get("AllowOfflineTxForUnknownId")
        rule = "cached Accepted"
    else:
        ok, rule = False, "cached " + status
    cp.log("Authorize got no answer: %s %s offline (%s)" % (id_tag, "accepted" if ok else "refused", rule))
    return ok


def conf(cp, req, payload):
    info = payload["idTagInfo"]
    status = info["status"]
    id_tag = req.payload["idTag"]
    auth_cache.remember(cp, id_tag, info)
    tx = req.context
    if tx is not None:
        tx.authorized = status == "Accepted"


def failed(cp, req, why):
    tx = req.context
    if tx is not None:
        tx.authorized = why in ("offline", "timeout") and offline(cp, tx.id_tag)
