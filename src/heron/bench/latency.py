"""``heron bench latency``: per-step latency of PyTorch eager and ONNX Runtime on the same model and inputs."""

from __future__ import annotations

import time

from heron.bench.common import add_policy_arguments, percentiles, random_observation, time_calls

HELP = "per-step latency: PyTorch eager against ONNX Runtime (CPU, CUDA or TensorRT), same model, same inputs"


def add_arguments(p) -> None:
    add_policy_arguments(p)
    p.add_argument("--cuda-graph", action="store_true", help="CUDA/TensorRT providers replay the step as a CUDA graph")
    p.add_argument("--trt-cache", default=None, help="TensorRT engine cache folder (default <onnx folder>/trt_cache)")
    p.add_argument("--no-trt-fp16", action="store_true", help="TensorRT in fp32 (default fp16)")
    p.add_argument("--compile", action="store_true", help="torch.compile the PyTorch side")
    p.add_argument("--no-spin", action="store_true",
                   help="ONNX Runtime's threads sleep between steps, as in the ROS node (default: spin, the fastest)")


def bench_latency(args) -> dict:
    """Per-step latency of PyTorch eager and ONNX Runtime on the same model and the same inputs."""
    import numpy as np

    from heron.runtime import load_policy

    providers = args.providers.split(",") if args.providers else None
    onnx = load_policy(args.policy, "onnx", providers=providers, threads=args.threads, cuda_graph=args.cuda_graph,
                       trt_cache=args.trt_cache, trt_fp16=not args.no_trt_fp16, spin=not args.no_spin)
    torch_p = load_policy(args.policy, "torch", threads=args.threads, compile=args.compile)
    obs = random_observation(onnx)
    text = "put the red block in the bowl"
    result = {}
    for name, pol in (("torch", torch_p), ("onnx", onnx)):
        enc = time_calls(lambda: pol.set_instruction(text), 30, warmup=3)
        pol.set_instruction(text)
        cpu0 = time.process_time()
        step = time_calls(lambda: pol.act(obs), args.steps)
        cpu_ms = 1e3 * (time.process_time() - cpu0) / (args.steps + 10)  # the 10 warm-up steps ran too
        result[name] = {"step": percentiles(step), "cpu_ms_per_step": round(cpu_ms, 3), "instruction_encoder": percentiles(enc)}
    a, b = torch_p.act(obs), onnx.act(obs)
    result["max_abs_diff_chunk"] = float(np.abs(a.chunk - b.chunk).max())
    result["onnx_speedup_p50"] = round(result["torch"]["step"]["p50_ms"] / result["onnx"]["step"]["p50_ms"], 2)
    result["onnx_speedup_p99"] = round(result["torch"]["step"]["p99_ms"] / result["onnx"]["step"]["p99_ms"], 2)
    result["provider"] = onnx.provider  # the provider actually in use, read back from the session
    result["providers_requested"] = onnx.providers
    result["torch_device"] = torch_p.provider
    result["cuda_graph"] = bool(onnx.cuda_graph)
    result["threads"] = args.threads
    result["spin"] = not args.no_spin
    result["targets"] = {"onnx_p99_le_10ms": result["onnx"]["step"]["p99_ms"] <= 10.0, "speedup_ge_2x": result["onnx_speedup_p99"] >= 2.0}
    return result


run = bench_latency
