"""PaLM-E style fusion: one multimodal sentence through a decoder LM, read out by action queries."""

from __future__ import annotations

import torch
from torch import nn

from heron.policies.config import FusionConfig
from heron.policies.fusion import FUSIONS
from heron.policies.fusion.lm import build_lm, lm_width


@FUSIONS.register("palme")
class PalmeFusion(nn.Module):
    """[visual tokens, proprio tokens, instruction tokens, action queries] -> query features (B, Q, D)."""

    def __init__(self, cfg: FusionConfig):
        super().__init__()
        self.lm = build_lm(cfg)
        self.dim = lm_width(self.lm)
        self.queries = nn.Parameter(torch.randn(cfg.num_queries, self.dim) * 0.02)

    def forward(self, vis: torch.Tensor, prop: torch.Tensor, lang: torch.Tensor, lang_mask: torch.Tensor) -> torch.Tensor:
        return multimodal_sentence(self.lm, self.queries, vis, prop, lang, lang_mask)


def multimodal_sentence(lm: nn.Module, queries: torch.Tensor, vis, prop, lang, lang_mask, **lm_kwargs) -> torch.Tensor:
    """[vis, prop, lang, queries] through ``lm`` (inputs_embeds, padding masked) -> the queries' states (B, Q, D)."""
    q = queries.unsqueeze(0).expand(vis.shape[0], -1, -1)
    seq = torch.cat([vis, prop, lang, q], dim=1)
    ones = lambda t: torch.ones(t.shape[:2], dtype=lang_mask.dtype, device=t.device)  # noqa: E731
    mask = torch.cat([ones(vis), ones(prop), lang_mask, ones(q)], dim=1)
    out = lm(inputs_embeds=seq, attention_mask=mask, **lm_kwargs).last_hidden_state
    return out[:, -q.shape[1]:]
