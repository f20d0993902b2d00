"""The vocabulary (kit/vocabulary.py): the live-migration counter set exactly as Windows spells it,
and one case-insensitive catalogue lookup over English and translated names."""

from __future__ import annotations

import polars as pl

from kit import vocabulary as v
from kit.inputs.capture import CATALOG_SCHEMA


def test_the_whole_live_migration_counter_set():
    names = v.LIVE_MIGRATION_COUNTERS
    assert len(names) == len(set(names)) == 33
    assert "Transfer Pass: Number" in names and "Transfer pass: Dirty Page Count" in names  # mixed as Windows writes
    assert {"Transfer Pass: Is blackout", "Transfer pass: CPU Cap", "TCP Transport: Total buffer count",
            "Receiver: Maximum Threadpool Thread Count", "SMB Transport: Bytes Sent"} <= set(names)
    assert set(v.LM_SOURCE_RATES) | set(v.LM_DESTINATION_RATES) | set(v.LM_TRANSPORT_RATES.values()) <= set(names)
    assert not set(v.LM_SOURCE_RATES) & set(v.LM_DESTINATION_RATES)


def test_vm_and_instance():
    assert v.vm_of_instance(v.lm_instance("SQL-VM01")) == "SQL-VM01"
    assert v.vm_of_instance("odd") == "odd"


def catalog(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=CATALOG_SCHEMA)


def test_lookup_matches_english_translated_and_any_case():
    cat = catalog([
        {"column": "a", "host": "HV01", "object": "Netzwerkschnittstelle", "object_en": "Network Interface",
         "counter": "Gesendete Bytes/s", "counter_en": "Bytes Sent/sec", "instance": "X"},
        {"column": "b", "host": "hv01", "object": "network interface", "object_en": "Network Interface",
         "counter": "bytes sent/sec", "counter_en": "Bytes Sent/sec", "instance": "x"},
        {"column": "c", "host": "HV01", "object": "Processor", "object_en": "Processor", "counter": "% DPC Time",
         "counter_en": "% DPC Time", "instance": "0"},
    ])
    pick = lambda **kw: cat.filter(v.matches(**kw))["column"].to_list()  # noqa: E731
    assert pick(object=v.NETWORK_INTERFACE, counter=v.BYTES_SENT) == ["a", "b"]
    assert pick(object="Netzwerkschnittstelle") == ["a"]
    assert pick(object=v.NIC_OBJECTS, host="HV01", instance="X") == ["a", "b"]
    assert pick(object=v.CPU_OBJECTS, counter=[v.DPC_TIME, v.INTERRUPT_TIME]) == ["c"]
    assert pick() == ["a", "b", "c"] and pick(counter="nothing") == []
