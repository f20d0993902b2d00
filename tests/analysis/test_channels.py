"""Channel attribution (kit/analysis/channels.py): NIC shares, TCP/RDMA split, configured LM
networks and the 'unexpected NIC' finding, checked against generated tests with topology exports."""

from dataclasses import replace

import polars as pl
import pytest

import kit
from kit.analysis.channels import attribute_channels
from kit.analysis.findings import channel_findings
from kit.io.side.topology import read_topology
from kit.sample import generator as synth

SECOND = synth.DEFAULT_NICS[1].instance


def run(scenario: synth.Scenario, folder):
    synth.write(scenario, folder)
    test = folder / scenario.name
    capture = kit.load([test / "HV01.csv", test / "HV02.csv"], cache_results=False, progress=False)
    migration = kit.analyze(capture).migrations[0]
    return capture, migration, read_topology(test / "topology"), synth.generate(scenario).truth


def attribute(capture, migration, topology, legs=None):
    return attribute_channels(legs or migration.legs, capture=capture, topology=topology, lm_bytes=migration.lm_bytes)


def said(channels, transport="smb") -> list[str]:
    """The channel findings of an attribution."""
    return [f.text for f in channel_findings(channels, transport)]


@pytest.fixture(scope="module")
def unexpected(tmp_path_factory):
    """SMB Multichannel over both 10 GbE NICs while only the first one's subnet is an LM network."""
    scenario = replace(
        synth.BUNDLED[0], name="unexpected", vm_memory_gib=4.0,
        side_inputs=synth.SideInputs(lm_networks=(synth.DEFAULT_NICS[0].description,)),
    )
    return run(scenario, tmp_path_factory.mktemp("channels"))


def test_shares_and_the_unexpected_nic_match_the_truth(unexpected):
    capture, migration, topology, truth = unexpected
    result = attribute(capture, migration, topology)
    nics = result.nics
    facts = truth["side_inputs"]["topology"]
    moved = truth["migrations"][0]
    sent = nics.filter(pl.col("host") == "HV01")
    for instance, wire in moved["bytes_per_nic"].items():
        row = sent.filter(pl.col("instance") == instance).row(0, named=True)
        assert row["bytes"] == pytest.approx(wire, rel=0.01)
        assert row["share"] == pytest.approx(wire / moved["bytes_total"], abs=0.01)
        assert row["tcp_bytes"] == pytest.approx(row["bytes"]) and not row["rdma_bytes"]
        assert row["configured"] == facts["nics"][instance]["lm_network"]
        assert row["name"] == facts["nics"][instance]["name"]
        assert row["selected"] and row["current_channels"] == 4
        assert row["ips"] == [facts["nics"][instance]["ip"]["HV01"]]
    assert facts["unexpected_nics"] == [SECOND]
    share = facts["unexpected_share"][0][SECOND]
    expected = (
        f"SMB Multichannel used NIC 'SLOT 6 Port 2' on HV01, which is not among the live-migration networks; "
        f"it carried {100 * share:.0f} % of the bytes."
    )
    assert said(result) == [expected]
    assert [f.text for f in migration.findings if f.kind == "unexpected-nic"] == []  # analysed without topology
    management = sent.filter(pl.col("name") == "Management").row(0, named=True)
    assert management["selected"] is False and management["configured"] is False and not management["carried"]
    assert result.imbalance == () and result.mixed_speeds == () and result.idle_selected == ()
    assert result.lacking == ()


def test_transport_accounting(unexpected):
    capture, migration, topology, truth = unexpected
    accounting = attribute(capture, migration, topology).accounting
    memory = truth["migrations"][0]["memory_bytes"]
    assert accounting.smb_bytes == pytest.approx(memory, rel=1e-6)
    assert accounting.memory_bytes == pytest.approx(memory, rel=1e-6)
    assert accounting.compression_ratio == pytest.approx(1.0, rel=1e-6)


