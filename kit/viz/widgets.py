"""Notebook views: explicit ipywidgets whose ``.observe`` handlers call kit functions and update
long-lived charts (``altair.JupyterChart``) and HTML panes.

Each view holds its current figures as plain attributes (``summary``, ``table``, ``methods``…) and
its charts in ``JupyterChart`` s whose ``.chart`` is replaced on every change, so a plain pytest
can set widget values and check what changed. Every view has

* a :class:`Files` panel: a chooser for a capture (a file or a folder) on this machine, and for
  the side inputs where the view uses them; *Load* reads them with a progress bar counting bytes
  and names the paths as used;
* a ``notices`` pane: the side inputs its analysis was given (read, used or why not) and the
  warnings of the capture and the side inputs, grouped by code (:mod:`kit.viz.notices`);
* a ``messages`` line that says in plain words what went wrong (a file that cannot be read, no
  migration found…) — no callback error is left to JupyterLab's log console;
* an :class:`Export` panel: *Save* writes the view's charts (PNG, SVG, PDF) and data (CSV,
  Parquet) to a chosen folder, named after test, migration and view.

Every load — success, no migration, error — resets every control that depends on it, so no card
or chart ever shows a figure of another test. Display a view by leaving it last in a cell (or
``display(view)``); :func:`kit.charts.enable_offline` makes the charts render with no internet.

* :class:`Explorer` — one test: test, migration, host, direction, NICs and a time window.
* :class:`Comparison` — several tests side by side, rows named by a label.
* :class:`CoreExplorer` — RSS / DPC spread per core, with a core selector (or click a bar).
* :class:`MultichannelAudit` — which NICs carried the traffic against what was configured.
* :class:`BlackoutView` — every blackout method with its bounds, the passes on the trace.

Analyses never import this module; it only calls them.
"""

from __future__ import annotations

import functools
import html
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import altair as alt
import ipywidgets as w
import polars as pl
import traitlets
from ipyfilechooser import FileChooser

from kit.analysis.analyze import analyze
from kit.analysis.comparison import compare
from kit.analysis.cores import SEP
from kit.analysis.results import Analysis, Blackout, Leg, Migration, WarningGroup, Window, gbps
from kit.errors import KitError
from kit.inputs.capture import Capture
from kit.io import expand, load
from kit.io.side.events import read_events
from kit.io.side.pings import read_pings
from kit.io.side.topology import read_topology
from kit.sample import bundled_labels, bundled_tests
from kit.viz import charts
from kit.viz.notices import notices_html
from kit.viz.save import save
from kit.viz.tables import table_html

PAD_SAMPLES = 5
"""Samples shown either side of a migration when the time window jumps to it. [samples]"""
KEPT_TESTS = 8
"""Tests the Explorer keeps analysed, so that switching back to one redraws without analysing it again."""
WINDOW_STEPS = 2000
"""Most positions of the time-window slider (a long capture's sample times are thinned to this:
a browser slider of 20,000 positions takes seconds to draw). [1]"""
PROGRESS_AT_ONCE_BYTES = 20_000_000
"""Captures at least this big show their progress bar at once (smaller ones after 1 s). [bytes]"""
CHART_FORMATS = ("png", "svg", "pdf")
"""What :class:`Export` writes of each chart (PNG at twice the pixels, for documents)."""
DATA_FORMATS = ("csv", "parquet")
"""What :class:`Export` writes of each table."""
NIC_COLUMNS = ("host", "name", "instance", "direction", "carried", "share", "bytes", "tcp_bytes", "rdma_bytes",
               "configured", "selected", "current_channels", "smb_direct_connections")
"""Columns of :attr:`MultichannelAudit.table`: bytes [bytes], share [1]."""
CHANNEL_FINDINGS = ("unexpected-nic", "nic-stopped", "imbalance", "idle-selected", "mixed-speeds", "rdma-and-tcp", "compression")
"""The finding kinds :class:`MultichannelAudit` lists (:mod:`kit.analysis.findings`)."""
SIDE_TITLES = {
    "events": "Hyper-V events (optional): .evtx, wevtutil XML or Export-Csv, or a folder of them",
    "topology": "Topology (optional): the folder of PowerShell exports (one subfolder per host)",
    "pings": "Ping log (optional): ping -t, Test-Connection or ping -D",
}
OWN_FILES = "— your files —"
_ERRORS = (KitError, ValueError, OSError)


Run = Analysis | Capture | str | Path | Sequence[str | Path]
"""A run of :class:`Comparison`: its analysis, its capture, or the files to load."""


# ---------------------------------------------------------------------------------------------
# Figures, tables and messages


@dataclass(frozen=True)
class Summary:
    """The cards of a migration, rounded as shown."""

    duration_s: float | None = None
    """Duration of the window. [s]"""
    gb_moved: float | None = None
    """Bytes moved. [GB]"""
    mean_gbps: float | None = None
    """Mean rate over the transfer samples. [Gbit/s]"""
    p5_gbps: float | None = None
    """5th percentile of the rate. [Gbit/s]"""
    p95_gbps: float | None = None
    """95th percentile of the rate. [Gbit/s]"""
    pct_of_link: float | None = None
    """Mean as a share of the carrying NICs' link speed. [%]"""
    active_cores: int | None = None
    """Receive cores busy with DPC + interrupt work. [cores]"""
    expected_cores: int | None = None
    """Receive cores the transport should keep busy. [cores]"""
    transport: str | None = None
    mtu: int | None = None
    """[bytes]"""

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def _repr_html_(self) -> str:
        rows = [(CARDS[f.name][0], _card_text(f.name, getattr(self, f.name))) for f in fields(self)]
        return table_html(pl.DataFrame(rows, schema=["Figure", "Value"], orient="row"))


CARDS = {
    "duration_s": ("Duration", "{:.1f} s"),
    "gb_moved": ("Moved", "{:.2f} GB"),
    "mean_gbps": ("Mean", "{:.2f} Gbit/s"),
    "p5_gbps": ("5th percentile", "{:.2f} Gbit/s"),
    "p95_gbps": ("95th percentile", "{:.2f} Gbit/s"),
    "pct_of_link": ("Mean of link", "{:.0f} %"),
    "active_cores": ("Active receive cores", "{:d}"),
    "expected_cores": ("Expected", "{:d}"),
    "transport": ("Transport", "{}"),
    "mtu": ("MTU", "{} bytes"),
}
"""Summary cards: figure → (title, format with unit)."""


def migration_label(migration: Migration) -> str:
    """``#1 SQL-VM01 HV01 → HV02`` for a migration."""
    return migration.label


