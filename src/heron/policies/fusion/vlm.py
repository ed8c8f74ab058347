"""``fusion.type: vlm``: a whole transformers VLM from a local folder as the policy's backbone.

PaLM-E's multimodal sentence in a real VLM. Camera frames go through the VLM's own image
preprocessing (its ``preprocessor_config.json`` mean, std and size), vision tower and projector; the
instruction through its tokenizer and token embeddings; proprioception enters as projected tokens; and
learned action queries are read out after its LM::

    [image tokens (per camera, per frame), proprio tokens, instruction embeddings, action queries]

Supported folders (``config.json`` ``model_type``): Idefics3 and SmolVLM (SmolVLM2, SmolVLA's backbone),
PaliGemma (pi0's), Qwen2-VL and Qwen2.5-VL. As SmolVLA does, each frame is one global image at the
vision tower's size (no tiling into sub-images), so a step costs a fixed number of image tokens.

Frozen pretrained weights are never copied into a heron checkpoint: the folder is referenced by path
and the sha256 of its weight files (recorded in ``fusion.vlm_sha256`` on first build, checked on every
later one). Trained parts (LoRA adapters, anything unfrozen, queries, projections, head) are saved.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

import torch
from torch import nn

from heron.policies.config import FusionConfig
from heron.policies.fusion import FUSIONS
from heron.policies.fusion.palme import multimodal_sentence

# model_type -> how its parts are named; everything else about an architecture lives in _image_tokens.
ARCHITECTURES = {
    "idefics3": "Idefics3 (SmolVLM)",
    "smolvlm": "SmolVLM / SmolVLM2",
    "paligemma": "PaliGemma",
    "qwen2_vl": "Qwen2-VL",
    "qwen2_5_vl": "Qwen2.5-VL",
}
LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj")
MAX_LORA_RANK = 256


class VlmError(ValueError):
    """A VLM folder or option heron cannot use; the message names what is wrong."""


def read_vlm_folder(path: str | Path) -> tuple[str, dict]:
    """Check a local VLM folder; return (model_type, preprocessor_config.json)."""
    path = Path(path)
    if not path.is_dir():
        raise VlmError(f"fusion.vlm_path {path} is not a directory (nothing is downloaded at run time)")
    cfg_file = path / "config.json"
    if not cfg_file.is_file():
        raise VlmError(f"{path} is not a transformers model folder: config.json is missing")
    config = json.loads(cfg_file.read_text())
    model_type = config.get("model_type")
    if model_type not in ARCHITECTURES:
        raise VlmError(f"{path} holds a {model_type!r} model, not a supported VLM; supported architectures: "
                       + ", ".join(f"{v} ({k})" for k, v in ARCHITECTURES.items()))
    if not (path / "tokenizer.json").is_file():
        raise VlmError(f"{path} has no tokenizer.json: heron needs the VLM's fast tokenizer file beside its weights")
    pre = path / "preprocessor_config.json"
    if not pre.is_file():
        raise VlmError(f"{path} has no preprocessor_config.json: heron reads the VLM's image mean, std and size from it")
    return model_type, json.loads(pre.read_text())


@lru_cache(maxsize=8)
def _weights_sha256(path: str, stamp: tuple) -> str:
    h = hashlib.sha256()
    for f in sorted(Path(path).glob("*.safetensors")):
        d = hashlib.sha256()
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                d.update(block)
        h.update(f"{f.name}:{d.hexdigest()}\n".encode())
    return h.hexdigest()


def weights_sha256(path: str | Path) -> str:
    """One digest over every ``*.safetensors`` file of the folder (name and content)."""
    files = sorted(Path(path).glob("*.safetensors"))
    if not files:
        raise VlmError(f"{path} has no *.safetensors weights")
    stamp = tuple((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files)
    return _weights_sha256(str(path), stamp)


def _mean_std(pre: dict) -> tuple[list[float], list[float]]:
    mean = pre.get("image_mean", [0.5, 0.5, 0.5])
    std = pre.get("image_std", [0.5, 0.5, 0.5])
    mean = [mean] * 3 if isinstance(mean, (int, float)) else mean
    std = [std] * 3 if isinstance(std, (int, float)) else std
    return [float(m) for m in mean], [float(s) for s in std]


@FUSIONS.register("vlm")
class VlmFusion(nn.Module):
    """images in [0, 1] -> image tokens; [image, proprio, instruction, queries] -> query features (B, Q, D)."""

    def __init__(self, cfg: FusionConfig):
        super().__init__()
        from transformers import AutoModel

        self.cfg = cfg
        self.arch, pre = read_vlm_folder(cfg.vlm_path)
        digest = weights_sha256(cfg.vlm_path)
        if cfg.vlm_sha256 and cfg.vlm_sha256 != digest:
            raise VlmError(f"{cfg.vlm_path}: its weights have sha256 {digest}, but this policy was trained on weights "
                           f"with sha256 {cfg.vlm_sha256} (fusion.vlm_sha256); point fusion.vlm_path at that folder")
        cfg.vlm_sha256 = digest  # recorded in the saved config.json
        self.model = AutoModel.from_pretrained(str(cfg.vlm_path), local_files_only=True, dtype=torch.float32)
        self.model.eval()
        self._truncate(cfg.vlm_layers)
        self.dim = int(self.text.config.hidden_size)
        self.image_size = self._image_size(cfg.vlm_image_size)
        mean, std = _mean_std(pre)
        self.register_buffer("pixel_mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("pixel_std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)
        if self.arch in ("idefics3", "smolvlm"):
            self.register_buffer("patch_pos", self._idefics_positions(), persistent=False)
        self._freeze_and_adapt(cfg)
        self.queries = nn.Parameter(torch.randn(cfg.num_queries, self.dim) * 0.02)
        with torch.no_grad():
            self.num_image_tokens = int(self.image_tokens(torch.zeros(1, 3, 32, 32)).shape[1])

    # -- construction -------------------------------------------------------------------------
    @property
    def vision(self) -> nn.Module:  # properties, not submodules: each weight has one state-dict key
        m = self.model
        return m.vision_model if self.arch in ("idefics3", "smolvlm") else m.vision_tower if self.arch == "paligemma" else m.visual

    @property
    def text(self) -> nn.Module:
        return self.model.text_model if self.arch in ("idefics3", "smolvlm") else self.model.language_model

    def _truncate(self, n: int | None) -> None:
        layers = self.text.layers
        if n is None:
            return
        if not 1 <= n <= len(layers):
            raise VlmError(f"fusion.vlm_layers={n} is out of range: {self.cfg.vlm_path} has {len(layers)} LM layers "
                           f"(keep 1..{len(layers)})")
        self.text.layers = nn.ModuleList(list(layers)[:n])
        self.text.config.num_hidden_layers = n
        if getattr(self.text.config, "layer_types", None):
            self.text.config.layer_types = self.text.config.layer_types[:n]

    def _image_size(self, requested: int | None) -> int:
        vc = self.vision.config
        patch = int(getattr(vc, "patch_size", 14))
        if self.arch in ("idefics3", "smolvlm"):
            unit = patch * int(self.model.config.scale_factor)  # pixel shuffle needs whole groups of patches
            size = requested or int(vc.image_size)
            if size > int(vc.image_size):
                raise VlmError(f"fusion.vlm_image_size={size} is larger than the vision tower's {vc.image_size}")
        elif self.arch == "paligemma":
            unit, size = patch, requested or int(vc.image_size)
        else:
            unit = patch * int(vc.spatial_merge_size)
            size = requested or max(unit, 224 // unit * unit)  # its processor sizes by pixel count; heron fixes one size
        if size % unit:
            raise VlmError(f"fusion.vlm_image_size={size} must be a multiple of {unit} for {ARCHITECTURES[self.arch]}")
        return size

    def _idefics_positions(self) -> torch.Tensor:
        """Idefics3's position ids for a full (unpadded) image, computed once: its own bucketing, without the
        per-image Python loop that keeps its embedding layer from exporting with a dynamic batch."""
        emb = self.vision.embeddings
        n = self.image_size // emb.patch_size
        side = emb.num_patches_per_side
        boundaries = torch.arange(1 / side, 1.0, 1 / side)
        coords = torch.clamp(torch.arange(n, dtype=torch.float32) / n, max=1.0 - 1e-6)
        b = torch.bucketize(coords, boundaries, right=True)
        return (b[:, None] * side + b[None, :]).reshape(-1)

    def _freeze_and_adapt(self, cfg: FusionConfig) -> None:
        self.model.requires_grad_(False)
        if not cfg.freeze_vision:
            self.vision.requires_grad_(True)
        for name in ("connector", "multi_modal_projector"):
            if hasattr(self.model, name) and not cfg.freeze_vision:
                getattr(self.model, name).requires_grad_(True)
        if cfg.lora_rank:
            if not 1 <= cfg.lora_rank <= min(MAX_LORA_RANK, self.dim):
                raise VlmError(f"fusion.lora_rank={cfg.lora_rank} is out of range: allowed 0 (off) or 1..{min(MAX_LORA_RANK, self.dim)}")
            try:
                from peft import LoraConfig, inject_adapter_in_model
            except ImportError as exc:
                raise VlmError("fusion.lora_rank > 0 needs peft: pip install 'heron[vlm]' (or pip install peft)") from exc

            inject_adapter_in_model(LoraConfig(r=cfg.lora_rank, lora_alpha=cfg.lora_alpha, lora_dropout=0.0,
                                               target_modules=list(LORA_TARGETS)), self.text)
            for name, p in self.text.named_parameters():
                p.requires_grad_("lora_" in name)
        elif not cfg.freeze_lm:
            self.text.requires_grad_(True)
        self.text.get_input_embeddings().requires_grad_(False)  # instruction embeddings stay the VLM's own
        if cfg.gradient_checkpointing:
            self.text.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})

    def train(self, mode: bool = True):
        super().train(mode)
        if self.cfg.freeze_vision:
            self.vision.eval()
        return self

    # -- the parts ----------------------------------------------------------------------------
    def embed_instruction(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.text.get_input_embeddings()(input_ids)

    def image_tokens(self, x: torch.Tensor) -> torch.Tensor:
        """x float (N, 3, H, W) in [0, 1] -> (N, T, D) in the LM's width."""
        s = self.image_size
        if x.shape[-1] != s or x.shape[-2] != s:
            x = nn.functional.interpolate(x, size=(s, s), mode="bilinear", align_corners=False)
        x = (x - self.pixel_mean) / self.pixel_std
        if self.arch in ("idefics3", "smolvlm"):
            emb = self.vision.embeddings
            h = emb.patch_embedding(x).flatten(2).transpose(1, 2) + emb.position_embedding(self.patch_pos)
            h = self.vision.post_layernorm(self.vision.encoder(inputs_embeds=h).last_hidden_state)
            return self.model.connector(h)
        if self.arch == "paligemma":
            native = s == int(self.vision.config.image_size)
            h = self.vision(pixel_values=x, interpolate_pos_encoding=not native).last_hidden_state
            return self.model.multi_modal_projector(h)  # as PaliGemmaModel.get_image_features
        return self._qwen_tokens(x)

    def _qwen_tokens(self, x: torch.Tensor) -> torch.Tensor:
        """Qwen2-VL's patchify (its image processor's layout, one frame repeated over the temporal patch), then
        its vision tower on one flat sequence of all images' patches (see ``export_blocker``)."""
        vc = self.vision.config
        n, c, s, _ = x.shape
        p, m, t = int(vc.patch_size), int(vc.spatial_merge_size), int(vc.temporal_patch_size)
        g = s // p
        patches = x.reshape(n, c, g // m, m, p, g // m, m, p).permute(0, 2, 5, 3, 6, 1, 4, 7)
        patches = patches.unsqueeze(6).expand(*patches.shape[:6], t, p, p).reshape(n * g * g, c * t * p * p)
        grid = torch.tensor([[1, g, g]] * n, dtype=torch.long, device=x.device)
        out = self.vision(patches, grid_thw=grid)
        feats = getattr(out, "pooler_output", None)
        feats = out.last_hidden_state if feats is None else feats
        return feats.reshape(n, (g // m) ** 2, -1)

    @property
    def export_blocker(self) -> str | None:
        """Why the step graph cannot be exported, or None."""
        if self.arch in ("qwen2_vl", "qwen2_5_vl"):
            import transformers

            return (f"{ARCHITECTURES[self.arch]}'s vision tower (its VisionAttention, transformers {transformers.__version__}) "
                    "splits the flat patch sequence per image with torch.split(..., cu_seqlens.diff().tolist()), a "
                    "data-dependent split that torch.export cannot trace; run this policy with --runtime torch")
        return None

    def forward(self, vis: torch.Tensor, prop: torch.Tensor, lang: torch.Tensor, lang_mask: torch.Tensor) -> torch.Tensor:
        return multimodal_sentence(self.text, self.queries, vis, prop, lang, lang_mask, use_cache=False)

    def external_keys(self, prefix: str) -> set[str]:
        """State-dict keys that come from the folder (frozen pretrained weights and its buffers): not saved."""
        trainable = {f"{prefix}{n}" for n, p in self.named_parameters() if p.requires_grad}
        return {f"{prefix}model.{k}" for k in self.model.state_dict()} - trainable


class VlmInstructionEmbedder(nn.Module):
    """The language side of a VLM policy: its own token embeddings, computed once per instruction."""

    external_weights = True

    def __init__(self, fusion: VlmFusion, cfg):
        super().__init__()
        self.cfg = cfg
        self._fusion = [fusion]  # not a submodule: the embedding table belongs to the fusion's LM
        self.dim = fusion.dim

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self._fusion[0].embed_instruction(input_ids)
