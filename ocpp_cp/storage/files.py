"""FileStore: one file per record in a directory, replaced atomically.

save() writes "<name>.new" with a checksum trailer, flushes and syncs it, then renames it over
"<name>". POSIX rename replaces in one step; FAT (CircuitPython) refuses to rename onto an
existing file, so there the old file is removed first: a power cut between the two leaves only
the complete "<name>.new", which load() then uses. A torn "<name>.new" (cut while writing) fails
its checksum and is ignored, so the old record stays. On CircuitPython the filesystem is
writable only after boot.py ran storage.remount("/", readonly=False) (docs/offline.md).
"""
import os

from . import checksum

_NEW = ".new"


def _fsync(f):
    """fsync a file object or descriptor where the runtime can (CPython); False elsewhere."""
    try:
        os.fsync(f if isinstance(f, int) else f.fileno())
        return True
    except (AttributeError, OSError):
        return False


class FileStore:
    persistent = True

    def __init__(self, path="ocpp_store"):
        self.path = path.rstrip("/") or "/"
        self._ready = False

    def _file(self, name):
        return self.path + "/" + name

    def _mkdir(self):
        if not self._ready:
            try:
                os.mkdir(self.path)
            except OSError:  # already there (errno values differ between ports)?
                if not os.stat(self.path)[0] & 0x4000:  # not a directory
                    raise
            self._ready = True

    def probe(self):
        """Raise OSError unless records can be written here (e.g. a read-only CIRCUITPY)."""
        self.save("_probe", b"")
        self.delete("_probe")

    def load(self, name):
        for path in (self._file(name), self._file(name) + _NEW):
            data = _read(path)
            if data is not None and len(data) >= 4 and \
                    int.from_bytes(data[-4:], "big") == checksum(memoryview(data)[:-4]):
                return data[:-4]
        return None

    def save(self, name, data):
        self._mkdir()
        path = self._file(name)
        with open(path + _NEW, "wb") as f:
            f.write(data)
            f.write(checksum(data).to_bytes(4, "big"))
            f.flush()
            synced = _fsync(f)
        try:
            os.rename(path + _NEW, path)
        except OSError:  # FAT: the target exists
            os.remove(path)
            os.rename(path + _NEW, path)
        if synced:  # make the rename itself durable
            try:
                fd = os.open(self.path, 0)
                _fsync(fd)
                os.close(fd)
            except (AttributeError, OSError):
                pass
        elif hasattr(os, "sync"):  # CircuitPython: flush the filesystem now
            os.sync()

    def delete(self, name):
        for path in (self._file(name), self._file(name) + _NEW):
            try:
                os.remove(path)
            except OSError:
                pass

    def names(self):
        try:
            files = os.listdir(self.path)
        except OSError:
            return []
        out = []
        for f in files:
            if f.endswith(_NEW):
                f = f[:-len(_NEW)]
            if f not in out and f != "_probe":
                out.append(f)
        return out


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None
