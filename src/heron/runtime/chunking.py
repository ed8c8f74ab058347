"""Action chunks -> one action per step: ACT-style temporal ensembling, or a plain queue.

``type: none``     use each step's ``StepOutput.action``; the policy runs every step.
``type: ensemble`` the policy runs every step; the action for step t is the weighted mean of every
                   chunk's prediction for t, weight exp(-k * i) with i = 0 the oldest prediction
                   (ACT, Zhao et al. 2023). k = 0 is a plain mean; larger k trusts old chunks more.
``type: queue``    run the policy, execute the first ``n_action_steps`` actions of its chunk, then
                   run it again (diffusion-policy style; fewer inferences per second).
A policy without ``chunk`` behaves as chunk = [action] in every mode.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from heron.runtime.interfaces import StepOutput

CHUNKING_TYPES = ("none", "ensemble", "queue")


@dataclass
class ChunkingConfig:
    type: str = "ensemble"
    k: float = 0.01  # ensemble: exponential weight decay per step of age
    horizon: int | None = None  # use at most this many actions of each chunk (None: all)
    n_action_steps: int = 4  # queue: actions executed per inference

    def __post_init__(self):
        if self.type not in CHUNKING_TYPES:
            raise ValueError(f"chunking.type={self.type!r}: allowed {', '.join(CHUNKING_TYPES)}")
        if not (self.k >= 0):
            raise ValueError(f"chunking.k={self.k!r}: must be >= 0")
        if self.horizon is not None and self.horizon < 1:
            raise ValueError(f"chunking.horizon={self.horizon!r}: must be >= 1 or null")
        if self.n_action_steps < 1:
            raise ValueError(f"chunking.n_action_steps={self.n_action_steps!r}: must be >= 1")

    @classmethod
    def from_dict(cls, d: dict | None) -> "ChunkingConfig":
        d = dict(d or {})
        unknown = sorted(set(d) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValueError(f"chunking: unknown keys {unknown}; allowed: {sorted(cls.__dataclass_fields__)}")
        return cls(**d)


class ActionChunker:
    """Turns the policy's outputs into one action per step. Call ``needs_inference()``, then
    ``add(output)`` if it was true, then ``next()`` once per step. ``clear()`` on a new instruction."""

    def __init__(self, config: ChunkingConfig | None = None, action_dim: int | None = None):
        self.config = config or ChunkingConfig()
        self.action_dim = action_dim  # None: the size of the first action added
        self.clear()

    def clear(self) -> None:
        self.t = 0  # index of the next step to act
        self._chunks: deque[tuple[int, np.ndarray]] = deque()  # (first step, (H, 5))
        self.done = 0.0

    def __len__(self) -> int:
        """Steps of queued actions left (queue mode) / chunks held (ensemble mode)."""
        if self.config.type == "queue":
            return sum(max(0, s + len(c) - self.t) for s, c in self._chunks)
        return len(self._chunks)

    def needs_inference(self) -> bool:
        if self.config.type != "queue":
            return True
        return len(self) == 0

    def add(self, out: StepOutput) -> None:
        chunk = out.chunk if out.chunk is not None else np.asarray(out.action)[None]
        chunk = np.asarray(chunk, dtype=np.float32)
        width = self.action_dim or int(np.asarray(out.action).size)  # the policy's action size, kept once seen
        if chunk.ndim != 2 or len(chunk) == 0 or chunk.shape[1] != width:
            raise ValueError(f"policy chunk has shape {chunk.shape}; expected (H, {width}) with H >= 1")
        self.action_dim = width
        cfg = self.config
        if cfg.type == "none":
            chunk = np.asarray(out.action, dtype=np.float32).reshape(1, -1)
        elif cfg.type == "queue":
            chunk = chunk[: min(cfg.n_action_steps, cfg.horizon or len(chunk))]
        elif cfg.horizon:
            chunk = chunk[: cfg.horizon]
        if cfg.type != "ensemble":
            self._chunks.clear()
        self._chunks.append((self.t, chunk))
        self.done = float(out.done)

    def next(self) -> np.ndarray:
        """The action for the current step; advances one step. Raises if nothing covers it."""
        t = self.t
        while self._chunks and self._chunks[0][0] + len(self._chunks[0][1]) <= t:
            self._chunks.popleft()  # expired: every prediction of it lies in the past
        preds = [c[t - s] for s, c in self._chunks if s <= t < s + len(c)]
        if not preds:
            raise RuntimeError(f"no action queued for step {t}: call add() when needs_inference() is true")
        self.t += 1
        if len(preds) == 1 or self.config.type != "ensemble":
            return preds[-1].copy()
        w = np.exp(-self.config.k * np.arange(len(preds)))  # oldest first
        return (np.tensordot(w / w.sum(), np.stack(preds), axes=1)).astype(np.float32)


class ChunkedPolicy:
    """A policy whose ``act`` returns the action to execute now: its chunks pass through an ``ActionChunker``
    (ACT-style temporal ensembling by default), as the control loop does. Other attributes are the wrapped
    policy's (``image_size``, ``cameras``, ``provider``, ...)."""

    def __init__(self, policy, config: ChunkingConfig | None = None):
        self.policy = policy
        self.chunker = ActionChunker(config)

    def reset(self) -> None:
        self.policy.reset()
        self.chunker.clear()

    def set_instruction(self, text: str) -> None:
        self.policy.set_instruction(text)
        self.chunker.clear()

    def act(self, obs) -> StepOutput:
        out = None
        if self.chunker.needs_inference():
            out = self.policy.act(obs)
            self.chunker.add(out)
        action = self.chunker.next()
        return StepOutput(action=action, done=self.chunker.done, chunk=None if out is None else out.chunk)

    def __getattr__(self, name):
        return getattr(self.policy, name)
