"""Domain randomisation of the tabletop scene: seeded, every part off when its magnitude is 0.

``Randomization`` holds one magnitude per part (the documented range is ``LIMITS``); ``draw(rng)``
turns it into a ``SceneDraw``, the concrete values of one episode, which the env applies and puts
in ``info["randomization"]`` so that any episode can be reproduced. With every magnitude 0 nothing
is drawn from the RNG, so unrandomised episodes are exactly today's.

``mode``: ``uniform`` draws each part uniformly within +-magnitude (training); ``edge`` puts each
continuous part at exactly +-magnitude in a random direction, and the distractor count at exactly
``distractors`` (the fixed severities of the ``robust`` evaluation suite).
"""

from __future__ import annotations

import colorsys
import math
from dataclasses import asdict, dataclass, field, fields

import numpy as np

MODES = ("uniform", "edge")
# key -> (upper bound of the magnitude, unit and meaning)
LIMITS: dict[str, tuple[float, str]] = {
    "camera_shift": (0.2, "m: front camera translated (eye and target) by up to this per axis"),
    "camera_rotation": (15.0, "deg: front camera view direction turned by up to this (pan and tilt)"),
    "camera_fov": (15.0, "deg: front camera field of view changed by up to this"),
    "light": (1.0, "0..1: light direction away from the default and colour tint (0.35 per unit)"),
    "table_color": (1.0, "0..1: table colour blended this far toward a random colour"),
    "block_size": (0.3, "fraction: all blocks scaled by 1 +- this (one scale per episode)"),
    "block_hue": (0.05, "hue units (0..1 = 360 deg): block colours shifted by up to this, value by 3x"),
    "distractors": (6, "count: 0..this distractors drawn from the pool (edge: exactly this many)"),
    "arm_start": (1.0, "0..1: start end effector anywhere in this fraction of the workspace, gripper open or closed"),
}
# The pool of distractor kinds: (name, shape, rgba). None is a block shape or a block colour, so
# "the red block" stays unambiguous. The first two are the unrandomised scene's.
DISTRACTOR_POOL: tuple[tuple[str, str, tuple[float, float, float, float]], ...] = (
    ("purple cylinder", "cylinder", (0.55, 0.15, 0.70, 1.0)),
    ("orange sphere", "sphere", (1.00, 0.50, 0.05, 1.0)),
    ("white cylinder", "cylinder", (0.95, 0.95, 0.95, 1.0)),
    ("pink sphere", "sphere", (1.00, 0.45, 0.75, 1.0)),
    ("black capsule", "capsule", (0.08, 0.08, 0.08, 1.0)),
    ("cyan cylinder", "cylinder", (0.10, 0.85, 0.90, 1.0)),
    ("brown sphere", "sphere", (0.45, 0.25, 0.10, 1.0)),
    ("grey capsule", "capsule", (0.55, 0.55, 0.58, 1.0)),
)
DEFAULT_DISTRACTORS = ("purple cylinder", "orange sphere")
LIGHT_DEFAULT = np.array([0.3, -0.6, 1.0])  # direction of the light when only its colour changes


def reject_unknown(what: str, given, known) -> None:
    """ValueError naming the unknown keys of ``given``, the known ones and a "did you mean"."""
    unknown = sorted(set(given) - set(known))
    if unknown:
        import difflib

        hints = [difflib.get_close_matches(k, list(known), n=1) for k in unknown]
        hint = "".join(f" Did you mean {h[0]!r} for {k!r}?" for k, h in zip(unknown, hints) if h)
        raise ValueError(f"{what} {unknown}; known: {', '.join(sorted(known))}.{hint}")


