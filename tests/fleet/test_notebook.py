"""notebooks/06-fleet.ipynb runs top to bottom headless, shows its view and charts, and is committed clean."""

from __future__ import annotations

import os

import nbformat
from nbclient import NotebookClient

from tests.conftest import ROOT

NOTEBOOK = ROOT / "notebooks" / "06-fleet.ipynb"


def test_committed_clean_and_opening_with_what_it_answers():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert notebook.cells[0].cell_type == "markdown" and "What it answers" in notebook.cells[0].source
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            assert len(cell.source.splitlines()) <= 6


def test_the_notebook_runs_and_shows_the_fleet_and_a_drill_down(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, kernel_name="python3", timeout=300,
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    state = notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    panes = [m["state"].get("value") or "" for m in state.values() if m["model_name"] == "HTMLModel"]
    assert not [p for p in panes if "kit-error" in p]
    assert [p for p in panes if "of 17 migrations" in p]
    shown = [p for p in panes if 'class="kit-warnings"' in p]  # the drill-down view's warnings (two logs)
    assert shown and all("blank-first-row ×2" in p for p in shown)
    charts = [m["state"] for m in state.values() if m["model_name"] == "AnyModel" and "spec" in m["state"]]
    assert len(charts) >= 4 and all(c["spec"] for c in charts)