def summary(migration: Migration) -> Summary:
    """The figures of :data:`CARDS` of a migration, rounded as the cards show them."""
    t = migration.throughput
    destination = migration.destination_leg

    def rounded(value: float | None, places: int) -> float | None:
        return None if value is None else round(value, places)

    return Summary(
        duration_s=rounded(migration.window.duration_s, 2),
        gb_moved=rounded(None if t.bytes_moved is None else t.bytes_moved * 1e-9, 3),
        mean_gbps=rounded(gbps(t.stats.mean_bytes_s), 3),
        p5_gbps=rounded(gbps(t.stats.p5_bytes_s), 3),
        p95_gbps=rounded(gbps(t.stats.p95_bytes_s), 3),
        pct_of_link=rounded(t.pct_of_link, 1),
        active_cores=destination.core_summary.active_count if destination else None,
        expected_cores=migration.expected_cores if destination else None,
        transport=migration.transport,
        mtu=t.mtu,
    )


def _card_text(key: str, value: Any) -> str:
    return "–" if value is None else CARDS[key][1].format(value)


def cards_html(figures: Summary | None) -> str:
    """Figures as a row of HTML cards (empty figures show as ``–``)."""
    style = "display:inline-block;margin:0 8px 8px 0;padding:6px 10px;border:1px solid #ddd;border-radius:4px"
    cards = []
    for key, (title, _) in CARDS.items():
        text = _card_text(key, None if figures is None else figures[key])
        cards.append(f'<div class="kit-card" data-figure="{key}" style="{style}"><div style="color:#555;font-size:11px">'
                     f'{title}</div><div style="font-size:16px">{html.escape(text)}</div></div>')
    return '<div class="kit-cards">' + "".join(cards) + "</div>"


def _section(title: str, body: str) -> str:
    """A titled block of a view's HTML pane (headings never run into the text around them)."""
    return f'<div class="kit-section" style="margin:10px 0"><h4 style="margin:6px 0">{html.escape(title)}</h4>{body}</div>'


def _list_html(lines: Sequence[str]) -> str:
    if not lines:
        return '<p style="margin:2px 0;color:#555">None.</p>'
    return '<ul style="margin:2px 0">' + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul>"


def error_text(exc: BaseException) -> str:
    """What went wrong, in the user's words: the file and line, the reason and the hint — never
    a class name (an unexpected error says it is one)."""
    if isinstance(exc, KitError):
        return str(exc)
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}"
    if isinstance(exc, ValueError):
        return str(exc)
    return f"unexpected error in the view ({type(exc).__name__}: {exc}); please report it"


def _message_html(text: str, *, kind: str = "error") -> str:
    color = {"error": "#b00", "note": "#8a5a00", "info": "#333"}[kind]
    return f'<div class="kit-{kind}" style="color:{color};margin:4px 0">{html.escape(text)}</div>'


# ---------------------------------------------------------------------------------------------
# Shared pieces: a chart without re-validation, guarded handlers, choosing values quietly


class Chart(alt.JupyterChart):
    """A ``JupyterChart`` that turns its chart into a spec without Altair's JSON-schema validation
    (every chart function's spec is validated by the tests: a third of a redraw's time) and draws
    SVG by default."""

    def __init__(self, chart: alt.TopLevelMixin | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("embed_options", {"renderer": "svg"})  # crisp, and its text readable by tests
        super().__init__(chart, **kwargs)

    @traitlets.observe("chart")
    def _on_change_chart(self, change: Any) -> None:
        chart = change.new
        if chart is not None:
            object.__setattr__(chart, "to_dict", functools.partial(type(chart).to_dict, chart, validate=False))
        super()._on_change_chart(change)


class _View:
    """Shared display (``ui`` is the widget tree), the messages line and guarded handlers."""

    ui: w.Widget
    messages: w.HTML

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        return self.ui._repr_mimebundle_(**kwargs)

    def _guarded(self, handler: Callable[..., None]) -> Callable[..., None]:
        """``handler`` with every error shown in the view's messages instead of the log console."""

        def run(*args: Any) -> None:
            try:
                handler(*args)
            except Exception as exc:  # noqa: BLE001 - the view's boundary: show it, never hide it
                self.messages.value = _message_html(error_text(exc))
                self.last_error = "".join(traceback.format_exception(exc))

        return run

    last_error: str = ""
    """The traceback of the last error a handler showed (for a bug report)."""


def _choose(control: w.Widget, options: Sequence, value: Any) -> None:
    """Set a selector's options and value in one message to the browser (so it never applies a
    selection to options it does not have yet)."""
    with control.hold_sync():
        control.options = options
        control.value = value


@contextmanager
def _quiet(view: Any) -> Iterator[None]:
    """Changes made inside run no handler of ``view`` (it redraws once, afterwards)."""
    before = view._busy
    view._busy = True
    try:
        yield
    finally:
        view._busy = before


def _test_name(capture: Capture) -> str:
    """A name for a test: the folder that holds its logs, else the first log's name."""
    paths = [Path(s.path) for s in capture.sources]
    parents = {p.parent for p in paths}
    if len(parents) == 1 and paths and parents.pop().name:
        return paths[0].parent.name
    return paths[0].stem if paths else "capture"


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in text).strip("-") or "view"


# ---------------------------------------------------------------------------------------------
# Files on this machine, and saving what a view shows


