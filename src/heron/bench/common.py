"""Shared pieces of the ``heron bench`` targets: timing, percentiles, the policy options."""

from __future__ import annotations

import time


def add_policy_arguments(p, default_steps: int = 300) -> None:
    """The options of targets that run one policy: which policy, ONNX providers, threads, timed steps."""
    p.add_argument("--policy", default="default", help="policy folder or 'default'")
    p.add_argument("--providers", default=None, help="ONNX Runtime provider order, comma separated")
    p.add_argument("--threads", type=int, default=2, help="inference threads")
    p.add_argument("--steps", type=int, default=default_steps, help="timed steps")


def percentiles(values_s) -> dict:
    import numpy as np

    arr = np.asarray(values_s) * 1e3
    return {"p50_ms": round(float(np.percentile(arr, 50)), 3), "p99_ms": round(float(np.percentile(arr, 99)), 3),
            "mean_ms": round(float(arr.mean()), 3)}


def time_calls(fn, n: int, warmup: int = 10) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def random_observation(policy, seed: int = 0) -> dict:
    """One observation of random pixels and state, shaped as ``policy`` (an ONNX or torch runtime policy) expects."""
    import numpy as np

    rng = np.random.default_rng(seed)
    s = policy.image_size
    obs = {c: rng.integers(0, 256, (s, s, 3), dtype=np.uint8) for c in policy.cameras}
    obs["proprio"] = rng.normal(size=getattr(policy, "proprio_dim", 22)).astype(np.float32)
    return obs