def test_all_configured_gives_no_finding(tmp_path):
    scenario = replace(synth.BUNDLED[0], name="configured", vm_memory_gib=4.0, side_inputs=synth.SideInputs())
    capture, migration, topology, _ = run(scenario, tmp_path)
    result = attribute(capture, migration, topology)
    carried = result.nics.filter(pl.col("carried"))
    assert carried.height == 4 and carried["configured"].all()
    assert said(result) == []


def test_smb_direct_splits_rdma_bytes(tmp_path):
    scenario = replace(synth.SEEDS["smb-direct-2x25g"], name="rdma", vm_memory_gib=4.0, side_inputs=synth.SideInputs())
    capture, migration, topology, truth = run(scenario, tmp_path)
    result = attribute(capture, migration, topology)
    sent = result.nics.filter((pl.col("host") == "HV01") & pl.col("carried"))
    assert sent.height == 2
    for row in sent.iter_rows(named=True):
        assert row["rdma_bytes"] == pytest.approx(truth["migrations"][0]["bytes_per_nic"][row["instance"]], rel=0.01)
        assert row["tcp_bytes"] < 0.01 * row["bytes"] and row["current_channels"] == 2
    assert topology.rdma["enabled"].all()


def test_without_topology_it_runs_and_says_what_it_lacked(unexpected):
    capture, migration, _, _ = unexpected
    result = attribute_channels(migration.legs, capture=capture)
    assert result.nics["configured"].is_null().all() and said(result) == []
    assert list(result.lacking) == [
        "No topology given: which NICs are configured for live migration is unknown.",
        "No live-migration transport counters: SMB / TCP / compressed bytes unknown.",
    ]


def test_partial_topology_cannot_decide(unexpected, tmp_path):
    """Only Get-NetAdapter: names known, IPs and LM networks not."""
    capture, migration, topology, _ = unexpected
    adapters = tmp_path / "HV01"
    adapters.mkdir()
    source = next(s.path for s in topology.sources if s.kind == "adapters" and "HV01" in s.path)
    (adapters / "adapters.json").write_bytes(open(source, "rb").read())
    result = attribute(capture, migration, read_topology(tmp_path))
    hv01 = result.nics.filter(pl.col("host") == "HV01")
    assert hv01["name"].to_list() == ["SLOT 6 Port 1", "SLOT 6 Port 2", "Management"]
    assert hv01["configured"].is_null().all()
    assert any("Get-SmbMultichannelConnection" in why for why in result.lacking)
    assert any(why.startswith("Could not tell whether HV01 SLOT 6 Port 1") for why in result.lacking)


def test_imbalance_idle_channel_and_mixed_speeds_are_found(unexpected):
    capture, migration, topology, _ = unexpected
    legs = [replace(leg, nics=_skew(leg.nics)) for leg in migration.legs]
    result = attribute(capture, migration, topology, legs)
    assert {i.host for i in result.imbalance} == {"HV01", "HV02"}
    assert result.idle_selected == ()
    silent = [replace(leg, nics=leg.nics.with_columns(
        share=pl.when(pl.col("instance") == SECOND).then(0.0).otherwise(pl.col("share")),
        carried=pl.when(pl.col("instance") == SECOND).then(False).otherwise(pl.col("carried")),
    )) for leg in migration.legs]
    idle = attribute(capture, migration, topology, silent)
    assert {r.name for r in idle.idle_selected} == {"SLOT 6 Port 2"}
    assert any("carried nothing" in f for f in said(idle))
    mixed = [replace(leg, nics=leg.nics.with_columns(
        link_bits_s=pl.when(pl.col("instance") == SECOND).then(25e9).otherwise(pl.col("link_bits_s"))
    )) for leg in migration.legs]
    speeds = attribute_channels(mixed, capture=capture).mixed_speeds
    assert {m.host: m.gbps for m in speeds} == {"HV01": (10.0, 25.0), "HV02": (10.0, 25.0)}


def _skew(nics: pl.DataFrame) -> pl.DataFrame:
    first = synth.DEFAULT_NICS[0].instance
    return nics.with_columns(
        share=pl.when(pl.col("instance") == first).then(0.7).when(pl.col("instance") == SECOND).then(0.3)
        .otherwise(pl.col("share"))
    )