class Files:
    """Choose a capture (a perfmon CSV, or a folder with both hosts' logs) and, for ``sides``
    (``events``, ``topology``, ``pings``), the side inputs; *Load* calls ``on_load(paths)``.

    :meth:`read` loads them inside the panel's ``progress`` output (tqdm's bar counting bytes, at
    once for captures over :data:`PROGRESS_AT_ONCE_BYTES`) and shows the paths as used.
    """

    def __init__(self, on_load: Callable[[], None], *, sides: Sequence[str] = (), start: str | Path | None = None,
                 title: str = "Your files") -> None:
        folder = str(Path(start or Path.cwd()).resolve())
        self.capture = FileChooser(folder, title="<b>Capture</b>: a perfmon CSV, or a folder with both hosts' logs",
                                   select_desc="Choose…", change_desc="Change…", layout=w.Layout(width="auto"))
        self.sides = {
            kind: FileChooser(folder, title=SIDE_TITLES[kind], show_only_dirs=kind == "topology", select_desc="Choose…",
                              change_desc="Change…", layout=w.Layout(width="auto"))
            for kind in sides
        }
        self.load = w.Button(description="Load", button_style="primary", icon="folder-open")
        self.used = w.HTML()
        """The paths as used by the last load (absolute), or why nothing was loaded."""
        self.progress = w.Output()
        self.ui = w.VBox([w.HTML(f"<b>{html.escape(title)}</b>"), self.capture, *self.sides.values(),
                          w.HBox([self.load, self.used]), self.progress],
                         layout=w.Layout(border="1px solid #e0e0e0", padding="4px 8px", margin="4px 0"))
        self.ui.add_class("kit-files")
        self.capture.add_class("kit-chooser")
        self.load.add_class("kit-load")
        self.progress.add_class("kit-progress")
        self.used.add_class("kit-used-pane")
        self.load.on_click(lambda _: on_load())

    def chosen(self) -> tuple[Path | None, dict[str, Path]]:
        """The chosen capture and side inputs (absolute paths)."""
        capture = Path(self.capture.selected).resolve() if self.capture.selected else None
        sides = {kind: Path(chooser.selected).resolve() for kind, chooser in self.sides.items() if chooser.selected}
        return capture, sides

    def read(self, capture: str | Path | Sequence[str | Path], sides: Mapping[str, Path] | None = None,
             *, utc_offset: str | None = None) -> tuple[Capture, dict[str, Any]]:
        """Load ``capture`` and read ``sides`` with a progress bar in the panel; the paths used
        and the time taken are shown beside *Load*."""
        started = time.monotonic()
        paths = expand(capture)
        size = sum(p.stat().st_size for p in paths if p.is_file())
        self.progress.clear_output()
        failed: list[BaseException] = []
        with self.progress:  # in a kernel, an Output widget shows and swallows what is raised in it
            try:
                loaded = load(capture, progress=True if size >= PROGRESS_AT_ONCE_BYTES else None)
                side_inputs = self.read_sides(sides or {}, utc_offset=utc_offset)
            except BaseException as exc:  # noqa: BLE001 - raised again below, outside the Output
                failed.append(exc)
        self.progress.clear_output()
        if failed:
            self.used.value = ""
            raise failed[0]
        names = ", ".join(str(p) for p in paths[:4]) + (f" and {len(paths) - 4} more" if len(paths) > 4 else "")
        extra = "".join(f"; {kind}: {path}" for kind, path in (sides or {}).items())
        self.used.value = (f'<span class="kit-used">Loaded {html.escape(names)}{html.escape(extra)} '
                           f"({size / 1e6:,.1f} MB in {time.monotonic() - started:.1f} s)</span>")
        return loaded, side_inputs


    @staticmethod
    def read_sides(sides: Mapping[str, Path], *, utc_offset: str | None = None) -> dict[str, Any]:
        """The side inputs at ``sides`` (kind → path), read."""
        read = {
            "events": lambda p: read_events(p, utc_offset=utc_offset),
            "topology": read_topology,
            "pings": lambda p: read_pings(p, utc_offset=utc_offset),
        }
        return {kind: read[kind](path) for kind, path in sides.items()}


class Export:
    """*Save*: writes what a view shows — each chart as PNG (twice the pixels), SVG and PDF, each
    table as CSV and Parquet — into a chosen folder (default: the current one), every file named
    ``<test>-<migration>-<view>-<what>``; ``written`` lists the last save's files."""

    def __init__(self, contents: Callable[[], tuple[str, Mapping[str, alt.TopLevelMixin | None],
                                                    Mapping[str, pl.DataFrame]]]) -> None:
        self.contents = contents
        self.folder = FileChooser(str(Path.cwd().resolve()), title="Save the charts and data into a folder",
                                  show_only_dirs=True, select_desc="Folder…", change_desc="Folder…",
                                  layout=w.Layout(width="auto"))
        self.save = w.Button(description="Save", icon="save")
        self.result = w.HTML()
        self.written: list[Path] = []
        self.ui = w.VBox([self.folder, w.HBox([self.save, self.result])],
                         layout=w.Layout(border="1px solid #e0e0e0", padding="4px 8px", margin="4px 0"))
        self.ui.add_class("kit-export")
        self.save.add_class("kit-save")
        self.save.on_click(lambda _: self.write())

    def write(self, folder: str | Path | None = None) -> list[Path]:
        """Write the view's charts and tables into ``folder`` (default: the chosen one, else the
        current folder); returns the files."""
        target = Path(folder or self.folder.selected or Path.cwd()).resolve()
        stem, chart_map, table_map = self.contents()
        written = []
        try:
            for name, chart in chart_map.items():
                if chart is not None:
                    for fmt in CHART_FORMATS:
                        path = target / f"{_slug(stem)}-{_slug(name)}.{fmt}"
                        written.append(save(chart, path, scale=2 if fmt == "png" else 1))
            for name, frame in table_map.items():
                plain = frame.with_columns(pl.col(c).cast(pl.List(pl.String)).list.join(", ")
                                           for c, t in frame.schema.items() if isinstance(t, pl.List))
                target.mkdir(parents=True, exist_ok=True)
                for fmt in DATA_FORMATS:
                    path = target / f"{_slug(stem)}-{_slug(name)}.{fmt}"
                    plain.write_csv(path) if fmt == "csv" else frame.write_parquet(path)
                    written.append(path)
        except (KitError, OSError) as exc:
            self.result.value = _message_html(f"could not save into {target}: {error_text(exc)}")
            raise
        self.written = written
        self.result.value = (f'<span class="kit-saved">Saved {len(written)} files to {html.escape(str(target))}: '
                             f"{html.escape(', '.join(p.name for p in written))}</span>")
        return written


# ---------------------------------------------------------------------------------------------
# One test


