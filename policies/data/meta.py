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
PARAPHRASES_FILE = "paraphrases.json"  # instruction -> other phrasings of the same task (training augmentation)
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


def write_paraphrases(directory: str | Path, table: dict[str, list[str]]) -> Path:
    """Write ``paraphrases.json`` (instruction -> other phrasings of the same task and arguments) atomically."""
    path = Path(directory) / PARAPHRASES_FILE
    tmp = path.with_suffix(f".json.tmp{os.getpid()}")
    tmp.write_text(json.dumps(dict(sorted(table.items())), indent=1) + "\n")
    os.replace(tmp, path)
    return path


def read_paraphrases(directory: str | Path) -> dict[str, list[str]] | None:
    """The dataset's paraphrase table, or None when it has none; a malformed file is a DatasetError."""
    path = Path(directory) / PARAPHRASES_FILE
    if not path.exists():
        return None
    try:
        table = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise DatasetError(f"{path}: unreadable paraphrases ({exc}); `heron collect` rewrites it") from None
    ok = isinstance(table, dict) and all(
        isinstance(v, list) and all(isinstance(x, str) and x.strip() for x in v) for v in table.values())
    if not ok:
        raise DatasetError(f"{path}: must map each instruction to a list of non-empty strings; `heron collect` rewrites it")
    return table
