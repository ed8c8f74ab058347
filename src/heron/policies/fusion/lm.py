"""The transformer LM at the centre of the fusion: built from a small config or a local folder."""

from __future__ import annotations

from pathlib import Path

from torch import nn

from heron.policies.config import FusionConfig


def build_lm(cfg: FusionConfig) -> nn.Module:
    from transformers import AutoModel, GPT2Config, GPT2Model, LlamaConfig, LlamaModel

    if cfg.lm == "llama":
        lm = LlamaModel(LlamaConfig(hidden_size=cfg.hidden_size, intermediate_size=cfg.hidden_size * 2,
                                    num_hidden_layers=cfg.num_layers, num_attention_heads=cfg.num_heads,
                                    num_key_value_heads=cfg.num_heads, vocab_size=1, max_position_embeddings=1024,
                                    bos_token_id=None, eos_token_id=None, pad_token_id=None,
                                    attn_implementation="sdpa"))
    elif cfg.lm == "gpt2":
        lm = GPT2Model(GPT2Config(n_embd=cfg.hidden_size, n_layer=cfg.num_layers, n_head=cfg.num_heads, vocab_size=1,
                                  n_positions=1024, attn_implementation="sdpa"))
    else:
        path = Path(cfg.lm_path)
        if not path.is_dir():
            raise FileNotFoundError(f"fusion.lm_path {path} is not a directory (nothing is downloaded at run time)")
        lm = AutoModel.from_pretrained(str(path), local_files_only=True)
    # The LM is fed inputs_embeds only; its token embedding table is never used.
    if hasattr(lm, "embed_tokens"):
        lm.embed_tokens.requires_grad_(False)
    if cfg.freeze_lm:
        lm.requires_grad_(False)
    return lm


def lm_width(lm: nn.Module) -> int:
    c = lm.config
    return int(getattr(c, "hidden_size", None) or c.n_embd)
