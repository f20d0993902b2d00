"""Physical limits of Ethernet links (domain.md §6): what a NIC can carry at a given MTU.

Per frame on the wire: preamble 7 + SFD 1 + MAC header 14 + payload (MTU) + FCS 4 + gap 12 bytes.
The Network Interface byte counters include the MAC header ("framing characters"), so the most a
``Bytes …/sec`` counter can show is the L2 ceiling (frames without FCS); the TCP payload inside is
``MTU - 40`` per frame (IPv4, no TCP options).
"""

from __future__ import annotations

ETHERNET_HEADER_BYTES = 14
"""MAC header, counted by the Network Interface byte counters as framing. [bytes]"""
WIRE_OVERHEAD_BYTES = 38
"""Preamble + SFD + MAC header + FCS + inter-packet gap per frame. [bytes]"""
IP_TCP_HEADER_BYTES = 40
"""IPv4 + TCP headers without options. [bytes]"""
FRAME_SIZES = {1500: (1400.0, 1600.0), 9000: (8500.0, 9100.0)}
"""MTU → range of counted bytes per packet that identifies it (MTU + 14 ± segment mix). [bytes]"""


def payload_ceiling_bytes_s(link_bits_s: float, mtu: int) -> float:
    """Highest IPv4/TCP payload rate of a link at this MTU (no VLAN, no timestamps). [bytes/s]"""
    return link_bits_s / 8 * (mtu - IP_TCP_HEADER_BYTES) / (mtu + WIRE_OVERHEAD_BYTES)


def l2_ceiling_bytes_s(link_bits_s: float, mtu: int) -> float:
    """Highest rate of L2 frames without FCS: the most a Bytes …/sec counter can show. [bytes/s]"""
    return link_bits_s / 8 * (mtu + ETHERNET_HEADER_BYTES) / (mtu + WIRE_OVERHEAD_BYTES)


def payload_share(mtu: int) -> float:
    """TCP payload per counted byte of full-size frames, (MTU - 40) / (MTU + 14). [1]"""
    return (mtu - IP_TCP_HEADER_BYTES) / (mtu + ETHERNET_HEADER_BYTES)


def mtu_from_frame_bytes(bytes_per_packet: float | None) -> int | None:
    """The MTU whose full frames match this counted size per packet, or None if none does.

    LSO (send) and RSC (receive) make the packet counters count large segments as one, so a size
    outside every known range means "unknown", not a bigger MTU.
    """
    if bytes_per_packet is None:
        return None
    for mtu, (low, high) in FRAME_SIZES.items():
        if low <= bytes_per_packet <= high:
            return mtu
    return None
