"""Folders the kit keeps on the user's machine (below every other layer: readers and charts both use them)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """The cache folder in use: ``$KIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/hvlm-kit``, else
    ``~/.cache/hvlm-kit``."""
    if os.environ.get("KIT_CACHE_DIR"):
        return Path(os.environ["KIT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "hvlm-kit"
