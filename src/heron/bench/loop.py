"""``heron bench loop``: closed-loop rate with both cameras rendered, and a fresh ``heron run``'s start-up."""

from __future__ import annotations

import json
import time

from heron.bench.common import add_policy_arguments

HELP = "closed-loop rate (ONNX policy, lock-step sim, cameras rendered), time to first action, peak memory"


def add_arguments(p) -> None:
    add_policy_arguments(p)


def bench_loop(args) -> dict:
    """Closed-loop rate with both cameras rendered (ONNX policy, lock-step sim), and a fresh `heron run`'s
    time to first action and peak memory."""
    import os
    import subprocess
    import sys
    import tempfile

    from heron.runtime import load_policy
    from heron.runtime.backends.sim_backend import SimBackend
    from heron.runtime.interfaces import TaskSpec
    from heron.runtime.loop import ControlLoop

    providers = args.providers.split(",") if args.providers else None
    policy = load_policy(args.policy, "onnx", providers=providers, threads=args.threads)
    backend = SimBackend(image_size=policy.image_size)
    loop = ControlLoop(policy)
    steps, seed = 0, 0
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
        cmd = [sys.executable, "-m", "heron.cli.main", "run", "-i", "put the red block in the bowl", "--policy", args.policy,
               "--max-steps", "5", "--json", summary]
        subprocess.run(cmd, check=True, capture_output=True, text=True)
        with open(summary) as f:
            run = json.load(f)
    out["run_time_to_first_action_s"] = run["time_to_first_action_s"]
    out["run_max_rss_mb"] = run["max_rss_mb"]
    out["targets"] = {"closed_loop_ge_30hz": out["closed_loop_hz"] >= 30, "first_action_le_3s": run["time_to_first_action_s"] <= 3.0,
                      "rss_le_1gb": run["max_rss_mb"] <= 1024}
    return out


run = bench_loop
