"""The policy node's ``policy`` parameter -> a Policy: a model (through ``heron.runtime.load_policy``)
or a simple one (random, hold, expert). ``expert`` follows the sim node's /heron/expert_action: a
pipeline check, never a deployable policy."""

from __future__ import annotations

from typing import Callable

import numpy as np

from heron.ros.params import PolicyNodeConfig
from heron.runtime.simple import SIMPLE_POLICIES, make_simple_policy


def configure_activity(config: PolicyNodeConfig) -> str:
    """What configure is about to do, for the status: a first run exports the model to ONNX (about 13 s)."""
    name = config.policy.strip()
    if name in SIMPLE_POLICIES or name == "expert" or config.runtime != "onnx":
        return "loading the policy"
    try:
        first = _needs_onnx_export(name)
    except (FileNotFoundError, ValueError, ImportError):
        return "loading the policy"  # load_node_policy says what is wrong
    return "exporting the policy to ONNX (first run)" if first else "loading the policy"


def _needs_onnx_export(name: str) -> bool:
    """Whether ``heron.runtime.factory.onnx_dir_for`` will export: a policy folder with no cached export."""
    from heron.runtime.factory import cache_root, export_key, resolve_policy_dir
    from heron.runtime.lerobot_policy import is_lerobot
    from heron.runtime.plugin import is_plugin

    if is_plugin(name) or is_lerobot(name):
        return False
    folder = resolve_policy_dir(name)
    if (folder / "spec.json").is_file():
        return False
    return not (cache_root() / "onnx" / export_key(folder) / "spec.json").is_file()


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
        kwargs["spin"] = False  # a 10 Hz node: ORT's threads sleep between steps (about 5% of a core, not 50%)
    policy = load_policy(name, **kwargs)
    # The model's own input size wins: that is what it was trained on.
    size = getattr(policy, "image_size", None) or config.image_size or 96
    return policy, int(size)
