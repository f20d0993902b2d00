"""DuckDB reads the dataset as it is: the README's three queries, run on the generated fleet."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT

duckdb = pytest.importorskip("duckdb")


def readme_queries() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Load or ingest?"):]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.DOTALL)


def test_the_readme_has_three_queries():
    assert len(readme_queries()) == 3


def test_the_readme_queries_answer_on_the_fleet(fleet):
    slowest, blackouts, days = (duckdb.sql(q.replace("DATASET", str(fleet.dataset))).fetchall()
                                for q in readme_queries())
    table = fleet.result.table
    assert [r[0] for r in slowest] == table.sort("duration_s", descending=True)["vm"].head(10).to_list()
    assert sum(r[1] for r in blackouts) == table.height
    assert {r[0] for r in blackouts} == set(table["source"])
    assert {(r[0], r[1].isoformat()) for r in days} == {
        (h, d.isoformat()) for h, d in kit_parts(fleet)}


def test_the_catalogue_and_data_join(fleet):
    sql = f"""
        SELECT c.column FROM read_parquet('{fleet.dataset}/catalog/*.parquet') c
        WHERE c.host = 'HV02' AND c.object_en = 'Network Interface' AND c.counter_en = 'Bytes Received/sec'
        LIMIT 1"""
    [(column,)] = duckdb.sql(sql).fetchall()
    quoted = '"' + column.replace('"', '""') + '"'
    [(peak,)] = duckdb.sql(
        f"SELECT max({quoted}) FROM read_parquet('{fleet.dataset}/data/host=HV02/**/*.parquet', "
        "hive_partitioning = true, union_by_name = true)").fetchall()
    assert peak > 1e8  # bytes/s of a migration into HV02


def kit_parts(fleet):
    import kit

    return set(kit.open_dataset(fleet.dataset).parts.select("host", "date").iter_rows())
