"""Stores (ocpp_cp/storage): FileStore atomicity, NvmStore double buffer, open_store's choice."""
import os
import sys
import types

import pytest

from ocpp_cp import storage
from ocpp_cp.storage import MemoryStore, checksum, open_store
from ocpp_cp.storage.files import FileStore
from ocpp_cp.storage.nvm import NvmStore


class PowerCut(BaseException):
    """The board loses power: nothing after this point runs."""


def test_checksum_is_adler32():
    import zlib
    for data in (b"", b"a", b"hello world" * 500, bytes(range(256)) * 40):
        assert checksum(data) == zlib.adler32(data)


# ---------------------------------------------------------------- FileStore

def test_file_store_round_trip_and_names(tmp_path):
    s = FileStore(str(tmp_path / "st"))
    assert s.names() == [] and s.load("a") is None
    s.save("a", b"one")
    s.save("b", b"")
    s.save("a", b"two")
    assert s.load("a") == b"two" and s.load("b") == b""
    assert sorted(s.names()) == ["a", "b"]
    s.delete("a")
    s.delete("nope")
    assert s.names() == ["b"] and s.load("a") is None
    again = FileStore(str(tmp_path / "st"))  # a new process
    assert again.load("b") == b"" and again.persistent


def test_power_cut_between_temp_write_and_rename_keeps_the_old_record(tmp_path, monkeypatch):
    s = FileStore(str(tmp_path))
    s.save("tx1", b"old")

    def cut(*args):
        raise PowerCut()
    monkeypatch.setattr(os, "rename", cut)
    with pytest.raises(PowerCut):
        s.save("tx1", b"new")
    monkeypatch.undo()
    assert os.path.exists(str(tmp_path / "tx1.new"))
    after = FileStore(str(tmp_path))
    assert after.load("tx1") == b"old"
    after.save("tx1", b"newer")           # the stale temp file is simply replaced
    assert FileStore(str(tmp_path)).load("tx1") == b"newer"
    assert not os.path.exists(str(tmp_path / "tx1.new"))


def test_torn_temp_file_is_ignored(tmp_path):
    s = FileStore(str(tmp_path))
    s.save("tx1", b"old record")
    with open(str(tmp_path / "tx1.new"), "wb") as f:
        f.write(b"new rec")               # cut while writing: no valid checksum
    assert FileStore(str(tmp_path)).load("tx1") == b"old record"
    # a new record torn on its first write does not exist at all
    with open(str(tmp_path / "tx2.new"), "wb") as f:
        f.write(b'{"c":1')
    assert FileStore(str(tmp_path)).load("tx2") is None


def test_fat_rename_cut_after_removing_the_old_file_recovers_the_new_one(tmp_path, monkeypatch):
    """FAT (CircuitPython) cannot rename onto an existing file: remove, then rename."""
    s = FileStore(str(tmp_path))
    s.save("tx1", b"old")
    real_rename = os.rename
    real_remove = os.remove

    def fat_rename(src, dst):
        if os.path.exists(dst):
            raise OSError(17, "EEXIST")
        real_rename(src, dst)

    def remove_then_cut(path):
        real_remove(path)
        raise PowerCut()
    monkeypatch.setattr(os, "rename", fat_rename)
    s.save("tx1", b"second")              # the FAT path works
    assert s.load("tx1") == b"second"
    monkeypatch.setattr(os, "remove", remove_then_cut)
    with pytest.raises(PowerCut):
        s.save("tx1", b"third")
    monkeypatch.setattr(os, "remove", real_remove)
    after = FileStore(str(tmp_path))
    assert after.load("tx1") == b"third" and after.names() == ["tx1"]


def test_corrupt_file_reads_as_absent(tmp_path):
    s = FileStore(str(tmp_path))
    s.save("a", b"payload")
    path = str(tmp_path / "a")
    data = bytearray(open(path, "rb").read())
    data[0] ^= 0xFF
    open(path, "wb").write(bytes(data))
    assert s.load("a") is None


