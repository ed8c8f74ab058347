"""An exponential moving average of the policy's saved weights, for evaluation and export.

``torch.optim.swa_utils.AveragedModel`` averages every parameter of the module, the frozen MiniLM and
VLM weights too (about 22 M of them against the small policy's 0.9 M trained ones), which never change;
this averages only what ``trainable_state_dict()`` saves (trained weights and BatchNorm statistics), in
one fused ``torch._foreach_lerp_`` per step.
"""

from __future__ import annotations

import copy

import torch

from heron.policies.model import HeronPolicy


class WeightAverage:
    """``model``'s averaged twin: ``update()`` after each optimizer step; ``model`` is a full policy to save."""

    def __init__(self, source: HeronPolicy, decay: float):
        self.decay = decay
        self.updates = 0
        self.model = copy.deepcopy(source).eval().requires_grad_(False)
        mine, theirs = self.model.state_dict(keep_vars=True), source.state_dict(keep_vars=True)
        keys = list(self.model.trainable_state_dict())
        floats = [k for k in keys if mine[k].is_floating_point()]
        self._averaged, self._current = [mine[k].data for k in floats], [theirs[k].data for k in floats]
        self._copied = [(mine[k].data, theirs[k].data) for k in keys if not mine[k].is_floating_point()]

    @torch.no_grad()
    def update(self) -> None:
        self.updates += 1
        d = min(self.decay, (1 + self.updates) / (10 + self.updates))
        torch._foreach_lerp_(self._averaged, self._current, 1.0 - d)
        for a, b in self._copied:  # integer buffers (BatchNorm's batch counts): the latest
            a.copy_(b)

    def state_dict(self) -> dict:
        return {"updates": self.updates}

    def load_state_dict(self, state: dict) -> None:
        self.updates = int(state["updates"])
