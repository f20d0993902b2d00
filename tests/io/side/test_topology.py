"""Host topology exports: Get-NetAdapter*, SMB Multichannel, LM settings (kit/io/topology.py)."""

import shutil
from pathlib import Path

import polars as pl
import pytest

from kit.errors import DataError, FileEncodingError, InputNotFoundError, UnsupportedFormatError
from kit.inputs.topology import KINDS, schema
from kit.io.side.text import decode_text, read_export_csv
from kit.io.side.topology import read_topology
from tests.conftest import TEST_DATA

DATA = TEST_DATA / "topology"
LAB = DATA / "lab"
M1, M2 = "Mellanox ConnectX-4 Lx Ethernet Adapter", "Mellanox ConnectX-4 Lx Ethernet Adapter #2"


@pytest.fixture(scope="module")
def lab():
    return read_topology(LAB)


def by(frame, **where):
    return frame.filter(*[pl.col(k) == v for k, v in where.items()])


def test_every_kind_is_recognised_whatever_the_file(lab):
    assert lab.missing() == ()
    kinds = {Path(s.path).relative_to(LAB).as_posix(): s.kind for s in lab.sources}
    assert kinds == {
        "HV01/adapters.json": "adapters", "HV01/rss.csv": "rss", "HV01/smb-multichannel.json": "smb_connections",
        "HV01/rdma.csv": "rdma", "HV01/vmhost.csv": "vmhost", "HV01/constraints.csv": "smb_constraints",
        "HV02/adapters.csv": "adapters", "HV02/rss.json": "rss", "HV02/migration-networks.csv": "migration_networks",
        "HV02/vmhost.json": "vmhost", "cluster-networks.csv": "cluster_networks",
        "vm-resource-type-parameters.json": "cluster_parameters",
    }
    for kind in KINDS:
        assert getattr(lab, kind).schema == pl.Schema(schema(kind))


def test_adapters_from_json_utf16_and_csv_utf8_bom(lab):
    """HV01: Windows PowerShell 5.1 ConvertTo-Json > file (UTF-16 LE); HV02: Export-Csv -Encoding UTF8."""
    encodings = {Path(s.path).parent.name + "/" + Path(s.path).name: s.encoding for s in lab.sources}
    assert encodings["HV01/adapters.json"] == "utf-16-le" and encodings["HV02/adapters.csv"] == "utf-8-sig"
    adapters = lab.adapters
    assert adapters.group_by("host").len().sort("host").rows() == [("HV01", 3), ("HV02", 4)]
    smb2 = by(adapters, host="HV02", name="SMB2").row(0, named=True)
    assert smb2["link_speed_bps"] == 10_000_000_000 and smb2["mtu_bytes"] == 9000 and smb2["if_index"] == 8
    assert smb2["instance"] == "Mellanox ConnectX-4 Lx Ethernet Adapter _2"
    assert by(adapters, host="HV01", name="Management")["instance"][0] == "Intel[R] I350 Gigabit Network Connection"
    vnic = by(adapters, name="vEthernet (Guests)").row(0, named=True)
    assert vnic["link_speed_bps"] == 20_000_000_000  # from the "20 Gbps" text: Speed is empty
    assert vnic["instance"] == "Hyper-V Virtual Ethernet Adapter _2"


def test_rss_profile_as_name_or_number_and_the_indirection_table(lab):
    rss = lab.rss
    assert rss["profile"].unique().to_list() == ["NUMAStatic"]
    hv02 = by(rss, host="HV02", name="SMB1").row(0, named=True)
    assert hv02["indirection_table"] == ["0:2", "0:4", "0:6", "0:8"] * 2
    assert (hv02["base_processor_number"], hv02["max_processor_number"], hv02["max_processors"]) == (2, 14, 4)
    assert by(rss, host="HV01")["indirection_table"].is_null().all()
    (warning,) = [w for w in lab.warnings if w.code == "bad-value"]
    assert warning.source.endswith("rss.csv") and warning.line == 3
    assert "'IndirectionTable' value(s) are a .NET type name" in warning.message and "lines 3, 4, 5" in warning.message


def test_smb_connections_with_not_selected_pairs_and_perfmon_instances(lab):
    smb = lab.smb_connections.sort("client_if_index")
    assert smb["selected"].to_list() == [False, True, True]
    assert smb["current_channels"].to_list() == [0, 4, 4]
    assert smb["client_link_speed_bps"].to_list() == [1_000_000_000, 10_000_000_000, 10_000_000_000]
    assert smb["client_instance"].to_list() == ["Intel[R] I350 Gigabit Network Connection", M1, M1 + " _2"]
    assert smb["server_instance"].to_list() == smb["client_instance"].to_list()
    assert smb["smb_instance"].unique().to_list() == ["0"]  # the SmbInstance enum numbers are not mapped


