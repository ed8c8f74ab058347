"""``heron eval --suite metaworld-mt50``: a policy on Meta-World MT50 under LeRobot's protocol.

10 episodes per task by default, reset seeds 1000, 1001, ... (object and goal positions drawn per reset from
the seed), at most 500 steps, success if ``info["success"]`` is ever 1. Reported per task, per difficulty
group (easy 28, medium 11, hard 6, very hard 5), as the mean of the four groups (what the SmolVLA paper's
Table 2 prints) and as the mean over all episodes, with Wilson 95% intervals.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from heron.evaluation.report import save_figure, write_json
from heron.evaluation.stats import wilson_interval
from heron.parallel import Shard, parse_shard, report_errors, run_workers, take_shard

SUITE = "metaworld-mt50"
SEED = 1000
GROUP_TITLES = {"easy": "easy", "medium": "medium", "hard": "hard", "very_hard": "very hard"}


def shuffled_instruction(task: str, names: list[str]) -> str:
    """Another task's instruction (the next task in MT50 order whose string differs): does the policy read it?"""
    from heron.envs.metaworld import instruction, task_names

    order = task_names()
    own = instruction(task)
    i = order.index(task)
    for j in range(1, len(order)):
        other = instruction(order[(i + j) % len(order)])
        if other != own:
            return other
    raise AssertionError("MT50 has more than one instruction")


def check_policy_features(policy, env) -> None:
    """A policy whose cameras, image size, state or action widths differ from the env's fails, naming both."""
    have = {"cameras": list(getattr(policy, "cameras", [])), "image_size": getattr(policy, "image_size", None),
            "proprio_dim": getattr(policy, "proprio_dim", None), "action_dim": getattr(policy, "action_dim", None)}
    have = {k: v for k, v in have.items() if v not in (None, [])}
    msg = env.features.mismatch(have)
    if msg:
        raise ValueError(f"the policy does not fit {env.task}'s features: {msg}")


def run_episode(policy, env, seed: int, text: str) -> dict:
    """One episode from ``reset(seed)``: it depends only on (policy, task, seed), not on what the env ran before."""
    obs, info = env.reset(seed=seed)
    policy.reset()
    policy.set_instruction(text)
    steps, t0 = 0, time.perf_counter()
    while True:
        obs, _, terminated, truncated, info = env.step(policy.act(obs).action)
        steps += 1
        if terminated or truncated:
            break
    return {"task": env.task, "seed": seed, "success": bool(info["success"]), "steps": steps, "instruction": text,
            "wall_s": round(time.perf_counter() - t0, 2)}


class TaskRunner:
    """A policy and one Meta-World env at a time (rebuilt, and checked against the policy, when the task changes)."""

    def __init__(self, policy, cfg: dict):
        self.policy, self.cfg, self.env = policy, cfg, None

    def __call__(self, item: tuple[str, int]) -> dict:
        from heron.envs.metaworld.env import MetaWorldEnv

        task, seed = item
        if self.env is None or self.env.task != task:
            self.close()
            self.env = MetaWorldEnv(task, image_size=self.cfg["image_size"], look=self.cfg["look"])
            check_policy_features(self.policy, self.env)
        text = shuffled_instruction(task, self.cfg["names"]) if self.cfg["shuffle"] else self.env.instruction
        return run_episode(self.policy, self.env, seed, text)

    def close(self) -> None:
        if self.env is not None:
            self.env.close()
            self.env = None


def _worker(w: int, items: list[tuple[str, int]], cfg: dict, q) -> None:
    runner = None
    try:
        from heron import load_policy  # the runtime sets its own threads (ONNX sessions, or torch's)

        runner = TaskRunner(load_policy(cfg["policy"], cfg["runtime"], threads=cfg["threads"]), cfg)
        for task in dict.fromkeys(t for t, _ in items):
            q.put(("task", w, [runner(it) for it in items if it[0] == task]))
        q.put(("done", w, None))
    except BaseException:  # noqa: BLE001 - reported to the driver
        report_errors(w, q)
    finally:
        if runner is not None:
            runner.close()


