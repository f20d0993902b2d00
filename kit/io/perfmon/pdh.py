"""PDH-CSV and PDH-TSV logs: relog, typeperf, Data Collector Sets / logman, Export-Counter.

Layout (domain reference §1.2): header cell 1 ``(PDH-CSV 4.0) (<zone name>)(<bias>)``, then one
full counter path per column; each row a local timestamp and one value per counter, ``" "`` where
PDH had no valid value. Variants handled: TSV, no or partial zone, zone names with parentheses,
half-hour biases, Excel re-saves (no quotes, ``;`` and decimal commas in some locales), a
Data Collector Set description column at the end (not a counter: dropped and reported).
"""

from __future__ import annotations

import re
from dataclasses import replace

import polars as pl

from kit.errors import HeaderError, LoadWarning
from kit.inputs.capture import Capture
from kit.inputs.timebase import median_interval_s
from kit.io.common import LINE, line_list, parse_local, quote, split_fields
from kit.io.perfmon.assemble import catalog, finish, not_selected, repeated_samples, unique_names
from kit.io.perfmon.paths import counter_filter, parse_counter_path
from kit.io.perfmon.source import ReadOptions, TextSource, runs
from kit.io.perfmon.table import read_body

_MAGIC = re.compile(r'^\s*"?\((PDH-(CSV|TSV)) ([\d.]+)\)')
_BIAS = re.compile(r"\((-?\d+)\)\s*$")
_QUOTED_FIRST = re.compile(r'\s*"(?:[^"]|"")*"(.)')
_UNQUOTED_FIRST = re.compile(r"\s*\(PDH-CSV [\d.]+\)(?:\s*\(.*?\)\(-?\d+\))?[^,;]*([,;])")
MAX_BIAS = 24 * 60
"""Largest plausible header bias (UTC−12 … UTC+14, plus DST). [min]"""


def is_pdh(header: str) -> bool:
    """True when the header line starts like a PDH text log."""
    return _MAGIC.match(header) is not None


def parse_zone(first_cell: str) -> tuple[str | None, int | None]:
    """(zone name, bias minutes) from header cell 1; either is None when absent or cut off.

    ``(PDH-CSV 4.0) (Maroc (heure d'été))(-60)`` → ("Maroc (heure d'été)", -60);
    ``(PDH-CSV 4.0) (`` → (None, None); ``(PDH-CSV 4.0) (India Standard Time)(-330)`` → (…, -330).
    """
    rest = _MAGIC.sub("", first_cell.strip()).strip().strip('"').strip()
    bias_match = _BIAS.search(rest)
    bias = int(bias_match.group(1)) if bias_match else None
    if bias_match:
        rest = rest[: bias_match.start()]
    name = rest.strip()
    if name.startswith("("):
        name = name[1:]
    if name.endswith(")") and name.count(")") > name.count("("):
        name = name[:-1]
    return (name.strip() or None), bias


def _separator(header: str, fmt: str) -> str:
    """The field separator: TAB for TSV; for CSV ``,`` unless a spreadsheet re-save used ``;``.

    The character after the first cell decides (``(PDH-CSV 4.0) (zone)(bias)``, quoted or not),
    not counts: a ``;`` re-save leaves the commas of ``Processor Information(0,1)`` unquoted.
    """
    if fmt == "TSV":
        return "\t"
    first = _QUOTED_FIRST.match(header) or _UNQUOTED_FIRST.match(header)
    return ";" if first and first.group(1) == ";" else ","


def read_pdh(
    source: TextSource,
    options: ReadOptions,
) -> Capture:
    """Read a PDH-CSV/TSV log.

    ``options.bias_minutes`` (UTC = local + bias) is used when the header has no bias, or instead
    of the header's with ``options.override_zone`` (e.g. relog wrote the converting machine's zone).
    A log of several runs, each after its own header line (relog ``-a``, a restarted Data
    Collector Set), is read run by run, each with its header, and the runs joined by counter path.
    """
    capture = _read_run(source, options)
    if not any(w.code in ("bad-timestamp", "field-count") for w in capture.warnings):
        return capture  # a later header line is skipped as one or the other: a log without either has none
    parts = runs(source)
    if len(parts) == 1:
        return capture
    return _join_runs([_read_run(part, options, keep_lines=True) for part in parts], [part.header_line for part in parts])


