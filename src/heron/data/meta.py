"""``meta.json`` beside the shards: library versions, seeds, the collection arguments and counts."""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
from pathlib import Path
from typing import Any

from heron.data.errors import DatasetError

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


def _read_json(path: Path, what: str, fix: str) -> Any:
    """A JSON file's content, or None when it does not exist; unreadable -> DatasetError naming ``fix``."""
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise DatasetError(f"{path}: unreadable {what} ({exc}); {fix}") from None


def _write_json(path: Path, value: Any, indent: int) -> Path:
    """Write atomically: a crash leaves the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".json.tmp{os.getpid()}")
    tmp.write_text(json.dumps(value, indent=indent, sort_keys=True) + "\n")
    os.replace(tmp, path)
    return path


def read_meta(directory: str | Path) -> dict[str, Any] | None:
    """The directory's metadata, or None when it has no ``meta.json``."""
    path = Path(directory) / META_FILE
    meta = _read_json(path, "metadata", "fix or delete the file")
    if meta is not None and not isinstance(meta, dict):
        raise DatasetError(f"{path}: metadata must be a JSON object, got {type(meta).__name__}")
    return meta


def write_meta(directory: str | Path, meta: dict[str, Any]) -> Path:
    """Write ``meta.json`` atomically."""
    return _write_json(Path(directory) / META_FILE, meta, indent=2)


def write_paraphrases(directory: str | Path, table: dict[str, list[str]]) -> Path:
    """Write ``paraphrases.json`` (instruction -> other phrasings of the same task and arguments) atomically."""
    return _write_json(Path(directory) / PARAPHRASES_FILE, table, indent=1)


def read_paraphrases(directory: str | Path) -> dict[str, list[str]] | None:
    """The dataset's paraphrase table, or None when it has none; a malformed file is a DatasetError."""
    path = Path(directory) / PARAPHRASES_FILE
    table = _read_json(path, "paraphrases", "`heron collect` rewrites it")
    ok = table is None or isinstance(table, dict) and all(
        isinstance(v, list) and all(isinstance(x, str) and x.strip() for x in v) for v in table.values())
    if not ok:
        raise DatasetError(f"{path}: must map each instruction to a list of non-empty strings; `heron collect` rewrites it")
    return table
