"""Fusion of visual, proprioceptive and language tokens into action-query features."""

from heron.registry import Registry

FUSIONS: Registry = Registry("fusion")

from heron.policies.fusion import flamingo, palme, vlm  # noqa: E402,F401  (registration)
