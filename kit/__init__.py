"""Hyper-V live-migration performance kit: load perfmon captures, analyse, chart.

Start with :func:`kit.load`; the result is a :class:`kit.Capture`. :func:`kit.analyze` finds and
measures every migration in it and returns a typed :class:`kit.Analysis`; :func:`kit.to_dict`
makes its JSON report; :func:`kit.compare` sets runs side by side. Charts and notebook views are in
:mod:`kit.viz` (the ``viz`` and ``notebook`` extras). A whole cluster's captures go into a Parquet
dataset with :func:`kit.ingest`, open lazily with :func:`kit.open_dataset` and are analysed in
bounded memory by :func:`kit.fleet_migrations` (:mod:`kit.fleet`).

Layers (each imports only those above it): :mod:`kit.errors`, :mod:`kit.vocabulary`,
:mod:`kit.identity`, :mod:`kit.limits` → :mod:`kit.inputs` → :mod:`kit.io` (readers) →
:mod:`kit.analysis` → :mod:`kit.contract` → :mod:`kit.fleet` → :mod:`kit.viz` → :mod:`kit.cli`.
"""

from kit.analysis.analyze import analyze
from kit.analysis.comparison import compare
from kit.analysis.cores import core_matrix
from kit.analysis.results import (
    Analysis,
    Blackout,
    BlackoutMethod,
    Channels,
    ClockOffset,
    CoreSummary,
    Finding,
    Leg,
    Migration,
    RateStats,
    Steadiness,
    Throughput,
    Window,
)
from kit.contract import to_dict
from kit.errors import KitError, LoadWarning
from kit.fleet import Dataset, FleetMigrations, fleet_migrations, ingest, open_dataset
from kit.inputs import Capture, Events, Pings, SourceInfo, TimeBase, Topology
from kit.io import load
from kit.io.perfmon.names import add_translations, translation_table
from kit.io.perfmon.quality import quality_report
from kit.io.side.events import read_events
from kit.io.side.pings import read_pings
from kit.io.side.topology import read_topology

__all__ = [
    "Analysis",
    "Blackout",
    "BlackoutMethod",
    "Capture",
    "Channels",
    "ClockOffset",
    "CoreSummary",
    "Dataset",
    "Events",
    "Finding",
    "FleetMigrations",
    "KitError",
    "Leg",
    "LoadWarning",
    "Migration",
    "Pings",
    "RateStats",
    "SourceInfo",
    "Steadiness",
    "Throughput",
    "TimeBase",
    "Topology",
    "Window",
    "add_translations",
    "analyze",
    "compare",
    "core_matrix",
    "fleet_migrations",
    "ingest",
    "load",
    "open_dataset",
    "quality_report",
    "read_events",
    "read_pings",
    "read_topology",
    "to_dict",
    "translation_table",
]
