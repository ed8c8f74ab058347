"""A LeRobotDataset v3.0 folder (any robot) -> heron demonstration shards that ``heron train`` reads.

The mapping (``mapping.LeRobotMap``) picks the image features for heron's two camera slots and the
state / action columns; images are center-cropped and resized to ``image_size``. An episode whose task
changes part-way becomes a chained heron episode with one segment per task. State or action widths other than the
simulator's 22 / 5 are kept and recorded as ``Episode.dims``: such data trains, saves and exports
(the policy config takes ``proprio_dim`` / ``action_dim``), but cannot drive the simulator.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from heron.data import lerobot_format as fmt
from heron.data.atomic import staged_dir
from heron.data.episode import Episode
from heron.data.errors import DatasetError
from heron.data.mapping import LeRobotMap, fit_image, load_lerobot_map
from heron.data.meta import write_meta
from heron.data.mp4 import frames_at, read_mp4
from heron.data.storage import open_writer, shard_path
from heron.policies import schema


@dataclass
class ImportConfig:
    src: str
    out: str
    map: str | None = None
    overwrite: bool = False


def _read_parquet(path: Path, columns: list[str] | None = None):
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not path.is_file():
        raise DatasetError(f"{path}: missing parquet file")
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise DatasetError(f"{path}: cannot read as parquet ({exc}); the file is truncated or not parquet") from None
    if columns:
        missing = [c for c in columns if c not in table.column_names]
        if missing:
            raise DatasetError(f"{path}: missing column(s) {missing} (meta/info.json lists them; the file has {table.column_names})")
        table = table.select(columns)
    return table


def read_tasks(root: Path) -> dict[int, str]:
    """task_index -> task string, from ``meta/tasks.parquet`` (task as a column or as the pandas index)."""
    path = root / fmt.TASKS
    table = _read_parquet(path)
    names = table.column_names
    meta = json.loads((table.schema.metadata or {}).get(b"pandas", b"{}") or b"{}")
    index_cols = [c for c in meta.get("index_columns", []) if isinstance(c, str)]
    text_col = "task" if "task" in names else next((c for c in index_cols if c in names), None)
    if "task_index" not in names or text_col is None:
        raise DatasetError(f"{path}: expected columns 'task_index' and 'task' (or the task as the pandas index); found {names}")
    return {int(i): str(t) for i, t in zip(table.column("task_index").to_pylist(), table.column(text_col).to_pylist())}


def read_episodes(root: Path) -> list[dict[str, Any]]:
    """Rows of ``meta/episodes/*/*.parquet`` without the stats columns, sorted by episode_index."""
    paths = sorted((root / "meta" / "episodes").glob("*/*.parquet"))
    if not paths:
        raise DatasetError(f"{root / 'meta' / 'episodes'}: no episode parquet files (expected chunk-000/file-000.parquet)")
    rows = []
    for path in paths:
        table = _read_parquet(path)
        keep = [c for c in table.column_names if not c.startswith("stats/")]
        for need in ("episode_index", "data/chunk_index", "data/file_index"):
            if need not in keep:
                raise DatasetError(f"{path}: missing column {need!r}")
        rows.extend(table.select(keep).to_pylist())
    return sorted(rows, key=lambda r: int(r["episode_index"]))