class Explorer(_View):
    """One migration test: pick the test (a bundled one, or your files), the migration, host,
    direction, NICs and time window; the summary cards, throughput chart and histogram follow.

    ``source``: a :class:`~kit.capture.Capture` or files/folders/globs (default: the first bundled
    test); ``options`` go to :func:`kit.analyze`. Choosing a host sets the direction of its role
    (the source's bytes sent, the destination's received). With ``measure`` on — or when no
    migration was found — dragging across the throughput chart marks the window, and the cards
    and histogram measure it as one given migration (``kit.analyze(capture, windows=[…])``, the
    figures of ``--window``).
    """

    def __init__(self, source: Capture | str | Path | Sequence[str | Path] | None = None, **options: Any) -> None:
        self.options = options
        self._busy = False
        tests = bundled_tests()
        self.test = w.Dropdown(options=[(OWN_FILES, None), *tests.items()], value=None, description="Test")
        self.files = Files(self._guarded(self._load_files), sides=("events", "topology", "pings"))
        self.migration = w.Dropdown(description="Migration")
        self.host = w.Dropdown(description="Host")
        self.direction = w.ToggleButtons(options=["sent", "received"])
        self.nics = w.SelectMultiple(description="NICs", rows=4, layout=w.Layout(width="60%"))
        self.window = w.SelectionRangeSlider(options=[("–", 0)], description="Window", layout=w.Layout(width="95%"))
        self.measure = w.Checkbox(description="Measure the window as one migration (or drag across the chart)",
                                  indent=False, layout=w.Layout(width="auto"))
        self.cards = w.HTML(cards_html(None))
        self.messages = w.HTML()
        self.notices = w.HTML()
        self.chart = Chart(None)
        self.histogram = Chart(None)
        self.export = Export(self._exports)
        self.capture: Capture | None = None
        self.analysis: Analysis | None = None
        self.chosen: Migration | None = None
        self._opened: dict[tuple, tuple[Capture, Analysis]] = {}
        """The last :data:`KEPT_TESTS` tests opened from files, by their files' paths, sizes and times."""
        self._brushed: tuple[datetime, datetime] | None = None
        """The window last dragged across the chart (measured as it is, not snapped to the slider). [UTC]"""
        self.summary: Summary = Summary()
        self.name = ""
        """The open test's name (its folder, or its first file)."""
        self.warnings: tuple[WarningGroup, ...] = ()
        """The warnings of the open capture and its side inputs, grouped by code."""
        self.ui = w.VBox([
            self.test, self.files.ui, w.HBox([self.migration, self.host, self.direction]),
            self.nics, self.window, self.measure, self.messages, self.notices, self.cards, self.chart, self.histogram,
            self.export.ui,
        ])
        self.ui.add_class("kit-explorer")
        for control, name in ((self.test, "test"), (self.migration, "migration"), (self.host, "host"),
                              (self.direction, "direction"), (self.nics, "nics"), (self.window, "window"),
                              (self.measure, "measure"), (self.messages, "messages"), (self.notices, "notices"),
                              (self.cards, "cards"), (self.chart, "throughput"), (self.histogram, "histogram")):
            control.add_class(f"kit-{name}")
        self.test.observe(self._guarded(self._on_test), names="value")
        self.migration.observe(self._guarded(self._on_migration), names="value")
        self.host.observe(self._guarded(self._on_host), names="value")
        self.direction.observe(self._guarded(self._on_direction), names="value")
        self.nics.observe(self._guarded(self._on_nics), names="value")
        self.window.observe(self._guarded(self._on_window), names="value")
        self.measure.observe(self._guarded(self._on_measure), names="value")
        if source is None:
            with _quiet(self):
                self.test.value = next(iter(tests.values()))
            source = self.test.value
        self.open(source)

    # -- opening a test ------------------------------------------------------------------------

    def open(self, source: Capture | str | Path | Sequence[str | Path], **sides: Any) -> bool:
        """Load (unless a capture) and analyse ``source`` (with ``sides``: events, topology,
        pings), then reset every control to it. Returns whether it opened; on an error the view
        is emptied and says why."""
        self._clear()
        self.messages.value = _message_html("Loading…", kind="info")
        try:
            paths = {k: Path(v) for k, v in sides.items() if isinstance(v, (str, Path))}
            given = {k: v for k, v in sides.items() if k not in paths}
            key = None if isinstance(source, Capture) or sides else _files_key(source)
            if key is not None and key in self._opened:
                capture, analysis = self._opened[key]
            else:
                if isinstance(source, Capture):
                    capture = source
                    given |= self.files.read_sides(paths)
                else:
                    capture, read = self.files.read(source, paths)
                    given |= read
                analysis = analyze(capture, **{**self.options, **given})
                if key is not None:
                    self._opened = {**dict(list(self._opened.items())[-(KEPT_TESTS - 1):]), key: (capture, analysis)}
        except _ERRORS as exc:
            self.messages.value = _message_html(f"Could not open it: {error_text(exc)}")
            return False
        self.messages.value = ""
        self.capture, self.analysis, self.name = capture, analysis, _test_name(capture)
        self.warnings = analysis.warning_groups()
        self.notices.value = notices_html(analysis, folded=True)
        times = sorted({t for frame in analysis.traffic.values() for t in frame["time"].to_list()})
        with _quiet(self):
            self.window.options = [(f"{t:%H:%M:%S}", t) for t in _steps(times)] or [("–", 0)]
            _choose(self.host, sorted({host for host, _ in analysis.traffic}), None)
            _choose_migration(self.migration, analysis)
        if analysis.migrations:
            self._on_migration()
        else:
            self._no_migration()
        return True

    def _clear(self) -> None:
        """Empty every control that depends on the open test."""
        with _quiet(self):
            self.capture = self.analysis = self.chosen = None
            self.summary, self.warnings, self.name, self._brushed = Summary(), (), "", None
            _choose(self.migration, [], None)
            _choose(self.host, [], None)
            _choose(self.nics, [], ())
            self.window.options = [("–", 0)]
            self.measure.value = False
            self.cards.value = cards_html(None)
            self.notices.value = ""
            self.chart.chart = None
            self.histogram.chart = None

    def _on_test(self, change: Mapping | None = None) -> None:
        if self._busy or self.test.value is None:
            return
        self.open(self.test.value)

    def _load_files(self) -> None:
        capture, sides = self.files.chosen()
        if capture is None:
            self.messages.value = _message_html("Choose a capture file or folder first (Choose… above).", kind="note")
            return
        with _quiet(self):
            self.test.value = None  # your files: choosing a bundled test afterwards opens it again
        self.open(capture, **sides)

    def _no_migration(self) -> None:
        """No migration found: say so, chart the busiest NIC traffic and offer the brush."""
        analysis = self.analysis
        busiest = max(analysis.traffic, key=lambda key: analysis.traffic[key]["total_bytes_s"].fill_null(0).sum(),
                      default=None)
        hosts = ", ".join(analysis.capture.hosts) or "?"
        self.messages.value = _message_html(
            f"No live migration found in {hosts}: no Hyper-V VM Live Migration instance and no NIC traffic burst "
            "above the idle baseline. Drag across the throughput chart to mark the migration's window: the cards "
            "then measure it (the figures of --window START/END).", kind="note")
        with _quiet(self):
            self.measure.value = True
            if busiest is not None:
                self.host.value = busiest[0]
                self.direction.value = busiest[1]
            self.window.value = (self.window.options[0][1], self.window.options[-1][1])
        self._fill_nics()
        self._draw_chart()  # the cards stay empty until a window is marked

    # -- handlers --------------------------------------------------------------------------------

    def _on_migration(self, change: Mapping | None = None) -> None:
        """The chosen migration: its source host (bytes sent), the window around it, the figures."""
        if self._busy or self.analysis is None or self.migration.value is None:
            return
        window = self.analysis.migrations[self.migration.value].window
        self._brushed = None
        hosts = list(self.host.options)
        host = next((h for h in (window.source, window.destination) if h in hosts), hosts[0] if hosts else None)
        with _quiet(self):
            self.host.value = host
            self.direction.value = self._role_direction(host)
            self.window.value = self._padded_span(window)
        self._fill_nics()
        self._draw_chart()
        self._measure()

    def _on_host(self, change: Mapping | None = None) -> None:
        """A host: the direction of its role in the chosen migration, its NICs, the chart."""
        if self._busy:
            return
        with _quiet(self):
            self.direction.value = self._role_direction(self.host.value)
        self._fill_nics()
        self._draw_chart()

    def _on_direction(self, change: Mapping | None = None) -> None:
        if self._busy:
            return
        self._fill_nics()
        self._draw_chart()

    def _on_nics(self, change: Mapping | None = None) -> None:
        if not self._busy:
            self._draw_chart()

    def _on_window(self, change: Mapping | None = None) -> None:
        if self._busy:
            return
        self._brushed = None
        self._draw_chart()
        if self.measure.value:
            self._measure()

    def _on_measure(self, change: Mapping | None = None) -> None:
        if self._busy:
            return
        self._draw_chart()
        self._measure()

    def _on_brush(self, change: Mapping) -> None:
        """A window dragged across the chart: the slider follows (to the samples inside it) and
        the window is measured; the chart keeps its brush."""
        value = getattr(change["new"], "value", None) or {}
        ends = value.get("time") if isinstance(value, Mapping) else None
        if not ends or len(ends) != 2 or self.analysis is None:
            return
        start, end = sorted(_instant(t) for t in ends)
        times = [t for _, t in self.window.options]
        inside = [t for t in times if start <= t <= end] or [min(times, key=lambda t: abs(t - start))]
        with _quiet(self):
            self.measure.value = True
            self.window.value = (inside[0], inside[-1])
        self._brushed = (start, end)
        self._measure()

    # -- drawing -----------------------------------------------------------------------------------

    def _role_direction(self, host: str | None) -> str:
        """``sent`` for the chosen migration's source, ``received`` for its destination, else the
        direction in which ``host`` moved more bytes."""
        migration = self._migration()
        if migration is not None and host == migration.window.source:
            return "sent"
        if migration is not None and host == migration.window.destination:
            return "received"
        traffic = self.analysis.traffic if self.analysis else {}
        moved = {d: traffic[(host, d)]["total_bytes_s"].fill_null(0).sum() for d in ("sent", "received") if (host, d) in traffic}
        return max(moved, key=moved.get) if moved else self.direction.value

    def _migration(self) -> Migration | None:
        if self.analysis is None or self.migration.value is None:
            return None
        return self.analysis.migrations[self.migration.value]

    def _padded_span(self, window: Window) -> tuple[datetime, datetime]:
        times = [t for _, t in self.window.options]
        first = max(0, next((k for k, t in enumerate(times) if t >= window.start), 0) - PAD_SAMPLES)
        last = min(len(times) - 1, next((k for k, t in enumerate(times) if t >= window.end), len(times) - 1) + PAD_SAMPLES)
        return times[first], times[last]

    def _fill_nics(self) -> None:
        """The NICs of the chosen host and direction, all chosen."""
        key = (self.host.value, self.direction.value)
        frame = self.analysis.traffic.get(key) if self.analysis else None
        names = [] if frame is None else [c for c in frame.columns if c not in charts.SERIES_COLUMNS]
        with _quiet(self):
            _choose(self.nics, names, tuple(names))

    @property
    def span(self) -> tuple[datetime, datetime] | None:
        """The time window (first and last sample time shown) or None before a test is open. [UTC]"""
        value = self.window.value
        return value if len(value) == 2 and all(isinstance(t, datetime) for t in value) else None

    def _draw_chart(self) -> None:
        """Throughput of the chosen NICs over the time window (with the brush when measuring). [Gbit/s]"""
        if self.analysis is None:
            self.chart.chart = None
            return
        key = (self.host.value, self.direction.value)
        if key not in self.analysis.traffic:
            self.chart.chart = None
            self.messages.value = _message_html(f"{key[0]} logged no NIC bytes {key[1]}.", kind="note")
            return
        if not self.nics.value:
            self.chart.chart = None
            self.messages.value = _message_html("Choose at least one NIC.", kind="note")
            return
        hidden = [n for n in self.nics.options if n not in self.nics.value]
        shown = replace(self.analysis, traffic={**self.analysis.traffic, key: self.analysis.traffic[key].drop(hidden)})
        brush = bool(self.measure.value)
        span = self.span if self.analysis.migrations or not brush else None
        try:
            self.chart.chart = charts.throughput_chart(shown, host=key[0], direction=key[1], span=span, brush=brush)
        except _ERRORS as exc:
            self.chart.chart = None
            self.messages.value = _message_html(error_text(exc))
            return
        if brush:
            self.chart.selections.observe(self._guarded(self._on_brush), names="brush")
        if self.analysis.migrations and "kit-error" not in self.messages.value:
            self.messages.value = ""

    def _measure(self) -> None:
        """Cards and histogram: the chosen migration, or the window measured as one migration."""
        chosen: Migration | None = None
        if self.analysis is None:
            pass
        elif self.measure.value and self.capture is not None:
            span = self._brushed or self.span
            if span and span[1] > span[0]:
                given = analyze(self.capture, windows=[span], **self.options)
                chosen = given.migrations[0] if given.migrations else None
            else:
                self.messages.value = _message_html("The window is one sample: it does not end after it starts; "
                                                    "widen it to measure it.", kind="note")
        else:
            chosen = self._migration()
        self.chosen = chosen
        self.summary = summary(chosen) if chosen else Summary()
        self.cards.value = cards_html(self.summary if chosen else None)
        self.histogram.chart = charts.histogram_chart(chosen) if chosen and chosen.throughput.histogram.height else None

    def _exports(self) -> tuple[str, dict, dict]:
        migration = f"m{self.chosen.window.number}" if self.chosen and self.chosen.window.method != "given" else "window"
        tables = {}
        if self.chosen is not None:
            tables["summary"] = pl.DataFrame([self.summary.as_dict()])
            tables["nics"] = pl.concat([leg.nics for leg in self.chosen.legs], how="diagonal_relaxed")
        return (f"{self.name}-{migration}-explore", {"throughput": self.chart.chart, "histogram": self.histogram.chart},
                tables)


