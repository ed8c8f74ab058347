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
from heron.parallel import report_errors, run_workers

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


def _run_task(policy, task: str, episodes: int, seed: int, image_size: int, look: str, shuffle: bool, names: list[str]) -> list[dict]:
    from heron.envs.metaworld.env import MetaWorldEnv

    env = MetaWorldEnv(task, image_size=image_size, look=look)
    try:
        check_policy_features(policy, env)
        text = shuffled_instruction(task, names) if shuffle else env.instruction
        out = []
        for i in range(episodes):
            obs, info = env.reset(seed=seed + i)
            policy.reset()
            policy.set_instruction(text)
            steps, t0 = 0, time.perf_counter()
            while True:
                obs, _, terminated, truncated, info = env.step(policy.act(obs).action)
                steps += 1
                if terminated or truncated:
                    break
            out.append({"task": task, "seed": seed + i, "success": bool(info["success"]), "steps": steps,
                        "instruction": text, "wall_s": round(time.perf_counter() - t0, 2)})
        return out
    finally:
        env.close()


def _worker(w: int, tasks: list[str], cfg: dict, q) -> None:
    try:
        from heron import load_policy  # the runtime sets its own threads (ONNX sessions, or torch's)

        policy = load_policy(cfg["policy"], cfg["runtime"], threads=cfg["threads"])
        for task in tasks:
            q.put(("task", w, _run_task(policy, task, cfg["episodes"], cfg["seed"], cfg["image_size"], cfg["look"],
                                         cfg["shuffle"], cfg["names"])))
        q.put(("done", w, None))
    except BaseException:  # noqa: BLE001 - reported to the driver
        report_errors(w, q)


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
                       json_path: str | Path | None = None, progress: bool = True) -> dict[str, Any]:
    """Evaluate ``policy`` (a folder, an ONNX export or a shipped name) on Meta-World tasks; returns the report."""
    from heron import load_policy
    from heron.envs.metaworld import parse_tasks

    names = parse_tasks(",".join(tasks) if isinstance(tasks, list) else tasks)
    if episodes < 1 or workers < 1:
        raise ValueError(f"episodes={episodes}, workers={workers}: both must be >= 1")
    probe = load_policy(policy, runtime, chunking=None)  # fails here, in the driver, on a bad policy
    size = int(image_size or probe.image_size)
    cfg = {"policy": str(policy), "runtime": runtime, "episodes": int(episodes), "seed": int(seed), "image_size": size,
           "look": look, "shuffle": bool(shuffle_instructions), "threads": int(threads), "names": names}
    del probe
    workers = min(workers, len(names))
    shares = [names[w::workers] for w in range(workers)]
    records: list[dict] = []
    t0 = time.time()
    try:
        run_workers(_worker, shares, cfg, lambda kind, w, payload: records.extend(payload), total=len(names), desc=SUITE,
                    progress=progress)
    except RuntimeError as exc:
        raise RuntimeError(f"Meta-World evaluation stopped: {exc}") from None
    records.sort(key=lambda r: (r["task"], r["seed"]))
    result = {"suite": SUITE, "config": {k: v for k, v in cfg.items() if k != "names"} | {"tasks": names},
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
    result = evaluate_metaworld(args.policy, tasks, args.episodes, args.workers, seed=seed, runtime=args.runtime,
                                shuffle_instructions=args.shuffle_instructions, image_size=args.image_size,
                                threads=args.threads or 1, json_path=args.json_path, progress=sys.stderr.isatty())
    print(markdown(result))
    if result.get("outputs"):
        print("wrote " + ", ".join(result["outputs"].values()))
    print(f"{result['overall']['episodes']} episodes in {result['wall_s']:.1f} s")
    return 0


__all__ = ["SUITE", "evaluate_metaworld", "summarize", "markdown"]
