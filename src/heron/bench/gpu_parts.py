"""The parts of ``heron bench gpu``, each run in a child process of its own (``python -m heron.bench.gpu_parts
PART``) so that a part that hangs building a TensorRT engine, or crashes in a driver, is stopped at its budget
and the check goes on. Each part writes one JSON object to ``--out``; an exception is written as ``error``.

The parts take their device as an argument (``cuda`` or ``cpu``), so the same code runs in the tests here
on the CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path

SMALL_RECIPE = "configs/train/small.yaml"  # the small policy, as `heron bench train --throughput` trains it
LARGEST_RECIPE = "configs/train/metaworld.yaml"  # most parameters of the shipped from-scratch recipes (a test checks)
# ONNX Runtime target -> the provider it must run on (read back from the session: ORT falls back silently)
WANT = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider", "tensorrt": "TensorrtExecutionProvider"}
TEXT = "put the red block in the bowl"


def onnx_settings(target: str, trt_cache: str | Path) -> tuple[list[str], dict]:
    """Providers and ``OnnxPolicy`` options of one target: the CPU as heron runs it; CUDA with IO binding and
    CUDA graphs; TensorRT in fp16 with an engine cache (CUDA behind it for what TensorRT does not take)."""
    if target == "cpu":
        return ["cpu"], {}
    if target == "cuda":
        return ["cuda"], {"cuda_graph": True}
    if target == "tensorrt":
        return ["tensorrt", "cuda"], {"cuda_graph": True, "trt_fp16": True, "trt_cache": str(trt_cache)}
    raise ValueError(f"unknown ONNX Runtime target {target!r}; known: {', '.join(WANT)}")


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).strip()[:600]}"


def _open(folder, target: str, threads: int, trt_cache) -> tuple[object, dict]:
    """A running session (one step taken: that is where TensorRT builds its engine and a CUDA graph is
    captured). Where CUDA graphs fail, the step runs again without them and the error is kept."""
    from heron.bench.common import random_observation
    from heron.runtime import load_policy

    providers, opts = onnx_settings(target, trt_cache)
    info: dict = {"target": target, "providers_requested": providers}
    t = time.perf_counter()
    try:
        pol = load_policy(folder, "onnx", providers=providers, threads=threads, **opts)
        pol.set_instruction(TEXT)
        pol.act(random_observation(pol))
    except Exception as exc:  # ORT raises its own types; retried without CUDA graphs, the error kept
        if not opts.get("cuda_graph"):
            raise
        info["cuda_graph_error"] = _short(exc)
        pol = load_policy(folder, "onnx", providers=providers, threads=threads, **(opts | {"cuda_graph": False}))
        pol.set_instruction(TEXT)
        pol.act(random_observation(pol))
    info["first_step_s"] = round(time.perf_counter() - t, 2)  # session, engine build (TensorRT), first run
    info["provider"] = pol.provider
    info["cuda_graph"] = bool(pol.cuda_graph)
    info["io_binding"] = pol._binding is not None
    if pol.provider != WANT[target]:
        raise RuntimeError(f"asked for {WANT[target]}, the session runs on {pol.provider} (libraries missing or "
                           "the provider refused the graph; ONNX Runtime's log says which)")
    return pol, info


def onnx_step(folder, target: str, steps: int, threads: int = 2, trt_cache: str | Path | None = None) -> dict:
    """Step latency of one ONNX policy on one target: ``act`` as heron calls it (history, IO binding, outputs
    copied back), after 10 warm-up steps."""
    from heron.bench.common import percentiles, random_observation, time_calls

    pol, info = _open(folder, target, threads, trt_cache or Path(folder) / "trt_cache")
    obs = random_observation(pol, seed=1)
    info["step"] = percentiles(time_calls(lambda: pol.act(obs), steps, warmup=10))
    info["steps"] = steps
    return info


def default_onnx_dir() -> str:
    """The default policy's ONNX export (made once into the cache when there is none)."""
    from heron.runtime.factory import onnx_dir_for, resolve_policy_dir

    return str(onnx_dir_for(resolve_policy_dir("default")))


def vlm_export(size: str, work: Path, threads: int) -> dict:
    """The VLM policy of ``heron bench vlm`` (random weights), saved and exported to ONNX in ``work``."""
    import torch

    from heron.bench.vlm import _dir_mb, build_vlm_policy
    from heron.policies.checkpoint import save_policy
    from heron.policies.export import export_policy

    torch.set_num_threads(threads)
    model, info = build_vlm_policy(size, work)
    policy_dir = save_policy(model, work / "policy")
    del model
    t = time.perf_counter()
    spec = export_policy(policy_dir, work / "onnx", check=True)
    info.update(export_s=round(time.perf_counter() - t, 1), onnx_mb=_dir_mb(work / "onnx"),
                parity_max_abs_diff=spec["parity"]["max_abs_diff"])
    return info


def recipe_features(cfg):
    """The environment a recipe trains for (Meta-World's one camera and 4 / 4, else the tabletop's), at its
    policy preset's image size."""
    from heron.envs.features import Features
    from heron.policies.config import load_policy_config

    s = load_policy_config(cfg.policy).image_size
    if cfg.eval_suite == "metaworld-mt50":
        from heron.envs.metaworld.env import ACTION_NAMES, CAMERA, STATE_NAMES

        return Features(cameras={CAMERA: (s, s)}, state=STATE_NAMES, actions=ACTION_NAMES)
    from heron.envs.tabletop import spaces

    return Features(cameras={spaces.RGB_FRONT: (s, s), spaces.RGB_WRIST: (s, s)}, state=spaces.STATE_NAMES,
                    actions=spaces.ACTION_NAMES)


