"""Counter and object names: localized → English translation, canonical English spelling.

Perfmon writes counter paths in the language of the collecting system (``Prozessor`` /
``DPC-Zeit (%)`` on German Windows) and PowerShell's Export-Counter writes them lower-cased. The
analyses look counters up by their English names, so every capture's catalogue carries
``object_en`` / ``counter_en`` columns made here.

The built-in table is ``kit/io/perfmon/counter_names.tsv`` (with its sources beside it). Users extend it
with :func:`add_translations`, for a language or a counter the table lacks.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path

import polars as pl

from kit.errors import OptionError

KINDS = ("object", "counter")
_TABLE_COLUMNS = ("kind", "language", "localized", "english", "source")

_user_rows: list[dict[str, str]] = []


@lru_cache(maxsize=1)
def _builtin_rows() -> tuple[dict[str, str], ...]:
    text = resources.files("kit.io.perfmon").joinpath("counter_names.tsv").read_text(encoding="utf-8")
    return tuple(csv.DictReader(text.splitlines(), delimiter="\t"))


def translation_table() -> pl.DataFrame:
    """The translation table in use: built-in rows, then user rows (which win on conflict).

    Columns: ``kind`` (object|counter), ``language``, ``localized``, ``english``, ``source``.
    """
    rows = [*_builtin_rows(), *_user_rows]
    return pl.DataFrame(
        {c: [r.get(c) or "" for r in rows] for c in _TABLE_COLUMNS},
        schema={c: pl.String for c in _TABLE_COLUMNS},
    )


def add_translations(
    entries: Mapping[str, str] | Iterable[Mapping[str, str]] | str | Path,
    *,
    kind: str = "counter",
    language: str = "user",
) -> int:
    """Add translations to the table used by every later load; returns the number added.

    ``entries`` is one of: a mapping ``{localized: english}`` (all of ``kind``); an iterable of
    mappings with keys ``kind``, ``localized``, ``english`` (and optionally ``language``); or the
    path of a TSV file with the same header as the built-in ``counter_names.tsv``.
    """
    if isinstance(entries, (str, Path)):
        path = Path(entries)
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
        source = str(path)
    elif isinstance(entries, Mapping):
        rows = [{"kind": kind, "localized": k, "english": v} for k, v in entries.items()]
        source = "user"
    else:
        rows = [dict(r) for r in entries]
        source = "user"
    clean = []
    for number, row in enumerate(rows, start=1):
        row_kind = (row.get("kind") or kind).strip()
        localized = (row.get("localized") or "").strip()
        english = (row.get("english") or "").strip()
        if row_kind not in KINDS or not localized or not english:
            raise OptionError(
                f"translation entry {number} needs kind in {KINDS}, a localized and an english "
                f"name; got {row!r}",
                path=source,
            )
        clean.append(
            {
                "kind": row_kind,
                "language": (row.get("language") or language).strip(),
                "localized": localized,
                "english": english,
                "source": row.get("source") or source,
            }
        )
    _user_rows.extend(clean)
    _lookup.cache_clear()
    return len(clean)


def reset_translations() -> None:
    """Forget every translation added with :func:`add_translations`."""
    _user_rows.clear()
    _lookup.cache_clear()


def _key(name: str) -> str:
    """Comparison key: case-insensitive, typographic apostrophe = plain (both occur in fr)."""
    return name.strip().lower().replace("\u2019", "'")


@lru_cache(maxsize=2)
def _lookup(kind: str) -> dict[str, str]:
    """Lower-cased localized or English name → canonical English name, for one kind."""
    mapping: dict[str, str] = {}
    for row in [*_builtin_rows(), *_user_rows]:
        if row["kind"] == kind:
            mapping[_key(row["localized"])] = row["english"]
            mapping.setdefault(_key(row["english"]), row["english"])
    return mapping


def to_english(name: str | None, *, kind: str) -> str | None:
    """The canonical English name of an object or counter, or ``name`` unchanged when unknown.

    Matching is case-insensitive, so ``bytes total/sec`` (Export-Counter) becomes
    ``Bytes Total/sec`` and ``Prozessor`` becomes ``Processor``.
    """
    if name is None:
        return None
    return _lookup(kind).get(_key(name), name)


def known_names() -> frozenset[str]:
    """Every name in the table (localized and English, lower-cased), for encoding detection."""
    return frozenset(_lookup("object")) | frozenset(_lookup("counter"))



def with_english(catalog: pl.DataFrame) -> pl.DataFrame:
    """``catalog`` with ``object_en`` / ``counter_en`` (re)made from ``object`` / ``counter``."""
    out = {}
    for kind, column in (("object", "object"), ("counter", "counter")):
        names = catalog[column].drop_nulls().unique().to_list()
        mapping = {name: to_english(name, kind=kind) for name in names}
        out[f"{column}_en"] = pl.col(column).replace_strict(mapping, default=None, return_dtype=pl.String)
    return catalog.with_columns(**out)
