"""Export a trained policy to two ONNX graphs with the torch dynamo exporter.

    instruction_encoder.onnx  input_ids, attention_mask (B, L) int64 -> features (B, L, D)   once per instruction
    policy_step.onnx          images, proprio, lang, lang_mask, state -> action, done, state_out   every control step
    spec.json                 input/output spec, config hash, normalization statistics, policy config
    tokenizer.json            so the runtime tokenizes with `tokenizers` alone (no torch, no transformers)

The legacy TorchScript exporter bakes sequence lengths into attention reshapes; dynamo does not.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from heron.configtools import to_dict
from heron.policies.checkpoint import load_policy_model, read_stats, resolve_policy_dir
from heron.policies.language import tokenizer_dir

log = logging.getLogger(__name__)
SPEC_VERSION = 1
STEP_INPUTS = ("images", "proprio", "lang", "lang_mask", "state")
STEP_OUTPUTS = ("action", "done", "state_out")
PARITY_TOL = 1e-4


class ExportError(RuntimeError):
    """A policy whose graphs cannot be exported; the message names the part and why."""


class _Step(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, images, proprio, lang, lang_mask, state):
        out = self.model(images, proprio, lang, lang_mask, state)
        return out["action"], torch.sigmoid(out["done_logit"]), out["state"]


class _Encoder(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        return self.model.encode_instruction(input_ids, attention_mask)


def config_hash(model) -> str:
    return hashlib.sha256(json.dumps(to_dict(model.cfg), sort_keys=True).encode()).hexdigest()[:16]


def example_inputs(model, batch: int = 2, seed: int = 0) -> dict[str, torch.Tensor]:
    cfg = model.cfg
    g = torch.Generator().manual_seed(seed)
    k, s, L = cfg.history, cfg.image_size, cfg.language.max_tokens
    ids = torch.randint(1000, 2000, (batch, L), generator=g)
    mask = torch.ones(batch, L, dtype=torch.int64)
    mask[:, L // 2:] = 0
    with torch.no_grad():
        lang = model.encode_instruction(ids, mask)
    return {
        "images": torch.randint(0, 256, (batch, len(cfg.cameras), k, s, s, 3), dtype=torch.uint8, generator=g),
        "proprio": model.proprio_mean + model.proprio_std * torch.randn(batch, k, cfg.proprio_dim, generator=g),
        "lang": lang, "lang_mask": mask, "state": model.initial_state(batch),
        "input_ids": ids, "attention_mask": mask,
    }


def _export(module, args: tuple, names_in, names_out, dynamic, path: Path, external_data: bool = False) -> None:
    # onnxscript's constant folder logs harmless "Evaluation failed" warnings for shape-only nodes.
    logging.getLogger("onnxscript").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        onnx_program = torch.onnx.export(module, args, dynamo=True, input_names=list(names_in), output_names=list(names_out),
                                         dynamic_shapes=dynamic, optimize=True, verbose=False)
    onnx_program.save(str(path), external_data=external_data)


def export_policy(policy: str | Path, out: str | Path, fp16: bool = False, check: bool = True) -> dict:
    """Write the graphs and spec to ``out``; return the spec (with the parity figures if checked)."""
    src = resolve_policy_dir(policy)
    model = load_policy_model(src)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cfg = model.cfg
    blocker = getattr(model.fusion, "export_blocker", None)
    if blocker:
        raise ExportError(f"{src} cannot be exported to ONNX: {blocker}")
    ex = example_inputs(model)
    batch = torch.export.Dim("batch", min=1, max=256)
    step_dyn = {"images": {0: batch}, "proprio": {0: batch}, "lang": {0: batch}, "lang_mask": {0: batch}, "state": {0: batch}}
    # Graphs past protobuf's 2 GB limit keep their weights in a .data file beside them.
    big = sum(p.numel() * p.element_size() for p in model.parameters()) > 1.5e9
    steps = cfg.history
    if model.head.recurrent:  # at run time the LSTM head takes one step and carries its state
        steps = 1
        ex["images"], ex["proprio"] = ex["images"][:, :, -1:].contiguous(), ex["proprio"][:, -1:].contiguous()
    step_args = tuple(ex[n] for n in STEP_INPUTS)
    _export(_Step(model).eval(), step_args, STEP_INPUTS, STEP_OUTPUTS, step_dyn, out / "policy_step.onnx", big)
    enc_batch = torch.export.Dim("batch", min=1, max=256)
    _export(_Encoder(model).eval(), (ex["input_ids"], ex["attention_mask"]), ("input_ids", "attention_mask"), ("features",),
            {"input_ids": {0: enc_batch}, "attention_mask": {0: enc_batch}}, out / "instruction_encoder.onnx")
    shutil.copy(tokenizer_dir(cfg.language) / "tokenizer.json", out / "tokenizer.json")
    spec = {
        "format": "heron-onnx", "version": SPEC_VERSION, "config_hash": config_hash(model), "source": str(src),
        "policy": to_dict(cfg), "stats": read_stats(src),
        "inputs": {
            "images": {"dtype": "uint8", "shape": ["batch", len(cfg.cameras), steps, cfg.image_size, cfg.image_size, 3],
                       "cameras": list(cfg.cameras)},
            "proprio": {"dtype": "float32", "shape": ["batch", steps, cfg.proprio_dim]},
            "lang": {"dtype": "float32", "shape": ["batch", cfg.language.max_tokens, model.language.dim]},
            "lang_mask": {"dtype": "int64", "shape": ["batch", cfg.language.max_tokens]},
            "state": {"dtype": "float32", "shape": ["batch", model.head.state_size()]},
        },
        "outputs": {"action": {"dtype": "float32", "shape": ["batch", cfg.head.chunk, cfg.action_dim]},
                    "done": {"dtype": "float32", "shape": ["batch"]},
                    "state_out": {"dtype": "float32", "shape": ["batch", model.head.state_size()]}},
        "recurrent": bool(model.head.recurrent),
        "tokenizer": {"file": "tokenizer.json", "max_tokens": cfg.language.max_tokens, "lowercase": True},
    }
    if fp16:
        spec["fp16"] = export_fp16(out)
    if check:
        spec["parity"] = check_parity(model, out, ex)
    (out / "spec.json").write_text(json.dumps(spec, indent=2))
    return spec


def export_fp16(out: Path) -> list[str]:
    """fp16 copies of both graphs for GPUs (inputs and outputs stay fp32)."""
    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16

    names = []
    for name in ("policy_step", "instruction_encoder"):
        m = onnx.load(str(out / f"{name}.onnx"))
        onnx.save(convert_float_to_float16(m, keep_io_types=True), str(out / f"{name}.fp16.onnx"))
        names.append(f"{name}.fp16.onnx")
    return names


def check_parity(model, out: Path, inputs: dict[str, torch.Tensor], tol: float = PARITY_TOL) -> dict:
    """Max abs difference between PyTorch and ONNX Runtime (CPU) on the same inputs; raises past ``tol``."""
    import onnxruntime as ort

    with torch.no_grad():
        ref = _Step(model)(*(inputs[n] for n in STEP_INPUTS))
        ref_lang = model.encode_instruction(inputs["input_ids"], inputs["attention_mask"])
    sess = ort.InferenceSession(str(out / "policy_step.onnx"), providers=["CPUExecutionProvider"])
    got = sess.run(list(STEP_OUTPUTS), {n: inputs[n].numpy() for n in STEP_INPUTS})
    enc = ort.InferenceSession(str(out / "instruction_encoder.onnx"), providers=["CPUExecutionProvider"])
    got_lang = enc.run(["features"], {"input_ids": inputs["input_ids"].numpy(), "attention_mask": inputs["attention_mask"].numpy()})[0]
    diffs = {name: float(np.abs(r.numpy() - g).max()) for name, r, g in zip(STEP_OUTPUTS, ref, got)}
    keep = inputs["attention_mask"].numpy().astype(bool)  # padded positions are never read downstream
    diffs["features"] = float(np.abs(ref_lang.numpy() - got_lang)[keep].max())
    worst = max(diffs.values())
    if worst > tol:
        raise RuntimeError(f"ONNX parity check failed: max abs difference {worst:.2e} > {tol:.0e} ({diffs})")
    return {"max_abs_diff": worst, "per_output": diffs, "tolerance": tol}
