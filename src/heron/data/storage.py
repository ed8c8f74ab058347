"""Where demonstrations live on disk: the storage-format registry every read and write goes through.

A format registers a class with a file ``suffix``, ``writer(path, **options)`` and ``reader(path)``.
HDF5 (``hdf5.py``) is the only one today; another (zarr, LeRobot parquet...) plugs in here without
touching the collector or the training readers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from heron.data.episode import Episode
from heron.registry import Registry

SHARD_PREFIX = "shard-"


@dataclass(frozen=True)
class EpisodeInfo:
    """An episode's metadata, known without reading its arrays."""

    shard: Path
    key: str
    index: int
    seed: int
    task: str
    args: dict[str, Any]
    instruction: str
    success: bool
    split: str
    num_steps: int
    image_shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)  # camera -> (H, W, 3)
    dims: dict[str, int] | None = None  # proprio / actions widths when not the simulator's (Episode.dims)
    segments: list[dict[str, Any]] | None = None  # sub-instructions of a chained episode (Episode.segments)
    scene: dict[str, Any] | None = None  # domain-randomisation draw (Episode.scene)

    def segment_list(self) -> list[dict[str, Any]]:
        """The episode's sub-instructions; a plain episode is one segment without ``done_from``."""
        if self.segments:
            return self.segments
        return [{"start": 0, "stop": self.num_steps, "task": self.task, "args": self.args,
                 "instruction": self.instruction, "success": self.success}]


class ShardWriter(Protocol):
    path: Path
    repaired: int  # incomplete episodes removed when the shard was opened

    def completed(self) -> set[int]: ...

    def write(self, episode: Episode) -> None: ...

    def close(self) -> None: ...


class ShardReader(Protocol):
    path: Path
    incomplete: list[str]  # keys of episodes a crash left unfinished (ignored)

    def episodes(self) -> list[EpisodeInfo]: ...

    def read(self, key: str, names: tuple[str, ...], start: int = 0, stop: int | None = None) -> dict[str, np.ndarray]: ...

    def close(self) -> None: ...


class StorageFormat(Protocol):
    suffix: str

    def writer(self, path: Path, **options: Any) -> ShardWriter: ...

    def reader(self, path: Path) -> ShardReader: ...


STORAGES: Registry[type] = Registry("storage format")
register_storage = STORAGES.register


def get_storage(name: str) -> StorageFormat:
    _load_builtin()
    return STORAGES.get(name)()


def storage_for(path: Path) -> StorageFormat | None:
    """The format whose suffix ``path`` has, or None."""
    _load_builtin()
    for name in STORAGES.names():
        fmt = STORAGES.get(name)()
        if path.name.endswith(fmt.suffix):
            return fmt
    return None


def shard_path(out_dir: str | Path, shard: int, storage: str = "hdf5") -> Path:
    """``out_dir/shard-00003.h5`` for shard 3."""
    return Path(out_dir) / f"{SHARD_PREFIX}{int(shard):05d}{get_storage(storage).suffix}"


def find_shards(directory: str | Path) -> list[Path]:
    """Shard files in ``directory`` (any registered format), sorted by name."""
    directory = Path(directory)
    return sorted(p for p in directory.glob(f"{SHARD_PREFIX}*") if p.is_file() and storage_for(p) is not None)


def stored_episodes(directory: str | Path) -> list[EpisodeInfo]:
    """The complete episodes in ``directory``'s shards (metadata only; ``EpisodeInfo.shard`` is the file)."""
    episodes: list[EpisodeInfo] = []
    for path in find_shards(directory):
        reader = open_reader(path)
        try:
            episodes.extend(reader.episodes())
        finally:
            reader.close()
    return episodes


def open_writer(path: str | Path, storage: str = "hdf5", **options: Any) -> ShardWriter:
    return get_storage(storage).writer(Path(path), **options)


def open_reader(path: str | Path) -> ShardReader:
    path = Path(path)
    fmt = storage_for(path)
    if fmt is None:
        _load_builtin()
        suffixes = sorted(STORAGES.get(n)().suffix for n in STORAGES.names())
        from heron.data.errors import DatasetError

        raise DatasetError(f"{path}: unknown shard type (known suffixes: {', '.join(suffixes)})")
    return fmt.reader(path)


def _load_builtin() -> None:
    import heron.data.hdf5  # noqa: F401  (registers "hdf5")
