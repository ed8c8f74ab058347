"""``--shard i/N``: a deterministic share of a run's work items, so that N processes (N machines, or a Slurm
array with ``--shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT``) together do exactly what one run would.

Shard i of N takes the items at positions i, i + N, i + 2N, ... of the run's full, ordered item list (for the
tabletop that is episode index = seed - base, so the share is fixed by seed). It does not depend on what
is already stored, on the number of workers, or on which machine runs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Shard:
    index: int
    count: int

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ValueError(f"shard {self.index}/{self.count}: expected i/N with N >= 1 and 0 <= i < N")

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def owns(self, position: int) -> bool:
        return position % self.count == self.index

    def to_dict(self) -> dict[str, int]:
        return {"index": self.index, "count": self.count}

    @classmethod
    def from_dict(cls, d: dict | None) -> "Shard | None":
        return None if not d else cls(int(d["index"]), int(d["count"]))


def parse_shard(text: "str | Shard | None") -> Shard | None:
    """"1/4" -> Shard(1, 4); None -> None. The index counts from 0, as Slurm's array ids do by default."""
    if text is None or isinstance(text, Shard):
        return text
    i, sep, n = str(text).strip().partition("/")
    try:
        index, count = int(i), int(n)
    except ValueError:
        sep = ""
    if not sep:
        raise ValueError(f"--shard {text!r}: expected i/N, e.g. 0/4 (shard i of N counts from 0: 0/4, 1/4, 2/4, 3/4)")
    return Shard(index, count)


def take_shard(items: Sequence[T], shard: Shard | None) -> list[T]:
    """The items at positions i, i + N, ... (all of them without a shard)."""
    return list(items) if shard is None else list(items[shard.index::shard.count])


def check_shard_set(shards: dict, allow_missing: bool = False) -> dict:
    """``{name: {"index", "count"} or None}`` (e.g. the outputs given to a merge) must be distinct shards of one N,
    all of them unless ``allow_missing``; raises ValueError naming the culprit, else returns
    ``{"count", "merged", "missing"}``."""
    plain = [str(name) for name, s in shards.items() if not s]
    if plain:
        raise ValueError(f"{', '.join(plain)}: a whole run, not a shard (no --shard); merge the shards of one run only")
    counts = {int(s["count"]) for s in shards.values()}
    if len(counts) != 1:
        raise ValueError("shards of different N: " + ", ".join(f"{p} is {s['index']}/{s['count']}" for p, s in shards.items()))
    n = counts.pop()
    seen: dict = {}
    for name, s in shards.items():
        i = int(s["index"])
        if i in seen:
            raise ValueError(f"shard {i}/{n} is given twice: {seen[i]} and {name}")
        seen[i] = name
    missing = sorted(set(range(n)) - set(seen))
    if missing and not allow_missing:
        raise ValueError(f"shard(s) {', '.join(f'{i}/{n}' for i in missing)} missing: give all {n} shards of the run")
    return {"count": n, "merged": sorted(seen), "missing": missing}
