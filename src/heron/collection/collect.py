"""Record scripted-expert demonstrations from the simulator into the dataset format.

``collect(...)`` runs the experts in worker processes (spawned; each has its own env and writes its
own shard ``shard-<worker>.h5``), with DART noise on the executed actions and the clean expert action
as the label. Episode i uses env seed ``seed + i`` and family ``tasks[i % len(tasks)]``, so the data
do not depend on the number of workers or on which worker ran what. Re-running the same call skips
the episodes already stored and completes the rest. Ctrl-C stops the workers between steps: the
shards stay valid and lose only the episodes in flight.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

from heron.collection.config import (
    LEGACY_DEFAULTS,
    SEED_RULE,
    CollectConfig,
    resolve_tasks,
    task_of,
)
from heron.collection.workers import (
    _run_workers,
    _Tally,
)
from heron.data import (
    FORMAT_NAME,
    FORMAT_VERSION,
    DatasetError,
    EpisodeInfo,
    find_shards,
    library_versions,
    read_meta,
    stored_episodes,
    write_meta,
    write_paraphrases,
)
from heron.parallel import Shard, parse_shard, take_shard


def _check_resume(out: Path, cfg: CollectConfig, meta: dict[str, Any] | None) -> None:
    if meta is None:
        if find_shards(out):
            raise DatasetError(f"{out}: holds shards but no meta.json, so a resume cannot be checked; use another --out")
        return
    old = {**LEGACY_DEFAULTS, **meta.get("config", {})}
    diff = [f"{k}: stored {old.get(k)!r}, now {v!r}" for k, v in cfg.data_settings().items() if old.get(k) != v]
    if diff:
        raise ValueError(
            f"{out} was collected with other settings ({'; '.join(diff)}); "
            "re-run with the same settings to resume, or choose another --out"
        )


def collect(
    tasks: str | Sequence[str] = "all",
    episodes: int = 100,
    out: str | Path = "data/demos",
    workers: int = 2,
    seed: int = 0,
    noise: float = 0.2,
    *,
    image_size: int = 96,
    control_hz: int = 10,
    split: str = "train",
    max_attempts: int = 3,
    video_dir: str | Path | None = None,
    videos: int = 3,
    compression: str = "gzip",
    progress: bool = True,
    chain_fraction: float = 0.0,
    chain_length: Sequence[int] = (2, 5),
    post_steps: int = 0,
    randomize: dict | None = None,
    episode_budget: int = 400,
    policy: str | None = None,
    policy_share: float = 0.0,
    shard: str | Shard | None = None,
    ray: str | None = None,
) -> dict[str, Any]:
    """Collect ``episodes`` expert episodes into ``out`` (resuming what is there); returns the summary.

    ``shard="i/N"``: only the episode indices i, i + N, ... (``heron data merge`` joins the N outputs into what
    one run gives). ``ray``: run on Ray actors (``local``, ``auto``, ``HOST:PORT`` or ``ray://HOST:PORT``);
    ``workers`` is then the number of actors (None: one per CPU of the cluster).

    On Ctrl-C the workers stop between steps, the metadata is saved and the summary says
    ``interrupted: True``; run the same call again to finish.
    """
    cfg = CollectConfig(
        tasks=resolve_tasks(tasks),
        episodes=episodes,
        out=str(out),
        workers=1 if workers is None else workers,
        seed=seed,
        noise=float(noise),
        image_size=image_size,
        control_hz=control_hz,
        split=split,
        max_attempts=max_attempts,
        video_dir=None if video_dir is None else str(video_dir),
        videos=videos,
        compression=compression,
        chain_fraction=float(chain_fraction),
        chain_length=tuple(chain_length),
        post_steps=post_steps,
        randomize=randomize,
        episode_budget=episode_budget,
        policy=policy,
        policy_share=policy_share,
    )
    shard = parse_shard(shard)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    meta = _start_meta(out, cfg, shard)
    done = {e.index for e in stored_episodes(out)}
    mine = take_shard(range(cfg.episodes), shard)
    todo = [i for i in mine if i not in done]

    tally, start, ray_stats = _Tally(), time.perf_counter(), None
    if not todo:
        interrupted = False
    elif ray:
        from heron.collection.ray_collect import run_ray

        interrupted, ray_stats = run_ray(cfg, todo, tally, ray, workers, progress)
    else:
        interrupted = _run_workers(cfg, todo, tally, progress)
    elapsed = time.perf_counter() - start

    stored = stored_episodes(out)
    per_task = Counter(task_of(cfg.tasks, e.index) for e in stored)
    saved = sum(tally.saved.values())
    summary = {
        "out": str(out),
        "requested": len(mine),
        "saved": saved,
        "skipped": len(mine) - len(todo),
        "failed": sum(tally.failed.values()),
        "missing": sorted(tally.missing),
        "stored": len(stored),
        "steps": tally.steps,
        "repaired": tally.repaired,
        "workers": ray_stats.actors if ray_stats else min(cfg.workers, len(todo)),
        "elapsed_s": round(elapsed, 2),
        "episodes_per_min": round(saved / elapsed * 60, 1) if elapsed > 0 and saved else 0.0,
        "per_task": {t: {"saved": tally.saved[t], "failed": tally.failed[t], "stored": per_task[t]} for t in cfg.tasks},
        "interrupted": interrupted,
        "shard": shard.to_dict() if shard else None,
    }
    if ray_stats is not None:
        summary["ray"] = ray_stats.to_dict()
    if cfg.policy:  # DAgger: how often the driving policy itself solved its episode
        summary["policy"] = {"name": cfg.policy, "share": cfg.policy_share,
                             "episodes_solved": sum(e.success for e in stored), "episodes": len(stored)}
    _finish_meta(out, meta, cfg, summary, per_task)
    summary["paraphrases"] = str(write_paraphrases(out, paraphrase_table(stored)))
    return summary


def paraphrase_table(episodes: Sequence[EpisodeInfo]) -> dict[str, list[str]]:
    """For ``paraphrases.json``: each stored instruction -> the other phrasings of its task and arguments
    from the same template split (``augment.paraphrases`` in training draws from them)."""
    from heron.envs.tabletop.tasks.language import paraphrases

    table: dict[str, set[str]] = {}
    for e in episodes:
        for seg in e.segment_list():
            table.setdefault(seg["instruction"], set()).update(paraphrases(seg["task"], seg["args"], e.split))
    return {text: sorted(alts - {text}) for text, alts in table.items()}


def _start_meta(out: Path, cfg: CollectConfig, shard: Shard | None = None) -> dict[str, Any]:
    """Check that ``out`` can be resumed with ``cfg``; record the settings and versions before any work."""
    meta = read_meta(out)
    _check_resume(out, cfg, meta)
    if meta is not None and Shard.from_dict(meta.get("shard")) != shard:
        raise ValueError(f"{out} holds shard {Shard.from_dict(meta.get('shard')) or 'none (the whole run)'}; this run asks for "
                         f"{shard or 'the whole run'}. Give each shard its own --out, then `heron data merge` them")
    meta = meta or {"format": FORMAT_NAME, "version": FORMAT_VERSION, "created": _now(), "runs": []}
    if shard is not None:
        meta["shard"] = shard.to_dict()
    meta["config"] = cfg.data_settings()
    meta["seeds"] = {"base": cfg.seed, "rule": SEED_RULE}
    meta["versions"] = library_versions()
    write_meta(out, meta)
    return meta


def _finish_meta(out: Path, meta: dict[str, Any], cfg: CollectConfig, summary: dict[str, Any], per_task: Counter) -> None:
    meta["updated"] = _now()
    meta["counts"] = {"stored": summary["stored"], "per_task": {t: per_task[t] for t in cfg.tasks}}
    run = {k: summary[k] for k in ("saved", "skipped", "failed", "missing", "elapsed_s", "interrupted")}
    meta["runs"].append({"finished": _now(), "episodes": cfg.episodes, "workers": summary["workers"], **run,
                         **({"ray": summary["ray"]["address"]} if summary.get("ray") else {})})
    write_meta(out, meta)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def format_summary(summary: dict[str, Any]) -> str:
    shard = f" (shard {summary['shard']['index']}/{summary['shard']['count']})" if summary.get("shard") else ""
    lines = [
        f"collected {summary['saved']} new episodes into {summary['out']}{shard} "
        f"({summary['skipped']} already there, {summary['stored']} stored in all)",
        f"failed expert attempts: {summary['failed']}; episodes missing after all attempts: {len(summary['missing'])}",
        f"{summary['steps']} steps in {summary['elapsed_s']:.1f} s with {summary['workers']} workers: "
        f"{summary['episodes_per_min']:.1f} episodes/min",
    ]
    width = max(len(t) for t in summary["per_task"])
    for task, c in summary["per_task"].items():
        lines.append(f"  {task:<{width}}  saved {c['saved']:>5}  failed {c['failed']:>4}  stored {c['stored']:>6}")
    if summary.get("policy"):
        pol = summary["policy"]
        lines.append(f"policy {pol['name']} drove {pol['share']:.0%} of the steps and solved {pol['episodes_solved']} of "
                     f"{pol['episodes']} stored episodes (failed ones are kept: the expert labelled their states)")
    if summary.get("ray"):
        r = summary["ray"]
        lines.append(f"ray ({r['address']}): {r['actors']} actors on {r['nodes']} node(s), {r['replaced']} replaced, "
                     f"{r['retried']} chunk(s) retried; connect {r['connect_s']:.1f} s, first actor ready {r['ready_s']:.1f} s, "
                     f"shutdown {r['shutdown_s']:.1f} s")
    if summary["repaired"]:
        lines.append(f"removed {summary['repaired']} incomplete episode(s) left by an earlier crash")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use `heron collect`")
