"""The domain's vocabulary: every perfmon object and counter the analyses read, in the English
spelling Windows writes, and the one catalogue lookup.

Captures from other languages or from ``Export-Counter`` (lower-cased paths) reach the analyses
with ``object_en`` / ``counter_en`` columns in their catalogue (``kit.io.perfmon.names``); every
lookup here is case-insensitive and matches the English name or the name as written, so one
spelling below serves them all. Meanings: ``../shared/docs/domain.md`` §2; a meaning read from a
name alone is marked UNCONFIRMED.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

# --- network adapters (domain §2.1, §2.4) ---------------------------------------------------------
NETWORK_INTERFACE = "Network Interface"
NETWORK_ADAPTER = "Network Adapter"
NIC_OBJECTS = (NETWORK_INTERFACE, NETWORK_ADAPTER)
"""Objects with the NIC byte counters, preferred first (both expose the same counters)."""
BYTES_SENT = "Bytes Sent/sec"
BYTES_RECEIVED = "Bytes Received/sec"
BYTES_TOTAL = "Bytes Total/sec"
PACKETS_SENT = "Packets Sent/sec"
PACKETS_RECEIVED = "Packets Received/sec"
CURRENT_BANDWIDTH = "Current Bandwidth"
"""The link speed [bit/s] (the mean of the send and receive speeds, equal on Ethernet)."""
RDMA_ACTIVITY = "RDMA Activity"
"""SMB Direct bytes, which the Network Interface counters never see; instances keep the
adapter's own description (``… Adapter #2``, ``Intel(R) …``)."""
RDMA_OUTBOUND = "RDMA Outbound Bytes/sec"
RDMA_INBOUND = "RDMA Inbound Bytes/sec"
SMB_DIRECT_CONNECTION = "SMB Direct Connection"
"""One instance per SMB Direct connection, named after its endpoints' IP addresses."""
PER_PROCESSOR_NIC = "Per Processor Network Interface Card Activity"
"""Instances ``<cpu>, <adapter description>``: which cores did each NIC's receive work."""
RECEIVED_PACKETS = "Received Packets/sec"
DPCS_QUEUED = "DPCs Queued/sec"

# --- processors (domain §2.2, §5) -----------------------------------------------------------------
PROCESSOR_INFORMATION = "Processor Information"
PROCESSOR = "Processor"
CPU_OBJECTS = (PROCESSOR_INFORMATION, PROCESSOR)
"""Per-core objects, preferred first (on a Hyper-V host they measure the root's virtual processors)."""
DPC_TIME = "% DPC Time"
INTERRUPT_TIME = "% Interrupt Time"
PROCESSOR_TIME = "% Processor Time"
ROOT_VIRTUAL_PROCESSOR = "Hyper-V Hypervisor Root Virtual Processor"
LOGICAL_PROCESSOR = "Hyper-V Hypervisor Logical Processor"
TOTAL_RUN_TIME = "% Total Run Time"

# --- the VM's own network adapter (domain §3.3) --------------------------------------------------
VIRTUAL_NETWORK_ADAPTER = "Hyper-V Virtual Network Adapter"
"""Instances ``<VM name>_<adapter>…``: the VM's traffic, on whichever host runs it."""
VNIC_BYTES = "Bytes/sec"

