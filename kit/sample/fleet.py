"""A small generated fleet with known truth: several hosts, days and migrations, for the fleet
tests, notebook and benchmark (:mod:`kit.fleet`).

:func:`patch_weekend` is a Cluster-Aware-Updating night (each node drained in turn into the next,
two VMs at a time, all nodes), then an ordinary day: a VM moved there and back over TCP/IP, a
migration logged without live-migration counters (found from NIC traffic), one with the
destination in another time zone and its clock ahead, and one that runs across midnight UTC.
Every scenario is a :class:`kit.sample.generator.Scenario` between two of the hosts, written by
:func:`kit.sample.generator.write` as ``<folder>/<scenario>/<HOST>.csv`` plus ``truth.json``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from kit.sample.generator import DEFAULT_NICS, Migration, Scenario, drain, write

CAU_START_LOCAL = datetime(2025, 3, 1, 3, 0, 0)
"""Local start of the patch night (W. Europe, UTC+1): 02:00 UTC."""
CAU_EVERY = timedelta(minutes=12)
"""A node's drain begins this long after the previous one's. [min]"""


def hosts_of(count: int) -> list[str]:
    """``HV01`` … the host names of a fleet of ``count`` nodes."""
    return [f"HV{k + 1:02d}" for k in range(count)]


def patch_weekend(hosts: int = 4, *, vms_per_node: int = 3, seed: int = 1800) -> tuple[Scenario, ...]:
    """The scenarios of a small fleet (see the module docstring): ``hosts`` nodes (≥ 3), each
    drained of ``vms_per_node`` VMs (2–4 GiB, two at a time) into the next node on day 1, and four
    more migrations on day 2."""
    names = hosts_of(hosts)
    if hosts < 3:
        raise ValueError("a patch weekend needs at least 3 hosts")
    sizes = (2.0, 3.0, 2.5, 4.0, 3.5, 2.0)
    scenarios = [
        Scenario(
            f"cau-{source.lower()}-to-{destination.lower()}", seed=seed + k, source_host=source,
            destination_host=destination, start_local=CAU_START_LOCAL + k * CAU_EVERY,
            migrations=drain(
                [sizes[(k + j) % len(sizes)] for j in range(vms_per_node)], start_s=20.0, every_s=20.0, at_a_time=2,
                dirty_rate_mb_s=100.0, prefix=f"{source}-VM",
            ),
            idle_after_s=20.0, description=f"Cluster-Aware Updating drains {source} into {destination}.",
        )
        for k, (source, destination) in enumerate(zip(names, names[1:] + names[:1]))
    ]
    day2 = CAU_START_LOCAL + timedelta(days=1)
    tcp_nic = DEFAULT_NICS[0]
    scenarios += [
        Scenario(
            "back-and-forth-tcp", seed=seed + 100, transport="tcp", nics=(tcp_nic, DEFAULT_NICS[2]),
            source_host=names[0], destination_host=names[2], start_local=day2.replace(hour=10),
            migrations=(Migration("APP-01", 3.0, 150.0, 0.5, "forward", 20.0),
                        Migration("APP-01", 3.0, 150.0, 0.5, "back", 45.0)),
            idle_after_s=20.0, rx_mb_s_per_core=3000.0, description="A VM moved there and back over TCP/IP.",
        ),
        Scenario(
            "no-lm-counters", seed=seed + 101, source_host=names[1], destination_host=names[3],
            start_local=day2.replace(hour=12), vm_name="FILE-02", vm_memory_gib=4.0, log_live_migration_counters=False,
            description="Logged without Hyper-V VM Live Migration: found from the NIC traffic.",
        ),
        Scenario(
            "other-zone-clock-ahead", seed=seed + 102, source_host=names[2], destination_host=names[1],
            start_local=day2.replace(hour=14), vm_name="WEB-03", vm_memory_gib=3.0,
            destination_tz=("GMT Standard Time", 0), clock_offset_s=1.6,
            description="The destination on London time with its clock 1.6 s ahead.",
        ),
        Scenario(
            "across-midnight", seed=seed + 103, source_host=names[3], destination_host=names[0],
            start_local=(day2 + timedelta(days=1)).replace(hour=0, minute=59, second=20), vm_name="SQL-04",
            vm_memory_gib=6.0, idle_before_s=30.0,
            description="Starts 23:59:50 UTC and ends after midnight: its samples are in two UTC days.",
        ),
    ]
    return tuple(scenarios)


def write_fleet(directory: str | Path, scenarios: tuple[Scenario, ...] | None = None) -> list[Path]:
    """Write every scenario of the fleet (default :func:`patch_weekend`) under ``directory``;
    return the CSV files (``<directory>/<scenario>/<HOST>.csv``), in a stable order."""
    paths = []
    for scenario in scenarios if scenarios is not None else patch_weekend():
        paths += [p for p in write(scenario, directory) if p.suffix == ".csv"]
    return sorted(paths)


def renamed(scenario: Scenario, **changes: object) -> Scenario:
    """``scenario`` with ``changes`` (e.g. another seed: a changed capture of the same name)."""
    return replace(scenario, **changes)
