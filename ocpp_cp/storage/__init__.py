"""Persistent storage behind one small interface: named records of bytes.

Every store has:
    load(name)        -> bytes, or None if there is no such record
    save(name, data)  -> None; atomic: after a power loss the record is either the old or the new
    delete(name)      -> None (no error if absent)
    names()           -> list of record names
    persistent        -> bool: survives a restart (False for MemoryStore)
Names are short ASCII words ("config", "tx3"). The engine keeps records small and rewrites
them only when something worth keeping changed (flash wears out).
"""


class MemoryStore:
    """RAM only: everything is lost on restart. For tests, or when nothing else is writable."""

    persistent = False

    def __init__(self):
        self.records = {}

    def load(self, name):
        return self.records.get(name)

    def save(self, name, data):
        self.records[name] = bytes(data)

    def delete(self, name):
        self.records.pop(name, None)

    def names(self):
        return list(self.records)


def checksum(data):
    """Adler-32 of bytes (pure Python: the same on every runtime; detects torn or stale writes)."""
    a, b = 1, 0
    view = memoryview(data)
    for i in range(0, len(view), 1024):  # reduce often enough that the sums stay small ints
        for x in view[i:i + 1024]:
            a += x
            b += a
        a %= 65521
        b %= 65521
    return (b << 16) | a


def open_store(spec=None, log=None):
    """The store for the journal and the configuration.

    spec: a store object (anything with load/save/delete/names) is used as it is; "memory" and
    "nvm" name those stores; any other string is a directory (FileStore). None: the setting
    OCPP_STORE (settings.toml or the environment) if there is one, else the best this machine
    has: the directory "ocpp_store" in the working directory if the filesystem is writable
    (always on a computer; on CircuitPython only after boot.py remounted it, see
    docs/offline.md), else microcontroller.nvm, else RAM with a warning.
    """
    if spec is None:
        from .. import settings
        spec = settings.get("OCPP_STORE")
    if spec is not None and not isinstance(spec, str):
        return spec
    if spec == "memory":
        return MemoryStore()
    if spec == "nvm":
        from .nvm import NvmStore
        return NvmStore()
    from .files import FileStore
    if spec is not None:
        return FileStore(spec)
    why = []
    try:
        store = FileStore("ocpp_store")
        store.probe()
        return store
    except OSError as e:
        why.append("filesystem read-only (%s)" % e)
    try:
        from .nvm import NvmStore
        return NvmStore()
    except (ImportError, OSError, ValueError) as e:
        why.append("no microcontroller.nvm (%s)" % e)
    (log or print)("[ocpp] WARNING: no writable storage (%s): transactions will be lost on power loss"
                   % "; ".join(why))
    return MemoryStore()
