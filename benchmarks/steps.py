"""The measured steps. Each runs in its own process (``run.py`` starts ``python steps.py <step>
<config.json>``), times only its operation(s) with ``perf_counter`` and prints one JSON line:
``{"times": {part: seconds}, "cpu_s": {part: CPU seconds}, "rss_before_mb": …, "peak_rss_mb": …, "info": {…}}``.

Peak RSS is the process's high-water mark (``VmHWM`` of ``/proc/self/status``; ``ru_maxrss`` where
there is no ``/proc``), interpreter and imports included; ``rss_before_mb`` is the resident size just
before the timed work.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _peak_mb() -> float:
    """This process's own peak RSS. Not ``ru_maxrss`` on Linux: it carries the parent's resident
    size at the fork across ``exec`` (run.py after generating a capture held 0.5 GB at small size,
    and every step reported at least that)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    """CPU seconds (user + system) of this process's threads and its waited-for children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class Timer:
    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        """CPU seconds of each part (all threads): the work, whatever else the machine runs."""
        self.info: dict = {}
        self.before: float | None = None

    def start(self) -> None:
        if self.before is None:
            self.before = _rss_mb()

    def run(self, name: str, fn, *args, **kwargs):
        self.start()
        c0, t0 = _cpu_s(), time.perf_counter()
        out = fn(*args, **kwargs)
        self.times[name] = time.perf_counter() - t0
        self.cpu[name] = _cpu_s() - c0
        return out


def _header(path: str) -> list[str]:
    import polars as pl

    return pl.read_csv(path, n_rows=0).columns


def _schema(names: list[str]):
    import polars as pl

    return {names[0]: pl.String} | {name: pl.Float64 for name in names[1:]}


def _parquet(cfg: dict) -> Path:
    found = sorted(Path(cfg["cache_dir"], "entries").glob("*/data.parquet"))
    if not found:
        raise SystemExit("no cache entry: run the kit_first/prepare step first")
    return found[0]


def _warm_capture(cfg: dict):
    import kit

    os.environ["KIT_CACHE_DIR"] = cfg["cache_dir"]
    return kit.load(cfg["csv"], progress=False)


# ------------------------------------------------------------------------------------------------


def floor_csv(cfg: dict, t: Timer) -> None:
    """Bare parser floor: polars.read_csv, full schema (time text, values Float64), " " = null."""
    import polars as pl

    schema = _schema(_header(cfg["csv"]))
    frame = t.run("read", pl.read_csv, cfg["csv"], schema=schema, null_values=" ")
    t.info["shape"] = list(frame.shape)


def pandas_c(cfg: dict, t: Timer) -> None:
    """pandas.read_csv, C engine, float64 dtypes given, " " = NaN; then the melt a user writes."""
    import pandas as pd

    names = _header(cfg["csv"])
    frame = t.run(
        "read", pd.read_csv, cfg["csv"], engine="c", dtype={n: "float64" for n in names[1:]},
        na_values=[" "], keep_default_na=False,
    )
    if cfg.get("melt"):
        long = t.run("melt", frame.melt, id_vars=[names[0]], var_name="counter", value_name="value")
        t.info["melt_rows"] = len(long)


def pandas_arrow(cfg: dict, t: Timer) -> None:
    """pandas.read_csv, pyarrow engine, float64 dtypes given, " " = NaN."""
    import pandas as pd

    names = _header(cfg["csv"])
    t.run(
        "read", pd.read_csv, cfg["csv"], engine="pyarrow", dtype={n: "float64" for n in names[1:]},
        na_values=[" "], keep_default_na=False,
    )


def kit_cold(cfg: dict, t: Timer) -> None:
    """kit.load of the CSV, cache off."""
    import kit

    capture = t.run("load", kit.load, cfg["csv"], cache_results=False, progress=False)
    t.info["shape"] = list(capture.data.shape)
    t.info["warnings"] = sorted({w.code for w in capture.warnings})


def kit_first(cfg: dict, t: Timer) -> None:
    """kit.load with an empty cache: hash the file, parse (``load``), then the entry's Parquet
    write, which runs in the background (``write``: the wait for it to end)."""
    import kit
    from kit.io.perfmon import cache

    with tempfile.TemporaryDirectory(dir=cfg["work"]) as tmp:
        os.environ["KIT_CACHE_DIR"] = tmp
        t.run("load", kit.load, cfg["csv"], progress=False)
        t.run("write", cache.flush)


def first_profile(cfg: dict, t: Timer) -> None:
    """What ``kit_first`` does, one piece at a time and each waited for (issue 16 §1's profile): the
    content hash (``hash``), the parse with the cache off (``parse``), queueing the entry
    (``enqueue``: the capture handed to the background writer) and the entry's write
    (``write``: Parquet data + catalogue + meta, staged and renamed, as the writer does it)."""
    import kit
    from kit.io.perfmon import cache

    path = Path(cfg["csv"])
    file_hash = t.run("hash", cache.content_hash, path, remember=False)
    capture = t.run("parse", kit.load, path, cache_results=False, progress=False)
    with tempfile.TemporaryDirectory(dir=cfg["work"]) as tmp:
        os.environ["KIT_CACHE_DIR"] = tmp
        session = cache.Session(path, {"benchmark": "first_profile"}, remember=False)
        session.file_hash, session.key = file_hash, cache.entry_key(file_hash, session.options)
        t.run("enqueue", session.store, capture)
        t.run("write", cache.flush)
        entry = Path(tmp, "entries", session.key, "data.parquet")
        t.info["parquet_bytes"] = entry.stat().st_size if entry.exists() else None
    t.info["file_bytes"] = path.stat().st_size


CACHE_FORMATS = {
    "parquet_lz4": ("parquet", {"compression": "lz4", "statistics": False}),  # the cache's entries before 983ba10
    "parquet_none": ("parquet", {"compression": "uncompressed", "statistics": False}),  # the cache's entries now
    "parquet_zstd1": ("parquet", {"compression": "zstd", "compression_level": 1, "statistics": False}),
    "ipc_none": ("ipc", {"compression": "uncompressed"}),
    "ipc_lz4": ("ipc", {"compression": "lz4"}),
}
"""Ways a cache entry's data could be written (issue 16 §1: settings chosen by measurement)."""


def cache_formats(cfg: dict, t: Timer) -> None:
    """The parsed capture (untimed) written and read back in each of :data:`CACHE_FORMATS`
    (``write_<name>``, ``read_<name>``; ``info``: each file's size). Compare the writes' CPU
    seconds with ``first_profile``'s ``write`` and the floor's parse."""
    import polars as pl

    import kit

    frame = kit.load(cfg["csv"], cache_results=False, progress=False).data
    with tempfile.TemporaryDirectory(dir=cfg["work"]) as tmp:
        for name, (kind, options) in CACHE_FORMATS.items():
            path = Path(tmp, name)
            t.run(f"write_{name}", getattr(frame, f"write_{kind}"), path, **options)
            t.run(f"read_{name}", getattr(pl, f"read_{kind}"), path)
            t.info[f"{name}_mb"] = round(path.stat().st_size / 2**20, 1)
            path.unlink()
    t.info["frame_mb"] = round(frame.estimated_size() / 2**20, 1)


def progress_bar(cfg: dict, t: Timer) -> None:
    """Issue 16 §7: ``kit.load`` with its progress bar on (``progress=True``, cache off), the bar's
    output captured: its total and last count are the file's bytes, and the postfix names the phase
    while the one big file is parsed. Compare its time with ``kit_cold`` (the bar's cost)."""
    import contextlib
    import io
    import re

    import kit

    out = io.StringIO()
    with contextlib.redirect_stderr(out):
        t.run("load", kit.load, cfg["csv"], cache_results=False, progress=True)
    frames = [f.strip() for f in re.split(r"[\r\n]+", out.getvalue()) if f.strip()]
    t.info |= {"file_bytes": Path(cfg["csv"]).stat().st_size, "refreshes": len(frames),
               "first": frames[0][:160] if frames else None, "last": frames[-1][:160] if frames else None,
               "phases": sorted({f.rsplit(": ", 1)[-1].rstrip("]") for f in frames if ": " in f})[:10]}


def week(cfg: dict, t: Timer) -> None:
    """Issue 16 §6, a week on one laptop: the week's capture (604,800 rows × 500 counters) loaded
    with ``counters=[…]`` (a user's first load: default cache, empty), then ``find_migrations``
    and ``kit.analyze``; the whole within 8 GB peak and under a minute."""
    import kit
    from kit.analysis.windows import find_migrations

    with tempfile.TemporaryDirectory(dir=cfg["work"]) as tmp:
        os.environ["KIT_CACHE_DIR"] = tmp
        capture = t.run("load", kit.load, cfg["csv"], counters=cfg["week_counters"], progress=False)
        windows = t.run("find_migrations", find_migrations, capture)
        result = t.run("analyze", kit.analyze, capture)
    t.info |= {"shape": list(capture.data.shape), "windows": windows.height,
               "migrations": len(result.migrations), "file_bytes": Path(cfg["csv"]).stat().st_size,
               "frame_mb": round(capture.data.estimated_size() / 2**20, 1),
               "rows_in_table": result.table().height}


def week_profile(cfg: dict, t: Timer) -> None:
    """What bounds ``week``'s analysis: the loaded capture (untimed) has its columns in many chunks
    (``info``); 20 calls of ``TimeBase.frame`` for the four NICs' bytes received over one
    migration (``frame20_as_loaded``; ``kit.analyze`` makes 264 such calls for 56 migrations;
    each call's median in ``info``), the same after ``data.rechunk()`` (``rechunk``, then
    ``frame20_rechunked``), and ``find_migrations`` + ``kit.analyze`` on the rechunked capture."""
    import statistics
    from dataclasses import replace

    import kit
    from kit.analysis.windows import find_migrations
    from kit.inputs.timebase import overlaps

    with tempfile.TemporaryDirectory(dir=cfg["work"]) as tmp:
        os.environ["KIT_CACHE_DIR"] = tmp
        capture = kit.load(cfg["csv"], counters=cfg["week_counters"], progress=False)
    found = find_migrations(capture)
    start, end = found["start"][len(found) // 2], found["end"][len(found) // 2]
    nics = [c for c in capture.data.columns if "Network Interface" in c and c.endswith("Bytes Received/sec")]

    def frames(base) -> float:
        runs = []
        for _ in range(20):
            started = time.perf_counter()
            base.timebase.frame(nics, where=overlaps(start, end))
            runs.append(time.perf_counter() - started)
        return statistics.median(runs)

    t.start()
    t.info["frame_median_as_loaded_s"] = t.run("frame20_as_loaded", frames, capture)
    t.info["chunks_as_loaded"] = capture.data["time"].n_chunks()
    data = t.run("rechunk", capture.data.rechunk)
    rechunked = replace(capture, data=data)
    t.info["frame_median_rechunked_s"] = t.run("frame20_rechunked", frames, rechunked)
    t.run("find_migrations", find_migrations, rechunked)
    result = t.run("analyze", kit.analyze, rechunked)
    t.info |= {"chunks_rechunked": data["time"].n_chunks(), "migrations": len(result.migrations)}


def prepare_cache(cfg: dict, t: Timer) -> None:
    """Fill the shared cache (not a measurement)."""
    from kit.io.perfmon import cache

    _warm_capture(cfg)
    cache.flush()
    t.info["parquet"] = str(_parquet(cfg))
    t.info["parquet_bytes"] = _parquet(cfg).stat().st_size


def floor_parquet(cfg: dict, t: Timer) -> None:
    """Bare polars.read_parquet of the kit's cache entry."""
    import polars as pl

    path = _parquet(cfg)
    t.run("read", pl.read_parquet, path)


def kit_warm(cfg: dict, t: Timer) -> None:
    """kit.load of the same CSV again: a cache hit (stat memo + Parquet read)."""
    import kit

    os.environ["KIT_CACHE_DIR"] = cfg["cache_dir"]
    t.run("load", kit.load, cfg["csv"], progress=False)


def cache50_kit(cfg: dict, t: Timer) -> None:
    """50 counters from the cache: kit.load(path, counters=[their paths]) (a cache hit)."""
    import kit

    os.environ["KIT_CACHE_DIR"] = cfg["cache_dir"]
    capture = t.run("load", kit.load, cfg["csv"], counters=cfg["select"], progress=False)
    t.info["shape"] = list(capture.data.shape)


def cache50_floor(cfg: dict, t: Timer) -> None:
    """50 counters from the Parquet entry with polars.read_parquet(columns=…)."""
    import polars as pl

    t.run("read", pl.read_parquet, _parquet(cfg), columns=["time", *cfg["select"]])


def csv50_floor(cfg: dict, t: Timer) -> None:
    """50 counters straight from the CSV: polars.read_csv(columns=…) with their schema."""
    import polars as pl

    names = _header(cfg["csv"])
    wanted = [names[0], *cfg["select"]]
    frame = t.run(
        "read", pl.read_csv, cfg["csv"], columns=wanted, schema=_schema(names), null_values=" ",
    )
    t.info["shape"] = list(frame.shape)


def csv50_kit(cfg: dict, t: Timer) -> None:
    """50 counters straight from the CSV: kit.load(path, counters=[their paths], cache off)."""
    import kit

    capture = t.run("load", kit.load, cfg["csv"], counters=cfg["select"], cache_results=False, progress=False)
    t.info["shape"] = list(capture.data.shape)


def kit_cp1252(cfg: dict, t: Timer) -> None:
    """kit.load of the cp1252 copy (header with non-ASCII, detected), cache off."""
    import kit

    capture = t.run("load", kit.load, cfg["cp1252"], cache_results=False, progress=False)
    t.info["encoding"] = capture.sources[0].encoding if hasattr(capture.sources[0], "encoding") else None


def kit_utf16(cfg: dict, t: Timer) -> None:
    """kit.load of the UTF-16 LE (BOM) copy, cache off."""
    import kit

    t.run("load", kit.load, cfg["utf16"], cache_results=False, progress=False)


def analyses(cfg: dict, t: Timer) -> None:
    """The analyses on the capture (loaded from the cache, untimed)."""
    import kit
    from kit.analysis.cores import core_frame
    from kit.analysis.windows import find_migrations

    capture = _warm_capture(cfg)
    host = capture.hosts[0]
    windows = t.run("find_migrations", find_migrations, capture)
    t.run("core_frame", core_frame, capture, host)
    result = t.run("analyze", kit.analyze, capture)
    t.info["migrations"] = windows.height
    t.info["table"] = result.table().select(
        "vm", "source", "destination", "duration_s", "mean_gbps", "active_cores", "expected_cores"
    ).to_dicts()


def charts(cfg: dict, t: Timer) -> None:
    """Chart specs (``.to_dict()``) for the capture's analysis (analysis untimed)."""
    import warnings

    import kit
    from kit.viz import charts as ch

    warnings.simplefilter("ignore")
    capture = _warm_capture(cfg)
    result = kit.analyze(capture)
    incoming = next(m for m in result.migrations if any(leg.role == "destination" for leg in m.legs))
    leg = next(leg for leg in incoming.legs if leg.role == "destination")
    outgoing = next((m for m in result.migrations if any(leg.role == "source" for leg in m.legs)), incoming)
    specs = {
        "throughput_chart": lambda: ch.throughput_chart(result).to_dict(),
        "histogram_chart": lambda: ch.histogram_chart(result).to_dict(),
        "cdf_chart": lambda: ch.cdf_chart(result).to_dict(),
        "core_heatmap": lambda: ch.core_heatmap(leg).to_dict(),
        "core_bars": lambda: ch.core_bars(leg).to_dict(),
        "blackout_chart": lambda: ch.blackout_chart(outgoing).to_dict(),
        "channel_chart": lambda: ch.channel_chart(incoming).to_dict(),
    }
    for name, fn in specs.items():
        try:
            spec = t.run(name, fn)
            t.info[name + "_bytes"] = len(json.dumps(spec, default=str))
        except Exception as exc:  # noqa: BLE001 - a chart the capture cannot make is reported
            t.info[name + "_error"] = f"{type(exc).__name__}: {exc}"[:200]


def ps_floor(cfg: dict, t: Timer) -> None:
    """Bare parser floor of the PowerShell long CSV: polars.read_csv with its defaults."""
    import polars as pl

    frame = t.run("read", pl.read_csv, cfg["powershell"])
    t.info |= {"shape": list(frame.shape), "file_bytes": os.path.getsize(cfg["powershell"])}


def ps_kit(cfg: dict, t: Timer) -> None:
    """kit.load of the PowerShell long CSV (pivoted wide), cache off."""
    import kit

    capture = t.run("load", kit.load, cfg["powershell"], cache_results=False, progress=False)
    t.info |= {"shape": list(capture.data.shape), "file_bytes": os.path.getsize(cfg["powershell"])}
    t.info["warnings"] = sorted({w.code for w in capture.warnings})


def ps_one(cfg: dict, t: Timer) -> None:
    """One counter of the PowerShell long CSV: kit.load(path, counters=[its path]), cache off."""
    import kit

    capture = t.run(
        "load", kit.load, cfg["powershell"], counters=[cfg["ps_counter"]], cache_results=False, progress=False
    )
    t.info |= {"shape": list(capture.data.shape), "file_bytes": os.path.getsize(cfg["powershell"])}


def blg_kit(cfg: dict, t: Timer) -> None:
    """kit.load of the same capture as a binary perfmon log (.blg, benchmarks/blg.py), cache off."""
    import kit

    capture = t.run("load", kit.load, cfg["blg"], cache_results=False, progress=False)
    t.info["shape"] = list(capture.data.shape)
    t.info["warnings"] = sorted({w.code for w in capture.warnings})
    t.info["file_bytes"] = Path(cfg["blg"]).stat().st_size


STEPS = {f.__name__: f for f in [
    floor_csv, pandas_c, pandas_arrow, kit_cold, kit_first, first_profile, prepare_cache, floor_parquet, kit_warm,
    cache50_kit, cache50_floor, csv50_floor, csv50_kit, kit_cp1252, kit_utf16, analyses, charts,
    ps_floor, ps_kit, ps_one, blg_kit, progress_bar, week, week_profile, cache_formats,
]}
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks import user_steps  # noqa: E402 - the report, command line and widget steps (issue 16 §3, §4)

STEPS |= {f.__name__: f for f in user_steps.STEPS}


CSV_READERS = {
    "floor_csv": "csv", "pandas_c": "csv", "pandas_arrow": "csv", "kit_cold": "csv", "kit_first": "csv",
    "first_profile": "csv", "progress_bar": "csv", "week": "csv", "week_profile": "csv", "cache_formats": "csv",
    "csv50_floor": "csv", "csv50_kit": "csv", "kit_cp1252": "cp1252", "kit_utf16": "utf16",
    "ps_floor": "powershell", "ps_kit": "powershell", "ps_one": "powershell", "blg_kit": "blg",
}
"""Steps that parse a text file, and which one (a key of the config)."""


def cache_only(path: str, others: list[str]) -> None:
    """Untimed: drop ``others`` from the page cache, then read ``path`` once through a 1 MB
    buffer, so that the step parses its file from memory with the memory a user would have (the
    three copies of the full capture, 14 GB, do not all fit beside a step's 5–12 GB)."""
    for other in others if hasattr(os, "posix_fadvise") else ():  # not on Windows
        with open(other, "rb") as handle:
            os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
    buffer = bytearray(1 << 20)
    with open(path, "rb", buffering=0) as handle:
        while handle.readinto(buffer):
            pass


def main() -> None:
    name, config = sys.argv[1], json.loads(Path(sys.argv[2]).read_text())
    sys.path.insert(0, config["root"])
    if name in CSV_READERS:
        mine = config[CSV_READERS[name]]
        others = [config[key] for key in set(CSV_READERS.values()) if config.get(key) not in (mine, None)]
        cache_only(mine, others)
    timer = Timer()
    STEPS[name](config, timer)
    print(json.dumps({
        "times": timer.times, "cpu_s": timer.cpu, "rss_before_mb": timer.before, "peak_rss_mb": _peak_mb(), "info": timer.info,
    }))


if __name__ == "__main__":
    main()
