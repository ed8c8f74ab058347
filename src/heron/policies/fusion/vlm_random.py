"""Random-weight VLM folders, made offline from transformers configs: tiny ones for tests, real-size ones
for measuring what a full VLM costs (``heron bench vlm``). Nothing is downloaded.

Each folder is what ``fusion.vlm_path`` expects: ``config.json`` + ``model.safetensors`` (save_pretrained),
``tokenizer.json`` (a word-level tokenizer over heron's instruction vocabulary) and
``preprocessor_config.json`` (the architecture's image mean, std and size).
"""

from __future__ import annotations

import json
from pathlib import Path

CLIP_MEAN, CLIP_STD = [0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711]

# SmolVLM-256M and -500M share one vision tower (SigLIP base, patch 16, 512 px).
SMOLVLM_VISION = dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12, image_size=512,
                      patch_size=16)

# Real sizes from the published configs (SmolVLM-256M/500M-Instruct, paligemma-3b-pt-224, Qwen2-VL-2B).
SIZES: dict[str, dict] = {
    "smolvlm-256m": {"arch": "smolvlm",
                     "vision": SMOLVLM_VISION,
                     "text": dict(hidden_size=576, intermediate_size=1536, num_hidden_layers=30, num_attention_heads=9,
                                  num_key_value_heads=3, vocab_size=49280, rope_theta=100000.0, max_position_embeddings=8192),
                     "scale_factor": 4},
    "smolvlm-500m": {"arch": "smolvlm",
                     "vision": SMOLVLM_VISION,
                     "text": dict(hidden_size=960, intermediate_size=2560, num_hidden_layers=32, num_attention_heads=15,
                                  num_key_value_heads=5, vocab_size=49280, rope_theta=100000.0, max_position_embeddings=8192),
                     "scale_factor": 4},
    "paligemma-3b": {"arch": "paligemma",
                     "vision": dict(hidden_size=1152, intermediate_size=4304, num_hidden_layers=27, num_attention_heads=16,
                                    image_size=224, patch_size=14),
                     "text": dict(hidden_size=2048, intermediate_size=16384, num_hidden_layers=18, num_attention_heads=8,
                                  num_key_value_heads=1, head_dim=256, vocab_size=257216)},
    "qwen2-vl-2b": {"arch": "qwen2_vl",
                    "vision": dict(depth=32, embed_dim=1280, num_heads=16, mlp_ratio=4, patch_size=14),
                    "text": dict(hidden_size=1536, intermediate_size=8960, num_hidden_layers=28, num_attention_heads=12,
                                 num_key_value_heads=2, vocab_size=151936)},
}


def _tiny(arch: str) -> dict:
    vision = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2, image_size=64, patch_size=8)
    text = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1,
                vocab_size=2048, max_position_embeddings=512)
    if arch == "paligemma":
        vision["image_size"] = 32
        text["head_dim"] = 16
    if arch in ("qwen2_vl", "qwen2_5_vl"):
        vision = dict(depth=1, embed_dim=32, num_heads=2, mlp_ratio=2, patch_size=8)
    return {"arch": arch, "vision": vision, "text": text, "scale_factor": 2}


