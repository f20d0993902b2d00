"""Two hosts, one clock: the offset between a source's and a destination's clock, from the traffic.

The bytes the source sends during a migration are the bytes the destination receives, so each
host's cumulative byte curve (Σ rate × interval at its own sample instants: exact there, see
:meth:`kit.inputs.timebase.TimeBase.frame`) is the same curve on two clocks. With ``θ`` = how far the
destination's clock is ahead, ``C_dst(t + θ) = C_src(t) + c`` (``c``: bytes before the logs
start and background traffic, constant over a burst).

* coarse: the lag of the peak of the cross-correlation of the two hosts' rates, resampled on a
  common grid of a quarter interval (finds offsets of any size, and the right burst among many);
* fine: the ``θ`` within two intervals of it that minimises Σ (C_dst(t_j) − C_src(t_j − θ) − c)²
  over the destination's samples (``c`` fitted for each ``θ``), with the source's curve linearly
  interpolated between its sample instants, on a grid of 1/200 interval refined by a parabola.

The uncertainty stated is guaranteed, not statistical: between two samples the true cumulative
curve can be any rising curve, so each destination sample allows only the offsets that put it
between the source samples just below and just above its value (± the background mismatch seen
where the source is idle); the intersection over all samples bounds the offset, typically to
about ± ⅔ interval. The least-squares fit usually lands much closer (1–30 ms on generated tests
with 0.5–2 s intervals); its ``standard_error_s`` says how close when the rates change smoothly.
:func:`shift_host` moves one host's samples onto the other's clock.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
import polars as pl

from kit.analysis.nics import HostTraffic, host_traffic, moved, traffic_hosts
from kit.analysis.results import ClockOffset
from kit.errors import OptionError
from kit.inputs.capture import Capture
from kit.inputs.timebase import amount

MIN_BYTES = 64e6
"""Less than this sent in the span compared gives no offset (the curves are flat). [bytes]"""
PAD_INTERVALS = 10
PAD_S = 30.0
"""The source's samples this many intervals, and at least this long [s], either side of a given
window take part: the flat parts matter, and a window read on the other host's clock still
holds the burst. [1]"""
FLAT_SHARE = 0.01
"""Where the source sends under this share of its peak rate its curve is flat (background). [1]"""
TIMESTAMP_RESOLUTION_S = 0.001
"""Perfmon timestamps have millisecond resolution. [s]"""


def clock_offset(
    capture: Capture,
    source_host: str,
    destination_host: str,
    *,
    window: tuple[datetime, datetime] | None = None,
) -> ClockOffset:
    """How far ``destination_host``'s clock is ahead of ``source_host``'s, from their traffic.

    ``window``: ``(start, end)`` on the source's clock: compare only that migration's traffic
    (± 10 intervals, at least ± 30 s). Default: the whole capture. Returns a
    :class:`~kit.analysis.results.ClockOffset` (``offset_s`` [s]: subtract it from the
    destination's times to put them on the source's clock; ``uncertainty_s`` [s]: the true offset
    lies within it; ``standard_error_s`` [s]: least-squares precision; ``samples``: destination
    samples compared; ``residual_bytes``: RMS misfit of the aligned curves [bytes]; ``bytes``:
    bytes the source sent in the span compared; ``reason``: why there is no offset).
    """
    if source_host == destination_host:
        raise OptionError(f"source and destination are both {source_host!r}: give two hosts")
    out = ClockOffset(source=source_host, destination=destination_host)
    traffic = host_traffic(capture)
    sent, interval = _curve(capture, traffic, source_host, "sent_bytes_s")
    received, _ = _curve(capture, traffic, destination_host, "received_bytes_s")
    if sent is None or received is None:
        missing = [h for h, c in ((source_host, sent), (destination_host, received)) if c is None]
        return replace(out, reason=f"no NIC byte counters of {' and '.join(missing)} in the capture")
    if not interval > 0:
        return replace(out, reason=f"{source_host}'s log has fewer than two distinct sample times")
    if window is not None:
        start, end = window
        reference = capture.start
        pad = max(PAD_INTERVALS * interval, PAD_S)
        low, high = _seconds(start, reference) - pad, _seconds(end, reference) + pad
        keep = (sent[0] >= low) & (sent[0] <= high)
        sent = (sent[0][keep], sent[1][keep])
    if sent[0].size < 3 or sent[1][-1] - sent[1][0] < MIN_BYTES:
        return replace(out, reason=f"{source_host} sent under {MIN_BYTES / 1e6:.0f} MB in the span: nothing to align")
    coarse = _coarse(sent, received, interval)
    near = (received[0] >= sent[0][0] + coarse - 2 * interval) & (received[0] <= sent[0][-1] + coarse + 2 * interval)
    times, values = received[0][near], received[1][near]
    candidates = coarse + np.linspace(-2, 2, 801) * interval
    cost = _cost(sent, times, values, candidates)
    best = int(np.argmin(cost))
    offset = _parabola(candidates, cost, best)
    residual = values - np.interp(times - offset, *sent)
    low, high = _feasible(sent, times, values, offset, residual, interval)
    offset = min(max(offset, low), high)
    return replace(
        out, offset_s=offset, uncertainty_s=max(offset - low, high - offset, TIMESTAMP_RESOLUTION_S),
        standard_error_s=_standard_error(sent, times, residual, offset),
        samples=int(times.size), residual_bytes=float(np.std(residual)), bytes=float(sent[1][-1] - sent[1][0]),
    )


def align(capture: Capture) -> tuple[Capture, ClockOffset | None]:
    """With two hosts: their clock offset from the traffic, and the capture with the second host
    moved onto the first's clock where the offset exceeds its uncertainty.

    The host that sent most is the reference (the offset's ``source``). Returns ``(capture,
    clock)``; ``clock`` is None with fewer or more than two hosts.
    """
    hosts = traffic_hosts(capture)
    if len(hosts) != 2 or len(capture.hosts) != 2:
        return capture, None
    reference = max(hosts, key=lambda h: moved(capture, h, "sent"))
    other = next(h for h in hosts if h != reference)
    clock = clock_offset(capture, reference, other)
    if not clock.significant:
        return capture, clock
    return shift_host(capture, other, clock.offset_s), replace(clock, shifted=True)


def shift_host(capture: Capture, host: str, offset_s: float) -> Capture:
    """``capture`` with ``host``'s samples moved ``offset_s`` earlier (its clock was that far ahead).

    With ``offset_s`` from :func:`clock_offset` (``host`` = the destination) both hosts are on the
    source's clock. The host's logs keep their own sample times (``Capture.log_times``), the
    rows are joined again on time, and each moved log's ``SourceInfo`` start and end move too.
    """
    moved_sources = capture.catalog.filter(pl.col("host") == host)["source"].unique(maintain_order=True).to_list()
    if not moved_sources:
        raise OptionError(f"no host {host!r} in the capture", hint=f"hosts: {capture.hosts}")
    shared = set(capture.catalog.filter(pl.col("host") != host)["source"].to_list()) & set(moved_sources)
    if shared:
        raise OptionError(f"{sorted(shared)} hold(s) counters of {host!r} and of other hosts: cannot move one host alone")
    shift = timedelta(seconds=offset_s)
    times = {s: capture.log_times.get(s, _own_times(capture, s)) for s in capture.catalog["source"].unique(maintain_order=True)}
    frames = []
    for source, own in times.items():
        columns = capture.catalog.filter(pl.col("source") == source)["column"].to_list()
        frame = capture.data.filter(pl.col("time").is_in(own.implode())).select("time", *columns)
        if source in moved_sources:
            frame = frame.with_columns(pl.col("time") - shift)
            times[source] = own - shift
        frames.append(frame.with_columns(__k=pl.int_range(pl.len()).over("time")))
    data = frames[0]
    for frame in frames[1:]:
        data = data.join(frame, on=["time", "__k"], how="full", coalesce=True)
    data = data.sort("time", "__k").drop("__k").select("time", *capture.data.columns[1:])
    sources = tuple(
        replace(s, start=s.start and s.start - shift, end=s.end and s.end - shift) if host in s.hosts else s
        for s in capture.sources
    )
    return replace(capture, data=data, sources=sources, log_times=times)


def _own_times(capture: Capture, source: str) -> pl.Series:
    """Sample times of one log where the capture keeps none apart (a single log)."""
    columns = capture.catalog.filter(pl.col("source") == source)["column"].to_list()
    return capture.data.filter(pl.any_horizontal(pl.col(columns).is_not_null()))["time"]


def _seconds(when: datetime, reference: datetime) -> float:
    return (when - reference).total_seconds()


def _curve(
    capture: Capture, traffic: list[HostTraffic], host: str, column: str
) -> tuple[tuple[np.ndarray, np.ndarray] | None, float]:
    """((sample times [s since the capture start], cumulative bytes [bytes]), the log's interval
    [s]) of one host's counted NICs in one direction, from its longest log in ``traffic``
    (:func:`kit.analysis.nics.host_traffic`); the curve is None without byte counters."""
    logs = [t for t in traffic if t.host == host and t.frame[column].is_not_null().any()]
    if not logs:
        return None, 0.0
    longest = max(logs, key=lambda t: t.frame.height)
    frame = longest.frame.unique("time", keep="first", maintain_order=True)  # a repeated time is no step (reported at load)
    seconds = (pl.col("time") - pl.lit(capture.start)).dt.total_microseconds() / 1e6
    curve = frame.select(seconds=seconds, bytes=amount(column).cum_sum())
    return (curve["seconds"].to_numpy(), curve["bytes"].to_numpy()), longest.interval_s or 0.0


def _coarse(sent: tuple[np.ndarray, np.ndarray], received: tuple[np.ndarray, np.ndarray], interval: float) -> float:
    """Lag [s] of the peak of the cross-correlation of the two rates on a grid of interval / 4."""
    step = interval / 4
    low, high = min(sent[0][0], received[0][0]), max(sent[0][-1], received[0][-1])
    grid = np.arange(low, high + step, step)
    rates = [np.diff(np.interp(grid, *curve)) / step for curve in (sent, received)]
    a, b = (r - np.median(r) for r in rates)
    size = 1 << int(np.ceil(np.log2(2 * a.size)))
    correlation = np.fft.irfft(np.fft.rfft(b, size) * np.conj(np.fft.rfft(a, size)), size)
    lag = int(np.argmax(correlation))
    return (lag if lag < size // 2 else lag - size) * step


def _cost(sent: tuple[np.ndarray, np.ndarray], times: np.ndarray, values: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Σ (C_dst − C_src(t − θ) − c)² for every candidate θ, with c the mean misfit. [bytes²]"""
    shifted = np.interp(times[None, :] - offsets[:, None], *sent)
    misfit = values[None, :] - shifted
    return ((misfit - misfit.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)


def _parabola(x: np.ndarray, y: np.ndarray, best: int) -> float:
    """Vertex of the parabola through the best grid point and its neighbours."""
    if best == 0 or best == x.size - 1:
        return float(x[best])
    y0, y1, y2 = y[best - 1 : best + 2]
    curvature = y0 - 2 * y1 + y2
    step = x[1] - x[0]
    return float(x[best] + (0.5 * step * (y0 - y2) / curvature if curvature > 0 else 0.0))


def _feasible(
    sent: tuple[np.ndarray, np.ndarray], times: np.ndarray, values: np.ndarray, offset: float, residual: np.ndarray,
    interval: float,
) -> tuple[float, float]:
    """The offsets [s] every destination sample allows: between two source samples the true
    cumulative curve can be any rising curve, so a destination value v (less the constant c,
    ± ε) was reached after the last source sample below v − ε and before the first above v + ε.
    c and ε come from where the source's curve is flat (median misfit, 3 × its spread + 1 MB:
    background traffic). Falls back to ± 2 intervals around ``offset`` if the bounds cross."""
    rate = np.interp(times - offset, sent[0][1:], np.diff(sent[1]) / np.diff(sent[0]))
    flat = rate < FLAT_SHARE * rate.max()
    misfit = residual[flat] if flat.sum() >= 2 else residual
    c = float(np.median(misfit))
    spread = 3 * float(np.std(misfit)) + 1e6
    level = values - c
    below = np.searchsorted(sent[1], level - spread, side="left") - 1
    above = np.searchsorted(sent[1], level + spread, side="right")
    n = sent[0].size
    high = np.min(np.where(below >= 0, times - sent[0][np.clip(below, 0, n - 1)], np.inf))
    low = np.max(np.where(above < n, times - sent[0][np.clip(above, 0, n - 1)], -np.inf))
    if not low <= offset <= high or not np.isfinite(low) or not np.isfinite(high):
        return (min(low, offset) if np.isfinite(low) else offset - 2 * interval,
                max(high, offset) if np.isfinite(high) else offset + 2 * interval)
    return float(low), float(high)


def _standard_error(sent: tuple[np.ndarray, np.ndarray], times: np.ndarray, residual: np.ndarray, offset: float) -> float:
    """Least-squares standard error of the offset [s]: the precision when the rates change
    smoothly between samples (not guaranteed: see ``uncertainty_s``)."""
    rate = np.interp(times - offset, sent[0][1:], np.diff(sent[1]) / np.diff(sent[0]))
    leverage = float(((rate - rate.mean()) ** 2).sum())
    variance = float(((residual - residual.mean()) ** 2).sum()) / max(times.size - 2, 1)
    return float(np.sqrt(variance / leverage)) if leverage > 0 else float("inf")