def test_migration_settings(lab):
    assert lab.vmhost.sort("host").rows() == [
        ("HV01", True, False, "SMB", "Kerberos", 2, 2, str(LAB / "HV01" / "vmhost.csv")),
        ("HV02", True, False, "SMB", "Kerberos", 2, 2, str(LAB / "HV02" / "vmhost.json")),
    ]
    assert lab.migration_networks.select("host", "subnet", "priority").rows() == [
        ("HV02", "10.10.1.0/24", 0), ("HV02", "10.10.2.0/24", 1)
    ]
    assert lab.smb_constraints["interface_index"].to_list() == [7, 9]
    assert lab.rdma["enabled"].to_list() == [False, False]


def test_cluster_networks_with_live_migration_order(lab):
    networks = lab.cluster_networks.sort("name").select("name", "role", "metric", "excluded_from_migration", "migration_order")
    assert networks.rows() == [
        ("LM1", "Cluster", 30384, False, 2),
        ("LM2", "Cluster", 30385, False, 1),
        ("Management", "ClusterAndClient", 70384, True, None),
    ]


def test_missing_kinds_and_unknown_hosts(tmp_path):
    shutil.copy(LAB / "HV02" / "adapters.csv", tmp_path / "nics.txt")  # any name
    topology = read_topology(tmp_path)
    assert topology.missing() == tuple(k for k in KINDS if k != "adapters")
    assert topology.rss.height == 0 and topology.rss.schema == pl.Schema(schema("rss"))
    (warning,) = topology.warnings
    assert warning.code == "host-unknown" and "4 adapters row(s) name no host" in warning.message


def test_cluster_parameters_without_networks_are_reported(tmp_path):
    shutil.copy(LAB / "vm-resource-type-parameters.json", tmp_path)
    topology = read_topology(tmp_path)
    assert [w.code for w in topology.warnings] == ["no-cluster-networks"]
    assert "cluster_networks" in topology.missing()


def test_a_json_that_is_no_known_object_is_refused():
    expected = r"services\.json: the JSON holds no known topology object \(first object's keys: \['DisplayName', 'Name', 'Status'\]\)"
    with pytest.raises(UnsupportedFormatError, match=expected):
        read_topology(DATA / "services.json")


def test_a_folder_reports_files_that_are_no_known_export(tmp_path):
    shutil.copy(DATA / "services.json", tmp_path)
    shutil.copy(LAB / "HV01" / "rdma.csv", tmp_path)
    topology = read_topology(tmp_path)
    assert topology.rdma.height == 2
    (skipped,) = [w for w in topology.warnings if w.code == "not-topology"]
    assert skipped.source.endswith("services.json") and skipped.message.endswith(": left out")


def test_truncated_json_is_an_error_with_its_line():
    with pytest.raises(DataError, match=r"adapters-truncated\.json, line \d+, column \d+: not valid JSON"):
        read_topology(DATA / "adapters-truncated.json")


def test_values_that_are_not_numbers_are_nulled_and_reported():
    topology = read_topology(DATA / "adapters-bad-values.csv")
    adapters = topology.adapters
    assert adapters["if_index"].to_list() == [None, 9]
    assert adapters["link_speed_bps"].to_list() == [10_000_000_000, None]
    messages = {w.line: w.message for w in topology.warnings if w.code == "bad-value"}
    assert messages == {
        2: "1 'ifIndex' value(s) are not readable, set to null: first 'seven' (line 2)",
        3: "1 'LinkSpeed' value(s) are not readable, set to null: first 'fast' (line 3)",
    }


def test_missing_path_is_reported():
    with pytest.raises(InputNotFoundError, match="no such file or folder"):
        read_topology(DATA / "no-such-folder")


def test_export_csv_lines_with_multi_line_cells_and_semicolons(tmp_path):
    text = '#TYPE X\n"Name";"Note"\n"a";"one\ntwo"\n"b";"three"\n'
    frame, warnings = read_export_csv(text, tmp_path / "x.csv")
    assert warnings == []
    assert frame["Note"].to_list() == ["one\ntwo", "three"]
    assert frame["__line"].to_list() == [3, 5]


def test_decode_text_encodings(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes("\ufeffa\r\nb".encode("utf-16-le"))
    assert decode_text(path)[:2] == ("a\nb", "utf-16-le")
    path.write_bytes("caf\xe9".encode("cp1252"))
    text, codec, warnings = decode_text(path)
    assert (text, codec, warnings[0].code) == ("café", "cp1252", "encoding-guess")
    path.write_bytes(b"\xff\xfe\x00\xd8a\x00")  # UTF-16 LE with a lone surrogate
    with pytest.raises(FileEncodingError, match="invalid utf-16-le bytes"):
        decode_text(path)
    path.write_bytes(b"  \r\n")
    with pytest.raises(UnsupportedFormatError, match="the file is empty"):
        decode_text(path)
