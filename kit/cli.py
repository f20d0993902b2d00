"""Command line: ``python -m kit`` (or ``hvlm-kit``) — Hyper-V live-migration tests from perfmon logs.

* ``report [FILE...]`` — every chart (PNG, SVG) plus ``report.html`` (opens offline) and
  ``report.json``.
* ``analyze [FILE...]`` — every live migration: duration, bytes, throughput statistics, NICs,
  cores and findings; ``--json`` prints the report (schema: README, "Report contract").
* ``info [FILE...]`` — hosts, objects, counters, time range (UTC and local), interval and quality
  warnings; ``--json`` prints the same as JSON for scripts.
* ``convert FILE... --to parquet|csv`` — writes the tidy (long) form: one row per time and counter.
* ``recipe [--hosts A,B] [--transport T]`` — the Windows commands that capture what the kit reads best.
* ``sample [DIR]`` — regenerates the bundled sample tests from the seeded generator.

With no FILE, ``report``, ``analyze`` and ``info`` run on the bundled sample test.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import polars as pl

from kit import arguments
from kit import vocabulary as v
from kit.analysis.analyze import TRANSPORTS, analyze, check_windows
from kit.analysis.results import READ_UNITS, SIDE_INPUTS, Analysis, Migration, gbps
from kit.analysis.throughput import DIP_FRACTION
from kit.contract import capture_dict, iso, kit_version, to_dict
from kit.errors import KitError, OptionError
from kit.fleet import cli as fleet_cli
from kit.inputs.capture import Capture
from kit.io import load
from kit.io.perfmon.quality import SEVERITY
from kit.io.side.events import read_events
from kit.io.side.pings import read_pings
from kit.io.side.topology import read_topology
from kit.sample import sample_test

TIDY_COLUMNS = ("time", "host", "object", "parent", "instance", "index", "counter", "object_en", "counter_en", "value")


DESCRIPTION = (
    "Analyse Hyper-V live-migration tests from Windows perfmon logs: how long each migration took, how fast "
    "and steadily it moved, which NICs and cores carried it, and the VM's blackout. With no FILE, report, "
    "analyze and info run on the bundled sample test."
)
EXAMPLES = """examples:
  {prog} report                              charts + offline HTML report of the bundled sample
  {prog} report HV01.csv HV02.csv --out run1  the same for your two hosts' logs
  {prog} analyze logs/ --vm-memory-gb 16      every migration found in a folder of logs
  {prog} analyze logs/ --json > run1.json     the JSON report (README, "Report contract")
  {prog} report logs/ --window 2025-02-11T13:05:40Z/2025-02-11T13:06:10Z
                                             measure a window when no migration is found
  {prog} info HV01.csv                        what a log holds, and its quality warnings
  {prog} recipe --hosts HV01,HV02 --transport smb
                                             the Windows commands that capture all the kit reads
  {prog} ingest logs/*/*.csv --into fleet/    many hosts' and days' logs into one Parquet dataset
  {prog} fleet fleet/                         every migration in that dataset, in bounded memory
"""


def _prog() -> str:
    """How the user called us: ``hvlm-kit`` (the installed script) or ``python -m kit``."""
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return "python -m kit" if name in ("", "__main__.py", "-c") or name.endswith(".py") else name


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad input).

    Every option is checked as it is parsed (an ``argparse`` error names the flag); an input the
    kit cannot use ends in one ``error:`` line on stderr, never a traceback.
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        _check_combinations(args)
    except SystemExit as exc:  # argparse printed the usage and the error (or the help)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return args.run(args)
    except KitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a file or folder the system would not let us read or write
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2


def _check_combinations(args: argparse.Namespace) -> None:
    """Options that only mean something with another one (an error of the command's parser)."""
    needs = [("override_zone", "--override-zone", "utc_offset", "--utc-offset"),
             ("ping_start", "--ping-start", "pings", "--pings"), ("ping_interval", "--ping-interval", "pings", "--pings")]
    for option, flag, other, other_flag in needs:
        if getattr(args, option, None) and not getattr(args, other, None):
            args.parser.error(f"{flag} needs {other_flag}")


def _writing(what: str, flag: str, path: Path, write: Callable[[], object]) -> object:
    """Run ``write``; an OS error (a read-only folder, a full disk…) becomes a :class:`KitError`
    that names ``flag`` and ``path``."""
    try:
        return write()
    except OSError as exc:
        raise OptionError(f"{flag} {path}: cannot write {what} ({exc.strerror or exc})") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=_prog(), description=DESCRIPTION, epilog=EXAMPLES.format(prog=_prog()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s (hvlm-kit) {kit_version()}")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    def loading(p: argparse.ArgumentParser, *, required: bool = True) -> None:
        p.add_argument("files", nargs="+" if required else "*", metavar="FILE",
                       help="counter logs, folders or glob patterns" + ("" if required else " (default: the bundled sample)"))
        p.add_argument("--encoding", type=arguments.encoding, help="force the text encoding (e.g. cp1251)")
        p.add_argument("--utc-offset", type=arguments.utc_offset,
                       help="collecting host's UTC offset, e.g. +08:00 (for files with no zone)")
        p.add_argument("--override-zone", action="store_true", help="use --utc-offset even where the header has a zone")
        p.add_argument("--counter", action="append", metavar="PATTERN", dest="counters", type=arguments.counter,
                       help=r"load only counters matching this path pattern, e.g. '\Network Interface(*)\Bytes*' "
                       "(repeatable; * is a wildcard; no host or instance means any)")
        p.add_argument("--no-cache", action="store_true", help="do not use the Parquet cache")
        p.add_argument("--quiet", action="store_true", help="no progress bar")
        p.set_defaults(parser=p)

    def side_inputs(p: argparse.ArgumentParser) -> None:
        p.add_argument("--events", nargs="+", metavar="FILE", help="Hyper-V event exports (.evtx, wevtutil XML, Export-Csv)")
        p.add_argument("--topology", metavar="PATH", help="PowerShell topology exports: a file or a folder (per-host subfolders)")
        p.add_argument("--pings", metavar="FILE", help="a ping log of the VM (ping -t, Test-Connection, ping -D)")
        p.add_argument("--ping-start", type=arguments.utc_time, metavar="TIME",
                       help="ISO 8601 time of the first probe (UTC unless it has an offset), for logs without timestamps")
        p.add_argument("--ping-interval", type=arguments.above_zero, metavar="S",
                       help="probe interval [s] (default: inferred, else 1)")

    def window(p: argparse.ArgumentParser) -> None:
        p.add_argument("--window", action="append", metavar="START/END", type=arguments.window,
                       help="a migration window in ISO 8601 UTC, e.g. 2025-02-11T13:05:40Z/2025-02-11T13:06:10Z "
                       "(repeatable; replaces detection)")

    info = sub.add_parser("info", help="what a capture holds")
    loading(info, required=False)
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(run=_info)

    analyze_ = sub.add_parser("analyze", help="find and measure every live migration")
    loading(analyze_, required=False)
    analyze_.add_argument("--json", action="store_true", help="print the JSON report")
    analyze_.add_argument("--vm-memory-gb", type=arguments.above_zero, help="VM memory [GB], for the memory-transfer rate")
    analyze_.add_argument("--mtu", type=arguments.mtu, help="MTU of the migration NICs [bytes] (default: inferred)")
    analyze_.add_argument("--transport", choices=TRANSPORTS,
                          help="live-migration performance option (default: from the counters)")
    window(analyze_)
    analyze_.add_argument("--bin-width-gbps", type=arguments.above_zero, help="histogram bin width [Gbit/s]")
    analyze_.add_argument("--dip-fraction", type=arguments.fraction, default=DIP_FRACTION,
                          help="dip threshold as a share of the plateau (default %(default)s)")
    analyze_.add_argument("--label", action="append", metavar="KEY=VALUE", type=arguments.label, help="run metadata, e.g. mtu=9000 (repeatable)")
    side_inputs(analyze_)
    analyze_.set_defaults(run=_analyze)

    report = sub.add_parser("report", help="write every chart and an offline HTML report")
    loading(report, required=False)
    report.add_argument("--out", type=arguments.folder, default=Path("hvlm-report"), help="output folder (default %(default)s)")
    report.add_argument("--format", action="append", choices=("png", "svg", "pdf", "html", "json"),
                        help="chart file formats (repeatable; default png and svg)")
    report.add_argument("--vm-memory-gb", type=arguments.above_zero, help="VM memory [GB], for the memory-transfer rate")
    report.add_argument("--mtu", type=arguments.mtu, help="MTU of the migration NICs [bytes] (default: inferred)")
    window(report)
    side_inputs(report)
    report.set_defaults(run=_report)

    convert = sub.add_parser("convert", help="write the tidy (long) form")
    loading(convert)
    convert.add_argument("--to", choices=("parquet", "csv"), required=True)
    convert.add_argument("--out", type=arguments.file, help="output file (default: beside the first input, if a file)")
    convert.set_defaults(run=_convert)

    recipe = sub.add_parser("recipe", help="print the Windows commands that capture what the kit reads best",
                            description=RECIPE_DESCRIPTION)
    recipe.add_argument("--hosts", type=_hosts, default=("HV01", "HV02"), metavar="A,B",
                        help="the source and destination hosts (default HV01,HV02)")
    recipe.add_argument("--transport", choices=TRANSPORTS, default="smb",
                        help="live-migration performance option: adds the RDMA / SMB Direct counters for smb and "
                        "smb-direct (default %(default)s)")
    recipe.add_argument("--vm", default="VM01", help="the VM to ping during the migration (default %(default)s)")
    recipe.add_argument("--folder", default=r"C:\PerfLogs\hvlm", help=r"where each host writes (default %(default)s)")
    recipe.set_defaults(run=_recipe)

    sample = sub.add_parser("sample", help="regenerate the bundled sample tests")
    sample.add_argument("directory", nargs="?", type=arguments.folder, default=Path("data"),
                        help="where to write them (default: data/, the checkout's copy)")
    sample.set_defaults(run=_sample)
    fleet_cli.add_parser(sub)  # ingest and fleet
    return parser


def _load(args: argparse.Namespace) -> Capture:
    if not args.files:
        args.files = [str(sample_test())]
        if not getattr(args, "json", False):
            print(f"(no FILE given: the bundled sample test {sample_test().name})", file=sys.stderr)
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
    summary = capture_dict(capture)
    if args.json:
        print(json.dumps(summary, indent=2, default=str, allow_nan=False))
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
    first = Path(args.files[0])
    if args.out is None and not first.is_file():
        raise OptionError(f"{args.files[0]} is not a file to write beside", hint="give the output file with --out")
    capture = _load(args)
    out = args.out or first.with_suffix(f".tidy.{args.to}")
    frame = tidy(capture)
    if args.to == "parquet":
        _writing("the tidy form", "--out", out, lambda: frame.write_parquet(out))
    else:
        text = frame.with_columns(pl.col("time").dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ"))
        _writing("the tidy form", "--out", out, lambda: text.write_csv(out))
    print(f"wrote {out} ({frame.height} rows)")
    return 0


def _analyze(args: argparse.Namespace) -> int:
    capture = _load(args)
    if args.window:
        check_windows(capture, args.window, option="--window")
    windows = args.window
    labels = dict(args.label or [])
    result = analyze(
        capture, windows=windows, vm_memory_gb=args.vm_memory_gb, mtu=args.mtu, transport=args.transport,
        labels=labels, dip_fraction=args.dip_fraction, bin_width_gbps=args.bin_width_gbps, **_sides(args),
    )
    if args.json:
        print(json.dumps(to_dict(result), indent=2, default=str, allow_nan=False))
    else:
        print(describe_analysis(result))
    return 0


def _report(args: argparse.Namespace) -> int:
    try:
        from kit.viz.html import write_report  # charts need altair and vl-convert: only load them here
    except ImportError as exc:
        raise OptionError(
            f"the report needs the viz extra ({exc.name} is not installed)",
            hint='python3 -m pip install "hvlm-kit[viz]"',
        ) from None
    capture = _load(args)
    if args.window:
        check_windows(capture, args.window, option="--window")
    result = analyze(capture, windows=args.window, vm_memory_gb=args.vm_memory_gb, mtu=args.mtu, **_sides(args))
    formats = tuple(args.format or ("png", "svg"))
    written = _writing("the report", "--out", args.out, lambda: write_report(result, args.out, formats=formats))
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


def describe_analysis(result: Analysis) -> str:
    """The readable summary ``kit analyze`` prints: every migration, what the side inputs gave,
    and the warnings of the capture and the side inputs (grouped by code)."""
    if not result.migrations:
        hosts = ", ".join(result.capture.hosts) or "?"
        body = (
            f"no live migration found in {hosts} ({iso(result.capture.start)} → {iso(result.capture.end)}):\n"
            "  no Hyper-V VM Live Migration instance, and no NIC traffic burst above the idle baseline.\n"
            "  Give the window with --window START/END (analyze and report) if you know it, or mark it by\n"
            "  dragging across the throughput chart in notebook 01 (widgets.Explorer). To capture the\n"
            "  live-migration counters next time: python -m kit recipe"
        )
    else:
        body = "\n\n".join(_describe_migration(m) for m in result.migrations)
    return "\n\n".join(part for part in (body, describe_inputs(result), describe_warnings(result)) if part)


def describe_inputs(result: Analysis) -> str:
    """One line per side input given: how much was read, and whether it was used or why not."""
    lines = [
        f"  {s.kind}: {s.read} {READ_UNITS[s.kind]} read, " + ("used" if s.used else f"NOT used: {s.note}")
        + (" (--utc-offset)" if not s.used and any(w.code == "timezone-unknown" for w in s.warnings) else "")
        for s in map(result.input, SIDE_INPUTS) if s.given
    ]
    return "\n".join(["side inputs:", *lines]) if lines else ""


def describe_warnings(result: Analysis) -> str:
    """The warnings of the capture and the side inputs: per input and code, the count and the first."""
    groups = result.warning_groups()
    if not groups:
        return ""
    total = sum(g.count for g in groups)
    head = f"warnings: {total} in {len(groups)} group(s) (python -m kit info lists the capture's in full)"
    return "\n".join([head, *(f"  {g}" for g in groups)])


def _describe_migration(m: Migration) -> str:
    w, t = m.window, m.throughput
    s = t.stats
    lines = [
        f"Migration {w.number}: {w.vm or 'VM ?'}  {w.source or '?'} → {w.destination or '?'}  "
        f"(found by {w.method}; transport {m.transport or '?'} from {m.transport_basis})",
        f"  {iso(w.start)} → {iso(w.end)}  {w.duration_s:.2f} s (± {w.resolution_s:.2g} s)",
    ]
    if t.bytes_moved:
        lines.append(
            f"  moved {t.bytes_moved / 1e9:.2f} GB; throughput mean {_g(gbps(s.mean_bytes_s))} Gbit/s "
            f"({_g(None if s.mean_bytes_s is None else s.mean_bytes_s / 1e9)} GB/s), "
            f"p5 {_g(gbps(s.p5_bytes_s))}, p50 {_g(gbps(s.p50_bytes_s))}, p95 {_g(gbps(s.p95_bytes_s))}, "
            f"p99 {_g(gbps(s.p99_bytes_s))}, peak {_g(gbps(s.peak_bytes_s))} Gbit/s"
        )
        memory = m.vm_memory_gb / w.duration_s if m.vm_memory_gb and w.duration_s else None
        link = (
            f"{_g(t.pct_of_link)} % of the {_g(t.link_bits_s / 1e9)} Gbit/s link" if t.link_bits_s is not None
            else "link speed unknown (a carrying NIC logged no Current Bandwidth)"
        )
        ceiling = (
            f"{_g(t.pct_of_ceiling)} % of the MTU {t.mtu} ceiling ({t.mtu_basis})" if t.pct_of_ceiling is not None
            else "no TCP ceiling (RDMA)" if m.transport == "smb-direct" else "ceiling unknown"
        )
        lines.append(f"  {link}, {ceiling}" + (f"; VM memory {_g(memory)} GB/s" if memory else ""))
        steady = t.steadiness
        if steady.plateau_bytes_s is not None:
            lines.append(
                f"  steady: plateau {_g(gbps(steady.plateau_bytes_s))} Gbit/s, CV {_pct(steady.cv)}, "
                f"{steady.dip_count} dip(s) below {steady.dip_fraction:.0%} of plateau, "
                f"{_pct(steady.at_plateau_share)} of the transfer at plateau"
            )
    b = m.blackout
    if b.estimate_s is not None:
        upper = "?" if b.upper_s is None else f"{b.upper_s:.2f}"
        lines.append(f"  blackout ≈ {b.estimate_s:.2f} s, between {b.lower_s:.2f} and {upper} s ({b.method})")
    clock = m.clock
    if clock is not None and clock.significant:
        lines.append(
            f"  clocks: {clock.destination} is {clock.offset_s:+.3f} s (± {clock.uncertainty_s:.3f}) off "
            f"{clock.source}; shown on {clock.source}'s time axis"
        )
    for leg in m.legs:
        for n in leg.nics.filter(pl.col("carried")).iter_rows(named=True):
            configured = _configured(m, n)
            link = None if n["link_bits_s"] is None else n["link_bits_s"] / 1e9
            lines.append(
                f"  NIC {n['host']} {n['direction']}: {n['instance']}: {n['bytes'] / 1e9:.2f} GB ({_pct(n['share'])}), "
                + ("" if configured is None else "configured for LM, " if configured else "NOT configured for LM, ")
                + f"mean {_g(gbps(n['mean_bytes_s']))} Gbit/s = {_g(n['pct_of_link'])} % of {_g(link)} Gbit/s"
                + (f", RDMA {n['rdma_bytes'] / 1e9:.2f} GB" if n["rdma_bytes"] else "")
            )
    for leg in m.legs:
        c = leg.core_summary
        hot = ", ".join(f"{h.core} ({_g(h.network_pct)} %)" for h in c.hottest)
        expected = m.expected_cores if leg.role == "destination" else None
        lines.append(
            f"  cores {leg.host} ({leg.role}): {c.active_count} active {list(c.active)}"
            + (f" (expected {expected})" if expected is not None else "")
            + (f", effective {_g(c.effective)}" if c.effective is not None else ", effective none (no active core)")
            + f", hottest {hot or '?'}; "
            f"{_g(c.cpu_s_per_gb)} CPU-s/GB ({_g(c.network_cpu_s_per_gb)} in DPC + interrupt)"
        )
    lines += [f"  ! {f.text}" for f in m.findings]
    return "\n".join(lines)


def _configured(m: Migration, nic: dict) -> bool | None:
    """Whether the channel attribution found ``nic`` configured for live migration."""
    match = m.channels.nics.filter(
        (pl.col("host") == nic["host"]) & (pl.col("nic") == nic["nic"]) & (pl.col("direction") == nic["direction"])
    )
    return match["configured"][0] if match.height else None


def _g(value: float | None) -> str:
    return "?" if value is None else f"{value:.3g}"


def _pct(value: float | None) -> str:
    return "?" if value is None else f"{100 * value:.1f} %"


# ---------------------------------------------------------------------------------------------
# The capture recipe (issue 15 §12). Every command's syntax is Microsoft's, from these pages:
#   logman create counter: https://learn.microsoft.com/en-us/windows-server/administration/windows-commands/logman-create-counter
#     (-f bin, -si, -cf "file listing the performance counters, one per line", -o; a doubled hyphen
#      negates an option: --v writes no version suffix into the file name)
#   logman start / stop: https://learn.microsoft.com/en-us/windows-server/administration/windows-commands/logman-start-stop
#   relog: https://learn.microsoft.com/en-us/windows-server/administration/windows-commands/relog (-f csv -o)
#   wevtutil: https://learn.microsoft.com/en-us/windows-server/administration/windows-commands/wevtutil
#     (qe <log> /f:xml: the events as XML, one after the other, no root element)
#   ConvertTo-Json: https://learn.microsoft.com/en-us/powershell/module/microsoft.powershell.utility/convertto-json?view=powershell-5.1
#   Get-NetAdapter, Get-NetAdapterRdma, Get-NetAdapterRss: https://learn.microsoft.com/en-us/powershell/module/netadapter/
#   Get-SmbMultichannelConnection -IncludeNotSelected: https://learn.microsoft.com/en-us/powershell/module/smbshare/get-smbmultichannelconnection
#   Get-VMHost, Get-VMMigrationNetwork: https://learn.microsoft.com/en-us/powershell/module/hyper-v/
#   Get-ClusterNetwork, Get-ClusterParameter: https://learn.microsoft.com/en-us/powershell/module/failoverclusters/
#   Tee-Object (Windows PowerShell 5.1 writes Unicode, UTF-16 LE):
#     https://learn.microsoft.com/en-us/powershell/module/microsoft.powershell.utility/tee-object?view=powershell-5.1
# The property lists are those kit.inputs.topology.TABLES reads; the counters come from kit.vocabulary.

RECIPE_DESCRIPTION = (
    "Print the Windows commands that capture a live-migration test the way the kit reads it best: "
    "a binary (BLG) counter log on each host at a 1 s interval (so instances that appear mid-log, such as a "
    "migrating VM's, are kept: CSV logging fixes its instance list at start), relog to CSV, the Hyper-V event "
    "logs, the hosts' network topology as JSON and a timestamped ping of the VM."
)
EVENT_LOGS = {"vmms": "Microsoft-Windows-Hyper-V-VMMS-Admin", "worker": "Microsoft-Windows-Hyper-V-Worker-Admin"}
"""Event logs exported per host: file suffix → log name."""
TOPOLOGY_EXPORTS = {
    "adapters": ("Get-NetAdapter", ("Name", "InterfaceDescription", "ifIndex", "Status", "MacAddress", "LinkSpeed",
                                    "MtuSize", "Speed")),
    "rdma": ("Get-NetAdapterRdma", ("Name", "InterfaceDescription", "Enabled")),
    "rss": ("Get-NetAdapterRss", ("Name", "InterfaceDescription", "Enabled", "NumberOfReceiveQueues", "Profile",
                                  "BaseProcessorGroup", "BaseProcessorNumber", "MaxProcessorGroup", "MaxProcessorNumber",
                                  "MaxProcessors", "NumaNode")),
    "smb-multichannel": ("Get-SmbMultichannelConnection -IncludeNotSelected", (
        "ServerName", "ClientInterfaceIndex", "ServerInterfaceIndex", "ClientIpAddress", "ServerIpAddress",
        "ClientInterfaceFriendlyName", "Selected", "ClientRSSCapable", "ServerRSSCapable", "ClientRdmaCapable",
        "ServerRdmaCapable", "ClientLinkSpeed", "ServerLinkSpeed", "MaxChannels", "CurrentChannels", "Failed",
        "FailureCount")),
    "vmhost": ("Get-VMHost", ("ComputerName", "VirtualMachineMigrationEnabled", "UseAnyNetworkForMigration",
                              "VirtualMachineMigrationPerformanceOption", "VirtualMachineMigrationAuthenticationType",
                              "MaximumVirtualMachineMigrations", "MaximumStorageMigrations")),
    "migration-networks": ("Get-VMMigrationNetwork", ("Subnet", "Priority")),
    "cluster-networks": ("Get-ClusterNetwork", ("Name", "Id", "Role", "Address", "AddressMask", "Metric", "AutoMetric",
                                                "State")),
}
"""Topology exports per host: file name → (PowerShell command, the properties the kit reads)."""
CLUSTER_ONLY = ("cluster-networks",)


def recipe_counters(transport: str) -> list[str]:
    """The counter paths (any host, every instance) the analyses read, from :mod:`kit.vocabulary`;
    the RDMA and SMB Direct objects for the SMB transports."""
    paths = [rf"\{v.NETWORK_INTERFACE}(*)\{c}" for c in (v.BYTES_SENT, v.BYTES_RECEIVED, v.PACKETS_SENT,
                                                         v.PACKETS_RECEIVED, v.CURRENT_BANDWIDTH)]
    if transport in ("smb", "smb-direct"):
        paths += [rf"\{v.RDMA_ACTIVITY}(*)\{c}" for c in (v.RDMA_INBOUND, v.RDMA_OUTBOUND)]
        paths.append(rf"\{v.SMB_DIRECT_CONNECTION}(*)\*")
    paths += [rf"\{v.PER_PROCESSOR_NIC}(*)\{c}" for c in (v.RECEIVED_PACKETS, v.DPCS_QUEUED)]
    paths += [rf"\{v.PROCESSOR_INFORMATION}(*)\{c}" for c in (v.DPC_TIME, v.INTERRUPT_TIME, v.PROCESSOR_TIME)]
    paths += [rf"\{o}(*)\{v.TOTAL_RUN_TIME}" for o in (v.ROOT_VIRTUAL_PROCESSOR, v.LOGICAL_PROCESSOR)]
    paths.append(rf"\{v.VIRTUAL_NETWORK_ADAPTER}(*)\{v.VNIC_BYTES}")
    paths += [rf"\{v.LIVE_MIGRATION}(*)\{c}" for c in v.LIVE_MIGRATION_COUNTERS]
    return paths


def recipe(*, hosts: tuple[str, ...] = ("HV01", "HV02"), transport: str = "smb", vm: str = "VM01",
           folder: str = r"C:\PerfLogs\hvlm") -> str:
    """The capture recipe as text: what to run on each host before, during and after the test."""
    counters = "\n".join(recipe_counters(transport))
    lines = [
        f"# Capture recipe for a live-migration test between {' and '.join(hosts)} ({transport}).",
        "# Run each block in an elevated Windows PowerShell 5.1 session on the host it names.",
        "# Syntax: Microsoft's documentation of logman, relog, wevtutil and the cmdlets (cited in kit/cli.py).",
        "",
    ]
    for host in hosts:
        lines += [
            f"# === {host}: before the test ===",
            f"New-Item -ItemType Directory -Force -Path {folder}\\topology\\{host} | Out-Null",
            f"@'\n{counters}\n'@ | Set-Content -Path {folder}\\counters.txt -Encoding ASCII",
            f"logman create counter hvlm -f bin -si 00:00:01 -cf {folder}\\counters.txt -o {folder}\\{host}.blg --v",
            "logman start hvlm",
            "",
        ]
    lines += [
        f"# === on a client, during the migration: a timestamped ping of {vm} (stop with Ctrl+C) ===",
        f'ping -t {vm} | ForEach-Object {{ "{{0}} - {{1}}" -f (Get-Date), $_ }} | Tee-Object -FilePath ping.txt',
        "",
    ]
    for host in hosts:
        lines += [f"# === {host}: after the test ===", "logman stop hvlm",
                  f"relog {folder}\\{host}.blg -f csv -o {folder}\\{host}.csv"]
        lines += [f"wevtutil qe {log} /f:xml > {folder}\\{host}-{suffix}.xml" for suffix, log in EVENT_LOGS.items()]
        for name, (command, properties) in TOPOLOGY_EXPORTS.items():
            note = "  # on a failover cluster only" if name in CLUSTER_ONLY else ""
            lines.append(f"{command} | Select-Object {', '.join(properties)} | ConvertTo-Json | "
                         f"Set-Content -Path {folder}\\topology\\{host}\\{name}.json -Encoding UTF8{note}")
        lines.append("")
    lines += [
        "# === then, with every host's folder copied to one place ===",
        f"python -m kit report {' '.join(f'{h}.csv' for h in hosts)} --topology topology "
        f"--events {' '.join(f'{h}-{s}.xml' for h in hosts for s in EVENT_LOGS)} "
        "--pings ping.txt --utc-offset <the client's UTC offset, e.g. +01:00>",
    ]
    return "\n".join(lines) + "\n"


def _hosts(text: str) -> tuple[str, ...]:
    """``A,B``: host names, comma-separated."""
    hosts = tuple(h.strip() for h in text.split(",") if h.strip())
    if not hosts or any(not h.replace("-", "").replace("_", "").replace(".", "").isalnum() for h in hosts):
        raise argparse.ArgumentTypeError(f"'{text}' is not host names separated by commas (e.g. HV01,HV02)")
    return hosts


def _recipe(args: argparse.Namespace) -> int:
    print(recipe(hosts=args.hosts, transport=args.transport, vm=args.vm, folder=args.folder), end="")
    return 0


def _sample(args: argparse.Namespace) -> int:
    from kit.sample.generator import write_bundled

    for path in _writing("the sample tests", "DIRECTORY", args.directory, lambda: write_bundled(args.directory)):
        print(f"wrote {path}")
    return 0
