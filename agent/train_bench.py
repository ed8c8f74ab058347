"""``heron bench train --config C --minutes M``: how fast a training recipe reaches 80% / 90% on `seen`.

Trains the config from scratch for at most ``M`` minutes of training time and evaluates closed-loop
`seen` success every ``K`` training minutes on fixed evaluation seeds (the same scenes every time).
Evaluation time is measured and reported apart; it is not counted in the training minutes. Data
collection, when needed, happens first and is not timed either.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def bench_throughput(config: str, overrides: list[str], steps: int) -> dict[str, Any]:
    """Samples/s of ``config`` (with ``overrides``) over ``steps`` optimizer steps, and the mean
    milliseconds per step of each phase (load; forward, augmentation and language lookup included;
    backward; optimizer), the first 10 steps left out as warm-up. Nothing is evaluated or kept."""
    import os
    import tempfile

    import numpy as np

    from policies.training.config import load_train_config
    from policies.training.trainer import PHASES, Trainer

    if steps < 20:
        raise ValueError(f"--train-steps {steps}: at least 20 (10 are warm-up)")
    with tempfile.TemporaryDirectory() as tmp:
        cfg = load_train_config(config, [*overrides, f"out={tmp}", f"steps={steps + 10}", "log_every=10", "val_fraction=0",
                                         "val_every=1000000", "checkpoint_every=1000000", "eval_every=0", "eval_every_min=0",
                                         "max_minutes=null"])
        Trainer(cfg, progress=False).fit()
        history = [h for h in json.loads((Path(tmp) / "history.json").read_text()) if "samples_per_s" in h][1:]
    world = int(os.environ.get("WORLD_SIZE", "1"))
    return {
        "config": config, "overrides": overrides, "steps": steps, "world_size": world,
        "samples_per_s": round(float(np.mean([h["samples_per_s"] for h in history])), 1),
        "step_ms": {k: round(float(np.mean([h[f"ms_{k}"] for h in history])), 1) for k in PHASES},
        "batch_size": cfg.batch_size, "threads": cfg.num_threads, "precision": cfg.precision, "channels_last": cfg.channels_last,
    }


def bench_recipe(config: str, minutes: float, eval_every_min: float, eval_episodes: int, *, out: str | None = None,
                 collect_episodes: int | None = None, plot: str | None = None, compare: list[str] | None = None,
                 overrides: list[str] | None = None) -> dict[str, Any]:
    import logging

    from agent.commands.train import make_eval_callback
    from policies.training.config import load_train_config
    from policies.training.trainer import Trainer

    if minutes <= 0 or eval_every_min <= 0 or eval_episodes < 1:
        raise ValueError(f"--minutes ({minutes}) and --eval-every-min ({eval_every_min}) must be > 0 and "
                         f"--eval-episodes ({eval_episodes}) >= 1")
    owned = {"out": "--out", "max_minutes": "--minutes", "eval_every_min": "--eval-every-min", "eval_episodes": "--eval-episodes"}
    for item in overrides or []:
        key = item.split("=", 1)[0].strip()
        if key in owned:
            raise ValueError(f"--set {item}: the benchmark sets {key} itself; use {owned[key]}")
    name = Path(config).stem
    run_dir = Path(out or f"runs/bench-{name}")
    if (run_dir / "checkpoint" / "trainer_state.pt").exists():
        raise ValueError(f"{run_dir} holds a checkpoint: a benchmark trains from scratch; remove it or give another --out")
    cfg0 = load_train_config(config, overrides or [])
    if cfg0.init_from:
        raise ValueError(f"{config}: init_from={cfg0.init_from!r}: a benchmark trains from scratch; use a config without init_from")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if isinstance(cfg0.data, list):  # aggregated data (e.g. DAgger rounds) is made by its own commands
        if collect_episodes is not None:
            raise ValueError(f"{config}: data={cfg0.data}: --collect-episodes collects into one dataset; name one or drop it")
        for d in cfg0.data:
            _ensure_data(d, None)
        collected = 0
    else:
        collected = _ensure_data(cfg0.data, collect_episodes)
    cfg = load_train_config(config, [*(overrides or []), f"out={run_dir}", f"max_minutes={minutes}", f"eval_every_min={eval_every_min}",
                                     "eval_every=0", f"eval_episodes={eval_episodes}"])
    summary = Trainer(cfg, eval_callback=make_eval_callback(eval_episodes), progress=False).fit()
    history = json.loads((run_dir / "history.json").read_text())
    final = make_eval_callback(eval_episodes)(summary["steps"], run_dir / "final")
    curve = [{"train_minutes": round(h["train_s"] / 60, 2), "step": h["step"], "success": h["eval"]["success"]}
             for h in history if "eval" in h]
    curve.append({"train_minutes": round(summary["train_s"] / 60, 2), "step": summary["steps"], "success": final["success"]})
    result = {
        "config": config,
        "overrides": overrides or [],
        "samples_per_s": round(float(summary["samples_per_s"] or 0.0), 1),
        "minutes_to_80": _first(curve, 0.8),
        "minutes_to_90": _first(curve, 0.9),
        "final_seen": final["success"],
        "curve": curve,
        "training_minutes": round(summary["train_s"] / 60, 2),
        "eval_minutes": round((sum(h.get("eval_s", 0.0) for h in history if "eval" in h)) / 60, 2),
        "steps": summary["steps"],
        "batch_size": cfg.batch_size,
        "threads": cfg.num_threads,
        "eval_episodes": eval_episodes,
        "collected_first": collected,
        "run": str(run_dir),
    }
    if plot:
        result["plot"] = str(plot_curves([result] + [_load(c) for c in compare or []], plot))
    return result


def _first(curve: list[dict], level: float) -> float | None:
    hit = next((c for c in curve if c["success"] >= level), None)
    return hit["train_minutes"] if hit else None


def _ensure_data(data: str, episodes: int | None) -> int:
    """Collect up to ``episodes`` into ``data`` when it has fewer; returns how many were collected."""
    from policies.data import DemoDataset

    have = 0
    if Path(data).is_dir() and any(Path(data).glob("shard-*")):
        have = len(DemoDataset(data))
    if episodes is None:
        if have == 0:
            raise FileNotFoundError(f"{data}: no demonstrations; collect them (heron collect --out {data}) or pass --collect-episodes N")
        return 0
    if have >= episodes:
        return 0
    from agent.collect import collect

    summary = collect(tasks="all", episodes=episodes, out=data, workers=2, progress=False)
    return int(summary["saved"])


def _load(path: str) -> dict:
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"--compare {path}: no such file")
    lines = [ln for ln in p.read_text().splitlines() if ln.strip()]
    try:
        data = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError) as exc:
        raise ValueError(f"--compare {path}: the last line is not a benchmark's JSON ({exc})") from None
    if "curve" not in data:
        raise ValueError(f"--compare {path}: no 'curve' key (not a `heron bench train --config` result)")
    return data


def curve_label(result: dict) -> str:
    """The legend entry of one benchmark: its config, the overrides that make it a different recipe, its speed."""
    sets = " ".join(result.get("overrides") or [])
    return f"{Path(result['config']).stem}{' ' + sets if sets else ''} ({result['samples_per_s']:.0f} samples/s)"


def plot_saved(paths: list[str], plot: str) -> dict[str, Any]:
    """Draw saved benchmark JSONs (``--compare``) to ``plot`` without training."""
    results = [_load(p) for p in paths]
    return {"plot": str(plot_curves(results, plot)), "recipes": [curve_label(r) for r in results]}


def plot_curves(results: list[dict], path: str | Path) -> Path:
    """`seen` success against training minutes, one line per recipe."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=120)
    for r in results:
        xs = [0.0] + [c["train_minutes"] for c in r["curve"]]
        ys = [0.0] + [c["success"] for c in r["curve"]]
        ax.plot(xs, ys, marker="o", label=curve_label(r))
    for level in (0.8, 0.9):
        ax.axhline(level, color="#999999", lw=0.8, ls="--")
    ax.set_xlabel("training minutes (evaluation not counted)")
    ax.set_ylabel("`seen` success")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=7, loc="upper left")
    from agent.evaluation.report import save_figure

    return save_figure(fig, path)
