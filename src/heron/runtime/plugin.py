"""Bring your own policy: ``py:package.module:factory`` names a callable that returns an object with
``reset()``, ``set_instruction(text)`` and ``act(obs) -> StepOutput`` (``heron/runtime/interfaces.py``).

The factory is called with no arguments in every process that runs the policy (each evaluation worker
builds its own), so it should load its weights itself. Example in README ("Bring your own policy").
"""

from __future__ import annotations

import importlib
from typing import Any

PREFIX = "py:"
METHODS = ("reset", "set_instruction", "act")


def is_plugin(name: Any) -> bool:
    return isinstance(name, str) and name.startswith(PREFIX)


def load_plugin(name: str) -> Any:
    """``py:pkg.mod:factory`` -> ``pkg.mod.factory()``, checked for the Policy methods."""
    spec = name[len(PREFIX):]
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"policy {name!r}: expected py:package.module:factory (a module path, a colon, a callable's name)")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ValueError(f"policy {name!r}: cannot import {module_name!r} ({exc}); is it installed or on PYTHONPATH?") from None
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise ValueError(f"policy {name!r}: {module_name} has no callable {attr!r}")
    policy = factory()
    missing = [m for m in METHODS if not callable(getattr(policy, m, None))]
    if missing:
        raise ValueError(f"policy {name!r}: {attr}() returned a {type(policy).__name__} without {', '.join(missing)} "
                         "(a Policy needs reset(), set_instruction(text) and act(obs) -> StepOutput)")
    return policy
