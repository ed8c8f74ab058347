"""Per-step latency bookkeeping for the control loop: stages, percentiles, missed deadlines."""

from __future__ import annotations

import time
from collections import deque
from contextlib import contextmanager

import numpy as np

STAGES = ("preprocess", "inference", "postprocess")


class LatencyStats:
    """Durations (s) of each stage of each step; a step whose stages sum past ``period_s`` missed
    its deadline. Keeps the last ``window`` steps for percentiles (all of them when None)."""

    def __init__(self, period_s: float, window: int | None = None, clock=time.perf_counter):
        if not period_s > 0:
            raise ValueError(f"period_s={period_s!r}: must be > 0")
        self.period_s = float(period_s)
        self.clock = clock
        self._stages: dict[str, deque] = {s: deque(maxlen=window) for s in STAGES}
        self._total: deque = deque(maxlen=window)
        self._current: dict[str, float] = {}
        self.steps = 0
        self.missed = 0

    @contextmanager
    def stage(self, name: str):
        """Time a block as one stage of the current step: ``with stats.stage("inference"): ...``."""
        if name not in self._stages:
            raise ValueError(f"unknown stage {name!r}; known: {', '.join(STAGES)}")
        t0 = self.clock()
        try:
            yield
        finally:
            self.add(name, self.clock() - t0)

    def add(self, name: str, seconds: float) -> None:
        self._current[name] = self._current.get(name, 0.0) + float(seconds)

    def end_step(self) -> float:
        """Close the current step; returns its total compute time in seconds."""
        total = 0.0
        for s in STAGES:
            d = self._current.get(s, 0.0)
            self._stages[s].append(d)
            total += d
        self._total.append(total)
        self._current = {}
        self.steps += 1
        if total > self.period_s:
            self.missed += 1
        return total

    def reset(self) -> None:
        for d in self._stages.values():
            d.clear()
        self._total.clear()
        self._current = {}
        self.steps = self.missed = 0

    def summary(self) -> dict:
        """{"steps", "missed_deadlines", "period_ms", "stages": {stage | "total": {"p50_ms", "p95_ms", "p99_ms", "max_ms", "mean_ms"}}}."""
        stages = {name: percentiles_ms(values) for name, values in [*self._stages.items(), ("total", self._total)]}
        return {"steps": self.steps, "missed_deadlines": self.missed, "period_ms": round(self.period_s * 1e3, 3), "stages": stages}


def percentiles_ms(values) -> dict:
    """p50/p95/p99/max/mean in milliseconds of durations in seconds (None for no values)."""
    keys = ("p50_ms", "p95_ms", "p99_ms", "max_ms", "mean_ms")
    if not len(values):
        return dict.fromkeys(keys)
    arr = np.asarray(values, dtype=np.float64) * 1e3
    stats = [*np.percentile(arr, [50, 95, 99]), arr.max(), arr.mean()]
    return {k: round(float(v), 3) for k, v in zip(keys, stats)}


class RateKeeper:
    """Sleeps to the next tick of a fixed-rate schedule (for pacing a loop in wall-clock time).
    A late step does not cause a burst: the schedule restarts from now."""

    def __init__(self, rate_hz: float, clock=time.perf_counter, sleep=time.sleep):
        if not rate_hz > 0:
            raise ValueError(f"rate_hz={rate_hz!r}: must be > 0")
        self.period = 1.0 / rate_hz
        self.clock, self._sleep = clock, sleep
        self._next = None

    def sleep(self) -> bool:
        """Wait for the next tick; False when the tick was already past (a missed deadline)."""
        now = self.clock()
        if self._next is None:
            self._next = now
        self._next += self.period
        if now > self._next:
            self._next = now
            return False
        self._sleep(self._next - now)
        return True
