"""benchmarks/fleet.py end to end at a tiny size (seconds): every step runs and reports."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_the_fleet_benchmark_runs_at_a_tiny_size(tmp_path):
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "fleet.py"), "--hours", "0.05", "--sizes", "4", "--repeat", "1",
         "--nice", "0", "--no-save", "--work", str(tmp_path)],
        capture_output=True, text=True, cwd=ROOT, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ingest" in done.stdout and "4 host-days: 4 migrations in 4 episodes" in done.stdout
