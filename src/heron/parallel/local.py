"""Local worker processes that report back through one queue: the driver loop shared by Meta-World collection and
evaluation. Each worker calls ``target(w, share, cfg, q)`` and puts ``(kind, w, payload)`` messages, ending with
``("done", w, None)`` or ``("error", w, traceback)``; the driver hands every other message to ``on_message``."""

from __future__ import annotations

import multiprocessing as mp
import queue as queue_mod
from typing import Any, Callable


def run_workers(target: Callable, shares: list[list], cfg: dict, on_message: Callable[[str, int, Any], None],
                total: int | None = None, desc: str = "", progress: bool = True) -> None:
    """Run one spawned process per share; raise RuntimeError with the worker's traceback if one fails."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=target, args=(w, share, cfg, q), daemon=True) for w, share in enumerate(shares)]
    for p in procs:
        p.start()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, desc=desc)
    finished, error = 0, None
    try:
        while finished < len(procs) and error is None:
            try:
                kind, w, payload = q.get(timeout=5)
            except queue_mod.Empty:
                dead = [p for p in procs if not p.is_alive() and p.exitcode not in (0, None)]
                if dead:
                    error = f"a worker exited with code {dead[0].exitcode}"
                continue
            if kind == "error":
                error = payload
            elif kind == "done":
                finished += 1
            else:
                on_message(kind, w, payload)
                if bar is not None:
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()
        for p in procs:
            p.join(timeout=30 if error is None else 1)
            if p.is_alive():
                p.terminate()
    if error is not None:
        raise RuntimeError(error)


def report_errors(w: int, q) -> None:
    """Call from a worker's ``except BaseException``: sends the traceback to the driver."""
    import traceback

    q.put(("error", w, traceback.format_exc()))