def _files_key(source: str | Path | Sequence[str | Path]) -> tuple | None:
    """What identifies a test's files: each one's path, size and modification time (None when
    they cannot be listed: the load then says why)."""
    try:
        return tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in expand(source))
    except (KitError, OSError):
        return None


def _steps(times: list[datetime]) -> list[datetime]:
    """At most :data:`WINDOW_STEPS` of ``times``, evenly spaced, the first and last kept."""
    if len(times) <= WINDOW_STEPS:
        return times
    every = -(-len(times) // WINDOW_STEPS)
    return times[::every] + ([times[-1]] if (len(times) - 1) % every else [])


def _instant(value: Any) -> datetime:
    """A brush end from the browser (epoch ms or ISO text) as a UTC datetime."""
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value / 1000, tz=timezone.utc)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(timezone.utc)


def _choose_migration(control: w.Dropdown, analysis: Analysis) -> None:
    """Offer ``analysis``'s migrations in ``control``, the first chosen (or say there is none)."""
    if analysis.migrations:
        _choose(control, [(migration_label(m), k) for k, m in enumerate(analysis.migrations)], 0)
    else:
        _choose(control, [("no migration found", None)], None)


# ---------------------------------------------------------------------------------------------
# Several tests


class Comparison(_View):
    """Several tests side by side: choose the runs, which label names the rows, and overlaid or
    faceted histograms. ``runs`` maps a name to an analysis, capture or files (default: every
    bundled test); ``labels`` maps a run to its labels (default: :func:`bundled_labels`). *Add
    run* (with a name) adds your own files as a run."""

    def __init__(
        self, runs: Mapping[str, Run] | None = None, *, labels: Mapping[str, Mapping[str, Any]] | None = None,
        **options: Any,
    ) -> None:
        self.options = options
        runs = dict(runs if runs is not None else bundled_tests())
        self.labels = dict(labels if labels is not None else bundled_labels())
        self.analyses = {name: run if isinstance(run, Analysis) else _analysis(run, options) for name, run in runs.items()}
        keys = list(dict.fromkeys(k for name in runs for k in self.labels.get(name, {})))
        self.messages = w.HTML()
        self.files = Files(self._guarded(self._add_files), title="Add a run from your files")
        self.run_name = w.Text(placeholder="run name, e.g. 2x10G SMB jumbo", description="Run name")
        self.files.ui.children = (*self.files.ui.children[:1], self.run_name, *self.files.ui.children[1:])
        self.files.load.description = "Add run"
        self.runs = w.SelectMultiple(options=list(runs), value=tuple(runs), description="Runs",
                                     rows=min(max(len(runs), 2), 14), layout=w.Layout(width="60%"))
        self.by = w.Dropdown(options=["run", *keys], description="Rows by")
        self.overlay = w.ToggleButtons(options=[("faceted", False), ("overlaid", True)])
        self.view = w.HTML()
        self.notices = w.HTML()
        self.chart = Chart(None)
        self.histogram = Chart(None)
        self.table = pl.DataFrame()
        self.export = Export(lambda: ("comparison-compare", {"runs": self.chart.chart, "histograms": self.histogram.chart},
                                      {"runs": self.table}))
        self.ui = w.VBox([self.files.ui, self.runs, w.HBox([self.by, self.overlay]), self.messages, self.view,
                          self.chart, self.histogram, self.notices, self.export.ui])
        for control in (self.runs, self.by, self.overlay):
            control.observe(self._guarded(self.update), names="value")
        self.update()

    def add(self, name: str, run: Run) -> None:
        """Add (or replace) the run ``name`` and choose it."""
        analysis = run if isinstance(run, Analysis) else _analysis(run, self.options)
        self.analyses[name] = analysis
        names = list(dict.fromkeys([*self.runs.options, name]))
        _choose(self.runs, names, tuple(dict.fromkeys([*self.runs.value, name])))
        self.runs.rows = min(max(len(names), 2), 14)

    def _add_files(self) -> None:
        capture, _ = self.files.chosen()
        if capture is None:
            self.messages.value = _message_html("Choose a capture file or folder first (Choose… above).", kind="note")
            return
        name = self.run_name.value.strip() or capture.name
        try:
            loaded, _ = self.files.read(capture)
        except _ERRORS as exc:
            self.messages.value = _message_html(f"Could not add {name}: {error_text(exc)}")
            return
        self.messages.value = ""
        self.add(name, analyze(loaded, **self.options))

    def update(self, change: Mapping | None = None) -> None:
        """Table, comparison chart and histograms of the chosen runs."""
        chosen = {name: self.analyses[name] for name in self.runs.value}
        self.notices.value = "".join(
            f"<b>{html.escape(name)}</b>{notices_html(analysis, folded=True)}" for name, analysis in chosen.items()
        )
        self.table = compare(chosen, labels={n: self.labels.get(n, {}) for n in chosen})
        by = self.by.value if self.by.value in self.table.columns else f"{self.by.value}_label"
        shown = ["run", *(c for c in (by,) if c != "run"), "migration", "vm", "duration_s", "mean_gbps", "p5_gbps",
                 "pct_of_link", "nics_carrying", "active_cores", "expected_cores"]
        self.view.value = table_html(self.table.select(c for c in dict.fromkeys(shown) if c in self.table.columns))
        if not chosen:
            self.chart.chart = self.histogram.chart = None
            return
        self.chart.chart = charts.comparison_chart(self.table, by=by)
        self.histogram.chart = charts.histogram_chart(chosen, overlay=self.overlay.value)


