"""One demonstration episode in memory, and the layout every storage format must hold.

Arrays (T = number of steps; the label at step t is the clean expert action for observation t):
    one ``rgb_<camera>`` uint8 (T, H, W, 3) per camera (the tabletop's: rgb_front and rgb_wrist),
    proprio float32 (T, state size), actions float32 (T, action size). The environment declares which
    cameras and sizes (``heron.envs.features``); the tabletop's 22 / 5 are the default widths.
Attributes: index (position in the collection, the resume key), seed, task, args, instruction,
success, split.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from heron.data.errors import DatasetError
from heron.policies import schema

FORMAT_NAME = "heron-demos"
FORMAT_VERSION = 1

# name -> (dtype, trailing shape; None = any size, checked for consistency elsewhere)
ARRAYS: dict[str, tuple[np.dtype, tuple[int | None, ...]]] = {
    schema.RGB_FRONT: (np.dtype(np.uint8), (None, None, 3)),
    schema.RGB_WRIST: (np.dtype(np.uint8), (None, None, 3)),
    schema.PROPRIO: (np.dtype(np.float32), (schema.PROPRIO_DIM,)),
    "actions": (np.dtype(np.float32), (schema.ACTION_DIM,)),
}
IMAGE_KEYS = schema.CAMERAS  # the tabletop's cameras (the default layout)
IMAGE = (np.dtype(np.uint8), (None, None, 3))
IMAGE_PREFIX = "rgb_"


def is_image(name: str) -> bool:
    """Camera arrays are named ``rgb_<camera>``."""
    return name.startswith(IMAGE_PREFIX)


def layout(names) -> dict[str, tuple[np.dtype, tuple[int | None, ...]]]:
    """The expected arrays of an episode with these array names: its own cameras (the tabletop's two when it
    has none), proprio and actions."""
    cams = [n for n in names if is_image(n)] or list(IMAGE_KEYS)
    return {**{c: IMAGE for c in cams}, schema.PROPRIO: ARRAYS[schema.PROPRIO], "actions": ARRAYS["actions"]}
ATTRS = ("index", "seed", "task", "args", "instruction", "success", "split", "num_steps")


def check_layout(shapes: dict[str, tuple[tuple[int, ...], np.dtype]], where: str, dims: dict[str, int] | None = None) -> int:
    """Check array names, dtypes and shapes; return the number of steps T.

    ``shapes`` maps array name -> (shape, dtype); ``where`` names the file/episode in errors; ``dims``
    overrides the widths of proprio / actions for data from another robot (default: the simulator's).
    """
    steps, first = None, None
    for name, (dtype, trailing) in layout(shapes).items():
        if dims and name in dims:
            trailing = (int(dims[name]),)
        if name not in shapes:
            raise DatasetError(f"{where}: missing array {name!r} (expected {sorted(layout(shapes))})")
        shape, got_dtype = shapes[name]
        shape = tuple(shape)
        if np.dtype(got_dtype) != dtype:
            raise DatasetError(f"{where}: array {name!r} has dtype {np.dtype(got_dtype)}, expected {dtype}")
        want = ("T", *(d if d is not None else "*" for d in trailing))
        ok = len(shape) == len(want) and all(d is None or s == d for s, d in zip(shape[1:], trailing))
        if not ok:
            raise DatasetError(f"{where}: array {name!r} has shape {shape}, expected {want}")
        if steps is None:
            steps, first = shape[0], name
        elif shape[0] != steps:
            raise DatasetError(f"{where}: array {name!r} has {shape[0]} steps but {first!r} has {steps}")
    if not steps:
        raise DatasetError(f"{where}: episode has no steps")
    return int(steps)


@dataclass(kw_only=True)
class Episode:
    """A complete episode, ready to write or just read. Cameras: ``rgb_front`` / ``rgb_wrist`` (the tabletop's)
    or ``images`` (``{"rgb_<camera>": (T, H, W, 3)}``, any cameras)."""

    proprio: np.ndarray
    actions: np.ndarray
    instruction: str
    task: str
    index: int
    seed: int
    rgb_front: np.ndarray | None = None
    rgb_wrist: np.ndarray | None = None
    images: dict[str, np.ndarray] = field(default_factory=dict)
    success: bool = True
    split: str = "train"
    args: dict[str, Any] = field(default_factory=dict)
    # widths of "proprio" / "actions" when they are not the simulator's 22 / 5 (data from another robot)
    dims: dict[str, int] | None = None
    # chained episodes: one entry per sub-instruction, see ``check_segments``; None = one segment
    segments: list[dict[str, Any]] | None = None
    scene: dict[str, Any] | None = None  # what the simulator's domain randomisation drew (to reproduce it)

    def __post_init__(self) -> None:
        named = {schema.RGB_FRONT: self.rgb_front, schema.RGB_WRIST: self.rgb_wrist}
        images = {**{k: v for k, v in named.items() if v is not None}, **self.images}
        bad = [k for k in images if not is_image(k)]
        if bad or not images:
            raise DatasetError(f"episode {self.index}: camera arrays must be named rgb_<camera>, got {sorted(images) or 'none'}")
        self.images = {k: np.ascontiguousarray(v) for k, v in images.items()}
        self.rgb_front, self.rgb_wrist = self.images.get(schema.RGB_FRONT), self.images.get(schema.RGB_WRIST)
        self.proprio = np.ascontiguousarray(self.proprio)
        self.actions = np.ascontiguousarray(self.actions)
        check_layout({k: (v.shape, v.dtype) for k, v in self.arrays().items()}, f"episode {self.index}", self.dims)
        if not isinstance(self.instruction, str) or len(self.instruction) > schema.MAX_INSTRUCTION_CHARS:
            raise DatasetError(
                f"episode {self.index}: instruction must be a str of at most {schema.MAX_INSTRUCTION_CHARS} chars, "
                f"got {self.instruction!r:.80}"
            )
        if int(self.index) < 0:
            raise DatasetError(f"episode index must be >= 0, got {self.index}")
        if self.segments is not None:
            self.segments = check_segments(self.segments, self.num_steps, f"episode {self.index}")

    @property
    def num_steps(self) -> int:
        return int(self.actions.shape[0])

    def arrays(self) -> dict[str, np.ndarray]:
        return {**self.images, schema.PROPRIO: self.proprio, "actions": self.actions}


SEGMENT_KEYS = ("start", "stop", "task", "args", "instruction")


def check_segments(segments, steps: int, where: str) -> list[dict[str, Any]]:
    """Sub-instruction segments of a chained episode: ``{start, stop, task, args, instruction[,
    done_from, success]}``, contiguous, in order, covering steps ``0 .. steps``. ``done_from`` is the
    first step labelled done (the step the sub-instruction's success was first seen)."""
    if not isinstance(segments, (list, tuple)) or not segments:
        raise DatasetError(f"{where}: segments must be a non-empty list, got {segments!r:.80}")
    out, expect = [], 0
    for i, seg in enumerate(segments):
        if not isinstance(seg, dict) or any(k not in seg for k in SEGMENT_KEYS):
            raise DatasetError(f"{where}: segment {i} must have keys {', '.join(SEGMENT_KEYS)}, got {seg!r:.120}")
        start, stop = int(seg["start"]), int(seg["stop"])
        if start != expect or stop <= start:
            raise DatasetError(f"{where}: segment {i} spans steps {start}..{stop}; expected to start at {expect} and be non-empty")
        done_from = seg.get("done_from")
        if done_from is not None and not start <= int(done_from) <= stop:
            raise DatasetError(f"{where}: segment {i} done_from={done_from} outside its steps {start}..{stop}")
        if not isinstance(seg["instruction"], str) or not seg["instruction"]:
            raise DatasetError(f"{where}: segment {i} instruction must be non-empty text")
        out.append(dict(seg, start=start, stop=stop))
        expect = stop
    if expect != steps:
        raise DatasetError(f"{where}: segments cover steps 0..{expect} but the episode has {steps}")
    return out


def episode_key(index: int) -> str:
    """Group name of an episode inside a shard."""
    return f"{int(index):06d}"
