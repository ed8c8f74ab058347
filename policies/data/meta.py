"""``meta.json`` beside the shards: library versions, seeds, the collection arguments and counts."""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
from pathlib import Path
from typing import Any

from policies.data.errors import DatasetError

META_FILE = "meta.json"
_PACKAGES = ("heron", "numpy", "h5py", "pybullet", "gymnasium", "opencv-python-headless", "torch")


def library_versions() -> dict[str, str]:
    """Versions of the libraries that shape the data (read from package metadata, nothing imported)."""
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def read_meta(directory: str | Path) -> dict[str, Any] | None:
    """The directory's metadata, or None when it has no ``meta.json``."""
    path = Path(directory) / META_FILE
    if not path.exists():
        return None
    try:
        meta = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise DatasetError(f"{path}: unreadable metadata ({exc}); fix or delete the file") from None
    if not isinstance(meta, dict):
        raise DatasetError(f"{path}: metadata must be a JSON object, got {type(meta).__name__}")
    return meta


def write_meta(directory: str | Path, meta: dict[str, Any]) -> Path:
    """Write ``meta.json`` atomically (a crash leaves the old file or the new one, never half)."""
    path = Path(directory) / META_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".json.tmp{os.getpid()}")
    tmp.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)
    return path