def _analysis(run: Run, options: Mapping[str, Any]) -> Analysis:
    capture = run if isinstance(run, Capture) else load(run)
    return analyze(capture, **options)


# ---------------------------------------------------------------------------------------------
# Views of one analysis: cores, channels, blackout


class _AnalysisView(_View):
    """A view of one analysis with a migration selector, a :class:`Files` panel that opens
    another (with the side inputs ``SIDES``) and :meth:`open` resetting every control to it."""

    SIDES: tuple[str, ...] = ()
    KIND = "view"

    def _setup(self, analysis: Analysis | None) -> None:
        self._busy = False
        self.analysis: Analysis | None = None
        self.files = Files(self._guarded(self._load_files), sides=self.SIDES)
        self.migration = w.Dropdown(description="Migration")
        self.messages = w.HTML()
        self.notices = w.HTML()
        self.export = Export(self._exports)
        self.migration.observe(self._guarded(self._on_migration), names="value")

    def open(self, analysis: Analysis) -> None:
        """Show ``analysis``: every control reset to it (or emptied, with a note, when it holds
        no migration)."""
        self.analysis = analysis
        self.notices.value = notices_html(analysis, folded=True)
        self.messages.value = ""
        with _quiet(self):
            _choose_migration(self.migration, analysis)
        if analysis.migrations:
            self._on_migration()
        else:
            self._empty()
            hosts = ", ".join(analysis.capture.hosts) or "?"
            self.messages.value = _message_html(
                f"No live migration found in {hosts}. Mark its window in the Explorer (notebook 01) or give it with "
                "kit.analyze(capture, windows=[(start, end)]).", kind="note")

    def _load_files(self) -> None:
        capture, sides = self.files.chosen()
        if capture is None:
            self.messages.value = _message_html("Choose a capture file or folder first (Choose… above).", kind="note")
            return
        try:
            loaded, read = self.files.read(capture, sides)
            analysis = analyze(loaded, **read)
        except _ERRORS as exc:
            self._empty()
            self.analysis = None
            self.notices.value = ""
            with _quiet(self):
                _choose(self.migration, [], None)
            self.messages.value = _message_html(f"Could not open it: {error_text(exc)}")
            return
        self.open(analysis)

    def _on_migration(self, change: Mapping | None = None) -> None:
        if not self._busy and self.analysis is not None and self.migration.value is not None:
            self.update()

    @property
    def chosen(self) -> Migration:
        """The chosen migration."""
        return self.analysis.migrations[self.migration.value]

    def _stem(self) -> str:
        number = f"m{self.chosen.window.number}" if self.analysis and self.migration.value is not None else "none"
        return f"{_test_name(self.analysis.capture) if self.analysis else 'none'}-{number}-{self.KIND}"

    def update(self, change: Mapping | None = None) -> None:  # pragma: no cover - each view has its own
        raise NotImplementedError

    def _empty(self) -> None:  # pragma: no cover - each view has its own
        raise NotImplementedError

    def _exports(self) -> tuple[str, dict, dict]:  # pragma: no cover - each view has its own
        raise NotImplementedError


