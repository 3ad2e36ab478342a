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
