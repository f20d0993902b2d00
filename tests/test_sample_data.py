"""The bundled sample loads through kit.load and agrees with its ground truth."""

import json
from datetime import datetime

import polars as pl
import pytest

import kit
from kit.cli import main
from conftest import ROOT

SAMPLE = ROOT / "data" / "smb-multichannel-2x10g"
TRUTH = json.loads((SAMPLE / "truth.json").read_text())


def iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_hosts_rows_columns_and_times_match_the_truth():
    capture = kit.load(SAMPLE)
    assert capture.hosts == [TRUTH["hosts"]["source"], TRUTH["hosts"]["destination"]]
    for source in capture.sources:
        host = source.hosts[0]
        assert source.rows == TRUTH["rows"][host] and source.columns == TRUTH["columns"][host]
        assert source.bias_minutes == TRUTH["timezone"]["bias_minutes"]
        assert source.zone_name == TRUTH["timezone"]["name"]
        assert source.start == iso(TRUTH["first_sample_utc"][host])
        assert source.interval_s == pytest.approx(TRUTH["interval_s"], rel=0.01)


def test_integrated_nic_bytes_match_the_truth():
    capture = kit.load(SAMPLE)
    for host, nics in TRUTH["nic_totals"].items():
        for instance, totals in nics.items():
            for counter, key in (("Bytes Sent/sec", "bytes_sent"), ("Bytes Received/sec", "bytes_received")):
                [column] = capture.columns(host=host, object="Network Interface", instance=instance, counter=counter)
                # this host's own sample times (the other host samples at other instants)
                own = capture.select(capture.columns(host=host)).data.filter(
                    pl.any_horizontal(pl.all().exclude("time").is_not_null())
                )
                gaps = own["time"].diff().dt.total_microseconds() / 1e6
                moved = (own[column] * gaps).sum()
                assert moved == pytest.approx(totals[key], rel=1e-6)


def test_info_json_on_the_bundled_sample(capsys):
    assert main(["info", str(SAMPLE / "HV01.csv"), str(SAMPLE / "HV02.csv"), "--json", "--quiet"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["hosts"] == ["HV01", "HV02"]
    assert info["columns"] == sum(TRUTH["columns"].values())
    assert not [w for w in info["warnings"] if kit.quality.SEVERITY[w["code"]] == "error"]
