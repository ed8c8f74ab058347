"""Demonstration datasets: the on-disk format (owned here, since training reads it) and its readers.

Write:  ``with open_writer(shard_path(out, 0)) as w: w.write(Episode(...))``
Read:   ``DemoDataset(dir)`` (episodes), ``WindowDataset(dir, history, horizon)`` (training samples),
        ``compute_stats(dataset)`` (normalization).
"""

from __future__ import annotations

import importlib.metadata

from heron.data.dataset import DemoDataset
from heron.data.episode import FORMAT_NAME, FORMAT_VERSION, Episode, episode_key
from heron.data.errors import DatasetError
from heron.data.meta import (
    META_FILE,
    PARAPHRASES_FILE,
    library_versions,
    read_meta,
    read_paraphrases,
    write_meta,
    write_paraphrases,
)
from heron.data.stats import compute_stats
from heron.data.storage import (
    EpisodeInfo,
    find_shards,
    open_reader,
    open_writer,
    register_storage,
    shard_path,
    stored_episodes,
)
from heron.data.windows import WindowDataset, hold_action


def heron_version() -> str:
    try:
        return importlib.metadata.version("heron")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


__all__ = [
    "DatasetError",
    "DemoDataset",
    "Episode",
    "EpisodeInfo",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "META_FILE",
    "PARAPHRASES_FILE",
    "WindowDataset",
    "compute_stats",
    "episode_key",
    "find_shards",
    "heron_version",
    "hold_action",
    "library_versions",
    "open_reader",
    "open_writer",
    "read_meta",
    "read_paraphrases",
    "register_storage",
    "shard_path",
    "stored_episodes",
    "write_meta",
    "write_paraphrases",
]
