"""RT-2 / OpenVLA style: 256 bins per action dimension, cross-entropy; argmax bin centre at run time."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from heron.policies.heads import HEADS
from heron.policies.heads.base import Head


@HEADS.register("bins")
class BinsHead(Head):
    def __init__(self, cfg, in_dim: int, action_dim: int):
        super().__init__(cfg, in_dim, action_dim)
        self.net = nn.Sequential(nn.Linear(in_dim, cfg.hidden), nn.GELU(),
                                 nn.Linear(cfg.hidden, cfg.chunk * action_dim * cfg.num_bins))
        self.register_buffer("centers", torch.linspace(-1.0, 1.0, cfg.num_bins), persistent=False)

    def forward(self, feat: torch.Tensor, state: torch.Tensor) -> dict:
        logits = self.net(feat).view(feat.shape[0], self.cfg.chunk, self.action_dim, self.cfg.num_bins)
        action = self.centers[logits.argmax(-1)]
        return {"action": action, "logits": logits, "done_logit": self.done(feat).squeeze(-1), "state": state}

    def action_loss(self, out: dict, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        n = self.cfg.num_bins
        idx = ((target.clamp(-1, 1) + 1) / 2 * (n - 1)).round().long()
        ce = F.cross_entropy(out["logits"].flatten(0, 2), idx.flatten(), reduction="none").view(idx.shape).mean(-1)
        return (ce * mask).sum() / mask.sum().clamp(min=1)
