"""The vl-convert session: Vega-Lite specs to SVG, PNG, PDF and HTML, and the vega JavaScript
bundle of the offline HTML report — with no browser and no internet.

Each chart is drawn once, as SVG, and its PNG rasterised from that SVG (``svg_to_png``) instead of
drawing it a second time; the JavaScript bundle (about 2 s to build) is kept on disk, in the kit's
cache folder, keyed by the vl-convert and Vega-Lite versions. Measured (``benchmarks/steps.py``,
``report_steps``): vl-convert 1.9 holds the GIL while it draws or rasterises, so threads gain
nothing, and worker processes lost to their own start-up on this 2-core machine.

Imports only vl-convert (not Altair).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import metadata
from pathlib import Path

import vl_convert as vlc

from kit.folders import cache_dir

IMAGE_FORMATS = ("svg", "png", "pdf", "html")
"""What :func:`render` makes from a spec."""


def render(
    specs: Mapping[str, dict], formats: tuple[str, ...], *, vl_version: str, scale: float = 1.0
) -> Iterator[tuple[str, str, str | bytes]]:
    """Each spec in each of ``formats`` (:data:`IMAGE_FORMATS`): yields ``(name, format, data)``
    (``str`` for SVG and HTML, ``bytes`` for PNG and PDF) as they are made.

    Each chart is drawn once as SVG; its PNG and PDF are made from that SVG. ``scale`` multiplies
    a PNG's pixels and a PDF's size. [1]
    """
    unknown = set(formats) - set(IMAGE_FORMATS)
    if unknown:
        raise ValueError(f"unknown formats {sorted(unknown)}: use {IMAGE_FORMATS}")
    for name, spec in specs.items():
        if {"svg", "png", "pdf"} & set(formats):
            svg = vlc.vegalite_to_svg(spec, vl_version=vl_version)
            if "svg" in formats:
                yield name, "svg", svg
            if "png" in formats:
                yield name, "png", vlc.svg_to_png(svg, scale=scale)
            if "pdf" in formats:
                yield name, "pdf", vlc.svg_to_pdf(svg, scale=scale)
        if "html" in formats:
            yield name, "html", vlc.vegalite_to_html(spec, vl_version=vl_version, bundle=True)


def vega_script(vl_version: str) -> str:
    """vega, vega-lite and vega-embed as one JavaScript bundle (sets ``window.vegaEmbed``; about
    0.9 MB): read from the kit's cache folder, else built by vl-convert (about 2 s) and kept there."""
    return _bundle(vl_version)


@cache
def _bundle(vl_version: str) -> str:
    path = bundle_path(vl_version)
    try:
        kept = path.read_text(encoding="utf-8").removesuffix("\n")
        if kept.endswith("\n" + _END):
            return kept[: -len(_END) - 1]
    except OSError:
        pass
    text = vlc.javascript_bundle(vl_version=vl_version)
    try:  # the cache is only an optimisation: a folder that cannot be written is no error
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".vega-", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text + "\n" + _END + "\n")
        os.replace(temporary, path)
    except OSError:
        pass
    return text


_END = "// end of the kit's cached vega bundle"
"""Last line of a complete cached bundle (a file cut short is built again)."""


def bundle_path(vl_version: str) -> Path:
    """Where the JavaScript bundle of ``vl_version`` is kept: ``<cache>/vega/``, named after the
    vl-convert version that built it."""
    return cache_dir() / "vega" / f"vega-bundle-vlc{metadata.version('vl-convert-python')}-vl{vl_version}.js"
