"""``WindowDataset``: training samples (observation history + action chunk) from a ``DemoDataset``.

One sample per (episode, step t). A chained episode's sub-instructions (``segments``) are windowed
apart: history is padded at the segment's first frame, the action chunk is padded past the segment's
last step, and each sample carries its segment's instruction, so a window never crosses two
instructions. Keys and shapes (K = history, H = horizon; oldest frame first, the
current frame t last):
    rgb_front uint8 (K, H_img, W_img, 3), rgb_wrist uint8 (K, h, w, 3), proprio float32 (K, 22)
    history_mask bool (K,)   False where the start was padded by repeating frame 0
    actions float32 (H, 5)   labels for steps t .. t+H-1
    action_mask bool (H,)    False past the end, where the hold action (zeros, final gripper) pads
    done float32 ()          1.0 from the segment's ``done_from`` step on (the success was seen), or,
                             without one, on the last ``done_steps`` steps of a successful segment
    instruction str, task str, episode int64 (collection index), step int64
Torch-free: a torch ``DataLoader`` batches it as is.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np

from heron.data.dataset import DemoDataset
from heron.data.errors import DatasetError
from heron.policies import schema

DEFAULT_MEMORY_LIMIT_MB = 4096


def hold_action(last_action: np.ndarray) -> np.ndarray:
    """The padding action past an episode's end: no motion, gripper as it was last commanded."""
    hold = np.zeros(len(last_action), np.float32)
    hold[-1] = last_action[-1]
    return hold


