"""What the side inputs gave an analysis: how much each reader read, whether any of it could be
used, why not, and what the readers warned of (:class:`~kit.analysis.results.SideInput`).

A flag given is not an input used: an event folder with no export reads no event, and a ping log
whose local times were taken as UTC lies hours away from the capture. These records say so, so
the report states what the figures rest on.
"""

from __future__ import annotations

from kit.analysis.results import SideInput, utc_text
from kit.inputs.capture import Capture
from kit.inputs.events import Events
from kit.inputs.pings import Pings
from kit.inputs.topology import Topology


def side_inputs(
    capture: Capture, *, events: Events | None, topology: Topology | None, pings: Pings | None
) -> tuple[SideInput, SideInput, SideInput]:
    """The events, topology and pings records of an analysis of ``capture``."""
    return _events(events), _topology(topology), _pings(pings, capture)


def _events(events: Events | None) -> SideInput:
    if events is None:
        return SideInput("events", given=False)
    read = events.table.height
    files = len(events.sources)
    note = None if read else f"no event read from {_files(files)}" if files else "no event export found"
    return SideInput("events", given=True, read=read, used=read > 0, note=note, warnings=events.warnings)


def _topology(topology: Topology | None) -> SideInput:
    if topology is None:
        return SideInput("topology", given=False)
    read = len({s.path for s in topology.sources})
    note = None if read else "no topology export read"
    return SideInput("topology", given=True, read=read, used=read > 0, note=note, warnings=topology.warnings)


def _pings(pings: Pings | None, capture: Capture) -> SideInput:
    """Used when some probe is timed within the capture; ``read`` counts the probes (lost ones too)."""
    if pings is None:
        return SideInput("pings", given=False)
    timed = pings.table["time"].drop_nulls()
    note = None
    if not timed.len():
        note = "the log has no timestamps and no start time was given: its probes cannot be placed"
    elif capture.start is not None and not timed.is_between(capture.start, capture.end).any():
        note = (
            f"its probes ({utc_text(timed.min())} → {utc_text(timed.max())}) lie outside the capture "
            f"({utc_text(capture.start)} → {utc_text(capture.end)})"
        )
        if any(w.code == "timezone-unknown" for w in pings.warnings):
            note += "; its local times were taken as UTC: give the UTC offset of the machine that wrote it"
    return SideInput(
        "pings", given=True, read=pings.table.height, used=note is None, note=note, warnings=pings.warnings
    )


def _files(count: int) -> str:
    return "1 file" if count == 1 else f"{count} files"
