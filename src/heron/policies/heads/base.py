"""What every head shares: the `done` output (RT-1 style termination) and the masked losses."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from heron.policies.config import HeadConfig


class Head(nn.Module):
    """features (B, F) [, state (B, S)] -> dict(action (B, H, A), done_logit (B,), state (B, S))."""

    recurrent = False

    def __init__(self, cfg: HeadConfig, in_dim: int, action_dim: int):
        super().__init__()
        self.cfg, self.action_dim = cfg, action_dim
        self.done = nn.Sequential(nn.Linear(in_dim, 64), nn.GELU(), nn.Linear(64, 1))

    def state_size(self) -> int:
        return 1  # non-recurrent heads pass a 1-wide dummy state through

    def done_loss(self, logit: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(logit, target)

    def action_loss(self, out: dict, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """target (B, H, A) in [-1, 1], mask (B, H) of valid steps."""
        err = (out["action"] - target).abs().mean(-1)
        return (err * mask).sum() / mask.sum().clamp(min=1)