class _Source:
    """Reads one episode's frames, caching the data file (and decoded video) the last episode used."""

    def __init__(self, root: Path, info: dict[str, Any], cams: dict[str, str], state_key: str, action_key: str):
        self.root, self.info, self.cams = root, info, cams
        self.fps = float(info["fps"])
        self.columns = sorted({*[k for k in cams.values() if info["features"][k]["dtype"] == "image"], state_key, action_key,
                               "episode_index", "task_index", "timestamp"})
        self._data: tuple[Path, Any] | None = None
        self._video: dict[str, tuple[Path, np.ndarray, np.ndarray]] = {}

    def rows(self, ep: dict[str, Any]) -> tuple[Path, dict[str, Any]]:
        path = self.root / self.info["data_path"].format(chunk_index=int(ep["data/chunk_index"]), file_index=int(ep["data/file_index"]))
        if self._data is None or self._data[0] != path:
            self._data = (path, _read_parquet(path, self.columns))
        import pyarrow.compute as pc

        table = self._data[1]
        sel = table.filter(pc.equal(table.column("episode_index"), int(ep["episode_index"])))
        if sel.num_rows == 0:
            raise DatasetError(f"{path}: no rows for episode {ep['episode_index']} (meta/episodes says they are here)")
        return path, {c: sel.column(c) for c in self.columns}

    def video_frames(self, ep: dict[str, Any], key: str, stamps: np.ndarray) -> np.ndarray:
        need = [f"videos/{key}/chunk_index", f"videos/{key}/file_index", f"videos/{key}/from_timestamp"]
        missing = [c for c in need if c not in ep]
        if missing:
            raise DatasetError(f"{self.root / 'meta/episodes'}: episode {ep['episode_index']} lacks {missing} for video feature {key!r}")
        path = self.root / self.info["video_path"].format(video_key=key, chunk_index=int(ep[need[0]]), file_index=int(ep[need[1]]))
        if key not in self._video or self._video[key][0] != path:
            self._video[key] = (path, *read_mp4(path))
        _, ts, frames = self._video[key]
        return frames_at(path, ts, frames, float(ep[need[2]]) + stamps, self.fps, key)


def _decode_images(column, path: Path, key: str, root: Path) -> np.ndarray:
    import cv2

    out = []
    for i, cell in enumerate(column.to_pylist()):
        data = (cell or {}).get("bytes")
        if data is None and (cell or {}).get("path"):
            p = Path(cell["path"]) if Path(cell["path"]).is_absolute() else root / cell["path"]
            data = p.read_bytes() if p.is_file() else None
        img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) if data else None
        if img is None:
            raise DatasetError(f"{path}: row {i} of {key!r} is not a decodable image (expected PNG/JPEG bytes)")
        out.append(img[..., ::-1])
    return np.stack(out)


def _vector(column, path: Path, key: str, width: int, idx: list[int]) -> np.ndarray:
    values = column.to_pylist()
    try:
        x = np.asarray(values, np.float32)
    except ValueError:
        raise DatasetError(f"{path}: {key!r} rows have different lengths; meta/info.json says {width}") from None
    x = x.reshape(len(values), -1)
    if x.shape[1] != width:
        raise DatasetError(f"{path}: {key!r} has {x.shape[1]} values per frame; meta/info.json says shape [{width}]")
    return np.ascontiguousarray(x[:, idx])


def _check_vector(features: dict, mapping: LeRobotMap, name: str, where: str) -> list[int]:
    col = getattr(mapping, name)
    if col.key not in features:
        vectors = [k for k, f in features.items() if f["dtype"] not in ("image", "video") and k not in fmt.DEFAULT_FEATURES]
        raise DatasetError(f"{mapping.source}: {name}.key={col.key!r}: no such feature in {where} (vector features: {vectors})")
    return col.resolve(features[col.key], f"{mapping.source}: {name}")


