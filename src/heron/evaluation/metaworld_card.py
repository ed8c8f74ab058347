"""The model card of the shipped ``metaworld-mt50`` policy, regenerated from its benchmark JSONs:

    python -m heron.evaluation.metaworld_card --eval docs/results/metaworld-mt50.json \\
        --shuffled docs/results/metaworld-mt50-shuffled.json --policy src/heron/policies/metaworld-mt50

Hugging Face model-card form: YAML front matter (license, tags, metrics), then the tables.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

PUBLISHED = [  # SmolVLA paper (arXiv 2506.01844), Table 2: easy / medium / hard / very hard / mean of groups
    ("SmolVLA 2.25B", 87.1, 51.8, 70.0, 64.0, 68.2),
    ("SmolVLA 0.45B", 82.5, 41.8, 45.0, 60.0, 57.3),
    ("SmolVLA 0.24B", 86.4, 46.4, 35.0, 60.0, 57.0),
    ("π0 3.5B, no robot pre-training", 80.4, 40.9, 36.7, 44.0, 50.5),
    ("π0 3.5B, robot pre-trained", 71.8, 48.2, 41.7, 30.0, 47.9),
    ("TinyVLA", 77.6, 21.5, 11.4, 15.8, 31.6),
    ("Diffusion Policy", 23.1, 10.7, 1.9, 6.1, 10.5),
]
GROUPS = ("easy", "medium", "hard", "very_hard")


def comparison_table(result: dict, label: str) -> str:
    """heron's row beside the published rows (percent, mean of the four groups last)."""
    g = result["groups"]
    rows = ["| policy | easy | medium | hard | very hard | mean of groups |", "|---|---:|---:|---:|---:|---:|",
            f"| **{label}** | **{100 * g['easy']['rate']:.1f}** | **{100 * g['medium']['rate']:.1f}** | "
            f"**{100 * g['hard']['rate']:.1f}** | **{100 * g['very_hard']['rate']:.1f}** | **{100 * result['mean_of_groups']:.1f}** |"]
    rows += [f"| {name} | {e} | {m} | {h} | {v} | {mean} |" for name, e, m, h, v, mean in PUBLISHED]
    return "\n".join(rows)


def _evaluated_as(policy: str) -> str:
    if policy == "metaworld-mt50":
        return ""
    return f" `{policy}` is this policy's training run folder, evaluated before its files were copied here (the same weights)."


def _training(train: dict) -> str:
    what = (f"{train.get('step', '?')} steps of batch {train.get('batch_size', '?')} ({train.get('max_minutes', '?')} minutes budget, "
            f"{train.get('precision', 'fp32')}, EMA {train.get('ema_decay', 0)}) on `{train.get('data', '?')}`")
    if train.get("init_from"):  # a second stage: configs/train/metaworld_continue.yaml
        return (f"trained in two stages: `configs/train/metaworld.yaml` (50 minutes), then, from `{train['init_from']}`, "
                f"{what} with a fresh cosine (`configs/train/metaworld_continue.yaml`).")
    return f"trained {what}."


def card(result: dict, shuffled: dict | None, policy: Path) -> str:
    from heron.evaluation.metaworld import markdown

    cfg = json.loads((policy / "config.json").read_text())["policy"]
    train = json.loads((policy / "train_config.json").read_text()) if (policy / "train_config.json").is_file() else {}
    size_mb = sum(f.stat().st_size for f in policy.iterdir() if f.is_file()) / 2**20
    metrics = [("mean of the four difficulty groups, 10 episodes per task", 100 * result["mean_of_groups"]),
               ("mean over all 500 episodes", 100 * result["overall"]["rate"])]
    metrics += [(f"{g.replace('_', ' ')} group", 100 * result["groups"][g]["rate"]) for g in GROUPS]
    if shuffled:
        metrics.append(("shuffled instructions (another task's), mean over episodes", 100 * shuffled["overall"]["rate"]))
    front = ["---", "license: apache-2.0", "pipeline_tag: robotics", "tags:", "- robotics", "- behaviour-cloning",
             "- imitation-learning", "- onnx", "- language-conditioned", "- meta-world", "- mujoco", "model-index:",
             "- name: heron-metaworld-mt50", "  results:", "  - task:", "      type: robotics",
             "      name: Meta-World MT50 (LeRobot's protocol, closed loop, ONNX Runtime)", "    dataset:",
             "      type: metaworld-mt50", "      name: Meta-World MT50, seeds 1000-1009 per task", "    metrics:"]
    for name, value in metrics:
        front += ["    - type: success_rate", f"      name: {name}", f"      value: {value:.1f}"]
    front.append("---")
    c = result["config"]
    body = f"""
# heron metaworld-mt50

One multi-task policy for the 50 tasks of Meta-World MT50, trained by behaviour cloning on a 2-core CPU
with heron's own commands ([docs/metaworld.md](../../../../docs/metaworld.md)), {size_mb:.1f} MB.

```python
import heron
env = heron.make_env("metaworld/pick-place-v3")
policy = heron.load_policy("metaworld-mt50")
```

## Model
- one camera `{cfg['cameras'][0]}` at {cfg['image_size']} px, {cfg['proprio_dim']} state values
  ({', '.join(cfg.get('state_names') or [])}), {cfg['action_dim']} actions ({', '.join(cfg.get('action_names') or [])});
- vision: {cfg['vision']['type']} {cfg['vision']['hidden_sizes']} with language FiLM after every stage, pooled to
  {cfg['vision']['pool']}x{cfg['vision']['pool']} tokens; language: frozen MiniLM token features ({cfg['language']['max_tokens']} tokens);
  fusion: {cfg['fusion']['type']} ({cfg['fusion']['num_layers']}-layer {cfg['fusion']['lm']}, width {cfg['fusion']['hidden_size']});
  head: {cfg['head']['type']}, chunks of {cfg['head']['chunk']}, temporally ensembled at run time;
- {_training(train)}

## Evaluation
`heron eval --policy {c['policy']} --suite metaworld-mt50 --episodes {c['episodes']} --workers 2` ({c['runtime']} runtime,
{c['image_size']} px, look `{c['look']}`); {result['wall_s']:.0f} s.{_evaluated_as(c['policy'])}

{comparison_table(result, 'heron metaworld-mt50 (this policy)')}

Published rows: SmolVLA paper (arXiv 2506.01844), Table 2; see [docs/metaworld.md](../../../../docs/metaworld.md) for
the protocol's differences (rendering, demonstrations, compute).

{markdown(result)}
"""
    if shuffled:
        body += (f"\nWith another task's instruction (`--shuffle-instructions`, {shuffled['config']['episodes']} episodes per task): "
                 f"{100 * shuffled['overall']['rate']:.1f}% over episodes, {100 * shuffled['mean_of_groups']:.1f}% mean of groups.\n")
    return "\n".join(front) + "\n" + body


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--eval", required=True, help="the benchmark JSON (heron eval --suite metaworld-mt50 --json)")
    p.add_argument("--shuffled", default=None, help="the --shuffle-instructions JSON")
    p.add_argument("--policy", default="src/heron/policies/metaworld-mt50", help="the policy folder (the card goes in it)")
    a = p.parse_args(argv)
    result = json.loads(Path(a.eval).read_text())
    shuffled = json.loads(Path(a.shuffled).read_text()) if a.shuffled else None
    out = Path(a.policy) / "README.md"
    out.write_text(card(result, shuffled, Path(a.policy)))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
