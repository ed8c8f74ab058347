"""Import mappings: which columns of a foreign dataset feed heron's camera slots, proprio and actions.

A LeRobot mapping YAML (every key optional; the defaults read a heron export back unchanged):

    cameras:                       # heron camera slot -> the dataset's image or video feature
      rgb_front: observation.images.top
      rgb_wrist: observation.images.wrist     # the same key twice is allowed (a one-camera robot)
    state: {key: observation.state, columns: [0, 1, 2, "gripper"]}   # names or indices; default all
    action: {key: action, columns: null}
    image_size: 96                 # square side the policy takes (default: keep, if square)
    image_fit: crop                # crop (center square, then resize) or resize (stretch)

``fit_image`` is shared with the bag import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from heron.configs import find
from heron.data.errors import DatasetError
from heron.policies import schema

IMAGE_FITS = ("crop", "resize")


def fit_image(img: np.ndarray, size: int | None, fit: str = "crop") -> np.ndarray:
    """uint8 (H, W, 3) -> (size, size, 3): center-crop to a square (``crop``) or stretch (``resize``)."""
    if size is None or img.shape[:2] == (size, size):
        return np.ascontiguousarray(img)
    import cv2

    if fit == "crop":
        h, w = img.shape[:2]
        s = min(h, w)
        top, left = (h - s) // 2, (w - s) // 2
        img = img[top:top + s, left:left + s]
    interp = cv2.INTER_AREA if img.shape[0] >= size else cv2.INTER_LINEAR
    return cv2.resize(np.ascontiguousarray(img), (size, size), interpolation=interp)


@dataclass
class ColumnMap:
    """A vector feature and the entries of it to keep (names or indices; None = all, in order)."""

    key: str
    columns: list[int | str] | None = None

    def resolve(self, feature: dict[str, Any], where: str) -> list[int]:
        """Indices into the feature's vector; errors name the mapping entry, the feature and what exists."""
        shape = feature.get("shape") or [1]
        width = int(np.prod(shape))
        names = _flat_names(feature.get("names"))
        if self.columns is None:
            return list(range(width))
        out = []
        for i, col in enumerate(self.columns):
            if isinstance(col, bool) or not isinstance(col, (int, str)):
                raise DatasetError(f"{where}: columns[{i}]={col!r}: must be a name or an index")
            if isinstance(col, int):
                if not 0 <= col < width:
                    raise DatasetError(f"{where}: columns[{i}]={col} is out of range: {self.key!r} has {width} entries (0..{width - 1})")
                out.append(col)
            elif names and col in names:
                out.append(names.index(col))
            else:
                known = f"its names are {names}" if names else "it has no names; use indices"
                raise DatasetError(f"{where}: columns[{i}]={col!r}: no such column in {self.key!r} ({known})")
        return out


def _flat_names(names: Any) -> list[str] | None:
    if isinstance(names, dict):  # LeRobot also allows {"motors": [...]}
        names = next(iter(names.values()), None)
    return [str(n) for n in names] if isinstance(names, (list, tuple)) else None


@dataclass
class LeRobotMap:
    cameras: dict[str, str] = field(default_factory=dict)  # heron slot -> feature key; empty = guess
    state: ColumnMap = field(default_factory=lambda: ColumnMap("observation.state"))
    action: ColumnMap = field(default_factory=lambda: ColumnMap("action"))
    image_size: int | None = None
    image_fit: str = "crop"
    source: str = "<defaults>"  # the YAML file, for messages

    def __post_init__(self) -> None:
        bad = sorted(set(self.cameras) - set(schema.CAMERAS))
        if bad:
            raise DatasetError(f"{self.source}: cameras.{bad[0]}: unknown camera slot (allowed {', '.join(schema.CAMERAS)})")
        if self.image_fit not in IMAGE_FITS:
            raise DatasetError(f"{self.source}: image_fit={self.image_fit!r}: allowed {', '.join(IMAGE_FITS)}")
        if self.image_size is not None and (not isinstance(self.image_size, int) or not 8 <= self.image_size <= 1024):
            raise DatasetError(f"{self.source}: image_size={self.image_size!r}: must be an integer 8..1024")

    def camera_keys(self, features: dict[str, dict], where: str) -> dict[str, str]:
        """Slot -> feature key, checked against the dataset (or guessed: front/wrist by name, else in order)."""
        visual = [k for k, f in features.items() if f.get("dtype") in ("image", "video")]
        if not visual:
            raise DatasetError(f"{where}: the dataset has no image or video features; heron's policy needs cameras")
        out = dict(self.cameras)
        for slot, key in out.items():
            if key not in features:
                raise DatasetError(f"{self.source}: cameras.{slot}={key!r}: no such feature in {where} (image features: {visual})")
            if key not in visual:
                raise DatasetError(f"{self.source}: cameras.{slot}={key!r} is a {features[key].get('dtype')} feature, not an image or video")
        for slot in schema.CAMERAS:
            if slot not in out:
                word = slot.split("_", 1)[1]
                named = [k for k in visual if k.rsplit(".", 1)[-1] == word]
                unused = [k for k in visual if k not in out.values()]
                out[slot] = named[0] if named else (unused[0] if unused else out.get(schema.RGB_FRONT, visual[0]))
        return out


def load_lerobot_map(path: str | Path | None) -> LeRobotMap:
    """Read a mapping YAML (None: the defaults)."""
    if path is None:
        return LeRobotMap()
    raw = _read_yaml(path)
    allowed = {"cameras", "state", "action", "image_size", "image_fit"}
    _no_unknown(raw, allowed, str(path), "")
    cams = raw.get("cameras") or {}
    if not isinstance(cams, dict) or not all(isinstance(v, str) for v in cams.values()):
        raise DatasetError(f"{path}: cameras must map camera slots ({', '.join(schema.CAMERAS)}) to feature keys")
    kwargs: dict[str, Any] = {"cameras": dict(cams), "source": str(path)}
    for name in ("state", "action"):
        if name in raw:
            kwargs[name] = _column_map(raw[name], f"{path}: {name}", LeRobotMap.__dataclass_fields__[name].default_factory().key)
    for name in ("image_size", "image_fit"):
        if name in raw:
            kwargs[name] = raw[name]
    return LeRobotMap(**kwargs)


def _column_map(value: Any, where: str, default_key: str) -> ColumnMap:
    if isinstance(value, str):
        return ColumnMap(value)
    if not isinstance(value, dict):
        raise DatasetError(f"{where}: must be a feature key or {{key: ..., columns: [...]}}, got {value!r}")
    _no_unknown(value, {"key", "columns"}, where, "")
    cols = value.get("columns")
    if cols is not None and not isinstance(cols, list):
        raise DatasetError(f"{where}.columns: must be a list of names or indices, got {cols!r}")
    return ColumnMap(str(value.get("key", default_key)), cols)


def _read_yaml(path: str | Path) -> dict[str, Any]:
    import yaml

    path = find(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such mapping file") from None
    except yaml.YAMLError as exc:
        raise DatasetError(f"{path}: not valid YAML ({exc})") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise DatasetError(f"{path}: a mapping file must hold a YAML mapping, got {type(raw).__name__}")
    return raw


def _no_unknown(raw: dict, allowed: set[str], where: str, prefix: str) -> None:
    import difflib

    for key in raw:
        if key not in allowed:
            hint = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            extra = f"; did you mean {hint[0]!r}?" if hint else ""
            raise DatasetError(f"{where}: unknown key {prefix}{key!r} (allowed {', '.join(sorted(allowed))}){extra}")
