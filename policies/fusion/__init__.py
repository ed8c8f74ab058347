"""Fusion of visual, proprioceptive and language tokens into action-query features."""

from policies.registry import Registry

FUSIONS: Registry = Registry("fusion")

from policies.fusion import flamingo, palme, vlm  # noqa: E402,F401  (registration)