# --- Hyper-V VM Live Migration (domain §2.3) -----------------------------------------------------
# Windows Server 2012 R2 and later write these 33 counters, instance "<VM>:VM Live Migration",
# spelled exactly so (note "Transfer Pass:" and "Transfer pass:"); source: Microsoft's published WMI
# class Win32_PerfRawData_LmPerfProvider_HyperVVMLiveMigration (identical for Server 2019 and 23H2).
LIVE_MIGRATION = "Hyper-V VM Live Migration"
LM_INSTANCE_SUFFIX = ":VM Live Migration"
LM_PASS_NUMBER = "Transfer Pass: Number"
"""The current pass (gauge; 0 while setting up)."""
LM_IS_BLACKOUT = "Transfer Pass: Is blackout"
"""1 while the VM is paused for the final pass (gauge)."""
LM_DIRTY_PAGES = "Transfer pass: Dirty Page Count"
"""4 KiB pages the current pass copies (gauge)."""
LM_CPU_CAP = "Transfer pass: CPU Cap"
"""Shown as recorded; its unit and meaning are UNCONFIRMED."""
LM_MEMORY_READ = "Memory Walker: Bytes Read/sec"
LM_UNCOMPRESSED_SENT = "Memory Walker: Uncompressed Bytes Sent"
LM_UNCOMPRESSED_SENT_RATE = "Memory Walker: Uncompressed Bytes Sent/sec"
LM_SENT_FOR_COMPRESSION = "Memory Walker: Bytes Sent for Compression"
LM_SENT_FOR_COMPRESSION_RATE = "Memory Walker: Bytes Sent for Compression/sec"
LM_WALKER_MAX_THREADS = "Memory Walker: Maximum Threads"
LM_TO_BE_COMPRESSED = "Compressor: Bytes to be Compressed"
LM_COMPRESSED_SENT = "Compressor: Compressed Bytes Sent"
LM_COMPRESSED_SENT_RATE = "Compressor: Compressed Bytes Sent/sec"
LM_COMPRESSOR_ENABLED_THREADS = "Compressor: Enabled Threads"
LM_COMPRESSOR_MAX_THREADS = "Compressor: Maximum Threads"
LM_TCP_SENT_RATE = "TCP Transport: Bytes Sent/sec"
LM_TCP_RECEIVED_RATE = "TCP Transport: Bytes Received/sec"
LM_TCP_PENDING_SEND = "TCP Transport: Bytes Pending Send"
LM_TCP_PENDING_PROCESSING = "TCP Transport: Bytes Pending Processing"
LM_TCP_PENDING_SEND_COUNT = "TCP Transport: Pending Send Count"
LM_TCP_POSTED_RECEIVE_BUFFERS = "TCP Transport: Posted Receive Buffer Count"
LM_TCP_TOTAL_BUFFERS = "TCP Transport: Total buffer count"
LM_SMB_SENT = "SMB Transport: Bytes Sent"
LM_SMB_SENT_RATE = "SMB Transport: Bytes Sent/sec"
LM_SMB_PENDING_SEND = "SMB Transport: Pending Send Bytes"
LM_SMB_PENDING_SEND_COUNT = "SMB Transport: Pending Send Count"
LM_RECEIVER_PENDING_DECOMPRESSION = "Receiver: Bytes Pending Decompression"
LM_RECEIVER_PENDING_WRITE = "Receiver: Bytes Pending Write"
LM_RECEIVER_WRITTEN_RATE = "Receiver: Bytes Written/sec"
LM_RECEIVER_COMPRESSED_RATE = "Receiver: Compressed Bytes Received/sec"
LM_RECEIVER_DECOMPRESSED_RATE = "Receiver: Decompressed Bytes/sec"
LM_RECEIVER_MAX_THREADS = "Receiver: Maximum Threadpool Thread Count"
LM_RECEIVER_UNCOMPRESSED_RATE = "Receiver: Uncompressed Bytes Received/sec"