class CoreExplorer(_AnalysisView):
    """RSS / DPC spread: per migration and host, the cores' mean load (click a bar to pick its
    core) and the heatmap of the chosen cores over the migration; ``cores`` is the table of the
    chosen cores (:attr:`kit.analysis.results.Leg.cores`). [%]"""

    KIND = "cores"

    def __init__(self, analysis: Analysis | None = None) -> None:
        self._setup(analysis)
        self.host = w.Dropdown(description="Host")
        self.core = w.SelectMultiple(description="Cores", rows=6)
        self.active_only = w.Button(description="Active cores only")
        self.view = w.HTML()
        self.bars = Chart(None)
        self.heatmap = Chart(None)
        self.cores = pl.DataFrame()
        self.ui = w.VBox([self.files.ui, w.HBox([self.migration, self.host]), w.HBox([self.core, self.active_only]),
                          self.messages, self.notices, self.bars, self.heatmap, self.view, self.export.ui])
        self.host.observe(self._guarded(self._on_host), names="value")
        self.core.observe(self._guarded(self._on_core), names="value")
        self.active_only.on_click(self._guarded(lambda _: self._select(self.leg.cores.filter("active")["core"].to_list())))
        if analysis is not None:
            self.open(analysis)

    @property
    def leg(self) -> Leg:
        """The chosen host's view of the chosen migration."""
        return self.chosen.leg(self.host.value)

    def update(self, change: Mapping | None = None) -> None:
        """Hosts with per-core counters, the receiving one first (and chosen)."""
        legs = sorted(self.chosen.legs, key=lambda leg: leg.role != "destination")
        hosts = [leg.host for leg in legs if "network_pct" in leg.cores.columns]
        if not hosts:
            self._empty()
            self.messages.value = _message_html("No per-core % DPC Time or % Interrupt Time in this capture.", kind="note")
            return
        with _quiet(self):
            _choose(self.host, hosts, hosts[0])
        self._on_host()

    def _on_host(self, change: Mapping | None = None) -> None:
        """Bars of the host's cores (clickable), cores to choose, active ones chosen."""
        if self._busy:
            return
        leg = self.leg
        bars = charts.core_bars(leg, expected=self.chosen.expected_cores if leg.role == "destination" else None)
        # a click on a bar: declared at the top (with the view it listens to) for JupyterChart to see it
        bars.layer[0] = bars.layer[0].properties(name="core_bars")
        bars.params = [alt.TopLevelSelectionParameter(
            name="core", select=alt.PointSelectionConfig(type="point", fields=["core"], on="click"), views=["core_bars"],
        )]
        self.bars.chart = bars
        self.bars.selections.observe(self._guarded(self._on_pick), names="core")
        active = leg.cores.filter("active")["core"].to_list()
        with _quiet(self):
            _choose(self.core, leg.cores["core"].to_list(), tuple(active or leg.cores["core"].to_list()))
        self._draw()

    def _on_core(self, change: Mapping | None = None) -> None:
        if not self._busy:
            self._draw()

    def _on_pick(self, change: Mapping) -> None:
        """A click on a core's bar chooses that core (a click beside the bars chooses the active ones)."""
        picked = [row["core"] for row in change["new"].value if "core" in row]
        self._select(picked or self.leg.cores.filter("active")["core"].to_list())

    def _select(self, cores: Sequence[int]) -> None:
        with _quiet(self):
            self.core.value = tuple(cores)
        self._draw()

    def _draw(self) -> None:
        """Heatmap over the migration (± :data:`PAD_SAMPLES` intervals) and the table of the chosen cores."""
        leg = self.leg
        chosen = list(self.core.value) or leg.cores["core"].to_list()
        self.cores = leg.cores.filter(pl.col("core").is_in(chosen))
        columns = [f"network_pct{SEP}{c}" for c in chosen]
        frame = leg.core_frame.select("time", "prev", "dt_s", *(c for c in columns if c in leg.core_frame.columns))
        span = _padded(self.analysis, self.chosen.window)
        self.heatmap.chart = charts.core_heatmap(replace(leg, core_frame=frame), span=span)
        self.view.value = _section("Chosen cores", table_html(self.cores.select(
            "core", "label", "network_pct", "peak_network_pct", "dpc_pct", "interrupt_pct", "baseline_pct", "active", "saturated"
        ), labels={"network_pct": "DPC + interrupt, mean [%]", "peak_network_pct": "DPC + interrupt, peak [%]",
                   "baseline_pct": "Idle level [%]", "label": "Instance"}))

    def _empty(self) -> None:
        with _quiet(self):
            _choose(self.host, [], None)
            _choose(self.core, [], ())
        self.bars.chart = self.heatmap.chart = None
        self.cores = pl.DataFrame()
        self.view.value = ""

    def _exports(self) -> tuple[str, dict, dict]:
        return self._stem(), {"bars": self.bars.chart, "heatmap": self.heatmap.chart}, {"cores": self.cores}


