"""Runs side by side: one row per migration of each run, with the run's labels (MTU, transport,
power plan, NIC count…) beside its headline figures (:data:`kit.analysis.results.HEADLINE_SCHEMA`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from kit.analysis.analyze import analyze
from kit.analysis.results import HEADLINE_SCHEMA, Analysis
from kit.errors import OptionError
from kit.inputs.capture import Capture

Run = Analysis | Capture
"""A run: its analysis, or its capture (analysed here)."""


def compare(
    runs: Mapping[str, Run],
    *,
    labels: Mapping[str, Mapping[str, Any]] | None = None,
    **options: Any,
) -> pl.DataFrame:
    """A table of runs side by side, in one call.

    ``runs`` maps a run name to its :class:`~kit.analysis.results.Analysis` or its capture (load
    files with :func:`kit.load` first); ``labels`` maps a run name to its metadata (merged over
    the analysis' own labels); ``options`` go to :func:`kit.analysis.analyze.analyze` for runs not
    yet analysed. Columns: ``run``, every label key (``<key>_label`` where a figure has that name,
    e.g. ``transport_label``), then :data:`~kit.analysis.results.HEADLINE_SCHEMA`.
    """
    labels = labels or {}
    frames, keys = [], []
    for name, run in runs.items():
        analysis = _analysis(run, options)
        meta = {_label_column(k): v for k, v in {**analysis.labels, **labels.get(name, {})}.items()}
        keys += [k for k in meta if k not in keys]
        frames.append(
            analysis.table().with_columns(run=pl.lit(name), **{k: pl.lit(_plain(v)) for k, v in meta.items()})
        )
    if not frames:
        return pl.DataFrame(schema={"run": pl.String, **HEADLINE_SCHEMA})
    return pl.concat(frames, how="diagonal_relaxed").select("run", *keys, *HEADLINE_SCHEMA)


def _analysis(run: Run, options: dict[str, Any]) -> Analysis:
    if isinstance(run, Analysis):
        return run
    if isinstance(run, Capture):
        return analyze(run, **options)
    raise OptionError(
        f"a run is an analysis or a capture, not {type(run).__name__}", hint="load files first: kit.load(paths)"
    )


def _label_column(key: str) -> str:
    """A label's column: its key, or ``<key>_label`` where the key is also a figure's column."""
    return f"{key}_label" if key in HEADLINE_SCHEMA or key == "run" else key


def _plain(value: Any) -> Any:
    """Label values as polars literals: numbers, booleans and text as they are, the rest as text."""
    return value if isinstance(value, (int, float, bool, str)) or value is None else str(value)
