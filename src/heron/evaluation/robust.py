"""The ``robust`` suite's perturbation axes: ``seen`` under one change at a time, at a fixed severity.

Each axis maps a severity to the simulator's domain randomisation (``heron.envs.tabletop.randomization``, ``edge``
mode: every episode gets exactly that severity, in a random direction) or to a template split.
The built-in severities sit at the edge of the training ranges (``configs/collect/randomize.yaml``)
or beyond them; ``camera_rotation`` is entirely unseen in training. A suite YAML can list its own
axes and severities::

    name: my_robust
    type: robust
    axes: [{name: camera_shift, severity: 0.15}, {name: distractors, severity: 6}]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from heron.registry import unknown_name_message

# name -> (randomisation key or None, default severity, unit and meaning)
AXES: dict[str, tuple[str | None, float, str]] = {
    "camera_shift": ("camera_shift", 0.10, "m: front camera moved this far in a random direction (training: up to 0.10 per axis)"),
    "camera_rotation": ("camera_rotation", 5.0, "deg: front camera turned this far (unseen in training)"),
    "camera_fov": ("camera_fov", 8.0, "deg: field of view changed by this (training: up to 5)"),
    "lighting": ("light", 0.8, "light direction and colour tint (training: up to 0.6)"),
    "table_color": ("table_color", 0.8, "table colour blended this far toward a random colour (training: up to 0.6)"),
    "distractors": ("distractors", 6, "exactly this many distractors (training: 0..4)"),
    "block_size": ("block_size", 0.15, "blocks scaled by 1 +- this (training: up to 0.15)"),
    "arm_start": ("arm_start", 1.0, "end effector starts anywhere in the workspace, gripper open or closed (training: half of the episodes)"),
    "heldout_phrasing": (None, 0.0, "held-out instruction templates (never in training data)"),
}
BUILTIN_AXES = tuple(AXES)


@dataclass
class Axis:
    name: str
    severity: float | None = None  # None: the built-in severity

    def __post_init__(self):
        if self.name not in AXES:
            raise ValueError(unknown_name_message("robust axis", self.name, list(AXES)))
        if self.severity is None:
            self.severity = AXES[self.name][1]
        if isinstance(self.severity, bool) or not isinstance(self.severity, (int, float)):
            raise ValueError(f"robust axis {self.name!r}: severity must be a number, got {self.severity!r}")
        self.randomize()  # validates the severity against the randomisation's documented range

    @property
    def label(self) -> str:
        return self.name if self.name == "heldout_phrasing" else f"{self.name}={self.severity:g}"

    def randomize(self) -> dict[str, Any] | None:
        """The env's ``randomize`` for this axis (None: unrandomised)."""
        key = AXES[self.name][0]
        if key is None:
            return None
        from heron.envs.tabletop.randomization import Randomization  # plain Python: no PyBullet

        value: Any = int(self.severity) if key == "distractors" else float(self.severity)
        if key == "distractors" and float(self.severity) != int(self.severity):
            raise ValueError(f"robust axis 'distractors': severity must be a whole number, got {self.severity!r}")
        extra = {"arm_start_fraction": 1.0} if key == "arm_start" else {}
        try:
            return Randomization(**{key: value, "mode": "edge", **extra}).to_dict()
        except ValueError as exc:
            raise ValueError(f"robust axis {self.name!r}: {exc}") from None

    def split(self, default: str) -> str:
        return "heldout" if self.name == "heldout_phrasing" else default


def parse_axes(items) -> list[Axis]:
    """Axes from a suite YAML: names or ``{name, severity}`` mappings; empty: every built-in axis."""
    if not items:
        return [Axis(name) for name in BUILTIN_AXES]
    if not isinstance(items, (list, tuple)):
        raise ValueError(f"axes: expected a list of axis names or {{name, severity}} mappings, got {items!r}")
    out = []
    for i, item in enumerate(items):
        if isinstance(item, str):
            out.append(Axis(item))
        elif isinstance(item, Axis):
            out.append(item)
        elif isinstance(item, dict):
            extra = sorted(set(item) - {"name", "severity"})
            if extra or "name" not in item:
                raise ValueError(f"axes[{i}]: expected keys name and severity, got {sorted(item)}")
            out.append(Axis(item["name"], item.get("severity")))
        else:
            raise ValueError(f"axes[{i}]: expected an axis name or a {{name, severity}} mapping, got {item!r}")
    labels = [a.label for a in out]
    if len(set(labels)) != len(labels):
        raise ValueError(f"axes: {labels} lists an axis twice at the same severity")
    return out
