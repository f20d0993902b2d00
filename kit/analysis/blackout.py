"""A migration's blackout, bounded by every source at hand, and its transfer passes.

The blackout is the time the VM is paused: from the start of the final (stop-and-copy) pass until
it resumes on the destination (domain.md §3.1). Each method gives an interval that holds the true
value whatever happened between two samples, never a precision the sampling cannot give
(domain.md §3.2, §3.3):

* ``event-20415``: Hyper-V's own figure, event data 2 in seconds with one decimal: the value
  ± 0.05 s. Authoritative when present.
* ``is-blackout``: ``Transfer Pass: Is blackout`` is a gauge read at the sample instants. If the
  samples ``t_a … t_b`` (k of them) read 1 and their neighbours ``t_a-1``, ``t_b+1`` read 0, the
  blackout started in ``(t_a-1, t_a]`` and ended in ``(t_b, t_b+1]``: it lasted between
  ``t_b − t_a`` and ``t_b+1 − t_a-1`` (with a regular interval Δ: ``[(k−1)Δ, (k+1)Δ]``). Seen in no
  sample, it fitted between two samples: at most the longest interval.
* ``final-pass``: the VM is paused while the final pass copies its dirty pages
  (``Transfer pass: Dirty Page Count`` × 4096 B), which takes at least their bytes ÷ the fastest
  the source's NICs can send (Σ ``Current Bandwidth`` / 8, × the compression ratio): a lower
  bound — only for a pass *proven* final (:func:`transfer_passes`): the last pass seen is often
  not the last pass, the short last ones falling between samples.
* ``tail-burst``: the same from the NIC trace alone, when the last burst is set apart from the
  rest by at least one idle sample and holds only the proven final pass (the pass before it was
  last seen before the burst): its bytes ÷ the fastest rate. At coarse sampling the final pass
  merges with the earlier ones and this method says so.
* ``vnic-gap``: the VM's ``Hyper-V Virtual Network Adapter`` traffic stops on the source and
  resumes on the destination. With ``s_k`` the last source sample with traffic and ``d_j`` the
  first destination sample with traffic (on the source's clock), the blackout lies inside
  ``(s_k-1, d_j)``: at most ``d_j − s_k-1``; at least ``d_j-1 − s_k`` when the destination read
  0 (not blank) at ``d_j-1`` and the VM's traffic never pauses for a whole interval. Both widen
  by the clock offset's uncertainty.
* ``ping-gap``: probes are lost while the VM is unreachable, which is the blackout plus the
  network's re-learn time. The outage lies between the reply before and the reply after the lost
  run (+ the timestamps' resolution and the round trip): an upper bound; the lost probes span at
  least (lost − 1) × interval, less ``network_relearn_s`` for the blackout: a lower bound.

:func:`estimate_blackout` combines them: the event wins when present (a note names each method
whose interval excludes it); otherwise the intersection of the intervals, or, when they do not
overlap, the tightest one with a note that names the methods that disagree and their intervals.
Every interval is ordered (lower ≤ upper).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import polars as pl

from kit.analysis.clock import clock_offset
from kit.analysis.live_migration import lm_columns
from kit.analysis.nics import host_traffic, nic_table
from kit.analysis.results import Blackout, BlackoutMethod, ClockOffset, Window
from kit.errors import OptionError
from kit.inputs.capture import Capture
from kit.inputs.events import Events
from kit.inputs.pings import Pings
from kit.inputs.timebase import TIME, amount, hms, overlaps, read_within, spans
from kit.vocabulary import (
    LM_COMPRESSED_SENT_RATE,
    LM_DIRTY_PAGES,
    LM_IS_BLACKOUT,
    LM_MEMORY_READ,
    LM_PASS_NUMBER,
    LM_SMB_SENT_RATE,
    LM_TCP_SENT_RATE,
    VIRTUAL_NETWORK_ADAPTER,
    VNIC_BYTES,
)

PAGE_BYTES = 4096
"""Hyper-V memory page. [bytes]"""
_FINAL_BASIS = {"is-blackout": "'Is blackout' read 1 in it", "after-transfer": "read after the transfer ended"}
IDLE_SHARE = 0.1
"""A NIC sample below this share of the plateau is idle (separates the tail burst). [1]"""
NETWORK_RELEARN_S = 1.0
"""Default most time the network needs after the VM resumes before pings get through. [s]"""
EVENT_SLACK_S = 60.0
"""Events and pings this far outside the window still count for it (other clocks). [s]"""
PASSES_SCHEMA = {
    "number": pl.Int64, "seen": pl.Boolean, "first_seen": TIME, "last_seen": TIME,
    "start": TIME, "start_resolution_s": pl.Float64, "duration_s": pl.Float64,
    "dirty_pages": pl.Int64, "page_bytes": pl.Float64, "bytes": pl.Float64, "memory_bytes": pl.Float64,
    "blackout_seen": pl.Boolean, "final": pl.Boolean, "final_basis": pl.String, "converging": pl.Boolean,
}
_TRANSPORT_RATES = (LM_SMB_SENT_RATE, LM_TCP_SENT_RATE, LM_COMPRESSED_SENT_RATE)


def transfer_passes(capture: Capture, window: Window) -> pl.DataFrame:
    """The transfer passes of one migration from the source's live-migration counters.

    One row per pass 1 … the last pass number seen (:data:`PASSES_SCHEMA`): ``seen`` (a sample
    fell in it; passes shorter than an interval can slip between samples and have only their
    number), ``first_seen`` / ``last_seen`` (its first and last sample [UTC]), ``start``
    (midpoint between the sample before and ``first_seen`` [UTC]) ± ``start_resolution_s`` [s],
    ``duration_s`` (to the next seen pass's start [s]; null for the last), ``dirty_pages``
    (``Transfer pass: Dirty Page Count``: pages the pass copies [count]), ``page_bytes`` (× 4096
    [bytes]), ``bytes`` / ``memory_bytes`` (transport / ``Memory Walker: Bytes Read/sec``
    integrated over the sample intervals that end in the pass: an interval that spans a pass
    change counts for the later pass [bytes]), ``blackout_seen`` (``Transfer Pass: Is blackout``
    read 1 in one of its samples; null when that counter was not logged), ``converging`` (its pages
    are fewer than the previous pass's; null for pass 1 or unknown).

    ``final`` says whether the pass is the stop-and-copy one, and ``final_basis`` how that is
    known. The last pass *seen* need not be the last pass: at 1 s (let alone 5 s) sampling the
    short last passes fall between samples. So a pass is final (true) only when proven:
    ``is-blackout`` (a sample of it read Is blackout = 1) or ``after-transfer`` (it was read in a
    sample taken wholly after the transport counters stopped moving bytes: no pass can follow).
    It is false when a later pass was seen, and null (unknown) otherwise. Empty without the
    counters.
    """
    of = lm_columns(capture, window)
    if LM_PASS_NUMBER not in of:
        return pl.DataFrame(schema=PASSES_SCHEMA)
    transport = [of[c] for c in _TRANSPORT_RATES if c in of]
    memory = of.get(LM_MEMORY_READ)
    flag = of.get(LM_IS_BLACKOUT)
    extra = [of[c] for c in (LM_DIRTY_PAGES, LM_IS_BLACKOUT) if c in of]
    columns = [of[LM_PASS_NUMBER], *extra, *transport, *([memory] if memory else [])]
    frame = capture.timebase.frame(columns, where=overlaps(*window.span) | read_within(*window.span))
    frame = frame.select(
        "time", "prev", "dt_s",
        number=pl.col(of[LM_PASS_NUMBER]).round().cast(pl.Int64),
        pages=pl.col(of[LM_DIRTY_PAGES]) if LM_DIRTY_PAGES in of else pl.lit(None, pl.Float64),
        flag=pl.col(flag) >= 0.5 if flag else pl.lit(None, pl.Boolean),
        moving=(pl.sum_horizontal(pl.col(transport).fill_null(0)) > 0) if transport else pl.lit(None, pl.Boolean),
        bytes=_moved(transport), memory=_moved([memory] if memory else []),
    ).filter(pl.col("number").is_not_null())
    last_moving = frame.filter(pl.col("moving"))["time"].max() if transport else None
    after = (pl.col("prev") >= last_moving) if last_moving is not None else pl.lit(False)
    seen = (
        frame.filter(pl.col("number") > 0)
        .group_by("number")
        .agg(
            first_seen=pl.col("time").first(), last_seen=pl.col("time").last(), before=pl.col("prev").first(),
            dirty_pages=pl.col("pages").drop_nulls().first().round().cast(pl.Int64),
            bytes=pl.col("bytes").sum(), memory_bytes=pl.col("memory").sum(),
            blackout_seen=pl.col("flag").any() if flag else pl.lit(None, pl.Boolean),
            after_transfer=after.any(),
        )
    )
    if seen.is_empty():
        return pl.DataFrame(schema=PASSES_SCHEMA)
    numbers = pl.DataFrame({"number": pl.int_range(1, seen["number"].max() + 1, eager=True, dtype=pl.Int64)})
    start = pl.col("before") + (pl.col("first_seen") - pl.col("before")) / 2
    basis = (
        pl.when(pl.col("blackout_seen").fill_null(False)).then(pl.lit("is-blackout"))
        .when(pl.col("after_transfer").fill_null(False)).then(pl.lit("after-transfer"))
    )
    later = pl.col("number") < pl.col("number").max()
    passes = numbers.join(seen, on="number", how="left").sort("number").with_columns(
        seen=pl.col("first_seen").is_not_null(),
        start=start,
        start_resolution_s=(pl.col("first_seen") - pl.col("before")).dt.total_microseconds() / 2e6,
        page_bytes=pl.col("dirty_pages").cast(pl.Float64) * PAGE_BYTES,
        final_basis=basis,
    ).with_columns(
        final=pl.when(pl.col("final_basis").is_not_null() & ~later).then(True).when(later).then(False),
        final_basis=pl.when(~later).then("final_basis"),
    )
    next_start = pl.col("start").backward_fill().shift(-1)
    return passes.with_columns(
        duration_s=(next_start - pl.col("start")).dt.total_microseconds() / 1e6,
        converging=pl.col("page_bytes") < pl.col("page_bytes").shift(1),
    ).select(PASSES_SCHEMA.keys()).cast(PASSES_SCHEMA)


def final_pass(passes: pl.DataFrame) -> dict | None:
    """The proven final pass of :func:`transfer_passes` (a row as a dict), or None."""
    final = passes.filter(pl.col("final").fill_null(False))
    return final.row(0, named=True) if final.height else None


def estimate_blackout(
    capture: Capture,
    window: Window,
    *,
    passes: pl.DataFrame,
    events: Events | None = None,
    pings: Pings | None = None,
    clock: ClockOffset | None = None,
    network_relearn_s: float = NETWORK_RELEARN_S,
    slack_s: float = EVENT_SLACK_S,
) -> Blackout:
    """Bound one migration's blackout with every method its inputs allow, and combine them.

    Parameters
    ----------
    window
        The migration's window (times on the source's clock).
    passes
        Its :func:`transfer_passes`.
    events
        Hyper-V events (:func:`kit.io.side.events.read_events`): the 20415/20417 of the VM within
        ``slack_s`` of the window.
    pings
        A ping log of the VM (:func:`kit.io.side.pings.read_pings`): its longest run of losses
        within ``slack_s`` of the window.
    clock
        The offset of the destination's clock against the source's, for the vNIC gap (once the
        capture is on one axis: ``offset_s`` 0 ± the alignment's uncertainty). None: estimated
        here from the migration's traffic (:func:`kit.analysis.clock.clock_offset`).
    network_relearn_s
        Most time the network needs after the VM resumes before pings get through (ARP / MAC
        re-learn, port set-up): the ping gap's lower bound is reduced by it. [s]
    slack_s
        How far outside the window events and pings may lie (their clocks differ). [s]

    Returns a :class:`~kit.analysis.results.Blackout`: every method that gave bounds
    (``methods``), what each other one lacked (``lacking``), and the combination (``estimate_s``,
    ``lower_s``, ``upper_s`` [s], null when unknown; ``method``: ``event-20415``, a method name,
    names joined by ``+`` for an intersection, or null; ``basis`` in words; ``note`` where
    methods disagree).
    """
    if network_relearn_s < 0 or slack_s < 0:
        raise OptionError("network_relearn_s and slack_s must be >= 0")
    rows: list[BlackoutMethod] = []
    lacking: list[str] = []
    for method in (
        lambda: _from_event(events, window, slack_s),
        lambda: _from_is_blackout(capture, window),
        lambda: _from_final_pass(capture, window, passes),
        lambda: _from_tail_burst(capture, window, passes),
        lambda: _from_vnic(capture, window, clock),
        lambda: _from_pings(pings, window, network_relearn_s, slack_s),
    ):
        row, why = method()
        if row is None:
            lacking.append(why)
        else:
            rows.append(row)
    return _combine(tuple(rows), tuple(lacking))


# ---------------------------------------------------------------------------------------------
# The methods: each returns (method, None) or (None, what it lacked)

Found = tuple[BlackoutMethod | None, str | None]


def _row(method: str, lower: float, upper: float | None, basis: str, estimate: float | None = None) -> BlackoutMethod:
    lower = max(0.0, lower)
    middle = lower if upper is None else (lower + upper) / 2
    return BlackoutMethod(method, middle if estimate is None else estimate, lower, upper, basis)


def _from_event(events: Events | None, window: Window, slack_s: float) -> Found:
    if events is None:
        return None, "event-20415: no Hyper-V event log given"
    found = events.blackouts().filter(
        pl.col("blackout_s").is_not_null()
        & pl.col("time").is_between(window.start - _seconds(slack_s), window.end + _seconds(slack_s))
    )
    if window.vm:
        found = found.filter(pl.col("vm").str.to_lowercase() == window.vm.lower())
    if found.is_empty():
        vm = f"of {window.vm} " if window.vm else ""
        return None, f"event-20415: no blackout event {vm}within {slack_s:.0f} s of the migration"
    nearest = found.sort((pl.col("time") - pl.lit(window.end)).abs()).row(0, named=True)
    value, half = nearest["blackout_s"], nearest["blackout_resolution_s"] or 0.05
    basis = (
        f"event {nearest['event_id']} on {nearest['host']} at {hms(nearest['time'])}: Hyper-V measured "
        f"{value:g} s, rounded to {2 * half:g} s"
    )
    return _row("event-20415", value - half, value + half, basis, estimate=value), None


def _from_is_blackout(capture: Capture, window: Window) -> Found:
    of = lm_columns(capture, window)
    if LM_IS_BLACKOUT not in of:
        return None, "is-blackout: no 'Transfer Pass: Is blackout' counter of this migration on its source"
    column = of[LM_IS_BLACKOUT]
    frame = capture.timebase.frame([column], where=read_within(*window.span))
    frame = frame.filter(pl.col(column).is_not_null()).with_row_index("k")
    flag = frame.filter(pl.col(column) >= 0.5)
    if frame.height < 2:
        return None, "is-blackout: fewer than two samples of the migration"
    times = frame["time"]
    if flag.is_empty():
        longest = frame["dt_s"].drop_nulls().max()
        basis = f"'Is blackout' read 1 in no sample: the blackout fitted between two samples, at most {longest:.2f} s apart"
        return _row("is-blackout", 0.0, longest, basis), None
    first, last = flag["k"].min(), flag["k"].max()
    seen = (times[last] - times[first]).total_seconds()
    before = times[first - 1] if first > 0 else None
    after = times[last + 1] if last + 1 < frame.height else None
    upper = (after - before).total_seconds() if before is not None and after is not None else None
    basis = (
        f"'Is blackout' read 1 in {flag.height} sample(s) from {hms(times[first])} to {hms(times[last])}: "
        f"the blackout lasted at least {seen:.2f} s"
        + (f" and less than {upper:.2f} s (the samples on either side read 0)" if upper is not None else "")
    )
    return _row("is-blackout", seen, upper, basis), None


def _from_final_pass(capture: Capture, window: Window, passes: pl.DataFrame) -> Found:
    if passes.is_empty():
        return None, "final-pass: no 'Transfer Pass: Number' counter of this migration on its source"
    final = final_pass(passes)
    if final is None:
        last = passes.filter(pl.col("seen"))["number"].max()
        return None, (
            f"final-pass: the last pass seen ({last}) is not proven the final one (no sample of it read "
            "'Is blackout' = 1 and none was taken after the transfer ended): the final pass may have fallen "
            "between samples"
        )
    if final["page_bytes"] is None:
        return None, "final-pass: no 'Transfer pass: Dirty Page Count' of the final pass"
    fastest, how = _fastest(capture, window, passes)
    if fastest is None:
        return None, f"final-pass: {how}"
    lower = final["page_bytes"] / fastest
    basis = (
        f"pass {final['number']} (the final one: {_FINAL_BASIS[final['final_basis']]}) copied {final['dirty_pages']} "
        f"dirty pages ({final['page_bytes'] / 1e6:.1f} MB) with the VM paused, at most at {how}: at least {lower:.3f} s"
    )
    return _row("final-pass", lower, None, basis), None


def _from_tail_burst(capture: Capture, window: Window, passes: pl.DataFrame) -> Found:
    sources = [t.frame for t in host_traffic(capture) if t.host == window.source]
    if not sources:
        return None, "tail-burst: no NIC byte counters of the source host"
    frame = max(sources, key=lambda f: f.height).filter(overlaps(*window.span))
    rate = frame["sent_bytes_s"].fill_null(0)
    plateau = rate.filter(rate > IDLE_SHARE * rate.max()).median() if frame.height else None
    if not plateau:
        return None, "tail-burst: no traffic from the source in the window"
    bursts = spans(
        frame.with_columns(pl.col("sent_bytes_s").fill_null(0)), pl.col("sent_bytes_s") >= IDLE_SHARE * plateau,
        bytes=amount("sent_bytes_s").sum(), samples=pl.len(), begin=pl.col("prev").first(),
    )
    if bursts.height < 2:
        return None, "tail-burst: the final pass is not set apart from the earlier passes at this sampling interval"
    last = bursts.row(-1, named=True)
    if not _only_final(passes, last["begin"]):
        return None, (
            "tail-burst: the last burst cannot be shown to hold the final pass alone (the pass before it was "
            "not seen ending before the burst), so its bytes do not bound the blackout"
        )
    fastest, how = _fastest(capture, window, None)
    if fastest is None:
        return None, f"tail-burst: {how}"
    lower = last["bytes"] / fastest
    basis = (
        f"the last burst ({last['samples']} sample(s), {last['bytes'] / 1e6:.1f} MB after an idle sample, all of it "
        f"the final pass) took at least its bytes at {how}: at least {lower:.3f} s"
    )
    return _row("tail-burst", lower, None, basis), None


def _only_final(passes: pl.DataFrame, begin: datetime) -> bool:
    """Whether every byte after ``begin`` belongs to the proven final pass: the pass before it was
    seen, and seen for the last time at or before ``begin``."""
    final = final_pass(passes)
    if final is None or final["number"] < 2:
        return False
    before = passes.filter(pl.col("number") == final["number"] - 1).row(0, named=True)
    return before["seen"] and before["last_seen"] <= begin


def _from_vnic(capture: Capture, window: Window, clock: ClockOffset | None) -> Found:
    source, destination, vm = window.source, window.destination, window.vm
    if not (source and destination and vm):
        return None, "vnic-gap: the migration's VM, source and destination are not all known"
    cols = {host: _vnic_columns(capture, host, vm) for host in (source, destination)}
    if not all(cols.values()):
        hosts = " and ".join(h for h, c in cols.items() if not c)
        return None, f"vnic-gap: no 'Hyper-V Virtual Network Adapter' counters of {vm} on {hosts}"
    if clock is None:
        clock = clock_offset(capture, source, destination, window=window.span)
    if clock.offset_s is None:
        return None, f"vnic-gap: the two hosts' clock offset is unknown ({clock.reason})"
    offset, spread = clock.offset_s, clock.uncertainty_s or 0.0
    src = _vnic_traffic(capture, cols[source], shift_s=0.0)
    dst = _vnic_traffic(capture, cols[destination], shift_s=offset)
    interval = capture.timebase.log(cols[source]).interval_s or 0.0
    start, end = window.span
    moving = src.filter((pl.col("time") >= start) & (pl.col("time") <= end + _seconds(interval)) & (pl.col("rate") > 0))
    if moving.is_empty():
        return None, f"vnic-gap: {vm} shows no traffic on {source} during the migration"
    last = moving.row(-1, named=True)
    later = dst.filter((pl.col("time") > last["prev"]) & (pl.col("time") <= end + _seconds(3 * interval)))
    resumed = later.filter(pl.col("rate") > 0)
    if resumed.is_empty():
        return None, f"vnic-gap: {vm} shows no traffic on {destination} after the migration"
    first = resumed.row(0, named=True)
    upper = (first["time"] - last["prev"]).total_seconds() + spread
    quiet = dst.filter(pl.col("time") == first["prev"])["rate"]
    lower = (first["prev"] - last["time"]).total_seconds() - spread if quiet.len() and quiet[0] == 0 else 0.0
    basis = (
        f"{vm}'s vNIC last carried traffic on {source} in the interval ending {hms(last['time'])} and first on "
        f"{destination} in the one ending {hms(first['time'])} (source clock, offset {offset:+.3f} ± {spread:.3f} s): "
        f"the blackout lasted less than {upper:.2f} s"
        + (f" and at least {max(lower, 0):.2f} s, if the VM's traffic never pauses" if lower > 0 else "")
    )
    return _row("vnic-gap", lower, upper, basis), None


def _from_pings(pings: Pings | None, window: Window, relearn_s: float, slack_s: float) -> Found:
    if pings is None:
        return None, "ping-gap: no ping log given"
    table = pings.table.filter(pl.col("time").is_not_null())
    if table.is_empty():
        return None, "ping-gap: the ping log has no times to place it against the migration"
    resolution = 1.0 if (table["time"].dt.microsecond() == 0).all() else 0.001
    runs = spans(
        table.with_columns(before=pl.col("time").shift(1), rtt=pl.col("rtt_ms").shift(1), after=pl.col("time").shift(-1)),
        ~pl.col("ok"),
        lost=pl.len(), first=pl.col("time").first(), last=pl.col("time").last(),
        before=pl.col("before").first(), rtt_ms=pl.col("rtt").first(), after=pl.col("after").last(),
    ).filter(
        pl.col("before").is_not_null() & pl.col("after").is_not_null()
        & (pl.col("last") >= window.start - _seconds(slack_s)) & (pl.col("first") <= window.end + _seconds(slack_s))
    )
    if runs.is_empty():
        return None, f"ping-gap: no lost probe within {slack_s:.0f} s of the migration"
    run = runs.sort("lost", descending=True).row(0, named=True)
    outage_upper = (run["after"] - run["before"]).total_seconds() + resolution + (run["rtt_ms"] or 0) / 1000
    outage_lower = (run["lost"] - 1) * pings.interval_s
    basis = (
        f"{run['lost']} probe(s) lost between the replies at {hms(run['before'])} and {hms(run['after'])} "
        f"(every {pings.interval_s:g} s): the VM was unreachable for less than {outage_upper:.2f} s"
        + (f" and at least {outage_lower:.2f} s, of which up to {relearn_s:g} s network re-learn" if outage_lower else "")
    )
    return _row("ping-gap", outage_lower - relearn_s, outage_upper, basis), None


# ---------------------------------------------------------------------------------------------
# Combination


def _combine(methods: tuple[BlackoutMethod, ...], lacking: tuple[str, ...]) -> Blackout:
    out = Blackout(methods=methods, lacking=lacking)
    if not methods:
        return replace(out, basis="no method had the inputs it needs")
    others = [m for m in methods if m.method != "event-20415"]
    lower = max((m.lower_s for m in others), default=None)
    upper = min((m.upper_s for m in others if m.upper_s is not None), default=None)
    event = next((m for m in methods if m.method == "event-20415"), None)
    if event is not None:
        apart = [m for m in others if event.upper_s < m.lower_s or (m.upper_s is not None and event.lower_s > m.upper_s)]
        note = None
        if apart:
            note = (
                f"the event's {event.estimate_s:g} s lies outside "
                + ", ".join(f"{m.method}'s {_span(m.lower_s, m.upper_s)}" for m in apart)
                + ": check that the event belongs to this migration and the hosts' clocks"
            )
        return _taken(out, event, note)
    if upper is None or lower <= upper:
        binding = dict.fromkeys(m.method for m in others if m.lower_s == lower or (upper is not None and m.upper_s == upper))
        estimate = lower if upper is None else (lower + upper) / 2
        basis = f"within {_span(lower, upper)}: " + "; ".join(m.basis for m in others)
        return replace(out, estimate_s=estimate, lower_s=lower, upper_s=upper, method="+".join(binding), basis=basis)
    high = next(m for m in others if m.lower_s == lower)
    low = next(m for m in others if m.upper_s == upper)
    tightest = min((m for m in others if m.upper_s is not None), key=lambda m: m.upper_s - m.lower_s)
    note = (
        f"the methods disagree: {high.method} allows {_span(high.lower_s, high.upper_s)} but {low.method} "
        f"{_span(low.lower_s, low.upper_s)}, which do not overlap (one of them rests on a wrong premise, e.g. a "
        f"pass or event that is not this migration's); the tightest, {tightest.method}, is used"
    )
    return _taken(out, tightest, note)


def _taken(out: Blackout, method: BlackoutMethod, note: str | None) -> Blackout:
    """The combination that takes one method's figures."""
    return replace(out, estimate_s=method.estimate_s, lower_s=method.lower_s, upper_s=method.upper_s,
                   method=method.method, basis=method.basis, note=note)


def _span(lower: float, upper: float | None) -> str:
    """An interval in words, always ordered. [s]"""
    if upper is None:
        return f"at least {lower:.2f} s"
    if upper < lower:
        raise ValueError(f"an interval must be ordered: {lower} > {upper}")
    return f"{lower:.2f}–{upper:.2f} s"


# ---------------------------------------------------------------------------------------------
# Helpers


def _moved(columns: list[str]) -> pl.Expr:
    """Bytes of a sample: Σ of the rate columns × its interval. [bytes]"""
    if not columns:
        return pl.lit(None, pl.Float64)
    return amount(pl.sum_horizontal(pl.col(columns).fill_null(0)))


def _fastest(capture: Capture, window: Window, passes: pl.DataFrame | None) -> tuple[float | None, str]:
    """The fastest the source can move memory: Σ Current Bandwidth / 8 of its counted NICs ×
    the compression ratio (memory ÷ transport bytes, where the counters show one). [bytes/s]"""
    nics = nic_table(capture).filter((pl.col("host") == window.source) & pl.col("counted"))
    columns = [c for c in nics["bandwidth"].to_list() if c]
    if not columns:
        return None, "no 'Current Bandwidth' of the source's NICs to bound the rate"
    highest: dict[str, float | None] = {}
    for group in capture.timebase.by_source(columns).values():
        frame = capture.timebase.frame(group, where=overlaps(*window.span))
        highest.update({c: frame[c].max() for c in group})
    link = sum((highest.get(c) or 0.0) for c in columns) / 8
    if not link:
        return None, "the source's NICs report no 'Current Bandwidth'"
    ratio = 1.0
    if passes is not None and passes.height:
        memory, wire = passes["memory_bytes"].sum(), passes["bytes"].sum()
        ratio = max(1.0, memory / wire) if memory and wire else 1.0
    how = f"the source's line rate ({8 * link / 1e9:g} Gbit/s" + (f" × compression {ratio:.2f})" if ratio > 1 else ")")
    return link * ratio, how


def _vnic_columns(capture: Capture, host: str, vm: str) -> list[str]:
    """The VM's vNIC ``Bytes/sec`` columns on one host (instances ``<VM>_…``)."""
    cat = capture.lookup(host=host, object=VIRTUAL_NETWORK_ADAPTER, counter=VNIC_BYTES)
    return cat.filter(pl.col("instance").str.to_lowercase().str.starts_with(vm.lower() + "_"))["column"].to_list()


def _vnic_traffic(capture: Capture, columns: list[str], *, shift_s: float) -> pl.DataFrame:
    """``time``, ``prev`` (moved ``shift_s`` earlier), ``dt_s`` and ``rate`` (Σ of the columns,
    null where all are blank) of one host's vNIC columns. [bytes/s]"""
    frame = capture.timebase.frame(columns)
    rate = pl.when(pl.any_horizontal(pl.col(columns).is_not_null())).then(pl.sum_horizontal(columns))
    return frame.select(
        time=pl.col("time") - _seconds(shift_s), prev=pl.col("prev") - _seconds(shift_s), dt_s="dt_s", rate=rate
    )


def _seconds(value: float) -> timedelta:
    return timedelta(microseconds=round(value * 1e6))

