"""The bundled sample tests, shipped inside the package (``kit/sample/data/``, also reachable as
``data/`` in a checkout), and the seeded generator that made them (:mod:`kit.sample.generator`).

Each test is a folder with one relog CSV per host and ``truth.json`` (the generator's parameters
and the true figures); some have side inputs (``events/``, ``topology/``, ``pings/``). Found with
:mod:`importlib.resources`, so they work from a wheel as from a checkout.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

SAMPLE = "smb-multichannel-2x10g"
"""The test ``python -m kit report`` (and every view) runs on when given no file."""
ORDER = (
    "smb-multichannel-2x10g", "tcp-1x10g-mtu1500-55gb", "tcp-1x10g-jumbo-55gb", "tcp-1x10g-jumbo-highperf-55gb",
    "smb-2x10g-mixed-mtu-55gb", "smb-2x10g-jumbo-55gb", "drain-6x9gb-smb-2x10g", "smb-direct-2x10g-55gb",
)
"""The bundled tests, in the order views list them (``kit.sample.generator.BUNDLED`` writes them)."""


def sample_dir() -> Path:
    """The folder holding the bundled tests."""
    return Path(str(resources.files(__name__).joinpath("data")))


def bundled_tests() -> dict[str, Path]:
    """Bundled test name → its folder, in :data:`ORDER`."""
    return {name: sample_dir() / name for name in ORDER if (sample_dir() / name).is_dir()}


def sample_test() -> Path:
    """The folder of :data:`SAMPLE`."""
    return sample_dir() / SAMPLE


@cache
def truth(name: str) -> dict[str, Any]:
    """The ``truth.json`` of a bundled test."""
    return json.loads((sample_dir() / name / "truth.json").read_text(encoding="utf-8"))


def bundled_labels() -> dict[str, dict[str, Any]]:
    """Labels of each bundled test, from its truth: transport, MTU (``9000+1500`` when the NICs
    differ) [bytes], NIC count, link [Gbit/s], power plan, migrations."""
    out = {}
    for name in bundled_tests():
        labels = truth(name)["labels"]
        out[name] = {
            "transport": labels["transport"], "mtu": "+".join(map(str, labels["mtus"])), "nic_count": labels["nic_count"],
            "link_gbps": labels["link_gbps"], "power_plan": labels["power_plan"], "migrations": labels["migrations"],
        }
    return out
