"""One capture from several files: pieces of one log are stacked in time, different logs joined on
time, and every identity question a merge raises is checked and reported rather than guessed:

* a host is one host whatever the case of its name (``Get-Counter`` writes paths in lower case,
  relog as the machine spells them): the first spelling is used throughout;
* files with the same counters (compared case-insensitively) are pieces of one log only if they
  follow each other or, where they overlap, repeat each other's samples exactly (kept once,
  reported); pieces that overlap with other samples are two machines of one name (two labs' ``HV01``,
  clocks in other zones) and are kept apart, the later one's host renamed and reported;
* a column name used by two logs gets the file name appended (reported).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import polars as pl

from kit.errors import LoadWarning
from kit.identity import host_key_of
from kit.inputs.capture import Capture


def combine(parts: list[Capture]) -> Capture:
    """One capture from one-source ``parts`` (see the module's rules)."""
    if len(parts) == 1:
        return parts[0]
    parts = _one_spelling_per_host(parts)
    warnings: list[LoadWarning] = [w for part in parts for w in part.warnings]
    logs = [_stack(group, warnings) for group in _pieces_of_one_log(parts, warnings)]
    seen: set[str] = set()
    frames, catalogs = [], []
    for log in logs:
        own = log.catalog["column"].to_list()
        rename, taken = {}, seen | set(own)
        for column in (c for c in own if c in seen):
            base = f"{column} [{Path(log.sources[0].path).name}"
            name, count = base + "]", 2
            while name in taken:
                name, count = f"{base} {count}]", count + 1
            rename[column] = name
            taken.add(name)
        for old, new in rename.items():
            warnings.append(
                LoadWarning(log.sources[0].path, "column-collision", f"{old!r} also comes from another file: named {new!r}")
            )
        seen.update(rename.get(c, c) for c in own)
        frames.append(log.data.rename(rename).with_columns(pl.int_range(pl.len()).over("time").alias("__k")))
        catalogs.append(log.catalog.with_columns(pl.col("column").replace(rename)))
    data = frames[0]
    for frame in frames[1:]:
        data = data.join(frame, on=["time", "__k"], how="full", coalesce=True)
    data = data.sort("time", "__k").drop("__k")
    sources = tuple(s for part in parts for s in part.sources)
    times = {log.catalog["source"][0]: log.data["time"] for log in logs if log.catalog.height}
    return Capture(
        data=data, catalog=pl.concat(catalogs), sources=sources, warnings=tuple(warnings),
        log_times=times if len(logs) > 1 else {},
    )


def _one_spelling_per_host(parts: list[Capture]) -> list[Capture]:
    """``parts`` with every host named as the first file that names it spells it (``HV01`` and
    ``hv01`` are one machine; its counter paths keep their own spelling)."""
    hosts = pl.concat([part.catalog.select("host") for part in parts]).drop_nulls().unique(maintain_order=True)
    spelling = hosts.with_columns(key=host_key_of("host")).group_by("key", maintain_order=True).agg(pl.col("host").first())
    if spelling.height == hosts.height:
        return parts
    named = dict(zip(spelling["key"], spelling["host"]))
    out = []
    for part in parts:
        catalog = part.catalog.with_columns(host=host_key_of("host").replace_strict(named, default=pl.col("host")))
        hosts = tuple(catalog["host"].drop_nulls().unique(maintain_order=True))
        out.append(replace(part, catalog=catalog, sources=tuple(replace(s, hosts=hosts) for s in part.sources)))
    return out


def _pieces_of_one_log(parts: list[Capture], warnings: list[LoadWarning]) -> list[list[Capture]]:
    """``parts`` grouped into logs: same counters (case-insensitively), in time order, and each
    piece either after the ones before it or repeating their samples where it overlaps them. A
    piece that overlaps with other samples starts a log of its own, its host renamed."""
    groups: dict[tuple[str, ...], list[list[int]]] = {}
    order = sorted(range(len(parts)), key=lambda i: (parts[i].start is None, parts[i].start))
    parts = list(parts)
    for i in order:
        logs = groups.setdefault(tuple(sorted(parts[i].catalog["column"].str.to_lowercase())), [])
        home = next((log for log in logs if _continues([parts[j] for j in log], parts[i])), None)
        if home is not None:
            home.append(i)
            continue
        if logs:
            parts[i] = _other_machine(parts[i], parts[logs[0][0]], warnings)
        logs.append([i])
    logs = sorted((log for logs in groups.values() for log in logs), key=min)  # in the order the files were given
    return [[parts[i] for i in log] for log in logs]


def _continues(log: list[Capture], part: Capture) -> bool:
    """True when ``part`` follows ``log`` in time or its samples in ``log``'s span repeat
    ``log``'s samples exactly (times and values)."""
    end = max((piece.end for piece in log if piece.end is not None), default=None)
    if end is None or part.start is None or part.start > end:
        return True
    inside = _as(part, log[0]).filter(pl.col("time") <= end)
    earlier = pl.concat([piece.data for piece in log]).filter(pl.col("time") >= part.start)
    return inside.join(earlier, on=inside.columns, how="anti", nulls_equal=True).height == 0


def _as(part: Capture, first: Capture) -> pl.DataFrame:
    """``part``'s data with ``first``'s names for the same columns (they differ at most in case)."""
    names = {c.lower(): c for c in first.data.columns}
    return part.data.rename({c: names[c.lower()] for c in part.data.columns}).select(first.data.columns)


def _other_machine(part: Capture, first: Capture, warnings: list[LoadWarning]) -> Capture:
    """``part`` kept as another machine: its hosts renamed ``HOST [file]``, reported."""
    source = part.sources[0].path
    label = f" [{Path(source).name}]"
    renamed = {h: h + label for h in part.catalog["host"].drop_nulls().unique()}
    warnings.append(LoadWarning(
        source, "same-name-hosts",
        f"this log has the counters of {first.sources[0].path} and overlaps it in time with other samples, so it "
        f"is another machine of the same name (or a clock in another zone): kept apart as "
        f"{', '.join(sorted(renamed.values())) or 'a log of its own'}; if it is one machine, load the files "
        "separately",
    ))
    catalog = part.catalog.with_columns(pl.col("host").replace(renamed))
    sources = tuple(replace(s, hosts=tuple(renamed.get(h, h) for h in s.hosts)) for s in part.sources)
    return replace(part, catalog=catalog, sources=sources)


def _stack(group: list[Capture], warnings: list[LoadWarning]) -> Capture:
    """Pieces of one log stacked in time order, each sample once (repeats reported)."""
    if len(group) == 1:
        return group[0]
    first = group[0]
    names = " + ".join(c.sources[0].path for c in group)
    data = pl.concat([_as(c, first) for c in group]).sort("time", maintain_order=True)
    repeat = ~data.select(pl.struct(pl.all()).is_first_distinct()).to_series()
    if repeat.any():
        times = data["time"].filter(repeat)
        warnings.append(LoadWarning(
            names, "repeated-samples",
            f"{len(times)} sample(s) from {times.min():%Y-%m-%d %H:%M:%S} to {times.max():%Y-%m-%d %H:%M:%S} UTC appear "
            "in more than one of these files (overlapping pieces of one log, or one file named twice): each kept once",
        ))
        data = data.filter(~repeat)
    catalog = first.catalog.with_columns(source=pl.lit(names))
    return Capture(data=data, catalog=catalog, sources=tuple(s for c in group for s in c.sources), warnings=())