@dataclass
class Randomization:
    """Magnitudes of each randomised part; all 0 = today's fixed scene. See ``LIMITS`` for units."""

    camera_shift: float = 0.0
    camera_rotation: float = 0.0
    camera_fov: float = 0.0
    light: float = 0.0
    table_color: float = 0.0
    block_size: float = 0.0
    block_hue: float = 0.0
    distractors: int = 0
    arm_start: float = 0.0
    arm_start_fraction: float = 1.0  # share of episodes that get the random start (recovery starts)
    mode: str = "uniform"

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"randomize.mode={self.mode!r}; allowed: {', '.join(MODES)}")
        for key, (high, meaning) in LIMITS.items():
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= high:
                raise ValueError(f"randomize.{key}={value!r} out of range: allowed 0..{high} ({meaning})")
        if isinstance(self.distractors, float):
            if not self.distractors.is_integer():
                raise ValueError(f"randomize.distractors={self.distractors!r}: must be a whole number 0..6")
            self.distractors = int(self.distractors)
        if not 0 <= self.arm_start_fraction <= 1:
            raise ValueError(f"randomize.arm_start_fraction={self.arm_start_fraction!r} out of range: allowed 0..1")

    @classmethod
    def from_any(cls, value) -> "Randomization":
        """A Randomization, a dict of its fields, or None (all off)."""
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        if not isinstance(value, dict):
            raise ValueError(f"randomize: expected a mapping of {', '.join(LIMITS)}, got {value!r}")
        reject_unknown("randomize: unknown key(s)", value, {f.name for f in fields(cls)})
        return cls(**value)

    @classmethod
    def from_file(cls, path) -> "Randomization":
        """A YAML file holding the fields, at the top level or under ``randomize:`` (as in
        configs/collect/randomize.yaml); errors name the file."""

        import yaml

        from heron.configs import find

        p = find(path)
        if not p.is_file():
            raise ValueError(f"randomize: {p} is not a file (expected a YAML of {', '.join(LIMITS)})")
        try:
            data = yaml.safe_load(p.read_text())
        except yaml.YAMLError as exc:
            raise ValueError(f"randomize: {p} is not valid YAML: {exc}") from None
        data = data.get("randomize", data) if isinstance(data, dict) else data
        try:
            return cls.from_any(data)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{p}: {exc}") from None

    @property
    def active(self) -> bool:
        return any(getattr(self, k) for k in LIMITS)

    def to_dict(self) -> dict:
        return asdict(self)

    def draw(self, rng: np.random.Generator) -> "SceneDraw":
        """The concrete values of one episode; draws nothing for parts that are off."""
        d = SceneDraw()
        if not self.active:
            return d
        edge = self.mode == "edge"

        def sym(mag: float, n: int = 1) -> np.ndarray:
            if edge:
                return mag * rng.choice([-1.0, 1.0], n)
            return rng.uniform(-mag, mag, n)

        if self.camera_shift:
            if edge:  # a shift of exactly camera_shift, in a random direction
                v = rng.normal(size=3)
                d.camera_shift = (v / np.linalg.norm(v) * self.camera_shift).tolist()
            else:
                d.camera_shift = sym(self.camera_shift, 3).tolist()
        if self.camera_rotation:
            if edge:
                a = rng.uniform(0, 2 * math.pi)
                d.camera_rotation = [self.camera_rotation * math.cos(a), self.camera_rotation * math.sin(a)]
            else:
                d.camera_rotation = sym(self.camera_rotation, 2).tolist()
        if self.camera_fov:
            d.camera_fov = float(sym(self.camera_fov)[0])
        if self.light:
            v = rng.normal(size=3)
            v = v / np.linalg.norm(v)
            base = LIGHT_DEFAULT / np.linalg.norm(LIGHT_DEFAULT)
            k = self.light if edge else rng.uniform(0, self.light)
            direction = base + k * 1.5 * v
            direction[2] = abs(direction[2]) + 0.2  # always from above the table
            d.light_direction = (direction / np.linalg.norm(direction)).tolist()
            tint = sym(0.35 * self.light, 3)
            d.light_color = np.clip(1.0 + tint, 0.4, 1.0).tolist()
        if self.table_color:
            k = self.table_color if edge else rng.uniform(0, self.table_color)
            d.table_blend = float(k)
            d.table_target = rng.uniform(0.05, 0.95, 3).tolist()
        if self.block_size:
            d.block_scale = float(1.0 + sym(self.block_size)[0])
        if self.block_hue:
            d.block_hue = sym(self.block_hue, 4).tolist()
            d.block_value = (3 * sym(self.block_hue, 4)).tolist()
        if self.distractors:
            n = self.distractors if edge else int(rng.integers(0, self.distractors + 1))
            pick = rng.choice(len(DISTRACTOR_POOL), n, replace=False) if n else []
            d.distractors = [DISTRACTOR_POOL[int(i)][0] for i in sorted(pick)]
        if self.arm_start and rng.uniform() < self.arm_start_fraction:
            d.arm_start = rng.uniform(-1, 1, 3).tolist()
            d.arm_scale = float(self.arm_start)
            d.gripper_closed = bool(rng.uniform() < 0.5)
            d.arm_yaw = float(rng.uniform(-0.6, 0.6))
        return d


@dataclass
class SceneDraw:
    """What was drawn for one episode (JSON-able: stored in info and episode metadata)."""

    camera_shift: list[float] | None = None  # m, added to the front camera's eye and target
    camera_rotation: list[float] | None = None  # deg (pan, tilt) of the view direction about the eye
    camera_fov: float | None = None  # deg added to the field of view
    light_direction: list[float] | None = None
    light_color: list[float] | None = None
    table_blend: float | None = None
    table_target: list[float] | None = None
    block_scale: float | None = None
    block_hue: list[float] | None = None  # per block colour, in BLOCK_COLORS order
    block_value: list[float] | None = None
    distractors: list[str] | None = None  # None: the fixed two
    arm_start: list[float] | None = None  # in [-1, 1]^3, scaled by arm_scale into the workspace box
    arm_scale: float | None = None
    arm_yaw: float | None = None
    gripper_closed: bool | None = None
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None and v != {}}

    @classmethod
    def from_dict(cls, d: dict | None) -> "SceneDraw":
        d = dict(d or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"randomization draw: unknown key(s) {unknown}; known: {', '.join(sorted(known))}")
        return cls(**d)

    # -- what the env asks ------------------------------------------------------------------------
    def light_kwargs(self) -> dict:
        out = {}
        if self.light_direction is not None:
            out["lightDirection"] = list(self.light_direction)
        if self.light_color is not None:
            out["lightColor"] = list(self.light_color)
        return out

    def table_rgba(self, base) -> tuple[float, float, float, float]:
        if self.table_blend is None:
            return tuple(base)
        k = self.table_blend
        rgb = [(1 - k) * b + k * t for b, t in zip(base[:3], self.table_target)]
        return (*rgb, 1.0)

    def block_rgba(self, index: int, base) -> tuple[float, float, float, float]:
        if self.block_hue is None:
            return tuple(base)
        h, s, v = colorsys.rgb_to_hsv(*base[:3])
        h = (h + self.block_hue[index]) % 1.0
        v = float(np.clip(v * (1 + self.block_value[index]), 0.05, 1.0))
        return (*colorsys.hsv_to_rgb(h, s, v), 1.0)
