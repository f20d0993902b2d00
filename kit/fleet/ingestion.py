"""Ingest once: counter logs into the fleet dataset, one worker process per file at a time.

Each file (any format :func:`kit.load` reads) is one capture: it is hashed, and skipped when a
capture with its content key (:func:`kit.fleet.layout.capture_key`: bytes + load options) is already
in the dataset; otherwise it is loaded, split by host and UTC day into Parquet files written in a
private staging folder, and published: the data files and the catalogue are renamed into place
and the manifest ``captures/<key>.json`` is written last. The manifest is what marks a capture
ingested, and readers (:func:`kit.open_dataset`) only read captures that have one, so a crash at any
point leaves the dataset readable and the capture not ingested (an ingest run again finishes it).
A file ingested before with other bytes (same absolute path, new content) is replaced: its old
manifest, catalogue and data files go once the new ones are published.

Many ingests may run at once into one dataset (one per host on a scheduler): they share no file
but the folders, and a capture's files are only ever written under its own key.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import secrets
import shutil
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import polars as pl
from tqdm.auto import tqdm

from kit.contract import kit_version
from kit.errors import DatasetError, KitError, OptionError
from kit.fleet import layout
from kit.folders import write_atomically
from kit.inputs.capture import Capture
from kit.io import expand, load
from kit.io.common import offset_minutes
from kit.io.perfmon.cache import CacheProblem, content_hash

STALE_S = 3600.0
"""Staging folders and unpublished data files older than this are left over from a crashed
ingest and are removed by the next one (younger ones may belong to an ingest under way). [s]"""
PROGRESS_DELAY_S = 2.0
UNGUARDED = ('in a script, call kit.ingest under `if __name__ == "__main__":` (its worker processes are spawned and '
             "import the script), or pass workers=1")


@dataclass(frozen=True)
class IngestOutcome:
    """What became of one file."""

    path: str
    status: str
    """``ingested``, ``replaced`` (ingested, and an earlier version of the file removed),
    ``skipped`` (its content key is in the dataset already) or ``failed``."""
    key: str | None = None
    """Content key of the capture (None when the file could not be read)."""
    hosts: tuple[str, ...] = ()
    """Host partitions written."""
    dates: tuple[str, ...] = ()
    """UTC days written (``YYYY-MM-DD``)."""
    rows: int = 0
    """Samples of the capture. [rows]"""
    columns: int = 0
    """Counter columns of the capture."""
    file_bytes: int = 0
    """Size of the file. [bytes]"""
    seconds: float = 0.0
    """Time this file took in its worker (hash, load, write, publish). [s]"""
    load_seconds: float = 0.0
    """Of which :func:`kit.load`. [s]"""
    replaced: tuple[str, ...] = ()
    """Keys of the earlier versions it replaced."""
    message: str | None = None
    """Why it was skipped or failed, or why an ingested capture has no data files (a log with no
    samples), naming the file and what to do."""


@dataclass(frozen=True)
class IngestReport:
    """What :func:`ingest` did: one :class:`IngestOutcome` per file, in the order given."""

    dataset: str
    outcomes: tuple[IngestOutcome, ...]
    seconds: float
    """Wall time of the whole ingest. [s]"""
    workers: int
    removed: tuple[str, ...] = field(default=())
    """Left-overs of crashed ingests removed (paths relative to the dataset)."""

    def count(self, status: str) -> int:
        """Files with this ``status``."""
        return sum(o.status == status for o in self.outcomes)

    @property
    def failed(self) -> tuple[IngestOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status == "failed")

    def table(self) -> pl.DataFrame:
        """One row per file: path, status, key, hosts, dates, rows, columns, file_bytes [bytes],
        seconds [s], load_seconds [s], message."""
        schema = {
            "path": pl.String, "status": pl.String, "key": pl.String, "hosts": pl.List(pl.String),
            "dates": pl.List(pl.String), "rows": pl.Int64, "columns": pl.Int64, "file_bytes": pl.Int64,
            "seconds": pl.Float64, "load_seconds": pl.Float64, "message": pl.String,
        }
        return pl.DataFrame([{k: getattr(o, k) for k in schema} for o in self.outcomes], schema=schema)


def ingest(
    paths: str | Path | Iterable[str | Path],
    into: str | Path,
    *,
    workers: int | None = None,
    format: str | None = None,
    encoding: str | None = None,
    utc_offset: str | int | None = None,
    override_zone: bool = False,
    correct_dst: bool = True,
    decimal_comma: bool | None = None,
    progress: bool | None = None,
) -> IngestReport:
    """Ingest counter logs into the fleet dataset ``into`` (created if missing).

    Parameters
    ----------
    paths
        Files, folders or glob patterns (as :func:`kit.load` takes them); each file is one capture.
    into
        The dataset folder: new or empty, or a fleet dataset (``fleet.json``).
    workers
        Worker processes (default: the CPU count, at most one per file); 1 ingests in this process.
    format, encoding, utc_offset, override_zone, correct_dst, decimal_comma
        How to read the files (see :func:`kit.load`); part of each capture's content key.
    progress
        ``None``: a progress bar once the ingest has taken 2 s; ``True``: always; ``False``: never.

    A file that cannot be read is reported as ``failed`` with the reason and the others go on.
    Workers are spawned (not forked): a script that calls this with several workers needs the
    usual ``if __name__ == "__main__":`` guard (``python -m kit ingest`` and notebooks need none).
    Raises :class:`~kit.errors.DatasetError` when ``into`` is not a fleet dataset or cannot be
    written, and :class:`~kit.errors.InputNotFoundError` when ``paths`` name no file.
    """
    started = time.perf_counter()
    if getattr(multiprocessing.current_process(), "_inheriting", False):  # a spawned worker importing the script
        raise DatasetError(f"kit.ingest was called again while a worker process imported the script: {UNGUARDED}")
    root = prepare(into)
    files = expand(paths)
    if utc_offset is not None:
        offset_minutes(utc_offset)  # a malformed offset fails here, before any worker starts
    options = {
        "format": format, "encoding": encoding, "utc_offset": None if utc_offset is None else str(utc_offset),
        "override_zone": override_zone, "correct_dst": correct_dst, "decimal_comma": decimal_comma,
    }
    if workers is not None and (not isinstance(workers, int) or isinstance(workers, bool) or workers < 1):
        raise OptionError(f"workers={workers!r} is not a number of processes", hint="give 1 or more")
    count = max(1, min(workers or os.cpu_count() or 1, len(files)))
    removed = vacuum(root)
    versions = ingested_versions(root)  # read once here, not once per file
    earlier = [versions.get(str(p.resolve()), []) for p in files]
    bar = tqdm(total=len(files), unit="file", desc="ingesting", disable=progress is False,
               delay=0 if progress else PROGRESS_DELAY_S)
    outcomes: list[IngestOutcome] = []
    try:
        if count == 1:
            for path, before in zip(files, earlier):
                outcomes.append(ingest_file(str(path), str(root), options, before))
                bar.update(1)
        else:
            try:
                with spawned_pool(count) as pool:
                    for outcome in pool.map(ingest_file, [str(p) for p in files], [str(root)] * len(files),
                                            [options] * len(files), earlier):
                        outcomes.append(outcome)
                        bar.update(1)
            except BrokenProcessPool:
                raise DatasetError(
                    f"the ingest's worker processes stopped after {len(outcomes)} of {len(files)} files", path=root,
                    hint=f"{UNGUARDED}; a worker killed for lack of memory stops them too. The dataset is consistent: "
                    "run the ingest again to finish",
                ) from None
    finally:
        bar.close()
    return IngestReport(str(root), tuple(outcomes), time.perf_counter() - started, count, removed)


@contextmanager
def spawned_pool(count: int) -> Iterator[ProcessPoolExecutor]:
    """``count`` worker processes, spawned (a forked child of a process running polars' thread
    pool can deadlock), each with one polars thread: the workers share the cores. Polars sizes its
    pool when it is imported, before any initializer could run, so the setting goes into the
    environment the workers are spawned with (they are spawned as work is submitted)."""
    before = os.environ.get("POLARS_MAX_THREADS")
    os.environ["POLARS_MAX_THREADS"] = "1"
    try:
        with ProcessPoolExecutor(max_workers=count, mp_context=multiprocessing.get_context("spawn")) as pool:
            yield pool
    finally:
        if before is None:
            os.environ.pop("POLARS_MAX_THREADS", None)
        else:
            os.environ["POLARS_MAX_THREADS"] = before


def prepare(into: str | Path) -> Path:
    """The dataset folder ``into``, created with its ``fleet.json`` if new or empty; raises
    :class:`~kit.errors.DatasetError` for a folder holding something else or another version."""
    root = Path(into)
    marker = root / layout.MARKER
    try:
        if marker.is_file():
            check_marker(root)
            return root
        if root.exists() and not root.is_dir():
            raise DatasetError("is a file, not a dataset folder", path=root, hint="name a folder for the dataset")
        if root.is_dir() and any(root.iterdir()):
            raise DatasetError(
                "this folder holds other files and is not a fleet dataset (no fleet.json)", path=root,
                hint="name a new or empty folder, or an existing fleet dataset",
            )
        root.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"layout": layout.LAYOUT, "version": layout.LAYOUT_VERSION, "created": _now(),
                           "kit_version": kit_version()}, indent=1)
        write_atomically(marker, text.encode())
    except OSError as exc:
        raise DatasetError(f"cannot create the dataset: {exc.strerror or exc}", path=root,
                           hint="check the folder's permissions and free space") from None
    return root


def check_marker(root: Path) -> dict:
    """The contents of ``root/fleet.json``; raises :class:`~kit.errors.DatasetError` unless it
    is a fleet dataset of this layout version."""
    marker = root / layout.MARKER
    try:
        meta = json.loads(marker.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DatasetError("is not a fleet dataset (no fleet.json)", path=root,
                           hint="make one with: python -m kit ingest FILES... --into FOLDER") from None
    except (OSError, ValueError) as exc:
        raise DatasetError(f"its fleet.json cannot be read: {exc}", path=root) from None
    if not isinstance(meta, dict) or meta.get("layout") != layout.LAYOUT:
        raise DatasetError("fleet.json does not describe a fleet dataset", path=root)
    if meta.get("version") != layout.LAYOUT_VERSION:
        raise DatasetError(
            f"a fleet dataset of layout version {meta.get('version')}, this kit reads version {layout.LAYOUT_VERSION}",
            path=root, hint="ingest the captures again into a new folder",
        )
    return meta


def ingest_file(path: str, root: str, options: dict, earlier: list[str] | None = None) -> IngestOutcome:
    """Ingest one file into the dataset at ``root`` (the worker of :func:`ingest`); ``earlier``:
    keys of the captures ingested before from the same file (default: looked up)."""
    started = time.perf_counter()
    file, dataset = Path(path), Path(root)
    try:
        size = file.stat().st_size
        key = layout.capture_key(_hash(file), options)
    except OSError as exc:
        return IngestOutcome(path, "failed", message=f"{path}: cannot read the file: {exc.strerror or exc}")
    manifest = dataset / layout.CAPTURES / f"{key}.json"
    if manifest.is_file():
        first = _read_json(manifest).get("path", "?")
        note = "already ingested" + ("" if first == path else f" (the same content as {first})")
        return IngestOutcome(path, "skipped", key=key, file_bytes=size, seconds=time.perf_counter() - started,
                             message=f"{path}: {note}")
    try:
        loaded = time.perf_counter()
        capture = load(file, cache_results=False, progress=False, **_load_options(options))
        load_seconds = time.perf_counter() - loaded
    except KitError as exc:
        return IngestOutcome(path, "failed", key=key, file_bytes=size, message=str(exc))
    stage = dataset / layout.STAGING / f"{key}-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        stage.mkdir(parents=True)
        parts = _write_parts(capture, key, stage)
        capture.catalog.select(pl.lit(key).alias("capture"), *capture.catalog.columns).write_parquet(
            stage / "catalog.parquet"
        )
        identity = str(file.resolve())
        record = {
            "layout": layout.LAYOUT_VERSION, "key": key, "path": path, "identity": identity, "file_bytes": size,
            "options": options, "ingested_at": _now(), "kit_version": kit_version(),
            "hosts": sorted({p["host"] for p in parts}), "start": layout.iso(capture.start),
            "end": layout.iso(capture.end), "rows": capture.data.height, "columns": capture.catalog.height,
            "parts": parts,
            "sources": [_source_dict(s) for s in capture.sources],
            "warnings": [_warning_dict(w) for w in capture.warnings],
        }
        if earlier is None:
            earlier = ingested_versions(dataset).get(identity, [])
        earlier = sorted(k for k in earlier if k != key)
        publish(stage, dataset, key, parts, json.dumps(record, indent=1).encode())
        for old in earlier:
            remove_capture(dataset, old)
    except OSError as exc:
        return IngestOutcome(path, "failed", key=key, file_bytes=size, message=(
            f"{path}: cannot write the dataset {root}: {exc.strerror or exc} (check free space and permissions; "
            "the capture is not ingested, run the ingest again)"))
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    empty = None if parts else (
        f"{path}: no samples could be read (see its no-data warning in captures/{key}.json): only its catalogue "
        "and warnings are in the dataset; check the collector ran, or relog the file")
    return IngestOutcome(
        path, "replaced" if earlier else "ingested", key=key, hosts=tuple(record["hosts"]),
        dates=tuple(sorted({p["date"] for p in parts})), rows=capture.data.height, columns=capture.catalog.height,
        file_bytes=size, seconds=time.perf_counter() - started, load_seconds=load_seconds, replaced=tuple(earlier),
        message=empty,
    )


def _hash(file: Path) -> str:
    """The file's content hash, remembered against its path, inode, size and times in the kit's
    cache folder (:func:`kit.io.perfmon.cache.content_hash`): a file ingested again unchanged
    costs a ``stat``. A memo that cannot be written is no error: the hash is known."""
    try:
        return content_hash(file)
    except CacheProblem as exc:
        return exc.args[1]


def _load_options(options: dict) -> dict:
    return {k: v for k, v in options.items() if k != "utc_offset" or v is not None}


def _write_parts(capture: Capture, key: str, stage: Path) -> list[dict]:
    """Write ``capture`` as one Parquet file per host partition and UTC day under ``stage``;
    return each file's entry of the manifest."""
    catalog = capture.catalog.with_columns(partition=layout.partition_of("host"))
    days = _days(capture.data)
    parts = []
    for host, columns in catalog.group_by("partition", maintain_order=True).agg(pl.col("column")).iter_rows():
        for day, frame in days.items():
            rows = _host_rows(capture, catalog.filter(pl.col("partition") == host), frame)
            if not rows.height:
                continue
            relative = layout.data_file(host, day, key)
            target = stage / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            rows.select("time", *columns).write_parquet(
                target, compression=layout.COMPRESSION, row_group_size=layout.ROW_GROUP_ROWS, statistics=layout.STATISTICS
            )
            parts.append({
                "host": host, "date": day.isoformat(), "file": relative, "rows": rows.height, "columns": len(columns),
                "start": layout.iso(rows["time"].min()), "end": layout.iso(rows["time"].max()),
            })
    return parts