def _join_runs(captures: list[Capture], header_lines: list[int]) -> Capture:
    """One capture of a log's runs: columns matched by name (a counter missing from a run is
    blank there), rows in time order, the later header lines accounted for in a warning."""
    name = captures[0].sources[0].path
    data = pl.concat([c.data for c in captures], how="diagonal_relaxed").sort("time", maintain_order=True)
    catalog = pl.concat([c.catalog for c in captures]).unique("column", keep="first", maintain_order=True)
    data, repeats = repeated_samples(data.select("time", LINE, *catalog["column"]), name)
    data = data.drop(LINE)
    later = header_lines[1:]
    orders = {tuple(c.catalog["column"]) for c in captures}
    warnings = [w for c in captures for w in c.warnings if w.code != "duplicate-time"] + repeats
    warnings.append(LoadWarning(
        name, "appended-runs",
        f"the file holds {len(captures)} runs, each after its own header ({line_list(later)} start new ones"
        f"{'; their counters differ or come in another order' if len(orders) > 1 else ''}): each run read with "
        "its own header and the columns matched by counter path", line=later[0], skipped_lines=tuple(later),
    ))
    first = captures[0].sources[0]
    zones = {(c.sources[0].zone_name, c.sources[0].bias_minutes) for c in captures}
    if len(zones) > 1:
        warnings.append(LoadWarning(name, "appended-runs", "the runs' headers give different zones or biases: "
                                    "each run's times were converted with its own", line=later[0]))
    info = replace(
        first,
        rows=data.height,
        samples=data.height,
        columns=catalog.height,
        interval_s=median_interval_s(data["time"]),
        hosts=tuple(catalog["host"].drop_nulls().unique(maintain_order=True)),
        start=data["time"].min() if data.height else None,
        end=data["time"].max() if data.height else None,
    )
    return Capture(data=data, catalog=catalog, sources=(info,), warnings=tuple(warnings))


def _read_run(source: TextSource, options: ReadOptions, *, keep_lines: bool = False) -> Capture:
    """Read one run of a PDH log (its header line and the rows up to the next one)."""
    name = str(source.path)
    fmt = _MAGIC.match(source.header).group(2)
    separator = _separator(source.header, fmt)
    fields = _rejoined(split_fields(source.header, separator), separator)
    zone, header_bias = parse_zone(fields[0])
    warnings = list(source.warnings)
    if header_bias is not None and abs(header_bias) > MAX_BIAS:
        warnings.append(
            LoadWarning(
                name, "bad-bias",
                f"the header's bias {header_bias} min is beyond ±{MAX_BIAS} min (no time zone is "
                "that far from UTC): ignored", line=source.header_line, column=1,
            )
        )
        header_bias = None
    paths = [f.strip() for f in fields[1:]]
    if not any(parse_counter_path(path) is not None for path in paths):
        raise HeaderError(
            "the header holds no counter paths (expected \\\\HOST\\Object(Instance)\\Counter)",
            path=source.path, line=source.header_line,
            hint="log counters with logman/typeperf or convert a .blg with relog file.blg -f csv -o file.csv",
        )
    decimal_comma = options.decimal_comma
    if decimal_comma is None:
        decimal_comma = separator == ";"
    chosen = list(range(len(paths)))
    if options.counters is not None:
        chosen = _selected(paths, options.counters, name)
        if len(chosen) < len(paths):
            warnings.append(not_selected(name, options.counters, len(paths) - len(chosen), len(paths)))
    values, body_warnings = read_body(
        source, len(fields), separator=separator, decimal_comma=decimal_comma,
        fields=None if options.counters is None else [i + 1 for i in chosen],
    )
    warnings.extend(body_warnings)
    keep, dropped = _counter_columns(paths, chosen, values, name, source.header_line)
    warnings.extend(dropped)
    kept_paths = [paths[i] for i in keep]
    columns, dup_warnings = unique_names(kept_paths, name, [i + 2 for i in keep])
    warnings.extend(dup_warnings)
    cat = catalog(columns, kept_paths, name)
    local, _ = parse_local(values["c0"])
    values = values[[LINE, *(f"c{i + 1}" for i in keep)]]  # getitem, not select: see table._fast
    values.columns = [LINE, *columns]
    values.insert_column(0, local)
    bias, basis = _resolve_bias(header_bias, options.bias_minutes, options.override_zone, zone, name, warnings)
    return finish(
        values,
        cat,
        source=name,
        bias_minutes=bias,
        correct_dst=options.correct_dst,
        warnings=warnings,
        info={
            "format": f"pdh-{fmt.lower()}",
            "encoding": source.codec,
            "encoding_basis": source.encoding_basis,
            "zone_name": zone,
            "bias_basis": basis,
            "separator": separator,
            "header_fields": len(fields),
        },
        keep_lines=keep_lines,
    )


