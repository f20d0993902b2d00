"""Fleet benchmark (issue 18): ingest throughput against single-file loads × workers, fleet
analysis time and peak memory at 4, 8, 16 and 32 host-days, and DuckDB over the migrations table.

A synthetic fleet from the seeded generator: four hosts (two pairs), each pair a
:class:`kit.sample.generator.Scenario` per day of ``--hours`` of 1 s samples with live migrations
back and forth every 15 minutes. A *host-day* is one host's capture of one day (``--hours`` of it: a real day of 1 s
samples would take the generator an hour per host-day on this machine). Every step runs in
a fresh process (``nice -n N``), so its time and peak RSS are its own::

    python3 benchmarks/fleet.py                       # 1 h a host-day, 4…32 host-days, 2 workers
    python3 benchmarks/fleet.py --hours 0.05 --sizes 4 --no-save    # seconds: the smoke test's

Generated captures and datasets go to ``benchmarks/work/fleet/`` (git-ignored) and are reused;
results to ``benchmarks/results/<machine>-fleet-<date>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "work" / "fleet"
RESULTS = ROOT / "benchmarks" / "results"
HOSTS = ("HV01", "HV02", "HV03", "HV04")
START_LOCAL = datetime(2025, 6, 2, 0, 30, 0)
"""First day's capture start (W. Europe summer time, UTC+2: 22:30 UTC the day before)."""
LOGICAL_PROCESSORS = 64
"""Per host: 453 counters at 64 logical processors, 36 MB of CSV per host-hour."""
EVERY_S = 900.0
"""A migration every 15 minutes. [s]"""
QUERIES = {
    "slowest": "SELECT vm, source, destination, start, duration_s, gb_moved, mean_gbps "
               "FROM read_parquet('{d}/migrations/*.parquet') ORDER BY duration_s DESC LIMIT 10",
    "blackouts_per_host": "SELECT source, count(*) AS migrations, count(*) FILTER (WHERE blackout_s > 2) AS over_2s, "
                          "max(blackout_upper_s) AS worst_upper_s FROM read_parquet('{d}/migrations/*.parquet') "
                          "GROUP BY source ORDER BY over_2s DESC",
    "per_day_and_transport": "SELECT date, transport, count(*) AS n, median(duration_s) AS median_s, "
                             "avg(mean_gbps) AS mean_gbps FROM read_parquet('{d}/migrations/*.parquet') "
                             "GROUP BY ALL ORDER BY ALL",
}
"""The DuckDB queries timed over the 32-host-day migrations table."""


