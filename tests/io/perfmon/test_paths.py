import pytest

from kit.identity import escape_instance
from kit.io.perfmon.paths import CounterPath, parse_counter_path


@pytest.mark.parametrize(
    "path, expected",
    [
        (r"\\HV01\Network Interface(Intel[R] Ethernet 10G _2#1)\Bytes Sent/sec",
         CounterPath("HV01", "Network Interface", None, "Intel[R] Ethernet 10G _2", 1, "Bytes Sent/sec")),
        (r"\\HV01\Memory\Available MBytes", CounterPath("HV01", "Memory", None, None, None, "Available MBytes")),
        (r"\\H\Processor Information(0,17)\% DPC Time",
         CounterPath("H", "Processor Information", None, "0,17", None, "% DPC Time")),
        (r"\\H\Thread(svchost/12#3)\Context Switches/sec",
         CounterPath("H", "Thread", "svchost", "12", 3, "Context Switches/sec")),
        # a number too long for an instance index is part of the name (fuzz finding: it overflowed Int64)
        (r"\\H\Hyper-V Virtual Network Adapter(@#77777777777777777777)\Bytes/sec",
         CounterPath("H", "Hyper-V Virtual Network Adapter", None, "@#77777777777777777777", None, "Bytes/sec")),
        # nested parentheses, literal "#2" after a space, "/" in an unescaped adapter name
        (r"\\H\Physical Network Interface Card Activity(Intel(R) Ethernet Connection (2) I219-V)\Bytes/sec",
         CounterPath("H", "Physical Network Interface Card Activity", None, "Intel(R) Ethernet Connection (2) I219-V", None, "Bytes/sec")),
        (r"\\H\Per Processor Network Interface Card Activity(3, Intel(R) PRO/1000 MT #2)\DPCs Queued/sec",
         CounterPath("H", "Per Processor Network Interface Card Activity", None, "3, Intel(R) PRO/1000 MT #2", None, "DPCs Queued/sec")),
        (r"\\H\Network Adapter(Broadcom NetXtreme #2)\Bytes Total/sec",
         CounterPath("H", "Network Adapter", None, "Broadcom NetXtreme #2", None, "Bytes Total/sec")),
        # an object name holding a parenthesised word, with and without an instance
        (r"\\H\TCPIP Performance Diagnostics (Per-CPU)(7)\TCP Current Connections",
         CounterPath("H", "TCPIP Performance Diagnostics (Per-CPU)", None, "7", None, "TCP Current Connections")),
        (r"\\H\TCPIP Performance Diagnostics\TCP timeouts",
         CounterPath("H", "TCPIP Performance Diagnostics", None, None, None, "TCP timeouts")),
        # backslashes inside the instance (SMB share), counter with parentheses
        (r"\\H\SMB Client Shares(\fs01\vmstore)\Data Bytes/sec",
         CounterPath("H", "SMB Client Shares", None, r"\fs01\vmstore", None, "Data Bytes/sec")),
        (r"\\E5270\Memory\Long-Term Average Standby Cache Lifetime (s)",
         CounterPath("E5270", "Memory", None, None, None, "Long-Term Average Standby Cache Lifetime (s)")),
        (r"\\H\Prozessor(0)\Prozessorzeit (%)", CounterPath("H", "Prozessor", None, "0", None, "Prozessorzeit (%)")),
        # GUIDs, commas, _2, unbalanced parentheses, lower case
        (r"\\charlieparker\network interface(isatap.{ea2a01ef-c879-4737-9677-c2fbbc1b5af4})\bytes total/sec",
         CounterPath("charlieparker", "network interface", None, "isatap.{ea2a01ef-c879-4737-9677-c2fbbc1b5af4}", None, "bytes total/sec")),
        (r"\\H\Hyper-V Virtual Network Adapter(SQL-VM01_Network Adapter_1B2C--9F0A)\Bytes/sec",
         CounterPath("H", "Hyper-V Virtual Network Adapter", None, "SQL-VM01_Network Adapter_1B2C--9F0A", None, "Bytes/sec")),
        (r"\\H\X(smile :))\c", CounterPath("H", "X", None, "smile :)", None, "c")),
        (r"\\H\X(a(b)\c", CounterPath("H", "X", None, "a(b", None, "c")),
        (r"\Processor(_Total)\% Processor Time", CounterPath(None, "Processor", None, "_Total", None, "% Processor Time")),
    ],
)
def test_parse_counter_path(path, expected):
    assert parse_counter_path(path) == expected


@pytest.mark.parametrize("text", ["(PDH-CSV 4.0) (", "Description of my collector set", "", r"\\HOST", r"\\H\Object"])
def test_not_a_counter_path(text):
    assert parse_counter_path(text) is None


def test_escape_instance_follows_the_provider_rule():
    assert escape_instance("Intel(R) PRO/1000 MT Network Connection #2") == "Intel[R] PRO_1000 MT Network Connection _2"
