"""``heron bench vlm``: what a full-size VLM backbone costs, measured with random weights at the real sizes.

For one size (``heron/policies/fusion/vlm_random.SIZES``, or ``tiny``): parameters, PyTorch eager step latency,
ONNX export time and file size, ONNX Runtime step latency (fp32, and int8 dynamic quantization), and
training samples/s (LoRA on the LM, batch of random frames). Weights are random, so the figures are cost
only, never quality. Each phase is skipped with its reason when memory or the architecture forbids it.
"""

from __future__ import annotations

import gc
import os
import time
from pathlib import Path


def _dir_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.iterdir() if f.is_file()) / 2**20, 1)


def build_vlm_policy(size: str, work: Path, arch: str | None = None, image_size: int | None = None,
                     layers: int | None = None):
    """A heron policy around a random-weight VLM of ``size`` (LoRA rank 16, 4 action queries, 2 cameras of
    96 px resized inside), in eval mode, and what it is: sizes, tokens a step, build times. ``heron bench vlm``
    and ``heron bench gpu`` build it the same way."""
    import torch

    from heron.policies.config import load_policy_config
    from heron.policies.fusion.vlm_random import SIZES, make_random_vlm
    from heron.policies.model import HeronPolicy

    if size != "tiny" and size not in SIZES:
        raise ValueError(f"unknown VLM size {size!r}; known: tiny, {', '.join(SIZES)}")
    arch = SIZES[size]["arch"] if size != "tiny" else (arch or "smolvlm")
    t = time.perf_counter()
    folder = make_random_vlm(Path(work) / "vlm", arch, size)
    info: dict = {"size": size, "arch": arch, "make_folder_s": round(time.perf_counter() - t, 1), "weights_mb": _dir_mb(folder)}
    overrides = ["fusion.type=vlm", f"fusion.vlm_path={folder}", "fusion.lora_rank=16", "fusion.lora_alpha=32",
                 "fusion.num_queries=4", "head.chunk=8", "head.hidden=512", "image_size=96"]
    if image_size:
        overrides.append(f"fusion.vlm_image_size={image_size}")
    if layers:
        overrides.append(f"fusion.vlm_layers={layers}")
    torch.manual_seed(0)
    t = time.perf_counter()
    model = HeronPolicy(load_policy_config("small", overrides)).eval()
    info["build_s"] = round(time.perf_counter() - t, 1)
    info["params_m"] = round(sum(p.numel() for p in model.parameters()) / 1e6, 1)
    info["trainable_params_m"] = round(sum(p.numel() for p in model.parameters() if p.requires_grad) / 1e6, 2)
    info["image_size"] = model.fusion.image_size
    info["lm_layers"] = len(model.fusion.text.layers)
    info["tokens_per_step"] = {"image": model.fusion.num_image_tokens * len(model.cfg.cameras),
                               "instruction": model.cfg.language.max_tokens, "proprio": 1, "queries": 4}
    return model, info


