"""NvmStore: every record in microcontroller.nvm, double-buffered.

The area (at most 8 KiB; RP2040 boards have 4 KiB, ESP32 8 KiB) is split in two halves. Each
save writes the whole set of records into the half not holding the current copy:

    b"OJ1" | seq (4, big-endian) | length (2) | Adler-32 of seq+length+payload (4) | payload
    payload = (name length (1) | name | data length (2) | data) per record

load picks the valid half with the higher seq, so a write cut short leaves the previous good
copy. A save that does not fit in one half raises OSError(28). Limit: on the RP2040 the 4 KiB
are one flash sector that the firmware erases and rewrites as a whole, so a power cut during
that erase (tens of ms) can lose both copies there; a writable filesystem is safer on a Pico W.
"""
from . import checksum

_MAGIC = b"OJ1"
_HEAD = 13


class NvmStore:
    persistent = True

    def __init__(self, nvm=None, size=None, offset=0):
        if nvm is None:
            import microcontroller
            nvm = getattr(microcontroller, "nvm", None)  # (Blinka's desktop module has none)
            if nvm is None:
                raise OSError(19, "this board has no nvm")
        self.nvm = nvm
        size = min(len(nvm) - offset, 8192) if size is None else size
        if size < 256:
            raise ValueError("nvm area too small: %d bytes" % size)
        self.half = size // 2
        self.offset = offset
        self.records = {}
        self.seq = 0
        self.current = 1  # the half holding the newest copy; the first save goes to half 0
        best = None
        for i in (0, 1):
            found = self._read(i)
            if found is not None and (best is None or found[0] > best[0]):
                best = (found[0], i, found[1])
        if best is not None:
            self.seq, self.current, self.records = best

    def _read(self, i):
        start = self.offset + i * self.half
        head = bytes(self.nvm[start:start + _HEAD])
        if head[:3] != _MAGIC:
            return None
        n = int.from_bytes(head[7:9], "big")
        if _HEAD + n > self.half:
            return None
        body = bytes(self.nvm[start + 3:start + 9]) + bytes(self.nvm[start + _HEAD:start + _HEAD + n])
        if checksum(body) != int.from_bytes(head[9:13], "big"):
            return None
        records = {}
        p = 6
        try:
            while p < len(body):
                k = body[p]
                name = body[p + 1:p + 1 + k].decode()
                p += 1 + k
                m = int.from_bytes(body[p:p + 2], "big")
                records[name] = body[p + 2:p + 2 + m]
                p += 2 + m
        except (IndexError, UnicodeError):
            return None
        return int.from_bytes(head[3:7], "big"), records

    def _write(self, records):
        parts = []
        for name, data in records.items():
            key = name.encode()
            parts.append(bytes((len(key),)) + key + len(data).to_bytes(2, "big") + data)
        payload = b"".join(parts)
        if _HEAD + len(payload) > self.half:
            raise OSError(28, "nvm full: %d of %d bytes" % (_HEAD + len(payload), self.half))
        seq = self.seq + 1
        body = seq.to_bytes(4, "big") + len(payload).to_bytes(2, "big")
        blob = _MAGIC + body + checksum(body + payload).to_bytes(4, "big") + payload
        i = 1 - self.current
        start = self.offset + i * self.half
        self.nvm[start:start + len(blob)] = blob  # one write: one flash erase on a device
        self.seq, self.current, self.records = seq, i, records

    def load(self, name):
        return self.records.get(name)

    def save(self, name, data):
        records = dict(self.records)
        records[name] = bytes(data)
        self._write(records)

    def delete(self, name):
        if name in self.records:
            records = dict(self.records)
            del records[name]
            self._write(records)

    def names(self):
        return list(self.records)
