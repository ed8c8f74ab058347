"""Flamingo / RoboFlamingo fusion: gated cross-attention to visual tokens interleaved with LM layers.

The text side (instruction tokens, proprio tokens, action queries) runs through the LM's decoder
layers; before every n-th layer a cross-attention block lets it attend to the visual tokens. Gates
are tanh(alpha) with alpha = 0 at start, so a pretrained LM starts out unchanged.
"""

from __future__ import annotations

import torch
from torch import nn

from heron.policies.config import FusionConfig
from heron.policies.fusion import FUSIONS
from heron.policies.fusion.lm import build_lm, lm_width


class GatedCrossAttention(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ff_norm = nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, dim * 2), nn.GELU(), nn.Linear(dim * 2, dim))
        self.attn_gate = nn.Parameter(torch.zeros(1))
        self.ff_gate = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor, media: torch.Tensor) -> torch.Tensor:
        attended, _ = self.attn(self.norm(x), media, media, need_weights=False)
        x = x + torch.tanh(self.attn_gate) * attended
        return x + torch.tanh(self.ff_gate) * self.ff(self.ff_norm(x))


@FUSIONS.register("flamingo")
class FlamingoFusion(nn.Module):
    def __init__(self, cfg: FusionConfig):
        super().__init__()
        if cfg.lm == "gpt2":
            raise ValueError("fusion.type 'flamingo' needs a Llama-style LM (fusion.lm: llama or a pretrained Llama/Qwen2 folder)")
        self.lm = build_lm(cfg)
        for attr in ("layers", "rotary_emb", "norm"):
            if not hasattr(self.lm, attr):
                raise ValueError(f"fusion.type 'flamingo': LM {type(self.lm).__name__} has no '{attr}'; use a Llama-style LM")
        self.dim = lm_width(self.lm)
        self.every = cfg.cross_attn_every
        n_blocks = (len(self.lm.layers) + self.every - 1) // self.every
        heads = max(1, self.dim // 64) if self.dim >= 64 else cfg.num_heads
        self.xattn = nn.ModuleList(GatedCrossAttention(self.dim, heads) for _ in range(n_blocks))
        self.queries = nn.Parameter(torch.randn(cfg.num_queries, self.dim) * 0.02)

    def forward(self, vis: torch.Tensor, prop: torch.Tensor, lang: torch.Tensor, lang_mask: torch.Tensor) -> torch.Tensor:
        b = vis.shape[0]
        q = self.queries.unsqueeze(0).expand(b, -1, -1)
        h = torch.cat([lang, prop, q], dim=1)
        n = h.shape[1]
        keep = torch.cat([lang_mask.to(torch.bool), torch.ones(b, n - lang.shape[1], dtype=torch.bool, device=h.device)], 1)
        causal = torch.ones(n, n, dtype=torch.bool, device=h.device).tril()
        allowed = causal[None, None] & keep[:, None, None, :]
        mask = torch.zeros(allowed.shape, dtype=h.dtype, device=h.device).masked_fill(~allowed, torch.finfo(h.dtype).min)
        position_ids = torch.arange(n, device=h.device).unsqueeze(0).expand(b, -1)
        pos = self.lm.rotary_emb(h, position_ids)
        for i, layer in enumerate(self.lm.layers):
            if i % self.every == 0:
                h = self.xattn[i // self.every](h, vis)
            h = layer(h, attention_mask=mask, position_ids=position_ids, position_embeddings=pos)
            if isinstance(h, tuple):
                h = h[0]
        return self.lm.norm(h)[:, -q.shape[1]:]