def build_config(arch: str, spec: dict):
    import transformers as tf

    v, t = dict(spec["vision"]), dict(spec["text"])
    if arch in ("idefics3", "smolvlm"):
        cls = tf.Idefics3Config if arch == "idefics3" else tf.SmolVLMConfig
        return cls(vision_config=v, text_config={"model_type": "llama", **t}, scale_factor=spec.get("scale_factor", 2),
                   image_token_id=t["vocab_size"] - 1)
    if arch == "paligemma":
        return tf.PaliGemmaConfig(vision_config={"model_type": "siglip_vision_model", **v},
                                  text_config={"model_type": "gemma", **t}, projection_dim=t["hidden_size"],
                                  image_token_index=t["vocab_size"] - 1)
    if arch in ("qwen2_vl", "qwen2_5_vl"):
        head_dim = t["hidden_size"] // t["num_attention_heads"]
        quarter = head_dim // 4  # M-RoPE sections (temporal, height, width) over head_dim / 2 frequencies
        t["rope_parameters"] = {"rope_type": "default", "rope_theta": 1000000.0,
                                "mrope_section": [head_dim // 2 - 2 * quarter, quarter, quarter]}
        v["hidden_size"] = t["hidden_size"]  # the merger's output width is the LM's
        if arch == "qwen2_vl":
            return tf.Qwen2VLConfig(vision_config=v, text_config=t, image_token_id=t["vocab_size"] - 1)
        width = v.pop("embed_dim")
        v.update(out_hidden_size=t["hidden_size"], hidden_size=width, intermediate_size=width * v.pop("mlp_ratio"),
                 fullatt_block_indexes=[0], window_size=2 * v["patch_size"] * 2)
        return tf.Qwen2_5_VLConfig(vision_config=v, text_config=t, image_token_id=t["vocab_size"] - 1)
    raise ValueError(f"unknown architecture {arch!r}")


def _preprocessor(arch: str, config) -> dict:
    if arch in ("idefics3", "smolvlm"):
        size = int(config.vision_config.image_size)
        return {"image_processor_type": "Idefics3ImageProcessor", "do_rescale": True, "rescale_factor": 1 / 255,
                "do_normalize": True, "image_mean": [0.5] * 3, "image_std": [0.5] * 3,
                "size": {"longest_edge": size}, "max_image_size": {"longest_edge": size}}
    if arch == "paligemma":
        size = int(config.vision_config.image_size)
        return {"image_processor_type": "SiglipImageProcessor", "do_rescale": True, "rescale_factor": 1 / 255,
                "do_normalize": True, "image_mean": [0.5] * 3, "image_std": [0.5] * 3, "size": {"height": size, "width": size}}
    vc = config.vision_config
    return {"image_processor_type": "Qwen2VLImageProcessor", "do_rescale": True, "rescale_factor": 1 / 255,
            "do_normalize": True, "image_mean": CLIP_MEAN, "image_std": CLIP_STD, "patch_size": int(vc.patch_size),
            "merge_size": int(vc.spatial_merge_size), "temporal_patch_size": int(vc.temporal_patch_size),
            "size": {"shortest_edge": 56 * 56, "longest_edge": 28 * 28 * 1280}}


WORDS = """pick up lift grab take the a an block cube red green blue yellow purple orange put place it in on into
onto tray bowl zone box left right forward back backward front push slide move shove touch tap poke stack top of
and then to from near far side corner square circle target"""


def write_word_tokenizer(folder: Path, vocab_size: int) -> None:
    """A word-level tokenizer over heron's instruction vocabulary (ids below the model's vocab size)."""
    from tokenizers import Tokenizer, normalizers, pre_tokenizers
    from tokenizers.models import WordLevel

    words = ["[PAD]", "[UNK]"] + sorted(set(WORDS.split()))
    vocab = {w: i for i, w in enumerate(words[: vocab_size - 1])}
    tok = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.save(str(folder / "tokenizer.json"))


def make_random_vlm(folder: str | Path, arch: str = "smolvlm", size: str = "tiny", seed: int = 0) -> Path:
    """Write a random-weight VLM folder of ``arch`` at ``size`` ("tiny" or a key of SIZES)."""
    import torch
    from transformers import AutoModel

    spec = _tiny(arch) if size == "tiny" else SIZES[size]
    arch = spec["arch"]
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config = build_config(arch, spec)
    torch.manual_seed(seed)
    model = AutoModel.from_config(config)
    model.save_pretrained(str(folder))
    (folder / "preprocessor_config.json").write_text(json.dumps(_preprocessor(arch, config), indent=2))
    write_word_tokenizer(folder, int(spec["text"]["vocab_size"]))
    return folder