def _rejoined(fields: list[str], separator: str) -> list[str]:
    r"""Header fields with the ones an unquoted path's separators split apart joined again by
    parenthesis balance (``\\HV01\Processor Information(0,3)\% Processor Time`` in a header
    written without quotes), when that makes more counter paths than the plain split."""
    joined, pending, depth = [], [], 0
    for field in fields:
        pending.append(field)
        depth += field.count("(") - field.count(")")
        if depth > 0:  # a parenthesis is still open: the next field belongs to this one
            continue
        joined.append(separator.join(pending))
        pending, depth = [], 0
    joined += pending  # a parenthesis never closed joins nothing
    if len(joined) == len(fields):
        return fields
    paths = sum(parse_counter_path(f.strip()) is not None for f in fields[1:])
    return joined if sum(parse_counter_path(f.strip()) is not None for f in joined[1:]) > paths else fields


def _selected(paths: list[str], counters: tuple[str, ...], source: str) -> list[int]:
    """Indices (into ``paths``) of the header's columns that match the ``counters`` patterns."""
    names, _ = unique_names(paths, source, [None] * len(paths))
    mask = catalog(names, paths, source).select(counter_filter(counters)).to_series()
    return mask.arg_true().to_list()


def _counter_columns(
    paths: list[str], chosen: list[int], values: pl.DataFrame, source: str, header_line: int
) -> tuple[list[int], list[LoadWarning]]:
    """Indices (of ``chosen``, into ``paths``) of the columns to keep; report the ones that are
    not counters (each warning names the header line its column number refers to: a log of
    several runs has several headers).

    A header cell that is not a counter path and whose column is entirely blank is a Data
    Collector Set description (or an empty trailing column): dropped, reported. One that is not a
    path but holds values is kept (it may still be useful) and reported.
    """
    keep, warnings = [], []
    for i in chosen:
        path = paths[i]
        if parse_counter_path(path) is not None:
            keep.append(i)
            continue
        column = i + 2
        if values[f"c{i + 1}"].null_count() == values.height:
            what = "an empty header cell" if not path else quote(path)
            warnings.append(
                LoadWarning(
                    source, "description-column",
                    f"column {column} ({what}) is not a counter path and holds no values "
                    "(a Data Collector Set description?): left out of the data",
                    line=header_line, column=column, skipped_columns=(column,),
                )
            )
        else:
            keep.append(i)
            warnings.append(
                LoadWarning(
                    source, "not-a-counter-path",
                    f"column {column} header {quote(path)} is not a counter path; kept with no object",
                    line=header_line, column=column,
                )
            )
    return keep, warnings


def _resolve_bias(
    header_bias: int | None,
    user_bias: int | None,
    override: bool,
    zone: str | None,
    source: str,
    warnings: list,
) -> tuple[int, str]:
    """The bias to use and where it came from; a missing or overridden zone is reported."""
    if header_bias is not None and (user_bias is None or not override):
        if user_bias is not None and user_bias != header_bias:
            warnings.append(
                LoadWarning(
                    source, "bias-override",
                    f"header gives bias {header_bias} min ({zone}), used instead of the given "
                    f"{user_bias} min (pass override_zone=True to force it)",
                    line=1,
                )
            )
        return header_bias, "header"
    if user_bias is not None:
        if header_bias is not None:
            warnings.append(
                LoadWarning(
                    source, "bias-override",
                    f"header says bias {header_bias} min ({zone}); using the given {user_bias} min",
                    line=1,
                )
            )
        return user_bias, "user"
    warnings.append(
        LoadWarning(
            source, "timezone-unknown",
            f"the header gives no UTC offset (zone {zone!r}): times are taken as UTC; pass "
            "utc_offset= (e.g. '+08:00') with the collecting host's offset",
            line=1,
        )
    )
    return 0, "assumed-utc"
