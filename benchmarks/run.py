"""Benchmark suite of issue 6: loading, caching, analysing and charting a large perfmon capture.

    python3 benchmarks/run.py                 # small: 7,200 rows × 1,000 counters (~90 MB), a few minutes
    python3 benchmarks/run.py --size full     # 86,400 rows × 3,000 counters (~3.5 GB), needs ~15 GB disk, ~14 GB RAM

Generates the capture (and cp1252 / UTF-16 copies) in ``benchmarks/work/`` if missing, runs every
step in a fresh process ``--repeat`` times (rounds interleave the steps), prints a table of median
seconds, peak RSS, ratios and targets, and writes ``benchmarks/results/<machine>-<size>-<date>.json``.
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date, datetime, timezone
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from benchmarks import generate  # noqa: E402

DEFAULT_REPEAT = {"tiny": 1, "small": 3, "medium": 3, "full": 2, "week": 3}
ORDER = [
    "floor_csv", "pandas_c", "pandas_arrow", "kit_cold", "kit_first", "first_profile", "floor_parquet", "kit_warm",
    "cache50_kit", "cache50_floor", "csv50_floor", "csv50_kit", "kit_cp1252", "kit_utf16", "analyses", "charts",
    "ps_floor", "ps_kit", "ps_one", "report_steps", "report_cli", "widget_roundtrips", "explorer_open", "blg_kit", "progress_bar",
    "week", "week_profile", "cache_formats",
]
WEEK_STEPS = ["floor_csv", "week"]
"""The steps of ``--size week`` (issue 16 §6), and the only sizes ``week`` runs at."""
WEEK_COUNTERS = [
    r"\Network Interface(*)\*", r"\Hyper-V VM Live Migration(*)\*", r"\Processor Information(*)\% DPC Time",
    r"\Processor Information(*)\% Interrupt Time", r"\Processor Information(*)\% Processor Time",
]
"""What a user looking for a week's migrations loads: every NIC's and every live-migration
counter, and the per-core load the analysis spreads over the receive cores."""
LABELS = {
    "floor_csv": "polars.read_csv floor (schema, ' '=null)",
    "pandas_c": "pandas.read_csv engine=c (float64, ' '=NaN)",
    "pandas_arrow": "pandas.read_csv engine=pyarrow",
    "kit_cold": "kit.load CSV (cache off)",
    "kit_first": "kit.load CSV, empty cache (hash+parse+write)",
    "first_profile": "kit_first by piece, each waited for",
    "floor_parquet": "polars.read_parquet of the cache entry",
    "kit_warm": "kit.load again (cache hit)",
    "cache50_kit": "50 counters from cache: kit.load(counters=)",
    "cache50_floor": "50 counters: read_parquet(columns=)",
    "csv50_floor": "50 counters from CSV: read_csv(columns=)",
    "csv50_kit": "50 counters from CSV: kit.load(counters=)",
    "kit_cp1252": "kit.load cp1252 copy (cache off)",
    "kit_utf16": "kit.load UTF-16 copy (cache off)",
    "analyses": "analyses (capture from cache)",
    "charts": "chart specs .to_dict()",
    "ps_floor": "PowerShell long CSV: polars.read_csv",
    "ps_kit": "PowerShell long CSV: kit.load (cache off)",
    "ps_one": "PowerShell long CSV: kit.load(counters=[one])",
    "report_steps": "report of the bundled sample, by part (cold)",
    "report_cli": "commands on the bundled sample (wall clock)",
    "widget_roundtrips": "widget round trips in JupyterLab (browser)",
    "explorer_open": "Explorer: a test opened (kernel side)",
    "blg_kit": "kit.load of the same capture as .blg (cache off)",
    "progress_bar": "kit.load with its progress bar (cache off)",
    "week": "a week: kit.load(counters=) + analyses",
    "cache_formats": "cache entry formats: write + read back",
    "week_profile": "a week: TimeBase.frame, rechunked, analyses",
}
PS_STEPS = ("ps_floor", "ps_kit", "ps_one")
PS_COUNTER = r"\Network Interface(Mellanox ConnectX-6 Dx Adapter)\Bytes Received/sec"
"""The one counter the ``ps_one`` step loads (a pattern, as a user types it)."""


def select_columns(names: list[str], count: int = 50) -> list[str]:
    """A chart's worth of counters: every NIC's bytes in and out, then per-core % DPC Time."""
    nic = [n for n in names if "\\Network Interface(" in n and n.endswith(("\\Bytes Received/sec", "\\Bytes Sent/sec"))]
    dpc = [n for n in names if "\\Processor Information(" in n and n.endswith("\\% DPC Time")]
    return (nic + dpc)[:count]


def run_step(step: str, config_path: Path, nice: int) -> dict:
    cmd = [sys.executable, str(HERE / "steps.py"), step, str(config_path)]
    if nice and shutil.which("nice"):
        cmd = ["nice", "-n", str(nice), *cmd]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        return {"error": (proc.stderr or proc.stdout)[-2000:], "returncode": proc.returncode, "wall_s": wall}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_s"] = wall
    result["loadavg_after"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None  # others' work too
    return result


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def summarise(raw: dict[str, list[dict]]) -> dict[str, dict]:
    """Per step: median seconds of each part, max peak RSS, runs."""
    out = {}
    for step, runs in raw.items():
        good = [r for r in runs if "error" not in r]
        if not good:
            out[step] = {"error": runs[-1].get("error", "")[-600:]}
            continue
        parts = {}
        for part in good[0]["times"]:
            values = [r["times"][part] for r in good if part in r["times"]]
            cpu = [r["cpu_s"][part] for r in good if part in r.get("cpu_s", {})]
            parts[part] = {"median_s": _median(values), "runs_s": values, "cpu_median_s": _median(cpu), "cpu_runs_s": cpu}
        out[step] = {
            "parts": parts,
            "total_median_s": _median([sum(r["times"].values()) for r in good]),
            "total_cpu_median_s": _median([sum(r["cpu_s"].values()) for r in good if r.get("cpu_s")]),
            "loadavg_after": [r.get("loadavg_after") for r in good],
            "peak_rss_mb": max(r["peak_rss_mb"] for r in good),
            "rss_before_mb": _median([r["rss_before_mb"] for r in good if r["rss_before_mb"] is not None]),
            "info": good[-1]["info"],
            "runs": len(good),
        }
    return out


def seconds(summary: dict, step: str, part: str | None = None) -> float | None:
    s = summary.get(step, {})
    if "parts" not in s:
        return None
    if part is None:
        return s["total_median_s"]
    return s["parts"].get(part, {}).get("median_s")


def cpu(summary: dict, step: str, part: str | None = None) -> float | None:
    """Median CPU seconds (all threads) of a step or one part: what a ratio is worth when the
    machine is shared (wall clock then depends on the others' load)."""
    s = summary.get(step, {})
    if "parts" not in s:
        return None
    if part is None:
        return s.get("total_cpu_median_s")
    return s["parts"].get(part, {}).get("cpu_median_s")


def peak(summary: dict, step: str) -> float | None:
    return summary.get(step, {}).get("peak_rss_mb")


def _delta(summary: dict, step: str) -> float | None:
    """Peak RSS above the RSS just before the timed work (imports excluded). [MB]"""
    s = summary.get(step, {})
    if "parts" not in s or s.get("rss_before_mb") is None:
        return None
    return s["peak_rss_mb"] - s["rss_before_mb"]


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def _per_file(summary: dict, step: str) -> float | None:
    """Peak RSS above the RSS before the load, per byte of the PowerShell CSV it read."""
    size = summary.get(step, {}).get("info", {}).get("file_bytes")
    delta = _delta(summary, step)
    return None if size is None or delta is None else delta * 2**20 / size


def targets(s: dict) -> list[dict]:
    """The issues' targets, evaluated on the medians of this run."""
    floor, kit = seconds(s, "floor_csv"), seconds(s, "kit_cold")
    pandas = [x for x in (seconds(s, "pandas_c", "read"), seconds(s, "pandas_arrow", "read")) if x is not None]
    best_pandas = min(pandas) if pandas else None
    rows = [
        ("full load ≤ 1.3 × polars.read_csv floor", _ratio(kit, floor), "≤", 1.3),
        ("full load ≥ 2 × faster than best pandas.read_csv", _ratio(best_pandas, kit), "≥", 2.0),
        ("peak RSS of full load ≤ 1.3 × floor's", _ratio(peak(s, "kit_cold"), peak(s, "floor_csv")), "≤", 1.3),
        ("  (same, peak minus RSS before the load)", _ratio(_delta(s, "kit_cold"), _delta(s, "floor_csv")), "≤", 1.3),
        ("cached reload ≤ 1.2 × polars.read_parquet", _ratio(seconds(s, "kit_warm"), seconds(s, "floor_parquet")), "≤", 1.2),
        ("50 counters from the cache < 0.3 s [s]", seconds(s, "cache50_kit"), "<", 0.3),
        ("50 counters from the CSV ≤ 0.35 × full load", _ratio(seconds(s, "csv50_kit"), kit), "≤", 0.35),
        ("cp1252 load ≤ 2 × UTF-8 load", _ratio(seconds(s, "kit_cp1252"), kit), "≤", 2.0),
        ("UTF-16 load ≤ 2 × UTF-8 load", _ratio(seconds(s, "kit_utf16"), kit), "≤", 2.0),
        ("PowerShell CSV full load: peak Δ ≤ 2 × file size", _per_file(s, "ps_kit"), "≤", 2.0),
        ("PowerShell CSV one counter: peak Δ ≤ 0.3 × file size", _per_file(s, "ps_one"), "≤", 0.3),
        (".blg load ≤ 1 × the CSV's (kit_cold)", _ratio(seconds(s, "blg_kit"), kit), "≤", 1.0),
    ]
    for part in ("find_migrations", "core_frame", "analyze"):
        rows.append((f"analysis {part} < 2 s [s]", seconds(s, "analyses", part), "<", 2.0))
    first = seconds(s, "kit_first", "load")
    rows += [
        ("16§1 first load (returned) ≤ 1.15 × read_csv floor", _ratio(first, floor), "≤", 1.15),
        ("16§1 first load + cache write ≤ 1.15 × floor", _ratio(seconds(s, "kit_first"), floor), "≤", 1.15),
        ("  (same in CPU seconds: returned)", _ratio(cpu(s, "kit_first", "load"), cpu(s, "floor_csv")), "≤", 1.15),
        ("  (same in CPU seconds: + cache write)", _ratio(cpu(s, "kit_first"), cpu(s, "floor_csv")), "≤", 1.15),
        ("16§2 cache hit ≤ 1.0 × polars.read_parquet", _ratio(seconds(s, "kit_warm"), seconds(s, "floor_parquet")), "≤", 1.0),
        ("  (same in CPU seconds)", _ratio(cpu(s, "kit_warm"), cpu(s, "floor_parquet")), "≤", 1.0),
        ("16§5 UTF-16 peak RSS ≤ 1.2 × floor's", _ratio(peak(s, "kit_utf16"), peak(s, "floor_csv")), "≤", 1.2),
        ("  (same, peak minus RSS before the load)", _ratio(_delta(s, "kit_utf16"), _delta(s, "floor_csv")), "≤", 1.2),
        ("16§6 week: load + analyses < 60 s [s]", seconds(s, "week"), "<", 60.0),
        ("16§6 week: peak RSS ≤ 8 GB [MB]", peak(s, "week"), "≤", 8192.0),
        ("16§6 week: migrations found ≥ 50", s.get("week", {}).get("info", {}).get("migrations"), "≥", 50),
        ("16§7 progress bar's cost ≤ 1.05 × kit_cold", _ratio(seconds(s, "progress_bar"), kit), "≤", 1.05),
    ]
    rows.append(("python -m kit report on the sample ≤ 2 s [s]", seconds(s, "report_cli", "report"), "≤", 2.0))
    rows.append(("python -m kit analyze --json ≤ 1 s [s]", seconds(s, "report_cli", "analyze_json"), "≤", 1.0))
    for part in s.get("widget_roundtrips", {}).get("parts", {}):
        rows.append((f"widget round trip {part} ≤ 0.3 s [s]", seconds(s, "widget_roundtrips", part), "≤", 0.3))
    for part in s.get("charts", {}).get("parts", {}):
        rows.append((f"chart {part} < 1 s [s]", seconds(s, "charts", part), "<", 1.0))
    out = []
    for name, value, op, limit in rows:
        met = None if value is None else {"≤": value <= limit, "<": value < limit, "≥": value >= limit}[op]
        out.append({"target": name, "value": value, "limit": f"{op} {limit}", "met": met})
    return out


def table(s: dict) -> str:
    floor = seconds(s, "floor_csv")
    pandas = [x for x in (seconds(s, "pandas_c", "read"), seconds(s, "pandas_arrow", "read")) if x is not None]
    best = min(pandas) if pandas else None
    floor_peak = peak(s, "floor_csv")
    lines = [f"{'step':<48} {'part':<17} {'median s':>9} {'cpu s':>7} {'peak MB':>8} {'Δ MB':>7} {'÷floor':>7} {'÷pandas':>8} {'RSS÷floor':>9}"]
    for step in ORDER:
        if step not in s:
            continue
        if "parts" not in s[step]:
            lines.append(f"{LABELS[step]:<48} FAILED: {s[step]['error'].strip().splitlines()[-1][:60]}")
            continue
        for i, (part, v) in enumerate(s[step]["parts"].items()):
            sec = v["median_s"]
            cpu_text = "" if v.get("cpu_median_s") is None else f"{v['cpu_median_s']:.2f}"
            load_like = step.startswith(("kit_", "csv50", "pandas", "floor_csv", "blg_", "progress_bar"))
            rf = _ratio(sec, floor) if load_like else None
            rp = _ratio(sec, best) if load_like and step != "pandas_c" and step != "pandas_arrow" else None
            rm = _ratio(peak(s, step), floor_peak) if i == 0 and load_like else None
            lines.append(
                f"{(LABELS[step] if i == 0 else ''):<48} {part:<17} {sec:>9.3f} "
                f"{cpu_text:>7} "
                f"{(f'{peak(s, step):.0f}' if i == 0 else ''):>8} "
                f"{(f'{_delta(s, step):.0f}' if i == 0 else ''):>7} "
                f"{(f'{rf:.2f}' if rf is not None else ''):>7} {(f'{rp:.2f}' if rp is not None else ''):>8} "
                f"{(f'{rm:.2f}' if rm is not None else ''):>9}"
            )
    ps = [step for step in PS_STEPS if _per_file(s, step) is not None]
    if ps:
        size = s[ps[0]]["info"]["file_bytes"] / 1e6
        ratios = ", ".join(f"{step} {_per_file(s, step):.2f}" for step in ps)
        lines += ["", f"PowerShell long CSV of {size:,.0f} MB, peak Δ ÷ file size: {ratios}"]
    lines.append("")
    lines.append(f"{'target':<52} {'value':>9} {'limit':>8}  met")
    for t in targets(s):
        value = "n/a" if t["value"] is None else f"{t['value']:.3f}"
        met = "n/a" if t["met"] is None else ("yes" if t["met"] else "NO")
        lines.append(f"{t['target']:<52} {value:>9} {t['limit']:>8}  {met}")
    return "\n".join(lines)


def _versions() -> dict:
    out = {"python": platform.python_version()}
    for name in ("polars", "pyarrow", "pandas", "numpy", "altair", "hvlm-kit"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _machine() -> dict:
    info = {"node": platform.node(), "platform": platform.platform(), "cpu_count": os.cpu_count()}
    try:
        info["affinity_cpus"] = len(os.sched_getaffinity(0))
        model = [l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("model name")]
        info["cpu_model"] = model[0] if model else None
        mem = [l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")]
        info["mem_total_gb"] = round(int(mem[0].split()[1]) / 2**20, 1)
        info["loadavg_at_start"] = os.getloadavg()
    except (OSError, AttributeError, IndexError):
        pass
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=sorted(generate.SIZES), default="small")
    parser.add_argument("--repeat", type=int, help="runs of each step (median); default 3 small, 2 full")
    parser.add_argument("--steps", help="comma-separated subset of: " + ",".join(ORDER))
    parser.add_argument("--no-melt", action="store_true", help="skip the pandas melt (needs ~8 GB at full size)")
    parser.add_argument("--nice", type=int, default=0, help="run each step under nice -n N")
    parser.add_argument("--work", type=Path, default=HERE / "work")
    parser.add_argument("--results", type=Path, default=HERE / "results")
    parser.add_argument("--machine", default=platform.node() or "machine", help="name in the results file")
    parser.add_argument("--no-save", action="store_true", help="print only, write no results JSON")
    args = parser.parse_args(argv)
    repeat = args.repeat or DEFAULT_REPEAT[args.size]
    default = WEEK_STEPS if args.size == "week" else [s for s in ORDER if s not in ("week", "week_profile", "cache_formats")]
    steps = default if not args.steps else [s.strip() for s in args.steps.split(",")]
    unknown = set(steps) - set(ORDER)
    if unknown:
        parser.error(f"unknown steps {sorted(unknown)}")

    args.work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    info = generate.generate(args.work, args.size)
    gen_s = time.perf_counter() - t0
    names = info.pop("columns")
    print(f"capture: {info['main']['path']} {info['main']['bytes'] / 1e6:,.0f} MB, {info['rows']:,} rows × "
          f"{info['main']['counters']:,} counters, {len(info['main']['migrations'])} migrations "
          f"(ready in {gen_s:.1f} s)", flush=True)
    cache_dir = args.work / f"cache-{args.size}"
    shutil.rmtree(cache_dir, ignore_errors=True)
    config = {
        "root": str(ROOT), "work": str(args.work), "csv": info["main"]["path"],
        "cp1252": info.get("cp1252", {}).get("path"), "utf16": info.get("utf16", {}).get("path"),
        "cache_dir": str(cache_dir), "select": select_columns(names), "melt": not args.no_melt,
        "week_counters": WEEK_COUNTERS,
    }
    if set(steps) & set(PS_STEPS):
        ps = generate.generate_powershell(args.work, args.size)
        print(f"PowerShell long CSV: {ps['path']} {ps['bytes'] / 1e6:,.0f} MB, {ps['rows']:,} rows "
              f"({ps['samples']:,} samples × {ps['counters']} counters)", flush=True)
        config |= {"powershell": ps["path"], "ps_counter": PS_COUNTER}
        info["powershell"] = ps
    if "blg_kit" in steps:
        from benchmarks.blg import generate_blg

        made = generate_blg(args.work, args.size)
        print(f"binary log (.blg): {made['path']} {made['bytes'] / 1e6:,.0f} MB, {made['rows']:,} samples × "
              f"{made['counters']:,} counters", flush=True)
        config["blg"] = made["path"]
        info["blg"] = made
    config_path = args.work / f"config-{args.size}.json"
    config_path.write_text(json.dumps(config))
    uses_cache = {"floor_parquet", "kit_warm", "cache50_kit", "cache50_floor", "analyses", "charts"}
    prepared = run_step("prepare_cache", config_path, args.nice) if set(steps) & uses_cache else {"info": {}}
    if "error" in prepared:
        print(prepared["error"], file=sys.stderr)
        return 1
    raw: dict[str, list[dict]] = {s: [] for s in steps}
    for round_ in range(repeat):
        for step in steps:
            result = run_step(step, config_path, args.nice)
            raw[step].append(result)
            shown = "FAILED" if "error" in result else ", ".join(f"{k} {v:.3f} s" for k, v in result["times"].items())
            peak_mb = "" if "error" in result else f", peak {result['peak_rss_mb']:.0f} MB"
            print(f"  [{round_ + 1}/{repeat}] {step}: {shown}{peak_mb}", flush=True)
    summary = summarise(raw)
    print()
    print(table(summary))
    if args.no_save:
        return 0
    stamp = date.today().isoformat()
    doc = {
        "schema": 1,
        "size": args.size,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, "benchmarks/run.py", *(argv if argv is not None else sys.argv[1:])]),
        "machine": _machine(),
        "nice": os.nice(0) + args.nice,  # niceness of the steps (inherited + --nice)
        "versions": _versions(),
        "capture": {
            "bytes": info["main"]["bytes"], "rows": info["rows"], "counters": info["main"]["counters"],
            "columns_incl_time": info["main"]["counters"] + 1, "cores": info["cores"], "nics": info["nics"],
            "migrations": info["main"]["migrations"], "cp1252_bytes": info.get("cp1252", {}).get("bytes"),
            "utf16_bytes": info.get("utf16", {}).get("bytes"), "parquet_bytes": prepared["info"].get("parquet_bytes"),
            "powershell": info.get("powershell"),
            "blg": info.get("blg"),
        },
        "repeat": repeat,
        "selected_columns": config["select"],
        "steps": {k: {"label": LABELS[k], **v} for k, v in summary.items()},
        "targets": targets(summary),
        "raw": raw,
    }
    args.results.mkdir(parents=True, exist_ok=True)
    out = args.results / f"{args.machine}-{args.size}-{stamp}.json"
    out.write_text(json.dumps(doc, indent=1, default=str) + "\n")
    print(f"\nresults: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
