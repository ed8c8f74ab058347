"""Record scripted-expert demonstrations from the simulator into the dataset format.

``collect(...)`` runs the experts in worker processes (spawned; each has its own env and writes its
own shard ``shard-<worker>.h5``), with DART noise on the executed actions and the clean expert action
as the label. Episode i uses env seed ``seed + i`` and family ``tasks[i % len(tasks)]``, so the data
do not depend on the number of workers or on which worker ran what. Re-running the same call skips
the episodes already stored and completes the rest. Ctrl-C stops the workers between steps: the
shards stay valid and lose only the episodes in flight.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import signal
import sys
import time
import traceback
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from heron.data import (
    FORMAT_NAME,
    FORMAT_VERSION,
    DatasetError,
    Episode,
    EpisodeInfo,
    find_shards,
    library_versions,
    open_reader,
    open_writer,
    read_meta,
    shard_path,
    write_meta,
    write_paraphrases,
)
from heron.data.hdf5 import COMPRESSIONS

NOISE_STREAM = 0x5EED  # the DART noise generator of episode seed s is default_rng([s, NOISE_STREAM])
# Settings that change the data: a resume must use the same ones.
DATA_KEYS = ("tasks", "seed", "noise", "image_size", "control_hz", "split", "max_attempts",
             "chain_fraction", "chain_length", "post_steps", "randomize", "episode_budget", "policy", "policy_share")
# Settings added after the first datasets were written: a dataset without them was collected with these.
LEGACY_DEFAULTS = {"chain_fraction": 0.0, "chain_length": [2, 5], "post_steps": 0, "randomize": None, "episode_budget": 400,
                   "policy": None, "policy_share": 0.0}
CHAIN_STREAM = 0xC4A2  # episode i is a chain, and its chain is drawn, from default_rng([seed + i, 0xC4A2])
MAX_EPISODE_BUDGET = 1000
SPLITS = ("train", "heldout")
SEED_RULE = "episode i: env seed = base + i; retry a > 0: SeedSequence([base + i, a]); noise: default_rng([env seed, 0x5EED])"


@dataclass
class CollectConfig:
    tasks: tuple[str, ...]  # family names, already resolved (no "all")
    episodes: int
    out: str
    workers: int = 2
    seed: int = 0
    noise: float = 0.2  # std of the Gaussian DART noise on executed actions (action units)
    image_size: int = 96
    control_hz: int = 10
    split: str = "train"
    max_attempts: int = 3  # tries per episode (new seed each) before it counts as missing
    video_dir: str | None = None
    videos: int = 3  # the first this many episode indices are also written as mp4
    compression: str = "gzip"  # standard HDF5 filter, level 4: ~19x smaller than raw on sim frames
    chain_fraction: float = 0.0  # share of episodes that are chains of sub-instructions (no reset between)
    chain_length: tuple[int, int] = (2, 5)  # sub-instructions per chain, drawn uniformly in this range
    post_steps: int = 0  # steps recorded after each success with a hold action, labelled done
    randomize: dict | None = None  # heron.envs.tabletop.randomization.Randomization fields (scene + recovery arm starts)
    episode_budget: int = 400  # most steps a chained episode may take (its sub-instructions' budgets summed)
    # DAgger (heron/collection/dagger.py): this trained policy executes a share of the steps, the expert still labels
    # every one, and episodes are kept whether they succeed or not
    policy: str | None = None
    policy_share: float = 0.0  # with policy: share of the steps the policy's action is executed (0, 1]

    def __post_init__(self) -> None:
        self.tasks = tuple(self.tasks)
        if not self.tasks:
            raise ValueError("tasks: give at least one task family (or 'all')")
        for key, low in (("episodes", 1), ("workers", 1), ("max_attempts", 1), ("videos", 0)):
            value = getattr(self, key)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
                raise ValueError(f"{key}={value!r}: must be an integer >= {low}")
        if not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ValueError(f"seed={self.seed!r}: must be an integer >= 0")
        if not 0 <= float(self.noise) <= 1:
            raise ValueError(f"noise={self.noise!r}: must be in [0, 1] (action units)")
        if self.split not in SPLITS:
            raise ValueError(f"split={self.split!r}: allowed {', '.join(SPLITS)}")
        if self.compression not in COMPRESSIONS:
            raise ValueError(f"compression={self.compression!r}: allowed {', '.join(COMPRESSIONS)}")
        if not 0 <= float(self.chain_fraction) <= 1:
            raise ValueError(f"chain_fraction={self.chain_fraction!r}: must be in [0, 1]")
        if not isinstance(self.post_steps, int) or not 0 <= self.post_steps <= 10:
            raise ValueError(f"post_steps={self.post_steps!r}: must be an integer in 0..10")
        if not isinstance(self.episode_budget, int) or not 10 <= self.episode_budget <= MAX_EPISODE_BUDGET:
            raise ValueError(f"episode_budget={self.episode_budget!r}: must be an integer in 10..{MAX_EPISODE_BUDGET}")
        self.chain_length = tuple(int(x) for x in self.chain_length)
        lo, hi = self.chain_length if len(self.chain_length) == 2 else (0, -1)
        if not 2 <= lo <= hi <= 10:
            raise ValueError(f"chain_length={list(self.chain_length)!r}: must be [min, max] with 2 <= min <= max <= 10")
        if self.chain_fraction > 0:
            from heron.envs.tabletop.tasks import TASKS

            worst = max(TASKS.get(t).budget(self.control_hz) for t in self.tasks) + self.post_steps
            if hi * worst > self.episode_budget:
                raise ValueError(
                    f"chain_length={list(self.chain_length)!r}: a chain of {hi} may take {hi} x {worst} = {hi * worst} "
                    f"steps, more than episode_budget={self.episode_budget}; shorten the chain (max {self.episode_budget // worst}) "
                    f"or raise episode_budget (at most {MAX_EPISODE_BUDGET})"
                )
        if self.policy is None and self.policy_share:
            raise ValueError(f"policy_share={self.policy_share!r} without policy: name the policy that drives (--policy)")
        if self.policy is not None:
            from heron.collection.dagger import check_policy

            self.policy_share = float(self.policy_share or 1.0)
            if not 0 < self.policy_share <= 1:
                raise ValueError(f"policy_share={self.policy_share!r}: must be in (0, 1] (the share of steps the policy drives)")
            self.policy = check_policy(str(self.policy))
        if self.randomize is not None:
            from heron.envs.tabletop.randomization import Randomization

            self.randomize = Randomization.from_any(self.randomize).to_dict()  # validates ranges, names the key

    def data_settings(self) -> dict[str, Any]:
        d = asdict(self)
        return {k: (list(d[k]) if k in ("tasks", "chain_length") else d[k]) for k in DATA_KEYS}


def resolve_tasks(spec: str | Sequence[str]) -> tuple[str, ...]:
    """"all", "pick,place" or ["pick", "place"] -> registered family names (unknown ones: did-you-mean)."""
    from heron.envs.tabletop.tasks import TASKS

    names = [s.strip() for s in spec.split(",")] if isinstance(spec, str) else [str(s).strip() for s in spec]
    names = [n for n in names if n]
    if names == ["all"]:
        return tuple(TASKS.names())
    for name in names:
        TASKS.get(name)  # raises ValueError naming the known families
    if len(set(names)) != len(names):
        raise ValueError(f"tasks: {','.join(names)} names a family twice")
    return tuple(names)


def episode_seed(seed: int, index: int, attempt: int) -> int:
    """Env seed of episode ``index``: seed + index, and a derived seed for each retry."""
    if attempt == 0:
        return int(seed + index)
    return int(np.random.SeedSequence([seed + index, attempt]).generate_state(1)[0])


def task_of(tasks: Sequence[str], index: int) -> str:
    return tasks[index % len(tasks)]


# --- one episode (inside a worker) ------------------------------------------------------------------
def is_chain(cfg: "CollectConfig", index: int) -> bool:
    return cfg.chain_fraction > 0 and np.random.default_rng([cfg.seed + index, CHAIN_STREAM]).uniform() < cfg.chain_fraction


def draw_collect_chain(env, cfg: "CollectConfig", index: int, seed: int) -> list[dict[str, Any]]:
    """A conflict-free chain for episode ``index`` (the eval suite's chain rules), fixed against ``seed``'s layout."""
    from types import SimpleNamespace

    from heron.evaluation.chains import sample_chain

    rng = np.random.default_rng([cfg.seed + index, CHAIN_STREAM])
    rng.uniform()  # the is_chain draw
    lo, hi = cfg.chain_length
    length = int(rng.integers(lo, hi + 1))
    spec = SimpleNamespace(seed=seed, families=list(cfg.tasks), chain_length=length, split=cfg.split)
    return sample_chain(SimpleNamespace(env=env), spec)


def record_episode(env, task: str, index: int, seed: int, noise: float, split: str, stop=None,
                   chain: list[dict] | None = None, post_steps: int = 0, driver=None) -> tuple[Episode | None, bool]:
    """Run the expert once; return (episode, success), or (None, False) when ``stop`` was set.

    ``chain``: the sub-instructions carried out in turn without a reset (each starts where the last
    ended); ``post_steps``: after each success, that many steps with a hold action labelled done;
    ``driver``: an ``heron.collection.dagger.PolicyDriver`` that picks the executed actions (the labels stay the expert's).
    """
    from heron.envs.tabletop.experts import perturb

    options = {"chain": chain, "advance": "manual"} if chain else {"task": task}
    obs, info = env.reset(seed=seed, options=options)
    start = info
    rng = np.random.default_rng([seed, NOISE_STREAM])
    front, wrist, proprio, actions, segments = [], [], [], [], []
    seg = {"start": 0, "task": info["task"], "args": dict(info["args"]), "instruction": info["instruction"]}
    if driver is not None:
        driver.begin(seed, info["instruction"])

    def record(o, action):
        front.append(np.array(o["rgb_front"]))  # copies: never alias a buffer the env may reuse
        wrist.append(np.array(o["rgb_wrist"]))
        proprio.append(np.array(o["proprio"], np.float32))
        actions.append(np.asarray(action, np.float32))

    truncated = False
    while not truncated:
        if stop is not None and stop.is_set():
            return None, False
        clean = np.asarray(env.expert_action(), np.float32)
        record(obs, clean)
        executed = perturb(clean, rng, noise) if noise > 0 else clean
        if driver is not None:
            executed = driver(obs, executed)
        obs, _, terminated, truncated, info = env.step(executed)
        if not info["subtask_success"]:
            continue
        if post_steps:
            seg["done_from"] = len(actions)
        hold = np.zeros_like(clean)
        hold[-1] = 1.0 if clean[-1] > 0 else -1.0
        for _ in range(post_steps):
            record(obs, hold)
            obs, _, _, _, info = env.step(hold)
        segments.append({**seg, "stop": len(actions), "success": True})
        if terminated or info["success"]:
            break
        info = env.advance()
        obs = {**obs, "instruction": info["instruction"]}
        if driver is not None:
            driver.instruct(info["instruction"])
        seg = {"start": len(actions), "task": info["task"], "args": dict(info["args"]), "instruction": info["instruction"]}
    success = bool(info["success"])
    if not success and len(actions) > (segments[-1]["stop"] if segments else 0):
        segments.append({**seg, "stop": len(actions), "success": False})
    keep_segments = bool(chain) or post_steps > 0
    episode = Episode(
        rgb_front=np.stack(front),
        rgb_wrist=np.stack(wrist),
        proprio=np.stack(proprio),
        actions=np.stack(actions),
        instruction=str(start["instruction"]),
        task=str(start["task"]),
        index=index,
        seed=seed,
        success=success,
        split=split,
        args=dict(start["args"]),
        segments=segments if keep_segments else None,
        scene={**({"randomization": start["randomization"]} if start.get("randomization") else {}),
               **({"chain": chain} if chain else {}),
               **({"policy_steps": driver.driven} if driver is not None else {})} or None,
    )
    return episode, success


def _write_video(cfg: CollectConfig, episode: Episode) -> None:
    from heron.viz.video import tile, write_video

    frames = [tile(f, w) for f, w in zip(episode.rgb_front, episode.rgb_wrist)]
    write_video(Path(cfg.video_dir) / f"episode-{episode.index:06d}-{episode.task}.mp4", frames, fps=cfg.control_hz)


def _next_job(todo: list[int], cursor) -> int | None:
    with cursor.get_lock():
        k = cursor.value
        cursor.value += 1
    return todo[k] if k < len(todo) else None


def _worker(worker: int, cfg: CollectConfig, todo: list[int], cursor, results, stop) -> None:
    """Worker process: take the next episode index, record it, write complete episodes to its own shard.

    Each attempt gets a fresh env (~35 ms): PyBullet's restoreState leaves solver caches from the
    previous episode, so a reused env makes an episode depend on what that worker ran before.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and sets ``stop``
    try:
        from heron.envs import tabletop as sim

        driver = None
        if cfg.policy:
            from heron.collection.dagger import PolicyDriver

            driver = PolicyDriver(cfg.policy, cfg.policy_share)
        with open_writer(shard_path(cfg.out, worker), compression=cfg.compression) as writer:
            results.put(("ready", worker, writer.repaired))
            while not stop.is_set():
                index = _next_job(todo, cursor)
                if index is None:
                    break
                task, failed, saved, steps = task_of(cfg.tasks, index), 0, False, 0
                for attempt in range(cfg.max_attempts):
                    seed = episode_seed(cfg.seed, index, attempt)
                    env = sim.make_env(image_size=cfg.image_size, control_hz=cfg.control_hz, split=cfg.split,
                                       randomize=cfg.randomize)
                    try:
                        chain = draw_collect_chain(env, cfg, index, seed) if is_chain(cfg, index) else None
                        episode, success = record_episode(env, task, index, seed, cfg.noise, cfg.split, stop,
                                                          chain=chain, post_steps=cfg.post_steps, driver=driver)
                    finally:
                        env.close()
                    if episode is None:  # stopped mid-episode: nothing to report
                        return
                    steps += episode.num_steps
                    if success or driver is not None:  # a policy's failure is DAgger data too
                        writer.write(episode)
                        if cfg.video_dir and index < cfg.videos:
                            _write_video(cfg, episode)
                        saved = True
                        break
                    failed += 1
                results.put(("episode", worker, index, task, saved, failed, steps))
    except BaseException:
        results.put(("error", worker, traceback.format_exc()))
    finally:
        results.put(("exit", worker, None))


# --- the parent ------------------------------------------------------------------------------------
@dataclass
class _Tally:
    saved: Counter = field(default_factory=Counter)
    failed: Counter = field(default_factory=Counter)
    missing: list[int] = field(default_factory=list)
    steps: int = 0
    repaired: int = 0


def stored_episodes(out: Path) -> list[EpisodeInfo]:
    """The complete episodes already in ``out``'s shards (metadata only)."""
    episodes: list[EpisodeInfo] = []
    for path in find_shards(out):
        reader = open_reader(path)
        try:
            episodes.extend(reader.episodes())
        finally:
            reader.close()
    return episodes


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


def _run_workers(cfg: CollectConfig, todo: list[int], tally: _Tally, progress: bool) -> bool:
    """Run the workers over ``todo``; returns True if interrupted by Ctrl-C."""
    from tqdm import tqdm

    ctx = mp.get_context("spawn")
    cursor, results, stop = ctx.Value("q", 0), ctx.Queue(), ctx.Event()
    n = min(cfg.workers, len(todo))
    procs = [ctx.Process(target=_worker, args=(w, cfg, todo, cursor, results, stop), daemon=True) for w in range(n)]
    old = _ignore_sigint()  # children start with SIGINT ignored
    try:
        for p in procs:
            p.start()
    finally:
        _restore_sigint(old)
    bar = tqdm(total=len(todo), unit="ep", desc="collect", disable=not progress, dynamic_ncols=True)
    alive, error, interrupted = set(range(n)), None, False
    try:
        while alive:
            try:
                msg = results.get(timeout=0.5)
            except queue.Empty:
                for w in list(alive):
                    if not procs[w].is_alive() and procs[w].exitcode not in (0, None):
                        error = error or f"worker {w} died (exit code {procs[w].exitcode}); see its output above"
                        alive.discard(w)
                        stop.set()
                continue
            except KeyboardInterrupt:
                interrupted = True
                stop.set()
                continue
            kind, w = msg[0], msg[1]
            if kind == "error":
                error = error or f"worker {w} failed:\n{msg[2]}"
                stop.set()
            elif kind == "exit":
                alive.discard(w)
            else:
                _count(msg, tally, bar)
    except KeyboardInterrupt:  # a second Ctrl-C while draining: stop waiting
        interrupted = True
        stop.set()
    finally:
        bar.close()
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.terminate()
                p.join()
    if error:
        raise RuntimeError(f"collection stopped: {error}")
    return interrupted


def _count(msg: tuple, tally: _Tally, bar) -> None:
    """Book a worker's "ready" or "episode" message."""
    if msg[0] == "ready":
        tally.repaired += msg[2]
        return
    _, _, index, task, saved, failed, steps = msg
    tally.steps += steps
    tally.failed[task] += failed
    if saved:
        tally.saved[task] += 1
    else:
        tally.missing.append(index)
    bar.update(1)
    bar.set_postfix(saved=sum(tally.saved.values()), failed=sum(tally.failed.values()))


def _ignore_sigint():
    try:
        return signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: nothing to do
        return None


def _restore_sigint(old) -> None:
    if old is not None:
        signal.signal(signal.SIGINT, old)


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
) -> dict[str, Any]:
    """Collect ``episodes`` expert episodes into ``out`` (resuming what is there); returns the summary.

    On Ctrl-C the workers stop between steps, the metadata is saved and the summary says
    ``interrupted: True``; run the same call again to finish.
    """
    cfg = CollectConfig(
        tasks=resolve_tasks(tasks),
        episodes=episodes,
        out=str(out),
        workers=workers,
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
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    meta = _start_meta(out, cfg)
    done = {e.index for e in stored_episodes(out)}
    todo = [i for i in range(cfg.episodes) if i not in done]

    tally, start = _Tally(), time.perf_counter()
    interrupted = _run_workers(cfg, todo, tally, progress) if todo else False
    elapsed = time.perf_counter() - start

    stored = stored_episodes(out)
    per_task = Counter(task_of(cfg.tasks, e.index) for e in stored)
    saved = sum(tally.saved.values())
    summary = {
        "out": str(out),
        "requested": cfg.episodes,
        "saved": saved,
        "skipped": cfg.episodes - len(todo),
        "failed": sum(tally.failed.values()),
        "missing": sorted(tally.missing),
        "stored": len(stored),
        "steps": tally.steps,
        "repaired": tally.repaired,
        "workers": min(cfg.workers, len(todo)),
        "elapsed_s": round(elapsed, 2),
        "episodes_per_min": round(saved / elapsed * 60, 1) if elapsed > 0 and saved else 0.0,
        "per_task": {t: {"saved": tally.saved[t], "failed": tally.failed[t], "stored": per_task[t]} for t in cfg.tasks},
        "interrupted": interrupted,
    }
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


def _start_meta(out: Path, cfg: CollectConfig) -> dict[str, Any]:
    """Check that ``out`` can be resumed with ``cfg``; record the settings and versions before any work."""
    meta = read_meta(out)
    _check_resume(out, cfg, meta)
    meta = meta or {"format": FORMAT_NAME, "version": FORMAT_VERSION, "created": _now(), "runs": []}
    meta["config"] = cfg.data_settings()
    meta["seeds"] = {"base": cfg.seed, "rule": SEED_RULE}
    meta["versions"] = library_versions()
    write_meta(out, meta)
    return meta


def _finish_meta(out: Path, meta: dict[str, Any], cfg: CollectConfig, summary: dict[str, Any], per_task: Counter) -> None:
    meta["updated"] = _now()
    meta["counts"] = {"stored": summary["stored"], "per_task": {t: per_task[t] for t in cfg.tasks}}
    run = {k: summary[k] for k in ("saved", "skipped", "failed", "missing", "elapsed_s", "interrupted")}
    meta["runs"].append({"finished": _now(), "episodes": cfg.episodes, "workers": cfg.workers, **run})
    write_meta(out, meta)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def format_summary(summary: dict[str, Any]) -> str:
    lines = [
        f"collected {summary['saved']} new episodes into {summary['out']} "
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
    if summary["repaired"]:
        lines.append(f"removed {summary['repaired']} incomplete episode(s) left by an earlier crash")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use `heron collect`")
