"""Vision tower: a transformers vision model chosen by config, giving tokens per camera.

Conv towers (ResNet, ConvNeXt) run stage by stage so that the instruction can modulate every stage
(FiLM, initialised to identity): cubes are a few pixels wide at 96 px, and early conditioning lets
the network keep the named one. Transformer towers (ViT, or any local pretrained folder) give their
last hidden states as tokens.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from heron.policies.config import VisionConfig


def build_backbone(cfg: VisionConfig, image_size: int) -> nn.Module:
    from transformers import AutoModel, ConvNextConfig, ConvNextModel, ResNetConfig, ResNetModel, ViTConfig, ViTModel

    if cfg.type == "resnet":
        return ResNetModel(ResNetConfig(num_channels=3, embedding_size=cfg.embedding_size, hidden_sizes=cfg.hidden_sizes,
                                        depths=cfg.depths, layer_type="basic", downsample_in_first_stage=False))
    if cfg.type == "convnext":
        return ConvNextModel(ConvNextConfig(num_channels=3, hidden_sizes=cfg.hidden_sizes, depths=cfg.depths, patch_size=4))
    if cfg.type == "vit":
        return ViTModel(ViTConfig(image_size=image_size, patch_size=cfg.patch_size, hidden_size=cfg.hidden_size,
                                  num_hidden_layers=cfg.num_layers, num_attention_heads=max(1, cfg.hidden_size // 64),
                                  intermediate_size=cfg.hidden_size * 4), add_pooling_layer=False)
    path = Path(cfg.pretrained_path)
    if not path.is_dir():
        raise FileNotFoundError(f"vision.pretrained_path {path} is not a directory (nothing is downloaded at run time)")
    model = AutoModel.from_pretrained(str(path), local_files_only=True)
    return getattr(model, "vision_model", model)  # CLIP / SigLIP: keep the vision tower only


class FiLM(nn.Module):
    """Feature-wise affine modulation from a conditioning vector; starts as the identity."""

    def __init__(self, cond_dim: int, channels: int):
        super().__init__()
        self.proj = nn.Linear(cond_dim, 2 * channels)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        gamma, beta = self.proj(cond).chunk(2, dim=-1)
        return x * (1 + gamma[:, :, None, None]) + beta[:, :, None, None]


class VisionTower(nn.Module):
    """images float (N, 3, H, W) in [-1, 1], cond (N, C) -> tokens (N, T, D)."""

    def __init__(self, cfg: VisionConfig, image_size: int, cond_dim: int):
        super().__init__()
        self.cfg = cfg
        self.backbone = build_backbone(cfg, image_size)
        self.staged = cfg.type in ("resnet", "convnext")
        self.film = None
        if self.staged and cfg.film:
            self.film = nn.ModuleList(FiLM(cond_dim, c) for c in cfg.hidden_sizes)
        if cfg.frozen:
            self.backbone.requires_grad_(False)
        with torch.no_grad():
            probe = self._tokens(torch.zeros(1, 3, image_size, image_size), torch.zeros(1, cond_dim))
        self.num_tokens, self.dim = int(probe.shape[1]), int(probe.shape[2])

    def _tokens(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        if not self.staged:
            out = self.backbone(pixel_values=x).last_hidden_state
            return out if out.dim() == 3 else out.flatten(2).transpose(1, 2)
        stem = self.backbone.embedder if self.cfg.type == "resnet" else self.backbone.embeddings
        h = stem(x)
        for i, stage in enumerate(self.backbone.encoder.stages):
            h = stage(h)
            if self.film is not None:
                h = self.film[i](h, cond)
        if self.cfg.pool:
            h = nn.functional.adaptive_avg_pool2d(h, self.cfg.pool)
        return h.flatten(2).transpose(1, 2)  # (N, h*w, C)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        return self._tokens(x, cond)
