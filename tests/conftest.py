"""Shared fixtures: a writer for small hand-made perfmon files, the real-data folder, a private cache."""

from __future__ import annotations

from pathlib import Path

import pytest

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
ROOT = Path(__file__).resolve().parents[1]
TEST_DATA = ROOT / "tests" / "data"
BAD = TEST_DATA / "bad"


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own empty Parquet cache."""
    monkeypatch.setenv("KIT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def pdh_text(
    header_cell: str,
    paths: list[str],
    rows: list[list[str]],
    *,
    sep: str = ",",
    quote: bool = True,
    newline: str = "\r\n",
) -> str:
    """A PDH log as text: header cell 1, counter paths, then rows (timestamp first)."""
    q = (lambda s: f'"{s}"') if quote else (lambda s: s)
    lines = [sep.join(q(c) for c in [header_cell, *paths])]
    lines += [sep.join(q(c) for c in row) for row in rows]
    return newline.join(lines) + newline


@pytest.fixture
def write(tmp_path):
    """write(name, text_or_bytes, encoding='utf-8') -> Path in a temporary folder."""

    def _write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    return _write