def test_probe_fails_on_a_read_only_place(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    with pytest.raises(OSError):
        FileStore(str(blocker / "sub")).probe()   # a file where the directory should be


# ---------------------------------------------------------------- NvmStore

def test_nvm_round_trip_across_instances():
    nvm = bytearray(b"\xff" * 4096)          # erased flash
    s = NvmStore(nvm)
    assert s.names() == [] and s.persistent
    s.save("journal", b'{"n":1}')
    s.save("tx1_1", b"x" * 300)
    s.delete("nothing")
    again = NvmStore(nvm)
    assert again.load("journal") == b'{"n":1}' and again.load("tx1_1") == b"x" * 300
    again.delete("tx1_1")
    assert NvmStore(nvm).names() == ["journal"]


def test_nvm_writes_alternate_and_a_torn_write_leaves_the_previous_copy():
    nvm = bytearray(4096)
    s = NvmStore(nvm)
    s.save("a", b"1")                        # half 0
    s.save("a", b"2")                        # half 1
    assert NvmStore(nvm).load("a") == b"2"
    s.save("a", b"3")                        # half 0 again
    nvm[13 + 3] ^= 0x55                      # ... torn: its payload is garbage
    assert NvmStore(nvm).load("a") == b"2"   # the previous good copy
    nvm[2048:2048 + 13] = b"\xff" * 13       # and the other half erased too
    assert NvmStore(nvm).names() == []


def test_nvm_full_raises_and_keeps_what_it_had():
    nvm = bytearray(512)
    s = NvmStore(nvm)
    s.save("a", b"x" * 100)
    with pytest.raises(OSError) as e:
        s.save("b", b"y" * 200)
    assert e.value.args[0] == 28
    assert NvmStore(nvm).names() == ["a"] and s.names() == ["a"]


def test_nvm_uses_at_most_8_kib_and_refuses_a_tiny_area():
    big = bytearray(32768)
    s = NvmStore(big)
    s.save("a", b"z")
    assert s.half == 4096 and big[8192:] == bytearray(32768 - 8192)
    with pytest.raises(ValueError):
        NvmStore(bytearray(100))


def test_journal_on_nvm_survives_a_restart():
    from tests.test_journal import Rig
    nvm = bytearray(8192)
    r = Rig(store=NvmStore(nvm), OcppCpJournalInterval=0)
    r.step(10)
    r.cp.connector(1).begin_session("S1", authorized=True)
    r.step(5)
    r.charge(30)
    r.store = NvmStore(nvm)                  # a reboot reads the nvm again
    r.boot()
    r.step(20)
    s = r.cs.sessions()["S1"]
    assert len(s["start"]) == 1 and s["stops"][0]["reason"] == "PowerLoss"
    assert s["stops"][0]["meterStop"] == r.hw[1]["energy"]


# ---------------------------------------------------------------- open_store

def test_open_store_choices(tmp_path, monkeypatch):
    monkeypatch.delenv("OCPP_STORE", raising=False)
    mine = MemoryStore()
    assert open_store(mine) is mine
    assert isinstance(open_store("memory"), MemoryStore)
    s = open_store(str(tmp_path / "dir"))
    assert isinstance(s, FileStore) and s.path == str(tmp_path / "dir")
    monkeypatch.setenv("OCPP_STORE", str(tmp_path / "env"))
    assert open_store(None).path == str(tmp_path / "env")
    monkeypatch.delenv("OCPP_STORE")
    monkeypatch.chdir(tmp_path)
    s = open_store(None)                          # a computer: ./ocpp_store
    assert isinstance(s, FileStore) and s.path == "ocpp_store" and os.path.isdir("ocpp_store")


def test_open_store_falls_back_to_nvm_then_memory_with_a_warning(tmp_path, monkeypatch):
    monkeypatch.delenv("OCPP_STORE", raising=False)

    def read_only(self):
        raise OSError(30, "Read-only filesystem")
    monkeypatch.setattr(FileStore, "probe", read_only)
    fake = types.ModuleType("microcontroller")
    fake.nvm = bytearray(4096)
    monkeypatch.setitem(sys.modules, "microcontroller", fake)
    s = open_store(None)
    assert isinstance(s, NvmStore) and s.nvm is fake.nvm
    assert isinstance(open_store("nvm"), NvmStore)
    monkeypatch.delitem(sys.modules, "microcontroller")
    lines = []
    s = open_store(None, lines.append)
    assert isinstance(s, MemoryStore) and not s.persistent
    assert "transactions will be lost on power loss" in lines[0] and "Read-only" in lines[0]


def test_storage_module_exports():
    assert storage.open_store is open_store
