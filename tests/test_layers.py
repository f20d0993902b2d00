"""The package's layers: data flows one way (files → readers → inputs → analyses → typed results →
JSON, the fleet dataset, charts, notebooks, command line), so no module imports a layer above its own, no analysis
imports a reader or a chart library, and the core runs without the viz and notebook extras."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

LAYERS = (
    ("kit.errors", "kit.vocabulary", "kit.identity", "kit.limits", "kit.folders"),
    ("kit.inputs",),
    ("kit.io",),
    ("kit.analysis",),
    ("kit.contract", "kit.sample", "kit.arguments"),
    ("kit.fleet",),
    ("kit.viz",),
    ("kit.cli", "kit.__main__", "kit"),
)
"""Lowest first: a module may import its own layer and those below."""
CHART_AND_NOTEBOOK = ("altair", "vl_convert", "ipywidgets", "anywidget", "jupyterlab")
APPS = ("kit.viz.widgets", "kit.cli", "kit.__main__", "kit")
"""Modules that drive the whole pipeline (they may load files)."""


def layer(module: str) -> int:
    """The layer of a module: the longest matching prefix decides."""
    best = max(
        ((len(prefix), rank) for rank, prefixes in enumerate(LAYERS) for prefix in prefixes
         if module == prefix or module.startswith(prefix + ".")),
        default=None,
    )
    assert best is not None, f"{module} is in no layer: add it to LAYERS"
    return best[1]


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted((ROOT / "kit").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, anywhere in it (top level or inside a function)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names if node.module == "kit")
    return found


@pytest.mark.parametrize("module", list(modules()))
def test_no_module_imports_upward(module):
    own = layer(module)
    for name in imports(modules()[module]):
        if name.split(".")[0] == "kit" and name in modules():
            assert layer(name) <= own, f"{module} (layer {own}) imports {name} (layer {layer(name)})"


@pytest.mark.parametrize("module", [m for m in modules() if m.startswith("kit.analysis")])
def test_analyses_import_only_input_types(module):
    used = imports(modules()[module])
    assert not [n for n in used if n.startswith("kit.io")], f"{module} imports a reader"
    assert not [n for n in used if n.split(".")[0] in CHART_AND_NOTEBOOK], f"{module} imports a chart library"


@pytest.mark.parametrize("module", [m for m in modules() if not m.startswith("kit.viz") and m not in APPS])
def test_only_the_views_need_the_extras(module):
    used = imports(modules()[module])
    assert not [n for n in used if n.split(".")[0] in CHART_AND_NOTEBOOK], module


@pytest.mark.parametrize("module", [m for m in modules() if m.startswith("kit.viz") and m not in APPS])
def test_charts_never_open_files(module):
    assert not [n for n in imports(modules()[module]) if n.startswith("kit.io")], module


def test_the_core_imports_without_the_extras():
    """``import kit``, the command line and an analysis never load altair or ipywidgets."""
    script = (
        "import sys, kit, kit.cli, kit.contract; from kit.sample import sample_test; "
        "kit.to_dict(kit.analyze(kit.load(sample_test(), cache_results=False, progress=False))); "
        f"print(sorted(m for m in {CHART_AND_NOTEBOOK!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_layer_of_a_module():
    assert layer("kit.io.perfmon.cache") == 2 and layer("kit.analysis.results") == 3 and layer("kit") == 7
