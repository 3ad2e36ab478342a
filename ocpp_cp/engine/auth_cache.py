"""Authorization cache (OCPP 1.6, 3.5.2): the idTagInfo the Central System sent for each idTag.

Filled from every Authorize and StartTransaction answer, valid or not; used by ops/authorize.py
for LocalPreAuthorize (a cached Accepted idTag starts at once) and LocalAuthorizeOffline.
At most `size` entries (SIZE): a new idTag first pushes out an entry that is no longer valid,
else the least recently used one. Kept in cp.store as the record "authcache" (compact JSON),
written only when an entry is added or changes, and only to a persistent store.
The entries live in cp.auth_cache; this module only works on them (AuthCache is a view), so a
microcontroller can drop its code when no session needs it (engine/rpc.py).
"""
import json

RECORD = "authcache"
SIZE = 20


def get(cp):
    """cp's cache (its entries loaded from cp.store on first use); None while AuthorizationCacheEnabled is false."""
    if not cp.config.get("AuthorizationCacheEnabled"):
        return None
    if cp.auth_cache is None:
        entries = []  # [idTag, status, expiry unix seconds or None, parentIdTag or None], oldest first
        data = cp.store.load(RECORD)
        if data:
            try:
                entries = [e for e in json.loads(bytes(data).decode()) if isinstance(e, list) and len(e) == 4
                           and isinstance(e[1], str) and (e[2] is None or isinstance(e[2], int))][-SIZE:]
            except (ValueError, TypeError):
                cp.log("authorization cache record unreadable: starting empty")
        cp.auth_cache = entries
    return AuthCache(cp)


def remember(cp, id_tag, info):
    """Put an answer's idTagInfo in the cache (if enabled)."""
    cache = get(cp)
    if cache is not None:
        cache.update(id_tag, info)


class AuthCache:
    """cp's cache: entries is cp.auth_cache (see get)."""

    def __init__(self, cp, size=SIZE):
        self.cp = cp
        self.size = size
        self.entries = cp.auth_cache

    def status(self, id_tag):
        """The cached status, "Expired" once its expiryDate has passed; None if not cached, or
        if it expires and the clock is not set yet (so it cannot be told)."""
        for e in self.entries:
            if e[0] == id_tag:
                break
        else:
            return None
        if e[2] is not None and e[1] == "Accepted":
            now = self.cp.clock.now()
            if now is None:
                return None
            if now >= e[2]:
                return "Expired"
        return e[1]

    def update(self, id_tag, info):
        status = info.get("status")
        if not isinstance(id_tag, str) or not isinstance(status, str):
            return
        expiry = info.get("expiryDate")
        if expiry is not None:
            from .clock import parse_iso
            try:
                expiry = parse_iso(expiry)
            except (ValueError, TypeError):
                self.cp.log("authorization cache: bad expiryDate for %s, not cached" % id_tag)
                return
        entry = [id_tag, status, expiry, info.get("parentIdTag")]
        old = None
        for e in self.entries:
            if e[0] == id_tag:
                old = e
        entries = self.entries
        if old is not None:
            entries.remove(old)
        elif len(entries) >= self.size:
            gone = [e for e in entries if self.status(e[0]) != "Accepted"]
            entries.remove(gone[0] if gone else entries[0])
        entries.append(entry)  # the newest at the end
        store = self.cp.store
        if old != entry and getattr(store, "persistent", False):
            store.save(RECORD, json.dumps(entries, separators=(",", ":")).encode())

    def clear(self):
        self.entries.clear()
        self.cp.store.delete(RECORD)
