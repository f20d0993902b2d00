"""Hyper-V live-migration performance kit: load perfmon captures, analyse, chart.

Start with :func:`kit.load`; the result is a :class:`kit.Capture`. :func:`kit.analyze` finds and
measures every migration in it; :func:`kit.compare` sets runs side by side.
"""

from kit.analysis import Analysis, analyze
from kit.capture import Capture, SourceInfo
from kit.comparison import compare
from kit.cores import core_matrix
from kit.errors import KitError, LoadWarning
from kit.io import load
from kit.io.events import read_events
from kit.io.pings import read_pings
from kit.io.topology import read_topology
from kit.names import add_translations, translation_table
from kit.quality import quality_report

__all__ = [
    "Analysis",
    "Capture",
    "KitError",
    "LoadWarning",
    "SourceInfo",
    "add_translations",
    "analyze",
    "compare",
    "core_matrix",
    "load",
    "quality_report",
    "read_events",
    "read_pings",
    "read_topology",
    "translation_table",
]