class MultichannelAudit(_AnalysisView):
    """Which NICs carried a migration against what was configured for it (needs the topology
    for ``configured``): the NIC table, findings, what could not be decided, and each host's NIC
    throughput over the migration."""

    SIDES = ("topology",)
    KIND = "channels"

    def __init__(self, analysis: Analysis | None = None) -> None:
        self._setup(analysis)
        self.host = w.Dropdown(description="Host")
        self.view = w.HTML()
        self.chart = Chart(None)
        self.channels = Chart(None)
        self.channels.add_class("kit-channels")
        self.table = pl.DataFrame()
        self.findings: list[str] = []
        self.lacking: list[str] = []
        self.ui = w.VBox([self.files.ui, w.HBox([self.migration, self.host]), self.messages, self.notices, self.view,
                          self.channels, self.chart, self.export.ui])
        self.host.observe(self._guarded(self._on_host), names="value")
        if analysis is not None:
            self.open(analysis)

    def update(self, change: Mapping | None = None) -> None:
        """Table, findings and host choice of the chosen migration."""
        migration = self.chosen
        channels = migration.channels
        nics = channels.nics
        self.table = nics.select(c for c in NIC_COLUMNS if c in nics.columns)
        self.findings = [f.text for f in migration.findings if f.kind in CHANNEL_FINDINGS]
        self.lacking = list(channels.lacking)
        accounting = {k: v for k, v in channels.accounting.__dict__.items() if v is not None}
        self.view.value = (
            _section("NICs", table_html(self.table, labels={"name": "Name (alias)", "carried": "Carried",
                                                            "configured": "LM network", "selected": "SMB selected"}))
            + _section("Findings", _list_html(self.findings))
            + _section("Could not tell", _list_html(self.lacking))
            + _section("Transport accounting", table_html(pl.DataFrame(
                [accounting]) if accounting else pl.DataFrame({"accounting": ["none"]})))
        )
        try:
            self.channels.chart = charts.channel_chart(migration)
        except _ERRORS:
            self.channels.chart = None
        hosts = [leg.host for leg in migration.legs if leg.direction]
        source = migration.window.source
        with _quiet(self):
            _choose(self.host, hosts, source if source in hosts else (hosts[0] if hosts else None))
        self._on_host()

    def _on_host(self, change: Mapping | None = None) -> None:
        """The chosen host's NICs, stacked, over the migration. [Gbit/s]"""
        if self._busy or self.host.value is None:
            return
        leg = self.chosen.leg(self.host.value)
        try:
            self.chart.chart = charts.throughput_chart(
                self.analysis, host=leg.host, direction=leg.direction, span=_padded(self.analysis, self.chosen.window)
            )
        except _ERRORS as exc:
            self.messages.value = _message_html(error_text(exc))
            self.chart.chart = None

    def _empty(self) -> None:
        with _quiet(self):
            _choose(self.host, [], None)
        self.chart.chart = self.channels.chart = None
        self.table, self.findings, self.lacking = pl.DataFrame(), [], []
        self.view.value = ""

    def _exports(self) -> tuple[str, dict, dict]:
        return self._stem(), {"channels": self.channels.chart, "throughput": self.chart.chart}, {"nics": self.table}


def _padded(analysis: Analysis, window: Window, around: datetime | None = None) -> tuple[datetime, datetime]:
    """The migration window (or the instant ``around``) ± :data:`PAD_SAMPLES` sample intervals. [UTC]"""
    pad = timedelta(seconds=PAD_SAMPLES * (analysis.capture.interval_s or 1.0))
    if around is not None:
        return around - pad, around + pad
    return window.start - pad, window.end + pad


class BlackoutView(_AnalysisView):
    """The blackout of a migration by every method its inputs allow, each with its bounds, the
    combined estimate, what was lacking, and the source's throughput with the transfer passes and
    the blackout marked (zoom: whole migration or around the blackout; the chart zooms, its data
    reaches beyond: drag to pan)."""

    SIDES = ("events", "pings")
    KIND = "blackout"

    def __init__(self, analysis: Analysis | None = None) -> None:
        self._setup(analysis)
        self.zoom = w.ToggleButtons(options=[("whole migration", "migration"), ("around the blackout", "blackout")])
        self.view = w.HTML()
        self.chart = Chart(None)
        self.bounds = Chart(None)
        self.methods = pl.DataFrame()
        self.passes = pl.DataFrame()
        self.combined: Blackout = Blackout()
        self.ui = w.VBox([self.files.ui, w.HBox([self.migration, self.zoom]), self.messages, self.notices, self.view,
                          self.bounds, self.chart, self.export.ui])
        self.zoom.observe(self._guarded(self._on_zoom), names="value")
        if analysis is not None:
            self.open(analysis)

    def update(self, change: Mapping | None = None) -> None:
        """Methods, combined estimate and passes of the chosen migration, then the chart."""
        migration = self.chosen
        self.combined, self.passes = migration.blackout, migration.passes
        self.methods = self.combined.table()
        c = self.combined
        if c.estimate_s is None:
            headline = f"<b>No blackout estimate</b> ({html.escape(str(c.basis))})"
        else:
            upper = "∞" if c.upper_s is None else f"{c.upper_s:.2f}"
            headline = (
                f"<b>Blackout {c.estimate_s:.2f} s</b> (between {c.lower_s:.2f} and {upper} s; "
                f"{html.escape(str(c.method))}: {html.escape(str(c.basis))})"
            )
        self.view.value = (
            f'<div class="kit-headline">{headline}</div>' + (f"<p><i>{html.escape(c.note)}</i></p>" if c.note else "")
            + _section("Methods", table_html(self.methods, labels={"estimate_s": "Estimate [s]", "lower_s": "At least [s]",
                                                                  "upper_s": "At most [s]", "basis": "How"}))
            + _section("Not used", _list_html(c.lacking))
            + _section("Transfer passes", table_html(self.passes))
        )
        try:
            self.bounds.chart = charts.blackout_chart(migration)
        except _ERRORS:
            self.bounds.chart = None
        self._draw()

    def marks(self) -> list[dict[str, Any]]:
        """Transfer passes and the combined blackout as marks for the throughput chart."""
        out = [
            {"start": p["start"], "duration_s": p["duration_s"], "kind": "pass", "label": f"pass {p['number']}"}
            for p in self.passes.filter(pl.col("start").is_not_null()).iter_rows(named=True)
        ]
        final = self.passes.filter(pl.col("final") & pl.col("start").is_not_null())
        if final.height and self.combined.estimate_s is not None:
            out.append({"start": final["start"][0], "duration_s": self.combined.estimate_s, "kind": "blackout",
                        "label": f"blackout {self.combined.estimate_s:.2f} s ({self.combined.method})"})
        return out

    def _on_zoom(self, change: Mapping | None = None) -> None:
        if self.analysis is not None and self.migration.value is not None:
            self._draw()

    def _draw(self) -> None:
        migration = self.chosen
        leg = migration.source_leg or migration.legs[0]
        final = self.passes.filter(pl.col("final") & pl.col("start").is_not_null())
        around = final["start"][0] if self.zoom.value == "blackout" and final.height else None
        span = _padded(self.analysis, migration.window, around)
        try:
            self.chart.chart = charts.throughput_chart(
                self.analysis, host=leg.host, direction=leg.direction, marks=self.marks(), span=span
            )
        except _ERRORS as exc:
            self.messages.value = _message_html(error_text(exc))
            self.chart.chart = None

    def _empty(self) -> None:
        self.chart.chart = self.bounds.chart = None
        self.methods, self.passes, self.combined = pl.DataFrame(), pl.DataFrame(), Blackout()
        self.view.value = ""

    def _exports(self) -> tuple[str, dict, dict]:
        return (self._stem(), {"bounds": self.bounds.chart, "throughput": self.chart.chart},
                {"methods": self.methods, "passes": self.passes})
