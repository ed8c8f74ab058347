"""Arguments and helpers shared by the commands that run a policy (run, chat, bench) or many episodes (collect, eval)."""

from __future__ import annotations

import json
import os
import resource
import time

T_START = time.perf_counter()  # this module is imported at CLI start


def seconds_since_process_start() -> float:
    """Wall time since this process was created (Linux /proc; else since the CLI started)."""
    try:
        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.perf_counter() - T_START


def step_printer(first_action: list[float], indent: str = "  "):
    """``on_step`` for run_episode: notes the time of the first action, prints progress every 10 steps."""

    def on_step(i, obs, step, info):
        if not first_action:
            first_action.append(seconds_since_process_start())
        if i % 10 == 0 or info.get("success"):
            print(f"{indent}step {i + 1:3d}  done={step.done:.2f}  success={bool(info.get('success'))}", flush=True)
        return None

    return on_step


def add_policy_arguments(p) -> None:
    p.add_argument("--policy", default="default", help="policy folder, ONNX export folder, or 'default' (the shipped model)")
    p.add_argument("--runtime", default="onnx", choices=["onnx", "torch"], help="inference runtime (default: onnx)")
    p.add_argument("--providers", default=None, help="ONNX Runtime provider order, comma separated (default: tensorrt,cuda,cpu)")
    p.add_argument("--threads", type=int, default=None, help="inference threads")
    p.add_argument("--precision", default="fp32", choices=["fp32", "fp16"], help="ONNX graphs to run (fp16 for GPUs)")


def load_from_args(args):
    from heron.runtime import load_policy

    providers = args.providers.split(",") if args.providers else None
    return load_policy(args.policy, runtime=args.runtime, providers=providers, threads=args.threads, precision=args.precision)


def resolve_task(instruction: str, task: str | None, task_args: str | None) -> tuple[str | None, dict]:
    """The task whose success predicate judges an instruction: --task/--args, else parsed from the words."""
    import heron.envs.tabletop.tasks

    if task:
        try:
            parsed_args = json.loads(task_args) if task_args else {}
        except json.JSONDecodeError as exc:
            raise ValueError(f"--args is not valid JSON: {exc}") from None
        heron.envs.tabletop.tasks.TASKS.get(task)
        return task, parsed_args
    parsed = heron.envs.tabletop.tasks.parse_instruction(instruction)
    return parsed if parsed else (None, {})


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def add_distributed_arguments(p, what: str, merge: str) -> None:
    """``--shard i/N`` and ``--ray [ADDRESS]`` for the commands that run many episodes (collect, eval)."""
    p.add_argument("--shard", default=None, metavar="I/N",
                   help=f"run only shard I of N (from 0) of the {what}; N runs give what one run would ({merge}); "
                        "e.g. a Slurm array: --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT")
    p.add_argument("--ray", nargs="?", const="auto", default=None, metavar="ADDRESS",
                   help="run episodes on Ray actors (pip install 'heron[ray]'): auto (the cluster `ray start` runs here; "
                        "the default), HOST:PORT (a head's GCS), ray://HOST:PORT (Ray Client), or local (a private Ray on "
                        "this machine, bound to 127.0.0.1). Usage statistics stay off unless RAY_USAGE_STATS_ENABLED is set")


def ray_address(value: str | None) -> str | None:
    """The --ray value, checked; sets RAY_USAGE_STATS_ENABLED=0 unless the user chose otherwise."""
    if value is None:
        return None
    value = value.strip()
    if value not in ("auto", "local") and not value.startswith("ray://") and ":" not in value:
        raise ValueError(f"--ray {value!r}: expected auto, local, HOST:PORT or ray://HOST:PORT")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    return value
