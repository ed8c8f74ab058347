"""ACT / OpenVLA-OFT style: L1 regression of an action chunk (temporal ensembling at run time)."""

from __future__ import annotations

import torch
from torch import nn

from heron.policies.heads import HEADS
from heron.policies.heads.base import Head


@HEADS.register("mlp")
class MLPHead(Head):
    def __init__(self, cfg, in_dim: int, action_dim: int):
        super().__init__(cfg, in_dim, action_dim)
        self.net = nn.Sequential(nn.Linear(in_dim, cfg.hidden), nn.GELU(), nn.Linear(cfg.hidden, cfg.hidden), nn.GELU(),
                                 nn.Linear(cfg.hidden, cfg.chunk * action_dim))

    def forward(self, feat: torch.Tensor, state: torch.Tensor) -> dict:
        action = self.net(feat).view(feat.shape[0], self.cfg.chunk, self.action_dim)
        return {"action": action, "done_logit": self.done(feat).squeeze(-1), "state": state}
