"""MP4 writing with OpenCV, shared by ``heron collect --video-dir``, ``heron run --video`` and eval.

Eval and ``heron run`` videos are recorded by ``VideoRecorder``: it wraps the backend and, for every
observation it hands to the policy, keeps one frame made of the presentation camera (rendered for
the video only, at ``--video-size``), the policy's own camera views in a strip below it, and the
instruction, step and success written on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

FOURCC = "mp4v"
SUFFIXES = (".mp4", ".avi", ".mov", ".mkv")
DEFAULT_VIDEO_SIZE = (480, 360)
VIDEO_SIZE_RANGE = (64, 1920)  # each side, px; even (codecs want even sizes)


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


# -- presentation videos ---------------------------------------------------------------------------
def parse_video_size(text: str | Sequence[int], flag: str = "--video-size") -> tuple[int, int]:
    """``"480x360"`` (or a (width, height) pair) -> (480, 360); a ValueError names ``flag`` otherwise."""
    lo, hi = VIDEO_SIZE_RANGE
    allowed = f"WIDTHxHEIGHT, e.g. 480x360, each side an even number of pixels in [{lo}, {hi}]"
    if isinstance(text, str):
        m = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
        if not m:
            raise ValueError(f"{flag}={text!r}: expected {allowed}")
        size = (int(m.group(1)), int(m.group(2)))
    else:
        size = tuple(int(v) for v in text)
    if len(size) != 2 or any(v < lo or v > hi or v % 2 for v in size):
        raise ValueError(f"{flag}={text!r}: expected {allowed}")
    return size  # type: ignore[return-value]


def video_size_arg(text: str) -> tuple[int, int]:
    """argparse ``type=`` for ``--video-size``: argparse names the flag, this says what is allowed."""
    import argparse

    try:
        return parse_video_size(text, flag="value")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("value=")) from None


@dataclass
class _FrameParts:
    """What one video frame is made of; composed only when the video is written."""

    presentation: np.ndarray | None  # (H, W, 3) uint8, None when the backend has no presentation camera
    views: list[np.ndarray]  # the policy's camera images, as it received them
    instruction: str
    step: int
    success: bool


class VideoRecorder:
    """A backend wrapper that records a presentation video of what passes through it.

    It forwards every call to ``backend`` and returns exactly what the backend returned, so the
    policy's observations, the simulator's state and its random draws are the same with and
    without it. The presentation camera is rendered *before* the wrapped ``observe()``, so in
    realtime mode its cost is not charged to the policy as lag.
    """

    def __init__(self, backend: Any, size: Sequence[int] | str = DEFAULT_VIDEO_SIZE, overlay: bool = True):
        self.backend = backend
        self.size = parse_video_size(size, flag="video size")
        self.overlay = overlay
        self.parts: list[_FrameParts] = []
        self._steps = 0
        self._pending = None  # the overview rendered after the last apply(), for the next observe()
        env = getattr(backend, "env", None)
        self._render = getattr(getattr(env, "unwrapped", env), "render_presentation", None)

    # -- the Backend calls that produce observations --------------------------------------------
    def reset(self, *args, **kwargs):
        obs = self.backend.reset(*args, **kwargs)
        self._steps, self._pending = 0, None
        self._record(self._presentation(), obs)
        return obs

    def observe(self):
        pres, self._pending = self._pending, None
        if pres is None:
            pres = self._presentation()
        obs = self.backend.observe()
        self._record(pres, obs)
        return obs

    def apply(self, action) -> None:
        self.backend.apply(action)
        self._steps += 1
        # The next frame's overview is rendered here, after the step, not inside observe(): the
        # control loop times observe() as part of the step, and a 25 ms render is not the policy's
        # latency (heron run's printed step p50 went from 3.3 to 27 ms with it there).
        self._pending = self._presentation()

    def set_task(self, *args, **kwargs):
        return self._recorded(self.backend.set_task(*args, **kwargs))

    def advance(self, *args, **kwargs):
        return self._recorded(self.backend.advance(*args, **kwargs))

    def record_now(self) -> None:
        """Record the current state once more: the final frame after an episode's last action."""
        self.observe()

    def __getattr__(self, name: str):
        return getattr(self.backend, name)

    def __enter__(self) -> "VideoRecorder":
        return self

    def __exit__(self, *exc) -> None:
        self.backend.close()

    # -- frames ---------------------------------------------------------------------------------
    def _presentation(self) -> np.ndarray | None:
        return None if self._render is None else self._render(*self.size)

    def _recorded(self, obs):
        self._pending = None  # the scene changed (a new task or sub-instruction): render it now
        self._record(self._presentation(), obs)
        return obs

    def _record(self, pres: np.ndarray | None, obs) -> None:
        from heron.policies.schema import CAMERAS, INSTRUCTION

        info = getattr(self.backend, "info", None) or {}
        views = [np.asarray(obs[k]) for k in CAMERAS if k in obs]
        text = str(obs.get(INSTRUCTION) or info.get("instruction") or "")
        self.parts.append(_FrameParts(pres, views, text, self._steps, bool(info.get("success", False))))

    def frames(self) -> Iterable[np.ndarray]:
        """The composed frames, each (height + strip, width, 3) uint8."""
        for part in self.parts:
            yield compose_frame(part, self.size, self.overlay)

    def write(self, path: str | Path, fps: float) -> Path:
        if not self.parts:
            raise VideoError(f"{path}: no frames recorded (the episode never reset the backend)")
        return write_video(path, self.frames(), fps)