def summarize(records: list[dict]) -> dict[str, Any]:
    """Per task, per group, the mean of groups and the mean over episodes, with Wilson intervals."""
    from heron.envs.metaworld import GROUPS, group_of

    def rate(rs):
        k, n = sum(r["success"] for r in rs), len(rs)
        lo, hi = wilson_interval(k, n)
        return {"successes": k, "episodes": n, "rate": k / n if n else 0.0, "ci95": [round(lo, 4), round(hi, 4)]}

    tasks = sorted({r["task"] for r in records})
    per_task = {t: rate([r for r in records if r["task"] == t]) for t in tasks}
    per_group = {}
    for g in GROUPS:
        rs = [r for r in records if group_of(r["task"]) == g]
        if rs:
            per_group[g] = {**rate(rs), "tasks": len({r["task"] for r in rs})}
    mean_of_groups = sum(v["rate"] for v in per_group.values()) / len(per_group) if per_group else 0.0
    return {"tasks": per_task, "groups": per_group, "mean_of_groups": mean_of_groups, "overall": rate(records),
            "mean_steps": round(sum(r["steps"] for r in records) / max(1, len(records)), 1)}


def evaluate_metaworld(policy: str, tasks: str | list[str] = "mt50", episodes: int = 10, workers: int = 2, *,
                       seed: int = SEED, runtime: str = "onnx", shuffle_instructions: bool = False,
                       image_size: int | None = None, look: str = "cheap", threads: int = 1,
                       json_path: str | Path | None = None, progress: bool = True, shard: "str | Shard | None" = None,
                       ray: str | None = None) -> dict[str, Any]:
    """Evaluate ``policy`` (a folder, an ONNX export or a shipped name) on Meta-World tasks; returns the report.

    ``shard="i/N"``: every N-th (task, seed) episode from the i-th (``heron eval --merge`` joins the N reports);
    ``ray``: episodes on Ray actors (``workers`` of them; None: one per CPU of the cluster)."""
    from heron import load_policy
    from heron.envs.metaworld import parse_tasks

    names = parse_tasks(",".join(tasks) if isinstance(tasks, list) else tasks)
    if episodes < 1 or (workers is not None and workers < 1):
        raise ValueError(f"episodes={episodes}, workers={workers}: both must be >= 1")
    shard = parse_shard(shard)
    probe = load_policy(policy, runtime, chunking=None)  # fails here, in the driver, on a bad policy
    size = int(image_size or probe.image_size)
    cfg = {"policy": str(policy), "runtime": runtime, "episodes": int(episodes), "seed": int(seed), "image_size": size,
           "look": look, "shuffle": bool(shuffle_instructions), "threads": int(threads), "names": names}
    del probe
    items = take_shard([(t, seed + i) for t in names for i in range(int(episodes))], shard)
    if not items:
        raise ValueError(f"shard {shard}: no episodes fall to it ({len(names)} task(s) x {episodes}); use fewer shards")
    records: list[dict] = []
    t0 = time.time()
    ray_stats = None
    if ray:
        from heron.evaluation.ray_eval import run_metaworld_on_ray

        records, ray_stats = run_metaworld_on_ray(cfg, items, ray, workers, progress)
    else:
        tasks_here = list(dict.fromkeys(t for t, _ in items))
        workers = min(workers or 1, len(tasks_here))
        shares = [[it for it in items if it[0] in tasks_here[w::workers]] for w in range(workers)]
        try:
            run_workers(_worker, shares, cfg, lambda kind, w, payload: records.extend(payload), total=len(tasks_here),
                        desc=SUITE, progress=progress)
        except RuntimeError as exc:
            raise RuntimeError(f"Meta-World evaluation stopped: {exc}") from None
    records.sort(key=lambda r: (r["task"], r["seed"]))
    result = {"suite": SUITE, "config": {k: v for k, v in cfg.items() if k != "names"} | {"tasks": names},
              "shard": shard.to_dict() if shard else None, **({"ray": ray_stats.to_dict()} if ray_stats else {}),
              **summarize(records), "episodes": records, "wall_s": round(time.time() - t0, 1),
              "protocol": "LeRobot's Meta-World protocol (MT1 seed 42, positions drawn per reset from the seed, 500 "
                          f"steps, success ever); rendering: look={look!r} at {size} px (LeRobot: default look, 480 px)"}
    if json_path:
        write_reports_metaworld(result, json_path)
    return result


