"""``heron eval --merge A.json B.json ... [--json OUT.json]``: the reports of ``heron eval --shard i/N`` runs joined
into the report one whole run gives: the same episodes, so the same rates, intervals and tables.

The reports must come from the same evaluation (policy, suite, seed, episodes and the other settings; the
number of workers and Ray may differ) and be distinct shards of the same N, all of them. Works for the tabletop
suites (episodes keyed by index) and Meta-World (keyed by task and seed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from heron.parallel.shards import check_shard_set

# Settings that may differ between shards of one evaluation.
FREE_KEYS = ("workers", "threads", "video_dir")


def _load(path: Path) -> dict[str, Any]:
    try:
        result = json.loads(path.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"--merge {path}: no such file") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"--merge {path}: not JSON ({exc})") from None
    if not isinstance(result, dict) or "config" not in result or "episodes" not in result:
        raise ValueError(f"--merge {path}: not a `heron eval --json` report (no config or episodes)")
    return result


def _check(results: dict[Path, dict]) -> dict[str, Any]:
    first_path, first = next(iter(results.items()))
    base = {k: v for k, v in first["config"].items() if k not in FREE_KEYS}
    for path, r in results.items():
        cfg = {k: v for k, v in r["config"].items() if k not in FREE_KEYS}
        if r.get("suite") != first.get("suite") or cfg != base:
            keys = sorted(k for k in set(cfg) | set(base) if cfg.get(k) != base.get(k)) or ["suite"]
            diff = "; ".join(f"{k}: {base.get(k)!r} in {first_path}, {cfg.get(k)!r} in {path}" for k in keys)
            raise ValueError(f"--merge: the reports come from different evaluations ({diff})")
    try:
        checked = check_shard_set({p: r.get("shard") for p, r in results.items()})
    except ValueError as exc:
        raise ValueError(f"--merge: {exc}") from None
    return {"count": checked["count"], "files": [str(p) for p in results]}


def merge_results(paths: Sequence[str | Path], json_path: str | Path | None = None) -> dict[str, Any]:
    """Join shard reports; writes the JSON (and its table and chart) when ``json_path`` is given."""
    if len(paths) < 2:
        raise ValueError(f"--merge needs at least two reports, got {len(paths)}")
    if len({Path(p).resolve() for p in paths}) != len(paths):
        raise ValueError("--merge: a report is given twice: " + ", ".join(map(str, paths)))
    results = {Path(p): _load(Path(p)) for p in paths}
    shards = _check(results)
    first = next(iter(results.values()))
    metaworld = first.get("suite") == "metaworld-mt50"
    key = (lambda r: (r["task"], r["seed"])) if metaworld else (lambda r: r["index"])
    records: dict[Any, dict] = {}
    for path, r in results.items():
        for rec in r["episodes"]:
            if key(rec) in records:
                raise ValueError(f"--merge: episode {key(rec)} is in two reports (the second: {path})")
            records[key(rec)] = rec
    episodes = [records[k] for k in sorted(records)]
    wall = max(r.get("wall_s", 0.0) for r in results.values())
    merged_from = {**shards, "wall_s": [r.get("wall_s") for r in results.values()]}
    if metaworld:
        from heron.evaluation.metaworld import summarize, write_reports_metaworld

        cfg = first["config"]
        expected = len(cfg["tasks"]) * cfg["episodes"]
        _check_complete(len(episodes), expected)
        result = {"suite": first["suite"], "config": cfg, **summarize(episodes), "episodes": episodes, "wall_s": wall,
                  "protocol": first.get("protocol"), "merged_from": merged_from}
        if json_path:
            write_reports_metaworld(result, json_path)
        return result
    from heron.evaluation.stats import aggregate

    _check_complete(len(episodes), first["config"]["episodes"])
    aggregates = aggregate(episodes)
    result = {"config": first["config"], "aggregates": aggregates,
              "overall": {"success": aggregates["overall"]["rate"], **aggregates["overall"]}, "episodes": episodes,
              "wall_s": wall, "episodes_per_min": round(60 * len(episodes) / wall, 2) if wall else None,
              "merged_from": merged_from}
    if json_path:
        from heron.evaluation.report import write_reports

        write_reports(result, json_path)
    return result


def _check_complete(have: int, expected: int) -> None:
    if have != expected:
        raise ValueError(f"--merge: the shards hold {have} episodes, the evaluation planned {expected}")
