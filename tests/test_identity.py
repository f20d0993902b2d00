"""One NIC identity (kit/identity.py): every spelling of an adapter is one key, so one adapter is
one row of every NIC table, and a host is one host whatever its case or domain."""

from __future__ import annotations

import polars as pl
import pytest

from kit.analysis.nics import nic_table
from kit.identity import escape_instance, host_key, host_key_of, nic_key, nic_key_of
from kit.io.side.topology import read_topology
from tests.handmade import load_log


@pytest.mark.parametrize(
    "spellings",
    [
        # RDMA Activity keeps the description; Network Interface escapes it
        ["Mellanox ConnectX-3 Pro Ethernet Adapter #2", "Mellanox ConnectX-3 Pro Ethernet Adapter _2"],
        ["Intel(R) Ethernet 10G 2P X520 Adapter", "Intel[R] Ethernet 10G 2P X520 Adapter", "intel[r] ethernet 10g 2p x520 adapter"],
        ["Broadcom NetXtreme E-Series Dual-port 25Gb SFP28 Ethernet OCP 3.0 Adapter #4", "Broadcom NetXtreme E-Series Dual-port 25Gb SFP28 Ethernet OCP 3.0 Adapter _4"],
        ["Intel(R) PRO/1000 MT Network Connection", "Intel[R] PRO_1000 MT Network Connection"],
        ["HPE Ethernet 10Gb 2-port 562SFP+ Adapter", " HPE Ethernet 10Gb 2-port 562SFP+ Adapter "],
    ],
)
def test_every_spelling_is_one_key(spellings):
    assert len({nic_key(s) for s in spellings}) == 1


def test_different_adapters_stay_apart():
    keys = {nic_key("Mellanox ConnectX-3 Pro Ethernet Adapter"), nic_key("Mellanox ConnectX-3 Pro Ethernet Adapter #2"),
            nic_key("Intel[R] Ethernet _2", index=1), nic_key("Intel[R] Ethernet _2")}
    assert len(keys) == 4


def test_the_expression_and_the_function_agree():
    names = ["Intel(R) X710 #3", "vEthernet (LM)", "Chelsio T62100-LP-CR"]
    frame = pl.DataFrame({"name": names, "index": [None, 2, None]}, schema={"name": pl.String, "index": pl.Int64})
    assert frame.select(nic_key_of("name", "index")).to_series().to_list() == [
        nic_key("Intel(R) X710 #3"), nic_key("vEthernet (LM)", index=2), nic_key("Chelsio T62100-LP-CR"),
    ]
    assert escape_instance("vEthernet (LM) #2") == "vEthernet [LM] _2"


def test_hosts():
    assert host_key("hv01.lab.local") == host_key("HV01") == host_key("hv01") == "HV01"
    frame = pl.DataFrame({"host": ["hv-a01.contoso.com", "HV-A01"]})
    assert frame.select(host_key_of("host")).to_series().to_list() == ["HV-A01", "HV-A01"]


def test_rdma_and_network_interface_of_one_adapter_are_one_nic(tmp_path):
    """The defect of issue 13 §1: RDMA Activity names the adapter '… #2', Network Interface '… _2'."""
    nic = "Mellanox ConnectX-3 Pro Ethernet Adapter"
    capture = load_log(tmp_path, {
        rf"\\HVN-11\Network Interface({nic} _2)\Bytes Sent/sec": [0.0, 1e6, 1e6],
        rf"\\HVN-11\Network Interface({nic} _2)\Current Bandwidth": [1e10, 1e10, 1e10],
        rf"\\HVN-11\RDMA Activity({nic} #2)\RDMA Outbound Bytes/sec": [0.0, 5e8, 5e8],
        rf"\\HVN-11\Network Interface({nic})\Bytes Sent/sec": [0.0, 2e6, 2e6],
        rf"\\HVN-11\RDMA Activity({nic})\RDMA Outbound Bytes/sec": [0.0, 4e8, 4e8],
    })
    table = nic_table(capture)
    assert table.height == 2
    second = table.filter(pl.col("nic") == nic_key(f"{nic} #2")).row(0, named=True)
    assert second["instance"] == f"{nic} _2" and second["object"] == "network interface"
    assert second["sent"].endswith(r"Bytes Sent/sec") and second["rdma_out"].endswith("RDMA Outbound Bytes/sec")
    assert second["bandwidth"] is not None


def test_topology_adapters_carry_the_same_key(tmp_path):
    (tmp_path / "adapters.json").write_text(
        '[{"Name": "RDMA 2", "InterfaceDescription": "Mellanox ConnectX-3 Pro Ethernet Adapter #2", "ifIndex": 7,'
        ' "LinkSpeed": "40 Gbps", "PSComputerName": "HVN-11"}]'
    )
    adapters = read_topology(tmp_path).adapters
    assert adapters["nic"].to_list() == [nic_key("Mellanox ConnectX-3 Pro Ethernet Adapter _2")]
    assert adapters["instance"].to_list() == ["Mellanox ConnectX-3 Pro Ethernet Adapter _2"]
