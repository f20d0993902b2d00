"""One call from a capture to every migration's figures: it only orchestrates the analyses.

:func:`analyze` aligns the hosts' clocks (:mod:`~kit.analysis.clock`), finds the windows
(:mod:`~kit.analysis.windows`), and for each migration names the hosts' roles and the transport
(:mod:`~kit.analysis.roles`), measures each host's leg (:mod:`~kit.analysis.throughput`,
:mod:`~kit.analysis.cores`), bounds the blackout (:mod:`~kit.analysis.blackout`), attributes the
channels (:mod:`~kit.analysis.channels`) and states the findings (:mod:`~kit.analysis.findings`).
The result is typed (:mod:`~kit.analysis.results`); the JSON report is made from it by
:mod:`kit.contract`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from numbers import Integral, Real

import polars as pl

from kit.analysis import blackout, channels, clock, cores, findings, live_migration, roles, throughput, windows
from kit.analysis.results import Analysis, ClockOffset, Leg, Migration, Options, Window, utc_text
from kit.analysis.sides import side_inputs
from kit.errors import OptionError
from kit.inputs.capture import Capture
from kit.inputs.events import Events
from kit.inputs.pings import Pings
from kit.inputs.timebase import gaps
from kit.inputs.topology import Topology

TRANSPORTS = ("tcp", "compression", "smb", "smb-direct")
"""The live-migration performance options, as ``transport`` names them."""
MTU_RANGE = (576, 65535)
"""MTUs accepted [bytes]: IPv4's minimum datagram every host must take (RFC 791) to its largest
(a 16-bit total length). The ceilings of :mod:`kit.limits` need ``MTU > 40``."""


@dataclass(frozen=True, eq=False)
class _Host:
    """What every migration of one host shares: its per-core frame, labels and idle baseline."""

    frame: pl.DataFrame
    labels: pl.DataFrame
    baseline: pl.DataFrame | None


def analyze(
    capture: Capture,
    *,
    windows: Iterable[Sequence[object]] | pl.DataFrame | None = None,
    vm_memory_gb: float | None = None,
    mtu: int | None = None,
    transport: str | None = None,
    labels: Mapping[str, object] | None = None,
    dip_fraction: float = throughput.DIP_FRACTION,
    bin_width_gbps: float | None = None,
    active_pct: float = cores.ACTIVE_PCT,
    saturated_pct: float = cores.SATURATED_PCT,
    events: Events | None = None,
    topology: Topology | None = None,
    pings: Pings | None = None,
    align_clocks: bool = True,
) -> Analysis:
    """Find every migration in ``capture`` (or use ``windows``) and measure it.

    With two hosts, their clock offset is first estimated from the traffic (source's bytes sent
    against destination's bytes received) and, where it exceeds its uncertainty, the second host
    is moved onto the first's clock (``Analysis.clock``).

    Parameters
    ----------
    windows
        Migration windows to use instead of finding them: ``(start, end[, vm])`` items or a frame
        (see :func:`kit.analysis.windows.given_windows`).
    vm_memory_gb
        VM memory, for the memory-transfer rate. [GB, 10^9 bytes]
    mtu
        MTU of the migration NICs (default: inferred from bytes per packet, else 1500). [bytes]
    transport
        ``tcp``, ``compression``, ``smb`` or ``smb-direct`` (default: from the live-migration
        counters, RDMA bytes or the NIC count).
    labels
        User metadata of the run (MTU, power plan, NIC count…), copied into the report.
    dip_fraction
        Dip threshold and plateau band, as a share of the plateau. [1]
    bin_width_gbps
        Histogram bin width (default: Freedman–Diaconis, rounded). [Gbit/s]
    active_pct, saturated_pct
        Core thresholds on DPC + interrupt time: over idle to count as active, absolute to count
        as saturated. [%]
    events, topology, pings
        Side inputs (:mod:`kit.io.side`) for the blackout and the channel attribution; each
        analysis runs on what there is and lists what it lacked.
    align_clocks
        Estimate and remove the clock offset between two hosts.

    Raises :class:`~kit.errors.OptionError`, naming the argument, for an argument out of range or
    of the wrong type, and for a window that ends before it starts or lies wholly outside the
    capture.
    """
    _check_arguments(
        capture, vm_memory_gb=vm_memory_gb, mtu=mtu, transport=transport, labels=labels, dip_fraction=dip_fraction,
        bin_width_gbps=bin_width_gbps, active_pct=active_pct, saturated_pct=saturated_pct, events=events,
        topology=topology, pings=pings, align_clocks=align_clocks,
    )
    if windows is not None:
        windows = _given_windows(capture, windows)
    mtu = None if mtu is None else int(mtu)
    options = Options(
        vm_memory_gb=vm_memory_gb, mtu=mtu, transport=transport, dip_fraction=dip_fraction,
        bin_width_gbps=bin_width_gbps, active_pct=active_pct, saturated_pct=saturated_pct,
        windows="given" if windows is not None else "found", events=events is not None,
        topology=topology is not None, pings=pings is not None, align_clocks=align_clocks,
    )
    capture, offset = clock.align(capture) if align_clocks else (capture, None)
    found = windows_of(capture, windows)
    spans = list(zip(found["start"].to_list(), found["end"].to_list()))
    hosts = {}
    for host in capture.hosts:
        frame = cores.core_frame(capture, host)
        hosts[host] = _Host(frame, cores.core_labels(capture, host), cores.idle_baseline(frame, spans))
    # once on one time axis, the vNIC gap needs only the alignment's uncertainty (unknown: let it try alone)
    aligned = replace(offset, offset_s=0.0) if offset is not None and offset.known else None
    every = {row["migration"]: Window.from_row(row) for row in found.iter_rows(named=True)}
    migrations = tuple(
        _migration(capture, window, every, hosts, options, events, topology, pings, offset, aligned)
        for window in every.values()
    )
    return Analysis(
        capture=capture, windows=found, migrations=migrations, traffic=_traffic(capture), options=options,
        labels=dict(labels or {}), clock=offset,
        inputs=side_inputs(capture, events=events, topology=topology, pings=pings),
    )


def check_windows(capture: Capture, spans: Iterable[tuple[datetime, datetime]], *, option: str = "windows=") -> None:
    """Raise :class:`~kit.errors.OptionError`, naming ``option`` (``windows=``, ``--window``),
    for a window that does not end after it starts or lies wholly outside the capture. [UTC]"""
    for start, end in spans:
        text = f"{utc_text(start)}/{utc_text(end)}"
        if not end > start:
            raise OptionError(f"{option}: the window {text} does not end after it starts", hint="give the start first")
        if capture.start is not None and (end <= capture.start or start >= capture.end):
            raise OptionError(
                f"{option}: the window {text} lies wholly outside the capture "
                f"({utc_text(capture.start)} → {utc_text(capture.end)})",
                hint="give a window that overlaps the capture",
            )


def _given_windows(capture: Capture, given: Iterable[Sequence[object]] | pl.DataFrame) -> pl.DataFrame:
    """``windows=`` as a frame of UTC ``start``/``end`` (and ``vm``), checked against the capture."""
    try:  # the parsing of kit.analysis.windows, its messages named after the argument
        frame = given if isinstance(given, pl.DataFrame) else windows._window_rows(given)
        frame = windows._utc_frame(frame)
    except OptionError as exc:
        raise OptionError(f"windows=: {exc.reason}", hint=exc.hint) from None
    except TypeError:
        raise OptionError("windows= is not a list of (start, end[, vm]) items or a frame") from None
    check_windows(capture, frame.select("start", "end").iter_rows(), option="windows=")
    return frame


def _check_arguments(
    capture: object, *, vm_memory_gb: object, mtu: object, transport: object, labels: object, dip_fraction: object,
    bin_width_gbps: object, active_pct: object, saturated_pct: object, events: object, topology: object,
    pings: object, align_clocks: object,
) -> None:
    """Raise :class:`~kit.errors.OptionError` naming the first argument of :func:`analyze` out of
    range or of the wrong type."""
    if not isinstance(capture, Capture):
        raise OptionError(f"capture is {_kind(capture)}, not a capture", hint="give kit.load(...)")
    for name, value in (("vm_memory_gb", vm_memory_gb), ("bin_width_gbps", bin_width_gbps)):
        if value is not None and not _finite(value, above=0):
            raise OptionError(f"{name}={_shown(value)} is not a finite number above 0")
    whole = isinstance(mtu, Integral) or (isinstance(mtu, float) and mtu.is_integer())
    if mtu is not None and not (whole and not isinstance(mtu, bool) and MTU_RANGE[0] <= mtu <= MTU_RANGE[1]):
        low, high = MTU_RANGE
        raise OptionError(f"mtu={_shown(mtu)} is not an MTU", hint=f"give {low} to {high} bytes, e.g. 1500 or 9000")
    if transport is not None and transport not in TRANSPORTS:
        raise OptionError(f"transport={_shown(transport)} is not a transport", hint=f"give one of {', '.join(TRANSPORTS)}")
    if not (_finite(dip_fraction, above=0) and dip_fraction < 1):
        raise OptionError(f"dip_fraction={_shown(dip_fraction)} is not between 0 and 1")
    for name, value in (("active_pct", active_pct), ("saturated_pct", saturated_pct)):
        if not (_finite(value, above=0) and value <= 100):
            raise OptionError(f"{name}={_shown(value)} is not a share of one core above 0 and up to 100 [%]")
    if labels is not None:
        if not isinstance(labels, Mapping):
            raise OptionError(f"labels is {_kind(labels)}, not a mapping of names to values")
        for key, value in labels.items():
            if isinstance(value, float) and not math.isfinite(value):
                raise OptionError(f"labels: the value of {_shown(key)} is {_shown(value)}, which JSON cannot hold")
    for name, value, kind, reader in (
        ("events", events, Events, "kit.read_events"), ("topology", topology, Topology, "kit.read_topology"),
        ("pings", pings, Pings, "kit.read_pings"),
    ):
        if value is not None and not isinstance(value, kind):
            raise OptionError(f"{name} is {_kind(value)}", hint=f"give what {reader}(...) returns")
    if not isinstance(align_clocks, bool):
        raise OptionError(f"align_clocks={_shown(align_clocks)} is not True or False")


def _finite(value: object, *, above: float) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value) and value > above


def _shown(value: object) -> str:
    """A value as a message shows it: numbers and text as written, anything else by its type."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, Real):
        return f"{value:g}" if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return f"'{value}'"
    return _kind(value)


def _kind(value: object) -> str:
    name = type(value).__name__
    return f"{'an' if name[0].lower() in 'aeiou' else 'a'} {name}"


def windows_of(capture: Capture, given: Iterable[Sequence[object]] | pl.DataFrame | None) -> pl.DataFrame:
    """The migration windows: ``given`` ones, else found in the capture."""
    return windows.find_migrations(capture) if given is None else windows.given_windows(capture, given)


def _traffic(capture: Capture) -> dict[tuple[str, str], pl.DataFrame]:
    """NIC rates of every host and direction over the whole capture (see ``Analysis.traffic``)."""
    out = {}
    if capture.start is None:
        return out
    for host in capture.hosts:
        for direction in ("sent", "received"):
            series, _ = throughput.leg_series(capture, host=host, direction=direction, start=capture.start, end=capture.end)
            if series.height:
                out[(host, direction)] = series.drop("phase")
    return out


def _migration(
    capture: Capture,
    window: Window,
    every: dict[int, Window],
    hosts: dict[str, _Host],
    options: Options,
    events: Events | None,
    topology: Topology | None,
    pings: Pings | None,
    offset: ClockOffset | None,
    aligned: ClockOffset | None,
) -> Migration:
    """Everything measured of one migration."""
    taken = roles.roles(capture, window)
    window = roles.named(window, taken)
    legs = tuple(_leg(capture, host, role, window, hosts[host], options) for host, role in taken)
    lm = live_migration.lm_bytes(capture, window)
    transport, basis = roles.transport(legs, options.transport, lm)
    destination = next((leg for leg in legs if leg.role == "destination"), None)
    tcp_nics = (
        destination.nics.filter(pl.col("carried") & (pl.col("tcp_bytes").fill_null(0) > 0)).height if destination else 0
    )
    expected = cores.expected_receive_cores(transport, nics=tcp_nics, flows=1 + len(window.concurrent_with))
    shared = [every[n] for n in window.concurrent_with if every[n].source == window.source and window.source]
    source = next((leg for leg in legs if leg.role == "source"), None)
    own = throughput.own_bytes(capture, source.series, window, shared) if shared and source else None
    headline = throughput.migration_throughput(
        legs, duration_s=window.duration_s, own=own, shared_with=tuple(w.number for w in shared)
    )
    passes = blackout.transfer_passes(capture, window)
    estimate = blackout.estimate_blackout(capture, window, passes=passes, events=events, pings=pings, clock=aligned)
    channel = channels.attribute_channels(legs, capture=capture, topology=topology, lm_bytes=lm)
    said = findings.findings(
        window, legs, headline, transport=transport, expected_cores=expected, channels=channel, blackout=estimate, lm=lm
    )
    return Migration(
        window=window, legs=legs, throughput=headline, transport=transport, transport_basis=basis,
        expected_cores=expected, lm_bytes=lm, blackout=estimate, passes=passes, channels=channel, clock=offset,
        vm_memory_gb=options.vm_memory_gb, findings=said,
    )


def _leg(capture: Capture, host: str, role: str, window: Window, shared: _Host, options: Options) -> Leg:
    """One host's view of a migration."""
    direction = roles.ROLE_DIRECTION[role]
    series, nic_cols = throughput.leg_series(
        capture, host=host, direction=direction or "received", start=window.start, end=window.end
    )
    if direction is None:
        series, nic_cols = series.clear(), nic_cols.clear()
    nics = throughput.nic_bytes(
        capture, nic_cols, direction=direction or "received", start=window.start, end=window.end, mtu=options.mtu
    )
    nics = throughput.nic_rates(series, nics)
    moving = series.filter(pl.col("phase") == "transfer")
    span: tuple[datetime, datetime] = (moving["prev"].min(), moving["time"].max()) if moving.height else window.span
    carried = nics.filter(pl.col("carried"))["bytes"].sum()
    spread, summary = cores.core_spread(
        shared.frame, span=span, window=window.span, baseline=shared.baseline, labels=shared.labels,
        bytes_moved=carried or None, active_pct=options.active_pct, saturated_pct=options.saturated_pct,
    )
    return Leg(
        host=host, role=role, direction=direction, series=series, nics=nics,
        stats=throughput.rate_stats(series), steadiness=throughput.steadiness(series, dip_fraction=options.dip_fraction),
        histogram=throughput.histogram(series, bin_width_gbps=options.bin_width_gbps), cdf=throughput.cdf(series),
        gaps=gaps(series), cores=spread, core_summary=summary, core_frame=shared.frame, core_labels=shared.labels,
        nic_cores=cores.nic_cores(capture, host, span=span), nic_stops=throughput.nic_stops(host, series, nics),
    )
