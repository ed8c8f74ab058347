"""Training settings (optimizer, schedule, data) — the model config stays in configs/policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from heron.configtools import ConfigError, apply_overrides, from_dict, load_yaml

PRECISIONS = ("fp32", "bf16")
LR_SCHEDULES = ("steps", "minutes")
DEVICES = ("cpu", "cuda", "auto")


@dataclass
class AugmentConfig:
    shift: int = 4  # random shift (pad + crop) in pixels
    color_jitter: float = 0.1  # brightness/contrast jitter amplitude
    word_dropout: float = 0.0  # instruction variants with each word dropped at this probability (0: off)
    instruction_variants: int = 8  # variants per instruction when word_dropout > 0
    paraphrases: bool = False  # also draw other phrasings of each instruction from <data>/paraphrases.json

    def __post_init__(self):
        if not 0 <= self.shift <= 16:
            raise ConfigError(f"augment.shift={self.shift}: allowed 0..16")
        if not 0 <= self.word_dropout < 1:
            raise ConfigError(f"augment.word_dropout={self.word_dropout}: allowed 0 <= p < 1")
        if self.instruction_variants < 0:
            raise ConfigError(f"augment.instruction_variants={self.instruction_variants}: must be >= 0")


EVAL_SUITES = ("seen", "metaworld-mt50")


@dataclass
class TrainConfig:
    policy: str = "small"  # preset name or YAML path
    policy_overrides: list[str] = field(default_factory=list)
    init_from: str | None = None  # fine-tune: start from this saved policy folder (its config, weights, stats)
    # a dataset directory, or a list of them trained on together (e.g. [data/broad, data/dagger]: expert
    # demonstrations plus the states a policy visited, labelled by the expert: `heron collect --policy`)
    data: str | list[str] = "data/demos"
    out: str = "runs/small"
    seed: int = 0
    batch_size: int = 64
    steps: int = 10000
    max_minutes: float | None = None  # stop early (and save) after this much training time (evaluations not counted)
    lr: float = 3e-4
    weight_decay: float = 0.01
    warmup_steps: int = 300
    # the cosine after warm-up runs over `steps`, or with "minutes" over the `max_minutes` of training time,
    # so that a time-budgeted run ends annealed whatever its speed (the time is kept across a resume)
    lr_schedule: str = "steps"
    lr_floor: float = 0.05  # the cosine ends at this fraction of lr
    # weights averaged over steps (EMA, with the usual warm-up min(decay, (1+t)/(10+t))); evaluations, checkpoints
    # and final/ hold the average, the raw weights stay in trainer_state.pt for resume (0: off)
    ema_decay: float = 0.0
    # sample windows of these task families this many times as often as the others (e.g. {stack: 2.0});
    # an epoch draws as many windows as there are, with replacement (empty: every window once per epoch)
    task_weights: dict[str, float] = field(default_factory=dict)
    grad_clip: float = 1.0
    done_weight: float = 0.2
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    val_fraction: float = 0.05
    log_every: int = 50
    val_every: int = 1000
    checkpoint_every: int = 1000
    eval_every: int = 0  # closed-loop success in the simulator every N steps (0: off)
    eval_every_min: float = 0.0  # ... or every K minutes of training time (evaluation time not counted; 0: off)
    eval_episodes: int = 12
    eval_suite: str = "seen"  # what the closed-loop evaluation runs: seen (tabletop) or metaworld-mt50 (episodes per task)
    num_threads: int = 2
    in_memory: bool = True
    max_episodes: int = 0  # train on the first N training episodes only (quick experiments, throughput benchmarks; 0: all)
    # throughput levers (heron bench train measures them; README "Training speed"):
    precision: str = "fp32"  # "bf16": forward under CPU autocast to bfloat16 (AMX / AVX512-BF16 CPUs); losses in fp32
    channels_last: bool = False  # conv weights and activations in NHWC (pays off together with bf16)
    device: str = "cpu"  # "cuda" (bf16 autocast there with precision=bf16) or "auto" (cuda when torch sees a GPU)

    def __post_init__(self):
        if self.eval_suite not in EVAL_SUITES:
            raise ConfigError(f"eval_suite={self.eval_suite!r}: allowed {', '.join(EVAL_SUITES)}")
        if isinstance(self.data, list):
            if not self.data or not all(isinstance(d, str) and d.strip() for d in self.data):
                raise ConfigError(f"data={self.data!r}: give a dataset directory or a non-empty list of them")
            if len(set(self.data)) != len(self.data):
                raise ConfigError(f"data={self.data!r}: a dataset is named twice")
        for key in ("batch_size", "steps", "log_every", "val_every", "checkpoint_every", "num_threads"):
            if getattr(self, key) < 1:
                raise ConfigError(f"{key}={getattr(self, key)}: must be >= 1")
        if not 0 <= self.val_fraction < 0.5:
            raise ConfigError(f"val_fraction={self.val_fraction}: allowed 0 <= v < 0.5")
        if self.init_from is not None and self.policy_overrides:
            raise ConfigError("init_from and policy_overrides: a fine-tune keeps the saved policy's config; drop one")
        if self.max_episodes < 0:
            raise ConfigError(f"max_episodes={self.max_episodes}: must be >= 0 (0: all)")
        if self.lr <= 0:
            raise ConfigError(f"lr={self.lr}: must be > 0")
        if self.precision not in PRECISIONS:
            raise ConfigError(f"precision={self.precision!r}: allowed {', '.join(PRECISIONS)}")
        if self.device not in DEVICES:
            raise ConfigError(f"device={self.device!r}: allowed {', '.join(DEVICES)}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ConfigError(f"lr_schedule={self.lr_schedule!r}: allowed {', '.join(LR_SCHEDULES)}")
        if self.lr_schedule == "minutes" and not self.max_minutes:
            raise ConfigError("lr_schedule=minutes: the cosine runs over max_minutes, which is not set; set max_minutes=M")
        if not 0 <= self.lr_floor <= 1:
            raise ConfigError(f"lr_floor={self.lr_floor}: allowed 0..1")
        if not 0 <= self.ema_decay < 1:
            raise ConfigError(f"ema_decay={self.ema_decay}: allowed 0 <= d < 1 (0: off)")
        for task, w in self.task_weights.items():
            if not isinstance(w, (int, float)) or isinstance(w, bool) or not 0 < w <= 100:
                raise ConfigError(f"task_weights.{task}={w!r}: allowed 0 < w <= 100")
        if self.eval_every_min < 0:
            raise ConfigError(f"eval_every_min={self.eval_every_min}: must be >= 0 (0: off)")


def load_train_config(path: str | Path, overrides: list[str] | None = None) -> TrainConfig:
    return from_dict(TrainConfig, apply_overrides(load_yaml(path), overrides or []))
