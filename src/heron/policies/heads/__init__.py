"""Action heads: fused features -> an action chunk (H, 5) and a `done` logit, with a loss."""

from heron.registry import Registry

HEADS: Registry = Registry("head")

from heron.policies.heads import bins, lstm, mlp  # noqa: E402,F401  (registration)
