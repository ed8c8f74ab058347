"""``heron data merge``: datasets collected as shards (``heron collect --shard i/N``, on N machines or a Slurm
array) joined into one folder that holds what one run would have written.

The inputs must come from the same collection settings (``meta.json``'s ``config``) and, when they are shards, be
distinct shards of the same N (all N unless ``allow_missing``). An episode index stored twice is an error naming
both files. The output is written whole in a temporary sibling folder and renamed into place: an existing
``out`` is replaced only with ``overwrite`` and only once the new one is complete; an interrupted merge leaves
nothing behind.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Any, Sequence

from heron.data.atomic import staged_dir
from heron.data.errors import DatasetError
from heron.data.meta import read_meta, read_paraphrases, write_meta, write_paraphrases
from heron.data.storage import find_shards, open_reader, shard_path, stored_episodes
from heron.parallel.shards import check_shard_set


def _check_same(metas: dict[Path, dict], key: str) -> None:
    first_path, first = next(iter(metas.items()))
    for path, meta in metas.items():
        if meta.get(key) != first.get(key):
            a, b = first.get(key) or {}, meta.get(key) or {}
            keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k)) if isinstance(a, dict) and isinstance(b, dict) else [key]
            diff = "; ".join(f"{k}: {a.get(k)!r} in {first_path}, {b.get(k)!r} in {path}" for k in keys)
            raise DatasetError(f"cannot merge datasets collected with different {key}: {diff}")


def _check_shards(metas: dict[Path, dict], allow_missing: bool) -> dict[str, Any] | None:
    shards = {path: meta.get("shard") for path, meta in metas.items()}
    if not any(shards.values()):
        return None  # plain datasets of one collection: nothing to check
    try:
        return check_shard_set(shards, allow_missing)
    except ValueError as exc:
        hint = " (or --allow-missing to merge what is there)" if "missing" in str(exc) else ""
        raise DatasetError(f"{exc}{hint}") from None


def merge_datasets(inputs: Sequence[str | Path], out: str | Path, allow_missing: bool = False,
                   overwrite: bool = False) -> dict[str, Any]:
    """Join ``inputs`` (dataset folders) into ``out``; returns a summary."""
    paths = [Path(p) for p in inputs]
    if len(paths) < 2:
        raise DatasetError(f"merge needs at least two dataset folders, got {len(paths)}")
    if len(set(p.resolve() for p in paths)) != len(paths):
        raise DatasetError("the same folder is given twice: " + ", ".join(map(str, paths)))
    metas: dict[Path, dict] = {}
    for p in paths:
        if not p.is_dir():
            raise DatasetError(f"{p}: no such dataset folder")
        meta = read_meta(p)
        if meta is None:
            raise DatasetError(f"{p}: no meta.json, so its settings cannot be checked against the others'")
        if not find_shards(p):
            raise DatasetError(f"{p}: holds no shard-*.h5 files")
        metas[p] = meta
    _check_same(metas, "config")
    _check_same(metas, "features")
    shard_info = _check_shards(metas, allow_missing)

    owner: dict[int, Path] = {}
    files: list[Path] = []
    tasks: Counter = Counter()
    for p in paths:
        for e in stored_episodes(p):
            if e.index in owner:
                raise DatasetError(f"episode {e.index} is stored twice: in {owner[e.index]} and {e.shard}")
            owner[e.index] = e.shard
            tasks[e.task] += 1
        files += find_shards(p)

    out = Path(out)
    with staged_dir(out, overwrite) as tmp:
        for k, f in enumerate(files):
            shutil.copyfile(f, shard_path(tmp, k))
        tables = [t for t in (read_paraphrases(p) for p in paths) if t]
        if tables:
            merged: dict[str, set[str]] = {}
            for t in tables:
                for text, alts in t.items():
                    merged.setdefault(text, set()).update(alts)
            write_paraphrases(tmp, {text: sorted(alts) for text, alts in sorted(merged.items())})
        first = metas[paths[0]]
        meta = {k: v for k, v in first.items() if k not in ("shard", "summary", "counts", "runs")}
        meta["runs"] = [run | {"from": str(p)} for p in paths for run in metas[p].get("runs", [])]
        meta["counts"] = {"stored": len(owner), "per_task": dict(sorted(tasks.items()))}
        meta["merged_from"] = [{"path": str(p), "shard": metas[p].get("shard"),
                                "episodes": sum(1 for f in owner.values() if f.parent == p)} for p in paths]
        if shard_info:
            meta["merged_shards"] = shard_info
        write_meta(tmp, meta)
    return {"out": str(out), "inputs": len(paths), "files": len(files), "episodes": len(owner),
            "per_task": dict(sorted(tasks.items())), "shards": shard_info}


def episode_digests(directory: str | Path) -> dict[int, str]:
    """Episode index -> SHA-256 of its metadata and arrays, over every shard in ``directory``: two folders hold the
    same episodes when their digests are equal, whatever the files they are split into."""
    import hashlib
    import json

    out: dict[int, str] = {}
    for path in find_shards(directory):
        reader = open_reader(path)
        try:
            for e in reader.episodes():
                h = hashlib.sha256(json.dumps([e.task, e.args, e.instruction, e.seed, e.success, e.split, e.num_steps,
                                               e.segments, e.scene], sort_keys=True, default=str).encode())
                names = tuple(sorted(e.image_shapes)) + ("proprio", "actions")
                for name, arr in reader.read(e.key, names).items():
                    h.update(name.encode())
                    h.update(arr.tobytes())
                out[e.index] = h.hexdigest()
        finally:
            reader.close()
    return out
