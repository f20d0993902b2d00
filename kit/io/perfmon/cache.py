"""Parquet cache of parsed files, keyed by the file's content and the load options.

A file's content hash (XXH3-128 from ``xxhash``: several GB/s, so a first load barely waits for
it) is remembered against its path,
inode, size, modification and change times, the way git's index does, so a second load of an
unchanged file costs a ``stat`` and a Parquet read; a file that was touched in any way (even with
its mtime put back: the change time cannot be) is hashed again, and a copy of a cached file
elsewhere is found by its content. Location: ``$KIT_CACHE_DIR``, else
``$XDG_CACHE_HOME/hvlm-kit``, else ``~/.cache/hvlm-kit``.

The cache is an optimisation and never a source of truth:

* memos and entries are written atomically (staged, then renamed into place), so no reader ever
  sees part of one, whatever the number of processes loading one file at once;
* an entry records the content hash it was made from, its row count, columns and a checksum of its
  data file, all checked on every read; a damaged entry is moved aside and replaced;
* entries are written by one background thread while the caller goes on (a first load returns
  as soon as the file is parsed); :func:`flush` waits for them and runs at interpreter exit, and
  a load of a file whose entry is still being written waits for it rather than parsing twice;
* any problem with the cache itself (read-only folder, a file where the folder should be, a full
  disk, a damaged entry) is never blamed on the input: the file is parsed as if there were no
  cache, and :class:`Session` collects the problem for one ``cache-problem`` warning (a write
  that fails in the background is reported by the next load).
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path

import polars as pl
import xxhash

from kit.errors import LoadWarning
from kit.folders import cache_dir, write_atomically
from kit.inputs.capture import CATALOG_SCHEMA, Capture, SourceInfo
from kit.io.perfmon.names import with_english

CACHE_VERSION = "4"
"""Bump when the parsed form changes, so older entries are not used."""
_BLOCK = 8 << 20
_TAIL = 64 << 10
"""Bytes at the end of a data file whose checksum an entry records (the Parquet footer is there)."""
_HEX = re.compile(r"[0-9a-f]{32}")
_WHAT_TO_DO = (
    "the file was parsed without the cache; make the folder writable, free some space, "
    "set KIT_CACHE_DIR to another folder, or pass cache_results=False"
)


class CacheProblem(Exception):
    """Something is wrong with the cache folder (never with the input file)."""


def content_hash(path: Path, *, remember: bool = True) -> str:
    """XXH3-128 (hex) of the file's bytes, reusing the remembered hash while the file's path,
    inode, size, mtime and ctime are unchanged. (XXH3 hashes ~7 GB/s from memory here, SHA-256
    1.2 GB/s: it is what a first load of a multi-GB log waits for. Not a cryptographic hash: the
    cache trusts its user's own files.)

    ``remember=False``: neither look up nor write the memo (a temporary file's name is never seen
    again). An :class:`OSError` is the input's (it cannot be read); a memo that cannot be written raises
    :class:`CacheProblem` *after* the hash is known, carrying it as ``args[1]``.
    """
    memo = _memo_path(path)
    try:
        remembered = memo.read_text(encoding="ascii").strip() if remember else ""
    except (OSError, UnicodeError):
        remembered = ""
    if _HEX.fullmatch(remembered):  # a torn, empty or foreign memo is no hash: hash the file again
        return remembered
    digest, buffer = xxhash.xxh3_128(), bytearray(_BLOCK)
    view = memoryview(buffer)
    with path.open("rb", buffering=0) as handle:
        while size := handle.readinto(buffer):
            digest.update(view[:size])
    value = digest.hexdigest()
    if not remember:
        return value
    try:
        write_atomically(memo, value.encode("ascii"))  # makes the memo folder if need be
    except OSError as exc:
        raise CacheProblem(f"cannot write {memo.parent}: {exc.strerror or exc}", value) from None
    return value


def _memo_path(path: Path) -> Path:
    """Where the hash of ``path`` as it is now (path, inode, size, mtime, ctime) is remembered."""
    stat = path.stat()
    stamp = f"{path.resolve()}|{stat.st_dev}|{stat.st_ino}|{stat.st_size}|{stat.st_mtime_ns}|{stat.st_ctime_ns}"
    return cache_dir() / "stat-xxh3" / hashlib.blake2b(stamp.encode(), digest_size=16).hexdigest()


def entry_key(file_hash: str, options: dict) -> str:
    """Cache key of one file read with ``options``."""
    text = json.dumps({"v": CACHE_VERSION, "hash": file_hash, "options": options}, sort_keys=True)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


_writer: ThreadPoolExecutor | None = None
_pending: dict[Path, Future] = {}
_failed: list[str] = []
_lock = threading.Lock()


def flush() -> None:
    """Wait until every entry queued by this process is written (runs at interpreter exit)."""
    with _lock:
        waiting = list(_pending.values())
    for future in waiting:
        future.exception()


atexit.register(flush)


def _queue(final: Path, file_hash: str, capture: Capture) -> None:
    """Write an entry in the background; a failure is kept for the next load's warning."""
    global _writer

    def write() -> None:
        try:
            _write_entry(final, file_hash, capture)
        except Exception as exc:  # noqa: BLE001 — reported by the next load, never raised
            with _lock:
                _failed.append(f"could not store {capture.sources[0].path}: {_describe(exc)}")
        finally:
            with _lock:
                _pending.pop(final, None)

    with _lock:
        if final in _pending:
            return
        if _writer is None:
            _writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kit-cache")
        _pending[final] = _writer.submit(write)


def _wait_for(final: Path) -> None:
    """Wait for this process's write of ``final``, if one is under way."""
    with _lock:
        future = _pending.get(final)
    if future is not None:
        future.exception()


@dataclass
class Session:
    """One file's use of the cache: look it up, store it, and collect what went wrong with the
    cache on the way (for one ``cache-problem`` warning) instead of failing the load."""

    path: Path
    options: dict
    remember: bool = True
    """Remember the file's hash against its path (not for temporary files)."""
    file_hash: str = ""
    key: str = ""
    problems: list[str] = field(default_factory=list)

    def read(self, select: pl.Expr | None = None) -> Capture | None:
        """The cached capture of the file, or None (a miss, or a cache problem, recorded).
        ``select``: a catalogue filter (:func:`kit.io.perfmon.paths.counter_filter`); only the
        columns it keeps are read. An :class:`OSError` from the input file itself propagates."""
        try:
            self.file_hash = content_hash(self.path, remember=self.remember)
        except CacheProblem as exc:
            self.problems.append(exc.args[0])
            self.file_hash = exc.args[1]
        self.key = entry_key(self.file_hash, self.options)
        folder = cache_dir() / "entries" / self.key
        _wait_for(folder)
        try:
            if not folder.exists():
                return None
            return _read_entry(folder, self.file_hash, self.path, select)
        except Exception as exc:  # noqa: BLE001 — a damaged entry is a miss, and is replaced
            self.problems.append(f"entry {folder.name} was damaged ({_describe(exc)}) and is replaced")
            _discard(folder)
            return None

    def store(self, capture: Capture) -> Capture:
        """``capture`` with its cache key, queued to be stored under it in the background (after
        :meth:`read`). A folder that cannot be made is recorded now; a write that fails later is
        reported by the next load."""
        capture = replace(capture, sources=(replace(capture.sources[0], cache_key=self.key),))
        root = cache_dir() / "entries"
        try:
            root.mkdir(parents=True, exist_ok=True)
            if not os.access(root, os.W_OK | os.X_OK):
                raise PermissionError(13, "Permission denied", str(root))
        except OSError as exc:
            self.problems.append(f"cannot store the parsed file: {_describe(exc)}")
            return capture
        if not (root / self.key).exists():
            _queue(root / self.key, self.file_hash, capture)
        return capture

    def warnings(self) -> tuple[LoadWarning, ...]:
        """One ``cache-problem`` warning naming the cache folder and what to do, if anything went
        wrong (here, or in an earlier load's background write)."""
        with _lock:
            self.problems += _failed
            _failed.clear()
        if not self.problems:
            return ()
        text = "; ".join(dict.fromkeys(self.problems))
        return (LoadWarning(str(self.path), "cache-problem", f"cache folder {cache_dir()}: {text}; {_WHAT_TO_DO}"),)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def _read_entry(folder: Path, file_hash: str, path: Path, select: pl.Expr | None) -> Capture:
    """The capture in ``folder``, checked against its metadata; raises on any mismatch."""
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    if meta["version"] != CACHE_VERSION or meta["hash"] != file_hash:
        raise ValueError("made for another file or version")
    data_file = folder / "data.parquet"
    if data_file.stat().st_size != meta["data_bytes"] or _tail_sum(data_file) != meta["data_tail"]:
        raise ValueError("its data file is not the one written")
    name = str(path)
    cat = pl.read_parquet(folder / "catalog.parquet").with_columns(source=pl.lit(name))
    cat = with_english(cat).select(list(CATALOG_SCHEMA))
    columns = meta["columns"]
    if cat["column"].to_list() != columns[1:]:
        raise ValueError("its catalogue does not match its columns")
    if select is not None:
        cat = cat.filter(select)
    data = pl.read_parquet(data_file, columns=None if select is None else ["time", *cat["column"]])
    if data.height != meta["rows"] or (select is None and data.columns != columns):
        raise ValueError(f"{data.height} rows × {data.width} columns, {meta['rows']} × {len(columns)} written")
    info = meta["source"]
    for key_name in ("start", "end"):
        info[key_name] = None if info[key_name] is None else datetime.fromisoformat(info[key_name])
    info.update(path=name, hosts=tuple(info["hosts"]))
    warnings = tuple(LoadWarning(**{**w, "source": name}) for w in meta["warnings"])
    return Capture(data=data, catalog=cat, sources=(SourceInfo(**info),), warnings=warnings)


def _write_entry(final: Path, file_hash: str, capture: Capture) -> None:
    """Store a one-source capture as entry folder ``final``: staged in a private folder and
    renamed into place, so a reader never sees half an entry; the staging folder goes whatever
    happens."""
    if final.exists():
        return
    staging = Path(tempfile.mkdtemp(dir=final.parent, prefix=".tmp-"))
    try:
        data_file = staging / "data.parquet"
        # uncompressed, chosen by measurement (benchmarks step cache_formats): LZ4 cost 25 % more
        # CPU to write at full size (51 % at medium) for reads no faster; perfmon doubles barely compress
        capture.data.write_parquet(data_file, compression="uncompressed", statistics=False)
        capture.catalog.write_parquet(staging / "catalog.parquet")
        source = asdict(capture.sources[0])
        source.update(start=_text(source["start"]), end=_text(source["end"]))
        meta = {
            "version": CACHE_VERSION,
            "hash": file_hash,
            "rows": capture.data.height,
            "columns": capture.data.columns,
            "data_bytes": data_file.stat().st_size,
            "data_tail": _tail_sum(data_file),
            "source": source,
            "warnings": [w.__dict__ for w in capture.warnings],
        }
        (staging / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        try:
            os.replace(staging, final)
        except OSError:
            if not final.exists():  # another process's entry won the race: keep it
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _tail_sum(path: Path) -> str:
    """BLAKE2b of the last 64 KiB of ``path`` (a cheap check that a data file is the one written)."""
    with path.open("rb") as handle:
        handle.seek(max(0, handle.seek(0, 2) - _TAIL))
        return hashlib.blake2b(handle.read(), digest_size=16).hexdigest()


def _discard(folder: Path) -> None:
    """Remove a damaged entry: first renamed aside (atomic; a concurrent writer's fresh entry
    under the same name is never half-deleted), then deleted."""
    trash = folder.with_name(f".trash-{folder.name}-{os.getpid()}")
    try:
        os.rename(folder, trash)
    except OSError:
        return
    shutil.rmtree(trash, ignore_errors=True)


def _text(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def clear() -> None:
    """Delete every cache entry (after the writes under way)."""
    flush()
    shutil.rmtree(cache_dir(), ignore_errors=True)
