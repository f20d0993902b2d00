"""A small generated fleet (:func:`kit.sample.fleet.patch_weekend`: four hosts, two days, a
Cluster-Aware-Updating drain across all nodes, TCP there and back, no live-migration counters,
another time zone, across midnight), written, ingested and analysed once per session."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

import kit
from kit.sample.fleet import write_fleet


@dataclass(frozen=True)
class Fleet:
    source: Path
    """Folder of the generated captures: ``<scenario>/<HOST>.csv`` and ``truth.json``."""
    files: list[Path]
    dataset: Path
    report: kit.fleet.IngestReport
    result: kit.fleet.FleetMigrations

    def scenarios(self) -> list[Path]:
        return sorted(p for p in self.source.iterdir() if p.is_dir())

    @staticmethod
    def truth(folder: Path) -> dict:
        return json.loads((folder / "truth.json").read_text())


@pytest.fixture(scope="session")
def fleet(tmp_path_factory) -> Fleet:
    root = tmp_path_factory.mktemp("fleet")
    files = write_fleet(root / "captures")
    report = kit.ingest(files, root / "dataset", workers=1, progress=False)
    result = kit.fleet_migrations(root / "dataset", progress=False)
    return Fleet(root / "captures", files, root / "dataset", report, result)


def copy_dataset(fleet: Fleet, target: Path) -> Path:
    """A private copy of the session's dataset, for tests that change it."""
    import shutil

    shutil.copytree(fleet.dataset, target)
    return target
