"""The collection settings and the deterministic rules behind them: which family, seed and chain episode i gets."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Sequence

import numpy as np

from heron.data.hdf5 import COMPRESSIONS

NOISE_STREAM = 0x5EED  # the DART noise generator of episode seed s is default_rng([s, NOISE_STREAM])
# Settings that change the data: a resume must use the same ones.
DATA_KEYS = ("tasks", "seed", "noise", "image_size", "control_hz", "split", "max_attempts",
             "chain_fraction", "chain_length", "post_steps", "randomize", "episode_budget", "policy", "policy_share")
# Settings added after the first datasets were written: a dataset without them was collected with these.
LEGACY_DEFAULTS = {"chain_fraction": 0.0, "chain_length": [2, 5], "post_steps": 0, "randomize": None, "episode_budget": 400,
                   "policy": None, "policy_share": 0.0}
CHAIN_STREAM = 0xC4A2  # episode i is a chain, and its chain is drawn, from default_rng([seed + i, 0xC4A2])
MAX_EPISODE_BUDGET = 1000
SPLITS = ("train", "heldout")
SEED_RULE = "episode i: env seed = base + i; retry a > 0: SeedSequence([base + i, a]); noise: default_rng([env seed, 0x5EED])"


@dataclass
class CollectConfig:
    tasks: tuple[str, ...]  # family names, already resolved (no "all")
    episodes: int
    out: str
    workers: int = 2
    seed: int = 0
    noise: float = 0.2  # std of the Gaussian DART noise on executed actions (action units)
    image_size: int = 96
    control_hz: int = 10
    split: str = "train"
    max_attempts: int = 3  # tries per episode (new seed each) before it counts as missing
    video_dir: str | None = None
    videos: int = 3  # the first this many episode indices are also written as mp4
    compression: str = "gzip"  # standard HDF5 filter, level 4: ~19x smaller than raw on sim frames
    chain_fraction: float = 0.0  # share of episodes that are chains of sub-instructions (no reset between)
    chain_length: tuple[int, int] = (2, 5)  # sub-instructions per chain, drawn uniformly in this range
    post_steps: int = 0  # steps recorded after each success with a hold action, labelled done
    randomize: dict | None = None  # heron.envs.tabletop.randomization.Randomization fields (scene + recovery arm starts)
    episode_budget: int = 400  # most steps a chained episode may take (its sub-instructions' budgets summed)
    # DAgger (heron/collection/dagger.py): this trained policy executes a share of the steps, the expert still labels
    # every one, and episodes are kept whether they succeed or not
    policy: str | None = None
    policy_share: float = 0.0  # with policy: share of the steps the policy's action is executed (0, 1]

    def __post_init__(self) -> None:
        self.tasks = tuple(self.tasks)
        if not self.tasks:
            raise ValueError("tasks: give at least one task family (or 'all')")
        for key, low in (("episodes", 1), ("workers", 1), ("max_attempts", 1), ("videos", 0)):
            value = getattr(self, key)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
                raise ValueError(f"{key}={value!r}: must be an integer >= {low}")
        if not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ValueError(f"seed={self.seed!r}: must be an integer >= 0")
        if not 0 <= float(self.noise) <= 1:
            raise ValueError(f"noise={self.noise!r}: must be in [0, 1] (action units)")
        if self.split not in SPLITS:
            raise ValueError(f"split={self.split!r}: allowed {', '.join(SPLITS)}")
        if self.compression not in COMPRESSIONS:
            raise ValueError(f"compression={self.compression!r}: allowed {', '.join(COMPRESSIONS)}")
        if not 0 <= float(self.chain_fraction) <= 1:
            raise ValueError(f"chain_fraction={self.chain_fraction!r}: must be in [0, 1]")
        if not isinstance(self.post_steps, int) or not 0 <= self.post_steps <= 10:
            raise ValueError(f"post_steps={self.post_steps!r}: must be an integer in 0..10")
        if not isinstance(self.episode_budget, int) or not 10 <= self.episode_budget <= MAX_EPISODE_BUDGET:
            raise ValueError(f"episode_budget={self.episode_budget!r}: must be an integer in 10..{MAX_EPISODE_BUDGET}")
        self.chain_length = tuple(int(x) for x in self.chain_length)
        lo, hi = self.chain_length if len(self.chain_length) == 2 else (0, -1)
        if not 2 <= lo <= hi <= 10:
            raise ValueError(f"chain_length={list(self.chain_length)!r}: must be [min, max] with 2 <= min <= max <= 10")
        if self.chain_fraction > 0:
            from heron.envs.tabletop.tasks import TASKS

            worst = max(TASKS.get(t).budget(self.control_hz) for t in self.tasks) + self.post_steps
            if hi * worst > self.episode_budget:
                raise ValueError(
                    f"chain_length={list(self.chain_length)!r}: a chain of {hi} may take {hi} x {worst} = {hi * worst} "
                    f"steps, more than episode_budget={self.episode_budget}; shorten the chain (max {self.episode_budget // worst}) "
                    f"or raise episode_budget (at most {MAX_EPISODE_BUDGET})"
                )
        if self.policy is None and self.policy_share:
            raise ValueError(f"policy_share={self.policy_share!r} without policy: name the policy that drives (--policy)")
        if self.policy is not None:
            from heron.collection.dagger import check_policy

            self.policy_share = float(self.policy_share or 1.0)
            if not 0 < self.policy_share <= 1:
                raise ValueError(f"policy_share={self.policy_share!r}: must be in (0, 1] (the share of steps the policy drives)")
            self.policy = check_policy(str(self.policy))
        if self.randomize is not None:
            from heron.envs.tabletop.randomization import Randomization

            self.randomize = Randomization.from_any(self.randomize).to_dict()  # validates ranges, names the key

    def data_settings(self) -> dict[str, Any]:
        d = asdict(self)
        return {k: (list(d[k]) if k in ("tasks", "chain_length") else d[k]) for k in DATA_KEYS}


def resolve_tasks(spec: str | Sequence[str]) -> tuple[str, ...]:
    """"all", "pick,place" or ["pick", "place"] -> registered family names (unknown ones: did-you-mean)."""
    from heron.envs.tabletop.tasks import TASKS

    names = [s.strip() for s in spec.split(",")] if isinstance(spec, str) else [str(s).strip() for s in spec]
    names = [n for n in names if n]
    if names == ["all"]:
        return tuple(TASKS.names())
    for name in names:
        TASKS.get(name)  # raises ValueError naming the known families
    if len(set(names)) != len(names):
        raise ValueError(f"tasks: {','.join(names)} names a family twice")
    return tuple(names)


def episode_seed(seed: int, index: int, attempt: int) -> int:
    """Env seed of episode ``index``: seed + index, and a derived seed for each retry."""
    if attempt == 0:
        return int(seed + index)
    return int(np.random.SeedSequence([seed + index, attempt]).generate_state(1)[0])


def task_of(tasks: Sequence[str], index: int) -> str:
    return tasks[index % len(tasks)]


# --- one episode (inside a worker) ------------------------------------------------------------------
def is_chain(cfg: "CollectConfig", index: int) -> bool:
    return cfg.chain_fraction > 0 and np.random.default_rng([cfg.seed + index, CHAIN_STREAM]).uniform() < cfg.chain_fraction