def write_random_demos(out: Path, features, episodes: int = 32, steps: int = 40, seed: int = 0) -> Path:
    """Random demonstrations shaped as ``features`` (throughput only: what is learned does not matter)."""
    import numpy as np

    from heron.data import Episode, open_writer, shard_path, write_meta

    rng = np.random.default_rng(seed)
    dims = {"proprio": features.state_dim, "actions": features.action_dim}
    with open_writer(shard_path(out, 0)) as w:
        for i in range(episodes):
            images = {c: rng.integers(0, 256, (steps, h, wd, 3), dtype=np.uint8) for c, (h, wd) in features.cameras.items()}
            w.write(Episode(images=images, proprio=rng.normal(size=(steps, dims["proprio"])).astype(np.float32),
                            actions=rng.uniform(-1, 1, (steps, dims["actions"])).astype(np.float32), instruction=TEXT,
                            task="pick", index=i, seed=i, dims=dims))
    write_meta(out, {"features": features.to_dict(), "source": "heron bench gpu: random frames"})
    return out


def train(recipe: str, work: Path, steps: int, device: str = "cuda", overrides: list[str] | None = None) -> dict:
    """Training samples/s of ``recipe`` on ``device`` (``heron bench train --throughput``) on random data of its
    environment's shape; peak torch memory on a GPU."""
    import torch

    from heron.bench.train import bench_throughput
    from heron.training.config import load_train_config

    cfg = load_train_config(recipe)
    data = write_random_demos(work / f"data-{Path(recipe).stem}", recipe_features(cfg))
    sets = [f"data={data}", f"device={device}", "lr_schedule=steps", *(overrides or [])]  # no time budget to schedule over
    if device == "cuda":
        if not torch.cuda.is_available():
            build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU build"
            raise RuntimeError(f"torch {torch.__version__} ({build}) sees no CUDA GPU; install torch's CUDA build (docs/install.md)")
        torch.cuda.reset_peak_memory_stats()
    out = bench_throughput(recipe, sets, steps)
    out["device"] = device
    if device == "cuda":
        out["device_name"] = torch.cuda.get_device_name(0)
        out["torch_max_memory_allocated_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    return out


def probe() -> dict:
    """What this Python sees: torch's CUDA, ONNX Runtime's providers, the CUDA and TensorRT libraries."""
    import ctypes

    import onnxruntime as ort

    from heron.runtime.onnx_policy import cuda_libraries_present

    out: dict = {"onnxruntime": ort.__version__, "onnxruntime_providers": ort.get_available_providers(),
                 "cuda_libraries": cuda_libraries_present()}
    for lib in ("libnvinfer.so.10", "libnvinfer.so.8"):
        try:
            ctypes.CDLL(lib)
            out["tensorrt_library"] = lib
            break
        except OSError:
            out["tensorrt_library"] = None
    import torch

    out.update(torch=torch.__version__, torch_cuda=torch.version.cuda, torch_sees_gpu=torch.cuda.is_available())
    if out["torch_sees_gpu"]:
        out["device_name"] = torch.cuda.get_device_name(0)
        out["capability"] = ".".join(map(str, torch.cuda.get_device_capability(0)))
        out["memory_total_mb"] = round(torch.cuda.get_device_properties(0).total_memory / 2**20)
    return out


def run_part(name: str, work: Path, settings: dict) -> dict:
    """One part by name; ``settings``: steps, vlm_steps, train_steps, threads, vlm_size, device."""
    steps, threads, device = settings.get("steps", 300), settings.get("threads", 2), settings.get("device", "cuda")
    vlm_dir, trt_cache = work / "vlm", work / "trt_cache"
    if name == "probe":
        return probe()
    if name.startswith("onnx-"):
        return onnx_step(default_onnx_dir(), name[5:], steps, threads, trt_cache / "default")
    if name == "vlm-export":
        return vlm_export(settings.get("vlm_size", "smolvlm-256m"), vlm_dir, max(threads, os.cpu_count() or 1))
    if name.startswith("vlm-"):
        if not (vlm_dir / "onnx" / "spec.json").is_file():
            raise FileNotFoundError(f"{vlm_dir / 'onnx'}: no VLM export (the vlm-export part did not finish)")
        return onnx_step(vlm_dir / "onnx", name[4:], settings.get("vlm_steps", 30), threads, trt_cache / "vlm")
    if name in ("train-small", "train-largest"):
        recipe = SMALL_RECIPE if name == "train-small" else LARGEST_RECIPE
        return train(recipe, work, settings.get("train_steps", 100), device, settings.get("train_overrides"))
    raise ValueError(f"unknown part {name!r}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m heron.bench.gpu_parts", description=__doc__.splitlines()[0])
    p.add_argument("part")
    p.add_argument("--work", required=True, help="folder for exports, engines and data, shared by the parts")
    p.add_argument("--out", required=True, help="the part's JSON")
    p.add_argument("--settings", default="{}", help="JSON: steps, vlm_steps, train_steps, threads, vlm_size, device")
    args = p.parse_args(argv)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    try:
        result, rc = run_part(args.part, work, json.loads(args.settings)), 0
    except Exception as exc:  # noqa: BLE001  (the parent records it and goes on to the next part)
        traceback.print_exc()
        result, rc = {"error": _short(exc)}, 1
    result["wall_s"] = round(time.perf_counter() - t, 1)
    Path(args.out).write_text(json.dumps(result))
    return rc


if __name__ == "__main__":
    sys.exit(main())
