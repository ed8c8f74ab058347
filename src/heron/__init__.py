"""heron: a language-driven robot controller.

    import heron
    env = heron.make_env("heron/Tabletop-v0")
    policy = heron.load_policy("default")
    obs, info = env.reset(seed=0)
    policy.set_instruction(info["instruction"])
    obs, reward, terminated, truncated, info = env.step(policy.act(obs).action)

Importing ``heron`` imports nothing heavy (no torch, onnxruntime, pybullet or rclpy): each piece loads on use.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("heron")
except PackageNotFoundError:  # a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__", "load_policy", "make_env", "env_ids"]


def load_policy(name_or_path: str = "default", runtime: str = "onnx", *, chunking: str | None = "ensemble", **options):
    """A policy with ``reset()``, ``set_instruction(text)`` and ``act(obs) -> StepOutput``.

    ``name_or_path``: a shipped name (``default``), a policy folder, an ONNX export folder, ``py:module:factory``
    or ``lerobot:PATH``. ``runtime``: ``onnx`` (ONNX Runtime) or ``torch``. ``chunking``: how predicted action
    chunks become one action per step (``ensemble``, ``queue``, ``none``; None returns the raw runtime policy,
    whose ``act`` gives the whole chunk). ``options`` go to the runtime (``providers``, ``threads``, ...).
    """
    from heron.runtime import load_policy as load
    from heron.runtime.chunking import ChunkedPolicy, ChunkingConfig

    policy = load(name_or_path, runtime, **options)
    return policy if chunking is None else ChunkedPolicy(policy, ChunkingConfig(type=chunking))


def make_env(env_id: str, **options):
    """A Gymnasium env for a registered id (``heron.env_ids()``); see ``heron.envs.make_env``."""
    from heron.envs import make_env as make

    return make(env_id, **options)


def env_ids() -> list[str]:
    from heron.envs import env_ids as ids

    return ids()
