"""PDH-CSV and PDH-TSV logs: relog, typeperf, Data Collector Sets / logman, Export-Counter.

Layout (domain reference §1.2): header cell 1 ``(PDH-CSV 4.0) (<zone name>)(<bias>)``, then one
full counter path per column; each row a local timestamp and one value per counter, ``" "`` where
PDH had no valid value. Variants handled: TSV, no or partial zone, zone names with parentheses,
half-hour biases, Excel re-saves (no quotes, ``;`` and decimal commas in some locales), a
Data Collector Set description column at the end (not a counter: dropped and reported).
"""

from __future__ import annotations

import re

import polars as pl

from kit.errors import HeaderError, LoadWarning
from kit.inputs.capture import Capture
from kit.io.common import LINE, parse_local, split_fields
from kit.io.perfmon.assemble import catalog, finish, not_selected, unique_names
from kit.io.perfmon.paths import counter_filter, parse_counter_path
from kit.io.perfmon.source import ReadOptions, TextSource
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
    """
    name = str(source.path)
    fmt = _MAGIC.match(source.header).group(2)
    separator = _separator(source.header, fmt)
    fields = split_fields(source.header, separator)
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
    keep, dropped = _counter_columns(paths, chosen, values, name)
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
    )


def _selected(paths: list[str], counters: tuple[str, ...], source: str) -> list[int]:
    """Indices (into ``paths``) of the header's columns that match the ``counters`` patterns."""
    names, _ = unique_names(paths, source, [None] * len(paths))
    mask = catalog(names, paths, source).select(counter_filter(counters)).to_series()
    return mask.arg_true().to_list()


def _counter_columns(
    paths: list[str], chosen: list[int], values: pl.DataFrame, source: str
) -> tuple[list[int], list[LoadWarning]]:
    """Indices (of ``chosen``, into ``paths``) of the columns to keep; report the ones that are
    not counters.

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
            what = "an empty header cell" if not path else f"{path!r}"
            warnings.append(
                LoadWarning(
                    source, "description-column",
                    f"column {column} ({what}) is not a counter path and holds no values "
                    "(a Data Collector Set description?): left out of the data",
                    column=column, skipped_columns=(column,),
                )
            )
        else:
            keep.append(i)
            warnings.append(
                LoadWarning(
                    source, "not-a-counter-path",
                    f"column {column} header {path!r} is not a counter path; kept with no object",
                    column=column,
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
