"""What the analyses read: the capture (counter data, catalogue, sources, time base) and the side
inputs (events, topology, pings). Readers in :mod:`kit.io` make them; analyses import only these."""

from kit.inputs.capture import CATALOG_SCHEMA, Capture, SourceInfo, per_capture
from kit.inputs.events import Events, EventSource
from kit.inputs.pings import Pings
from kit.inputs.timebase import TimeBase
from kit.inputs.topology import Topology, TopologySource

__all__ = [
    "CATALOG_SCHEMA", "Capture", "EventSource", "Events", "Pings", "SourceInfo", "TimeBase", "Topology",
    "TopologySource", "per_capture",
]
