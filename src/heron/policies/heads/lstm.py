"""RoboFlamingo's policy head: an LSTM over the per-step fused features, with explicit state.

Training runs it over the K-step window from a zero state (truncated BPTT); at run time one step is
fed per call and the state (h, c) is passed in and out explicitly, so the ONNX graph stays pure.
"""

from __future__ import annotations

import torch
from torch import nn

from heron.policies.heads import HEADS
from heron.policies.heads.base import Head


@HEADS.register("lstm")
class LSTMHead(Head):
    recurrent = True

    def __init__(self, cfg, in_dim: int, action_dim: int):
        super().__init__(cfg, cfg.hidden, action_dim)
        self.lstm = nn.LSTM(in_dim, cfg.hidden, num_layers=cfg.lstm_layers, batch_first=True)
        self.out = nn.Sequential(nn.Linear(cfg.hidden, cfg.hidden), nn.GELU(), nn.Linear(cfg.hidden, cfg.chunk * action_dim))

    def state_size(self) -> int:
        return 2 * self.cfg.lstm_layers * self.cfg.hidden

    def forward(self, feat: torch.Tensor, state: torch.Tensor) -> dict:
        """feat (B, T, F) per-step features; state (B, 2 * layers * hidden)."""
        b = feat.shape[0]
        layers, hid = self.cfg.lstm_layers, self.cfg.hidden
        hc = state.view(b, 2, layers, hid).permute(1, 2, 0, 3).contiguous()
        seq, (h, c) = self.lstm(feat, (hc[0], hc[1]))
        last = seq[:, -1]
        action = self.out(last).view(b, self.cfg.chunk, self.action_dim)
        new_state = torch.stack([h, c]).permute(2, 0, 1, 3).reshape(b, -1)
        return {"action": action, "done_logit": self.done(last).squeeze(-1), "state": new_state}
