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

    from heron.training.config import load_train_config
    from heron.training.trainer import PHASES, Trainer

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

    from heron.evaluation.evaluate import make_eval_callback
    from heron.training.config import load_train_config
    from heron.training.trainer import Trainer

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
    from heron.data import DemoDataset

    have = 0
    if Path(data).is_dir() and any(Path(data).glob("shard-*")):
        have = len(DemoDataset(data))
    if episodes is None:
        if have == 0:
            raise FileNotFoundError(f"{data}: no demonstrations; collect them (heron collect --out {data}) or pass --collect-episodes N")
        return 0
    if have >= episodes:
        return 0
    from heron.collection.collect import collect

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
    from heron.evaluation.report import save_figure

    return save_figure(fig, path)


HELP = "training: samples/s of a recipe, or (--config) a from-scratch run evaluated on `seen` as it trains"


def add_arguments(p) -> None:
    p.add_argument("--policy", default="default", help="policy folder or 'default'")
    p.add_argument("--data", default="data/demos", help="demonstrations to train on")
    p.add_argument("--run", action="append", default=None,
                   help="a training run folder whose history.json gives time to 80%% success; repeat it for "
                        "the stages of one model in order (a fine-tune's times start where the previous stage ended)")
    p.add_argument("--train-steps", type=int, default=60, help="timed optimizer steps")
    p.add_argument("--config", default=None,
                   help="benchmark a recipe: train this config from scratch for --minutes, evaluating `seen` as it goes")
    p.add_argument("--minutes", type=float, default=45.0, help="with --config: minutes of training (evaluations not counted)")
    p.add_argument("--eval-every-min", type=float, default=5.0, help="with --config: closed-loop `seen` every K training minutes")
    p.add_argument("--eval-episodes", type=int, default=24, help="with --config: episodes per evaluation (fixed seeds)")
    p.add_argument("--collect-episodes", type=int, default=None,
                   help="with --config: collect this many expert episodes into the config's data folder first if it has "
                        "fewer (not timed; plain `heron collect` settings)")
    p.add_argument("--out", default=None, help="with --config: run folder (default runs/bench-<config name>)")
    p.add_argument("--plot", default=None, help="with --config: also draw the curve(s) to this PNG")
    p.add_argument("--throughput", action="store_true",
                   help="samples/s and the per-phase step breakdown of --config (default configs/train/small.yaml) "
                        "for --train-steps steps, no evaluation: the lever table of README 'Training speed'")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="a training-config override (e.g. precision=bf16, max_episodes=300); repeatable")
    p.add_argument("--compare", action="append", default=[],
                   help="with --config: an earlier benchmark's JSON (its last line) to draw beside this one; repeatable. "
                        "Without --config: draw only these to --plot")


def run(args) -> dict:
    """Training throughput (samples/s) of the policy's preset; time to 80% `seen` success from a run's history.
    With ``--config``: the recipe benchmark (``heron/bench/train.py``)."""
    if args.compare and not args.config and not args.throughput:  # redraw saved benchmarks, train nothing
        if not args.plot:
            raise ValueError("--compare without --config redraws saved benchmarks: give --plot PNG")
        return plot_saved(args.compare, args.plot)
    if args.config and not args.throughput:
        return bench_recipe(args.config, args.minutes, args.eval_every_min, args.eval_episodes, out=args.out,
                            collect_episodes=args.collect_episodes, plot=args.plot, compare=args.compare,
                            overrides=args.overrides)
    base = ([] if args.config else [f"data={args.data}"]) + list(args.overrides)
    out = bench_throughput(args.config or "configs/train/small.yaml", base, args.train_steps)
    if args.run:
        out.update(training_curve(args.run))
    return out


def training_curve(runs: list[str]) -> dict:
    """Closed-loop `seen` success over wall time across the stages of one model (a run, then its fine-tunes)."""
    from pathlib import Path

    evals, offset = [], 0.0
    for run in runs:
        path = Path(run) / "history.json"
        if not path.is_file():
            raise SystemExit(f"heron bench train: {path} not found (a finished training run writes it)")
        history = json.loads(path.read_text())
        summary = next((h["summary"] for h in history if "summary" in h), None)
        if summary is None:
            raise SystemExit(f"heron bench train: {path} has no summary: the run has not finished")
        evals += [{"run": str(run), "step": h["step"], "minutes": round((offset + h["elapsed_s"]) / 60, 1),
                   "success": h["eval"]["success"]} for h in history if "eval" in h]
        offset += summary["wall_s"]
    hit = next((e for e in evals if e["success"] >= 0.8), None)
    return {"evals": evals, "training_minutes": round(offset / 60, 1), "minutes_to_80pct_seen": hit["minutes"] if hit else None}
