"""Charts to files for design documents: PNG, SVG, PDF, self-contained HTML, Vega-Lite JSON.

Rendering runs in vl-convert (Vega in an embedded JavaScript engine, :mod:`kit.viz.render`): no
browser, no internet. HTML files carry the vega libraries inline, so they open offline. Specs are
made without Altair's JSON-schema validation (``to_dict(validate=False)``: a quarter of a second
per report); the tests validate every chart function's spec.
"""

from __future__ import annotations

import json
from pathlib import Path

import altair as alt

from kit.errors import OptionError
from kit.viz import render

FORMATS = (".png", ".svg", ".pdf", ".html", ".json")
VL_VERSION = "_".join(alt.SCHEMA_VERSION.split(".")[:2])
"""The Vega-Lite version of Altair's specs, as vl-convert names it (``v6_4``)."""


def save(
    chart: alt.TopLevelMixin,
    path: str | Path,
    *,
    width: float | None = None,
    height: float | None = None,
    scale: float = 1.0,
) -> Path:
    """Write ``chart`` to ``path`` in the format of its suffix (:data:`FORMATS`); return the path.

    ``width``/``height`` set the size of the plotting area [px] (of each panel in a concatenated
    or faceted chart); ``scale`` multiplies the pixels of a PNG and the size of a PDF [1] (SVG and
    HTML are vector and ignore it). Folders are created as needed.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise OptionError(f"cannot save a chart as {path.name!r}: use one of {', '.join(FORMATS)}")
    spec = sized_spec(chart, width=width, height=height)
    path.parent.mkdir(parents=True, exist_ok=True)
    write(spec, path, scale=scale)
    return path


def write(spec: dict, path: Path, *, scale: float = 1.0) -> None:
    """Write a Vega-Lite ``spec`` to ``path`` in the format of its suffix (:data:`FORMATS`)."""
    fmt = path.suffix.lower()[1:]
    if fmt == "json":
        path.write_text(json.dumps(spec, indent=1), encoding="utf-8")
        return
    for _, _, data in render.render({path.name: spec}, (fmt,), vl_version=VL_VERSION, scale=scale):
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")


def sized_spec(chart: alt.TopLevelMixin, *, width: float | None = None, height: float | None = None) -> dict:
    """The chart's Vega-Lite spec (with the active theme), resized: a single or layered chart
    gets ``width``/``height``; a concatenated or faceted one gets them for every panel."""
    spec = chart.to_dict(validate=False)
    size = {k: v for k, v in (("width", width), ("height", height)) if v is not None}
    if not size:
        return spec
    if any(k in spec for k in ("concat", "hconcat", "vconcat", "facet", "repeat")):
        view = spec.setdefault("config", {}).setdefault("view", {})
        view.update({f"continuous{k.capitalize()}": v for k, v in size.items()})
        view.update({f"discrete{k.capitalize()}": v for k, v in size.items()})
        for part in _panels(spec):
            for key in size:
                part.pop(key, None)
    else:
        spec.update(size)
    return spec


def _panels(spec: dict) -> list[dict]:
    """The sub-specs of a composed spec whose own sizes would override the config's."""
    parts = [*spec.get("concat", []), *spec.get("hconcat", []), *spec.get("vconcat", [])]
    if "spec" in spec:
        parts.append(spec["spec"])
    return parts


def vega_script() -> str:
    """vega, vega-lite and vega-embed as one JavaScript bundle (sets ``window.vegaEmbed``; about
    0.9 MB), kept in the kit's cache folder (:func:`kit.viz.render.vega_script`)."""
    return render.vega_script(VL_VERSION)
