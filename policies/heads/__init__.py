"""Action heads: fused features -> an action chunk (H, 5) and a `done` logit, with a loss."""

from policies.registry import Registry

HEADS: Registry = Registry("head")

from policies.heads import bins, lstm, mlp  # noqa: E402,F401  (registration)
