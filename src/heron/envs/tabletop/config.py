"""EnvConfig: every knob of the tabletop environment, validated with errors that name the key."""

from __future__ import annotations

from dataclasses import dataclass, fields

from heron.envs.tabletop.randomization import Randomization, reject_unknown

PHYSICS_HZ = 240
CONTROL_HZ_CHOICES = tuple(hz for hz in range(10, 31) if PHYSICS_HZ % hz == 0)  # 10, 12, 15, 16, 20, 24, 30
ACTION_MODES = ("ee", "joint")
SPLITS = ("train", "heldout")
RENDER_MODES = ("rgb_array", "human")


@dataclass
class EnvConfig:
    task: str | None = None  # a task family name; None samples any family per reset
    image_size: int = 96  # both cameras, square
    control_hz: int = 10  # physics runs at 240 Hz: 240 / control_hz substeps per step
    split: str = "train"  # which instruction templates to draw from
    action_mode: str = "ee"  # "ee": (dx, dy, dz, dyaw, gripper); "joint": 7 joint deltas + gripper
    max_xyz_step: float = 0.025  # m per step for a unit action
    max_yaw_step: float = 0.25  # rad per step for a unit action
    max_joint_step: float = 0.1  # rad per step for a unit action (joint mode)
    depth: bool = False  # add depth_front (float32 metres)
    gui: bool = False  # PyBullet GUI window instead of DIRECT
    render_mode: str | None = None
    render_size: int = 256  # env.render() front image size
    start_noise: float = 0.03  # m, random offset of the start end-effector position
    # Domain randomisation (heron.envs.tabletop.randomization.Randomization or a dict of its fields); None: off.
    randomize: Randomization | dict | None = None

    def __post_init__(self):
        if self.control_hz not in CONTROL_HZ_CHOICES:
            raise ValueError(f"control_hz={self.control_hz!r} must divide {PHYSICS_HZ} and lie in 10..30: one of {CONTROL_HZ_CHOICES}")
        if self.action_mode not in ACTION_MODES:
            raise ValueError(f"action_mode={self.action_mode!r}; allowed: {', '.join(ACTION_MODES)}")
        if self.split not in SPLITS:
            raise ValueError(f"split={self.split!r}; allowed: {', '.join(SPLITS)}")
        if self.render_mode not in (None, *RENDER_MODES):
            raise ValueError(f"render_mode={self.render_mode!r}; allowed: None, {', '.join(RENDER_MODES)}")
        for key in ("image_size", "render_size"):
            value = getattr(self, key)
            if not isinstance(value, int) or not 16 <= value <= 1024:
                raise ValueError(f"{key}={value!r} must be an int in 16..1024")
        for key in ("max_xyz_step", "max_yaw_step", "max_joint_step"):
            if not 0 < getattr(self, key) <= 0.5:
                raise ValueError(f"{key}={getattr(self, key)!r} must be in (0, 0.5]")
        if not 0 <= self.start_noise <= 0.1:
            raise ValueError(f"start_noise={self.start_noise!r} must be in [0, 0.1]")
        self.randomize = Randomization.from_any(self.randomize)

    @classmethod
    def from_kwargs(cls, **kw) -> "EnvConfig":
        reject_unknown("unknown env option(s)", kw, {f.name for f in fields(cls)})
        return cls(**kw)

    @property
    def substeps(self) -> int:
        return PHYSICS_HZ // self.control_hz
