"""Hyper-V live-migration performance kit: load perfmon captures, analyse, chart.

Start with :func:`kit.load`; the result is a :class:`kit.Capture`.
"""

from kit.capture import Capture, SourceInfo
from kit.errors import KitError, LoadWarning
from kit.io import load
from kit.names import add_translations, translation_table
from kit.quality import quality_report

__all__ = [
    "Capture",
    "KitError",
    "LoadWarning",
    "SourceInfo",
    "add_translations",
    "load",
    "quality_report",
    "translation_table",
]