def import_lerobot(cfg: ImportConfig, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Convert ``cfg.src`` into heron shards at ``cfg.out``; returns a summary."""
    root = Path(cfg.src)
    info = fmt.read_info(root)
    features = info["features"]
    where = str(root / fmt.INFO)
    mapping = load_lerobot_map(cfg.map)
    cams = mapping.camera_keys(features, where)
    sidx, aidx = _check_vector(features, mapping, "state", where), _check_vector(features, mapping, "action", where)
    size = mapping.image_size or _square_size(features, cams, where, mapping)
    tasks, episodes = read_tasks(root), read_episodes(root)
    source = _Source(root, info, cams, mapping.state.key, mapping.action.key)
    dims = {schema.PROPRIO: len(sidx), "actions": len(aidx)}
    dims_field = None if (len(sidx), len(aidx)) == (schema.PROPRIO_DIM, schema.ACTION_DIM) else dims
    written = steps = 0
    with staged_dir(cfg.out, cfg.overwrite) as tmp:
        with open_writer(shard_path(tmp, 0)) as writer:
            for n, ep in enumerate(episodes):
                for episode in _episodes_of(ep, source, features, mapping, sidx, aidx, size, tasks, written, dims_field):
                    writer.write(episode)
                    written += 1
                    steps += episode.num_steps
                if progress:
                    progress(n + 1, len(episodes))
        write_meta(tmp, {"format": "heron-demos", "source": {"format": "lerobot", "path": str(root.resolve()),
                         "codebase_version": info["codebase_version"], "robot_type": info.get("robot_type"), "episodes": len(episodes)},
                         "mapping": {"cameras": cams, "state": asdict(mapping.state), "action": asdict(mapping.action),
                                     "image_size": size, "image_fit": mapping.image_fit},
                         "config": {"control_hz": info["fps"], "image_size": size}, "dims": dims,
                         "counts": {"stored": written, "steps": steps}})
    return {"out": str(cfg.out), "source_episodes": len(episodes), "episodes": written, "steps": steps, "image_size": size,
            "dims": dims, "sim_compatible": dims_field is None, "cameras": cams}


def _square_size(features: dict, cams: dict[str, str], where: str, mapping: LeRobotMap) -> int:
    shapes = {tuple(features[k]["shape"][:2]) for k in cams.values()}
    if len(shapes) == 1 and (s := shapes.pop())[0] == s[1]:
        return int(s[0])
    raise DatasetError(f"{where}: camera images are {sorted({tuple(features[k]['shape'][:2]) for k in cams.values()})} (H, W); "
                       f"heron's policy takes one square size: set image_size in the mapping ({mapping.source})")


def _episodes_of(ep, source: _Source, features, mapping, sidx, aidx, size, tasks, first_index, dims) -> list[Episode]:
    path, cols = source.rows(ep)
    order = np.argsort(np.asarray(cols["timestamp"].to_pylist(), np.float64), kind="stable")
    stamps = np.asarray(cols["timestamp"].to_pylist(), np.float64)[order]
    images = {}
    for slot, key in source.cams.items():
        if features[key]["dtype"] == "image":
            frames = _decode_images(cols[key], path, key, source.root)[order]
        else:
            frames = source.video_frames(ep, key, stamps)
        images[slot] = np.stack([fit_image(f, size, mapping.image_fit) for f in frames])
    state = _vector(cols[mapping.state.key], path, mapping.state.key, int(np.prod(features[mapping.state.key]["shape"])), sidx)[order]
    action = _vector(cols[mapping.action.key], path, mapping.action.key, int(np.prod(features[mapping.action.key]["shape"])), aidx)[order]
    task_ids = np.asarray(cols["task_index"].to_pylist(), np.int64)[order]
    unknown = sorted(set(task_ids.tolist()) - set(tasks))
    if unknown:
        raise DatasetError(f"{path}: task_index {unknown[:3]} of episode {ep['episode_index']} is not in meta/tasks.parquet")
    task, args = str(ep.get("heron/task", "lerobot")), json.loads(ep["heron/args"]) if "heron/args" in ep else {"source_episode": int(ep["episode_index"])}
    if ep.get("heron/segments"):
        segments = json.loads(ep["heron/segments"])
    else:  # the task changes part-way: a chained episode, one segment per task
        cuts = [0, *(np.flatnonzero(np.diff(task_ids)) + 1).tolist(), len(task_ids)]
        segments = [{"start": a, "stop": b, "task": task, "args": args, "instruction": tasks[int(task_ids[a])][:schema.MAX_INSTRUCTION_CHARS]}
                    for a, b in zip(cuts[:-1], cuts[1:])] if len(cuts) > 2 else None
    instruction = ep.get("heron/instruction") or tasks[int(task_ids[0])]
    return [Episode(rgb_front=images[schema.RGB_FRONT], rgb_wrist=images[schema.RGB_WRIST], proprio=state, actions=action,
                    instruction=instruction[:schema.MAX_INSTRUCTION_CHARS], task=task, index=first_index,
                    seed=int(ep.get("heron/seed", ep["episode_index"])), success=bool(ep.get("heron/success", True)),
                    split=str(ep.get("heron/split", "train")), args=args, dims=dims, segments=segments,
                    scene=json.loads(ep["heron/scene"]) if ep.get("heron/scene") else None)]
