"""mp4 camera streams through PyAV (the FFmpeg binding LeRobot and opencv also use).

Frame i of a stream has pts i in a time base of 1/fps, so its timestamp is exactly i / fps: LeRobot's
reader looks frames up by timestamp with a 1e-4 s tolerance.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Iterable

import numpy as np

from heron.data.errors import DatasetError

CODECS = ("h264", "libsvtav1")


class Mp4Writer:
    """Append RGB uint8 (H, W, 3) frames; ``close()`` finishes the file."""

    def __init__(self, path: str | Path, fps: int, width: int, height: int, codec: str = "h264", crf: int = 18):
        import av

        if codec not in CODECS:
            raise ValueError(f"codec={codec!r}: allowed {', '.join(CODECS)}")
        if width % 2 or height % 2:
            raise DatasetError(f"{path}: yuv420p video needs even sizes, got {width}x{height}; use image mode")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._c = av.open(str(self.path), "w")
        name = "libx264" if codec == "h264" else codec
        self._s = self._c.add_stream(name, rate=int(fps))
        self._s.width, self._s.height, self._s.pix_fmt = width, height, "yuv420p"
        self._tb = Fraction(1, int(fps))
        self._s.options = {"crf": str(crf), "g": "2"} if codec == "h264" else {"crf": str(crf), "g": "2", "preset": "12"}
        self.frames = 0

    def write(self, frames: Iterable[np.ndarray]) -> None:
        import av

        for img in frames:
            f = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")
            f.pts = self.frames
            f.time_base = self._tb
            for packet in self._s.encode(f):
                self._c.mux(packet)
            self.frames += 1

    def close(self) -> None:
        for packet in self._s.encode():
            self._c.mux(packet)
        self._c.close()


def read_mp4(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Every frame of the first video stream -> (timestamps float64 (N,) in s, frames uint8 (N, H, W, 3))."""
    import av

    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: no such video file")
    stamps, frames = [], []
    try:
        with av.open(str(path)) as c:
            if not c.streams.video:
                raise DatasetError(f"{path}: no video stream in the file")
            stream = c.streams.video[0]
            for frame in c.decode(stream):
                stamps.append(float(frame.pts * stream.time_base) if frame.pts is not None else float(frame.time))
                frames.append(frame.to_ndarray(format="rgb24"))
    except DatasetError:
        raise
    except Exception as exc:  # PyAV raises its own InvalidDataError, EOFError, ...
        raise DatasetError(f"{path}: cannot decode the video ({type(exc).__name__}: {exc}); the file is truncated or not an mp4") from None
    if not frames:
        raise DatasetError(f"{path}: the video has no frames")
    return np.asarray(stamps), np.stack(frames)


def frames_at(path: Path, stamps: np.ndarray, frames: np.ndarray, wanted: np.ndarray, fps: float, key: str) -> np.ndarray:
    """The decoded frames nearest each wanted timestamp; a miss of more than half a frame is an error."""
    idx = np.clip(np.searchsorted(stamps, wanted), 0, len(stamps) - 1)
    prev = np.clip(idx - 1, 0, len(stamps) - 1)
    idx = np.where(np.abs(stamps[prev] - wanted) < np.abs(stamps[idx] - wanted), prev, idx)
    err = np.abs(stamps[idx] - wanted)
    if err.max() > 0.5 / fps:
        bad = int(np.argmax(err))
        raise DatasetError(
            f"{path}: feature {key!r} has no frame at t={wanted[bad]:.4f} s (nearest {stamps[idx[bad]]:.4f} s; "
            f"the video holds {len(stamps)} frames, {stamps[0]:.3f}..{stamps[-1]:.3f} s)")
    return frames[idx]
