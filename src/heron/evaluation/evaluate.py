"""``evaluate()``: closed-loop success of a policy on a suite, with Wilson intervals.

The one function behind ``heron eval`` and the training callback::

    result = evaluate("oracle", "seen", episodes=8, workers=1)
    result["aggregates"]["overall"]["rate"]

Policies: ``"oracle"`` (the simulator's scripted expert), ``"random"``, a policy folder or name for
``heron.runtime.load_policy``, or a Policy object (in this process, ``workers=1``). The pieces live in
``heron/evaluation/``: suites (what to run), runner (worker processes), stats, report (outputs).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

from heron.evaluation.runner import SIMPLE_NAMES, EpisodeRunner, WorkerConfig, run_specs
from heron.evaluation.stats import aggregate
from heron.evaluation.suites import (
    Suite,
    check_task_names,
    load_instructions_file,
    load_suite,
    narrow,
    plan_episodes,
)
from heron.parallel import Shard, parse_shard, take_shard
from heron.viz.video import DEFAULT_VIDEO_SIZE, parse_video_size

RUNTIMES = ("torch", "onnx")
EVAL_SEED = 1_000_000  # evaluation scenes: disjoint from the seeds `heron collect` uses by default (0, 1, 2, ...)


def known_tasks() -> list[str]:
    """The task families the simulator registers."""
    from heron.envs.tabletop.tasks import TASKS

    return list(TASKS.names())


def evaluate(
    policy: Any,
    suite: str | Path | Suite = "seen",
    episodes: int = 20,
    workers: int = 1,
    *,
    seed: int = EVAL_SEED,
    tasks: list[str] | None = None,
    instructions_file: str | Path | None = None,
    shuffle_instructions: bool = False,
    runtime: str = "torch",
    video_dir: str | Path | None = None,
    videos: int = 0,
    video_size: str | tuple[int, int] = DEFAULT_VIDEO_SIZE,
    json_path: str | Path | None = None,
    image_size: int | None = None,
    control_hz: float | None = None,
    loop: dict | None = None,
    threads: int | None = None,
    progress: bool | Callable[[dict], None] = False,
    runner: EpisodeRunner | None = None,
    shard: str | Shard | None = None,
    ray: str | None = None,
) -> dict[str, Any]:
    """Run ``episodes`` episodes of ``suite`` and return ``{"config", "aggregates", "overall", "episodes"}``.

    Episode ``i`` uses seed ``seed + i``; families take turns. With ``instructions_file`` (JSONL) each
    line is one episode with its own seed and ``episodes`` is ignored. ``json_path`` also writes the
    markdown table and PNG chart beside it. ``runner`` reuses one in-process EpisodeRunner (its
    simulator connections) across calls, e.g. from a training callback.

    ``shard="i/N"`` runs episodes i, i + N, ... of the planned ones (``heron eval --merge`` joins the N reports into
    the one a whole run gives); ``ray`` runs them on Ray actors (``workers`` of them; None: one per CPU there).
    """
    t0 = time.perf_counter()
    shard = parse_shard(shard)
    if workers is None and not ray:
        workers = 1
    if ray and not isinstance(policy, (str, Path)):
        raise ValueError("ray needs a policy name or folder (each actor loads its own), not a Policy object")
    _check_args(policy, episodes, workers or 1, runtime, videos)
    names = known_tasks()
    if tasks:
        check_task_names(list(tasks), names, "--tasks: ")
    suite_obj = _resolve_suite(suite, tasks, instructions_file, names)
    _check_entry_args(suite_obj, names)
    if instructions_file is not None:
        episodes = len(suite_obj.entries)
    if shuffle_instructions and suite_obj.type == "chains":
        raise ValueError("--shuffle-instructions applies to single-instruction suites, not chains")
    planned = plan_episodes(suite_obj, episodes, seed, names, shuffle_instructions)
    specs = take_shard(planned, shard)
    if not specs:
        raise ValueError(f"shard {shard}: no episodes fall to it ({len(planned)} planned); use fewer shards")
    if isinstance(policy, (str, Path)):
        policy = str(policy)
        _check_policy(policy, runtime, workers or 2)
    cfg = WorkerConfig(
        policy=policy, runtime=runtime, image_size=image_size, control_hz=control_hz,
        video_dir=str(video_dir) if video_dir else None, video_size=parse_video_size(video_size, "video_size"), loop=loop,
        threads=threads or (1 if ray or (workers or 1) > 1 else None),
    )
    video_idx = _video_indices(planned, videos) if video_dir else set()
    ray_stats = None
    if ray:
        from heron.evaluation.ray_eval import run_specs_on_ray

        records, ray_stats = run_specs_on_ray(cfg, specs, ray, workers, frozenset(video_idx), _progress(progress, len(specs)))
    else:
        records = run_specs(cfg, specs, workers=workers, video_indices=video_idx,
                            progress=_progress(progress, len(specs)), runner=runner)
    aggregates = aggregate(records)
    result = {
        "config": {
            "policy": policy if isinstance(policy, str) else type(policy).__name__,
            "suite": suite_obj.name, "suite_type": suite_obj.type, "split": suite_obj.split,
            "episodes": len(planned), "workers": workers, "seed": seed, "runtime": runtime,
            "tasks": list(tasks) if tasks else None,
            "instructions_file": str(instructions_file) if instructions_file else None,
            "shuffle_instructions": shuffle_instructions, "image_size": image_size, "control_hz": control_hz,
            "loop": loop, "video_dir": str(video_dir) if video_dir else None, "videos": videos,
            "video_size": list(parse_video_size(video_size, "video_size")) if video_dir else None,
        },
        "aggregates": aggregates,
        # the headline, for callers that want one number (training callbacks): success + interval
        "overall": {"success": aggregates["overall"]["rate"], **aggregates["overall"]},
        "episodes": records,
        "shard": shard.to_dict() if shard else None,
    }
    if ray_stats is not None:
        result["ray"] = ray_stats.to_dict()
    wall = time.perf_counter() - t0
    result["wall_s"] = round(wall, 3)
    result["episodes_per_min"] = round(60 * len(records) / wall, 2)
    if json_path:
        from heron.evaluation.report import write_reports

        write_reports(result, json_path)
    return result


def _resolve_suite(suite, tasks, instructions_file, names: list[str]) -> Suite:
    """The suite object; an instructions file replaces the suite and keeps only its split."""
    if instructions_file is None:
        return suite if isinstance(suite, Suite) else load_suite(suite, list(tasks) if tasks else None)
    base = suite if isinstance(suite, Suite) else load_suite(suite)
    if base.type != "tasks":
        raise ValueError(f"--instructions-file lists single instructions; it cannot run as the {base.type} suite "
                         f"{base.name!r} (use --suite seen or heldout to choose the template split)")
    out = Suite(name=f"file:{Path(instructions_file).name}", split=base.split,
                entries=load_instructions_file(instructions_file, names))
    return narrow(out, list(tasks)) if tasks else out


def _check_entry_args(suite: Suite, names: list[str]) -> None:
    """Arguments the task would refuse fail now, naming the entry (or file line), not mid-run."""
    from heron.envs.tabletop.tasks import TASKS

    for i, e in enumerate(suite.entries):
        where = f"line {e.line}" if e.line else f"entry {i}"
        check_task_names([e.task], names, f"suite {suite.name!r} {where}: ")
        if e.args is not None:
            try:
                TASKS.get(e.task).validate_args(e.args)
            except ValueError as exc:
                raise ValueError(f"suite {suite.name!r} {where}: {exc}") from None


def _check_args(policy: Any, episodes: int, workers: int, runtime: str, videos: int) -> None:
    if isinstance(episodes, bool) or not isinstance(episodes, int) or episodes < 1:
        raise ValueError(f"episodes: expected an integer >= 1, got {episodes!r}")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers: expected an integer >= 1, got {workers!r}")
    if runtime not in RUNTIMES:
        raise ValueError(f"runtime: {runtime!r} is not allowed; allowed: {', '.join(RUNTIMES)}")
    if videos < 0:
        raise ValueError(f"videos: expected >= 0, got {videos!r}")
    if not isinstance(policy, (str, Path)) and workers > 1:
        raise ValueError("workers > 1 needs a policy name or folder (each worker loads its own); "
                         "use workers=1 to evaluate a Policy object in this process")
    if not isinstance(policy, (str, Path)) and not all(hasattr(policy, m) for m in ("reset", "set_instruction", "act")):
        raise ValueError(f"policy: expected a name, a folder or a Policy (reset, set_instruction, act); got {type(policy).__name__}")


def _check_policy(policy: str, runtime: str, workers: int) -> None:
    """Fail here, with a message naming the policy, rather than inside a worker process; with
    several workers and ONNX, export once here so that workers do not race to write the cache."""
    if policy in SIMPLE_NAMES:
        return
    from heron.runtime.plugin import is_plugin, load_plugin

    if is_plugin(policy):
        load_plugin(policy)  # import and build it once here: a bad name fails before any worker starts
        return
    from heron.runtime.lerobot_policy import check_lerobot, is_lerobot

    if is_lerobot(policy):
        check_lerobot(policy)  # the folder, its features and a Python with LeRobot, before any worker starts
        return
    from heron.runtime.factory import onnx_dir_for, resolve_policy_dir

    try:
        folder = resolve_policy_dir(policy)
    except FileNotFoundError:
        if policy == "default":
            raise FileNotFoundError(
                "policy 'default': no default policy is installed (heron/policies/default/ is empty); "
                "train one (heron train) and pass its folder, or use oracle / random"
            ) from None
        raise FileNotFoundError(
            f"policy {policy!r}: no such policy folder; give a folder with config.json (or an ONNX export "
            f"with spec.json), default, or one of {', '.join(SIMPLE_NAMES)}"
        ) from None
    if runtime == "onnx" and workers > 1:
        onnx_dir_for(folder)


def _video_indices(specs, per_family: int) -> set[int]:
    seen: dict[str, int] = {}
    out = set()
    for s in specs:
        if seen.get(s.family, 0) < per_family:
            seen[s.family] = seen.get(s.family, 0) + 1
            out.add(s.index)
    return out


def _progress(progress: bool | Callable[[dict], None], total: int) -> Callable[[dict], None] | None:
    if callable(progress):
        return progress
    if not progress:
        return None
    from tqdm import tqdm

    bar = tqdm(total=total, desc="eval", unit="ep")
    ok = [0]

    def update(rec: dict) -> None:
        ok[0] += bool(rec["success"])
        bar.update(1)
        bar.set_postfix(success=f"{ok[0]}/{bar.n}")
        if bar.n >= total:
            bar.close()

    return update


def make_eval_callback(episodes: int, suite: str = "seen"):
    """Closed-loop success in the simulator, handed to the trainer by ``heron train`` (training never imports
    evaluation or the simulator): `seen` on the tabletop, or ``metaworld-mt50`` (``episodes`` per task, every
    task; success is the mean of the four difficulty groups)."""

    def callback(step, folder) -> dict:
        if suite == "metaworld-mt50":
            from heron.evaluation.metaworld import evaluate_metaworld

            result = evaluate_metaworld(str(folder), "mt50", episodes=episodes, workers=2, runtime="torch", progress=False)
            return {"success": result["mean_of_groups"], "over_episodes": result["overall"]["rate"],
                    "groups": {g: v["rate"] for g, v in result["groups"].items()}, "episodes": result["overall"]["episodes"]}
        report = evaluate(str(folder), suite="seen", episodes=episodes, workers=1, runtime="torch")
        return {"success": report["overall"]["success"], "episodes": episodes}

    return callback
