"""Work items on Ray actors (``heron collect|eval --ray``): one actor per CPU slot, each building its state (an
environment and a policy session) once, then taking items one at a time from the driver.

- ``setup(cfg, blob)`` runs once in each actor and returns ``run(item) -> result``. ``blob`` (e.g. a policy
  folder's files from ``pack_folder``) travels once through Ray's object store: workers need no shared copy.
- Faults: an actor that dies (its node removed, its process killed) is replaced and its item goes back in the
  queue, up to ``max_retries`` times per item. So an item may run twice: callers key results by item and write
  outputs under fixed names, atomically (``write_atomic``).
- An exception raised by ``run`` itself is a bug or bad input, not a fault: the run stops and names the item.
- Network: the CLI sets ``RAY_USAGE_STATS_ENABLED=0`` unless the user set it, and a private Ray
  (``address="local"``) listens on 127.0.0.1 only.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

RAY_PIN = "ray==2.60.0"
STALL_S = 600.0  # no item finished and no actor ready for this long: the cluster cannot run the work


@dataclass
class RayStats:
    address: str = ""
    actors: int = 0
    nodes: int = 0
    replaced: int = 0  # actors that died and were replaced
    retried: int = 0  # items run again after their actor died
    connect_s: float = 0.0
    ready_s: float = 0.0  # from connecting until the first actor was ready
    shutdown_s: float = 0.0
    items: int = 0
    events: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def import_ray():
    """Ray, with usage statistics off unless the user chose otherwise; a clear error when it is missing."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        import ray
    except ImportError:
        raise ImportError(f"--ray needs Ray: pip install 'heron[ray]' (pins {RAY_PIN})") from None
    return ray


def connect(address: str, num_cpus: int | None = None) -> tuple[Any, bool]:
    """(ray, started_here). ``local``: a private Ray on this machine, bound to 127.0.0.1; ``auto``: the cluster
    ``ray start`` runs here; ``HOST:PORT``: a cluster's head (GCS port, 6379 by default); ``ray://HOST:PORT``:
    Ray Client (needs ``ray[client]``). An already initialised Ray (a test's, a notebook's) is used as it is."""
    ray = import_ray()
    if ray.is_initialized():
        return ray, False
    address = (address or "auto").strip()
    try:
        if address == "local":
            ray.init(address="local", num_cpus=num_cpus or os.cpu_count() or 1, include_dashboard=False,
                     _node_ip_address="127.0.0.1", log_to_driver=False, configure_logging=False)
        else:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        hint = ("; Ray Client needs pip install 'ray[client]==2.60.0'" if address.startswith("ray://") else
                "; start one with `ray start --head --node-ip-address=<private ip>`, or use --ray local for a private one"
                if address == "auto" else "")
        raise ConnectionError(f"--ray {address}: could not connect to a Ray cluster: {exc}{hint}") from None
    return ray, True


class _Actor:
    """One Ray actor: builds its state once, then runs items."""

    def __init__(self, setup: Callable, cfg: dict, blob: Any):
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        self._run = setup(cfg, blob)

    def ping(self) -> tuple[int, str]:
        import ray

        return os.getpid(), ray.get_runtime_context().get_node_id()

    def run(self, item: Any) -> Any:
        return self._run(item)


