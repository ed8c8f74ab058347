"""heron bench: speed figures as JSON (the last line printed). Targets are checked here, not in tests."""

from __future__ import annotations

import json
import time

HELP = "benchmarks: sim, latency, loop, train, vlm (prints one JSON line last)"


def add_arguments(p) -> None:
    from agent.vlm_bench import add_cli

    p.add_argument("what", choices=["sim", "latency", "loop", "train", "vlm"])
    p.add_argument("--policy", default="default", help="policy folder or 'default'")
    p.add_argument("--providers", default=None, help="ONNX Runtime provider order, comma separated")
    p.add_argument("--threads", type=int, default=2, help="inference threads")
    p.add_argument("--cuda-graph", action="store_true", help="latency: CUDA/TensorRT providers replay the step as a CUDA graph")
    p.add_argument("--trt-cache", default=None, help="latency: TensorRT engine cache folder (default <onnx folder>/trt_cache)")
    p.add_argument("--no-trt-fp16", action="store_true", help="latency: TensorRT in fp32 (default fp16)")
    p.add_argument("--compile", action="store_true", help="latency: torch.compile the PyTorch side")
    p.add_argument("--steps", type=int, default=300, help="timed steps (latency, loop)")
    p.add_argument("--seconds", type=float, default=10.0, help="sim: seconds per figure")
    p.add_argument("--workers", type=int, default=2, help="sim: collection workers")
    p.add_argument("--expert-episodes", type=int, default=0, help="sim: also run N expert episodes per family (200 for the full check)")
    p.add_argument("--data", default="data/demos", help="train: demonstrations to train on")
    p.add_argument("--run", action="append", default=None,
                   help="train: a training run folder whose history.json gives time to 80%% success; repeat it for "
                        "the stages of one model in order (a fine-tune's times start where the previous stage ended)")
    p.add_argument("--train-steps", type=int, default=60, help="train: timed optimizer steps")
    p.add_argument("--config", default=None,
                   help="train: benchmark a recipe: train this config from scratch for --minutes, evaluating `seen` as it goes")
    p.add_argument("--minutes", type=float, default=45.0, help="train --config: minutes of training (evaluations not counted)")
    p.add_argument("--eval-every-min", type=float, default=5.0, help="train --config: closed-loop `seen` every K training minutes")
    p.add_argument("--eval-episodes", type=int, default=24, help="train --config: episodes per evaluation (fixed seeds)")
    p.add_argument("--collect-episodes", type=int, default=None,
                   help="train --config: collect this many expert episodes into the config's data folder first if it has "
                        "fewer (not timed; plain `heron collect` settings)")
    p.add_argument("--out", default=None, help="train --config: run folder (default runs/bench-<config name>)")
    p.add_argument("--plot", default=None, help="train --config: also draw the curve(s) to this PNG")
    p.add_argument("--throughput", action="store_true",
                   help="train: samples/s and the per-phase step breakdown of --config (default configs/train/small.yaml) "
                        "for --train-steps steps, no evaluation: the lever table of README 'Training speed'")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="train: a training-config override (e.g. precision=bf16, max_episodes=300); repeatable")
    p.add_argument("--compare", action="append", default=[],
                   help="train --config: an earlier benchmark's JSON (its last line) to draw beside this one; repeatable. "
                        "Without --config: draw only these to --plot")
    add_cli(p)


def percentiles(values_s) -> dict:
    import numpy as np

    arr = np.asarray(values_s) * 1e3
    return {"p50_ms": round(float(np.percentile(arr, 50)), 3), "p99_ms": round(float(np.percentile(arr, 99)), 3),
            "mean_ms": round(float(arr.mean()), 3)}


def _time(fn, n: int, warmup: int = 10) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def bench_latency(args) -> dict:
    """Per-step latency of PyTorch eager and ONNX Runtime on the same model and the same inputs."""
    import numpy as np

    from agent.runtime import load_policy

    providers = args.providers.split(",") if args.providers else None
    onnx = load_policy(args.policy, "onnx", providers=providers, threads=args.threads, cuda_graph=args.cuda_graph,
                       trt_cache=args.trt_cache, trt_fp16=not args.no_trt_fp16)
    torch_p = load_policy(args.policy, "torch", threads=args.threads, compile=args.compile)
    rng = np.random.default_rng(0)
    s = onnx.image_size
    obs = {c: rng.integers(0, 256, (s, s, 3), dtype=np.uint8) for c in onnx.cameras}
    obs["proprio"] = rng.normal(size=22).astype(np.float32)
    text = "put the red block in the bowl"
    result = {}
    for name, pol in (("torch", torch_p), ("onnx", onnx)):
        enc = _time(lambda: pol.set_instruction(text), 30, warmup=3)
        pol.set_instruction(text)
        step = _time(lambda: pol.act(obs), args.steps)
        result[name] = {"step": percentiles(step), "instruction_encoder": percentiles(enc)}
    a, b = torch_p.act(obs), onnx.act(obs)
    result["max_abs_diff_chunk"] = float(np.abs(a.chunk - b.chunk).max())
    result["onnx_speedup_p50"] = round(result["torch"]["step"]["p50_ms"] / result["onnx"]["step"]["p50_ms"], 2)
    result["onnx_speedup_p99"] = round(result["torch"]["step"]["p99_ms"] / result["onnx"]["step"]["p99_ms"], 2)
    result["provider"] = onnx.provider  # the provider actually in use, read back from the session
    result["providers_requested"] = onnx.providers
    result["torch_device"] = torch_p.provider
    result["cuda_graph"] = bool(onnx.cuda_graph)
    result["threads"] = args.threads
    result["targets"] = {"onnx_p99_le_10ms": result["onnx"]["step"]["p99_ms"] <= 10.0, "speedup_ge_2x": result["onnx_speedup_p99"] >= 2.0}
    return result