LIVE_MIGRATION_COUNTERS = (
    LM_PASS_NUMBER, LM_IS_BLACKOUT, LM_DIRTY_PAGES, LM_CPU_CAP,
    LM_MEMORY_READ, LM_UNCOMPRESSED_SENT, LM_UNCOMPRESSED_SENT_RATE, LM_SENT_FOR_COMPRESSION,
    LM_SENT_FOR_COMPRESSION_RATE, LM_WALKER_MAX_THREADS,
    LM_TO_BE_COMPRESSED, LM_COMPRESSED_SENT, LM_COMPRESSED_SENT_RATE, LM_COMPRESSOR_ENABLED_THREADS,
    LM_COMPRESSOR_MAX_THREADS,
    LM_TCP_SENT_RATE, LM_TCP_RECEIVED_RATE, LM_TCP_PENDING_SEND, LM_TCP_PENDING_PROCESSING,
    LM_TCP_PENDING_SEND_COUNT, LM_TCP_POSTED_RECEIVE_BUFFERS, LM_TCP_TOTAL_BUFFERS,
    LM_SMB_SENT, LM_SMB_SENT_RATE, LM_SMB_PENDING_SEND, LM_SMB_PENDING_SEND_COUNT,
    LM_RECEIVER_PENDING_DECOMPRESSION, LM_RECEIVER_PENDING_WRITE, LM_RECEIVER_WRITTEN_RATE,
    LM_RECEIVER_COMPRESSED_RATE, LM_RECEIVER_DECOMPRESSED_RATE, LM_RECEIVER_MAX_THREADS,
    LM_RECEIVER_UNCOMPRESSED_RATE,
)
"""Every counter of ``Hyper-V VM Live Migration``, in the order of Microsoft's WMI class."""
LM_SOURCE_RATES = (
    LM_MEMORY_READ, LM_UNCOMPRESSED_SENT_RATE, LM_SENT_FOR_COMPRESSION_RATE, LM_SMB_SENT_RATE,
    LM_TCP_SENT_RATE, LM_COMPRESSED_SENT_RATE,
)
"""Rates that only the source of a migration shows. [bytes/s]"""
LM_DESTINATION_RATES = (
    LM_RECEIVER_WRITTEN_RATE, LM_RECEIVER_UNCOMPRESSED_RATE, LM_RECEIVER_COMPRESSED_RATE,
    LM_RECEIVER_DECOMPRESSED_RATE, LM_TCP_RECEIVED_RATE,
)
"""Rates that only the destination of a migration shows. [bytes/s]"""
LM_TRANSPORT_RATES = {"smb": LM_SMB_SENT_RATE, "tcp": LM_TCP_SENT_RATE, "compression": LM_COMPRESSED_SENT_RATE}
"""Transport → the source's rate of the bytes that transport put on the wire. [bytes/s]"""


def vm_of_instance(instance: str) -> str:
    """The VM of a live-migration instance: ``SQL-VM01:VM Live Migration`` → ``SQL-VM01``.

    >>> vm_of_instance("SQL-VM01:VM Live Migration")
    'SQL-VM01'
    """
    return instance.rsplit(":", 1)[0] if ":" in instance else instance


def lm_instance(vm: str) -> str:
    """The live-migration instance of a VM: ``SQL-VM01`` → ``SQL-VM01:VM Live Migration``."""
    return vm + LM_INSTANCE_SUFFIX


def matches(
    *,
    object: str | Iterable[str] | None = None,
    counter: str | Iterable[str] | None = None,
    instance: str | Iterable[str] | None = None,
    host: str | Iterable[str] | None = None,
) -> pl.Expr:
    """Catalogue rows matching every given field, case-insensitively (the one catalogue lookup).

    Each field is one name or several (any of them matches); ``object`` and ``counter`` match the
    English name (``object_en``, ``counter_en``) or the name as written. Use it through
    :meth:`kit.Capture.lookup` / :meth:`kit.Capture.columns`.
    """
    tests = []
    for value, columns in (
        (object, ("object_en", "object")),
        (counter, ("counter_en", "counter")),
        (instance, ("instance",)),
        (host, ("host",)),
    ):
        if value is None:
            continue
        wanted = [value.lower()] if isinstance(value, str) else [v.lower() for v in value]
        tests.append(pl.any_horizontal(pl.col(c).str.to_lowercase().is_in(wanted) for c in columns).fill_null(False))
    return pl.all_horizontal(tests) if tests else pl.lit(True)
