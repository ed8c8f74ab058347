"""The policy node's ``policy`` parameter -> a Policy: a model (through ``heron.runtime.load_policy``)
or a simple one (random, hold, expert). ``expert`` follows the sim node's /heron/expert_action: a
pipeline check, never a deployable policy."""

from __future__ import annotations

from typing import Callable

import numpy as np

from heron.ros.params import PolicyNodeConfig
from heron.runtime.simple import SIMPLE_POLICIES, make_simple_policy


def load_node_policy(config: PolicyNodeConfig, expert_source: Callable[[], np.ndarray | None]):
    """Returns (policy, image side it expects or None for "resize to config.image_size")."""
    name = config.policy.strip()
    if name == "expert":
        def expert() -> np.ndarray:
            a = expert_source()
            if a is None:
                raise RuntimeError("no expert action received yet")
            return a

        return make_simple_policy("expert", source=expert), config.image_size or 96
    if name in SIMPLE_POLICIES:
        return make_simple_policy(name), config.image_size or 96
    try:
        from heron.runtime import load_policy
    except ImportError as exc:
        raise RuntimeError(
            f"policy {name!r} needs heron.runtime.load_policy, which could not be imported ({exc}); "
            f"simple policies available: {', '.join(SIMPLE_POLICIES.names())}"
        ) from exc
    kwargs = {"runtime": config.runtime}
    if config.runtime == "onnx":
        kwargs["providers"] = list(config.providers)
    policy = load_policy(name, **kwargs)
    # The model's own input size wins: that is what it was trained on.
    size = getattr(policy, "image_size", None) or config.image_size or 96
    return policy, int(size)
