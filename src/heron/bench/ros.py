"""Closed-loop benchmark of the two nodes as separate processes: success, steps and image -> command
latency, printed as JSON. The graph stays on this machine (localhost discovery, its own domain).

    python -m heron.bench.ros --policy default --trigger sensors --task pick --episodes 5
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from heron.bench.ros_graph import RECORD_READY, Operator, local_env, node_processes, start_node, stop_node
from heron.evaluation.evaluate import EVAL_SEED


def task_families(task: str) -> list[str]:
    """``pick``, ``pick,place`` or ``all`` -> the families to cycle through (unknown names are named)."""
    from heron.envs.tabletop.tasks import TASKS

    names = list(TASKS.names()) if task == "all" else [t.strip() for t in task.split(",") if t.strip()]
    for n in names:
        TASKS.get(n)  # raises with the known names
    if not names:
        raise ValueError(f"--task {task!r}: no family named")
    return names


def run_bench(policy: str, trigger: str, task: str, episodes: int, domain_id: int, runtime: str = "onnx", publish_expert: bool = False,
              step_mode: str = "clock", seed: int = 0, randomize: str | None = None, record: Path | None = None) -> dict:
    """``episodes`` tasks (families of ``task`` in turn, seeds ``seed + i``) through both nodes; with
    ``record``, heron-record writes the session as a rosbag2 bag there (the worked fine-tuning example)."""
    import rclpy
    from rclpy.context import Context

    families = task_families(task)
    if record is not None and (record.exists() or record.with_name(record.name + ".partial").exists()):
        raise ValueError(f"--record {record}: already exists; give a new path (nothing is overwritten)")
    log_dir = Path(tempfile.mkdtemp(prefix="heron_ros_bench_"))
    env = local_env(domain_id, str(log_dir / "ros_log"))
    os.environ.update(ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST", ROS_LOG_DIR=env["ROS_LOG_DIR"])
    sim_params = {"task": families[0], "publish_expert": publish_expert or policy == "expert" or record is not None,
                  "step_mode": step_mode, **({"randomize": str(randomize)} if randomize else {})}
    pol_params = {"policy": policy, "runtime": runtime, "control_trigger": trigger}
    results = []
    with node_processes(env, sim_params, pol_params, log_dir):
        rec = start_node("heron-record", {"output": str(record), "discovery_period_s": 0.1}, env, log_dir) if record else None
        ctx = Context()
        rclpy.init(context=ctx, domain_id=domain_id)
        op = Operator(ctx)
        try:
            op.wait_ready()
            if rec is not None:
                log = log_dir / "heron-record.log"
                op.wait(lambda: all(r in log.read_text() for r in RECORD_READY), 60, "heron-record's subscriptions")
                time.sleep(0.5)
            for i in range(episodes):
                final = op.run_task({"task": families[i % len(families)], "seed": seed + i})
                results.append({"task": final["task"], "args": final["args"], "seed": seed + i, "success": final["success"], "steps": final["steps"],
                                "max_steps": final["max_steps"], "instruction": final["instruction"]})
            status = op.status[-1]
        finally:
            op.close()
            rclpy.shutdown(context=ctx)
            if rec is not None:
                stop_node(rec, timeout=60.0)
    return {
        "policy": policy, "runtime": runtime, "trigger": trigger, "step_mode": step_mode, "task": task, "episodes": episodes,
        "randomize": randomize, "bag": str(record) if record else None,
        "success_rate": sum(r["success"] for r in results) / max(1, len(results)),
        "image_to_cmd_ms": status["image_to_cmd_ms"], "step_latency_ms": status["step_latency_ms"],
        "inference_ms": status["inference_ms"], "missed_deadlines": status["missed_deadlines"],
        "episodes_detail": results, "logs": str(log_dir),
    }


HELP = "the two ROS 2 nodes as separate processes: closed-loop success and image-to-command latency (or --soak)"


def add_arguments(ap) -> None:
    ap.add_argument("--policy", default="default", help="default | a policy folder | random | hold | expert")
    ap.add_argument("--runtime", default="onnx", choices=("onnx", "torch"))
    ap.add_argument("--trigger", default="sensors", choices=("timer", "sensors"))
    ap.add_argument("--task", default="pick", help="a family, a comma list, or all (cycled)")
    ap.add_argument("--episodes", type=int, default=3)
    ap.add_argument("--step-mode", default="clock", choices=("clock", "command"),
                    help="clock: the sim steps on its own wall clock (a robot); command: one step per command (lock-step)")
    ap.add_argument("--seed", type=int, default=EVAL_SEED, help=f"env seed of the first episode (default {EVAL_SEED}, the evaluation seeds)")
    ap.add_argument("--domain-id", type=int, default=61)
    ap.add_argument("--soak", type=int, metavar="MINUTES", help="soak instead: episodes of touch/pick/place back to back, "
                    "reported per minute (RSS, step latency, missed deadlines, messages); see heron/bench/soak.py")
    ap.add_argument("--out", type=Path, help="also write the JSON here (written to a temp file, then renamed)")
    ap.add_argument("--randomize", help="the sim node's -p randomize:=YAML (a scene variant, e.g. configs/collect/table_color.yaml)")
    ap.add_argument("--record", type=Path, metavar="BAG", help="record the session with heron-record as a rosbag2 bag here")


def run(a) -> dict:
    if a.soak is not None:
        from heron.bench.soak import run_soak

        if a.soak < 1:
            raise ValueError(f"--soak {a.soak}: at least 1 minute")
        result = run_soak(a.soak, a.domain_id, a.policy, a.trigger, seed=a.seed)
    else:
        result = run_bench(a.policy, a.trigger, a.task, a.episodes, a.domain_id, a.runtime, step_mode=a.step_mode,
                           seed=a.seed, randomize=a.randomize, record=a.record)
    _emit(result, a.out)
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m heron.bench.ros", description=__doc__.splitlines()[0])
    add_arguments(ap)
    try:
        run(ap.parse_args(argv))
    except (ValueError, KeyError) as exc:
        ap.error(str(exc))
    return 0


def _emit(result: dict, out: Path | None) -> None:
    text = json.dumps(result, indent=1)
    print(text)
    if out is not None:
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(text + "\n")
        tmp.replace(out)


if __name__ == "__main__":
    raise SystemExit(main())
