"""heron train: behaviour cloning from recorded demonstrations."""

from __future__ import annotations

import json

HELP = "train a policy by behaviour cloning (add key=value overrides; several processes via torchrun)"


def add_arguments(p) -> None:
    p.add_argument("--config", required=True, help="training config YAML, e.g. configs/train/small.yaml")
    p.add_argument("overrides", nargs="*", help="key=value overrides, e.g. steps=2000 data=data/demos policy=tiny")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (logs only)")


def run(args) -> int:
    import logging

    from heron.training.config import load_train_config
    from heron.training.trainer import Trainer

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    cfg = load_train_config(args.config, args.overrides)
    from heron.evaluation.evaluate import make_eval_callback

    callback = make_eval_callback(cfg.eval_episodes, cfg.eval_suite) if (cfg.eval_every or cfg.eval_every_min) else None
    summary = Trainer(cfg, eval_callback=callback, progress=not args.no_progress).fit()
    print(json.dumps(summary, default=float))
    return 0
