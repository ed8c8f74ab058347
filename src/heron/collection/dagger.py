"""Policy-in-the-loop collection (DAgger, Ross et al. 2011): the policy drives, the expert labels.

Behaviour cloning sees only the states its expert visits; a policy that drifts 3 cm off the base block
before letting go is somewhere the expert never was, and it has never been shown the way back. With
``heron collect --policy P`` a trained policy executes (a share of) the steps, through the same
control loop as evaluation (action chunks, safety filter), while every recorded label is still the
scripted expert's clean action from the state actually reached. The expert re-plans from the true
scene each step, so its label there is the correction: line the block up again, re-grasp a dropped
one, do not stop yet. Training on these states together with the expert's own data
(``data: [data/broad, data/dagger]``) is the DAgger aggregate.

Episodes are kept whether the policy succeeded or not: a failure's states are the point, and their
``done`` target stays 0 until the task is actually solved.
"""

from __future__ import annotations

from typing import Any

import numpy as np

POLICY_STREAM = 0xDA66  # which steps the policy drives: default_rng([env seed, 0xDA66]); DART noise keeps its own stream


def check_policy(name: str) -> str:
    """Fail in the parent, before any worker starts, when ``name`` cannot be a policy to drive with."""
    from pathlib import Path

    from heron.policies.checkpoint import resolve_policy_dir
    from heron.runtime.plugin import is_plugin

    if is_plugin(name):
        return name
    folder = Path(resolve_policy_dir(name))
    if not ((folder / "config.json").is_file() or (folder / "policy_step.onnx").is_file()):
        raise ValueError(f"policy={name!r}: {folder} is not a policy folder (no config.json) nor an ONNX export "
                         "(no policy_step.onnx); give a trained policy (e.g. runs/NAME/final), an export, 'default' "
                         "or py:package.module:factory")
    return name


class PolicyDriver:
    """Decides each executed action: the policy's (share ``share``) or the expert's with DART noise.

    The policy runs every step, also when the expert's action is executed, so its history and action
    queue follow the episode as in evaluation.
    """

    def __init__(self, policy: str | Any, share: float, runtime: str = "onnx", threads: int = 1):
        from heron.runtime import load_policy
        from heron.runtime.loop import ControlLoop

        if not 0 < share <= 1:
            raise ValueError(f"policy_share={share!r}: must be in (0, 1]")
        self.share = float(share)
        self.policy = load_policy(policy, runtime=runtime, threads=threads) if isinstance(policy, str) else policy
        self.loop = ControlLoop(self.policy)
        self.rng = np.random.default_rng(0)
        self.driven = 0  # steps the policy's action was executed, this episode

    def begin(self, seed: int, instruction: str) -> None:
        """A new episode: fresh policy state and the episode's own draw of who drives."""
        self.loop.reset()
        self.loop.set_instruction(instruction)
        self.rng = np.random.default_rng([int(seed), POLICY_STREAM])
        self.driven = 0

    def instruct(self, instruction: str) -> None:
        """The next sub-instruction of a chain (no reset of the scene)."""
        self.loop.set_instruction(instruction)

    def __call__(self, obs: dict, expert_executed: np.ndarray) -> np.ndarray:
        """The action to execute at ``obs``; ``expert_executed`` is the expert's (noised) action."""
        step = self.loop.step(obs)
        if self.rng.uniform() < self.share:
            self.driven += 1
            return np.asarray(step.action, np.float32)
        return expert_executed
