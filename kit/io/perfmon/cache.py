"""Parquet cache of parsed files, keyed by the file's content and the load options.

A file's content hash (SHA-256, which CPUs compute in hardware) is remembered against its path, size and modification time, the
way git's index does, so a second load of an unchanged file costs a ``stat`` and a Parquet read;
a file that was touched is hashed again, and a copy of a cached file elsewhere is found by its
content. Location: ``$KIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/hvlm-kit``, else
``~/.cache/hvlm-kit``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import polars as pl

from kit.errors import LoadWarning
from kit.inputs.capture import CATALOG_SCHEMA, Capture, SourceInfo
from kit.io.perfmon.names import with_english

CACHE_VERSION = "2"
"""Bump when the parsed form changes, so older entries are not used."""
_BLOCK = 8 << 20
_HEX = re.compile(r"[0-9a-f]{32}")


def cache_dir() -> Path:
    """The cache folder in use."""
    if os.environ.get("KIT_CACHE_DIR"):
        return Path(os.environ["KIT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "hvlm-kit"


def content_hash(path: Path) -> str:
    """SHA-256 (first 128 bits, hex) of the file's bytes, reusing the last hash while size and
    mtime are unchanged. (SHA-256 hashes 1.2 GB/s in memory here against BLAKE2b's 0.9 GB/s: it is
    what a first load of a multi-GB log waits for.)"""
    stat = path.stat()
    stamp = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    memo = cache_dir() / "stat-sha256" / hashlib.blake2b(stamp.encode(), digest_size=16).hexdigest()
    try:
        remembered = memo.read_text().strip()
    except OSError:
        remembered = ""
    if _HEX.fullmatch(remembered):  # a torn or empty memo is no hash: hash the file again
        return remembered
    digest, buffer = hashlib.sha256(), bytearray(_BLOCK)
    view = memoryview(buffer)
    with path.open("rb", buffering=0) as handle:
        while size := handle.readinto(buffer):
            digest.update(view[:size])
    value = digest.hexdigest()[:32]
    memo.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(memo, value)
    return value


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that no reader ever sees a part of it."""
    handle, staging = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "w") as out:
            out.write(text)
        os.replace(staging, path)
    except OSError:
        Path(staging).unlink(missing_ok=True)


def entry_key(file_hash: str, options: dict) -> str:
    """Cache key of one file read with ``options``."""
    text = json.dumps({"v": CACHE_VERSION, "hash": file_hash, "options": options}, sort_keys=True)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def read(key: str, path: Path, *, select: pl.Expr | None = None) -> Capture | None:
    """The cached capture of ``key`` (its source renamed to ``path``), or None on a miss.

    ``select``: a catalogue filter (:func:`kit.paths.counter_filter`); only the columns it keeps
    are read from the Parquet file (the source's metadata still describes the whole file).
    """
    folder = cache_dir() / "entries" / key
    name = str(path)
    try:
        meta = json.loads((folder / "meta.json").read_text())
        cat = pl.read_parquet(folder / "catalog.parquet").with_columns(source=pl.lit(name))
        cat = with_english(cat).select(list(CATALOG_SCHEMA))
        if select is not None:
            cat = cat.filter(select)
        data = pl.read_parquet(folder / "data.parquet", columns=None if select is None else ["time", *cat["column"]])
    except (OSError, ValueError, pl.exceptions.PolarsError):
        return None
    info = meta["source"]
    for key_name in ("start", "end"):
        info[key_name] = None if info[key_name] is None else datetime.fromisoformat(info[key_name])
    info.update(path=name, hosts=tuple(info["hosts"]))
    warnings = tuple(LoadWarning(**{**w, "source": name}) for w in meta["warnings"])
    return Capture(data=data, catalog=cat, sources=(SourceInfo(**info),), warnings=warnings)


def write(key: str, capture: Capture) -> None:
    """Store a one-source capture under ``key`` (atomically: a reader never sees half an entry)."""
    root = cache_dir() / "entries"
    root.mkdir(parents=True, exist_ok=True)
    final = root / key
    if final.exists():
        return
    staging = Path(tempfile.mkdtemp(dir=root, prefix=".tmp-"))
    try:
        capture.data.write_parquet(staging / "data.parquet", compression="lz4", statistics=False)
        capture.catalog.write_parquet(staging / "catalog.parquet")
        source = asdict(capture.sources[0])
        source.update(start=_text(source["start"]), end=_text(source["end"]))
        meta = {
            "source": source,
            "warnings": [w.__dict__ for w in capture.warnings],
        }
        (staging / "meta.json").write_text(json.dumps(meta))
        os.replace(staging, final)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)


def _text(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def clear() -> None:
    """Delete every cache entry."""
    shutil.rmtree(cache_dir(), ignore_errors=True)
