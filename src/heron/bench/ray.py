"""``heron bench ray``: the same evaluation and collection on local worker processes and on a private Ray, timed
whole (start to finish, Ray's start and stop included), with Ray's own phases, and checked equal.

On one machine Ray gains nothing over local processes (PROBES.md); this measures what it costs, so a user can tell
when it pays: when the episodes are long enough, or the machines many enough, to cover its start and stop.
Run it in a private network namespace (``make bench-ray``): it starts Ray's servers.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import time
from pathlib import Path

HELP = "local worker processes against a private Ray: whole-run times, Ray's start/ready/stop, results equal"


def add_arguments(p) -> None:
    p.add_argument("--episodes", type=int, default=40, help="evaluation episodes and collected episodes (default 40)")
    p.add_argument("--workers", type=int, default=2, help="local workers and Ray actors (default 2)")
    p.add_argument("--policy", default="oracle", help="policy to evaluate (default oracle: the scripted expert)")


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, round(time.perf_counter() - t0, 2)


def run(args) -> dict:
    from heron.collection.collect import collect
    from heron.data.merge import episode_digests
    from heron.evaluation.evaluate import evaluate

    interfaces = sorted(name for _, name in socket.if_nameindex())
    ev = dict(policy=args.policy, suite="seen", episodes=args.episodes, runtime="onnx", workers=args.workers)
    local_eval, local_eval_s = _timed(lambda: evaluate(**ev))
    ray_eval, ray_eval_s = _timed(lambda: evaluate(**ev, ray="local"))
    same_eval = [(r["index"], r["success"], r["steps"]) for r in local_eval["episodes"]] == \
                [(r["index"], r["success"], r["steps"]) for r in ray_eval["episodes"]]
    root = Path(tempfile.mkdtemp(prefix="heron-bench-ray-"))
    try:
        co = dict(tasks="all", episodes=args.episodes, workers=args.workers, progress=False)
        _, local_collect_s = _timed(lambda: collect(out=root / "local", **co))
        ray_collect, ray_collect_s = _timed(lambda: collect(out=root / "ray", ray="local", **co))
        same_data = episode_digests(root / "local") == episode_digests(root / "ray")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return {
        "bench": "ray", "episodes": args.episodes, "workers": args.workers, "policy": args.policy,
        "private_network": interfaces == ["lo"], "interfaces": interfaces,
        "eval": {"local_s": local_eval_s, "ray_s": ray_eval_s, "ray_minus_local_s": round(ray_eval_s - local_eval_s, 2),
                 "ray": ray_eval["ray"], "same_results": same_eval},
        "collect": {"local_s": local_collect_s, "ray_s": ray_collect_s,
                    "ray_minus_local_s": round(ray_collect_s - local_collect_s, 2), "ray": ray_collect["ray"],
                    "same_data": same_data},
    }


def exit_code(result: dict) -> int:
    return 0 if result["eval"]["same_results"] and result["collect"]["same_data"] else 1
