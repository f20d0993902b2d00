"""The Parquet cache never hands back another file's data, and no cache problem fails a load or is
blamed on the input: torn memos, edits that restore the mtime, read-only or missing folders, full
disks, damaged entries, and several processes loading one file at once."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

import kit
from kit.io.perfmon import cache
from tests.conftest import ROOT, pdh_text

SRC = r"\\HV01\Network Interface(nic1)\Bytes Sent/sec"


def log(write, name: str, values: list[float]) -> Path:
    start = datetime(2026, 1, 2, 10)
    rows = [[f"{start + timedelta(seconds=i):%m/%d/%Y %H:%M:%S}.000", str(v)] for i, v in enumerate(values)]
    return write(name, pdh_text("(PDH-CSV 4.0) (Coordinated Universal Time)(0)", [SRC], rows))


def values(capture: kit.Capture) -> list[float]:
    return capture.data[SRC].to_list()


def cache_codes(capture: kit.Capture) -> list[str]:
    return [w.code for w in capture.warnings if w.code == "cache-problem"]


def entries() -> list[Path]:
    cache.flush()
    return sorted((cache.cache_dir() / "entries").iterdir())


def test_a_torn_memo_is_no_hash(write):
    a, b = log(write, "a.csv", [1, 2, 3]), log(write, "b.csv", [7, 8, 9])
    for path in (a, b):  # what a torn write or a full disk leaves: empty memos
        memo = cache._memo_path(path)
        memo.parent.mkdir(parents=True, exist_ok=True)
        memo.write_text("")
    assert values(kit.load(a)) == [1, 2, 3]
    assert values(kit.load(b)) == [7, 8, 9]
    assert values(kit.load(b)) == [7, 8, 9] and values(kit.load(a)) == [1, 2, 3]


def test_an_edit_with_the_mtime_put_back_is_seen(write):
    path = log(write, "a.csv", [1, 2, 3])
    assert values(kit.load(path)) == [1, 2, 3]
    stat = path.stat()
    log(write, "a.csv", [4, 5, 6])  # same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    assert values(kit.load(path)) == [4, 5, 6]


def test_an_entry_made_for_another_file_is_not_used(write):
    a, b = log(write, "a.csv", [1, 2, 3]), log(write, "b.csv", [7, 8, 9])
    kit.load(a)
    [entry_a] = entries()
    session = cache.Session(b, {})
    session.read()
    kit.load(b)
    entry_b = next(e for e in entries() if e != entry_a)
    for name in ("data.parquet", "catalog.parquet", "meta.json"):  # b's entry now holds a's data
        (entry_b / name).write_bytes((entry_a / name).read_bytes())
    loaded = kit.load(b)
    assert values(loaded) == [7, 8, 9]
    assert cache_codes(loaded) == ["cache-problem"] and "damaged" in loaded.warnings[-1].message


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda e: (e / "meta.json").write_text("{}"), id="empty-meta"),
        pytest.param(lambda e: (e / "meta.json").write_text("{"), id="torn-meta"),
        pytest.param(lambda e: (e / "meta.json").unlink(), id="no-meta"),
        pytest.param(lambda e: (e / "data.parquet").write_bytes((e / "data.parquet").read_bytes()[:-9]), id="cut-data"),
        pytest.param(lambda e: (e / "catalog.parquet").write_bytes(b"PAR1"), id="bad-catalogue"),
        pytest.param(lambda e: _flip_a_byte(e / "data.parquet"), id="flipped-byte"),
        pytest.param(lambda e: _other_rows(e), id="other-rows"),
    ],
)
def test_a_damaged_entry_is_replaced(write, damage):
    path = log(write, "a.csv", [1, 2, 3])
    first = kit.load(path)
    [entry] = entries()
    damage(entry)
    second = kit.load(path)
    assert second.data.equals(first.data) and second.catalog.equals(first.catalog)
    [warning] = [w for w in second.warnings if w.code == "cache-problem"]
    assert str(cache.cache_dir()) in warning.message and "damaged" in warning.message and "replaced" in warning.message
    third = kit.load(path)  # repaired: a clean hit
    assert third.data.equals(first.data) and not cache_codes(third)
    assert [e.name for e in entries()] == [entry.name]


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-20] ^= 0xFF
    path.write_bytes(bytes(data))


def _other_rows(entry: Path) -> None:
    """A well-formed data file with a row fewer than the entry recorded (size and checksum updated)."""
    data = pl.read_parquet(entry / "data.parquet").head(2)
    data.write_parquet(entry / "data.parquet")
    meta = json.loads((entry / "meta.json").read_text())
    meta.update(data_bytes=(entry / "data.parquet").stat().st_size, data_tail=cache._tail_sum(entry / "data.parquet"))
    (entry / "meta.json").write_text(json.dumps(meta))


def test_a_cache_path_that_is_a_file(write, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("KIT_CACHE_DIR", str(blocker))
    loads = [kit.load(log(write, "a.csv", [1, 2, 3])) for _ in range(2)]
    for capture in loads:
        assert values(capture) == [1, 2, 3]
        [warning] = [w for w in capture.warnings if w.code == "cache-problem"]
        assert str(blocker) in warning.message and "KIT_CACHE_DIR" in warning.message


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes to read-only folders")
def test_a_read_only_cache_folder(write, tmp_path, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    monkeypatch.setenv("KIT_CACHE_DIR", str(folder))
    try:
        capture = kit.load(log(write, "a.csv", [1, 2, 3]))
    finally:
        folder.chmod(0o700)
    assert values(capture) == [1, 2, 3] and cache_codes(capture) == ["cache-problem"]


@pytest.mark.parametrize("error", [OSError(errno.ENOSPC, "No space left on device"), pl.exceptions.ComputeError("disk full")])
def test_a_disk_that_fills_during_the_write(write, monkeypatch, error):
    path = log(write, "a.csv", [1, 2, 3])

    def full(self, file, **options):
        Path(file).write_bytes(b"PAR1")  # a part written, then the disk is full
        raise error

    monkeypatch.setattr(pl.DataFrame, "write_parquet", full)
    capture = kit.load(path)  # the entry is written in the background: it fails there
    assert values(capture) == [1, 2, 3]
    cache.flush()
    root = cache.cache_dir() / "entries"
    assert not list(root.iterdir())  # no staging folder, no half entry
    again = kit.load(path)  # parsed again (no entry), and the failure is reported
    assert values(again) == [1, 2, 3]
    [warning] = [w for w in again.warnings if w.code == "cache-problem"]
    assert "could not store" in warning.message and str(cache.cache_dir()) in warning.message


def test_a_memo_that_cannot_be_written(write, monkeypatch):
    path = log(write, "a.csv", [1, 2, 3])
    (cache.cache_dir()).mkdir(parents=True, exist_ok=True)
    (cache.cache_dir() / "stat-xxh3").write_text("a file where the memo folder should be")
    capture = kit.load(path)
    assert values(capture) == [1, 2, 3] and cache_codes(capture) == ["cache-problem"]
    assert "stat-xxh3" in capture.warnings[-1].message


def test_an_unreadable_input_is_still_the_inputs_error(write, monkeypatch):
    path = log(write, "a.csv", [1, 2, 3])

    def refuse(self, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(kit.errors.FileAccessError, match=r"a\.csv: cannot read the file: Permission denied"):
        kit.load(path)


def test_a_folder_with_a_cache_problem_warns_once(write, tmp_path, monkeypatch):
    a, b, c = (log(write, f"HV0{i}.csv", [i, i, i]) for i in (1, 2, 3))
    blocker = tmp_path / "blocked"
    blocker.write_text("x")
    monkeypatch.setenv("KIT_CACHE_DIR", str(blocker))
    capture = kit.load([a, b, c])
    [warning] = [w for w in capture.warnings if w.code == "cache-problem"]
    assert "(and 2 other files)" in warning.message


_LOADER = """
import sys, kit
capture = kit.load(sys.argv[1])
assert not [w for w in capture.warnings if w.code == "cache-problem"], capture.warnings
print(capture.data[sys.argv[2]].to_list())
"""


@pytest.mark.parametrize("processes", [2, 4])
def test_processes_loading_one_file_at_once(write, processes):
    path = log(write, "a.csv", [float(i) for i in range(10)] * 500)
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs = [
        subprocess.Popen([sys.executable, "-c", _LOADER, str(path), SRC], env=environment, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert all(run.returncode == 0 for run in runs), [err for _, err in outputs]
    want = str([float(i) for i in range(10)] * 500)
    assert all(out.strip() == want for out, _ in outputs)
    root = cache.cache_dir() / "entries"
    assert [p.name for p in root.iterdir() if p.name.startswith(".")] == []  # no staging left
    assert len(list(root.iterdir())) == 1
    assert values(kit.load(path)) == [float(i) for i in range(10)] * 500
