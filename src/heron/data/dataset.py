"""``DemoDataset``: every complete episode across the shards of a directory (or one shard file)."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from heron.data.episode import ARRAYS, Episode, is_image
from heron.data.errors import DatasetError
from heron.data.meta import read_meta
from heron.data.storage import EpisodeInfo, ShardReader, find_shards, open_reader


class DemoDataset:
    """Episodes sorted by collection index; arrays are read on demand.

    ``path``: a directory of shards, one shard file, or a list of either: their episodes in turn
    (aggregated data, e.g. expert demonstrations plus policy-visited states from ``heron collect --policy``).

    ``ds.episodes[i]`` is metadata only; ``ds[i]`` loads episode i whole; ``ds.read(i, names, start, stop)``
    reads a slice. Unfinished episodes (a crash mid-write) are skipped and listed in ``ds.incomplete``.
    Safe to pickle and to use after ``fork`` (file handles are reopened per process).
    """

    def __init__(self, path: str | os.PathLike | Sequence[str | os.PathLike]):
        paths = [path] if isinstance(path, (str, os.PathLike)) else list(path)
        if not paths:
            raise DatasetError("no dataset given: name a directory of shards (or several, as a list)")
        self.roots = [Path(p) for p in paths]
        if len(set(self.roots)) != len(self.roots):
            raise DatasetError(f"{' + '.join(map(str, self.roots))}: a dataset is named twice")
        # the name in messages: the directory, or "a + b" for several (aggregated, e.g. DAgger rounds)
        self.root = self.roots[0] if len(self.roots) == 1 else Path(" + ".join(map(str, self.roots)))
        self.shards: list[Path] = []
        self.meta: dict[str, Any] | None = None
        self._readers: dict[str, ShardReader] = {}
        self._pid = os.getpid()
        self.incomplete: list[str] = []
        self.episodes: list[EpisodeInfo] = []
        for root in self.roots:
            if root.is_dir():
                shards = find_shards(root)
                if not shards:
                    raise DatasetError(f"{root}: no shard files (shard-*.h5) here; collect some with `heron collect --out {root}`")
                meta = read_meta(root)
            elif root.is_file():
                shards, meta = [root], read_meta(root.parent)
            else:
                raise DatasetError(f"{root}: no such dataset file or directory")
            if root == self.roots[0]:
                self.meta = meta
            self.shards.extend(shards)
            infos: list[EpisodeInfo] = []
            for shard in shards:
                reader = self._reader(shard)
                infos.extend(reader.episodes())
                self.incomplete.extend(f"{shard}:{k}" for k in reader.incomplete)
            seen: dict[int, Path] = {}
            for info in infos:  # collection indices are unique within a dataset, not across several
                if info.index in seen:
                    raise DatasetError(f"episode {info.index} is stored twice: in {seen[info.index]} and {info.shard}")
                seen[info.index] = info.shard
            self.episodes.extend(sorted(infos, key=lambda e: e.index))

    # --- reading -------------------------------------------------------------------------------------
    def _reader(self, shard: Path) -> ShardReader:
        if os.getpid() != self._pid:  # forked (e.g. a DataLoader worker): never share HDF5 handles
            self._readers, self._pid = {}, os.getpid()
        key = str(shard)
        if key not in self._readers:
            self._readers[key] = open_reader(shard)
        return self._readers[key]

    def read(self, i: int, names: tuple[str, ...] | None = None, start: int = 0, stop: int | None = None) -> dict[str, np.ndarray]:
        """Arrays ``names`` of episode i (default: all of them, its cameras included), steps [start, stop)."""
        info = self.episodes[i]
        if names is None:
            names = (*info.image_shapes, *(n for n in ARRAYS if not is_image(n)))
        return self._reader(info.shard).read(info.key, tuple(names), start, stop)

    def __len__(self) -> int:
        return len(self.episodes)

    def __getitem__(self, i: int) -> Episode:
        info = self.episodes[i]
        arrays = self.read(i)
        return Episode(
            images={k: v for k, v in arrays.items() if is_image(k)},
            proprio=arrays["proprio"],
            actions=arrays["actions"],
            instruction=info.instruction,
            task=info.task,
            index=info.index,
            seed=info.seed,
            success=info.success,
            split=info.split,
            args=info.args,
            dims=info.dims,
            segments=info.segments,
            scene=info.scene,
        )

    def __iter__(self) -> Iterator[Episode]:
        for i in range(len(self)):
            yield self[i]

    @property
    def num_steps(self) -> int:
        return sum(e.num_steps for e in self.episodes)

    def task_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(e.task for e in self.episodes).items()))

    def close(self) -> None:
        for reader in self._readers.values():
            reader.close()
        self._readers = {}

    def __enter__(self) -> "DemoDataset":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_readers"] = {}
        return state

    def __repr__(self) -> str:
        return f"DemoDataset({str(self.root)!r}, episodes={len(self)}, steps={self.num_steps}, shards={len(self.shards)})"
