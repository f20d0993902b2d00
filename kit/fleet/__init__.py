"""A whole cluster's migrations: many hosts' and days' captures as one Parquet dataset.

* :func:`ingest` (``python -m kit ingest FILES... --into DATASET/``): each capture once into a
  hive-partitioned dataset (``data/host=…/date=…/``) with its catalogue and manifest beside it,
  in worker processes, idempotent and never half-written (:mod:`kit.fleet.ingestion`).
* :func:`open_dataset`: the dataset as a capture-like object whose data is a polars ``LazyFrame``
  pruned by host, day, counter and time (:mod:`kit.fleet.dataset`).
* :func:`fleet_migrations`: every migration of the fleet, analysed host pair by host pair and
  window by window with the single-capture analyses, so memory follows the largest window, not
  the fleet; the migrations table is written back to the dataset (:mod:`kit.fleet.analysis`).

The layout is a contract (``docs/fleet-dataset.md``, :mod:`kit.fleet.layout`): DuckDB, Spark or a
polars cluster read it as it is.
"""

from kit.fleet.analysis import FleetMigrations, drill_down, fleet_migrations, select
from kit.fleet.dataset import Dataset, open_dataset
from kit.fleet.ingestion import IngestOutcome, IngestReport, ingest, vacuum

__all__ = [
    "Dataset",
    "FleetMigrations",
    "IngestOutcome",
    "IngestReport",
    "drill_down",
    "fleet_migrations",
    "ingest",
    "open_dataset",
    "select",
    "vacuum",
]
