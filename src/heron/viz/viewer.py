"""See the data: an episode, a dataset, a LeRobot folder, a bag or an evaluation run -> a rerun ``.rrd`` file
(camera streams, proprio and action plots, instruction, done, success) or a PNG contact sheet.

Sources are read into ``ViewEpisode`` records: heron datasets directly; LeRobot folders and bags through
their importers (into a temporary folder); evaluation JSON through its per-episode records and videos.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from heron.data import DatasetError

DONE_STEPS = 2  # the training label: done on the last 2 steps of a successful episode (WindowDataset)


@dataclass
class ViewEpisode:
    name: str
    instruction: str
    task: str
    success: bool | None
    frames: dict[str, np.ndarray]  # camera -> uint8 (T, H, W, 3)
    proprio: np.ndarray | None = None
    actions: np.ndarray | None = None
    done: np.ndarray | None = None
    extra: dict = field(default_factory=dict)


def kind_of(path: Path) -> str:
    """dataset | lerobot | bag | eval, from what the path holds."""
    if path.is_file() and path.suffix == ".json":
        return "eval"
    if path.suffix == ".mcap" or (path / "metadata.yaml").is_file():
        return "bag"
    if (path / "meta" / "info.json").is_file():
        return "lerobot"
    if path.suffix == ".h5" or (path.is_dir() and any(path.glob("shard-*"))):
        return "dataset"
    raise DatasetError(f"{path}: not a heron dataset (shard-*.h5), LeRobot folder (meta/info.json), ROS 2 bag "
                       "(metadata.yaml or .mcap) or evaluation JSON")


def _from_dataset(path: Path, limit: int) -> Iterator[ViewEpisode]:
    from heron.data import DemoDataset

    ds = DemoDataset(path)
    for i in range(min(limit, len(ds))):
        ep = ds[i]
        done = np.zeros(ep.num_steps, np.float32)
        if ep.success:
            done[-DONE_STEPS:] = 1.0
        yield ViewEpisode(f"episode_{ep.index:06d}", ep.instruction, ep.task, ep.success,
                          {"front": ep.rgb_front, "wrist": ep.rgb_wrist}, ep.proprio, ep.actions, done, {"args": ep.args})


def _from_eval(path: Path, limit: int) -> Iterator[ViewEpisode]:
    from heron.data.mp4 import read_mp4

    try:
        result = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}: not valid JSON ({exc})") from None
    records = result.get("episodes") if isinstance(result, dict) else None
    if not isinstance(records, list):
        raise DatasetError(f"{path}: an evaluation result needs an 'episodes' list (written by `heron eval --json`)")
    for i, r in enumerate(records[:limit]):
        frames = {}
        video = r.get("video")
        if video and Path(video).is_file():
            frames["video"] = read_mp4(video)[1]
        yield ViewEpisode(f"episode_{i:04d}", str(r.get("instruction", "")), str(r.get("task", "")), bool(r.get("success")),
                          frames, extra={k: v for k, v in r.items() if k not in ("video", "frames")})


def load(path: str | Path, limit: int = 10, bag_map: str | None = None) -> list[ViewEpisode]:
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path}: no such file or folder")
    kind = kind_of(path)
    if kind == "dataset":
        return list(_from_dataset(path, limit))
    if kind == "eval":
        return list(_from_eval(path, limit))
    with tempfile.TemporaryDirectory(prefix="heron-view-") as tmp:
        out = Path(tmp) / "demos"
        if kind == "lerobot":
            from heron.data.lerobot_import import ImportConfig, import_lerobot

            import_lerobot(ImportConfig(str(path), str(out), bag_map))
        else:
            from heron.data.rosbag import BagImportConfig, import_bag

            import_bag(BagImportConfig(str(path), str(out), bag_map))
        return list(_from_dataset(out, limit))


def write_rrd(episodes: list[ViewEpisode], out: str | Path, fps: float = 10.0) -> Path:
    """One recording: each episode under its own entity path, on a ``step`` and a ``time`` timeline."""
    import rerun as rr

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    rec = rr.RecordingStream("heron_view")
    rec.save(str(out))
    for ep in episodes:
        base = ep.name
        rec.log(f"{base}/instruction", rr.TextDocument(f"{ep.instruction}\n\ntask: {ep.task}\nsuccess: {ep.success}"), static=True)
        n = max([len(v) for v in ep.frames.values()] + [len(ep.actions) if ep.actions is not None else 1])
        for t in range(n):
            rec.set_time("step", sequence=t)
            rec.set_time("time", duration=t / fps)
            for cam, frames in ep.frames.items():
                if t < len(frames):
                    rec.log(f"{base}/camera/{cam}", rr.Image(frames[t]))
            if ep.proprio is not None and t < len(ep.proprio):
                rec.log(f"{base}/proprio", rr.Scalars(ep.proprio[t].astype(np.float64)))
            if ep.actions is not None and t < len(ep.actions):
                rec.log(f"{base}/action", rr.Scalars(ep.actions[t].astype(np.float64)))
            if ep.done is not None and t < len(ep.done):
                rec.log(f"{base}/done", rr.Scalars([float(ep.done[t])]))
            if t == 0:
                rec.log(f"{base}/events", rr.TextLog(f"instruction: {ep.instruction}"))
        if ep.success is not None:
            rec.set_time("step", sequence=max(n - 1, 0))
            rec.log(f"{base}/success", rr.Scalars([1.0 if ep.success else 0.0]))
            rec.log(f"{base}/events", rr.TextLog(f"{'success' if ep.success else 'failure'} after {n} steps"))
    rec.flush()
    rec.disconnect()
    return out


def write_contact_sheet(episodes: list[ViewEpisode], out: str | Path, frames_per_row: int = 6) -> Path:
    """A PNG: per episode, evenly spaced frames of its first camera and its action (or proprio) curves."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not episodes:
        raise DatasetError("nothing to draw: the source has no episodes")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig = plt.figure(figsize=(1.6 * (frames_per_row + 3), 1.9 * len(episodes)))
    grid = fig.add_gridspec(len(episodes), frames_per_row + 3)
    for r, ep in enumerate(episodes):
        cam = next(iter(ep.frames.values()), None)
        for k in range(frames_per_row):
            ax = fig.add_subplot(grid[r, k])
            ax.axis("off")
            if cam is not None and len(cam):
                t = int(round(k * (len(cam) - 1) / max(frames_per_row - 1, 1)))
                ax.imshow(cam[t])
                ax.set_title(f"t={t}", fontsize=6)
            if k == 0:
                mark = "" if ep.success is None else (" [success]" if ep.success else " [failure]")
                ax.text(0, -0.12, f"{ep.name}: {ep.instruction}{mark}", transform=ax.transAxes, fontsize=7, va="top")
        plot = fig.add_subplot(grid[r, frames_per_row:])
        series = ep.actions if ep.actions is not None else ep.proprio
        if series is not None:
            plot.plot(series, linewidth=0.8)
            plot.set_ylabel("action" if ep.actions is not None else "proprio", fontsize=6)
        if ep.done is not None:
            plot.plot(ep.done, "k--", linewidth=0.8, label="done")
        plot.tick_params(labelsize=5)
    fig.subplots_adjust(left=0.03, right=0.99, top=0.95, bottom=0.05, wspace=0.1, hspace=0.45)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
