"""The fleet's commands, as ``python -m kit`` runs them (kit.cli.main adds kit.fleet.cli's subcommands)."""

from __future__ import annotations

import json

import polars as pl

from kit.cli import main as command


def test_ingest_prints_each_file_and_a_summary(fleet, tmp_path, capsys):
    files = [str(p) for p in fleet.files[:2]]
    assert command(["ingest", *files, "--into", str(tmp_path / "ds"), "--workers", "1", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.count("ingested  ") == 2 and "2 ingested, 0 replaced, 0 skipped, 0 failed" in out
    assert command(["ingest", *files, "--into", str(tmp_path / "ds"), "--quiet", "--json"]) == 0
    assert [r["status"] for r in json.loads(capsys.readouterr().out)] == ["skipped", "skipped"]


def test_a_failed_file_is_named_and_the_status_is_2(fleet, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x00garbage")
    assert command(["ingest", str(bad), str(fleet.files[0]), "--into", str(tmp_path / "ds"), "--quiet"]) == 2
    captured = capsys.readouterr()
    assert f"error: {bad}" in captured.err and "1 ingested" in captured.out


def test_bad_options_are_named(tmp_path, capsys):
    for argv, text in ((["--workers", "0"], "number of worker processes"), (["--utc-offset", "x"], "UTC offset")):
        assert command(["ingest", "a.csv", "--into", str(tmp_path), *argv]) == 2
        assert text in capsys.readouterr().err


def test_the_main_help_lists_the_fleet_commands(capsys):
    assert command(["--help"]) == 0
    out = capsys.readouterr().out
    assert "ingest" in out and "fleet" in out


def test_fleet_prints_every_migration_and_writes_a_csv(fleet, tmp_path, capsys):
    from tests.fleet.conftest import copy_dataset

    root = copy_dataset(fleet, tmp_path / "ds")
    assert command(["fleet", str(root), "--quiet", "--no-write", "--csv", str(tmp_path / "m.csv"),
                    "--start", "2025-03-02T00:00Z"]) == 0
    out = capsys.readouterr().out
    assert "APP-01 HV01 → HV03" in out and "5 migrations in" in out
    assert pl.read_csv(tmp_path / "m.csv").height == 5


def test_a_log_with_no_samples_is_named_as_such(tmp_path, capsys):
    empty = tmp_path / "HV09.csv"
    empty.write_text('"(PDH-CSV 4.0) (UTC)(0)","\\\\HV09\\Processor(_Total)\\% Processor Time"\n')
    assert command(["ingest", str(empty), "--into", str(tmp_path / "ds"), "--quiet"]) == 0
    assert f"ingested  {empty}: no samples could be read" in capsys.readouterr().out
