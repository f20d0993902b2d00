"""Folders and files the kit keeps on the user's machine (the cache, a fleet dataset): where they
are, and how they are written (below every other layer: readers, the fleet and charts all use them)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def cache_dir() -> Path:
    """The cache folder in use: ``$KIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/hvlm-kit``, else
    ``~/.cache/hvlm-kit``."""
    if os.environ.get("KIT_CACHE_DIR"):
        return Path(os.environ["KIT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "hvlm-kit"


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that no reader ever sees a part of it: staged beside it, then
    renamed (the staging file is removed whatever goes wrong); the folder is made if need be."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(staging, path)
    finally:
        Path(staging).unlink(missing_ok=True)
