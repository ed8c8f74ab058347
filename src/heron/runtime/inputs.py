"""Observation checks and the history buffer shared by both runtimes (numpy only)."""

from __future__ import annotations

from collections import deque

import numpy as np

from heron.policies.schema import PROPRIO, PROPRIO_DIM


class ObservationError(ValueError):
    """An observation the policy cannot take (missing key, wrong shape or dtype, NaN)."""


def check_observation(obs: dict, cameras: list[str], image_size: int, proprio_dim: int = PROPRIO_DIM) -> None:
    for cam in cameras:
        img = obs.get(cam)
        if img is None:
            raise ObservationError(f"observation has no {cam!r} image")
        img = np.asarray(img)
        if img.dtype != np.uint8:
            raise ObservationError(f"{cam}: dtype {img.dtype}, expected uint8")
        if img.shape != (image_size, image_size, 3):
            raise ObservationError(f"{cam}: shape {img.shape}, expected ({image_size}, {image_size}, 3)")
    prop = obs.get(PROPRIO)
    if prop is None:
        raise ObservationError("observation has no 'proprio'")
    prop = np.asarray(prop)
    if prop.shape != (proprio_dim,):
        raise ObservationError(f"proprio: shape {prop.shape}, expected ({proprio_dim},)")
    if not np.all(np.isfinite(prop)):
        raise ObservationError("proprio contains NaN or Inf")


class History:
    """The last K frames of every camera and of proprio, padded at the start by repeating frame 0."""

    def __init__(self, cameras: list[str], k: int):
        self.cameras, self.k = cameras, k
        self.frames: deque = deque(maxlen=k)

    def clear(self) -> None:
        self.frames.clear()

    def push(self, obs: dict) -> tuple[np.ndarray, np.ndarray]:
        """-> images uint8 (1, C, K, H, W, 3), proprio float32 (1, K, 22)."""
        frame = (np.stack([np.asarray(obs[c]) for c in self.cameras]), np.asarray(obs[PROPRIO], np.float32))
        if not self.frames:
            self.frames.extend([frame] * (self.k - 1))
        self.frames.append(frame)
        images = np.stack([f[0] for f in self.frames], axis=1)[None]
        proprio = np.stack([f[1] for f in self.frames])[None]
        return np.ascontiguousarray(images), np.ascontiguousarray(proprio)