def markdown(result: dict[str, Any]) -> str:
    from heron.envs.metaworld import group_of

    lines = ["| group | tasks | episodes | success | 95% interval |", "|---|---:|---:|---:|---|"]
    for g, v in result["groups"].items():
        lines.append(f"| {GROUP_TITLES[g]} | {v['tasks']} | {v['episodes']} | {100 * v['rate']:.1f}% | "
                     f"{100 * v['ci95'][0]:.1f}-{100 * v['ci95'][1]:.1f}% |")
    o = result["overall"]
    lines.append(f"| **mean of groups** | | | **{100 * result['mean_of_groups']:.1f}%** | |")
    lines.append(f"| mean over episodes | {len(result['tasks'])} | {o['episodes']} | {100 * o['rate']:.1f}% | "
                 f"{100 * o['ci95'][0]:.1f}-{100 * o['ci95'][1]:.1f}% |")
    lines += ["", "| task | group | success |", "|---|---|---:|"]
    for t, v in result["tasks"].items():
        lines.append(f"| {t} | {GROUP_TITLES[group_of(t)]} | {v['successes']}/{v['episodes']} |")
    return "\n".join(lines) + "\n"


def write_reports_metaworld(result: dict[str, Any], json_path: str | Path) -> dict[str, str]:
    """JSON, a markdown table and a PNG chart (per task, coloured by group) with the same stem."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from heron.envs.metaworld import GROUPS, group_of

    json_path = Path(json_path)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    md = json_path.with_suffix(".md")
    md.write_text(markdown(result))
    tasks = sorted(result["tasks"], key=lambda t: (GROUPS.index(group_of(t)), t))
    colors = {"easy": "tab:green", "medium": "tab:blue", "hard": "tab:orange", "very_hard": "tab:red"}
    fig, ax = plt.subplots(figsize=(max(6, 0.28 * len(tasks) + 2), 4))
    ax.bar(range(len(tasks)), [100 * result["tasks"][t]["rate"] for t in tasks], color=[colors[group_of(t)] for t in tasks])
    ax.set_xticks(range(len(tasks)), [t[:-3] for t in tasks], rotation=90, fontsize=7)
    ax.set_ylabel("success (%)")
    ax.set_ylim(0, 100)
    ax.set_title(f"{SUITE}: mean of groups {100 * result['mean_of_groups']:.1f}%, "
                 f"over episodes {100 * result['overall']['rate']:.1f}%")
    for g, c in colors.items():
        ax.bar([], [], color=c, label=GROUP_TITLES[g])
    ax.legend(fontsize=7)
    png = save_figure(fig, json_path.with_suffix(".png"))
    out = {"json": str(json_path), "markdown": str(md), "chart": str(png)}
    result["outputs"] = out
    write_json(result, json_path)
    return out


def run_cli(args) -> int:
    """``heron eval --suite metaworld-mt50 ...``"""
    import sys

    tasks = ",".join(args.tasks) if args.tasks else "mt50"
    seed = SEED if args.seed is None or args.seed == args.default_seed else args.seed
    workers = args.workers or (None if args.ray else 1)
    result = evaluate_metaworld(args.policy, tasks, args.episodes, workers, seed=seed, runtime=args.runtime,
                                shuffle_instructions=args.shuffle_instructions, image_size=args.image_size,
                                threads=args.threads or 1, json_path=args.json_path, progress=sys.stderr.isatty(),
                                shard=args.shard, ray=args.ray)
    print(markdown(result))
    if result.get("outputs"):
        print("wrote " + ", ".join(result["outputs"].values()))
    print(f"{result['overall']['episodes']} episodes in {result['wall_s']:.1f} s")
    return 0


__all__ = ["SUITE", "evaluate_metaworld", "summarize", "markdown"]
