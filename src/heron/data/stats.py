"""Normalization statistics for proprio and actions (per dimension, JSON-serialisable, deterministic)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from heron.data.dataset import DemoDataset
from heron.data.errors import DatasetError
from heron.policies import schema

STAT_KEYS = (schema.PROPRIO, "actions")


def compute_stats(dataset: Any) -> dict[str, Any]:
    """{"proprio": {"mean", "std", "min", "max"}, "actions": {...}, "num_episodes", "num_steps"}.

    ``dataset``: a ``DemoDataset``, a ``WindowDataset`` (its episodes only) or a path. Sums run in
    float64 over episodes in collection order, so the result is the same on every run.
    """
    if isinstance(dataset, (str, os.PathLike)):
        dataset = DemoDataset(dataset)
    if isinstance(dataset, DemoDataset):
        demos, positions = dataset, list(range(len(dataset)))
    elif hasattr(dataset, "dataset") and hasattr(dataset, "indices"):
        demos, positions = dataset.dataset, list(dataset.indices)
    else:
        raise TypeError(f"compute_stats needs a DemoDataset, WindowDataset or path, got {type(dataset).__name__}")
    if not positions:
        raise DatasetError(f"{demos.root}: no episodes to compute statistics from")
    chunks: dict[str, list[np.ndarray]] = {k: [] for k in STAT_KEYS}
    for i in positions:
        for k, v in demos.read(i, STAT_KEYS).items():
            chunks[k].append(v.astype(np.float64))
    out: dict[str, Any] = {}
    for k, parts in chunks.items():
        x = np.concatenate(parts)
        if not np.isfinite(x).all():
            raise DatasetError(f"{demos.root}: non-finite values in {k!r}")
        out[k] = {
            "mean": x.mean(0).tolist(),
            "std": x.std(0).tolist(),
            "min": x.min(0).tolist(),
            "max": x.max(0).tolist(),
        }
    out["num_episodes"] = len(positions)
    out["num_steps"] = int(sum(demos.episodes[i].num_steps for i in positions))
    return out
