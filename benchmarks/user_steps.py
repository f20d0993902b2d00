"""Steps of issue 16 §3 and §4, what a user waits for on the bundled sample: ``python -m kit
report`` and ``analyze --json`` (each part timed in a cold process, and the commands' wall clock),
and the notebook widgets' round trips in JupyterLab in a real browser (from the browser test).

Registered in ``steps.py`` (``STEPS``) and ``run.py`` (``ORDER``, ``LABELS``, targets); each
function gets the run's config and a ``Timer``, like the steps there.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _report_cache(cfg: dict) -> str:
    """The cache folder of these steps: the vega bundle of the report kept there, as after a user's
    first report (built untimed, in another process, when missing)."""
    folder = Path(cfg["work"]) / "report-cache"
    env = {**os.environ, "KIT_CACHE_DIR": str(folder)}
    check = "from kit.viz import render, save; print(render.bundle_path(save.VL_VERSION).is_file())"
    if subprocess.run([sys.executable, "-c", check], env=env, capture_output=True, text=True, cwd=ROOT).stdout.strip() != "True":
        fill = "from kit.viz import save; save.vega_script()"
        subprocess.run([sys.executable, "-c", fill], env=env, check=True, cwd=ROOT)
    return str(folder)


def report_steps(cfg: dict, t) -> None:
    """``python -m kit report``'s work on the bundled sample, part by part, in this cold process:
    imports, load, analysis, charts and their specs (unvalidated), SVG + PNG rendering, the vega
    bundle (from the cache folder), the page and JSON; ``info``: each chart's render time and
    what Altair's validation would add."""
    os.environ["KIT_CACHE_DIR"] = _report_cache(cfg)
    kit = t.run("import_kit", importlib.import_module, "kit")
    html = t.run("import_viz", importlib.import_module, "kit.viz.html")
    from kit.contract import to_dict
    from kit.sample import sample_test
    from kit.viz import render

    capture = t.run("load", kit.load, sample_test(), progress=False)
    result = t.run("analyze", kit.analyze, capture)
    charts = t.run("charts", html.report_charts, result)
    specs = t.run("specs", lambda: {name: chart.to_dict(validate=False) for name, chart in charts.items()})
    with tempfile.TemporaryDirectory() as out:
        each: dict[str, float] = {}

        def draw() -> None:
            clock = time.perf_counter()
            for name, fmt, data in render.render(specs, ("svg", "png"), vl_version=html.VL_VERSION):
                path = Path(out, f"{name}.{fmt}")
                path.write_bytes(data) if isinstance(data, bytes) else path.write_text(data, encoding="utf-8")
                each[f"{name}.{fmt}"] = round(time.perf_counter() - clock, 3)
                clock = time.perf_counter()

        t.run("render", draw)
        script = t.run("bundle", html.vega_script)
        files = {name: [Path(out, f"{name}.{fmt}") for fmt in ("png", "svg")] for name in specs}
        t.run("page", lambda: Path(out, "report.html").write_text(
            html._page(result, specs, files, html._default_title(result), script), encoding="utf-8"))
        t.run("json", lambda: Path(out, "report.json").write_text(
            json.dumps(to_dict(result), indent=1, default=str, allow_nan=False), encoding="utf-8"))
    started = time.perf_counter()
    for chart in charts.values():
        chart.to_dict()
    t.info |= {"charts": len(specs), "render_each_s": each, "validation_would_add_s": round(time.perf_counter() - started, 3)}


def report_cli(cfg: dict, t) -> None:
    """Wall clock of the commands a user types, each a cold process on the bundled sample:
    ``report`` (vega bundle and Parquet entries in the cache folder, as on every run after the
    first), ``analyze --json``, and ``report`` with an empty cache folder (a first run)."""
    cache = _report_cache(cfg)

    def command(*args: str, cache_dir: str) -> None:
        env = {**os.environ, "KIT_CACHE_DIR": cache_dir}
        subprocess.run([sys.executable, "-m", "kit", *args], env=env, cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    with tempfile.TemporaryDirectory() as out:
        command("analyze", "--json", cache_dir=cache)  # untimed: the sample's Parquet entries
        t.run("report", command, "report", "--out", out, cache_dir=cache)
        t.run("analyze_json", command, "analyze", "--json", cache_dir=cache)
        with tempfile.TemporaryDirectory() as empty:
            t.run("report_first", command, "report", "--out", out, cache_dir=empty)


def widget_roundtrips(cfg: dict, t) -> None:
    """Every notebook widget's round trip in JupyterLab in headless Chromium, from the change to
    the re-rendered chart (``tests/viz/test_browser.py::test_widget_round_trips``, which records
    them): the median of each control. [s]"""
    t.start()
    with tempfile.TemporaryDirectory() as artifacts:
        env = {**os.environ, "KIT_ARTIFACTS_DIR": artifacts}
        test = "tests/viz/test_browser.py::test_widget_round_trips"
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test], env=env,
                             cwd=ROOT, capture_output=True, text=True)
        recorded = Path(artifacts, "round_trips.json")
        if run.returncode != 0 or not recorded.is_file():
            raise SystemExit(f"the browser test failed:\n{run.stdout[-3000:]}")
        figures = json.loads(recorded.read_text())
    for control, runs in figures["round_trips_ms"].items():
        t.times[control] = sorted(runs)[len(runs) // 2] / 1000
    t.info |= {"round_trips_ms": figures["round_trips_ms"], "how": figures["how"]}


EXPLORER_TESTS = ("drain-6x9gb-smb-2x10g", "tcp-1x10g-mtu1500-55gb", "smb-2x10g-jumbo-55gb")
"""The tests the browser's ``test_first`` round trips switch to (tests/viz/test_browser.py)."""


def explorer_open(cfg: dict, t) -> None:
    """The kernel's side of the ``test_first`` round trip (a bundled test opened in the Explorer
    for the first time), in a cold process with the notebook's imports done: ``Explorer.open`` by
    the test dropdown (``open_first``: load + analysis + charts and controls reset; ``open_again``:
    the same test again, kept), then what the first open spends in ``kit.load`` and
    ``kit.analyze`` of those tests (timed after, in the same process: cache hits, as in a lab
    whose tests were loaded once). Each part: the median over the three tests. [s]"""
    import statistics
    import warnings

    warnings.simplefilter("ignore")
    os.environ["KIT_CACHE_DIR"] = _report_cache(cfg)
    import kit
    from kit.sample import bundled_tests
    from kit.viz.widgets import Explorer

    tests = bundled_tests()
    view = Explorer()  # the first bundled test, as the notebook opens it
    for name in EXPLORER_TESTS:  # untimed: the cache entries of the tests, as after a first lab session
        kit.load(tests[name], progress=False)
    t.start()
    each: dict[str, dict[str, float]] = {}
    for kind in ("open_first", "open_again"):
        for name in EXPLORER_TESTS:
            started = time.perf_counter()
            view.test.value = tests[name]
            each.setdefault(kind, {})[name] = time.perf_counter() - started
    for name in EXPLORER_TESTS:
        started = time.perf_counter()
        capture = kit.load(tests[name], progress=False)
        each.setdefault("load", {})[name] = time.perf_counter() - started
        started = time.perf_counter()
        kit.analyze(capture)
        each.setdefault("analyze", {})[name] = time.perf_counter() - started
    for part, values in each.items():
        t.times[part] = statistics.median(values.values())
    t.info["each_s"] = {part: {k: round(v, 3) for k, v in values.items()} for part, values in each.items()}


STEPS = [report_steps, report_cli, widget_roundtrips, explorer_open]