def bench_loop(args) -> dict:
    """Closed-loop rate with both cameras rendered (ONNX policy, lock-step sim), and a fresh `heron run`'s
    time to first action and peak memory."""
    import os
    import subprocess
    import sys
    import tempfile

    from agent.backends.sim_backend import SimBackend
    from agent.interfaces import TaskSpec
    from agent.loop import ControlLoop

    from agent.runtime import load_policy

    providers = args.providers.split(",") if args.providers else None
    policy = load_policy(args.policy, "onnx", providers=providers, threads=args.threads)
    backend = SimBackend(image_size=policy.image_size)
    loop = ControlLoop(policy)
    steps, seed, sim_t0 = 0, 0, 0.0
    sim_time = 0.0
    t0 = time.perf_counter()
    while steps < args.steps:
        obs = backend.reset(seed=seed, task=TaskSpec("place", {"object": "red"}, seed=seed))
        loop.reset()
        loop.set_instruction(obs["instruction"])
        start_sim = backend.now()
        for _ in range(60):
            step = loop.step(obs, now=backend.now())
            backend.apply(step.action)
            obs = backend.observe()
            steps += 1
            if backend.info.get("success") or steps >= args.steps:
                break
        sim_time += backend.now() - start_sim
        seed += 1
    wall = time.perf_counter() - t0
    backend.close()
    out = {"closed_loop_hz": round(steps / wall, 1), "steps": steps, "sim_real_time_factor": round(sim_time / wall, 2),
           "control_hz": round(1.0 / backend.period, 1), "provider": policy.provider,
           "step_latency": {k: v for k, v in loop.stats.summary()["stages"]["total"].items() if k in ("p50_ms", "p99_ms")}}
    with tempfile.TemporaryDirectory() as tmp:
        summary = os.path.join(tmp, "run.json")
        cmd = [sys.executable, "-m", "agent.cli", "run", "-i", "put the red block in the bowl", "--policy", args.policy,
               "--max-steps", "5", "--json", summary]
        subprocess.run(cmd, check=True, capture_output=True, text=True)
        with open(summary) as f:
            run = json.load(f)
    out["run_time_to_first_action_s"] = run["time_to_first_action_s"]
    out["run_max_rss_mb"] = run["max_rss_mb"]
    out["targets"] = {"closed_loop_ge_30hz": out["closed_loop_hz"] >= 30, "first_action_le_3s": run["time_to_first_action_s"] <= 3.0,
                      "rss_le_1gb": run["max_rss_mb"] <= 1024}
    return out


def bench_train(args) -> dict:
    """Training throughput (samples/s) of the policy's preset; time to 80% `seen` success from a run's history.
    With ``--config``: the recipe benchmark (``agent/train_bench.py``)."""
    if args.compare and not args.config and not args.throughput:  # redraw saved benchmarks, train nothing
        from agent.train_bench import plot_saved

        if not args.plot:
            raise ValueError("--compare without --config redraws saved benchmarks: give --plot PNG")
        return plot_saved(args.compare, args.plot)
    if args.config and not args.throughput:
        from agent.train_bench import bench_recipe

        return bench_recipe(args.config, args.minutes, args.eval_every_min, args.eval_episodes, out=args.out,
                            collect_episodes=args.collect_episodes, plot=args.plot, compare=args.compare,
                            overrides=args.overrides)
    from agent.train_bench import bench_throughput

    base = ([] if args.config else [f"data={args.data}"]) + list(args.overrides)
    out = bench_throughput(args.config or "configs/train/small.yaml", base, args.train_steps)
    if args.run:
        out.update(training_curve(args.run))
    return out


def training_curve(runs: list[str]) -> dict:
    """Closed-loop `seen` success over wall time across the stages of one model (a run, then its fine-tunes)."""
    from pathlib import Path

    evals, offset = [], 0.0
    for run in runs:
        path = Path(run) / "history.json"
        if not path.is_file():
            raise SystemExit(f"heron bench train: {path} not found (a finished training run writes it)")
        history = json.loads(path.read_text())
        summary = next((h["summary"] for h in history if "summary" in h), None)
        if summary is None:
            raise SystemExit(f"heron bench train: {path} has no summary: the run has not finished")
        evals += [{"run": str(run), "step": h["step"], "minutes": round((offset + h["elapsed_s"]) / 60, 1),
                   "success": h["eval"]["success"]} for h in history if "eval" in h]
        offset += summary["wall_s"]
    hit = next((e for e in evals if e["success"] >= 0.8), None)
    return {"evals": evals, "training_minutes": round(offset / 60, 1), "minutes_to_80pct_seen": hit["minutes"] if hit else None}


def run(args) -> int:
    if args.what == "sim":
        from sim.bench import bench_sim

        result = bench_sim(seconds=args.seconds, workers=args.workers)
        if args.expert_episodes:
            from sim.bench import expert_success

            result["expert_success"] = expert_success(episodes_per_family=args.expert_episodes, workers=args.workers)
    else:
        from agent.vlm_bench import run_cli

        result = {"latency": bench_latency, "loop": bench_loop, "train": bench_train, "vlm": run_cli}[args.what](args)
    print(json.dumps(result))
    return 0
