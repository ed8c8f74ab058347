"""MP4 writing with OpenCV, shared by ``heron collect --video-dir``, ``heron run --video`` and eval."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

FOURCC = "mp4v"
SUFFIXES = (".mp4", ".avi", ".mov", ".mkv")


class VideoError(ValueError):
    """A video could not be written (bad frames, path or codec); the message says which."""


def tile(*frames: np.ndarray) -> np.ndarray:
    """Place RGB frames side by side, bottom-padding shorter ones with black: (H, sum W, 3) uint8."""
    height = max(f.shape[0] for f in frames)
    padded = [np.pad(f, ((0, height - f.shape[0]), (0, 0), (0, 0))) for f in frames]
    return np.concatenate(padded, axis=1)


def write_video(path: str | Path, frames: Sequence[np.ndarray] | Iterable[np.ndarray] | np.ndarray, fps: float) -> Path:
    """Write RGB uint8 frames (each (H, W, 3), all one size) as an mp4 (codec mp4v); returns the path."""
    import cv2

    path = Path(path)
    frames = list(frames)
    if path.suffix.lower() not in SUFFIXES:
        raise VideoError(f"{path}: video files must end in one of {', '.join(SUFFIXES)}")
    if not frames:
        raise VideoError(f"{path}: no frames to write")
    if not fps or fps <= 0:
        raise VideoError(f"fps={fps!r}: must be > 0")
    first = np.asarray(frames[0])
    if first.ndim != 3 or first.shape[2] != 3 or first.dtype != np.uint8:
        raise VideoError(f"{path}: frames must be uint8 (H, W, 3) RGB, got {first.dtype} {first.shape}")
    height, width = first.shape[:2]
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*FOURCC), float(fps), (width, height))
    if not writer.isOpened():
        raise VideoError(
            f"{path}: OpenCV could not open a video writer (codec {FOURCC}, {width}x{height} at {fps} fps); "
            "check that the folder exists and is writable"
        )
    try:
        for i, frame in enumerate(frames):
            frame = np.asarray(frame)
            if frame.shape != first.shape or frame.dtype != np.uint8:
                raise VideoError(f"{path}: frame {i} is {frame.dtype} {frame.shape}, expected uint8 {first.shape}")
            writer.write(cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    return path