class WindowDataset:
    """Windows over every step of the chosen episodes; see the module docstring for the sample layout.

    in_memory: True loads every episode into RAM, False reads from the shards per sample, None loads
    when the arrays fit in ``memory_limit_mb``. ``episodes`` picks positions in the ``DemoDataset``
    (e.g. a validation split); default all.
    """

    def __init__(
        self,
        dataset: DemoDataset | str | os.PathLike,
        history: int = 1,
        horizon: int = 8,
        *,
        done_steps: int = 2,
        in_memory: bool | None = None,
        memory_limit_mb: float = DEFAULT_MEMORY_LIMIT_MB,
        episodes: Sequence[int] | None = None,
    ):
        for key, value, low in (("history", history, 1), ("horizon", horizon, 1), ("done_steps", done_steps, 0)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
                raise ValueError(f"{key}={value!r}: must be an integer >= {low}")
        if in_memory not in (True, False, None):
            raise ValueError(f"in_memory={in_memory!r}: allowed True, False, None (auto)")
        self.dataset = dataset if isinstance(dataset, DemoDataset) else DemoDataset(dataset)
        self.history, self.horizon, self.done_steps = int(history), int(horizon), int(done_steps)
        n = len(self.dataset)
        self.indices = list(range(n)) if episodes is None else [int(i) for i in episodes]
        bad = [i for i in self.indices if not 0 <= i < n]
        if bad:
            raise ValueError(f"episodes: positions {bad[:5]} out of range for a dataset of {n} episodes")
        if not self.indices:
            raise DatasetError(f"{self.dataset.root}: no episodes to make windows from")
        infos = [self.dataset.episodes[i] for i in self.indices]
        cams = {tuple(sorted(info.image_shapes)) for info in infos}
        if len(cams) > 1:
            raise DatasetError(f"{self.dataset.root}: episodes have different cameras {sorted(cams)}")
        self.cameras: tuple[str, ...] = next(iter(cams))
        for cam in self.cameras:
            shapes = {info.image_shapes[cam] for info in infos}
            if len(shapes) > 1:
                raise DatasetError(
                    f"{self.dataset.root}: episodes have different {cam} sizes {sorted(shapes)}; "
                    "use episodes collected with one --image-size"
                )
        widths = {tuple(sorted((info.dims or {}).items())) for info in infos}
        if len(widths) > 1:
            raise DatasetError(f"{self.dataset.root}: episodes have different proprio/action widths {sorted(widths)}")
        self.lengths = np.array([info.num_steps for info in infos], np.int64)
        self.starts = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)
        self._index_segments(infos)
        self.nbytes = self._estimate_bytes(infos)
        self.in_memory = self.nbytes <= memory_limit_mb * 2**20 if in_memory is None else in_memory
        self._cache: dict[str, np.ndarray] | None = None
        if self.in_memory:
            self._cache = self._load_all()

    def _index_segments(self, infos) -> None:
        """Per segment: episode position, first/last step, done_from, and where its samples start."""
        ep, start, stop, done_from, success, self.seg_text, self.seg_task = [], [], [], [], [], [], []
        for j, info in enumerate(infos):
            for seg in info.segment_list():
                ep.append(j)
                start.append(seg["start"])
                stop.append(seg["stop"])
                done_from.append(-1 if seg.get("done_from") is None else int(seg["done_from"]))
                success.append(bool(seg.get("success", info.success)))
                self.seg_text.append(seg["instruction"])
                self.seg_task.append(seg["task"])
        self.seg_episode = np.array(ep, np.int64)
        self.seg_start, self.seg_stop = np.array(start, np.int64), np.array(stop, np.int64)
        self.seg_done_from, self.seg_success = np.array(done_from, np.int64), np.array(success, bool)
        sizes = self.seg_stop - self.seg_start
        self.seg_offset = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)

    def per_sample(self, per_segment: Sequence) -> np.ndarray:
        """One value per segment (in ``seg_task`` order) spread over that segment's samples, in sample order."""
        return np.repeat(np.asarray(per_segment), self.seg_stop - self.seg_start)

    @property
    def instructions(self) -> list[str]:
        """Every segment's instruction (what the language features are computed for)."""
        return list(self.seg_text)

    def _load_all(self) -> dict[str, np.ndarray]:
        """Every step of every episode in one preallocated array per key (rows ``starts[j]:starts[j] +
        lengths[j]`` are episode j): per-episode arrays interleaved with the reader's temporary buffers
        fragmented the heap to ~2.4x the data's size."""
        total = int(self.lengths.sum())
        cache: dict[str, np.ndarray] = {}
        for j, i in enumerate(self.indices):
            arrays = self.dataset.read(i)
            for k, v in arrays.items():
                if k not in cache:
                    cache[k] = np.empty((total, *v.shape[1:]), v.dtype)
                cache[k][self.starts[j]:self.starts[j] + len(v)] = v
        return cache

    @staticmethod
    def _estimate_bytes(infos) -> int:
        total = 0
        for info in infos:
            dims = info.dims or {}
            per_step = 4 * (dims.get(schema.PROPRIO, schema.PROPRIO_DIM) + dims.get("actions", schema.ACTION_DIM))
            image = sum(int(np.prod(shape)) for shape in info.image_shapes.values())
            total += info.num_steps * (image + per_step)
        return total

    def __len__(self) -> int:
        return int(self.lengths.sum())

    def locate(self, i: int) -> tuple[int, int]:
        """Sample i -> (position in ``self.indices``, step t)."""
        k, t = self.locate_segment(i)
        return int(self.seg_episode[k]), t

    def locate_segment(self, i: int) -> tuple[int, int]:
        """Sample i -> (segment k, step t within its episode)."""
        if not -len(self) <= i < len(self):
            raise IndexError(f"sample {i} out of range for {len(self)} samples")
        i = int(i) % len(self)
        k = int(np.searchsorted(self.seg_offset, i, side="right") - 1)
        return k, int(self.seg_start[k]) + i - int(self.seg_offset[k])

    def _slice(self, j: int, names: tuple[str, ...], start: int, stop: int) -> dict[str, np.ndarray]:
        if self._cache is not None:
            base = int(self.starts[j])
            return {k: self._cache[k][base + start:base + stop] for k in names}
        return self.dataset.read(self.indices[j], names, start, stop)

    def __getitem__(self, i: int) -> dict[str, Any]:
        k, t = self.locate_segment(i)
        j = int(self.seg_episode[k])
        info = self.dataset.episodes[self.indices[j]]
        s0, T, K, H = int(self.seg_start[k]), int(self.seg_stop[k]), self.history, self.horizon
        first = max(s0, t - K + 1)
        obs = self._slice(j, (*self.cameras, schema.PROPRIO), first, t + 1)
        pad = K - (t + 1 - first)
        sample: dict[str, Any] = {}
        for key, v in obs.items():
            sample[key] = np.concatenate([np.repeat(v[:1], pad, axis=0), v]) if pad else np.ascontiguousarray(v)
        sample["history_mask"] = np.arange(K) >= pad
        done_from = int(self.seg_done_from[k])
        # Post-success steps teach ``done`` only: their hold actions are not action targets (a hold at a
        # continuous success threshold, e.g. push's 10 cm, taught the policy to stall just short of it).
        end = done_from if done_from > s0 else T
        if t >= end:
            acts = self._slice(j, ("actions",), end - 1, end)["actions"]
            sample["actions"] = np.tile(hold_action(acts[-1]), (H, 1)).astype(np.float32)
            sample["action_mask"] = np.zeros(H, bool)
        else:
            stop = min(end, t + H)
            acts = self._slice(j, ("actions",), t, stop)["actions"]
            n = stop - t
            if n < H:
                acts = np.concatenate([acts, np.tile(hold_action(acts[-1]), (H - n, 1))])  # n >= 1 as t < end
            sample["actions"] = acts.astype(np.float32, copy=False)
            sample["action_mask"] = np.arange(H) < n
        if done_from >= 0:
            done = t >= done_from
        else:
            done = bool(self.seg_success[k]) and t >= T - self.done_steps
        sample["done"] = np.float32(1.0 if done else 0.0)
        sample["instruction"] = self.seg_text[k]
        sample["task"] = self.seg_task[k]
        sample["episode"] = np.int64(info.index)
        sample["step"] = np.int64(t)
        return sample

    def __repr__(self) -> str:
        return (
            f"WindowDataset(episodes={len(self.indices)}, samples={len(self)}, history={self.history}, "
            f"horizon={self.horizon}, in_memory={self.in_memory}, {self.nbytes / 2**20:.1f} MiB)"
        )


__all__ = ["WindowDataset", "hold_action"]
