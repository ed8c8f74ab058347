"""The collection's worker processes: each has its own env and shard; a shared cursor hands out episodes."""

from __future__ import annotations

import multiprocessing as mp
import queue
import signal
import traceback
from collections import Counter
from dataclasses import dataclass, field

from heron.collection.config import (
    CollectConfig,
    episode_seed,
    is_chain,
    task_of,
)
from heron.collection.recording import (
    _write_video,
    draw_collect_chain,
    record_episode,
)
from heron.data import (
    open_writer,
    shard_path,
)


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
                outcome = record_index(sim, cfg, index, writer, driver, stop)
                if outcome is None:  # stopped mid-episode: nothing to report
                    return
                task, saved, failed, steps = outcome
                results.put(("episode", worker, index, task, saved, failed, steps))
    except BaseException:
        results.put(("error", worker, traceback.format_exc()))
    finally:
        results.put(("exit", worker, None))


def record_index(sim, cfg: CollectConfig, index: int, writer, driver=None, stop=None) -> tuple[str, bool, int, int] | None:
    """Episode ``index`` with up to ``max_attempts`` tries (a new seed each), written to ``writer`` when kept;
    returns (task, saved, failed attempts, steps), or None when ``stop`` was set mid-episode."""
    task, failed, steps = task_of(cfg.tasks, index), 0, 0
    for attempt in range(cfg.max_attempts):
        seed = episode_seed(cfg.seed, index, attempt)
        env = sim.make_env(image_size=cfg.image_size, control_hz=cfg.control_hz, split=cfg.split, randomize=cfg.randomize)
        try:
            chain = draw_collect_chain(env, cfg, index, seed) if is_chain(cfg, index) else None
            episode, success = record_episode(env, task, index, seed, cfg.noise, cfg.split, stop,
                                              chain=chain, post_steps=cfg.post_steps, driver=driver)
        finally:
            env.close()
        if episode is None:
            return None
        steps += episode.num_steps
        if success or driver is not None:  # a policy's failure is DAgger data too
            writer.write(episode)
            if cfg.video_dir and index < cfg.videos:
                _write_video(cfg, episode)
            return task, True, failed, steps
        failed += 1
    return task, False, failed, steps


# --- the parent ------------------------------------------------------------------------------------
@dataclass
class _Tally:
    saved: Counter = field(default_factory=Counter)
    failed: Counter = field(default_factory=Counter)
    missing: list[int] = field(default_factory=list)
    steps: int = 0
    repaired: int = 0

    def book(self, index: int, task: str, saved: bool, failed: int, steps: int) -> None:
        """One episode's outcome: kept (saved) or missing after all attempts, its failed attempts and steps."""
        self.steps += steps
        self.failed[task] += failed
        if saved:
            self.saved[task] += 1
        else:
            self.missing.append(index)


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
    tally.book(*msg[2:])
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
