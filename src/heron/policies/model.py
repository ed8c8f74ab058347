"""HeronPolicy: camera frames + proprioception + instruction tokens -> action chunk, done, state.

The tensor core is pure (tensors in, tensors out) so it exports to ONNX unchanged; tokenisation,
history buffers, ensembling and the action queue live in plain Python around it (agent/runtime).

Shapes (B batch, C cameras in ``cfg.cameras`` order, K history frames, L instruction tokens):
    images    uint8   (B, C, K, H, W, 3)
    proprio   float32 (B, K, 22)          raw units; normalised inside with the dataset statistics
    lang      float32 (B, L, D_lang)      token features from ``encode_instruction``
    lang_mask int64   (B, L)
    state     float32 (B, S)              recurrent state (S = head.state_size(); 1 and unused for mlp/bins)
 -> action    float32 (B, H, 5) in [-1, 1], done_logit (B,), state (B, S)
"""

from __future__ import annotations

import torch
from torch import nn

from heron.policies.config import PolicyConfig
from heron.policies.fusion import FUSIONS
from heron.policies.heads import HEADS
from heron.policies.language import LanguageEncoder
from heron.policies.schema import RGB_WRIST
from heron.policies.vision import VisionTower

COND_DIM = 128


class AttentionPool(nn.Module):
    """N learned queries read the instruction's tokens: lang (B, L, D), mask (B, L) -> (B, N*D).

    A mean over the tokens mixes the few colour words with every template word; a query can learn
    to read the named object's colour, another the base's, whatever the phrasing.
    """

    def __init__(self, dim: int, queries: int):
        super().__init__()
        self.key = nn.Linear(dim, dim)
        self.query = nn.Parameter(torch.randn(queries, dim) * dim**-0.5)

    def forward(self, lang: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        scores = torch.einsum("bld,nd->bnl", self.key(lang), self.query.to(lang.dtype))
        scores = scores.masked_fill(mask[:, None, :] == 0, -1e4)
        weights = scores.softmax(-1).to(lang.dtype)
        return torch.einsum("bnl,bld->bnd", weights, lang).flatten(1)


class HeronPolicy(nn.Module):
    def __init__(self, cfg: PolicyConfig):
        super().__init__()
        self.cfg = cfg
        self.vlm = cfg.fusion.type == "vlm"
        if not self.vlm:
            self.language = LanguageEncoder(cfg.language)
        self.fusion = FUSIONS.get(cfg.fusion.type)(cfg.fusion)
        d = self.fusion.dim
        if self.vlm:  # the VLM brings its own vision tower, projector, tokenizer and embeddings
            from heron.policies.fusion.vlm import VlmInstructionEmbedder

            self.language = VlmInstructionEmbedder(self.fusion, cfg.language)
            self.camera_emb = nn.Parameter(torch.randn(len(cfg.cameras), 1, d) * 0.02)
        else:
            self.lang_proj = nn.Linear(self.language.dim, d)
            self.cond_pool = AttentionPool(self.language.dim, cfg.cond_queries) if cfg.cond_queries else None
            cond_in = self.language.dim * max(1, cfg.cond_queries)
            self.cond = nn.Sequential(nn.Linear(cond_in, COND_DIM), nn.GELU(), nn.Linear(COND_DIM, COND_DIM))
            self.vision = VisionTower(cfg.vision, cfg.image_size, COND_DIM)
            self.vis_proj = nn.Linear(self.vision.dim, d)
            self.camera_emb = nn.Parameter(torch.randn(len(cfg.cameras), 1, d) * 0.02)
            self.token_pos = nn.Parameter(torch.randn(self.vision.num_tokens, d) * 0.02)
        self.time_emb = nn.Parameter(torch.randn(cfg.history, 1, d) * 0.02)
        self.proprio_mlp = nn.Sequential(nn.Linear(cfg.proprio_dim, d), nn.GELU(), nn.Linear(d, d * cfg.proprio_tokens))
        self.head = HEADS.get(cfg.head.type)(cfg.head, d * cfg.fusion.num_queries, cfg.action_dim)
        self.register_buffer("proprio_mean", torch.zeros(cfg.proprio_dim))
        self.register_buffer("proprio_std", torch.ones(cfg.proprio_dim))

    # -- statistics ---------------------------------------------------------------------------
    def set_stats(self, stats: dict) -> None:
        """Dataset statistics: ``{"proprio": {"mean": [...], "std": [...]}}``."""
        mean = torch.as_tensor(stats["proprio"]["mean"], dtype=torch.float32)
        std = torch.as_tensor(stats["proprio"]["std"], dtype=torch.float32)
        if mean.shape != self.proprio_mean.shape or std.shape != self.proprio_std.shape:
            raise ValueError(f"proprio statistics have shape {tuple(mean.shape)}, the policy expects {tuple(self.proprio_mean.shape)}")
        self.proprio_mean.copy_(mean)
        self.proprio_std.copy_(std.clamp(min=1e-3))

    # -- language -----------------------------------------------------------------------------
    def encode_instruction(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.language(input_ids, attention_mask)

    # -- the step -----------------------------------------------------------------------------
    def forward(self, images, proprio, lang, lang_mask, state) -> dict:
        b, c, k = images.shape[:3]
        x = images.permute(0, 1, 2, 5, 3, 4).reshape(b * c * k, 3, images.shape[3], images.shape[4])
        if self.vlm:
            tok = self.fusion.image_tokens(x.to(torch.float32) / 255.0)  # (B*C*K, T, d)
            lang_tok = lang
        else:
            if self.cond_pool is None:
                mask = lang_mask.to(lang.dtype).unsqueeze(-1)
                pooled = (lang * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            else:
                pooled = self.cond_pool(lang, lang_mask)
            cond = self.cond(pooled)  # (B, COND)
            x = x.to(torch.float32) / 127.5 - 1.0
            if self.cfg.wrist_scale == 1:
                tok = self.vision(x, cond.repeat_interleave(c * k, dim=0))
            else:
                tok = self._vision_scaled(x.view(b, c, k, *x.shape[1:]), cond)
            tok = self.vis_proj(tok) + self.token_pos
            lang_tok = self.lang_proj(lang)
        tok = tok.view(b, c, k, tok.shape[1], tok.shape[2]) + self.camera_emb[None, :, None]
        prop = self.proprio_mlp((proprio - self.proprio_mean) / self.proprio_std)  # (B, K, d*P)
        prop = prop.view(b, k, self.cfg.proprio_tokens, -1)
        if self.head.recurrent:
            # Fuse each time step on its own; the LSTM head carries the history.
            vis = tok.permute(0, 2, 1, 3, 4).reshape(b * k, -1, tok.shape[-1])
            rep = lambda t: t.repeat_interleave(k, dim=0)  # noqa: E731
            feat = self.fusion(vis, prop.reshape(b * k, self.cfg.proprio_tokens, -1), rep(lang_tok), rep(lang_mask))
            return self.head(feat.reshape(b, k, -1), state)
        tok = tok + self.time_emb[-k:][None, None]
        vis = tok.reshape(b, -1, tok.shape[-1])
        prop = (prop + self.time_emb[-k:][None]).reshape(b, k * self.cfg.proprio_tokens, -1)
        feat = self.fusion(vis, prop, lang_tok, lang_mask)
        return self.head(feat.reshape(b, -1), state)

    def _vision_scaled(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """x in [-1, 1] (B, C, K, 3, H, W) -> tokens (B*C*K, T, D), the wrist camera pooled by ``wrist_scale`` first."""
        b, c, k = x.shape[:3]
        cond_k = cond.repeat_interleave(k, dim=0)
        toks = []
        for i, cam in enumerate(self.cfg.cameras):
            xi = x[:, i].reshape(b * k, *x.shape[3:])
            if cam == RGB_WRIST:
                xi = nn.functional.avg_pool2d(xi, self.cfg.wrist_scale)
            toks.append(self.vision(xi, cond_k).view(b, 1, k, -1, self.vision.dim))
        return torch.cat(toks, 1).reshape(b * c * k, -1, self.vision.dim)

    def initial_state(self, batch: int = 1) -> torch.Tensor:
        return torch.zeros(batch, self.head.state_size())

    def external_keys(self) -> set[str]:
        """State-dict keys not saved: frozen pretrained weights, referenced by path and hash instead."""
        keys = set(self.state_dict())
        external = {k for k in keys if k.startswith("language.")} if self.language.external_weights else set()
        if self.vlm:
            external |= self.fusion.external_keys("fusion.")
        return external

    def trainable_state_dict(self) -> dict[str, torch.Tensor]:
        """Weights to save: everything but ``external_keys()``."""
        external = self.external_keys()
        return {k: v for k, v in self.state_dict().items() if k not in external}
