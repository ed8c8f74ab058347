"""Speed and expert-quality benchmarks (JSON-printing; not tests).

    python -m heron.bench.sim                # bench_sim(): physics / rendered control / expert episodes
    python -m heron.bench.sim success 200    # expert_success(): per-family success over 200 seeds each
"""

from __future__ import annotations

import json
import multiprocessing as mp
import sys
import time

import numpy as np


def _physics_rate(seconds: float) -> dict:
    from heron.envs.tabletop.env import TabletopEnv

    env = TabletopEnv(task="pick")
    env.reset(seed=0)
    p, kw = env._p, {"physicsClientId": env.client_id}
    n, t0, c0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - t0 < seconds:
        for _ in range(240):
            p.stepSimulation(**kw)
        n += 240
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    env.close()
    return {"physics_steps_per_s": n / wall, "physics_steps_per_cpu_s": n / cpu}


def _control_rate(seconds: float) -> dict:
    """Rendered control steps/s (both cameras, default size), driven by the expert's actions."""
    from heron.envs.tabletop.env import TabletopEnv

    env = TabletopEnv(task=None)
    rng = np.random.default_rng(0)
    steps, t_step, c_step, t0 = 0, 0.0, 0.0, time.perf_counter()
    seed = 0
    while time.perf_counter() - t0 < seconds:
        env.reset(seed=seed)
        seed += 1
        done = False
        while not done and time.perf_counter() - t0 < seconds:
            a = np.clip(env.expert_action() + rng.normal(0, 0.1, 5), -1, 1).astype(np.float32)
            ts, cs = time.perf_counter(), time.process_time()
            _, _, term, trunc, _ = env.step(a)
            t_step += time.perf_counter() - ts
            c_step += time.process_time() - cs
            steps += 1
            done = term or trunc
    total = time.perf_counter() - t0
    # render cost alone
    from heron.envs.tabletop import cameras

    n, cr = 100, time.process_time()
    for _ in range(n):
        cameras.render(env._p, env.client_id, env.config.image_size, cameras.FRONT_VIEW, cameras.FRONT_PROJ, background=env._table_rgb)
    render_ms = (time.process_time() - cr) / n * 1000
    env.close()
    return {
        "control_steps_per_s": steps / t_step,  # env.step alone, wall clock
        "control_steps_per_cpu_s": steps / c_step,  # env.step alone, CPU time (robust to a busy machine)
        "control_steps_per_s_with_expert_and_resets": steps / total,
        "render_cpu_ms_per_frame": render_ms,
    }


def _expert_worker(args) -> tuple[int, int, int, float]:
    families, seeds, duration, image_size = args
    from heron.envs.tabletop.env import TabletopEnv

    envs = {}
    episodes = successes = steps = 0
    t0 = time.perf_counter()
    for family, seed in zip(families, seeds):
        if duration is not None and time.perf_counter() - t0 > duration:
            break
        env = envs.get(family) or envs.setdefault(family, TabletopEnv(task=family, image_size=image_size))
        _, info = env.reset(seed=int(seed))
        done = False
        while not done:
            _, _, term, trunc, info = env.step(env.expert_action())
            steps += 1
            done = term or trunc
        episodes += 1
        successes += int(info["success"])
    elapsed = time.perf_counter() - t0
    for env in envs.values():
        env.close()
    return episodes, successes, steps, elapsed


def _pool(workers: int):
    return mp.get_context("spawn").Pool(workers)


def bench_sim(seconds: float = 10.0, workers: int = 2, episodes: int | None = None) -> dict:
    """Physics steps/s, rendered control steps/s (both cameras, default resolution), and expert
    episodes/min over ``workers`` processes (for ``seconds / 3`` each, or ``episodes`` in total)."""
    part = seconds / 3
    out = _physics_rate(part)
    out.update(_control_rate(part))
    from heron.envs.tabletop.tasks import TASKS

    names = TASKS.names()
    total = episodes or 10_000
    jobs = []
    for w in range(workers):
        idx = np.arange(w, total, workers)
        fams = [names[i % len(names)] for i in idx]
        jobs.append((fams, idx.tolist(), None if episodes else part, 96))
    with _pool(workers) as pool:
        results = pool.map(_expert_worker, jobs)
    elapsed = max(r[3] for r in results)  # process start-up excluded
    n = sum(r[0] for r in results)
    out.update({
        "expert_episodes_per_min": n / elapsed * 60,
        "expert_episodes": n,
        "expert_success_rate": sum(r[1] for r in results) / max(n, 1),
        "expert_steps_per_episode": sum(r[2] for r in results) / max(n, 1),
        "workers": workers,
    })
    return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in out.items()}


def expert_success(episodes_per_family: int = 200, workers: int = 2, families: list[str] | None = None) -> dict:
    """Scripted-expert success rate per family over seeds 0..episodes_per_family-1."""
    from heron.envs.tabletop.tasks import TASKS

    families = families or TASKS.names()
    jobs = []
    for fam in families:
        for w in range(workers):
            seeds = list(range(w, episodes_per_family, workers))
            jobs.append(([fam] * len(seeds), seeds, None, 64))
    with _pool(workers) as pool:
        results = pool.map(_expert_worker, jobs)
    out = {}
    for i, fam in enumerate(families):
        rs = results[i * workers:(i + 1) * workers]
        n, s, st = (sum(r[k] for r in rs) for k in range(3))
        out[fam] = {"success_rate": s / n, "episodes": n, "mean_steps": round(st / n, 1)}
    return out


HELP = "simulator speed: physics rate, rendered control rate, expert episodes per second (and expert success)"


def add_arguments(p) -> None:
    p.add_argument("--seconds", type=float, default=10.0, help="seconds per figure")
    p.add_argument("--workers", type=int, default=2, help="collection workers")
    p.add_argument("--expert-episodes", type=int, default=0, help="also run N expert episodes per family (200 for the full check)")


def run(args) -> dict:
    result = bench_sim(seconds=args.seconds, workers=args.workers)
    if args.expert_episodes:
        result["expert_success"] = expert_success(episodes_per_family=args.expert_episodes, workers=args.workers)
    return result


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "success":
        n = int(argv[1]) if len(argv) > 1 else 200
        print(json.dumps(expert_success(n), indent=2))
    else:
        seconds = float(argv[0]) if argv else 10.0
        print(json.dumps(bench_sim(seconds), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
