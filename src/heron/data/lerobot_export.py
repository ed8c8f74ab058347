"""heron demonstrations -> a LeRobotDataset v3.0 folder (see ``lerobot_format`` for the layout).

Features: ``observation.images.front`` / ``.wrist`` (PNG bytes in the parquet, or mp4 under videos/),
``observation.state`` (the 22 named proprio values, or the dataset's own width), ``action`` (5 named),
and each episode's instruction as its task. Per-episode heron metadata (family, args, seed, success,
split) rides along as ``heron/*`` columns of ``meta/episodes``, so an import gives the episodes back whole.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from heron.data import lerobot_format as fmt
from heron.data.atomic import staged_dir
from heron.data.dataset import DemoDataset
from heron.data.errors import DatasetError
from heron.data.mp4 import CODECS, Mp4Writer
from heron.policies import schema

MODES = ("image", "video")
QUANTILES = (0.01, 0.10, 0.50, 0.90, 0.99)


@dataclass
class ExportConfig:
    src: str
    out: str
    mode: str = "video"  # image: PNG bytes in the parquet (bit-exact); video: mp4 (smaller, lossy)
    fps: int | None = None  # default: the collection's control_hz (meta.json), else 10
    codec: str = "h264"
    crf: int = 18
    episodes_per_file: int = 1000
    robot_type: str = "panda"
    overwrite: bool = False

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode={self.mode!r}: allowed {', '.join(MODES)}")
        if self.codec not in CODECS:
            raise ValueError(f"codec={self.codec!r}: allowed {', '.join(CODECS)}")
        if self.fps is not None and not 1 <= int(self.fps) <= 1000:
            raise ValueError(f"fps={self.fps!r}: allowed 1..1000")
        if int(self.episodes_per_file) < 1:
            raise ValueError(f"episodes_per_file={self.episodes_per_file!r}: must be >= 1")


@dataclass
class _Stats:
    """Running per-feature statistics (float64), in LeRobot's stats.json layout."""

    vectors: dict[str, list[np.ndarray]] = field(default_factory=dict)
    images: dict[str, list[np.ndarray]] = field(default_factory=dict)  # per frame: channel mean, sq mean, min, max

    def add_vector(self, key: str, x: np.ndarray) -> None:
        self.vectors.setdefault(key, []).append(np.asarray(x, np.float64).reshape(len(x), -1))

    def add_images(self, key: str, frames: np.ndarray) -> None:
        x = frames.reshape(len(frames), -1, 3).astype(np.float64) / 255.0
        self.images.setdefault(key, []).append(np.concatenate([x.mean(1), (x ** 2).mean(1), x.min(1), x.max(1)], axis=1))

    def result(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, parts in self.vectors.items():
            x = np.concatenate(parts)
            out[key] = {"min": x.min(0).tolist(), "max": x.max(0).tolist(), "mean": x.mean(0).tolist(),
                        "std": x.std(0).tolist(), "count": [len(x)]}
            for q in QUANTILES:
                out[key][f"q{int(round(q * 100)):02d}"] = np.quantile(x, q, axis=0).tolist()
        for key, parts in self.images.items():
            x = np.concatenate(parts)
            mean, sq = x[:, 0:3].mean(0), x[:, 3:6].mean(0)
            as_chw = lambda v: [[[float(c)]] for c in v]  # noqa: E731  (LeRobot keeps image stats as (3, 1, 1))
            out[key] = {"min": as_chw(x[:, 6:9].min(0)), "max": as_chw(x[:, 9:12].max(0)), "mean": as_chw(mean),
                        "std": as_chw(np.sqrt(np.maximum(sq - mean ** 2, 0))), "count": [len(x)]}
        return out


def _features(demos: DemoDataset, mode: str, fps: int) -> dict[str, dict]:
    first = demos.episodes[0]
    dims = first.dims or {}
    n_state, n_action = int(dims.get(schema.PROPRIO, schema.PROPRIO_DIM)), int(dims.get("actions", schema.ACTION_DIM))
    feats: dict[str, dict] = {}
    for cam, key in fmt.CAMERA_FEATURES.items():
        shapes = {tuple(e.image_shapes[cam]) for e in demos.episodes}
        if len(shapes) > 1:
            raise DatasetError(f"{demos.root}: episodes have different {cam} sizes {sorted(shapes)}; LeRobot needs one shape per feature")
        h, w, c = first.image_shapes[cam]
        feats[key] = {"dtype": mode, "shape": [h, w, c], "names": ["height", "width", "channels"]}
        if mode == "video":
            feats[key]["info"] = {"video.height": h, "video.width": w, "video.codec": None, "video.pix_fmt": "yuv420p",
                                  "video.is_depth_map": False, "video.fps": fps, "video.channels": c, "has_audio": False}
    feats[fmt.STATE] = {"dtype": "float32", "shape": [n_state],
                        "names": fmt.proprio_names() if n_state == schema.PROPRIO_DIM and not dims else [f"state_{i}" for i in range(n_state)]}
    feats[fmt.ACTION] = {"dtype": "float32", "shape": [n_action],
                         "names": list(schema.ACTION_NAMES) if n_action == schema.ACTION_DIM and not dims else [f"action_{i}" for i in range(n_action)]}
    feats.update(json.loads(json.dumps(fmt.DEFAULT_FEATURES)))
    return feats


def _png(img: np.ndarray) -> bytes:
    import cv2

    ok, buf = cv2.imencode(".png", np.ascontiguousarray(img[..., ::-1]))
    assert ok
    return buf.tobytes()


class _Files:
    """The data parquet and mp4 writers of the file currently being filled."""

    def __init__(self, root: Path, cfg: ExportConfig, feats: dict[str, dict], schema_):
        self.root, self.cfg, self.feats, self.schema = root, cfg, feats, schema_
        self.file = -1
        self.parquet = None
        self.videos: dict[str, Mp4Writer] = {}

    def open(self, file: int) -> None:
        import pyarrow.parquet as pq

        self.close()
        self.file = file
        cf = fmt.chunk_file(file)
        path = self.root / fmt.DATA_PATH.format(**cf)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.parquet = pq.ParquetWriter(path, self.schema)
        if self.cfg.mode == "video":
            for key in fmt.CAMERA_FEATURES.values():
                h, w, _ = self.feats[key]["shape"]
                vpath = self.root / fmt.VIDEO_PATH.format(video_key=key, **cf)
                self.videos[key] = Mp4Writer(vpath, int(self.feats[key]["info"]["video.fps"]), w, h, self.cfg.codec, self.cfg.crf)

    def close(self) -> None:
        if self.parquet is not None:
            self.parquet.close()
            self.parquet = None
        for v in self.videos.values():
            v.close()
        self.videos = {}


def _arrow_schema(feats: dict[str, dict]):
    import pyarrow as pa

    fields = []
    for key, ft in feats.items():
        if ft["dtype"] == "video":
            continue
        if ft["dtype"] == "image":
            fields.append(pa.field(key, pa.struct([("bytes", pa.binary()), ("path", pa.string())])))
        elif ft["shape"] == [1]:
            fields.append(pa.field(key, pa.from_numpy_dtype(np.dtype(ft["dtype"]))))
        else:
            fields.append(pa.field(key, pa.list_(pa.float32(), int(ft["shape"][0]))))
    return pa.schema(fields, metadata={"huggingface": json.dumps(fmt.hf_features(feats))})


def export_lerobot(cfg: ExportConfig, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Write ``cfg.src``'s episodes as a LeRobotDataset v3.0 at ``cfg.out``; returns a summary."""
    demos = DemoDataset(cfg.src)
    if len(demos) == 0:
        raise DatasetError(f"{cfg.src}: no episodes to export")
    fps = int(cfg.fps or ((demos.meta or {}).get("config") or {}).get("control_hz") or 10)
    feats = _features(demos, cfg.mode, fps)
    arrow_schema = _arrow_schema(feats)
    tasks: dict[str, int] = {}
    episodes: list[dict[str, Any]] = []
    stats = _Stats()
    total = 0
    with staged_dir(cfg.out, cfg.overwrite) as root:
        files = _Files(root, cfg, feats, arrow_schema)
        try:
            for pos in range(len(demos)):
                file = pos // int(cfg.episodes_per_file)
                if file != files.file:
                    files.open(file)
                ep, info = demos[pos], demos.episodes[pos]
                episodes.append(_write_episode(files, ep, info, pos, total, fps, tasks, stats, cfg.mode))
                total += ep.num_steps
                if progress:
                    progress(pos + 1, len(demos))
        finally:
            files.close()
        _write_meta(root, cfg, feats, fps, tasks, episodes, stats, total)
    return {"out": str(cfg.out), "episodes": len(episodes), "frames": total, "tasks": len(tasks), "mode": cfg.mode, "fps": fps,
            "bytes": sum(p.stat().st_size for p in Path(cfg.out).rglob("*") if p.is_file())}


def _write_episode(files: _Files, ep, info, pos: int, start: int, fps: int, tasks: dict[str, int], stats: _Stats, mode: str) -> dict[str, Any]:
    import pyarrow as pa

    n = ep.num_steps
    # a chained episode's frames carry their own sub-instruction as the task (LeRobot's per-frame task)
    segments = ep.segments or [{"start": 0, "stop": n, "instruction": ep.instruction}]
    task_ids = np.empty(n, np.int64)
    for seg in segments:
        task_ids[seg["start"]:seg["stop"]] = tasks.setdefault(seg["instruction"], len(tasks))
    ts = (np.arange(n) / fps).astype(np.float32)
    cols: dict[str, Any] = {}
    row_meta: dict[str, Any] = {}
    for cam, key in fmt.CAMERA_FEATURES.items():
        frames = getattr(ep, cam)
        stats.add_images(key, frames)
        if mode == "image":
            cols[key] = [{"bytes": _png(f), "path": None} for f in frames]
        else:
            v = files.videos[key]
            row_meta.update({f"videos/{key}/chunk_index": fmt.chunk_file(files.file)["chunk_index"],
                             f"videos/{key}/file_index": fmt.chunk_file(files.file)["file_index"],
                             f"videos/{key}/from_timestamp": v.frames / fps, f"videos/{key}/to_timestamp": (v.frames + n) / fps})
            v.write(frames)
    state, action = ep.proprio.astype(np.float32), ep.actions.astype(np.float32)
    cols[fmt.STATE] = pa.FixedSizeListArray.from_arrays(pa.array(state.reshape(-1)), state.shape[1])
    cols[fmt.ACTION] = pa.FixedSizeListArray.from_arrays(pa.array(action.reshape(-1)), action.shape[1])
    cols["timestamp"] = ts
    cols["frame_index"] = np.arange(n, dtype=np.int64)
    cols["episode_index"] = np.full(n, pos, np.int64)
    cols["index"] = np.arange(start, start + n, dtype=np.int64)
    cols["task_index"] = task_ids
    for key, values in ((fmt.STATE, state), (fmt.ACTION, action), ("timestamp", ts), ("frame_index", cols["frame_index"]),
                        ("episode_index", cols["episode_index"]), ("index", cols["index"]), ("task_index", cols["task_index"])):
        stats.add_vector(key, values)
    table = pa.table({f.name: cols[f.name] for f in files.schema}, schema=files.schema)
    files.parquet.write_table(table)
    cf = fmt.chunk_file(files.file)
    return {"episode_index": pos, "tasks": list(dict.fromkeys(s["instruction"] for s in segments)), "length": n, "data/chunk_index": cf["chunk_index"],
            "data/file_index": cf["file_index"], "dataset_from_index": start, "dataset_to_index": start + n, **row_meta,
            "meta/episodes/chunk_index": 0, "meta/episodes/file_index": 0,
            "heron/index": int(ep.index), "heron/seed": int(ep.seed), "heron/task": str(ep.task),
            "heron/args": json.dumps(ep.args, sort_keys=True), "heron/success": bool(ep.success), "heron/split": str(ep.split),
            "heron/instruction": ep.instruction, "heron/segments": json.dumps(ep.segments, sort_keys=True) if ep.segments else "",
            "heron/scene": json.dumps(ep.scene, sort_keys=True) if ep.scene else ""}


def _write_meta(root: Path, cfg: ExportConfig, feats, fps: int, tasks: dict[str, int], episodes, stats: _Stats, total: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if cfg.mode == "video":
        for key in fmt.CAMERA_FEATURES.values():
            feats[key]["info"]["video.codec"] = "h264" if cfg.codec == "h264" else "av1"
    info = {"codebase_version": fmt.CODEBASE_VERSION, "robot_type": cfg.robot_type, "total_episodes": len(episodes),
            "total_frames": total, "total_tasks": len(tasks), "chunks_size": fmt.CHUNKS_SIZE, "data_files_size_in_mb": 100,
            "video_files_size_in_mb": 200, "fps": fps, "splits": {"train": f"0:{len(episodes)}"},
            "data_path": fmt.DATA_PATH, "video_path": fmt.VIDEO_PATH if cfg.mode == "video" else None, "features": feats}
    (root / "meta").mkdir(parents=True, exist_ok=True)
    (root / fmt.INFO).write_text(json.dumps(info, indent=4))
    (root / fmt.STATS).write_text(json.dumps(stats.result(), indent=4))
    names = sorted(tasks, key=tasks.get)
    pandas_meta = {"index_columns": ["__index_level_0__"], "column_indexes": [], "columns": [
        {"name": "task_index", "field_name": "task_index", "pandas_type": "int64", "numpy_type": "int64", "metadata": None},
        {"name": None, "field_name": "__index_level_0__", "pandas_type": "unicode", "numpy_type": "object", "metadata": None}],
        "creator": {"library": "pyarrow", "version": pa.__version__}, "pandas_version": "2.2.3"}
    task_table = pa.table({"task_index": pa.array([tasks[t] for t in names], pa.int64()), "__index_level_0__": pa.array(names, pa.string())})
    pq.write_table(task_table.replace_schema_metadata({"pandas": json.dumps(pandas_meta)}), root / fmt.TASKS)
    path = root / fmt.EPISODES_PATH.format(chunk_index=0, file_index=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(episodes), path)
