"""What the interpreter knows of the table: a plain dataclass, from the simulator, JSON or a vocabulary.

Positions are world metres (x forward from the robot base, y to its left, z up) or None when
unknown. ``zones=None`` means the zones are not known (a robot with only a vocabulary): any zone
colour of the vocabulary is then accepted. In the front camera's image, world +y is to the right
(``heron/envs/tabletop/cameras.py``): "left of" means smaller y.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

Position = tuple[float, float, float]
SCENE_KEYS = ("blocks", "zones", "tray", "distractors")
MAX_SCENE_CHARS = 20_000


@dataclass(frozen=True)
class SceneDescription:
    blocks: dict[str, Position | None]
    zones: dict[str, Position | None] | None = None
    tray: Position | None = None
    has_tray: bool = True
    distractors: dict[str, Position | None] = field(default_factory=dict)
    zone_vocabulary: tuple[str, ...] = ("red", "green", "blue", "yellow")
    source: str = "vocabulary"  # "sim", "json", "vocabulary"

    def __post_init__(self):
        if not isinstance(self.blocks, dict) or not self.blocks:
            raise ValueError(f"scene blocks: expected a non-empty mapping colour -> position, got {self.blocks!r}")

    @property
    def block_colors(self) -> list[str]:
        return list(self.blocks)

    @property
    def zone_colors(self) -> list[str] | None:
        return None if self.zones is None else list(self.zones)

    def has_positions(self) -> bool:
        return all(p is not None for p in self.blocks.values())

    def distance(self, a: Position, b: Position) -> float:
        return math.hypot(a[0] - b[0], a[1] - b[1])

    def describe(self) -> str:
        """One line for messages: 'red, green, blue and yellow blocks; green and blue zones; a tray'."""
        parts = [f"{join_words(self.block_colors)} blocks"]
        if self.zones:
            parts.append(f"{join_words(list(self.zones))} zones")
        if self.has_tray:
            parts.append("a tray")
        parts += [f"{'an' if name[:1] in 'aeiou' else 'a'} {name}" for name in self.distractors]
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {"blocks": {k: list(v) if v else None for k, v in self.blocks.items()},
                "zones": None if self.zones is None else {k: list(v) if v else None for k, v in self.zones.items()},
                "tray": list(self.tray) if self.tray else self.has_tray,
                "distractors": {k: list(v) if v else None for k, v in self.distractors.items()}}


def join_words(words: list[str], last: str = "and") -> str:
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {last} " + words[-1]


def vocabulary_scene(blocks=("red", "green", "blue", "yellow"), zones=("red", "green", "blue", "yellow"),
                     distractors=("purple cylinder", "orange sphere"), tray: bool = True) -> SceneDescription:
    """A scene known only by the object vocabulary the policy was trained on (no positions, zones unknown)."""
    return SceneDescription(blocks={c: None for c in blocks}, zones=None, has_tray=tray,
                            distractors={d: None for d in distractors}, zone_vocabulary=tuple(zones),
                            source="vocabulary")


def scene_from_env(env) -> SceneDescription:
    """The live scene of a ``sim`` TabletopEnv (duck-typed: reads ``env.scene``; no PyBullet import)."""
    scene = env.scene
    blocks = {c: _pos(scene.block_pos(c)) for c in scene.blocks}
    zones = {c: _pos(scene.zone_center(c)) for c in scene.zones}
    layout = scene.layout_state
    distractors = {name: (float(x), float(y), 0.0) for name, (x, y) in layout.distractors.items()} if layout else {}
    return SceneDescription(blocks=blocks, zones=zones, tray=_pos(scene.tray_center()), has_tray=True,
                            distractors=distractors, source="sim")


def _pos(p) -> Position:
    return (float(p[0]), float(p[1]), float(p[2]) if len(p) > 2 else 0.0)


def scene_from_json(text: str, vocabulary: SceneDescription | None = None) -> SceneDescription:
    """Parse a scene message; ValueError names the key and what is expected.

    ``{"blocks": {"red": [x, y, z], ...} | ["red", ...], "zones": {...} | [...] | null,
       "tray": [x, y, z] | true | false, "distractors": {...} | [...]}``
    Only ``blocks`` is required. Colours outside ``vocabulary`` (when given) are refused.
    """
    if not isinstance(text, str):
        raise ValueError(f"scene: expected JSON text, got {type(text).__name__}")
    if len(text) > MAX_SCENE_CHARS:
        raise ValueError(f"scene: {len(text)} characters; at most {MAX_SCENE_CHARS} are accepted")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"scene: not valid JSON ({exc.msg} at character {exc.pos + 1})") from None
    if not isinstance(data, dict):
        raise ValueError(f"scene: expected a JSON object with keys {', '.join(SCENE_KEYS)}, got {type(data).__name__}")
    unknown = sorted(set(data) - set(SCENE_KEYS))
    if unknown:
        raise ValueError(f"scene: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(SCENE_KEYS)}")
    if "blocks" not in data:
        raise ValueError("scene: missing key 'blocks' (a list of colours or a mapping colour -> [x, y, z])")
    allowed = set(vocabulary.blocks) if vocabulary else None
    blocks = _objects(data["blocks"], "blocks", allowed)
    if not blocks:
        raise ValueError("scene blocks: expected at least one block")
    zones = None
    if data.get("zones") is not None:
        zones = _objects(data["zones"], "zones", set(vocabulary.zone_vocabulary) if vocabulary else None)
    tray, has_tray = _tray(data.get("tray", True))
    distractors = _objects(data.get("distractors", {}), "distractors", None)
    return SceneDescription(blocks=blocks, zones=zones, tray=tray, has_tray=has_tray, distractors=distractors,
                            zone_vocabulary=vocabulary.zone_vocabulary if vocabulary else ("red", "green", "blue", "yellow"),
                            source="json")


def _objects(value, key: str, allowed: set | None) -> dict[str, Position | None]:
    if isinstance(value, list):
        items = {name: None for name in value}
        names = value
    elif isinstance(value, dict):
        items, names = {}, list(value)
        for name, pos in value.items():
            items[name] = None if pos is None else _position(pos, f"{key}.{name}")
    else:
        raise ValueError(f"scene {key}: expected a list of names or a mapping name -> [x, y, z], got {type(value).__name__}")
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"scene {key}: names must be non-empty strings, got {name!r}")
        if allowed is not None and name not in allowed:
            raise ValueError(f"scene {key}: {name!r} is not in the vocabulary; allowed: {', '.join(sorted(allowed))}")
    return items


def _position(pos, where: str) -> Position:
    if (not isinstance(pos, (list, tuple)) or len(pos) not in (2, 3)
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in pos)):
        raise ValueError(f"scene {where}: expected [x, y] or [x, y, z] in metres (finite numbers), got {pos!r}")
    return (float(pos[0]), float(pos[1]), float(pos[2]) if len(pos) == 3 else 0.0)


def _tray(value) -> tuple[Position | None, bool]:
    if isinstance(value, bool):
        return None, value
    if value is None:
        return None, False
    return _position(value, "tray"), True
