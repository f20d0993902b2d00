"""Command line: ``python -m kit info|convert|sample …``.

* ``info FILE...`` — hosts, objects, counters, time range (UTC and local), interval and quality
  warnings; ``--json`` prints the same as JSON for scripts.
* ``analyze FILE...`` — every live migration: duration, bytes, throughput statistics, NICs, cores
  and findings; ``--json`` prints the report (schema: README, "Report contract").
* ``report [FILE...] --out DIR`` — every chart (PNG, SVG) plus ``report.html`` (opens offline) and
  ``report.json``; with no FILE, the bundled sample test.
* ``convert FILE... --to parquet|csv`` — writes the tidy (long) form: one row per time and counter.
* ``sample [DIR]`` — regenerates the bundled sample tests from the seeded generator.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from pathlib import Path

import polars as pl

from kit.analysis import Analysis, analyze
from kit.capture import Capture
from kit.errors import KitError, OptionError
from kit.io import load
from kit.io.events import read_events
from kit.io.pings import read_pings
from kit.io.topology import read_topology
from kit.quality import SEVERITY
from kit.throughput import DIP_FRACTION

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "smb-multichannel-2x10g"
"""The bundled sample test: what ``report`` runs on when given no file."""
TIDY_COLUMNS = ("time", "host", "object", "parent", "instance", "index", "counter", "object_en", "counter_en", "value")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad input)."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except KitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m kit", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    def loading(p: argparse.ArgumentParser, *, required: bool = True) -> None:
        p.add_argument("files", nargs="+" if required else "*", metavar="FILE",
                       help="counter logs, folders or glob patterns")
        p.add_argument("--encoding", help="force the text encoding (e.g. cp1251)")
        p.add_argument("--utc-offset", help="collecting host's UTC offset, e.g. +08:00 (for files with no zone)")
        p.add_argument("--override-zone", action="store_true", help="use --utc-offset even where the header has a zone")
        p.add_argument("--counter", action="append", metavar="PATTERN", dest="counters",
                       help=r"load only counters matching this path pattern, e.g. '\Network Interface(*)\Bytes*' "
                       "(repeatable; * is a wildcard; no host or instance means any)")
        p.add_argument("--no-cache", action="store_true", help="do not use the Parquet cache")
        p.add_argument("--quiet", action="store_true", help="no progress bar")

    def side_inputs(p: argparse.ArgumentParser) -> None:
        p.add_argument("--events", nargs="+", metavar="FILE", help="Hyper-V event exports (.evtx, wevtutil XML, Export-Csv)")
        p.add_argument("--topology", metavar="PATH", help="PowerShell topology exports: a file or a folder (per-host subfolders)")
        p.add_argument("--pings", metavar="FILE", help="a ping log of the VM (ping -t, Test-Connection, ping -D)")
        p.add_argument("--ping-start", metavar="TIME", help="UTC time of the first probe, for logs without timestamps")
        p.add_argument("--ping-interval", type=float, metavar="S", help="probe interval [s] (default: inferred, else 1)")

    info = sub.add_parser("info", help="what a capture holds")
    loading(info)
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(run=_info)

    analyze_ = sub.add_parser("analyze", help="find and measure every live migration")
    loading(analyze_)
    analyze_.add_argument("--json", action="store_true", help="print the JSON report")
    analyze_.add_argument("--vm-memory-gb", type=float, help="VM memory [GB], for the memory-transfer rate")
    analyze_.add_argument("--mtu", type=int, help="MTU of the migration NICs [bytes] (default: inferred)")
    analyze_.add_argument("--transport", choices=("tcp", "compression", "smb", "smb-direct"),
                          help="live-migration performance option (default: from the counters)")
    analyze_.add_argument("--window", action="append", metavar="START/END",
                          help="a migration window in ISO 8601 UTC, e.g. 2025-02-11T13:05:40Z/2025-02-11T13:06:10Z "
                          "(repeatable; replaces detection)")
    analyze_.add_argument("--bin-width-gbps", type=float, help="histogram bin width [Gbit/s]")
    analyze_.add_argument("--dip-fraction", type=float, default=DIP_FRACTION,
                          help="dip threshold as a share of the plateau (default %(default)s)")
    analyze_.add_argument("--label", action="append", metavar="KEY=VALUE", help="run metadata, e.g. mtu=9000 (repeatable)")
    side_inputs(analyze_)
    analyze_.set_defaults(run=_analyze)

    report = sub.add_parser("report", help="write every chart and an offline HTML report")
    loading(report, required=False)
    report.add_argument("--out", type=Path, default=Path("hvlm-report"), help="output folder (default %(default)s)")
    report.add_argument("--format", action="append", choices=("png", "svg", "pdf", "html", "json"),
                        help="chart file formats (repeatable; default png and svg)")
    report.add_argument("--vm-memory-gb", type=float, help="VM memory [GB], for the memory-transfer rate")
    report.add_argument("--mtu", type=int, help="MTU of the migration NICs [bytes] (default: inferred)")
    side_inputs(report)
    report.set_defaults(run=_report)

    convert = sub.add_parser("convert", help="write the tidy (long) form")
    loading(convert)
    convert.add_argument("--to", choices=("parquet", "csv"), required=True)
    convert.add_argument("--out", type=Path, help="output file (default: beside the first input)")
    convert.set_defaults(run=_convert)

    sample = sub.add_parser("sample", help="regenerate the bundled sample tests")
    sample.add_argument("directory", nargs="?", type=Path, default=Path("data"))
    sample.set_defaults(run=_sample)
    return parser


def _load(args: argparse.Namespace) -> Capture:
    return load(
        args.files,
        encoding=args.encoding,
        utc_offset=args.utc_offset,
        override_zone=args.override_zone,
        counters=args.counters,
        cache_results=not args.no_cache,
        progress=False if args.quiet else None,
    )


def _info(args: argparse.Namespace) -> int:
    capture = _load(args)
    summary = capture.summary()
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
        return 0
    print(_describe(capture, summary))
    return 0


def _describe(capture: Capture, summary: dict) -> str:
    lines = []
    for source in capture.sources:
        local = ""
        if source.start is not None:
            shift = timedelta(minutes=-source.bias_minutes)
            local = f" | local {(source.start + shift):%Y-%m-%d %H:%M:%S} → {(source.end + shift):%H:%M:%S} (UTC{_offset(shift)}, {source.bias_basis})"
        lines.append(f"{source.path}")
        lines.append(
            f"  {source.format}, {source.encoding}, zone {source.zone_name or '?'}, "
            f"{source.rows} rows × {source.columns} counters, interval {_seconds(source.interval_s)}"
        )
        if source.start is not None:
            lines.append(f"  UTC {source.start:%Y-%m-%d %H:%M:%S} → {source.end:%Y-%m-%d %H:%M:%S}{local}")
    lines.append(f"hosts: {', '.join(summary['hosts']) or '?'}")
    for row in summary["objects"]:
        counters = ", ".join(row["counters"][:6]) + (" …" if len(row["counters"]) > 6 else "")
        lines.append(
            f"  {row['host']} {row['object']}: {row['instances']} instance(s), {row['columns']} column(s) — {counters}"
        )
    if capture.warnings:
        lines.append("quality:")
        for warning in capture.warnings:
            lines.append(f"  {SEVERITY.get(warning.code, 'warning'):7} {warning}")
    return "\n".join(lines)


def _offset(shift: timedelta) -> str:
    minutes = int(shift.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _seconds(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.3g} s"


def tidy(capture: Capture) -> pl.DataFrame:
    """The long form written by ``convert``: one row per time and counter, nulls left out."""
    long = capture.long().filter(pl.col("value").is_not_null())
    return long.select(*TIDY_COLUMNS, "path", "source")


def _convert(args: argparse.Namespace) -> int:
    capture = _load(args)
    out = args.out or Path(args.files[0]).with_suffix(f".tidy.{args.to}")
    frame = tidy(capture)
    if args.to == "parquet":
        frame.write_parquet(out)
    else:
        frame.with_columns(pl.col("time").dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")).write_csv(out)
    print(f"wrote {out} ({frame.height} rows)")
    return 0


def _analyze(args: argparse.Namespace) -> int:
    capture = _load(args)
    windows = [_window(text) for text in args.window] if args.window else None
    labels = dict(_label(text) for text in args.label or [])
    if not 0 < args.dip_fraction < 1:
        raise OptionError(f"--dip-fraction {args.dip_fraction} is not between 0 and 1")
    result = analyze(
        capture, windows=windows, vm_memory_gb=args.vm_memory_gb, mtu=args.mtu, transport=args.transport,
        labels=labels, dip_fraction=args.dip_fraction, bin_width_gbps=args.bin_width_gbps, **_sides(args),
    )
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, default=str, allow_nan=False))
    else:
        print(describe_analysis(result))
    return 0


def _report(args: argparse.Namespace) -> int:
    from kit.report import write_report  # charts need altair and vl-convert: only load them here

    if not args.files:
        args.files = [str(SAMPLE)]
    result = analyze(_load(args), vm_memory_gb=args.vm_memory_gb, mtu=args.mtu, **_sides(args))
    written = write_report(result, args.out, formats=tuple(args.format or ("png", "svg")))
    print(describe_analysis(result))
    print(f"\nwrote {len(written)} files to {args.out}/ — open {args.out / 'report.html'} in a browser (works offline)")
    return 0


def _sides(args: argparse.Namespace) -> dict:
    """The side inputs named on the command line, loaded."""
    return {
        "events": read_events(args.events, utc_offset=args.utc_offset) if args.events else None,
        "topology": read_topology(args.topology) if args.topology else None,
        "pings": read_pings(args.pings, start=args.ping_start, interval_s=args.ping_interval, utc_offset=args.utc_offset)
        if args.pings else None,
    }


def _window(text: str) -> tuple[str, str]:
    start, sep, end = text.partition("/")
    if not sep or not start or not end:
        raise OptionError(f"--window {text!r} is not START/END", hint="e.g. 2025-02-11T13:05:40Z/2025-02-11T13:06:10Z")
    return start, end


def _label(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise OptionError(f"--label {text!r} is not KEY=VALUE", hint="e.g. --label mtu=9000")
    try:
        return key, int(value)
    except ValueError:
        try:
            return key, float(value)
        except ValueError:
            return key, value


def describe_analysis(result: Analysis) -> str:
    """The readable summary ``kit analyze`` prints."""
    if not result.migrations:
        hosts = ", ".join(result.capture.get("hosts", [])) or "?"
        return (
            f"no live migration found in {hosts} ({result.capture.get('start_utc')} → {result.capture.get('end_utc')}):\n"
            "  no Hyper-V VM Live Migration instance, and no NIC traffic burst above the idle baseline.\n"
            "  Give the window with --window START/END if you know it."
        )
    return "\n\n".join(_describe_migration(m.report) for m in result.migrations)


def _describe_migration(r: dict) -> str:
    route = f"{r['source'] or '?'} → {r['destination'] or '?'}"
    lines = [
        f"Migration {r['migration']}: {r['vm'] or 'VM ?'}  {route}  "
        f"(found by {r['method']}; transport {r['transport'] or '?'} from {r['transport_basis']})",
        f"  {r['start']} → {r['end']}  {r['duration_s']:.2f} s (± {r['resolution_s']:.2g} s)",
    ]
    if r["bytes_moved"]:
        lines.append(
            f"  moved {r['gb_moved']:.2f} GB; throughput mean {_g(r['mean_gbps'])} Gbit/s ({_g(r['mean_gb_s'])} GB/s), "
            f"p5 {_g(r['p5_gbps'])}, p50 {_g(r['p50_gbps'])}, p95 {_g(r['p95_gbps'])}, p99 {_g(r['p99_gbps'])}, "
            f"peak {_g(r['peak_gbps'])} Gbit/s"
        )
        lines.append(
            f"  {_g(r['pct_of_link'])} % of the {_g(r['link_gbps'])} Gbit/s link, {_g(r['pct_of_ceiling'])} % of the "
            f"MTU {r['mtu']} ceiling ({r['mtu_basis']})"
            + (f"; VM memory {_g(r['memory_gb_per_s'])} GB/s" if r["memory_gb_per_s"] else "")
        )
        s = r["steady"]
        if s["plateau_gbps"] is not None:
            lines.append(
                f"  steady: plateau {_g(s['plateau_gbps'])} Gbit/s, CV {_pct(s['cv'])}, {s['dip_count']} dip(s) below "
                f"{s['dip_fraction']:.0%} of plateau, {_pct(s['at_plateau_share'])} of the transfer at plateau"
            )
    b = r.get("blackout") or {}
    if b.get("estimate_s") is not None:
        upper = "?" if b["upper_s"] is None else f"{b['upper_s']:.2f}"
        lines.append(f"  blackout ≈ {b['estimate_s']:.2f} s, between {b['lower_s']:.2f} and {upper} s ({b['method']})")
    if r.get("clock_offset_s") is not None and abs(r["clock_offset_s"]) > (r.get("clock_uncertainty_s") or 0):
        lines.append(
            f"  clocks: {r['destination'] or '?'} is {r['clock_offset_s']:+.3f} s (± {r['clock_uncertainty_s']:.3f}) "
            "off its partner; shown on one time axis"
        )
    for n in r["nics"]:
        if n["carried"]:
            lines.append(
                f"  NIC {n['host']} {n['direction']}: {n['instance']}: {n['bytes'] / 1e9:.2f} GB ({_pct(n['share'])}), "
                + ("" if n.get("configured") is None else "configured for LM, " if n["configured"] else "NOT configured for LM, ")
                + f"mean {_g(n['mean_gbps'])} Gbit/s = {_g(n['pct_of_link'])} % of {_g(n['link_gbps'])} Gbit/s"
                + (f", RDMA {n['rdma_bytes'] / 1e9:.2f} GB" if n["rdma_bytes"] else "")
            )
    for c in r["cores"]:
        hot = ", ".join(f"{h['core']} ({_g(h.get('network_pct'))} %)" for h in c["hottest"])
        expected = f" (expected {c['expected_active']})" if c["expected_active"] is not None else ""
        lines.append(
            f"  cores {c['host']} ({c['role']}): {c['active_count']} active {c['active']}{expected}, "
            f"effective {_g(c['effective'])}, hottest {hot or '?'}; "
            f"{_g(c['cpu_s_per_gb'])} CPU-s/GB ({_g(c['network_cpu_s_per_gb'])} in DPC + interrupt)"
        )
    lines += [f"  ! {text}" for text in r["findings"]]
    return "\n".join(lines)


def _g(value: float | None) -> str:
    return "?" if value is None else f"{value:.3g}"


def _pct(value: float | None) -> str:
    return "?" if value is None else f"{100 * value:.1f} %"


def _sample(args: argparse.Namespace) -> int:
    from kit.synth import write_bundled

    for path in write_bundled(args.directory):
        print(f"wrote {path}")
    return 0
