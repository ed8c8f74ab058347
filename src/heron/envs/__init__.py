"""Environments: a scene -> observations (camera frames, state, the instruction), Gymnasium API exactly.

Every environment registers Gymnasium ids by entry-point string, so importing ``heron.envs`` imports no
simulator. ``make_env(env_id)`` builds one; an unknown id fails with the known ids and a "did you mean".
"""

from __future__ import annotations

import gymnasium as gym

from heron.envs import metaworld, tabletop  # noqa: F401  register metaworld/*-v3 and heron/*-v0
from heron.registry import unknown_name_message

NAMESPACES = ("heron/", "metaworld/")


def env_ids() -> list[str]:
    """The registered heron environment ids."""
    return sorted(i for i in gym.registry if i.startswith(NAMESPACES))


def make_env(env_id: str, **options) -> gym.Env:
    """``heron/Pick-v0`` (or any id of ``env_ids()``) -> a Gymnasium env. ``options`` go to its constructor
    (e.g. ``image_size=96``). After ``reset(seed=...)``, ``info["instruction"]`` is the task's instruction, and
    every ``step``'s ``info["success"]`` says whether it is done."""
    if env_id not in env_ids():
        raise ValueError(unknown_name_message("environment", env_id, env_ids()))
    return gym.make(env_id, **options)


def features_of(env: gym.Env):
    """The ``Features`` an env declares (the unwrapped env's ``features``)."""
    features = getattr(env.unwrapped, "features", None)
    if features is None:
        raise TypeError(f"{type(env.unwrapped).__name__} declares no features")
    return features
