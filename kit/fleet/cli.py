"""The fleet's commands: ``python -m kit ingest CAPTURES... --into DATASET/`` and
``python -m kit fleet DATASET/``.

:func:`add_parser` adds both to the command line's subcommands (``kit.cli`` calls it); each sets
``run`` to the function that runs it, which returns the exit status (0 ok, 2 when a file could
not be ingested: the others are, and each failure is named on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import polars as pl

from kit.arguments import encoding, utc_offset, utc_time
from kit.errors import KitError
from kit.fleet.analysis import CONTEXT_S, fleet_migrations
from kit.fleet.ingestion import ingest
from kit.io.perfmon.sniff import FORMATS

EXAMPLES = """examples:
  python -m kit ingest \\\\fileserver\\perflogs\\*\\*.csv --into fleet/       every host's logs, once
  python -m kit ingest HV07/ --into fleet/ --workers 1                 one host (e.g. one scheduler job per host)
  python -m kit fleet fleet/ --start 2025-03-01T00:00Z --end 2025-03-03T00:00Z
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``ingest`` and ``fleet`` to the subcommands ``sub`` of the kit's command line."""
    ingest_ = sub.add_parser(
        "ingest", help="put captures of many hosts and days into one Parquet dataset",
        description="Convert each capture (any format the kit reads) into the hive-partitioned Parquet dataset "
        "DATASET (data/host=…/date=…/), with its catalogue and manifest beside it. A capture already in it is "
        "skipped by content, a changed one replaced; a crash leaves the dataset readable.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ingest_.add_argument("captures", nargs="+", metavar="CAPTURE", help="counter logs, folders or glob patterns")
    ingest_.add_argument("--into", required=True, type=Path, metavar="DATASET",
                         help="the dataset folder (new, empty, or a fleet dataset)")
    ingest_.add_argument("--workers", type=_workers, help="worker processes (default: one per CPU)")
    ingest_.add_argument("--format", choices=tuple(FORMATS), help="the files' format (default: detected)")
    ingest_.add_argument("--encoding", type=encoding, help="force the text encoding (e.g. cp1251)")
    ingest_.add_argument("--utc-offset", type=utc_offset,
                         help="collecting host's UTC offset, e.g. +08:00 (for files with no zone)")
    ingest_.add_argument("--override-zone", action="store_true", help="use --utc-offset even where the header has a zone")
    ingest_.add_argument("--json", action="store_true", help="print what became of each file as JSON")
    ingest_.add_argument("--quiet", action="store_true", help="no progress bar")
    ingest_.set_defaults(run=run, parser=ingest_)

    fleet = sub.add_parser(
        "fleet", help="find and measure every migration in a dataset",
        description="Every live migration in the dataset, host pair by host pair, in bounded memory; the "
        "migrations table is written to DATASET/migrations/migrations.parquet.",
    )
    fleet.add_argument("dataset", type=Path, metavar="DATASET")
    fleet.add_argument("--start", type=utc_time, metavar="TIME", help="ISO 8601 (UTC unless it has an offset)")
    fleet.add_argument("--end", type=utc_time, metavar="TIME", help="ISO 8601 (UTC unless it has an offset)")
    fleet.add_argument("--host", action="append", dest="hosts", metavar="HOST", help="only these hosts (repeatable)")
    fleet.add_argument("--context-s", type=_seconds, default=CONTEXT_S,
                       help="seconds either side of each episode analysed with it (default %(default)s)")
    fleet.add_argument("--no-write", action="store_true", help="do not write the table into the dataset")
    fleet.add_argument("--csv", type=Path, metavar="FILE", help="also write the table (flat columns) as CSV")
    fleet.add_argument("--quiet", action="store_true", help="no progress bar")
    fleet.set_defaults(run=run_fleet, parser=fleet)


def run(args: argparse.Namespace) -> int:
    """``ingest``: print each file's outcome and a summary; 2 when a file failed."""
    if args.override_zone and not args.utc_offset:
        args.parser.error("--override-zone needs --utc-offset")
    report = ingest(
        args.captures, args.into, workers=args.workers, format=args.format, encoding=args.encoding,
        utc_offset=args.utc_offset, override_zone=args.override_zone, progress=False if args.quiet else None,
    )
    if args.json:
        print(json.dumps(report.table().to_dicts(), indent=1))
    else:
        for o in report.outcomes:
            if o.status in ("ingested", "replaced") and o.message:  # a log with no samples
                print(f"{o.status:9} {o.message}")
            elif o.status in ("ingested", "replaced"):
                print(f"{o.status:9} {o.path}: {', '.join(o.hosts)} × {', '.join(o.dates)}, {o.rows} samples × "
                      f"{o.columns} counters, {o.seconds:.2f} s")
            elif o.status == "skipped":
                print(f"skipped   {o.message}")
        print(f"{report.count('ingested')} ingested, {report.count('replaced')} replaced, "
              f"{report.count('skipped')} skipped, {len(report.failed)} failed into {report.dataset} "
              f"in {report.seconds:.1f} s ({report.workers} worker{'s' if report.workers > 1 else ''})")
    for o in report.failed:
        print(f"error: {o.message}", file=sys.stderr)
    return 2 if report.failed else 0


def run_fleet(args: argparse.Namespace) -> int:
    """``fleet``: analyse the dataset and print one line per migration."""
    result = fleet_migrations(
        args.dataset, start=args.start, end=args.end, hosts=args.hosts, context_s=args.context_s,
        write=not args.no_write, progress=False if args.quiet else None,
    )
    table = result.table
    for row in table.iter_rows(named=True):  # one printed line per migration
        blackout = "–" if row["blackout_s"] is None else f"{row['blackout_s']:.2f} s"
        gb = "–" if row["gb_moved"] is None else f"{row['gb_moved']:.2f} GB"
        mean = "–" if row["mean_gbps"] is None else f"{row['mean_gbps']:.2f} Gbit/s"
        print(f"{row['start']:%Y-%m-%d %H:%M:%S} {row['vm'] or '(traffic)'} {row['source']} → {row['destination']}: "
              f"{row['duration_s']:.1f} s, {gb}, mean {mean}, blackout {blackout}, {row['transport'] or '?'}")
    if args.csv:
        flat = table.with_columns(pl.col(pl.List(pl.String)).list.join("; ")).drop("nics")
        try:
            flat.write_csv(args.csv)
        except OSError as exc:
            raise KitError(f"--csv {args.csv}: cannot write the table ({exc.strerror or exc})") from None
    where = f"; table: {result.written}" if result.written else ""
    print(f"{table.height} migrations in {result.episodes.height} episodes, {result.seconds:.1f} s{where}")
    if result.unmatched.height:
        print(f"{result.unmatched.height} activity span(s) no migration accounts for", file=sys.stderr)
    return 0


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of worker processes (1 or more)")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds ≥ 0")
    return value
