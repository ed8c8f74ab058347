"""LeRobotDataset v3.0 on disk: the names, paths and schema rules heron's export and import share.

Layout (as LeRobot 0.4.4 writes it, checked in tests/interop):
    meta/info.json                                   codebase_version "v3.0", fps, features, path templates
    meta/stats.json                                  per feature: min, max, mean, std, count (+ quantiles)
    meta/tasks.parquet                               task_index + the task string (pandas index column)
    meta/episodes/chunk-000/file-000.parquet         one row per episode: tasks, length, where its rows live
    data/chunk-000/file-000.parquet                  one row per frame
    videos/<key>/chunk-000/file-000.mp4              video features (image features are PNG bytes in data/)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from heron.data.errors import DatasetError
from heron.policies import schema

CODEBASE_VERSION = "v3.0"
CHUNKS_SIZE = 1000
DATA_PATH = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
VIDEO_PATH = "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"
EPISODES_PATH = "meta/episodes/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
INFO = "meta/info.json"
STATS = "meta/stats.json"
TASKS = "meta/tasks.parquet"
DEFAULT_FEATURES = {
    "timestamp": {"dtype": "float32", "shape": [1], "names": None},
    "frame_index": {"dtype": "int64", "shape": [1], "names": None},
    "episode_index": {"dtype": "int64", "shape": [1], "names": None},
    "index": {"dtype": "int64", "shape": [1], "names": None},
    "task_index": {"dtype": "int64", "shape": [1], "names": None},
}
CAMERA_FEATURES = {schema.RGB_FRONT: "observation.images.front", schema.RGB_WRIST: "observation.images.wrist"}
STATE, ACTION = "observation.state", "action"
HERON_COLUMNS = "heron/"  # extra per-episode columns heron writes (task family, args, seed, success...)


def proprio_names() -> list[str]:
    """The 22 proprio entries by name, in ``schema.PROPRIO_LAYOUT`` order."""
    parts = {"joint_pos": [f"joint_pos_{i}" for i in range(7)], "joint_vel": [f"joint_vel_{i}" for i in range(7)],
             "gripper": ["gripper_opening"], "ee_pos": ["ee_x", "ee_y", "ee_z"], "ee_quat": ["ee_qx", "ee_qy", "ee_qz", "ee_qw"]}
    names = [n for key in schema.PROPRIO_LAYOUT for n in parts[key]]
    assert len(names) == schema.PROPRIO_DIM
    return names


def chunk_file(i: int) -> dict[str, int]:
    return {"chunk_index": i // CHUNKS_SIZE, "file_index": i % CHUNKS_SIZE}


def read_info(root: Path) -> dict[str, Any]:
    """``meta/info.json``, checked for the keys and version heron relies on."""
    path = root / INFO
    if not path.is_file():
        raise DatasetError(f"{path}: missing; {root} is not a LeRobotDataset v3.0 folder (expected meta/info.json)")
    try:
        info = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}: not valid JSON ({exc})") from None
    version = info.get("codebase_version")
    if version != CODEBASE_VERSION:
        raise DatasetError(f"{path}: codebase_version={version!r}, expected {CODEBASE_VERSION!r} (convert older datasets "
                           "with LeRobot's lerobot.datasets.v30.convert_dataset_v21_to_v30)")
    for key in ("fps", "features", "data_path"):
        if key not in info:
            raise DatasetError(f"{path}: missing key {key!r}")
    for name, ft in info["features"].items():
        for key in ("dtype", "shape"):
            if key not in ft:
                raise DatasetError(f"{path}: features.{name} has no {key!r}")
    if any(ft["dtype"] == "video" for ft in info["features"].values()) and not info.get("video_path"):
        raise DatasetError(f"{path}: video features but no 'video_path' template")
    return info


def hf_features(features: dict[str, dict]) -> dict[str, Any]:
    """The Hugging Face ``datasets`` feature spec of the data parquet (its schema metadata)."""
    out: dict[str, Any] = {}
    for key, ft in features.items():
        if ft["dtype"] == "video":
            continue
        if ft["dtype"] == "image":
            out[key] = {"_type": "Image"}
        elif list(ft["shape"]) == [1]:
            out[key] = {"dtype": ft["dtype"], "_type": "Value"}
        else:
            out[key] = {"feature": {"dtype": ft["dtype"], "_type": "Value"}, "length": int(ft["shape"][0]), "_type": "List"}
    return {"info": {"features": out}}
