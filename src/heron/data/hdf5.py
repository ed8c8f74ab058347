"""HDF5 shards: one file per collection worker, one group per episode, images chunked and compressed.

Layout (format "heron-demos", version 1):
    /                 attrs format, version, heron_version
    /episodes/000042  datasets rgb_front (T,H,W,3) uint8, rgb_wrist, proprio (T,22) f32, actions (T,5) f32
                      attrs index, seed, task, args (JSON), instruction, success, split, num_steps,
                      complete (written last)
Crash safety: an episode is written whole, then ``complete`` is set and the file flushed, so a crash
loses at most the episode in flight; readers ignore groups without ``complete`` and writers delete them.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from heron.data.episode import (
    ARRAYS,
    ATTRS,
    FORMAT_NAME,
    FORMAT_VERSION,
    is_image,
    Episode,
    check_layout,
    check_segments,
    episode_key,
)
from heron.data.errors import DatasetError
from heron.data.storage import EpisodeInfo, register_storage

COMPRESSIONS = ("lzf", "gzip", "none")
OPEN_DATASETS = 64  # dataset handles a reader keeps open (each with its chunk cache)


def _text(value: Any) -> Any:
    return value.decode() if isinstance(value, bytes) else value


def _open(path: Path, mode: str) -> h5py.File:
    try:
        return h5py.File(path, mode)
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such shard file") from None
    except OSError as exc:
        raise DatasetError(
            f"{path}: cannot open as HDF5 ({exc}); the file is truncated, not HDF5, or in use by another "
            "process. Move it away (or delete it) and collect again."
        ) from None


def _check_root(f: h5py.File, path: Path) -> None:
    fmt = _text(f.attrs.get("format"))
    if fmt != FORMAT_NAME:
        got = "no 'format' attribute" if fmt is None else f"format={fmt!r}"
        raise DatasetError(f"{path}: not a heron demonstration shard ({got}; expected format={FORMAT_NAME!r})")
    version = f.attrs.get("version")
    if version is None or int(version) != FORMAT_VERSION:
        raise DatasetError(
            f"{path}: shard format version {version}, but this heron reads version {FORMAT_VERSION}; "
            "collect the data again with this heron, or read it with the heron that wrote it"
        )
    if not isinstance(f.get("episodes"), h5py.Group):
        raise DatasetError(f"{path}: missing group 'episodes' (the shard is damaged)")


def _is_complete(group: h5py.Group) -> bool:
    return bool(group.attrs.get("complete", False))


@register_storage("hdf5")
class Hdf5Storage:
    suffix = ".h5"

    def writer(self, path: Path, **options: Any) -> "Hdf5ShardWriter":
        return Hdf5ShardWriter(path, **options)

    def reader(self, path: Path) -> "Hdf5ShardReader":
        return Hdf5ShardReader(path)


class Hdf5ShardWriter:
    """Appends complete episodes to one shard; opening an existing shard removes unfinished episodes."""

    def __init__(self, path: str | Path, *, compression: str = "gzip", level: int = 4, chunk_frames: int = 1):
        if compression not in COMPRESSIONS:
            raise ValueError(f"compression={compression!r}: allowed {', '.join(COMPRESSIONS)}")
        if int(chunk_frames) < 1:
            raise ValueError(f"chunk_frames={chunk_frames!r}: must be >= 1")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._compression = None if compression == "none" else compression
        self._opts = {"compression_opts": int(level)} if compression == "gzip" else {}
        self._chunk_frames = int(chunk_frames)
        self._f = _open(self.path, "a")
        try:
            if len(self._f.attrs) == 0 and len(self._f) == 0:  # new (or created but never initialised)
                from heron import data

                self._f.attrs["format"] = FORMAT_NAME
                self._f.attrs["version"] = FORMAT_VERSION
                self._f.attrs["heron_version"] = data.heron_version()
                self._f.create_group("episodes")
            else:
                _check_root(self._f, self.path)
            episodes = self._f["episodes"]
            stale = [k for k, g in episodes.items() if not _is_complete(g)]
            for key in stale:
                del episodes[key]
            self.repaired = len(stale)
            self._f.flush()
        except BaseException:
            self._f.close()
            raise

    def completed(self) -> set[int]:
        return {int(g.attrs["index"]) for g in self._f["episodes"].values() if _is_complete(g)}

    def write(self, episode: Episode) -> None:
        episodes = self._f["episodes"]
        key = episode_key(episode.index)
        if key in episodes:
            if _is_complete(episodes[key]):
                raise DatasetError(f"{self.path}: episode {episode.index} is already stored")
            del episodes[key]
        g = episodes.create_group(key)
        for name, arr in episode.arrays().items():
            if is_image(name):
                chunks = (min(self._chunk_frames, len(arr)), *arr.shape[1:])
                g.create_dataset(name, data=arr, chunks=chunks, compression=self._compression, **self._opts)
            else:
                g.create_dataset(name, data=arr)
        g.attrs["index"] = int(episode.index)
        g.attrs["seed"] = int(episode.seed)
        g.attrs["task"] = str(episode.task)
        g.attrs["args"] = json.dumps(episode.args, sort_keys=True)
        g.attrs["instruction"] = str(episode.instruction)
        g.attrs["success"] = bool(episode.success)
        g.attrs["split"] = str(episode.split)
        g.attrs["num_steps"] = episode.num_steps
        if episode.dims:
            g.attrs["dims"] = json.dumps(episode.dims, sort_keys=True)
        if episode.segments:
            g.attrs["segments"] = json.dumps(episode.segments, sort_keys=True)
        if episode.scene:
            g.attrs["scene"] = json.dumps(episode.scene, sort_keys=True)
        self._f.flush()
        g.attrs["complete"] = True  # last: marks the episode as whole
        self._f.flush()

    def close(self) -> None:
        if self._f.id.valid:
            self._f.close()

    def __enter__(self) -> "Hdf5ShardWriter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class Hdf5ShardReader:
    """Lists and reads complete episodes of one shard (read-only)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._f = _open(self.path, "r")
        try:
            _check_root(self._f, self.path)
        except BaseException:
            self._f.close()
            raise
        self.incomplete: list[str] = []
        # Open dataset handles, least recently used first: path lookups dominate small reads, but every
        # handle keeps its decompressed chunk cache (a whole episode's images), so only a few stay open.
        self._datasets: OrderedDict[tuple[str, str], h5py.Dataset] = OrderedDict()

    def episodes(self) -> list[EpisodeInfo]:
        out, self.incomplete = [], []
        for key, g in self._f["episodes"].items():
            where = f"{self.path}: episode 'episodes/{key}'"
            if not isinstance(g, h5py.Group):
                raise DatasetError(f"{where} is not a group")
            if not _is_complete(g):
                self.incomplete.append(key)
                continue
            missing = [a for a in ATTRS if a not in g.attrs]
            if missing:
                raise DatasetError(f"{where}: missing attribute(s) {', '.join(missing)}")
            shapes = {}
            for name in sorted(set(ARRAYS) | {k for k in g.keys() if is_image(k)}):
                ds = g.get(name)
                if ds is not None:
                    if not isinstance(ds, h5py.Dataset):
                        raise DatasetError(f"{where}: {name!r} is not a dataset")
                    shapes[name] = (ds.shape, ds.dtype)
            dims = json.loads(_text(g.attrs["dims"])) if "dims" in g.attrs else None
            steps = check_layout(shapes, where, dims)
            if int(g.attrs["num_steps"]) != steps:
                raise DatasetError(f"{where}: num_steps attribute {int(g.attrs['num_steps'])} != array length {steps}")
            try:
                args = json.loads(_text(g.attrs["args"]))
                segments = json.loads(_text(g.attrs["segments"])) if "segments" in g.attrs else None
                scene = json.loads(_text(g.attrs["scene"])) if "scene" in g.attrs else None
            except (TypeError, json.JSONDecodeError) as exc:
                raise DatasetError(f"{where}: attribute 'args', 'segments' or 'scene' is not JSON ({exc})") from None
            if segments is not None:
                segments = check_segments(segments, steps, where)
            out.append(
                EpisodeInfo(
                    shard=self.path,
                    key=key,
                    index=int(g.attrs["index"]),
                    seed=int(g.attrs["seed"]),
                    task=str(_text(g.attrs["task"])),
                    args=args,
                    instruction=str(_text(g.attrs["instruction"])),
                    success=bool(g.attrs["success"]),
                    split=str(_text(g.attrs["split"])),
                    num_steps=steps,
                    image_shapes={c: tuple(shapes[c][0][1:]) for c in shapes if is_image(c)},
                    dims=dims,
                    segments=segments,
                    scene=scene,
                )
            )
        return out

    def read(self, key: str, names: tuple[str, ...], start: int = 0, stop: int | None = None) -> dict[str, np.ndarray]:
        out = {}
        for name in names:
            try:
                ds = self._datasets.get((key, name))
                if ds is None:
                    ds = self._datasets[(key, name)] = self._f["episodes"][key][name]
                    if len(self._datasets) > OPEN_DATASETS:
                        self._datasets.popitem(last=False)
                else:
                    self._datasets.move_to_end((key, name))
                out[name] = ds[start:stop]
            except (OSError, KeyError) as exc:
                raise DatasetError(f"{self.path}: episode 'episodes/{key}': cannot read {name!r} ({exc})") from None
        return out

    def close(self) -> None:
        self._datasets = OrderedDict()
        if self._f.id.valid:
            self._f.close()
