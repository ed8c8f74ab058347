"""The safety layer between a policy and the robot: every action passes through ``SafetyFilter``.

In order: a non-finite action or proprio, or an observation older than ``stale_timeout_s``, turns
into a *hold* (no motion, last gripper command kept); otherwise the action is clamped to its
limits, rate-limited per dimension, and its xyz delta is cut so the next end-effector target stays
inside the workspace box. Each intervention is reported as an event string ``"<code>: <detail>"``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from heron.policies.schema import ACTION_DIM, PROPRIO_DIM, PROPRIO_LAYOUT

# Event codes (the text before ":" in each event string).
CLAMPED = "clamped"
RATE_LIMITED = "rate_limited"
WORKSPACE = "workspace"
NONFINITE_ACTION = "nonfinite_action"
BAD_PROPRIO = "bad_proprio"
STALE_OBSERVATION = "stale_observation"
POLICY_ERROR = "policy_error"  # the policy raised (e.g. an observation of the wrong shape): hold
HOLD_EVENTS = (NONFINITE_ACTION, BAD_PROPRIO, STALE_OBSERVATION)

_EE = slice(*PROPRIO_LAYOUT["ee_pos"])


def _vec(name: str, value, n: int) -> tuple[float, ...]:
    """A scalar or length-n sequence -> n floats; ValueError naming the key otherwise."""
    arr = np.atleast_1d(np.asarray(value, dtype=np.float64))
    if arr.shape == (1,):
        arr = np.repeat(arr, n)
    if arr.shape != (n,):
        raise ValueError(f"safety.{name}: expected a number or {n} numbers, got {value!r}")
    return tuple(float(x) for x in arr)


@dataclass
class SafetyConfig:
    """Limits the safety layer enforces. Sequences are per action dim (dx, dy, dz, dyaw, gripper)."""

    action_low: float | tuple[float, ...] = -1.0
    action_high: float | tuple[float, ...] = 1.0
    # Largest change of each action dim from one step to the next; 2.0 means "no limit" on [-1, 1].
    max_delta_per_step: float | tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 2.0)
    # End-effector box (world frame, metres) and the metres one unit of dx/dy/dz moves per step.
    workspace_low: tuple[float, float, float] = (0.25, -0.40, 0.015)  # the simulator's box
    workspace_high: tuple[float, float, float] = (0.80, 0.40, 0.40)
    max_step_m: float = 0.025
    stale_timeout_s: float = 0.5
    initial_gripper: float = -1.0  # gripper command held before any action (-1 open, 1 closed)
    enabled: bool = True  # False: only NaN/Inf and staleness still hold (never send garbage)

    def __post_init__(self):
        self.action_low = _vec("action_low", self.action_low, ACTION_DIM)
        self.action_high = _vec("action_high", self.action_high, ACTION_DIM)
        self.max_delta_per_step = _vec("max_delta_per_step", self.max_delta_per_step, ACTION_DIM)
        self.workspace_low = _vec("workspace_low", self.workspace_low, 3)
        self.workspace_high = _vec("workspace_high", self.workspace_high, 3)
        for lo, hi, key in ((self.action_low, self.action_high, "action"), (self.workspace_low, self.workspace_high, "workspace")):
            if not all(math.isfinite(a) and math.isfinite(b) and a < b for a, b in zip(lo, hi)):
                raise ValueError(f"safety.{key}_low must be finite and below {key}_high in every dim; got {lo} and {hi}")
        if not all(d > 0 and math.isfinite(d) for d in self.max_delta_per_step):
            raise ValueError(f"safety.max_delta_per_step must be > 0 in every dim; got {self.max_delta_per_step}")
        if not (0 < self.max_step_m <= 0.2):
            raise ValueError(f"safety.max_step_m={self.max_step_m!r}: allowed (0, 0.2] metres per unit")
        if not (self.stale_timeout_s > 0):
            raise ValueError(f"safety.stale_timeout_s={self.stale_timeout_s!r}: must be > 0 seconds")
        if not (-1.0 <= self.initial_gripper <= 1.0):
            raise ValueError(f"safety.initial_gripper={self.initial_gripper!r}: allowed [-1, 1]")

    @classmethod
    def from_dict(cls, d: dict | None) -> "SafetyConfig":
        d = dict(d or {})
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"safety: unknown keys {unknown}; allowed: {sorted(known)}")
        return cls(**d)


@dataclass
class SafetyResult:
    action: np.ndarray  # float32 (5,), safe to send
    events: list[str] = field(default_factory=list)

    @property
    def held(self) -> bool:
        return any(e.split(":", 1)[0] in HOLD_EVENTS for e in self.events)

    @property
    def codes(self) -> list[str]:
        return [e.split(":", 1)[0] for e in self.events]


class SafetyFilter:
    """Stateful filter: remembers the last safe action for rate limits and holds."""

    def __init__(self, config: SafetyConfig | None = None):
        self.config = config or SafetyConfig()
        self._lo = np.asarray(self.config.action_low, np.float32)
        self._hi = np.asarray(self.config.action_high, np.float32)
        self._dmax = np.asarray(self.config.max_delta_per_step, np.float32)
        self._ws_lo = np.asarray(self.config.workspace_low, np.float64)
        self._ws_hi = np.asarray(self.config.workspace_high, np.float64)
        self.reset()

    def reset(self) -> None:
        self.last = np.zeros(ACTION_DIM, np.float32)
        self.last[4] = self.config.initial_gripper

    def hold_action(self) -> np.ndarray:
        """Zero motion, last gripper command."""
        a = np.zeros(ACTION_DIM, np.float32)
        a[4] = self.last[4]
        return a

    def __call__(self, action, proprio=None, obs_age_s: float | None = None) -> SafetyResult:
        """action (5,) from the policy, proprio (22,) of the observation it acted on, its age in s."""
        events: list[str] = []
        a = np.asarray(action, dtype=np.float32).reshape(-1)
        if a.shape != (ACTION_DIM,):
            return self.hold([f"{NONFINITE_ACTION}: action has shape {np.shape(action)}, expected ({ACTION_DIM},)"])
        if not np.all(np.isfinite(a)):
            return self.hold([f"{NONFINITE_ACTION}: {np.array2string(a, precision=3)}"])
        if obs_age_s is not None and (not math.isfinite(obs_age_s) or obs_age_s > self.config.stale_timeout_s):
            return self.hold([f"{STALE_OBSERVATION}: age {obs_age_s:.3f} s > {self.config.stale_timeout_s:.3f} s"])
        ee = None
        if proprio is not None:
            p = np.asarray(proprio, dtype=np.float64).reshape(-1)
            if p.shape != (PROPRIO_DIM,) or not np.all(np.isfinite(p)):
                return self.hold([f"{BAD_PROPRIO}: shape {p.shape}, finite={bool(np.all(np.isfinite(p)))}"])
            ee = p[_EE]
        if self.config.enabled:
            a = self._limit(a, ee, events)
        self.last = a
        return SafetyResult(a.copy(), events)

    def _limit(self, a: np.ndarray, ee, events: list[str]) -> np.ndarray:
        c = np.clip(a, self._lo, self._hi)
        if not np.array_equal(c, a):
            events.append(f"{CLAMPED}: dims {np.flatnonzero(c != a).tolist()}")
        step = np.clip(c - self.last, -self._dmax, self._dmax)
        r = self.last + step
        if not np.allclose(r, c, atol=1e-6):
            events.append(f"{RATE_LIMITED}: dims {np.flatnonzero(np.abs(r - c) > 1e-6).tolist()}")
        if ee is not None:
            # Per axis: cut the delta so the next target stays in the box. An ee already outside
            # may only move back towards it.
            m = self.config.max_step_m
            target = ee + r[:3].astype(np.float64) * m
            lo = np.minimum(self._ws_lo, ee)
            hi = np.maximum(self._ws_hi, ee)
            cut = (np.clip(target, lo, hi) - ee) / m
            if not np.allclose(cut, r[:3], atol=1e-6):
                events.append(f"{WORKSPACE}: ee {np.round(ee, 3).tolist()} target {np.round(target, 3).tolist()}")
                r = r.copy()
                r[:3] = cut.astype(np.float32)
        return r.astype(np.float32)

    def hold(self, events: list[str]) -> SafetyResult:
        """Zero motion with the last gripper command, reporting ``events``."""
        a = self.hold_action()
        self.last = a
        return SafetyResult(a.copy(), events)
