"""Every notebook runs top to bottom on the bundled data, headless, with no error output."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))


def _run(path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return notebook


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> dict[str, nbformat.NotebookNode]:
    """Every notebook executed once, in parallel kernels that import this checkout's kit."""
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "KIT_CACHE_DIR": str(tmp_path_factory.mktemp("nbcache"))}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        with ThreadPoolExecutor(max_workers=len(PATHS)) as pool:
            return dict(zip((p.name for p in PATHS), pool.map(_run, PATHS)))
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def test_the_notebooks_are_numbered_in_order():
    """01–05 for one test's views, then any later ones (06-fleet, issue 18), numbered without gaps."""
    assert [p.stem[:2] for p in PATHS] == [f"{k:02d}" for k in range(1, len(PATHS) + 1)] and len(PATHS) >= 5


@pytest.mark.parametrize("name", [p.name for p in PATHS])
def test_committed_clean_and_opening_with_what_it_answers(name):
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert notebook.cells[0].cell_type == "markdown" and "What it answers" in notebook.cells[0].source
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{name}: strip outputs before committing"
            assert len(cell.source.splitlines()) <= 6, f"{name}: keep the logic in the kit"


@pytest.mark.parametrize("name", [p.name for p in PATHS])
def test_notebook_runs_without_errors(executed, name):
    outputs = [o for cell in executed[name].cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not [o for o in outputs if o.output_type == "stream" and o.name == "stderr" and "Traceback" in o.text]
    widgets = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert widgets, f"{name}: the view was not displayed"
    state = executed[name].metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    panes = [m["state"].get("value") or "" for m in state.values() if m["model_name"] == "HTMLModel"]
    assert not [p for p in panes if "kit-error" in p], f"{name}: a view showed an error"
    charts = [m["state"] for m in state.values() if m["model_name"] == "AnyModel" and "spec" in m["state"]]
    assert charts and all(c["spec"] for c in charts), f"{name}: a chart stayed empty"


@pytest.mark.parametrize("name", [p.name for p in PATHS])
def test_notebook_views_show_the_warnings(executed, name):
    """Issue 14 §9: the view of every notebook lists the capture's warnings (grouped by code)."""
    state = executed[name].metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    panes = [m["state"].get("value") or "" for m in state.values() if m["model_name"] == "HTMLModel"]
    shown = [p for p in panes if 'class="kit-warnings"' in p]
    assert shown and all("blank-first-row ×2" in p for p in shown), f"{name}: the view shows no warnings"