def scenarios(days: int, hours: float):
    """Two pairs of hosts per day, each a scenario of ``hours`` with migrations every 15 min."""
    from kit.sample.generator import Migration, Scenario

    out = []
    span = hours * 3600
    count = max(2, int(span // EVERY_S))
    for day in range(days):
        for pair, (a, b) in enumerate((HOSTS[:2], HOSTS[2:])):
            vms = (f"D{day + 1}-{a}-VM1", f"D{day + 1}-{a}-VM2")
            moves, direction = [], {vm: "forward" for vm in vms}
            for k in range(count):
                vm = vms[k % 2]
                moves.append(Migration(vm, 4.0 + 2 * (k % 3), 150.0, 0.6, direction[vm], 30.0 + k * min(EVERY_S, span / count)))
                direction[vm] = "back" if direction[vm] == "forward" else "forward"
            last = moves[-1].start_s
            out.append(Scenario(
                f"day{day + 1}-{a.lower()}-{b.lower()}", seed=7000 + 10 * day + pair, source_host=a, destination_host=b,
                start_local=START_LOCAL + timedelta(days=day), migrations=tuple(moves),
                idle_after_s=max(30.0, span - last - 30.0), bias_minutes=-120, tz_name="W. Europe Daylight Time",
                logical_processors=LOGICAL_PROCESSORS,
            ))
    return out


def generate(days: int, hours: float, work: Path = WORK) -> Path:
    """The captures of ``days`` days (reused when already written); returns their folder."""
    from kit.sample.generator import write

    folder = work / f"{hours:g}h" / "captures"
    for scenario in scenarios(days, hours):
        if not (folder / scenario.name / "truth.json").is_file():
            write(scenario, folder)
    return folder


def files_of(folder: Path, days: int) -> list[Path]:
    return sorted(p for day in range(1, days + 1) for p in folder.glob(f"day{day}-*/*.csv"))


# ---------------------------------------------------------------------------------------------
# Steps, each in its own process


def peak_rss_mb() -> float:
    """This process's peak resident set [MB] (``VmHWM``: ``ru_maxrss`` would carry the parent's peak
    across ``exec``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_s(who: int = resource.RUSAGE_SELF) -> float:
    """User + system CPU time of this process (or of its waited-for children). [s]"""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def child(step: str, args: dict) -> dict:
    started = time.perf_counter()
    cpu = cpu_s()
    out: dict = {}
    if step == "load":
        import tempfile

        if args.get("cache"):  # an empty cache of its own: the first load of each file writes its entry
            os.environ["KIT_CACHE_DIR"] = tempfile.mkdtemp(prefix="fleet-bench-cache-")
        import kit
        from kit.io.perfmon import cache

        seconds, size = [], 0
        for path in args["files"]:
            began = time.perf_counter()
            kit.load(path, cache_results=bool(args.get("cache")), progress=False)
            cache.flush()  # the entry's Parquet write is part of a first load
            seconds.append(time.perf_counter() - began)
            size += Path(path).stat().st_size
        if args.get("cache"):
            shutil.rmtree(os.environ["KIT_CACHE_DIR"], ignore_errors=True)
        out = {"files": len(seconds), "bytes": size, "seconds": sum(seconds), "bytes_per_s": size / sum(seconds),
               "cpu_s": cpu_s() - cpu}
    elif step == "ingest":
        import kit

        report = kit.ingest(args["files"], args["into"], workers=args["workers"], progress=False)
        size = sum(o.file_bytes for o in report.outcomes)
        out = {"files": len(report.outcomes), "bytes": size, "seconds": report.seconds,
               "bytes_per_s": size / report.seconds, "failed": len(report.failed),
               "load_seconds": sum(o.load_seconds for o in report.outcomes),
               "worker_seconds": sum(o.seconds for o in report.outcomes),
               "cpu_s": cpu_s() - cpu + cpu_s(resource.RUSAGE_CHILDREN),
               "children_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}
    elif step == "fleet":
        import kit

        baseline = peak_rss_mb()
        began = time.perf_counter()
        result = kit.fleet_migrations(args["dataset"], start=args["start"], end=args["end"], write=args["write"],
                                      progress=False)
        out = {"seconds": time.perf_counter() - began, "migrations": result.table.height,
               "episodes": result.episodes.height, "unmatched": result.unmatched.height,
               "largest_episode_s": max(((r["context_end"] - r["context_start"]).total_seconds()
                                         for r in result.episodes.iter_rows(named=True)), default=0.0),
               "rss_after_import_mb": baseline}
    elif step == "duckdb":
        import duckdb

        connection = duckdb.connect()
        out = {}
        for name, sql in QUERIES.items():
            runs = []
            for _ in range(5):
                began = time.perf_counter()
                rows = connection.sql(sql.format(d=args["dataset"])).fetchall()
                runs.append(time.perf_counter() - began)
            out[name] = {"first_s": runs[0], "median_s": statistics.median(runs), "rows": len(rows)}
    out["wall_s"] = time.perf_counter() - started
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def run(step: str, args: dict, *, nice: int, threads: int | None = None) -> dict:
    """Run ``step`` in a fresh (niced) process; its JSON result."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    if threads is not None:
        env["POLARS_MAX_THREADS"] = str(threads)
    command = [sys.executable, __file__, "--child", step, json.dumps(args, default=str)]
    if nice:
        command = ["nice", "-n", str(nice), *command]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    if done.returncode:
        raise SystemExit(f"step {step} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=1.0, help="hours of 1 s samples per host-day (default 1)")
    parser.add_argument("--sizes", default="4,8,16,32", help="host-days to analyse (multiples of 4)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="ingest worker processes")
    parser.add_argument("--repeat", type=int, default=2, help="runs of the load and ingest steps (best kept)")
    parser.add_argument("--nice", type=int, default=10, help="run every step under nice -n N (default 10)")
    parser.add_argument("--machine", default=platform.node() or "machine", help="results file name")
    parser.add_argument("--label", help="added to the results file name (e.g. 4h: <machine>-fleet-4h-<date>.json)")
    parser.add_argument("--work", type=Path, default=WORK, help="folder of the generated captures and datasets")
    parser.add_argument("--no-save", action="store_true")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child:
        print(json.dumps(child(options.child[0], json.loads(options.child[1])), default=str))
        return 0
    sizes = [int(s) for s in options.sizes.split(",")]
    if any(s % len(HOSTS) for s in sizes):
        parser.error(f"--sizes must be multiples of {len(HOSTS)} (host-days of {len(HOSTS)} hosts)")
    days = max(sizes) // len(HOSTS)
    began = time.perf_counter()
    work = options.work
    folder = generate(days, options.hours, work)
    files = files_of(folder, days)
    print(f"{len(files)} captures, {sum(p.stat().st_size for p in files) / 1e6:.0f} MB "
          f"({time.perf_counter() - began:.0f} s to generate or find)")
    results: dict = {"schema": 1, "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                     "command": " ".join(["python3 benchmarks/fleet.py", *(argv or sys.argv[1:])]),
                     "machine": {"node": options.machine, "cpu_count": os.cpu_count(),
                                 "platform": platform.platform(), "loadavg_at_start": os.getloadavg()},
                     "nice": options.nice, "hours_per_host_day": options.hours, "hosts": len(HOSTS),
                     "captures": {"files": len(files), "bytes": sum(p.stat().st_size for p in files)}}
    import polars

    import kit.contract

    results["versions"] = {"python": platform.python_version(), "polars": polars.__version__,
                           "hvlm-kit": kit.contract.kit_version()}
    # 1-2. single-file loads against the ingest of every capture into a new dataset, alternated and
    # the best of each kept (the machine is shared). Loads run on one polars thread, as each ingest
    # worker does: ``cold`` parses (cache off), ``first`` is a first load with the default cache
    # (hash, parse and the entry's Parquet write: the work an ingest does for a file).
    every = [str(p) for p in files]
    dataset = work / f"{options.hours:g}h" / f"dataset-{days}d"
    runs: dict[str, list[dict]] = {"cold": [], "first": [], "ingest": []}
    for _ in range(options.repeat):
        runs["cold"].append(run("load", {"files": every}, nice=options.nice, threads=1))
        runs["first"].append(run("load", {"files": every, "cache": True}, nice=options.nice, threads=1))
        shutil.rmtree(dataset, ignore_errors=True)
        runs["ingest"].append(run("ingest", {"files": every, "into": str(dataset), "workers": options.workers},
                                  nice=options.nice))
    best = {name: max(r, key=lambda x: x["bytes_per_s"]) for name, r in runs.items()}
    least_cpu = {name: min(x["cpu_s"] for x in r) for name, r in runs.items()}
    results["load_cold_1_thread"], results["load_first_1_thread"] = best["cold"], best["first"]
    ingest = best["ingest"]
    ratios = {f"vs_{name}": ingest["bytes_per_s"] / (best[name]["bytes_per_s"] * options.workers)
              for name in ("cold", "first")}
    cpu = {f"vs_{name}": least_cpu[name] / least_cpu["ingest"] for name in ("cold", "first")}
    ingest.update(workers=options.workers, ratio=ratios, cpu_ratio=cpu, loadavg_after=os.getloadavg(),
                  runs_bytes_per_s={k: [x["bytes_per_s"] for x in r] for k, r in runs.items()})
    results["ingest"] = ingest
    print(f"load on 1 thread: cold {best['cold']['bytes_per_s'] / 1e6:.0f} MB/s, first (with its cache entry) "
          f"{best['first']['bytes_per_s'] / 1e6:.0f} MB/s; ingest {ingest['bytes_per_s'] / 1e6:.0f} MB/s with "
          f"{options.workers} workers = {ratios['vs_first']:.2f} × (first load × workers), "
          f"{ratios['vs_cold']:.2f} × (cold load × workers); CPU per byte: first load = {cpu['vs_first']:.2f} × "
          f"ingest, cold load = {cpu['vs_cold']:.2f} × ingest")
    # 3. fleet analysis of the first N host-days
    first = START_LOCAL - timedelta(hours=2)  # UTC
    results["fleet"] = {}
    for size in sizes:
        span = {"dataset": str(dataset), "start": first.replace(tzinfo=timezone.utc).isoformat(),
                "end": (first + timedelta(days=size // len(HOSTS))).replace(tzinfo=timezone.utc).isoformat(),
                "write": size == max(sizes)}
        out = run("fleet", span, nice=options.nice)
        results["fleet"][str(size)] = out
        print(f"{size:3d} host-days: {out['migrations']} migrations in {out['episodes']} episodes, "
              f"{out['seconds']:.1f} s, peak RSS {out['peak_rss_mb']:.0f} MB")
    smallest, largest = results["fleet"][str(min(sizes))], results["fleet"][str(max(sizes))]
    results["fleet_summary"] = {
        "seconds_per_host_day": {k: v["seconds"] / int(k) for k, v in results["fleet"].items()},
        "peak_rss_ratio_largest_to_smallest": largest["peak_rss_mb"] / smallest["peak_rss_mb"],
    }
    # 4. DuckDB over the largest run's migrations table
    try:
        import duckdb  # noqa: F401
    except ImportError:
        results["duckdb"] = "not installed (pip install -e '.[fleet]')"
    else:
        results["duckdb"] = run("duckdb", {"dataset": str(dataset)}, nice=options.nice)
        print("duckdb: " + ", ".join(f"{k} {v['median_s'] * 1000:.0f} ms (first {v['first_s'] * 1000:.0f} ms)"
                                    for k, v in results["duckdb"].items() if isinstance(v, dict)))
    results["total_s"] = time.perf_counter() - began
    if not options.no_save:
        RESULTS.mkdir(parents=True, exist_ok=True)
        label = f"-{options.label}" if options.label else ""
        path = RESULTS / f"{options.machine}-fleet{label}-{datetime.now(timezone.utc):%Y-%m-%d}.json"
        path.write_text(json.dumps(results, indent=1, default=str) + "\n", encoding="utf-8")
        print(f"results: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