def compose_frame(part: _FrameParts, size: tuple[int, int], overlay: bool = True) -> np.ndarray:
    """Presentation view on top; below it a strip with the policy's views at their own size (left)
    and the step and success (right). The instruction is written across the top."""
    import cv2

    width, height = size
    top = part.presentation
    if top is None:  # no presentation camera: the policy's views, scaled up to fill the top
        top = _letterbox(tile(*part.views), width, height)
    views = tile(*part.views) if part.views else np.zeros((0, 0, 3), np.uint8)
    if views.shape[1] > width:  # narrow videos: shrink the strip to fit
        views = cv2.resize(views, (width, max(1, views.shape[0] * width // views.shape[1])), interpolation=cv2.INTER_AREA)
    strip_h = views.shape[0] + views.shape[0] % 2
    strip = np.zeros((strip_h, width, 3), np.uint8)
    strip[: views.shape[0], : views.shape[1]] = views
    frame = np.concatenate([np.ascontiguousarray(top), strip], axis=0)
    if overlay:
        _overlay(frame, part, width, height, views.shape[1])
    return frame


def _overlay(frame: np.ndarray, part: _FrameParts, width: int, height: int, strip_x: int) -> None:
    import cv2

    font, scale = cv2.FONT_HERSHEY_SIMPLEX, max(0.4, width / 960)
    line_h = int(22 * scale / 0.5)
    lines = _wrap(part.instruction, width - 12, font, scale)[:3]
    if lines:
        band = frame[: line_h * len(lines) + 6]
        band[:] = (band * 0.45).astype(np.uint8)  # darken behind the text so it reads on any scene
    for i, line in enumerate(lines):
        cv2.putText(frame, line, (6, line_h * (i + 1) - 2), font, scale, (255, 255, 255), 1, cv2.LINE_AA)
    x, y = strip_x + 10, height + line_h
    if y < frame.shape[0]:
        cv2.putText(frame, f"step {part.step}", (x, y), font, scale, (255, 255, 255), 1, cv2.LINE_AA)
        status, color = ("success", (80, 220, 80)) if part.success else ("not yet", (200, 200, 200))
        if y + line_h < frame.shape[0]:
            cv2.putText(frame, status, (x, y + line_h), font, scale, color, 1, cv2.LINE_AA)


def _wrap(text: str, max_px: int, font: int, scale: float) -> list[str]:
    import cv2

    lines: list[str] = []
    for word in text.split():
        if lines and cv2.getTextSize(f"{lines[-1]} {word}", font, scale, 1)[0][0] <= max_px:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _letterbox(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """``img`` scaled (nearest) to fit (height, width), centred on black."""
    import cv2

    k = min(width / img.shape[1], height / img.shape[0])
    w, h = max(1, int(img.shape[1] * k)), max(1, int(img.shape[0] * k))
    out = np.zeros((height, width, 3), np.uint8)
    y, x = (height - h) // 2, (width - w) // 2
    out[y: y + h, x: x + w] = cv2.resize(img, (w, h), interpolation=cv2.INTER_NEAREST)
    return out


# -- benchmark: python -m heron.viz.video [--size 480x360] [--frames 60] --------------------------------
def bench(size: Sequence[int] | str = DEFAULT_VIDEO_SIZE, frames: int = 60, seed: int = 0) -> dict:
    """Per-frame cost (ms) of the presentation camera and of composing a frame, beside the cost of
    one control step without video, on the scripted expert's pick episodes."""
    import time

    from heron.runtime.backends.sim_backend import SimBackend
    from heron.runtime.interfaces import TaskSpec

    size = parse_video_size(size, flag="--size")
    render_ms, compose_ms, step_ms = [], [], []
    with SimBackend() as backend:
        recorder = VideoRecorder(backend, size)
        while len(render_ms) < frames:
            obs = backend.reset(task=TaskSpec("pick", seed=seed + len(render_ms)))
            for _ in range(40):
                t0 = time.perf_counter()
                backend.apply(backend.expert_action())
                obs = backend.observe()
                t1 = time.perf_counter()
                pres = recorder._presentation()
                t2 = time.perf_counter()
                compose_frame(_FrameParts(pres, [obs["rgb_front"], obs["rgb_wrist"]], obs["instruction"], 1, False), size)
                t3 = time.perf_counter()
                step_ms.append(1e3 * (t1 - t0))
                render_ms.append(1e3 * (t2 - t1))
                compose_ms.append(1e3 * (t3 - t2))
                if backend.info.get("success") or len(render_ms) >= frames:
                    break

    def stats(v: list[float]) -> dict:
        return {"p50": round(float(np.median(v)), 2), "mean": round(float(np.mean(v)), 2)}

    return {"size": list(size), "frames": len(render_ms), "presentation_render_ms": stats(render_ms),
            "compose_ms": stats(compose_ms), "control_step_ms_without_video": stats(step_ms)}


if __name__ == "__main__":
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m heron.viz.video", description=bench.__doc__)
    parser.add_argument("--size", type=video_size_arg, default=DEFAULT_VIDEO_SIZE, metavar="WxH")
    parser.add_argument("--frames", type=int, default=60)
    cli = parser.parse_args()
    print(json.dumps(bench(cli.size, cli.frames)))
