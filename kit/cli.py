"""Command line: ``python -m kit info|convert|sample …``.

* ``info FILE...`` — hosts, objects, counters, time range (UTC and local), interval and quality
  warnings; ``--json`` prints the same as JSON for scripts.
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

from kit.capture import Capture
from kit.errors import KitError
from kit.io import load
from kit.quality import SEVERITY

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

    def loading(p: argparse.ArgumentParser) -> None:
        p.add_argument("files", nargs="+", metavar="FILE", help="counter logs, folders or glob patterns")
        p.add_argument("--encoding", help="force the text encoding (e.g. cp1251)")
        p.add_argument("--utc-offset", help="collecting host's UTC offset, e.g. +08:00 (for files with no zone)")
        p.add_argument("--override-zone", action="store_true", help="use --utc-offset even where the header has a zone")
        p.add_argument("--no-cache", action="store_true", help="do not use the Parquet cache")
        p.add_argument("--quiet", action="store_true", help="no progress bar")

    info = sub.add_parser("info", help="what a capture holds")
    loading(info)
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(run=_info)

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


def _sample(args: argparse.Namespace) -> int:
    from kit.synth import write_bundled

    for path in write_bundled(args.directory):
        print(f"wrote {path}")
    return 0