def run_on_ray(setup: Callable[[dict, Any], Callable[[Any], Any]], cfg: dict, items: Sequence[Any],
               on_result: Callable[[Any, Any], None], *, address: str = "auto", workers: int | None = None,
               blob: Any = None, max_retries: int = 3, desc: str = "ray", progress: bool = True,
               on_item_done: Callable[[int], None] | None = None, stall_s: float = STALL_S) -> RayStats:
    """Run ``items`` on Ray actors (``workers`` of them, default: the cluster's CPUs); ``on_result(item, result)``
    is called on the driver, in completion order. Returns what happened (actors, replacements, retries, times)."""
    stats = RayStats(address=address)
    if not items:
        return stats
    t0 = time.perf_counter()
    ray, started = connect(address, workers)
    stats.connect_s = time.perf_counter() - t0
    from ray.exceptions import RayError, RayTaskError

    remote = ray.remote(num_cpus=1, max_restarts=0, max_task_retries=0)(_Actor)
    actors: list = []
    try:
        stats.nodes = len([n for n in ray.nodes() if n.get("Alive")])
        n = int(workers or ray.cluster_resources().get("CPU", 1))
        n = max(1, min(n, len(items)))
        stats.actors = n
        blob_ref = ray.put(blob) if blob is not None else None
        queue: deque = deque(enumerate(items))
        attempts: dict[int, int] = {}
        start_deaths = 0
        starting: dict = {}  # ping ref -> actor
        busy: dict = {}  # run ref -> (actor, key, item)
        idle: list = []

        def spawn() -> None:
            actor = remote.remote(setup, cfg, blob_ref)
            actors.append(actor)
            starting[actor.ping.remote()] = actor

        def replace(actor, why: str) -> None:
            stats.replaced += 1
            stats.events.append(why)
            try:
                ray.kill(actor, no_restart=True)
            except RayError:
                pass
            spawn()

        for _ in range(n):
            spawn()
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(items), desc=desc, unit="item", dynamic_ncols=True)
        last = time.perf_counter()
        try:
            while queue or busy:
                while idle and queue:  # only ready actors get work (else the first one up takes it all)
                    actor = idle.pop()
                    key, item = queue.popleft()
                    busy[actor.run.remote(item)] = (actor, key, item)
                refs = list(starting) + list(busy)
                done, _ = ray.wait(refs, num_returns=1, timeout=1.0)
                if not done:
                    if time.perf_counter() - last > stall_s:
                        raise RuntimeError(f"Ray: nothing finished for {stall_s:.0f} s with {len(busy)} item(s) running and "
                                           f"{len(starting)} actor(s) waiting for a CPU; does the cluster have free CPUs?")
                    continue
                last = time.perf_counter()
                ref = done[0]
                if ref in starting:
                    actor = starting.pop(ref)
                    try:
                        ray.get(ref)
                    except RayError as exc:
                        if isinstance(exc, RayTaskError) or getattr(exc, "actor_init_failed", False):
                            # setup itself failed: it would fail the same on every actor
                            raise RuntimeError(f"a Ray actor could not start:\n{exc}") from None
                        start_deaths += 1
                        if start_deaths > 3 * n:
                            raise RuntimeError(f"Ray: {start_deaths} actors died while starting (last: {exc})") from None
                        replace(actor, f"actor died while starting: {type(exc).__name__}")
                        continue
                    if not stats.ready_s:
                        stats.ready_s = time.perf_counter() - t0
                    idle.append(actor)
                    continue
                actor, key, item = busy.pop(ref)
                try:
                    result = ray.get(ref)
                except RayTaskError as exc:
                    raise RuntimeError(f"item {item!r} failed on a Ray actor:\n{exc}") from None
                except RayError as exc:
                    attempts[key] = attempts.get(key, 0) + 1
                    if attempts[key] > max_retries:
                        raise RuntimeError(f"item {item!r}: its actor died {attempts[key]} times (last: "
                                           f"{type(exc).__name__}); giving up after {max_retries} retries") from None
                    stats.retried += 1
                    queue.appendleft((key, item))
                    replace(actor, f"actor died running item {item!r}: {type(exc).__name__}; retried")
                    continue
                on_result(item, result)
                stats.items += 1
                idle.append(actor)
                if bar is not None:
                    bar.update(1)
                if on_item_done is not None:
                    on_item_done(stats.items)
        finally:
            if bar is not None:
                bar.close()
    finally:
        t1 = time.perf_counter()
        for actor in actors:
            try:
                ray.kill(actor, no_restart=True)
            except Exception:  # noqa: BLE001 - best effort; the actor or its node may be gone
                pass
        if started:
            ray.shutdown()
        stats.shutdown_s = time.perf_counter() - t1
    return stats


# --- moving files through the object store ------------------------------------------------------------
def pack_folder(folder: str | Path, skip: Callable[[Path], bool] | None = None) -> dict[str, bytes]:
    """A folder's files as {relative path: bytes} (e.g. a policy folder, sent once to every actor)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: not a folder")
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not (skip and skip(p))}


def unpack_folder(files: dict[str, bytes], name: str = "heron-") -> Path:
    """Write ``pack_folder``'s result into a fresh temporary folder; returns it."""
    root = Path(tempfile.mkdtemp(prefix=name))
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename: a reader never sees half a file, and an
    item run twice leaves one whole file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