def bench_vlm(size: str = "smolvlm-256m", arch: str | None = None, work: str | Path | None = None, image_size: int | None = None,
              layers: int | None = None, steps: int = 10, train_steps: int = 3, batch: int = 2, threads: int = 2,
              export: bool = True, int8: bool = True) -> dict:
    import numpy as np
    import torch

    from heron.bench.common import percentiles
    from heron.bench.common import time_calls as _time
    from heron.policies.checkpoint import save_policy
    from heron.policies.export import STEP_INPUTS, ExportError, example_inputs, export_policy

    torch.set_num_threads(threads)
    work = Path(work or f"/tmp/heron-vlm-{size}")
    model, out = build_vlm_policy(size, work, arch=arch, image_size=image_size, layers=layers)
    out["threads"] = threads
    ex = example_inputs(model, batch=1)
    args = tuple(ex[n] for n in STEP_INPUTS)
    with torch.inference_mode():
        out["torch_step"] = percentiles(_time(lambda: model(*args), steps, warmup=2))

    # Training: LoRA adapters + queries + head, AdamW, a batch of random frames.
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4)
    exb = example_inputs(model, batch=batch)
    targets = torch.zeros(batch, model.cfg.head.chunk, model.cfg.action_dim)

    def train_step():
        opt.zero_grad(set_to_none=True)
        res = model(*(exb[n] for n in STEP_INPUTS))
        loss = torch.nn.functional.mse_loss(res["action"], targets) + res["done_logit"].pow(2).mean()
        loss.backward()
        opt.step()

    times = _time(train_step, train_steps, warmup=1)
    out["train"] = {"batch": batch, "step_s": round(float(np.median(times)), 2),
                    "samples_per_s": round(batch / float(np.median(times)), 2)}
    del opt
    model.eval()
    gc.collect()

    if not export:
        out["onnx"] = {"skipped": "--no-export"}
        return _with_peak(out)
    policy_dir = save_policy(model, work / "policy")
    onnx_dir = work / "onnx"
    t = time.perf_counter()
    try:
        spec = export_policy(policy_dir, onnx_dir, check=True)
    except ExportError as exc:
        out["onnx"] = {"skipped": str(exc)}
        return _with_peak(out)
    out["onnx"] = {"export_s": round(time.perf_counter() - t, 1), "files_mb": _dir_mb(onnx_dir),
                   "parity_max_abs_diff": spec["parity"]["max_abs_diff"]}
    del model
    gc.collect()
    out["onnx"]["step_fp32"], ref = _ort_step(onnx_dir / "policy_step.onnx", ex, steps, threads)
    if int8:
        q = onnx_dir / "policy_step.int8.onnx"
        t = time.perf_counter()
        try:
            quantize_int8(onnx_dir / "policy_step.onnx", q)
        except Exception as exc:  # noqa: BLE001  (reported, not fatal: fp32 figures stand)
            out["onnx"]["int8"] = {"skipped": f"{type(exc).__name__}: {str(exc)[:300]}"}
            return _with_peak(out)
        out["onnx"]["int8_quantize_s"] = round(time.perf_counter() - t, 1)
        out["onnx"]["int8_mb"] = round(sum(f.stat().st_size for f in onnx_dir.glob(q.stem + "*")) / 2**20, 1)  # .data too
        out["onnx"]["step_int8"], got = _ort_step(q, ex, steps, threads)
        out["onnx"]["int8_action_max_abs_diff"] = round(float(np.abs(ref - got).max()), 4)
    return _with_peak(out)


def _with_peak(out: dict) -> dict:
    """Peak resident memory of this process over every phase run (the memory a size needs)."""
    import resource

    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0)
    return out


def quantize_int8(src: Path, dst: Path) -> None:
    """Dynamic int8 quantization of the weights (MatMul/Gemm), activations stay fp32. The exporter's stored
    intermediate shapes are dropped first: ONNX's shape inference inside the quantizer rejects some of them."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    big = src.stat().st_size > 1.8e9 or any(src.parent.glob(src.name + ".data"))
    m = onnx.load(str(src))
    del m.graph.value_info[:]
    plain = dst.with_suffix(".noshapes.onnx")
    onnx.save(m, str(plain), save_as_external_data=big)
    try:
        quantize_dynamic(str(plain), str(dst), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul", "Gemm"],
                         use_external_data_format=big)
    finally:
        for f in plain.parent.glob(plain.name + "*"):
            f.unlink()


def _ort_step(path: Path, ex: dict, steps: int, threads: int) -> tuple[dict, "np.ndarray"]:
    """Step latency of one graph on the CPU provider, and its action on ``ex``: one session for both."""
    from heron.bench.common import percentiles
    from heron.bench.common import time_calls as _time
    from heron.policies.export import STEP_INPUTS
    from heron.runtime.onnx_policy import make_session

    sess = make_session(path, ["CPUExecutionProvider"], threads)
    feeds = {n: ex[n].numpy() for n in STEP_INPUTS}
    return percentiles(_time(lambda: sess.run(["action"], feeds), steps, warmup=2)), sess.run(["action"], feeds)[0]


HELP = "what a full-size VLM backbone costs (random weights at the real sizes): latency, export, training"


def add_arguments(p) -> None:
    p.add_argument("--threads", type=int, default=2, help="inference and training threads")
    p.add_argument("--size", default="smolvlm-256m", help="tiny, smolvlm-256m, smolvlm-500m, paligemma-3b, qwen2-vl-2b")
    p.add_argument("--arch", default=None, help="with --size tiny: the architecture (smolvlm, idefics3, paligemma, qwen2_vl, qwen2_5_vl)")
    p.add_argument("--work", default=None, help="folder for the random VLM, the policy and its ONNX graphs")
    p.add_argument("--image-size", type=int, default=None, help="per-frame size fed to the vision tower (default: its own)")
    p.add_argument("--layers", type=int, default=None, help="keep only the first N LM layers")
    p.add_argument("--no-export", action="store_true", help="skip the ONNX export and ONNX Runtime figures")
    p.add_argument("--vlm-steps", type=int, default=10, help="timed steps per latency figure")


def run(args) -> dict:
    if os.environ.get("OMP_NUM_THREADS") is None:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)
    return bench_vlm(args.size, arch=args.arch, work=args.work, image_size=args.image_size, layers=args.layers,
                     steps=args.vlm_steps, threads=args.threads, export=not args.no_export)
