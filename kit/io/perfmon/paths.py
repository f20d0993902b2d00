r"""Perfmon counter paths: ``\\HOST\Object(Parent/Instance#Index)\Counter``.

Parsing rules (domain reference §1.5):

* the host runs from ``\\`` to the next backslash; the counter is everything after the *last*
  backslash (instances such as SMB shares ``\srv\share`` contain backslashes, counters never do);
* the instance runs from the first ``(`` not preceded by a space to the last ``)`` of the object
  part, so instances with nested or unbalanced parentheses (``Intel(R) Ethernet Connection (2)
  I219-V``, ``:)``) and object names holding a parenthesised word after a space
  (``TCPIP Performance Diagnostics (Per-CPU)``) all work;
* ``Parent/`` is split off only for objects that really have parent instances (``Thread``…);
  elsewhere ``/`` is part of the instance name (``PRO/1000`` in unescaped counter sets);
* a trailing ``#N`` is the PDH duplicate index unless a space precedes it (Windows' own adapter
  names end in `` #2``) or the object keeps raw instance names.

Names are kept as written; comparisons are case-insensitive (Export-Counter lower-cases paths).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from kit.errors import OptionError

# Objects whose instances are "Parent/Instance" (PDH parent instances).
PARENT_OBJECTS = frozenset({"thread", "job object details"})

# Manifest-based counter sets that keep raw adapter names (with "#2", "(R)", "/").
RAW_NAME_OBJECTS = frozenset(
    {
        "per processor network interface card activity",
        "per processor network activity cycles",
        "physical network interface card activity",
    }
)

# PDH numbers instances of one name #1, #2, …: a longer number is part of the name (it would not fit an index).
_INDEX = re.compile(r"^(.*\S)#(\d{1,9})$", re.DOTALL)
# The "(" that opens the instance: the first one not preceded by a space (object names such as
# "TCPIP Performance Diagnostics (Per-CPU)" hold a parenthesised word after a space).
_INSTANCE_OPEN = re.compile(r"(?<=[^ ])\(")


@dataclass(frozen=True)
class CounterPath:
    """One parsed counter path; ``None`` where the path has no such part."""

    host: str | None
    object: str
    parent: str | None
    instance: str | None
    index: int | None
    counter: str


def parse_counter_path(path: str) -> CounterPath | None:
    r"""Split a counter path into its parts, or return ``None`` if it is not a counter path.

    >>> parse_counter_path(r"\\HV01\Network Interface(Intel[R] Ethernet _2#1)\Bytes Sent/sec")
    CounterPath(host='HV01', object='Network Interface', parent=None, instance='Intel[R] Ethernet _2', index=1, counter='Bytes Sent/sec')
    """
    text = path.strip()
    host: str | None = None
    if text.startswith("\\\\"):
        end = text.find("\\", 2)
        if end <= 2:
            return None
        host, text = text[2:end], text[end:]
    if not text.startswith("\\"):
        return None
    last = text.rfind("\\")
    if last == 0:
        return None
    object_part, counter = text[1:last], text[last + 1 :]
    if not object_part or not counter:
        return None
    name, instance = _split_instance(object_part)
    if not name:
        return None
    parent = index = None
    if instance is not None:
        folded = name.lower()
        if folded in PARENT_OBJECTS and "/" in instance:
            parent, instance = instance.split("/", 1)
        if folded not in RAW_NAME_OBJECTS:
            match = _INDEX.match(instance)
            if match:
                instance, index = match.group(1), int(match.group(2))
    return CounterPath(host, name, parent, instance, index, counter)


def _split_instance(object_part: str) -> tuple[str, str | None]:
    """(object name, instance) of ``Object(Instance)``; instance ``None`` when there is none."""
    if not object_part.endswith(")"):
        return object_part, None
    match = _INSTANCE_OPEN.search(object_part)
    if match is None:
        return object_part, None
    return object_part[: match.start()], object_part[match.start() + 1 : -1]


def counter_filter(patterns: Sequence[str]) -> pl.Expr:
    r"""Catalogue rows matching any of ``patterns``: counter paths with ``*`` wildcards.

    ``\\HV01\Processor Information(*)\% DPC Time``, ``\Network Interface(*)\Bytes*`` or
    ``Memory\Available MBytes``: no host means any host; no ``(instance)`` means any instance;
    object and counter match the name as written or its English name; case is ignored. A pattern
    equal to a data column's name (e.g. ``… [duplicate 2]``) selects that column.
    """
    if isinstance(patterns, str):
        patterns = [patterns]
    matches = [pl.col("column").is_in(list(patterns))]
    for pattern in patterns:
        text = pattern.strip()
        if not text.startswith("\\\\"):
            text = "\\\\*" + ("" if text.startswith("\\") else "\\") + text
        parsed = parse_counter_path(text)
        if parsed is None:
            raise OptionError(
                f"counter pattern {pattern!r} is not a counter path",
                hint=r"e.g. '\Processor Information(*)\% DPC Time' or '\\HV01\Network Interface(*)\Bytes*'",
            )
        parts = [
            (parsed.host, ("host",)),
            (parsed.object, ("object", "object_en")),
            (parsed.parent, ("parent",)),
            (parsed.instance, ("instance",)),
            (parsed.counter, ("counter", "counter_en")),
        ]
        tests = [
            pl.any_horizontal(pl.col(c).str.contains(_wildcard(value)).fill_null(False) for c in columns)
            for value, columns in parts
            if value is not None and value != "*"
        ]
        if parsed.index is not None:
            tests.append(pl.col("index") == parsed.index)
        matches.append(pl.all_horizontal(tests) if tests else pl.lit(True))
    return pl.any_horizontal(matches).fill_null(False)


def _wildcard(pattern: str) -> str:
    """Regex of a perfmon wildcard: ``*`` is any text, the rest literal, case ignored."""
    return "(?is)^" + re.escape(pattern).replace(r"\*", ".*") + "$"
