"""Success statistics: Wilson score intervals, per-family aggregates and CALVIN's chain metrics."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any, Iterable, Mapping

Z95 = 1.959963984540054  # two-sided 95% normal quantile


def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion; ``(0, 1)`` when there are no trials.

    Unlike the normal approximation it stays inside [0, 1] and is sensible at 0/n and n/n,
    which is where small evaluations of robot policies usually land.
    """
    if trials < 0 or successes < 0 or successes > trials:
        raise ValueError(f"wilson_interval needs 0 <= successes <= trials, got {successes}/{trials}")
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    z2 = z * z
    denom = 1.0 + z2 / trials
    center = (p + z2 / (2 * trials)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    low = 0.0 if successes == 0 else max(0.0, center - half)
    high = 1.0 if successes == trials else min(1.0, center + half)
    return low, high


def rate_summary(successes: int, trials: int) -> dict[str, float | int]:
    """``{"n", "successes", "rate", "ci_low", "ci_high"}`` for one group of episodes."""
    low, high = wilson_interval(successes, trials)
    return {
        "n": trials,
        "successes": successes,
        "rate": successes / trials if trials else float("nan"),
        "ci_low": low,
        "ci_high": high,
    }


def chain_metrics(completed: Iterable[int], length: int = 5) -> dict[str, Any]:
    """CALVIN's long-horizon metrics from the number of instructions completed in a row per chain.

    ``success_after[k-1]`` is the fraction of chains whose first ``k`` instructions all succeeded;
    ``avg_len`` is the mean number completed in a row (0..length).
    """
    counts = [int(c) for c in completed]
    for c in counts:
        if not 0 <= c <= length:
            raise ValueError(f"chain completed count {c} is outside 0..{length}")
    n = len(counts)
    success_after = []
    for k in range(1, length + 1):
        ok = sum(c >= k for c in counts)
        success_after.append({"k": k, **rate_summary(ok, n)})
    return {
        "n": n,
        "length": length,
        "success_after": success_after,
        "avg_len": sum(counts) / n if n else float("nan"),
    }


def aggregate(records: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Per-family and overall success (with Wilson intervals) and mean steps of episode records.

    A record needs ``family``, ``success`` (bool) and ``steps`` (int). Chain records (``chain``
    true) also carry ``completed`` and ``num_subtasks`` and add a ``chains`` section.
    """
    by_family: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for r in records:
        by_family[r["family"]].append(r)
    families = {}
    for name in sorted(by_family):
        group = by_family[name]
        families[name] = {
            **rate_summary(sum(bool(r["success"]) for r in group), len(group)),
            "mean_steps": _mean([r["steps"] for r in group]),
        }
    out: dict[str, Any] = {
        "families": families,
        "overall": {
            **rate_summary(sum(bool(r["success"]) for r in records), len(records)),
            "mean_steps": _mean([r["steps"] for r in records]),
        },
    }
    chains = [r for r in records if r.get("chain")]
    if chains:
        length = max(int(r["num_subtasks"]) for r in chains)
        out["chains"] = chain_metrics([r["completed"] for r in chains], length=length)
        out["chains"]["subtasks"] = subtask_success(chains)
        out["chains"]["done"] = done_timing(chains)
    axes = [r for r in records if r.get("axis")]
    if axes:
        out["axes"] = axis_success(axes)
    return out


def done_timing(chains: list[Mapping[str, Any]]) -> dict[str, Any]:
    """How trustworthy ``done`` is: fired before success (early) among the subtasks reached, and,
    where the chain moved on at ``done`` (``advance: done``), fired more than 5 steps after success
    or not at all (late) among the subtasks that succeeded."""
    early = [bool(x) for r in chains for x in r.get("done_early") or []]
    late = [bool(x) for r in chains for x in r.get("done_late") or []]
    out = {"early": rate_summary(sum(early), len(early))}
    if any(r.get("advance") == "done" for r in chains):
        out["late"] = rate_summary(sum(late), len(late))
    return out


def axis_success(records: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Success per perturbation axis (robust suite), overall and per family, in the suite's order."""
    by_axis: dict[str, list[Mapping[str, Any]]] = {}
    for r in records:
        by_axis.setdefault(r["axis"], []).append(r)
    out = {}
    for axis, group in by_axis.items():
        fams: dict[str, list[bool]] = defaultdict(list)
        for r in group:
            fams[r["family"]].append(bool(r["success"]))
        out[axis] = {
            "overall": rate_summary(sum(bool(r["success"]) for r in group), len(group)),
            "families": {f: rate_summary(sum(v), len(v)) for f, v in sorted(fams.items())},
        }
    return out


def subtask_success(chains: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Success per family of the subtasks chains reached: those before ``completed`` succeeded,
    the one at ``completed`` failed, later ones were never attempted and do not count."""
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in chains:
        for i, sub in enumerate(r.get("subtasks") or []):
            if i > r["completed"]:
                break
            tally[sub["task"]][0] += i < r["completed"]
            tally[sub["task"]][1] += 1
    return {name: rate_summary(ok, n) for name, (ok, n) in sorted(tally.items())}


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")
