"""The policy's model config: which towers, which fusion, which head. Training settings live elsewhere."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from heron.configs import CONFIG_DIR as SHIPPED
from heron.configtools import ConfigError, apply_overrides, from_dict, load_yaml
from heron.policies.schema import ACTION_DIM, CAMERAS, PROPRIO_DIM, RGB_WRIST

CONFIG_DIR = SHIPPED / "policy"


@dataclass
class VisionConfig:
    """A transformers vision tower: built from a small config (random init) or ``pretrained_path``."""

    type: Literal["resnet", "convnext", "vit", "pretrained"] = "resnet"
    pretrained_path: str | None = None  # a local from_pretrained folder (type: pretrained)
    embedding_size: int = 32  # resnet/convnext stem width
    hidden_sizes: list[int] = field(default_factory=lambda: [32, 64, 96])
    depths: list[int] = field(default_factory=lambda: [1, 1, 1])
    patch_size: int = 8  # vit
    hidden_size: int = 128  # vit
    num_layers: int = 2  # vit
    film: bool = True  # language FiLM after every stage (resnet/convnext): early grounding
    pool: int | None = None  # conv towers: average-pool the final feature map to pool x pool tokens
    frozen: bool = False

    def __post_init__(self):
        if self.type == "pretrained" and not self.pretrained_path:
            raise ConfigError("vision.pretrained_path is required when vision.type is 'pretrained'")
        if len(self.hidden_sizes) != len(self.depths):
            raise ConfigError(f"vision.hidden_sizes {self.hidden_sizes} and vision.depths {self.depths} must have the same length")


@dataclass
class LanguageConfig:
    """The instruction encoder: the frozen MiniLM package by default, or any local HF encoder/decoder."""

    type: Literal["minilm", "pretrained", "tiny", "vlm"] = "minilm"
    path: str | None = None  # local folder for type: pretrained (type: vlm sets it to fusion.vlm_path)
    max_tokens: int = 24
    frozen: bool = True
    tiny_dim: int = 64  # type: tiny (tests): a randomly initialised 1-layer BERT over MiniLM's vocab

    def __post_init__(self):
        if self.type == "pretrained" and not self.path:
            raise ConfigError("language.path is required when language.type is 'pretrained'")
        if not 4 <= self.max_tokens <= 128:
            raise ConfigError(f"language.max_tokens={self.max_tokens}: allowed 4..128")


@dataclass
class FusionConfig:
    type: Literal["palme", "flamingo", "vlm"] = "palme"
    lm: Literal["llama", "gpt2", "pretrained"] = "llama"
    lm_path: str | None = None
    hidden_size: int = 128
    num_layers: int = 2
    num_heads: int = 4
    num_queries: int = 1  # learned action-query tokens read out after the LM
    cross_attn_every: int = 1  # flamingo: a gated cross-attention block before every n-th LM layer
    freeze_lm: bool = False
    # type: vlm (heron/policies/fusion/vlm.py): a whole transformers VLM from a local folder
    vlm_path: str | None = None
    vlm_sha256: str | None = None  # recorded on first build, checked on every later one
    vlm_layers: int | None = None  # keep only the first N LM layers (SmolVLA keeps half)
    vlm_image_size: int | None = None  # per-frame size fed to the vision tower (default: the VLM's own)
    freeze_vision: bool = True  # vision tower and projector
    lora_rank: int = 0  # LoRA adapters (peft) on the LM's attention projections; 0 = off
    lora_alpha: int = 16
    gradient_checkpointing: bool = False

    def __post_init__(self):
        if self.type == "vlm" and not self.vlm_path:
            raise ConfigError("fusion.vlm_path is required when fusion.type is 'vlm' (a local VLM folder)")
        if self.vlm_image_size is not None and not 16 <= self.vlm_image_size <= 1024:
            raise ConfigError(f"fusion.vlm_image_size={self.vlm_image_size}: allowed 16..1024 (one global image per frame)")
        if self.lora_rank < 0:
            raise ConfigError(f"fusion.lora_rank={self.lora_rank}: allowed 0 (off) or a positive rank")
        if self.hidden_size % self.num_heads:
            raise ConfigError(f"fusion.hidden_size={self.hidden_size} must be divisible by fusion.num_heads={self.num_heads}")
        if self.lm == "pretrained" and not self.lm_path:
            raise ConfigError("fusion.lm_path is required when fusion.lm is 'pretrained'")


@dataclass
class HeadConfig:
    type: Literal["mlp", "lstm", "bins"] = "mlp"
    chunk: int = 8  # action chunk length H
    hidden: int = 256
    num_bins: int = 256  # bins head
    lstm_layers: int = 1

    def __post_init__(self):
        if not 1 <= self.chunk <= 64:
            raise ConfigError(f"head.chunk={self.chunk}: allowed 1..64")


@dataclass
class PolicyConfig:
    name: str = "custom"
    image_size: int = 96
    cameras: list[str] = field(default_factory=lambda: list(CAMERAS))
    history: int = 1  # K frames of history
    cond_queries: int = 0  # FiLM conditioning: 0 = the mean of the instruction's tokens; N = N learned attention queries
    wrist_scale: int = 1  # average-pool the wrist camera's frames by this factor inside the model (input stays image_size)
    proprio_dim: int = PROPRIO_DIM
    proprio_tokens: int = 1
    action_dim: int = ACTION_DIM
    # names of the proprio and action values, as the environment declares them (empty: not recorded)
    state_names: list[str] = field(default_factory=list)
    action_names: list[str] = field(default_factory=list)
    vision: VisionConfig = field(default_factory=VisionConfig)
    language: LanguageConfig = field(default_factory=LanguageConfig)
    fusion: FusionConfig = field(default_factory=FusionConfig)
    head: HeadConfig = field(default_factory=HeadConfig)

    def __post_init__(self):
        if not 32 <= self.image_size <= 512:
            raise ConfigError(f"image_size={self.image_size}: allowed 32..512")
        bad = [c for c in self.cameras if not (isinstance(c, str) and c.startswith("rgb_") and len(c) > 4)]
        if bad or not self.cameras or len(set(self.cameras)) != len(self.cameras):
            raise ConfigError(f"cameras={self.cameras}: a non-empty list of distinct camera keys named rgb_<camera> "
                              f"(the tabletop's: {list(CAMERAS)})")
        if not 1 <= self.proprio_dim <= 1024 or not 1 <= self.action_dim <= 64:
            raise ConfigError(f"proprio_dim={self.proprio_dim}, action_dim={self.action_dim}: allowed 1..1024 and 1..64")
        for key, names, dim in (("state_names", self.state_names, self.proprio_dim), ("action_names", self.action_names, self.action_dim)):
            if names and len(names) != dim:
                raise ConfigError(f"{key} has {len(names)} names for {dim} values")
        if not 1 <= self.history <= 16:
            raise ConfigError(f"history={self.history}: allowed 1..16")
        if not 0 <= self.cond_queries <= 16:
            raise ConfigError(f"cond_queries={self.cond_queries}: allowed 0 (mean of the tokens) .. 16")
        if self.wrist_scale != 1:
            if self.wrist_scale not in (2, 4) or self.image_size % self.wrist_scale:
                raise ConfigError(f"wrist_scale={self.wrist_scale}: allowed 1, 2 or 4, dividing image_size={self.image_size}")
            if RGB_WRIST not in self.cameras:
                raise ConfigError(f"wrist_scale={self.wrist_scale} pools the wrist camera, but cameras={self.cameras} has no {RGB_WRIST}")
            if self.vision.type not in ("resnet", "convnext") or not self.vision.pool or self.fusion.type == "vlm":
                raise ConfigError(f"wrist_scale={self.wrist_scale} needs a conv tower with vision.pool set (both cameras "
                                  f"give pool x pool tokens); vision.type={self.vision.type}, vision.pool={self.vision.pool}")
        if self.fusion.type == "vlm":  # the VLM's own tokenizer and embeddings encode the instruction
            self.language = LanguageConfig(type="vlm", path=self.fusion.vlm_path, max_tokens=self.language.max_tokens,
                                           frozen=True)
        elif self.language.type == "vlm":
            raise ConfigError("language.type 'vlm' goes with fusion.type 'vlm' only")


def load_policy_config(name_or_path: str, overrides: list[str] | None = None) -> PolicyConfig:
    """A preset name (tiny, small, base) or a YAML path, plus ``key=value`` overrides."""
    path = Path(name_or_path)
    if not path.suffix:
        path = CONFIG_DIR / f"{name_or_path}.yaml"
        if not path.is_file():
            presets = sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))
            raise ConfigError(f"unknown policy preset {name_or_path!r}; known presets: {', '.join(presets)}")
    data = apply_overrides(load_yaml(path), overrides or [])
    return from_dict(PolicyConfig, data)


# The policy-config keys an environment's features decide (camera names and size, state and action widths).
FEATURE_KEYS = ("cameras", "image_size", "proprio_dim", "action_dim", "state_names", "action_names")


def adopt_features(overrides: list[str], features: dict) -> list[str]:
    """Policy-config overrides that make the model fit ``features`` (``{"cameras": [...], "image_size": N,
    "proprio_dim": N, "action_dim": N}``, from the data): each key the caller did not pin is adopted; a pinned
    one that disagrees fails, naming both values."""
    import yaml

    pinned = {}
    for item in overrides:
        key, _, raw = item.partition("=")
        if key.strip() in FEATURE_KEYS:
            pinned[key.strip()] = yaml.safe_load(raw)
    out = list(overrides)
    for key in FEATURE_KEYS:
        if key not in features:
            continue
        have = features[key]
        if key in pinned:
            if pinned[key] != have:
                raise ConfigError(f"policy {key}={pinned[key]!r} is pinned, but the data has {key}={have!r}; "
                                  f"drop the pin to adopt the data's, or use data with {key}={pinned[key]!r}")
            continue
        out.append(f"{key}={yaml.safe_dump(have, default_flow_style=True).strip()}")
    return out