def _days(data: pl.DataFrame) -> dict[date, pl.DataFrame]:
    """The rows of ``data`` by UTC day: slices of it (no copy) when its times are in order, as
    a log's are unless its clock stepped back."""
    if not data.height:
        return {}
    times = data["time"]
    if times.is_sorted():
        runs = times.dt.date().rle().struct.unnest().with_columns(offset=pl.col("len").cum_sum() - pl.col("len"))
        return {day: data.slice(offset, length) for length, day, offset in runs.iter_rows()}
    split = data.with_columns(__day=pl.col("time").dt.date()).partition_by(
        "__day", as_dict=True, maintain_order=True, include_key=False)
    return {day: frame for (day,), frame in split.items()}


def _host_rows(capture: Capture, catalog: pl.DataFrame, frame: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``frame`` that are samples of the logs of ``catalog``'s columns (every row when
    the capture is one log)."""
    if not capture.log_times:
        return frame
    sources = catalog["source"].unique().to_list()
    times = [capture.log_times[s] for s in sources if s in capture.log_times]
    if len(times) < len(sources):
        return frame
    return frame.filter(pl.col("time").is_in(pl.concat(times).implode()))


def publish(stage: Path, dataset: Path, key: str, parts: list[dict], manifest: bytes) -> None:
    """Move a staged capture into the dataset: data files, then catalogue, then (the commit) its
    manifest. Until the manifest is written no reader sees the capture."""
    for part in parts:
        final = dataset / part["file"]
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(stage / part["file"], final)
    (dataset / layout.CATALOG).mkdir(exist_ok=True)
    os.replace(stage / "catalog.parquet", dataset / layout.CATALOG / f"{key}.parquet")
    write_manifest(dataset / layout.CAPTURES / f"{key}.json", manifest)


def write_manifest(path: Path, manifest: bytes) -> None:
    """The commit point of an ingest: the manifest, written atomically."""
    write_atomically(path, manifest)


def remove_capture(dataset: Path, key: str) -> None:
    """Remove a capture: its manifest first (it is then no longer ingested), then its catalogue
    and data files."""
    manifest = dataset / layout.CAPTURES / f"{key}.json"
    record = _read_json(manifest)
    manifest.unlink(missing_ok=True)
    (dataset / layout.CATALOG / f"{key}.parquet").unlink(missing_ok=True)
    for part in record.get("parts", []):
        (dataset / part["file"]).unlink(missing_ok=True)


def vacuum(dataset: str | Path, *, older_than_s: float = STALE_S) -> tuple[str, ...]:
    """Remove what crashed ingests left behind: staging folders, and data files and catalogues
    with no manifest, last changed over ``older_than_s`` ago (younger ones may belong to an
    ingest under way in another process). Returns the paths removed, relative to the dataset."""
    root = Path(dataset)
    now = time.time()
    removed = []

    def stale(path: Path) -> bool:
        try:
            return now - path.stat().st_mtime >= older_than_s
        except OSError:
            return False

    staging = root / layout.STAGING
    if staging.is_dir():
        for folder in staging.iterdir():
            if stale(folder):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder.relative_to(root).as_posix())
    published = {p.stem for p in (root / layout.CAPTURES).glob("*.json")}
    leftovers = [*(root / layout.DATA).glob("host=*/date=*/*.parquet"), *(root / layout.CATALOG).glob("*.parquet")]
    for path in leftovers:
        if path.stem not in published and stale(path):
            path.unlink(missing_ok=True)
            removed.append(path.relative_to(root).as_posix())
    return tuple(sorted(removed))


def ingested_versions(dataset: Path) -> dict[str, list[str]]:
    """The keys of the captures in the dataset by the file they came from (absolute path)."""
    found: dict[str, list[str]] = {}
    for manifest in sorted((dataset / layout.CAPTURES).glob("*.json")):
        identity = _read_json(manifest).get("identity")
        if identity:
            found.setdefault(identity, []).append(manifest.stem)
    return found


def _read_json(path: Path) -> dict:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _source_dict(source) -> dict:
    out = asdict(source)
    out.update(start=layout.iso(source.start), end=layout.iso(source.end), hosts=list(source.hosts))
    return out


def _warning_dict(warning) -> dict:
    out = asdict(warning)
    out.update(skipped_lines=list(warning.skipped_lines), skipped_columns=list(warning.skipped_columns))
    return out


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()

